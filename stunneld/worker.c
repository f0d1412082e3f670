/*
 * worker.c: one process per tunnel.  It owns the tunnel's listener (bound
 * by the supervisor before the fork), its credentials and every
 * connection; signals arrive as loop events (hitch's drain on stop).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "conf.h"
#include "conn.h"
#include "creds.h"
#include "expiry.h"
#include "ipc.h"
#include "log.h"
#include "resolve.h"
#include "room.h"
#include "sandbox.h"
#include "throttle.h"
#include "tls.h"
#include "worker.h"

/* One open connection, in its worker's list (spiped's conn_list_node). */
struct worker_conn {
	struct worker_conn	*prev, *next;
	struct worker		*w;
	struct conn		*conn;		/* set by CONN_EV_OPEN */
};

struct worker {
	struct conn_env		 env;		/* loop, tc, creds, ... lent to
						 * the connections */
	const struct sd_conf	*conf;
	unsigned int		 index;		/* 0 .. tc->workers - 1 */
	struct room		*room;		/* which siblings have room */
	int			 listen_fd;
	const uint8_t		*ticket_key;	/* the tunnel's, for creds_load() */
	unsigned int		 shutdown_timeout;	/* conf's, or a reload's */
	struct ipc		*ipc;		/* to the supervisor */
	ev_io			 accept_w;
	ev_timer		 accept_pause;
	ev_timer		 drain_timer;
	ev_signal		 sig_term;
	ev_signal		 sig_int;
	ev_signal		 sig_usr1;
	ev_signal		 sig_hup;
	ev_periodic		 crl_timer;	/* worker 0: the next CRL warning */
	time_t			 crl_checked;	/* when CRLs were last looked at */
	time_t			 certs_loaded_at;
	struct expiry		 expiry;	/* which of those warnings are given */
	ev_periodic		 expiry_w;	/* the next one */
	struct worker_conn	*conns;
	unsigned int		 nconns;
	int			 draining;
	unsigned int		 yield_queued;	/* waiting when we last yielded */
	uint64_t		 conns_total;
	uint64_t		 handshakes_failed;
	uint64_t		 socks_refused;
	/* the lines a flood of connections could repeat */
	struct log_limit	 log_accept;
	struct log_limit	 log_pause;	/* accept, out of descriptors */
	struct log_limit	 log_overflow;
	struct log_limit	 log_nomem;
	struct log_limit	 log_throttled;
	struct log_limit	 log_source;
	struct log_limit	 log_evicted;
	uint64_t		 bytes_in;	/* from the plaintext side */
	uint64_t		 bytes_out;	/* to the plaintext side */
};

#define WORKER_ACCEPT_BATCH	32
#define WORKER_OVER_LIMIT_SLACK	64	/* refused-but-answered SOCKS clients */
#define WORKER_YIELD		0.05	/* seconds a full worker leaves new
					 * connections to the others */
#define WORKER_CRL_REWARN	3600	/* seconds between warnings about a
					 * CRL past its next update */

/*
 * Log the warning about our own certificate that is due at ${now}, if
 * any, and arm the timer for the next one.  The moments are wall-clock
 * times, hence an ev_periodic.
 */
static void
worker_expiry_check(struct worker *w, time_t now)
{
	char	 when[32];
	time_t	 at;
	int	 days;

	/* one warning per tunnel, not one per worker */
	if (w->index != 0)
		return;
	ev_periodic_stop(w->env.loop, &w->expiry_w);
	creds_time(w->expiry.not_after, when, sizeof(when));
	if ((days = expiry_due(&w->expiry, now)) == EXPIRY_EXPIRED)
		log_warnx("certificate %s is past its end (valid until %s): "
		    "peers refuse new connections until reload-certs loads a "
		    "renewed one", creds_subject(w->env.creds), when);
	else if (days > 0)
		log_warnx("certificate %s expires within %d day%s, at %s: "
		    "renew it and run reload-certs", creds_subject(w->env.creds),
		    days, days == 1 ? "" : "s", when);
	if ((at = expiry_next(&w->expiry)) == 0 || w->draining)
		return;
	ev_periodic_set(&w->expiry_w, (ev_tstamp)at, 0., NULL);
	ev_periodic_start(w->env.loop, &w->expiry_w);
}

/* The next warning about our own certificate is due. */
static void
worker_expiry_cb(struct ev_loop *loop, ev_periodic *p, int revents)
{
	(void)revents;
	/* ev_now(), not time(): the clock the periodic went off by */
	worker_expiry_check(p->data, (time_t)ev_now(loop));
}

/*
 * Certificates were (re)loaded, replacing ${old} (NULL: none): a
 * certificate other than the one warned about starts again with no
 * warning given.  Reloading the same one (for a new CRL, say) does not
 * repeat its warnings.
 */
static void
worker_expiry_start(struct worker *w, const struct creds *old)
{
	if (old == NULL || creds_not_after(old) != creds_not_after(w->env.creds) ||
	    strcmp(creds_subject(old), creds_subject(w->env.creds)) != 0)
		expiry_init(&w->expiry, creds_not_after(w->env.creds));
	worker_expiry_check(w, time(NULL));
}

/* Stop accepting and let the open connections finish. */
static void
worker_drain(struct worker *w)
{
	if (w->draining)
		return;
	w->draining = 1;
	/* a new worker, if any, takes over the warnings */
	ev_periodic_stop(w->env.loop, &w->expiry_w);
	ev_periodic_stop(w->env.loop, &w->crl_timer);
	room_set(w->room, w->index, 0);
	ev_io_stop(w->env.loop, &w->accept_w);
	ev_timer_stop(w->env.loop, &w->accept_pause);
	close(w->listen_fd);
	w->listen_fd = -1;
	if (w->nconns == 0) {
		ev_break(w->env.loop, EVBREAK_ALL);
		return;
	}
	log_info("stopping: waiting up to %us for %u connection%s",
	    w->shutdown_timeout, w->nconns, w->nconns == 1 ? "" : "s");
	ev_timer_set(&w->drain_timer, w->shutdown_timeout, 0.);
	ev_timer_start(w->env.loop, &w->drain_timer);
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
		conn_close(w->conns->conn, "daemon stopping");
	ev_break(loop, EVBREAK_ALL);
}

/*
 * Tell the siblings whether we take new connections, whenever that can
 * change: a slot that said "full" after our connections closed would
 * have a full sibling refuse what we have room for, if we were slow to
 * wake for them (a loaded machine, a stopped process).
 */
static void
worker_room_publish(struct worker *w)
{
	room_set(w->room, w->index,
	    !w->draining && w->nconns < w->env.tc->max_connections);
}

/* What connection ${c} of ${cookie} (its worker_conn) reports. */
static void
worker_conn_cb(void *cookie, struct conn *c, enum conn_event ev, uint64_t in,
    uint64_t out)
{
	struct worker_conn	*wc = cookie;
	struct worker		*w = wc->w;

	switch (ev) {
	case CONN_EV_OPEN:
		wc->conn = c;
		if ((wc->next = w->conns) != NULL)
			wc->next->prev = wc;
		w->conns = wc;
		w->nconns++;
		w->conns_total++;
		break;
	case CONN_EV_REFUSED:
		w->socks_refused++;
		break;
	case CONN_EV_HANDSHAKE_FAILED:
		w->handshakes_failed++;
		break;
	case CONN_EV_BYTES:
		w->bytes_in += in;
		w->bytes_out += out;
		break;
	case CONN_EV_CLOSED:
		if (wc->prev != NULL)
			wc->prev->next = wc->next;
		else
			w->conns = wc->next;
		if (wc->next != NULL)
			wc->next->prev = wc->prev;
		free(wc);
		w->nconns--;
		worker_room_publish(w);
		if (w->draining && w->nconns == 0)
			ev_break(w->env.loop, EVBREAK_ALL);
		break;
	}
}

/*
 * Serve the accepted ${fd} from ${sa}; ${over_limit} as for conn_start().
 * Out of memory, the connection is closed: no TLS or SOCKS work was done,
 * so it is not a failure of its address.
 */
static void
worker_conn_start(struct worker *w, int fd, const struct sockaddr *sa,
    int over_limit)
{
	struct worker_conn	*wc;
	struct throttle_key	 key;

	if ((wc = calloc(1, sizeof(*wc))) == NULL) {
		close(fd);
		goto err0;
	}
	wc->w = w;
	if (conn_start(&w->env, fd, sa, over_limit, worker_conn_cb, wc) != 0)
		goto err1;

	/* Success! */
	return;

err1:
	free(wc);
err0:
	/* Failure! */
	log_limited(&w->log_nomem, LOG_WARNING, ENOMEM, "conn_start");
	if (w->env.throttle != NULL) {
		throttle_key(sa, &key);
		throttle_done(w->env.throttle, &key, 0, ev_now(w->env.loop));
	}
}

/* Connections waiting in the listener's accept queue (0 if unknown). */
static unsigned int
worker_accept_queue(const struct worker *w)
{
	struct tcp_info	 ti;
	socklen_t	 len = sizeof(ti);

	/* on a listening socket the kernel reports the queue in unacked */
	if (getsockopt(w->listen_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return (0);
	return (ti.tcpi_unacked);
}

/* Log a connection the throttle closed (rate-limited: a flood repeats it). */
static void
worker_log_throttled(struct worker *w, const struct sockaddr *sa)
{
	char		 who[ADDR_STRLEN], *colon;

	/* the address without its port: the throttle counts per address */
	addr_format(sa, who, sizeof(who));
	if ((colon = strrchr(who, ':')) != NULL)
		*colon = '\0';
	log_limited(&w->log_throttled, LOG_WARNING, -1, "closed a new "
	    "connection from %s, an address whose handshakes keep failing "
	    "(at most %d handshakes in progress per such address)", who,
	    THROTTLE_INFLIGHT);
}

/* Log a handshake closed to make room at the limit (rate-limited). */
static void
worker_log_evicted(struct worker *w, char *victim)
{
	char	*colon;

	if ((colon = strrchr(victim, ':')) != NULL)
		*colon = '\0';
	log_limited(&w->log_evicted, LOG_WARNING, -1, "max_connections (%u) "
	    "reached: closed a handshake in progress from %s, the address "
	    "with the most, to make room", w->env.tc->max_connections, victim);
}

/*
 * Accept up to ${n} connections and start them, or refuse them at the
 * limit or, in a tls tunnel, when their address is throttled.  A tls
 * tunnel at its limit makes room, if it can, by closing a handshake of
 * the address with the most in progress.  Return 0, or -1 if accepting is
 * paused (out of descriptors).
 */
static int
worker_accept(struct worker *w, int n)
{
	struct sockaddr_storage	 ss;
	struct throttle_key	 key;
	socklen_t		 sslen;
	unsigned int		 max = w->env.tc->max_connections;
	char			 victim[ADDR_STRLEN];
	int			 fd, i;

	for (i = 0; i < n; i++) {
		sslen = sizeof(ss);
		fd = accept4(w->listen_fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* pause, or libev calls us again at once */
				log_limited(&w->log_pause, LOG_WARNING, errno,
				    "accept paused");
				ev_io_stop(w->env.loop, &w->accept_w);
				ev_timer_set(&w->accept_pause, 1., 0.);
				ev_timer_start(w->env.loop, &w->accept_pause);
				return (-1);
			}
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_limited(&w->log_accept, LOG_WARNING, errno,
				    "accept");
			return (0);
		}
		if (w->env.throttle != NULL) {
			throttle_key((struct sockaddr *)&ss, &key);
			if (!throttle_admit(w->env.throttle, &key,
			    ev_now(w->env.loop))) {
				/* Before any TLS work, as at the limit: its
				 * handshakes would only keep us signing for
				 * it while good peers wait. */
				close(fd);
				w->handshakes_failed++;
				worker_log_throttled(w, (struct sockaddr *)&ss);
				continue;
			}
		}
		if (w->nconns >= max + (tunnel_dials_tls(w->env.tc->mode) ?
		    WORKER_OVER_LIMIT_SLACK : 0)) {
			/* Before its failures limit it, one address could
			 * hold every place, and all newcomers would be
			 * closed here: one of its handshakes goes instead.
			 * Never an established link. */
			if (w->env.throttle != NULL &&
			    conn_evict(&w->env, &key, victim, sizeof(victim))) {
				worker_log_evicted(w, victim);
			} else {
				/* Closed before any TLS or SOCKS work costs
				 * us CPU; not a failure of its address. */
				if (w->env.throttle != NULL)
					throttle_done(w->env.throttle, &key, 0,
					    ev_now(w->env.loop));
				close(fd);
				w->handshakes_failed +=
				    w->env.tc->mode == TUNNEL_TLS;
				w->socks_refused +=
				    tunnel_dials_tls(w->env.tc->mode);
				log_limited(&w->log_overflow, LOG_WARNING, -1,
				    "max_connections (%u) reached: closed a new "
				    "connection", max);
				continue;
			}
		}
		worker_conn_start(w, fd, (struct sockaddr *)&ss,
		    w->nconns >= max);
		worker_room_publish(w);
	}
	return (0);
}

/*
 * Accepting was paused: out of descriptors, or full and yielding to the
 * other workers.  After a yield, the connections that were already
 * waiting then and still wait now (the queue is first in, first out)
 * are the ones no other worker took: they are refused here.
 */
static void
worker_accept_resume_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;
	unsigned int	 left, n = w->yield_queued;

	(void)revents;
	w->yield_queued = 0;
	if (w->draining)
		return;
	if (w->env.tc->workers > 1 && w->nconns < w->env.tc->max_connections) {
		room_set(w->room, w->index, 1);
		n = 0;		/* room again: take them ourselves */
	} else if (n > 0 && room_elsewhere(w->room, w->index)) {
		/* a sibling with room takes them, however long the machine
		 * makes it wait: refusing them now would be wrong */
		w->yield_queued = worker_accept_queue(w);
		ev_timer_set(&w->accept_pause, WORKER_YIELD, 0.);
		ev_timer_start(loop, &w->accept_pause);
		return;
	}
	if (n > 0) {
		if ((left = worker_accept_queue(w)) < n)
			n = left;
		if (worker_accept(w, (int)n) != 0)
			return;		/* paused again */
	}
	ev_io_start(loop, &w->accept_w);
}

/* The listener is readable: take a batch of new connections. */
static void
worker_accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker	*w = io->data;
	unsigned int	 max = w->env.tc->max_connections;

	(void)revents;
	if (w->env.tc->workers > 1 && w->nconns < max) {
		room_set(w->room, w->index, 1);
		/* no more than we have room for: the rest may find some */
		(void)worker_accept(w, max - w->nconns < WORKER_ACCEPT_BATCH ?
		    (int)(max - w->nconns) : WORKER_ACCEPT_BATCH);
		return;
	}
	if (w->env.tc->workers > 1) {
		/* Full, with other workers on the same socket: one of them
		 * may have room (room.h).  What is still waiting when none
		 * has is refused here (worker_accept_resume_cb). */
		room_set(w->room, w->index, 0);
		w->yield_queued = worker_accept_queue(w);
		ev_io_stop(loop, &w->accept_w);
		ev_timer_set(&w->accept_pause, WORKER_YIELD, 0.);
		ev_timer_start(loop, &w->accept_pause);
		return;
	}
	(void)worker_accept(w, WORKER_ACCEPT_BATCH);
}

/*
 * Warn about each CRL of the tunnel past its next update at ${now}: it
 * ${how} ("is", "is still") past it, or "has just gone" past it if that
 * was after ${since}.
 */
static void
worker_crl_warn(struct worker *w, time_t now, time_t since, const char *how)
{
	const char	*file;
	time_t		 nu;
	unsigned int	 it = 0;
	char		 tbuf[32];

	while (creds_crl_past(w->env.creds, now, &it, &file, &nu)) {
		log_warnx("CRL %s %s past its next update (%s): %s", file,
		    since != 0 && nu > since ? "has just gone" : how,
		    creds_time(nu, tbuf, sizeof(tbuf)),
		    creds_crl_strict(w->env.creds) ?
		    "peers whose chain it covers are refused (crl_strict)" :
		    "it still revokes, and peers are accepted (crl_strict is "
		    "off)");
	}
}

/* When the CRL timer is next due after ${now}: the next CRL to go past its next update, or an hour if one is past. */
static time_t
worker_crl_due(struct worker *w, time_t now)
{
	time_t	 nu = creds_crl_next_update(w->env.creds);

	if (nu == 0)
		return (0);
	if (now < nu)
		return (nu);
	return (now + WORKER_CRL_REWARN);
}

/*
 * Credentials were loaded: warn now if their CRL is past its next update,
 * and set the timer for the next warning (at the next update, or an hour
 * from now).  Only the first worker of a tunnel does, so that "workers =
 * N" does not say it N times.
 */
static void
worker_crl_watch(struct worker *w)
{
	time_t	 now = time(NULL), at;

	ev_periodic_stop(w->env.loop, &w->crl_timer);
	if (w->index != 0 || w->draining ||
	    (at = worker_crl_due(w, now)) == 0)
		return;
	worker_crl_warn(w, now, 0, "is");
	w->crl_checked = now;
	/* a wall-clock time: months ahead, monotonic time would drift */
	ev_periodic_set(&w->crl_timer, (ev_tstamp)at, 0., 0);
	ev_periodic_start(w->env.loop, &w->crl_timer);
}

/* The CRL timer: its next update has come, or another hour has passed. */
static void
worker_crl_timer_cb(struct ev_loop *loop, ev_periodic *p, int revents)
{
	struct worker	*w = p->data;
	time_t		 now = (time_t)ev_now(loop), at;

	(void)revents;
	/* before the earliest next update only if the clock was set back */
	if ((at = worker_crl_due(w, now)) == 0)
		return;
	if (now >= creds_crl_next_update(w->env.creds)) {
		worker_crl_warn(w, now, w->crl_checked, "is still");
		w->crl_checked = now;
	}
	ev_periodic_set(p, (ev_tstamp)at, 0., 0);
	ev_periodic_start(loop, p);
}

/*
 * Build new credentials and swap them in only if they are good; then
 * close the open connections whose peer the new CA, CRL or allow-list
 * refuses.  Return 0, or -1; ${msg} says what happened.
 */
static int
worker_reload_creds(struct worker *w, char *msg, size_t msglen)
{
	struct creds	*c, *old;
	struct worker_conn *wc, *next;
	char		 err[1024], what[512];
	unsigned int	 closed = 0;

	if ((c = creds_load(&w->env.tc->tls, w->conf->file, w->ticket_key, err,
	    sizeof(err))) == NULL) {
		log_warnx("reload-certs failed, keeping the current "
		    "certificates: %s", err);
		snprintf(msg, msglen, "%s (the current certificates stay "
		    "in use)", err);
		return (-1);
	}
	old = w->env.creds;
	w->env.creds = c;
	w->certs_loaded_at = time(NULL);
	/* A session resumed from a ticket shows the peer the certificate
	 * this node had when the session began, perhaps the one just
	 * replaced (and after its end, a refusal): new links start afresh,
	 * at the cost of one full handshake per destination. */
	tls_cache_clear(w->env.tls_cache);
	worker_crl_watch(w);
	worker_expiry_start(w, old);
	creds_unref(old);
	for (wc = w->conns; wc != NULL; wc = next) {
		next = wc->next;
		closed += conn_recheck(wc->conn, c);
	}
	snprintf(what, sizeof(what), "%s, expires in %ld days; %u "
	    "connection%s closed", creds_subject(c),
	    (long)((creds_not_after(c) - time(NULL)) / 86400), closed,
	    closed == 1 ? "" : "s");
	log_info("certificates reloaded: %s after the re-check", what);
	snprintf(msg, msglen, "reloaded %s", what);
	return (0);
}

/* Our counters and credentials, as stunnelctl status shows them. */
static void
worker_stats(struct worker *w, struct proto_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->connections_active = w->nconns;
	st->connections_total = w->conns_total;
	st->bytes_in = w->bytes_in;
	st->bytes_out = w->bytes_out;
	st->handshakes_failed = w->handshakes_failed;
	st->socks_refused = w->socks_refused;
	st->cert_not_after = (int64_t)creds_not_after(w->env.creds);
	st->certs_loaded_at = (int64_t)w->certs_loaded_at;
	st->crl_next_update = (int64_t)creds_crl_next_update(w->env.creds);
	st->crls = creds_crl_count(w->env.creds);
	st->crl_flags = creds_crl_strict(w->env.creds) ? PROTO_CRL_STRICT : 0;
	snprintf(st->cert_subject, sizeof(st->cert_subject), "%s",
	    creds_subject(w->env.creds));
}

/*
 * A reload passes on the global settings ${ps}; they apply from now on.
 * A drain under way then ends the new shutdown_timeout after it began,
 * whether the same reload's SIGTERM came before these settings or after.
 */
static void
worker_settings(struct worker *w, const struct proto_settings *ps)
{
	ev_tstamp	 left;
	int		 level = ps->log_level;

	if (level < LOG_ERR)
		level = LOG_ERR;
	else if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	if (level == log_getlevel() &&
	    ps->shutdown_timeout == w->shutdown_timeout)
		return;
	log_setlevel(level);
	if (ev_is_active(&w->drain_timer) &&
	    ps->shutdown_timeout != w->shutdown_timeout) {
		left = ev_timer_remaining(w->env.loop, &w->drain_timer) +
		    (ev_tstamp)ps->shutdown_timeout -
		    (ev_tstamp)w->shutdown_timeout;
		if (left < 0.)
			left = 0.;
		ev_timer_stop(w->env.loop, &w->drain_timer);
		ev_timer_set(&w->drain_timer, left, 0.);
		ev_timer_start(w->env.loop, &w->drain_timer);
		log_info("shutdown_timeout %us from the reload: closing what "
		    "is left in %.0fs", ps->shutdown_timeout, left);
	}
	w->shutdown_timeout = ps->shutdown_timeout;
	log_debug("%s: log level %d, shutdown_timeout %us from the reload",
	    __func__, level, w->shutdown_timeout);
}

/* A request from the supervisor. */
static void
worker_ipc_frame_cb(struct ipc *c, const struct proto_hdr *hdr,
    const uint8_t *payload, void *arg)
{
	struct worker		*w = arg;
	struct proto_stats	 st;
	struct proto_conn	 pc;
	struct proto_settings	 ps;
	struct worker_conn	*wc;
	char			 msg[2048];

	switch (hdr->type) {
	case PROTO_IPC_STATS:
		worker_stats(w, &st);
		ipc_send(c, PROTO_IPC_STATS_REP, hdr->seq, &st, sizeof(st));
		break;
	case PROTO_IPC_CONNS:
		for (wc = w->conns; wc != NULL; wc = wc->next) {
			conn_describe(wc->conn, &pc);
			if (ipc_send(c, PROTO_REP_CONN, hdr->seq, &pc,
			    sizeof(pc)) != 0)
				break;
		}
		ipc_send(c, PROTO_REP_END, hdr->seq, NULL, 0);
		break;
	case PROTO_IPC_RELOAD_CERTS:
		if (worker_reload_creds(w, msg, sizeof(msg)) == 0)
			ipc_send_text(c, PROTO_REP_OK, hdr->seq, msg);
		else
			ipc_send_text(c, PROTO_REP_FAIL, hdr->seq, msg);
		break;
	case PROTO_IPC_SETTINGS:
		/* the length is checked; the payload may not be aligned */
		memcpy(&ps, payload, sizeof(ps));
		worker_settings(w, &ps);
		break;
	default:
		log_warnx("unexpected message %u from the supervisor",
		    (unsigned)hdr->type);
		break;
	}
}

/* The supervisor's end closed: it is gone, and so are we. */
static void
worker_ipc_close_cb(struct ipc *c, const char *why, void *arg)
{
	(void)c;
	(void)arg;
	log_warnx("supervisor went away (%s); exiting", why);
	log_limit_detach(1);
	_exit(1);
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
	case SIGUSR1: {
		char	 msg[2048];

		worker_reload_creds(w, msg, sizeof(msg));
		break;
	}
	default:
		break;
	}
}

/**
 * worker_run(conf, tc, index, listen_fd, ipc_fd, ticket_key, room):
 * serve tunnel ${tc} as its worker ${index} (0 .. tc->workers - 1;
 * worker 0 logs the warnings about the tunnel's CRL and before its
 * certificate expires) on ${listen_fd} in this (freshly forked) process
 * until stopped, issuing session tickets under ${ticket_key}
 * (CREDS_TICKET_KEY_LEN bytes) and telling its siblings through ${room}
 * (NULL: it has none) whether it has room; the supervisor end of ${ipc_fd}
 * closing means the supervisor died.  Return the process exit status.
 */
int
worker_run(const struct sd_conf *conf, const struct tunnel_conf *tc,
    unsigned int index, int listen_fd, int ipc_fd, const uint8_t *ticket_key,
    struct room *room)
{
	struct worker	 w;
	sigset_t	 sigs;
	char		 tag[128], err[1024];

	memset(&w, 0, sizeof(w));
	snprintf(tag, sizeof(tag), "worker %s", tc->name);
	log_procinit(tag);
	w.env.loop = EV_DEFAULT;
	w.conf = conf;
	w.env.tc = tc;
	w.index = index;
	w.room = room;
	w.listen_fd = listen_fd;
	w.env.log_source = &w.log_source;
	w.env.mark = conf->mark;
	w.env.mark_required = conf_redirect_tunnel(conf) != NULL;
	w.ticket_key = ticket_key;
	w.shutdown_timeout = conf->shutdown_timeout;
	w.certs_loaded_at = time(NULL);
	if ((w.env.creds = creds_load(&tc->tls, conf->file, ticket_key, err,
	    sizeof(err))) == NULL) {
		log_warnx("cannot load certificates: %s", err);
		goto err0;
	}
	if ((w.env.resolver = resolve_new(w.env.loop)) == NULL) {
		log_warnx("cannot create the resolver");
		goto err1;
	}
	if ((w.env.tls_cache = tls_cache_new()) == NULL) {
		log_warnx("cannot create the session cache");
		goto err2;
	}
	if (tc->mode == TUNNEL_TLS &&
	    (w.env.throttle = throttle_new(tc->max_connections)) == NULL) {
		log_warnx("cannot create the handshake throttle");
		goto err3;
	}
	/* sandbox_enter() logs why it failed */
	if (conf->sandbox && sandbox_enter() != 0)
		goto err4;

	ev_io_init(&w.accept_w, worker_accept_cb, listen_fd, EV_READ);
	ev_timer_init(&w.accept_pause, worker_accept_resume_cb, 1., 0.);
	ev_timer_init(&w.drain_timer, worker_drain_timeout_cb, 0., 0.);
	ev_periodic_init(&w.expiry_w, worker_expiry_cb, 0., 0., NULL);
	w.expiry_w.data = &w;
	ev_signal_init(&w.sig_term, worker_signal_cb, SIGTERM);
	ev_signal_init(&w.sig_int, worker_signal_cb, SIGINT);
	ev_signal_init(&w.sig_usr1, worker_signal_cb, SIGUSR1);
	ev_signal_init(&w.sig_hup, worker_signal_cb, SIGHUP);
	ev_periodic_init(&w.crl_timer, worker_crl_timer_cb, 0., 0., 0);
	w.crl_timer.data = &w;
	w.accept_w.data = &w;
	w.accept_pause.data = w.drain_timer.data = &w;
	w.sig_term.data = w.sig_int.data = w.sig_usr1.data =
	    w.sig_hup.data = &w;
	if ((w.ipc = ipc_new(w.env.loop, ipc_fd, worker_ipc_frame_cb,
	    worker_ipc_close_cb, &w)) == NULL) {
		log_warnx("cannot set up the supervisor channel");
		goto err4;
	}
	ev_io_start(w.env.loop, &w.accept_w);
	ev_signal_start(w.env.loop, &w.sig_term);
	ev_signal_start(w.env.loop, &w.sig_int);
	ev_signal_start(w.env.loop, &w.sig_usr1);
	ev_signal_start(w.env.loop, &w.sig_hup);
	/* the supervisor forked us with these blocked; our handlers are in */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &sigs, NULL);

	log_debug("serving with %s, certificate expires in %ld days",
	    creds_subject(w.env.creds),
	    (long)((creds_not_after(w.env.creds) - time(NULL)) / 86400));
	worker_crl_watch(&w);
	worker_expiry_start(&w, NULL);
	log_limit_attach(w.env.loop);
	room_set(w.room, w.index, 1);
	ev_run(w.env.loop, 0);

	log_info("stopped");
	log_limit_detach(1);

	/* Success! */
	ipc_free(w.ipc);
	throttle_free(w.env.throttle);
	tls_cache_free(w.env.tls_cache);
	resolve_free(w.env.resolver);
	creds_unref(w.env.creds);
	return (0);

err4:
	throttle_free(w.env.throttle);
err3:
	tls_cache_free(w.env.tls_cache);
err2:
	resolve_free(w.env.resolver);
err1:
	creds_unref(w.env.creds);
err0:
	/* Failure! */
	return (1);
}
