/*
 * metrics_http.c: metrics_listen (see metrics_http.h).  Each client sends
 * one request; its answer comes from the status query stunnelctl's
 * "status" would start (control_status()), rendered by the producers
 * stunnelctl itself prints with (metrics_write(), check_print()), so the
 * two never differ.  Then the connection ends (Connection: close).
 *
 * What a client may cost is bounded as on the control socket (SPEC.md
 * "The control socket under pressure"): METRICS_HTTP_CLIENTS at once,
 * and when a new one comes the oldest that has not sent a complete
 * request yet (or is only being waited for to close) makes room, so
 * clients that never speak cannot lock Prometheus out; REQUEST_TIMEOUT
 * from accept to a complete request head (a slow sender gets no more
 * time per byte); writes never block (a client that does not read is
 * dropped after WRITE_TIMEOUT); out of descriptors, accepting pauses
 * until a client leaves or ACCEPT_PAUSE passes, as control.c does.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "check.h"
#include "control.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"

#define REQUEST_TIMEOUT	5.0	/* seconds from accept to a complete head */
#define WRITE_TIMEOUT	5.0	/* seconds for the answer to go out */
#define LINGER_TIMEOUT	1.0	/* seconds to read what the client still sends */
#define ACCEPT_PAUSE	1.0	/* out of descriptors: try again after */
#define TEXT_TYPE	"text/plain; charset=utf-8"

enum mh_state {
	MH_READING,		/* the request head, until REQUEST_TIMEOUT */
	MH_ASKING,		/* the workers, for the answer (WRITE_TIMEOUT
				 * bounds it, should control.c not answer) */
	MH_WRITING,		/* the answer, until WRITE_TIMEOUT */
	MH_LINGERING		/* written and shut down: reading to EOF, so
				 * that unread bytes do not reset the answer */
};

enum mh_endpoint {
	MH_METRICS,
	MH_HEALTHZ
};

struct mh_client {
	struct mh_client	*next;
	struct metrics_http	*mh;
	int			 fd;
	enum mh_state		 state;
	enum mh_endpoint	 endpoint;
	int			 days;		/* /healthz?days=N */
	int			 head;		/* a HEAD request: no body */
	ev_io			 io;
	ev_timer		 timer;
	struct query		*q;		/* while MH_ASKING */
	char			 peer[ADDR_STRLEN];
	uint8_t			 in[HTTP_REQUEST_MAX];
	size_t			 inlen;
	char			*out;
	size_t			 outlen, outoff;
};

struct metrics_http {
	struct ev_loop		*loop;
	struct control		*ctl;
	char			 where[ADDR_STRLEN];
	int			 fd;
	ev_io			 accept_w;
	ev_timer		 accept_pause;
	struct mh_client	*clients;	/* newest first */
	unsigned int		 nclients;
	/* the lines a flood of clients could repeat */
	struct log_limit	 log_accept;
	struct log_limit	 log_pause;
	struct log_limit	 log_full;
	struct log_limit	 log_refused;
	struct log_limit	 log_idle;
};

static void	mh_client_io_cb(struct ev_loop *, ev_io *, int);

/**
 * metrics_http_open(hp, err, errlen): bind and listen on ${hp}, before
 * privileges are dropped, as the tunnels' listeners are.  Return the
 * server (not yet on a loop), or NULL with the reason in ${err}.
 */
struct metrics_http *
metrics_http_open(const struct hostport *hp, char *err, size_t errlen)
{
	struct metrics_http	*mh;
	struct addrinfo		 hints, *res = NULL;
	char			 port[8], where[ADDR_STRLEN];
	int			 fd = -1, one = 1, gai;

	addr_format_hp(hp, where, sizeof(where));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", hp->port);
	if ((gai = getaddrinfo(hp->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", where, gai_strerror(gai));
		return (NULL);
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 16) != 0)
		goto fail;
	freeaddrinfo(res);
	if ((mh = calloc(1, sizeof(*mh))) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return (NULL);
	}
	mh->fd = fd;
	snprintf(mh->where, sizeof(mh->where), "%s", where);
	return (mh);

fail:
	snprintf(err, errlen, "%s: %s", where, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return (NULL);
}

/* Accept again: a descriptor may have freed. */
static void
mh_accept_resume(struct metrics_http *mh)
{
	ev_timer_stop(mh->loop, &mh->accept_pause);
	ev_io_start(mh->loop, &mh->accept_w);
}

/* ACCEPT_PAUSE passed: maybe a descriptor freed elsewhere. */
static void
mh_accept_pause_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	(void)loop;
	(void)revents;
	mh_accept_resume(tw->data);
}

/* Close ${cl} and free it; a status query it waits for is dropped. */
static void
mh_client_free(struct mh_client *cl)
{
	struct metrics_http	*mh = cl->mh;
	struct mh_client	**pp;

	for (pp = &mh->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	mh->nclients--;
	control_status_cancel(cl->q);
	ev_io_stop(mh->loop, &cl->io);
	ev_timer_stop(mh->loop, &cl->timer);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

/* Close ${cl}: its descriptor is free now for one that waits, if out of
 * descriptors is why accepting paused. */
static void
mh_client_drop(struct mh_client *cl)
{
	struct metrics_http	*mh = cl->mh;

	mh_client_free(cl);
	if (ev_is_active(&mh->accept_pause))
		mh_accept_resume(mh);
}

/* Give ${cl} ${secs} from now for what its state waits for. */
static void
mh_client_deadline(struct mh_client *cl, double secs)
{
	ev_timer_stop(cl->mh->loop, &cl->timer);
	ev_timer_set(&cl->timer, secs, 0.);
	ev_timer_start(cl->mh->loop, &cl->timer);
}

/* Watch ${cl}'s socket for ${events} only. */
static void
mh_client_watch(struct mh_client *cl, int events)
{
	ev_io_stop(cl->mh->loop, &cl->io);
	ev_io_set(&cl->io, cl->fd, events);
	ev_io_start(cl->mh->loop, &cl->io);
}

/* Everything is written: end our side, and read until the client's. */
static void
mh_client_linger(struct mh_client *cl)
{
	(void)shutdown(cl->fd, SHUT_WR);
	cl->state = MH_LINGERING;
	mh_client_watch(cl, EV_READ);
	mh_client_deadline(cl, LINGER_TIMEOUT);
}

/* Send what is left of the answer of ${cl}; it may be dropped. */
static void
mh_client_write(struct mh_client *cl)
{
	ssize_t	n;

	while (cl->outoff < cl->outlen) {
		n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			mh_client_watch(cl, EV_WRITE);
			return;
		}
		if (n <= 0) {
			log_debug("metrics_listen: %s: %s", cl->peer,
			    n < 0 ? strerror(errno) : "closed");
			mh_client_drop(cl);
			return;
		}
		cl->outoff += (size_t)n;
	}
	mh_client_linger(cl);
}

/*
 * Answer ${cl} with ${status} and the ${blen} bytes of ${body} (copied),
 * of ${ctype}, with an Allow header if ${allow}; it may be dropped.
 */
static void
mh_client_answer(struct mh_client *cl, int status, const char *ctype,
    const char *body, size_t blen, const char *allow)
{
	char	head[512];
	size_t	hlen;

	hlen = http_head(head, sizeof(head), status, ctype, blen, allow);
	if (hlen == 0 || (cl->out = malloc(hlen + blen)) == NULL) {
		mh_client_drop(cl);
		return;
	}
	memcpy(cl->out, head, hlen);
	memcpy(cl->out + hlen, body, blen);
	/* HEAD is refused (405), but its answer still has no body */
	cl->outlen = hlen + (cl->head ? 0 : blen);
	cl->outoff = 0;
	cl->state = MH_WRITING;
	mh_client_deadline(cl, WRITE_TIMEOUT);
	mh_client_write(cl);
}

/* Refuse ${cl}'s request with ${status}, the reason phrase as the body. */
static void
mh_client_refuse(struct mh_client *cl, int status, const char *allow)
{
	char	body[64];
	int	n;

	log_limited(&cl->mh->log_refused, LOG_INFO, -1, "metrics_listen: "
	    "%s: %d %s", cl->peer, status, http_reason(status));
	n = snprintf(body, sizeof(body), "%s\n", http_reason(status));
	mh_client_answer(cl, status, TEXT_TYPE, body, (size_t)n, allow);
}

/* The status of every tunnel is in: render the answer ${cl} asked for. */
static void
mh_status_cb(void *arg, const struct proto_tunnel *t, size_t n)
{
	struct mh_client	*cl = arg;
	FILE			*f;
	char			*body = NULL;
	size_t			 blen = 0, problems = 0;
	int			 status = 200;

	cl->q = NULL;
	if (t == NULL || (f = open_memstream(&body, &blen)) == NULL) {
		mh_client_refuse(cl, 500, NULL);
		return;
	}
	if (cl->endpoint == MH_METRICS)
		metrics_write(f, t, n);
	else
		problems = check_print(f, t, n, time(NULL), cl->days);
	if (fclose(f) != 0) {
		free(body);
		mh_client_refuse(cl, 500, NULL);
		return;
	}
	if (problems > 0)
		status = 503;
	log_debug("metrics_listen: %s: %s %d", cl->peer,
	    cl->endpoint == MH_METRICS ? "/metrics" : "/healthz", status);
	mh_client_answer(cl, status, cl->endpoint == MH_METRICS ?
	    METRICS_CONTENT_TYPE : TEXT_TYPE, body, blen, NULL);
	free(body);
}

/* The days of "days=N" in ${query} ("": 0) into ${days}; -1 if not that. */
static int
mh_days(const char *query, int *days)
{
	const char	*p;
	long		 v = 0;

	*days = 0;
	if (query[0] == '\0')
		return (0);
	if (strncmp(query, "days=", 5) != 0 || query[5] == '\0')
		return (-1);
	for (p = query + 5; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (*p - '0')) >
		    CHECK_DAYS_MAX)
			return (-1);
	}
	*days = (int)v;
	return (0);
}

/* A complete request ${req} from ${cl}: answer it, or ask the workers. */
static void
mh_client_request(struct mh_client *cl, const struct http_request *req)
{
	struct query	*q;

	cl->head = strcmp(req->method, "HEAD") == 0;
	if (strcmp(req->path, "/metrics") == 0)
		cl->endpoint = MH_METRICS;
	else if (strcmp(req->path, "/healthz") == 0)
		cl->endpoint = MH_HEALTHZ;
	else {
		mh_client_refuse(cl, 404, NULL);
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		mh_client_refuse(cl, 405, "GET");
		return;
	}
	/* Prometheus may add parameters to /metrics; they change nothing */
	if (cl->endpoint == MH_HEALTHZ && mh_days(req->query, &cl->days) != 0) {
		mh_client_refuse(cl, 400, NULL);
		return;
	}
	cl->state = MH_ASKING;
	ev_io_stop(cl->mh->loop, &cl->io);
	/* the workers have 2 s to answer (control.c): a request that came
	 * in late in its REQUEST_TIMEOUT still gets its answer */
	mh_client_deadline(cl, WRITE_TIMEOUT);
	/* The answer may come at once (no worker to ask), and ${cl} be gone
	 * after it: only a query still out means ${cl} is still there. */
	if ((q = control_status(cl->mh->ctl, mh_status_cb, cl)) != NULL)
		cl->q = q;
}

/* Read what ${cl} sends: its request head, or what follows our answer. */
static void
mh_client_read(struct mh_client *cl)
{
	struct http_request	 req;
	uint8_t			 junk[4096];
	ssize_t			 n = 0;
	int			 i, rc;

	if (cl->state == MH_LINGERING) {
		/* a few reads a wakeup: a sender that never stops gets no
		 * more of the loop than LINGER_TIMEOUT and its share */
		for (i = 0; i < 8; i++)
			if ((n = recv(cl->fd, junk, sizeof(junk), 0)) <= 0)
				break;
		if (i < 8 && (n == 0 || (errno != EAGAIN && errno != EINTR)))
			mh_client_drop(cl);
		return;
	}
	n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* gone before a complete request: nobody to answer */
		mh_client_drop(cl);
		return;
	}
	cl->inlen += (size_t)n;
	if ((rc = http_parse(cl->in, cl->inlen, &req)) == HTTP_MORE)
		return;
	if (rc == HTTP_DONE)
		mh_client_request(cl, &req);
	else
		mh_client_refuse(cl, rc, NULL);
}

/* ${cl}'s socket is ready for what its state waits for. */
static void
mh_client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mh_client	*cl = w->data;

	(void)loop;
	if (cl->state == MH_WRITING && (revents & EV_WRITE))
		mh_client_write(cl);
	else if (revents & EV_READ)
		mh_client_read(cl);
}

/* ${cl}'s deadline passed. */
static void
mh_client_timer_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	static const char	 timeout[] = "HTTP/1.1 408 Request Timeout\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	struct mh_client	*cl = tw->data;

	(void)loop;
	(void)revents;
	if (cl->state == MH_READING) {
		log_limited(&cl->mh->log_idle, LOG_INFO, -1, "metrics_listen: "
		    "closed a client (%s) that sent no complete request "
		    "within %.0f s", cl->peer, REQUEST_TIMEOUT);
		/* one try: waiting on it would hold the place it frees */
		(void)send(cl->fd, timeout, sizeof(timeout) - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	} else if (cl->state == MH_WRITING)
		log_limited(&cl->mh->log_idle, LOG_INFO, -1, "metrics_listen: "
		    "closed a client (%s) that did not read its answer "
		    "within %.0f s", cl->peer, WRITE_TIMEOUT);
	mh_client_drop(cl);
}

/*
 * METRICS_HTTP_CLIENTS are connected: the oldest that costs nothing to
 * lose (no complete request yet, or only lingering) makes room; NULL if
 * every one is being answered.
 */
static struct mh_client *
mh_victim(struct metrics_http *mh)
{
	struct mh_client	*cl, *victim = NULL;

	/* newest first: the last one found is the oldest */
	for (cl = mh->clients; cl != NULL; cl = cl->next)
		if (cl->state == MH_READING || cl->state == MH_LINGERING)
			victim = cl;
	return (victim);
}

/* A client connects. */
static void
mh_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	static const char	 busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Retry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	struct metrics_http	*mh = w->data;
	struct mh_client	*cl, *victim;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	int			 fd;

	(void)revents;
	if ((fd = accept4(mh->fd, (struct sockaddr *)&ss, &sslen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* The client stays queued; a level-triggered watcher
			 * would call us again at once, for ever. */
			log_limited(&mh->log_pause, LOG_WARNING, errno,
			    "metrics_listen: accept paused");
			ev_io_stop(loop, &mh->accept_w);
			ev_timer_set(&mh->accept_pause, ACCEPT_PAUSE, 0.);
			ev_timer_start(loop, &mh->accept_pause);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_limited(&mh->log_accept, LOG_WARNING, errno,
			    "metrics_listen: accept");
		return;
	}
	if (mh->nclients >= METRICS_HTTP_CLIENTS) {
		if ((victim = mh_victim(mh)) == NULL) {
			(void)send(fd, busy, sizeof(busy) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			log_limited(&mh->log_full, LOG_WARNING, -1,
			    "metrics_listen: refused a client: %d being "
			    "answered already", METRICS_HTTP_CLIENTS);
			return;
		}
		log_limited(&mh->log_full, LOG_INFO, -1, "metrics_listen: "
		    "%d clients at once: closed the oldest waiting one (%s)",
		    METRICS_HTTP_CLIENTS, victim->peer);
		mh_client_free(victim);
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->mh = mh;
	cl->fd = fd;
	cl->state = MH_READING;
	addr_format((struct sockaddr *)&ss, cl->peer, sizeof(cl->peer));
	ev_io_init(&cl->io, mh_client_io_cb, fd, EV_READ);
	cl->io.data = cl;
	ev_timer_init(&cl->timer, mh_client_timer_cb, REQUEST_TIMEOUT, 0.);
	cl->timer.data = cl;
	ev_io_start(loop, &cl->io);
	ev_timer_start(loop, &cl->timer);
	cl->next = mh->clients;
	mh->clients = cl;
	mh->nclients++;
}

/**
 * metrics_http_start(mh, loop, ctl): serve on ${loop}, asking ${ctl}'s
 * workers for what to answer.
 */
void
metrics_http_start(struct metrics_http *mh, struct ev_loop *loop,
    struct control *ctl)
{
	mh->loop = loop;
	mh->ctl = ctl;
	ev_io_init(&mh->accept_w, mh_accept_cb, mh->fd, EV_READ);
	mh->accept_w.data = mh;
	ev_timer_init(&mh->accept_pause, mh_accept_pause_cb, ACCEPT_PAUSE,
	    0.);
	mh->accept_pause.data = mh;
	ev_io_start(loop, &mh->accept_w);
	log_info("metrics_listen: serving /metrics and /healthz on %s",
	    mh->where);
}

/**
 * metrics_http_free(mh): close the listener and every client, without a
 * word to them (a forked worker calls it too, and must not touch what it
 * shares with its parent); NULL is a no-op.
 */
void
metrics_http_free(struct metrics_http *mh)
{
	if (mh == NULL)
		return;
	if (mh->loop != NULL) {
		ev_io_stop(mh->loop, &mh->accept_w);
		ev_timer_stop(mh->loop, &mh->accept_pause);
		while (mh->clients != NULL)
			mh_client_free(mh->clients);
	}
	close(mh->fd);
	free(mh);
}
