/*
 * worker.c: one process per tunnel.  It owns the tunnel's listener (bound
 * by the supervisor before the fork), its credentials and every
 * connection; signals arrive as loop events (hitch's drain on stop).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "creds.h"
#include "log.h"
#include "resolve.h"
#include "worker.h"

#define WORKER_ACCEPT_BATCH	32
#define WORKER_OVER_LIMIT_SLACK	64	/* refused-but-answered SOCKS clients */

/* Stop accepting and let the open connections finish. */
static void
worker_drain(struct worker *w)
{
	if (w->draining)
		return;
	w->draining = 1;
	ev_io_stop(w->loop, &w->accept_w);
	ev_timer_stop(w->loop, &w->accept_pause);
	close(w->listen_fd);
	w->listen_fd = -1;
	if (w->nconns == 0) {
		ev_break(w->loop, EVBREAK_ALL);
		return;
	}
	log_info("stopping: waiting up to %us for %u connection%s",
	    w->conf->shutdown_timeout, w->nconns, w->nconns == 1 ? "" : "s");
	ev_timer_set(&w->drain_timer, w->conf->shutdown_timeout, 0.);
	ev_timer_start(w->loop, &w->drain_timer);
}

/* shutdown_timeout passed: close what is left. */
static void
worker_drain_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;

	(void)revents;
	log_info("shutdown_timeout reached: closing %u connection%s",
	    w->nconns, w->nconns == 1 ? "" : "s");
	while (w->conns != NULL)
		conn_close(w->conns, "daemon stopping");
	ev_break(loop, EVBREAK_ALL);
}

/** worker_conn_done(w): a connection of ${w} has closed. */
void
worker_conn_done(struct worker *w)
{
	w->nconns--;
	if (w->draining && w->nconns == 0)
		ev_break(w->loop, EVBREAK_ALL);
}

/* Out of file descriptors: try accepting again in a second. */
static void
worker_accept_resume_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;

	(void)revents;
	if (!w->draining)
		ev_io_start(loop, &w->accept_w);
}

/* The listener is readable: take a batch of new connections. */
static void
worker_accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker		*w = io->data;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	unsigned int		 max = w->tc->max_connections;
	int			 fd, i;

	(void)revents;
	for (i = 0; i < WORKER_ACCEPT_BATCH; i++) {
		sslen = sizeof(ss);
		fd = accept4(w->listen_fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* pause, or libev calls us again at once */
				log_warn("accept");
				ev_io_stop(loop, &w->accept_w);
				ev_timer_set(&w->accept_pause, 1., 0.);
				ev_timer_start(loop, &w->accept_pause);
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (w->nconns >= max + (w->tc->mode == TUNNEL_SOCKS ?
		    WORKER_OVER_LIMIT_SLACK : 0)) {
			close(fd);
			w->handshakes_failed += w->tc->mode == TUNNEL_TLS;
			continue;
		}
		conn_start(w, fd, (struct sockaddr *)&ss, w->nconns >= max);
	}
}

/* EOF from the supervisor: it is gone, and so are we. */
static void
worker_ipc_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker	*w = io->data;
	char		 buf[256];
	ssize_t		 n;

	(void)loop;
	(void)revents;
	n = read(w->ipc_fd, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		log_warnx("supervisor went away; exiting");
		_exit(1);
	}
}

/* SIGUSR1: build new credentials, swap them in only if they are good. */
static void
worker_reload_creds(struct worker *w)
{
	struct creds	*c;
	char		 err[1024];

	if ((c = creds_load(&w->tc->tls, w->conf->file, err,
	    sizeof(err))) == NULL) {
		log_warnx("reload-certs failed, keeping the current "
		    "certificates: %s", err);
		return;
	}
	creds_unref(w->creds);
	w->creds = c;
	log_info("certificates reloaded: %s", creds_subject(c));
}

/* Signals, as loop events. */
static void
worker_signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct worker	*w = s->data;

	(void)loop;
	(void)revents;
	switch (s->signum) {
	case SIGTERM:
	case SIGINT:
		worker_drain(w);
		break;
	case SIGUSR1:
		worker_reload_creds(w);
		break;
	default:
		break;
	}
}

/**
 * worker_run(conf, tc, listen_fd, ipc_fd): serve tunnel ${tc} on
 * ${listen_fd} in this (freshly forked) process until stopped; the
 * supervisor end of ${ipc_fd} closing means the supervisor died.  Return
 * the process exit status.
 */
int
worker_run(const struct sd_conf *conf, const struct tunnel_conf *tc,
    int listen_fd, int ipc_fd)
{
	struct worker	 w;
	char		 tag[128], err[1024];

	memset(&w, 0, sizeof(w));
	snprintf(tag, sizeof(tag), "worker %s", tc->name);
	log_procinit(tag);
	w.loop = EV_DEFAULT;
	w.conf = conf;
	w.tc = tc;
	w.listen_fd = listen_fd;
	w.ipc_fd = ipc_fd;
	if ((w.creds = creds_load(&tc->tls, conf->file, err,
	    sizeof(err))) == NULL) {
		log_warnx("cannot load certificates: %s", err);
		return (1);
	}
	if ((w.resolver = resolver_new(w.loop)) == NULL) {
		log_warnx("cannot create resolver");
		return (1);
	}

	ev_io_init(&w.accept_w, worker_accept_cb, listen_fd, EV_READ);
	ev_io_init(&w.ipc_w, worker_ipc_cb, ipc_fd, EV_READ);
	ev_timer_init(&w.accept_pause, worker_accept_resume_cb, 1., 0.);
	ev_timer_init(&w.drain_timer, worker_drain_timeout_cb, 0., 0.);
	ev_signal_init(&w.sig_term, worker_signal_cb, SIGTERM);
	ev_signal_init(&w.sig_int, worker_signal_cb, SIGINT);
	ev_signal_init(&w.sig_usr1, worker_signal_cb, SIGUSR1);
	ev_signal_init(&w.sig_hup, worker_signal_cb, SIGHUP);
	w.accept_w.data = w.ipc_w.data = &w;
	w.accept_pause.data = w.drain_timer.data = &w;
	w.sig_term.data = w.sig_int.data = w.sig_usr1.data =
	    w.sig_hup.data = &w;
	ev_io_start(w.loop, &w.accept_w);
	ev_io_start(w.loop, &w.ipc_w);
	ev_signal_start(w.loop, &w.sig_term);
	ev_signal_start(w.loop, &w.sig_int);
	ev_signal_start(w.loop, &w.sig_usr1);
	ev_signal_start(w.loop, &w.sig_hup);

	log_debug("serving with %s, certificate expires in %ld days",
	    creds_subject(w.creds),
	    (long)((creds_not_after(w.creds) - time(NULL)) / 86400));
	ev_run(w.loop, 0);

	log_info("stopped");
	creds_unref(w.creds);
	return (0);
}
