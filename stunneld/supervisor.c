/*
 * supervisor.c: relayd's parent, hitch's master.  One struct tunnel_rt
 * per tunnel holds its listener, its worker's pid and its restart
 * back-off.  Signals are loop events; the work they start runs here.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "conf.h"
#include "control.h"
#include "creds.h"
#include "ipc.h"
#include "log.h"
#include "notify.h"
#include "room.h"
#include "supervisor.h"
#include "watch.h"
#include "worker.h"

#define BACKOFF_FIRST	1.0	/* seconds before the first restart */
#define BACKOFF_MAX	60.0
#define STABLE_AFTER	30.0	/* a worker up this long resets the back-off */
#define FAILED_AFTER	5	/* quick deaths in a row: tunnel is "failed" */

static void	supervisor_spawn(struct tunnel_rt *);

/* Open one listening socket for ${tc}; -1 with the reason in ${err}. */
static int
supervisor_listen_one(const struct tunnel_conf *tc, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res = NULL;
	char		 port[8], where[ADDR_STRLEN];
	int		 fd = -1, one = 1, gai;

	addr_format_hp(&tc->listen, where, sizeof(where));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", tc->listen.port);
	if ((gai = getaddrinfo(tc->listen.host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s: %s", where,
		    gai_strerror(gai));
		return (-1);
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0)
		goto fail;
	freeaddrinfo(res);
	return (fd);

fail:
	snprintf(err, errlen, "listen %s: %s", where, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return (-1);
}

/* The further workers' descriptors of the socket in ${fds}[0], into
 * ${fds}[1 .. n - 1]; 0, or -1 with errno. */
static int
supervisor_dup_workers(int *fds, unsigned int n)
{
	unsigned int	 w;

	for (w = 1; w < n; w++)
		if ((fds[w] = dup(fds[0])) < 0)
			return (-1);
	return (0);
}

/** supervisor_nworkers(conf): how many workers (and listeners) ${conf} has in all. */
size_t
supervisor_nworkers(const struct sd_conf *conf)
{
	size_t	 i, n = 0;

	for (i = 0; i < conf->ntunnels; i++)
		n += conf->tunnels[i].workers;
	return (n);
}

/**
 * supervisor_listen(conf, fds, errfp): bind and listen on every tunnel's
 * address, in tunnel order, into ${fds} (supervisor_nworkers() entries):
 * one socket per tunnel, then a descriptor of it for each further
 * worker.  Report failures to ${errfp} as "FILE:LINE: message" and return
 * -1 (closing what was opened), or 0.
 *
 * The workers of a tunnel share its socket, so that a connection goes to
 * whichever worker accepts it first.  SO_REUSEPORT sockets, one per
 * worker, would let the kernel hash connections to a worker that is dead,
 * stopped or waiting to be restarted, and cannot be re-created once the
 * daemon has dropped privileges.
 */
int
supervisor_listen(const struct sd_conf *conf, int *fds, FILE *errfp)
{
	const struct tunnel_conf *tc;
	char			 err[512];
	size_t			 i, k = 0, n = supervisor_nworkers(conf);
	int			 bad = 0;

	for (k = 0; k < n; k++)
		fds[k] = -1;
	for (i = 0, k = 0; i < conf->ntunnels; k += tc->workers, i++) {
		tc = &conf->tunnels[i];
		if ((fds[k] = supervisor_listen_one(tc, err, sizeof(err))) < 0 ||
		    supervisor_dup_workers(fds + k, tc->workers) != 0) {
			if (fds[k] >= 0)
				snprintf(err, sizeof(err), "dup: %s",
				    strerror(errno));
			fprintf(errfp, "%s:%d: tunnel %s: %s\n", conf->file,
			    tc->listen_line, tc->name, err);
			bad = 1;
		}
	}
	if (!bad)
		return (0);
	for (k = 0; k < n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return (-1);
}

/* In a new child: forget every watcher and fd of the supervisor. */
static void
supervisor_forget(struct supervisor *sv, struct tunnel_rt *keep)
{
	struct tunnel_rt	*lists[2] = { sv->tunnels, sv->retiring };
	struct tunnel_rt	*t;
	size_t			 i;

	ev_signal_stop(sv->loop, &sv->sig_term);
	ev_signal_stop(sv->loop, &sv->sig_int);
	ev_signal_stop(sv->loop, &sv->sig_hup);
	ev_signal_stop(sv->loop, &sv->sig_usr1);
	ev_timer_stop(sv->loop, &sv->kill_timer);
	control_forget(sv->control);
	sv->control = NULL;
	watch_forget(sv->watch);
	sv->watch = NULL;
	for (i = 0; i < 2; i++)
		for (t = lists[i]; t != NULL; t = t->next) {
			ev_child_stop(sv->loop, &t->child_w);
			ev_timer_stop(sv->loop, &t->restart_w);
			ipc_free(t->ipc);
			t->ipc = NULL;
			if (t != keep && t->listen_fd >= 0)
				close(t->listen_fd);
		}
	ev_loop_fork(sv->loop);
}

/* Put into words why a worker ended. */
static void
supervisor_death_str(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
}

/* During a stop: when every worker has ended, we are done. */
static void
supervisor_check_stopped(struct supervisor *sv)
{
	struct tunnel_rt	*t;

	if (!sv->stopping)
		return;
	for (t = sv->tunnels; t != NULL; t = t->next)
		if (t->pid > 0)
			return;
	if (sv->retiring != NULL)
		return;
	ev_timer_stop(sv->loop, &sv->kill_timer);
	ev_break(sv->loop, EVBREAK_ALL);
}

/* Free a tunnel whose worker is gone for good. */
static void
supervisor_tunnel_free(struct tunnel_rt *t)
{
	ev_child_stop(t->sv->loop, &t->child_w);
	ev_timer_stop(t->sv->loop, &t->restart_w);
	ipc_free(t->ipc);
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	explicit_bzero(t->ticket_key, sizeof(t->ticket_key));
	room_unref(t->room);
	free(t);
}

/* Take ${t} off the retiring list and free it. */
static void
supervisor_retired(struct supervisor *sv, struct tunnel_rt *t)
{
	struct tunnel_rt	**pp;

	for (pp = &sv->retiring; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	supervisor_tunnel_free(t);
}

/* A worker ended: log why, then restart it after its back-off. */
static void
supervisor_child_cb(struct ev_loop *loop, ev_child *cw, int revents)
{
	struct tunnel_rt	*t = cw->data;
	struct supervisor	*sv = t->sv;
	char			 why[128];
	ev_tstamp		 lived = ev_now(loop) - t->started;

	(void)revents;
	ev_child_stop(loop, cw);
	supervisor_death_str(cw->rstatus, why, sizeof(why));
	t->pid = 0;
	ipc_free(t->ipc);
	t->ipc = NULL;
	room_set(t->room, t->worker, 0);	/* until its successor says */
	control_worker_gone(sv->control, t);
	if (t->state == TUNNEL_STOPPING) {
		log_info("worker %s %s", t->tag, why);
		t->state = TUNNEL_STOPPED;
		if (t->tc == NULL)
			supervisor_retired(sv, t);
		supervisor_check_stopped(sv);
		return;
	}
	if (lived >= STABLE_AFTER) {
		t->backoff = BACKOFF_FIRST;
		t->quick_deaths = 0;
	} else {
		t->quick_deaths++;
	}
	t->state = t->quick_deaths >= FAILED_AFTER ? TUNNEL_FAILED :
	    TUNNEL_BACKOFF;
	log_warnx("worker %s (pid %d) %s after %.1fs; restarting in %.0fs%s",
	    t->tag, (int)cw->rpid, why, lived, t->backoff,
	    t->state == TUNNEL_FAILED ? " (tunnel marked failed)" : "");
	ev_timer_set(&t->restart_w, t->backoff, 0.);
	ev_timer_start(loop, &t->restart_w);
	t->backoff = t->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : t->backoff * 2;
}

/* The back-off has passed. */
static void
supervisor_restart_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct tunnel_rt	*t = tw->data;

	(void)loop;
	(void)revents;
	t->restarts++;
	supervisor_spawn(t);
}

/* A frame from a worker: answers to control requests. */
static void
supervisor_worker_frame_cb(struct ipc *c, const struct proto_hdr *hdr,
    const uint8_t *payload, void *arg)
{
	struct tunnel_rt	*t = arg;

	(void)c;
	control_worker_frame(t->sv->control, t, hdr, payload);
}

/* The worker's channel broke; its death (ev_child) follows and is handled there. */
static void
supervisor_worker_close_cb(struct ipc *c, const char *why, void *arg)
{
	struct tunnel_rt	*t = arg;

	log_debug("worker %s channel: %s", t->tag, why);
	ipc_free(c);
	t->ipc = NULL;
	control_worker_gone(t->sv->control, t);
}

/* Fork the worker of ${t}. */
static void
supervisor_spawn(struct tunnel_rt *t)
{
	struct supervisor	*sv = t->sv;
	sigset_t		 block, saved;
	int			 sp[2];
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		log_warn("worker %s: socketpair", t->tag);
		goto retry;
	}
	/* A signal that reaches the child before it has its own handlers
	 * would find the default action (death): hold them until then. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &saved);
	switch ((pid = fork())) {
	case -1:
		sigprocmask(SIG_SETMASK, &saved, NULL);
		log_warn("worker %s: fork", t->tag);
		close(sp[0]);
		close(sp[1]);
		goto retry;
	case 0:
		close(sp[0]);
		supervisor_forget(sv, t);
		_exit(worker_run(sv->conf, t->tc, t->worker, t->listen_fd,
		    sp[1], t->ticket_key, t->room));
	default:
		break;
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	close(sp[1]);
	t->ipc = ipc_new(sv->loop, sp[0], supervisor_worker_frame_cb,
	    supervisor_worker_close_cb, t);
	t->pid = pid;
	t->started = ev_now(sv->loop);
	/* "failed" is shown while a worker that keeps dying waits to be
	 * restarted; running again, it is running (quick_deaths remembers) */
	t->state = TUNNEL_RUNNING;
	ev_child_set(&t->child_w, pid, 0);
	ev_child_start(sv->loop, &t->child_w);
	log_info("worker %s started, pid %d", t->tag, (int)pid);
	return;

retry:
	ev_timer_set(&t->restart_w, t->backoff, 0.);
	ev_timer_start(sv->loop, &t->restart_w);
}

/* Ask ${t}'s worker to finish (close its listener, drain) and not restart it. */
static void
supervisor_tunnel_stop(struct tunnel_rt *t)
{
	ev_timer_stop(t->sv->loop, &t->restart_w);
	if (t->listen_fd >= 0) {
		close(t->listen_fd);
		t->listen_fd = -1;
	}
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		t->state = TUNNEL_STOPPING;
	} else
		t->state = TUNNEL_STOPPED;
}

/** supervisor_stop(sv): close every listener and let the workers drain. */
void
supervisor_stop(struct supervisor *sv)
{
	struct tunnel_rt	*t;

	if (sv->stopping)
		return;
	sv->stopping = 1;
	log_info("stopping");
	notify_send("STOPPING=1");
	for (t = sv->tunnels; t != NULL; t = t->next)
		supervisor_tunnel_stop(t);
	/* workers give up at shutdown_timeout; this is the backstop */
	ev_timer_set(&sv->kill_timer, sv->conf->shutdown_timeout + 2.0, 0.);
	ev_timer_start(sv->loop, &sv->kill_timer);
	supervisor_check_stopped(sv);
}

/* A worker ignored its stop: kill it. */
static void
supervisor_kill_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct supervisor	*sv = tw->data;
	struct tunnel_rt	*lists[2] = { sv->tunnels, sv->retiring };
	struct tunnel_rt	*t;
	size_t			 i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 2; i++)
		for (t = lists[i]; t != NULL; t = t->next)
			if (t->pid > 0) {
				log_warnx("worker %s did not stop in time; "
				    "killing it", t->tag);
				kill(t->pid, SIGKILL);
			}
}

/* A retired worker outlived shutdown_timeout after a reload. */
static void
supervisor_retire_kill_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct tunnel_rt	*t = tw->data;

	(void)loop;
	(void)revents;
	if (t->pid > 0) {
		log_warnx("worker %s did not stop in time; killing it",
		    t->tag);
		kill(t->pid, SIGKILL);
	}
}

/* Signals, as loop events. */
static void
supervisor_signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct supervisor	*sv = s->data;
	char			 msg[4096];

	(void)loop;
	(void)revents;
	switch (s->signum) {
	case SIGTERM:
	case SIGINT:
		supervisor_stop(sv);
		break;
	case SIGUSR1:
		log_info("SIGUSR1: reloading certificates");
		control_reload_certs(sv->control, "");
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading %s and every tunnel's "
		    "certificates", sv->conf_path);
		(void)supervisor_reload(sv, msg, sizeof(msg));
		/* a renewer sends SIGHUP after rewriting files whose
		 * names, and so the configuration text, stay the same; a
		 * tunnel the reload just started loads them twice, which
		 * is harmless */
		if (!sv->stopping)
			control_reload_certs(sv->control, "");
		break;
	}
}

/* Log what ${t} does, once when it starts. */
static void
supervisor_log_tunnel(const struct tunnel_conf *tc)
{
	char	 where[ADDR_STRLEN], to[ADDR_STRLEN];

	addr_format_hp(&tc->listen, where, sizeof(where));
	if (tunnel_dials_tls(tc->mode))
		log_info("tunnel %s: %s on %s, %zu route%s%s%s", tc->name,
		    tc->mode == TUNNEL_SOCKS ? "socks" : "redirect", where,
		    tc->nroutes, tc->nroutes == 1 ? "" : "s",
		    tc->nroutes == 0 ? " (peers must prove the destination)" :
		    "", tc->socks_user != NULL ? ", RFC 1929 auth" : "");
	else
		log_info("tunnel %s: tls on %s -> %s, %zu allow entr%s",
		    tc->name, where, addr_format_hp(&tc->connect, to,
		    sizeof(to)), tc->nallow, tc->nallow == 1 ? "y" : "ies");
}

/*
 * Worker ${w} of tunnel ${tc}, listening on ${fd} (its own from now on);
 * not yet started.  ${first} is worker 0 of the same tunnel (NULL for
 * worker 0 itself): the workers of a tunnel share its session ticket key.
 * NULL, with the reason in ${err} and ${fd} still the caller's, if it
 * cannot be made.
 */
static struct tunnel_rt *
supervisor_tunnel_new(struct supervisor *sv, const struct tunnel_conf *tc,
    unsigned int w, int fd, const struct tunnel_rt *first, char *err,
    size_t errlen)
{
	struct tunnel_rt	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "calloc: %s", strerror(errno));
		goto err0;
	}
	if (first != NULL) {
		memcpy(t->ticket_key, first->ticket_key, sizeof(t->ticket_key));
		if (first->room != NULL)
			t->room = room_ref(first->room);
	} else {
		if (creds_ticket_key_new(t->ticket_key) != 0) {
			snprintf(err, errlen, "cannot make a session ticket key");
			goto err1;
		}
		if (tc->workers > 1 &&
		    (t->room = room_new(tc->workers)) == NULL) {
			snprintf(err, errlen, "cannot map the workers' room "
			    "table: %s", strerror(errno));
			goto err1;
		}
	}
	t->sv = sv;
	t->tc = tc;
	t->worker = w;
	snprintf(t->name, sizeof(t->name), "%s", tc->name);
	if (tc->workers > 1)
		snprintf(t->tag, sizeof(t->tag), "%s#%u", tc->name, w + 1);
	else
		snprintf(t->tag, sizeof(t->tag), "%s", tc->name);
	t->listen_fd = fd;
	t->backoff = BACKOFF_FIRST;
	ev_child_init(&t->child_w, supervisor_child_cb, 0, 0);
	t->child_w.data = t;
	ev_timer_init(&t->restart_w, supervisor_restart_cb, 0., 0.);
	t->restart_w.data = t;

	/* Success! */
	return (t);

err1:
	explicit_bzero(t->ticket_key, sizeof(t->ticket_key));
	free(t);
err0:
	/* Failure! */
	return (NULL);
}

/* Free the not yet started workers ${t}, ${t}->next, ...; NULL is a no-op. */
static void
supervisor_group_free(struct tunnel_rt *t)
{
	struct tunnel_rt	*next;

	for (; t != NULL; t = next) {
		next = t->next;
		supervisor_tunnel_free(t);
	}
}

/*
 * The workers of tunnel ${tc}, listening on ${fds} (tc->workers of them,
 * theirs from now on), as a list in worker order; not yet started.  NULL,
 * with the reason in ${err} and ${fds} still the caller's, if they cannot
 * be made.
 */
static struct tunnel_rt *
supervisor_tunnel_group(struct supervisor *sv, const struct tunnel_conf *tc,
    const int *fds, char *err, size_t errlen)
{
	struct tunnel_rt	*head = NULL, **tail = &head, *t;
	unsigned int		 w;

	for (w = 0; w < tc->workers; w++) {
		if ((t = supervisor_tunnel_new(sv, tc, w, fds[w], head, err,
		    errlen)) == NULL)
			goto err0;
		*tail = t;
		tail = &t->next;
	}

	/* Success! */
	return (head);

err0:
	/* the descriptors stay the caller's */
	for (t = head; t != NULL; t = t->next)
		t->listen_fd = -1;
	supervisor_group_free(head);

	/* Failure! */
	return (NULL);
}

/** supervisor_state_name(t): "running", "restarting", "failed", ... */
const char *
supervisor_state_name(const struct tunnel_rt *t)
{
	switch (t->state) {
	case TUNNEL_RUNNING:
		return ("running");
	case TUNNEL_BACKOFF:
		return ("restarting");
	case TUNNEL_FAILED:
		return ("failed");
	case TUNNEL_STOPPING:
		return ("stopping");
	default:
		return ("stopped");
	}
}

/** supervisor_find(sv, name): the first worker of the live tunnel ${name}, or NULL. */
struct tunnel_rt *
supervisor_find(struct supervisor *sv, const char *name)
{
	struct tunnel_rt	*t;

	for (t = sv->tunnels; t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			return (t);
	return (NULL);
}

/* A running worker listening where ${tc} wants to, or NULL. */
static struct tunnel_rt *
supervisor_same_listen(struct supervisor *sv, const struct tunnel_conf *tc)
{
	struct tunnel_rt	*t;

	for (t = sv->tunnels; t != NULL; t = t->next)
		if (t->listen_fd >= 0 && t->tc->listen.port == tc->listen.port &&
		    addr_same_host(t->tc->listen.host, tc->listen.host))
			return (t);
	return (NULL);
}

/* Take the first worker of tunnel ${name} off ${sv}'s list; NULL if none. */
static struct tunnel_rt *
supervisor_take(struct supervisor *sv, const char *name)
{
	struct tunnel_rt	**pp, *t;

	for (pp = &sv->tunnels; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			t = *pp;
			*pp = t->next;
			t->next = NULL;
			return (t);
		}
	return (NULL);
}

/*
 * A reload between its prepare and its commit or abort: everything the
 * new configuration needs, built beside the running tunnels, which it has
 * not touched yet.
 */
struct reload {
	struct supervisor	*sv;
	struct sd_conf		*nc;		/* the new configuration */
	int			*fds;		/* nc's listeners, one per worker in
						 * tunnel order; -1 for a tunnel that
						 * keeps its workers, or once fresh
						 * has them */
	size_t			 nfds;
	struct tunnel_rt	**fresh;	/* per tunnel of nc: its new workers
						 * (not started), NULL if it keeps
						 * the running ones */
};

/* Whether the running workers of ${tc}'s tunnel stay: it is defined alike. */
static int
supervisor_keeps(struct supervisor *sv, const struct tunnel_conf *tc)
{
	struct tunnel_rt	*old = supervisor_find(sv, tc->name);

	return (old != NULL && conf_tunnel_equal(old->tc, tc));
}

/* The level to log at under ${conf}: its log_level, raised by -v. */
static int
supervisor_log_level(const struct supervisor *sv, const struct sd_conf *conf)
{
	int	 level = conf->log_level + sv->verbose;

	return (level > LOG_DEBUG ? LOG_DEBUG : level);
}

/* Pass the global settings ${ps} to ${t}'s running worker. */
static void
supervisor_pass_settings(struct tunnel_rt *t, const struct proto_settings *ps)
{
	if (t->pid <= 0 || t->ipc == NULL)
		return;
	if (ipc_send(t->ipc, PROTO_IPC_SETTINGS, 0, ps, sizeof(*ps)) != 0)
		log_warnx("worker %s: its channel is full: it keeps its "
		    "log level and shutdown_timeout", t->tag);
}

/* Load the credentials of each tunnel of ${r} that gets new workers; 0 if all load. */
static int
supervisor_reload_creds(struct reload *r, FILE *errfp)
{
	const struct tunnel_conf *tc;
	struct creds		*cr;
	char			 err[1024];
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < r->nc->ntunnels; i++) {
		tc = &r->nc->tunnels[i];
		if (supervisor_keeps(r->sv, tc))
			continue;
		if ((cr = creds_load(&tc->tls, r->nc->file, NULL, err,
		    sizeof(err))) == NULL) {
			fprintf(errfp, "%s\n", err);
			bad = 1;
		}
		creds_unref(cr);
	}
	return (bad ? -1 : 0);
}

/*
 * Listeners and workers for each tunnel of ${r} that gets new ones,
 * reusing the socket of a tunnel running on the same address; the
 * workers of a tunnel share one (see supervisor_listen()).  0 if all are
 * made.
 */
static int
supervisor_reload_workers(struct reload *r, FILE *errfp)
{
	struct sd_conf		*nc = r->nc;
	const struct tunnel_conf *tc;
	struct tunnel_rt	*old;
	char			 err[1024];
	size_t			 i, k, w;
	int			 bad = 0;

	r->nfds = supervisor_nworkers(nc);
	if ((r->fds = calloc(r->nfds, sizeof(*r->fds))) == NULL ||
	    (r->fresh = calloc(nc->ntunnels, sizeof(*r->fresh))) == NULL) {
		fprintf(errfp, "%s: calloc: %s\n", nc->file, strerror(errno));
		return (-1);
	}
	for (k = 0; k < r->nfds; k++)
		r->fds[k] = -1;
	for (i = 0, k = 0; i < nc->ntunnels; k += tc->workers, i++) {
		tc = &nc->tunnels[i];
		if (supervisor_keeps(r->sv, tc))
			continue;
		if ((old = supervisor_same_listen(r->sv, tc)) != NULL)
			r->fds[k] = dup(old->listen_fd);
		else
			r->fds[k] = supervisor_listen_one(tc, err, sizeof(err));
		if (r->fds[k] < 0 ||
		    supervisor_dup_workers(r->fds + k, tc->workers) != 0) {
			if (r->fds[k] >= 0 || old != NULL)
				snprintf(err, sizeof(err), "dup: %s",
				    strerror(errno));
		} else if ((r->fresh[i] = supervisor_tunnel_group(r->sv, tc,
		    r->fds + k, err, sizeof(err))) != NULL) {
			/* the workers have them now */
			for (w = 0; w < tc->workers; w++)
				r->fds[k + w] = -1;
			continue;
		}
		fprintf(errfp, "%s:%d: tunnel %s: %s\n", nc->file,
		    tc->listen_line, tc->name, err);
		bad = 1;
	}
	return (bad ? -1 : 0);
}

/* Undo what was prepared of ${r}: the running tunnels never saw it. */
static void
supervisor_reload_abort(struct reload *r)
{
	size_t	 i;

	for (i = 0; r->fresh != NULL && i < r->nc->ntunnels; i++)
		supervisor_group_free(r->fresh[i]);
	free(r->fresh);
	for (i = 0; r->fds != NULL && i < r->nfds; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	free(r->fds);
	conf_free(r->nc);
}

/*
 * Read the configuration file again into ${r} and build beside the
 * running tunnels what it needs: the credentials of each tunnel that gets
 * new workers checked, then its listeners and its workers (not started).
 * Return 0 with ${r} ready to commit, or -1 with nothing left of it and
 * the problems, one per line, in ${msg}.
 */
static int
supervisor_reload_prepare(struct supervisor *sv, struct reload *r, char *msg,
    size_t msglen)
{
	FILE	*errfp;
	char	*errbuf = NULL;
	size_t	 errlen = 0, n;

	memset(r, 0, sizeof(*r));
	r->sv = sv;
	if ((errfp = open_memstream(&errbuf, &errlen)) == NULL) {
		snprintf(msg, msglen, "open_memstream: %s", strerror(errno));
		goto err0;
	}
	if ((r->nc = conf_load(sv->conf_path, errfp)) == NULL)
		goto err1;
	/* every bad credential is told before any socket is bound */
	if (supervisor_reload_creds(r, errfp) != 0 ||
	    supervisor_reload_workers(r, errfp) != 0)
		goto err2;
	fclose(errfp);
	free(errbuf);

	/* Success! */
	return (0);

err2:
	supervisor_reload_abort(r);
err1:
	/* a problem that could not even be written is one of memory */
	if (fclose(errfp) != 0 || errbuf == NULL || errbuf[0] == '\0')
		snprintf(msg, msglen, "%s: %s", sv->conf_path,
		    strerror(ENOMEM));
	else {
		snprintf(msg, msglen, "%s", errbuf);
		if ((n = strlen(msg)) > 0 && msg[n - 1] == '\n')
			msg[n - 1] = '\0';
	}
	free(errbuf);
err0:
	/* Failure! */
	return (-1);
}

/*
 * Swap the prepared ${r} in; this cannot fail.  The tunnels that keep
 * their workers take their new definition, what is left of the old list
 * retires (its workers drain), and the fresh workers start.  Every
 * worker kept or retired here takes the new log_level and
 * shutdown_timeout without a restart; one still draining from an earlier
 * reload finishes as that one set it.  Say what changed in ${msg}.
 */
static void
supervisor_reload_commit(struct reload *r, char *msg, size_t msglen)
{
	struct supervisor	*sv = r->sv;
	struct sd_conf		*nc = r->nc;
	const struct tunnel_conf *tc;
	struct tunnel_rt	*t, *old, *head = NULL, **tail = &head;
	struct proto_settings	 ps;
	size_t			 i, added = 0, changed = 0, same = 0;
	size_t			 removed = 0;
	unsigned int		 w;

	memset(&ps, 0, sizeof(ps));
	ps.log_level = supervisor_log_level(sv, nc);
	ps.shutdown_timeout = nc->shutdown_timeout;
	for (i = 0; i < nc->ntunnels; i++) {
		tc = &nc->tunnels[i];
		if (r->fresh[i] == NULL) {
			/* the same number of workers, by conf_tunnel_equal() */
			for (w = 0; w < tc->workers; w++) {
				t = supervisor_take(sv, tc->name);
				t->tc = tc;
				supervisor_pass_settings(t, &ps);
				*tail = t;
				tail = &t->next;
			}
			same++;
			continue;
		}
		if (supervisor_find(sv, tc->name) != NULL)
			changed++;
		else
			added++;
		for (*tail = r->fresh[i]; *tail != NULL; tail = &(*tail)->next)
			;
	}
	while ((old = sv->tunnels) != NULL) {
		sv->tunnels = old->next;
		if (old->worker == 0 && conf_find_tunnel(nc, old->name) == NULL)
			removed++;
		/* before or after the SIGTERM, it drains for the new one */
		supervisor_pass_settings(old, &ps);
		supervisor_tunnel_stop(old);
		old->tc = NULL;
		if (old->pid > 0) {
			old->next = sv->retiring;
			sv->retiring = old;
			/* the old worker drains like a stopping one */
			ev_timer_init(&old->restart_w,
			    supervisor_retire_kill_cb,
			    nc->shutdown_timeout + 2.0, 0.);
			old->restart_w.data = old;
			ev_timer_start(sv->loop, &old->restart_w);
			log_info("tunnel %s: old worker %d drains", old->tag,
			    (int)old->pid);
		} else
			supervisor_tunnel_free(old);
	}
	sv->tunnels = head;
	free(r->fresh);
	free(r->fds);	/* every one is -1: kept or given to fresh */
	conf_free(sv->conf);
	sv->conf = nc;
	watch_set(sv->watch, nc);
	log_setlevel(ps.log_level);
	for (t = sv->tunnels; t != NULL; t = t->next)
		if (t->pid == 0 && t->state != TUNNEL_BACKOFF &&
		    t->state != TUNNEL_FAILED) {
			if (t->worker == 0)
				supervisor_log_tunnel(t->tc);
			supervisor_spawn(t);
		}
	snprintf(msg, msglen, "configuration reloaded: %zu added, %zu "
	    "removed, %zu changed, %zu unchanged", added, removed, changed,
	    same);
	log_info("%s", msg);
}

/**
 * supervisor_reload(sv, msg, msglen): re-read the configuration file and
 * apply it: add, remove and restart tunnels whose definition changed,
 * and pass log_level and shutdown_timeout to the workers kept running.
 * On an invalid file, or when what it needs cannot be made, change
 * nothing.  Return 0 or -1, with what happened (or the FILE:LINE
 * problems) in ${msg}.
 */
int
supervisor_reload(struct supervisor *sv, char *msg, size_t msglen)
{
	struct reload	 r;

	if (sv->stopping) {
		snprintf(msg, msglen, "the daemon is stopping");
		log_warnx("reload refused: %s", msg);
		return (-1);
	}
	notify_send("RELOADING=1");
	if (supervisor_reload_prepare(sv, &r, msg, msglen) != 0) {
		log_warnx("reload refused, keeping the running configuration:");
		log_lines(LOG_WARNING, "  ", msg);
		notify_send("READY=1");
		return (-1);
	}
	supervisor_reload_commit(&r, msg, msglen);
	notify_send("READY=1");
	return (0);
}

/* reload_on_change: files of ${tunnel} changed (watch.c). */
static void
supervisor_watch_cb(void *arg, const char *tunnel)
{
	struct supervisor	*sv = arg;

	if (!sv->stopping)
		control_reload_certs(sv->control, tunnel);
}

/**
 * supervisor_run(confp, path, verbose, fds, control): fork the workers and
 * run until stopped.  The supervisor owns *${confp} and replaces it on
 * reload; ${control} (may be NULL) is the open control socket.  Return
 * the exit status for the daemon.
 */
int
supervisor_run(struct sd_conf **confp, const char *path, int verbose,
    int *fds, struct control *control)
{
	struct supervisor	 sv;
	const struct tunnel_conf *tc;
	struct tunnel_rt	*t, **tail;
	char			 err[256];
	size_t			 i, k;

	memset(&sv, 0, sizeof(sv));
	sv.loop = EV_DEFAULT;
	sv.conf = *confp;
	sv.conf_path = path;
	sv.verbose = verbose;
	sv.control = control;
	ev_signal_init(&sv.sig_term, supervisor_signal_cb, SIGTERM);
	ev_signal_init(&sv.sig_int, supervisor_signal_cb, SIGINT);
	ev_signal_init(&sv.sig_hup, supervisor_signal_cb, SIGHUP);
	ev_signal_init(&sv.sig_usr1, supervisor_signal_cb, SIGUSR1);
	sv.sig_term.data = sv.sig_int.data = sv.sig_hup.data =
	    sv.sig_usr1.data = &sv;
	ev_signal_start(sv.loop, &sv.sig_term);
	ev_signal_start(sv.loop, &sv.sig_int);
	ev_signal_start(sv.loop, &sv.sig_hup);
	ev_signal_start(sv.loop, &sv.sig_usr1);
	ev_timer_init(&sv.kill_timer, supervisor_kill_cb, 0., 0.);
	sv.kill_timer.data = &sv;
	if (control != NULL)
		control_start(control, &sv);
	if ((sv.watch = watch_new(sv.loop, supervisor_watch_cb, &sv)) == NULL)
		log_warnx("reload_on_change: out of memory: changed "
		    "certificate files need reload-certs");
	watch_set(sv.watch, sv.conf);

	/* Every tunnel is known before the first fork, so that each worker
	 * closes the listeners that are not its own. */
	tail = &sv.tunnels;
	for (i = 0, k = 0; i < sv.conf->ntunnels; i++) {
		tc = &sv.conf->tunnels[i];
		if ((*tail = supervisor_tunnel_group(&sv, tc, fds + k, err,
		    sizeof(err))) == NULL)
			fatalx("tunnel %s: %s", tc->name, err);
		while (*tail != NULL)
			tail = &(*tail)->next;
		k += tc->workers;
	}
	for (t = sv.tunnels; t != NULL; t = t->next) {
		if (t->worker == 0)
			supervisor_log_tunnel(t->tc);
		supervisor_spawn(t);
	}
	/* Listeners are bound and the control socket is up: connections
	 * queue until a worker takes them, so we are ready now. */
	notify_send("READY=1");
	ev_run(sv.loop, 0);

	log_info("stopped");
	watch_free(sv.watch);
	control_close(sv.control);
	while ((t = sv.tunnels) != NULL) {
		sv.tunnels = t->next;
		supervisor_tunnel_free(t);
	}
	while ((t = sv.retiring) != NULL) {
		sv.retiring = t->next;
		supervisor_tunnel_free(t);
	}
	*confp = sv.conf;
	return (0);
}
