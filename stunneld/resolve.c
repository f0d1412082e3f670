/*
 * resolve.c: a small pool of getaddrinfo() threads (spiped's dnsthread
 * idea).  Requests and results travel through two mutex-protected lists;
 * an ev_async wakes the loop, which runs callbacks in loop context.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "resolve.h"
#include "stunneld.h"

#define RESOLVE_THREADS	2

struct resolve_req {
	struct resolve_req	*next;
	char			 host[SD_HOST_MAX + 1];
	char			 port[8];
	resolve_cb		*cb;
	void			*arg;
	int			 cancelled;	/* touched by the loop thread only */
	int			 err;
	struct addrinfo		*res;
};

struct resolver {
	struct ev_loop		*loop;
	ev_async		 wakeup;
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;
	struct resolve_req	*todo, **todo_tail;
	struct resolve_req	*done;
	int			 nthreads;	/* started; under lock once quit */
	int			 quit;		/* resolve_free() was called */
};

/* Free the requests of list ${req}, and their results. */
static void
resolve_req_free_all(struct resolve_req *req)
{
	struct resolve_req	*next;

	for (; req != NULL; req = next) {
		next = req->next;
		if (req->res != NULL)
			freeaddrinfo(req->res);
		free(req);
	}
}

/* Free ${r} itself: nothing uses it any more. */
static void
resolve_destroy(struct resolver *r)
{
	pthread_cond_destroy(&r->work);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* A helper thread: take a request, resolve it, hand it back. */
static void *
resolve_thread(void *arg)
{
	struct resolver		*r = arg;
	struct resolve_req	*req;
	struct addrinfo		 hints;
	int			 last;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (r->todo == NULL && !r->quit)
			pthread_cond_wait(&r->work, &r->lock);
		if (r->quit)
			break;
		req = r->todo;
		if ((r->todo = req->next) == NULL)
			r->todo_tail = &r->todo;
		pthread_mutex_unlock(&r->lock);

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		req->err = getaddrinfo(req->host, req->port, &hints, &req->res);

		pthread_mutex_lock(&r->lock);
		if (r->quit) {
			/* nobody waits for it now */
			pthread_mutex_unlock(&r->lock);
			resolve_req_free_all(req);
			continue;
		}
		req->next = r->done;
		r->done = req;
		/* under the lock: once quit is set the loop is not told */
		ev_async_send(r->loop, &r->wakeup);
		pthread_mutex_unlock(&r->lock);
	}
	/* the last thread out frees what resolve_free() left to it */
	last = --r->nthreads == 0;
	pthread_mutex_unlock(&r->lock);
	if (last)
		resolve_destroy(r);
	return (NULL);
}

/* In the loop: run the callbacks of finished requests. */
static void
resolve_wakeup_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct resolver		*r = w->data;
	struct resolve_req	*req, *next;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&r->lock);
	req = r->done;
	r->done = NULL;
	pthread_mutex_unlock(&r->lock);
	for (; req != NULL; req = next) {
		next = req->next;
		if (req->cancelled) {
			if (req->res != NULL)
				freeaddrinfo(req->res);
		} else
			req->cb(req->arg, req->err, req->res);
		free(req);
	}
}

/** resolve_new(loop): a resolver delivering results in ${loop}; threads start on first use. */
struct resolver *
resolve_new(struct ev_loop *loop)
{
	struct resolver	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->loop = loop;
	r->todo_tail = &r->todo;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	ev_async_init(&r->wakeup, resolve_wakeup_cb);
	r->wakeup.data = r;
	ev_async_start(loop, &r->wakeup);
	ev_unref(loop);		/* a pending lookup must not keep the loop alive */
	return (r);
}

/* Start the helper threads, with every signal blocked in them. */
static int
resolve_spawn(struct resolver *r)
{
	pthread_attr_t	 attr;
	pthread_t	 tid;
	sigset_t	 all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_mutex_lock(&r->lock);
	while (r->nthreads < RESOLVE_THREADS) {
		if (pthread_create(&tid, &attr, resolve_thread, r) != 0)
			break;
		r->nthreads++;
	}
	pthread_mutex_unlock(&r->lock);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r->nthreads == 0) {
		log_warnx("cannot start resolver threads");
		return (-1);
	}
	return (0);
}

/**
 * resolve_start(r, host, port, cb, arg): look up ${host} (TCP, any
 * family) and call ${cb}(${arg}, err, res) later in the loop, unless
 * cancelled first.  Return the request, or NULL if out of memory.
 */
struct resolve_req *
resolve_start(struct resolver *r, const char *host, uint16_t port,
    resolve_cb *cb, void *arg)
{
	struct resolve_req	*req;

	if (r->nthreads == 0 && resolve_spawn(r) != 0)
		return (NULL);
	if ((req = calloc(1, sizeof(*req))) == NULL)
		return (NULL);
	snprintf(req->host, sizeof(req->host), "%s", host);
	snprintf(req->port, sizeof(req->port), "%u", port);
	req->cb = cb;
	req->arg = arg;
	pthread_mutex_lock(&r->lock);
	*r->todo_tail = req;
	r->todo_tail = &req->next;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->lock);
	return (req);
}

/** resolve_cancel(req): the callback of ${req} will not be called. */
void
resolve_cancel(struct resolve_req *req)
{
	req->cancelled = 1;
}

/**
 * resolve_free(r): stop ${r}; no callback of it is called again and its
 * requests are freed (cancelled or not).  A helper thread busy in
 * getaddrinfo() finishes its lookup first, and the last one to end frees
 * the rest.  NULL is a no-op.
 */
void
resolve_free(struct resolver *r)
{
	struct resolve_req	*todo, *done;
	int			 threads;

	if (r == NULL)
		return;
	/* resolve_new() unreferenced the loop for this watcher */
	ev_ref(r->loop);
	ev_async_stop(r->loop, &r->wakeup);
	pthread_mutex_lock(&r->lock);
	r->quit = 1;
	todo = r->todo;
	done = r->done;
	r->todo = r->done = NULL;
	r->todo_tail = &r->todo;
	threads = r->nthreads;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->lock);
	resolve_req_free_all(todo);
	resolve_req_free_all(done);
	if (threads == 0)
		resolve_destroy(r);
}
