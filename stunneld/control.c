/*
 * control.c: the control socket.  Each client sends one request; status,
 * connections and reload-certs are fanned out to the workers over their
 * channels as a "query" that ends when every worker has answered, a
 * worker is gone, or QUERY_TIMEOUT passes (then what is known is sent,
 * with the silent workers marked).  reload and stop run here at once.
 *
 * The socket must stay usable under a flood of clients that never speak
 * (SPEC.md "The control socket under pressure"): at most CONTROL_CLIENTS
 * at once, the next refused with the reason; a client has REQUEST_TIMEOUT
 * to send a complete request; out of descriptors, accepting pauses until
 * a client leaves or ACCEPT_PAUSE passes, instead of failing in a loop.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "control.h"
#include "ipc.h"
#include "log.h"
#include "supervisor.h"

#define QUERY_TIMEOUT	2.0	/* seconds a worker has to answer */
#define MSG_MAX		PROTO_MAX_PAYLOAD
#define CONTROL_CLIENTS	32	/* clients at once; the next is refused */
#define REQUEST_TIMEOUT	5.0	/* seconds a client has to send a request */
#define ACCEPT_PAUSE	1.0	/* out of descriptors: try again after */

struct query;

struct client {
	struct client	*next;
	struct control	*ctl;
	struct ipc	*ipc;
	struct query	*q;		/* the request being answered */
	ev_timer	 deadline;	/* REQUEST_TIMEOUT, while no request runs */
	uid_t		 uid;
	pid_t		 pid;
	int		 refused;	/* not root, not us: every request fails */
};

/* One outstanding question to one worker. */
struct pending {
	struct pending	*next;
	uint32_t	 seq;
	struct query	*q;
	struct tunnel_rt *t;
	size_t		 idx;		/* into q->tun */
};

struct query {
	struct query		*next;
	struct control		*ctl;
	struct client		*client;	/* NULL: asked by a signal, or client gone */
	uint16_t		 type;		/* PROTO_REQ_* */
	uint32_t		 seq;		/* the client's */
	size_t			 npending;
	ev_timer		 timer;
	struct proto_tunnel	*tun;
	size_t			 ntun;
	struct proto_conn	*conns;
	size_t			 nconns, capconns;
	char			 msg[MSG_MAX];
	int			 failed;
};

struct control {
	struct supervisor	*sv;
	struct ev_loop		*loop;
	char			*path;
	int			 fd;
	ev_io			 accept_w;
	ev_timer		 accept_pause;	/* out of descriptors */
	int			 closing;	/* control_free_all() runs */
	struct client		*clients;
	unsigned int		 nclients;
	struct query		*queries;
	struct pending		*pending;
	uint32_t		 next_seq;
	/* the lines a flood of clients could repeat */
	struct log_limit	 log_accept;
	struct log_limit	 log_pause;	/* accept, out of descriptors */
	struct log_limit	 log_full;
	struct log_limit	 log_idle;
	struct log_limit	 log_cred;
	struct log_limit	 log_stranger;
	struct log_limit	 log_invalid;
};

static void	control_query_finish(struct query *);

/**
 * control_open(path, uid, gid, err, errlen): create the UNIX socket at
 * ${path}, mode 0600, owned by ${uid}:${gid} (-1: leave as is), replacing
 * a stale one but not a live one.  Return the control object (not yet
 * attached to a loop), or NULL with the reason in ${err}.
 */
struct control *
control_open(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return (NULL);
	}
	strcpy(sun.sun_path, path);

	/* A socket that answers belongs to a running daemon: leave it. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s: another stunneld is "
			    "running there", path);
			return (NULL);
		}
		close(probe);
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (NULL);
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return (NULL);
	}
	umask(old);
	if (chmod(path, 0600) != 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) != 0) || listen(fd, 16) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return (NULL);
	}
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL ||
	    (ctl->path = strdup(path)) == NULL) {
		free(ctl);
		snprintf(err, errlen, "out of memory");
		unlink(path);
		close(fd);
		return (NULL);
	}
	ctl->fd = fd;
	return (ctl);
}

/* Forget the questions of ${q} still out at the workers. */
static void
control_drop_pending(struct control *ctl, struct query *q)
{
	struct pending	**pp, *p;

	for (pp = &ctl->pending; (p = *pp) != NULL;) {
		if (p->q == q) {
			*pp = p->next;
			free(p);
		} else
			pp = &p->next;
	}
}

/* Free ${q}: it has been answered or nobody waits for it. */
static void
control_query_free(struct query *q)
{
	struct control	*ctl = q->ctl;
	struct query	**qq;

	ev_timer_stop(ctl->loop, &q->timer);
	control_drop_pending(ctl, q);
	for (qq = &ctl->queries; *qq != NULL; qq = &(*qq)->next)
		if (*qq == q) {
			*qq = q->next;
			break;
		}
	if (q->client != NULL)
		q->client->q = NULL;
	free(q->tun);
	free(q->conns);
	free(q);
}

/* Accept again: a descriptor may have freed. */
static void
control_accept_resume(struct control *ctl)
{
	ev_timer_stop(ctl->loop, &ctl->accept_pause);
	ev_io_start(ctl->loop, &ctl->accept_w);
}

/* ACCEPT_PAUSE passed: maybe a descriptor freed elsewhere. */
static void
control_accept_pause_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	(void)loop;
	(void)revents;
	control_accept_resume(tw->data);
}

/* Drop client ${cl}; a query it started goes on without it. */
static void
control_client_free(struct client *cl)
{
	struct control	*ctl = cl->ctl;
	struct client	**pp;

	for (pp = &ctl->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	ctl->nclients--;
	if (cl->q != NULL)
		cl->q->client = NULL;
	ev_timer_stop(ctl->loop, &cl->deadline);
	ipc_free(cl->ipc);
	free(cl);
	/* Its descriptor is free now: take the next one waiting, if out
	 * of descriptors is why accepting paused. */
	if (!ctl->closing && ev_is_active(&ctl->accept_pause))
		control_accept_resume(ctl);
}

/* Give ${cl} REQUEST_TIMEOUT from now to send its (next) request. */
static void
control_client_wait(struct client *cl)
{
	ev_timer_stop(cl->ctl->loop, &cl->deadline);
	ev_timer_set(&cl->deadline, REQUEST_TIMEOUT, 0.);
	ev_timer_start(cl->ctl->loop, &cl->deadline);
}

/* ${cl} sent no complete request in REQUEST_TIMEOUT: it holds a slot and
 * a descriptor for nothing. */
static void
control_client_timeout_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct client	*cl = tw->data;
	char		 why[64];

	(void)loop;
	(void)revents;
	log_limited(&cl->ctl->log_idle, LOG_INFO, -1, "control: closed a "
	    "client (pid %d) that sent no complete request within %.0f s",
	    (int)cl->pid, REQUEST_TIMEOUT);
	snprintf(why, sizeof(why), "no complete request within %.0f s",
	    REQUEST_TIMEOUT);
	/* not in the middle of a reply still going out */
	if (ipc_pending(cl->ipc) == 0)
		ipc_send_last(cl->ipc, PROTO_REP_FAIL, 0, why);
	control_client_free(cl);
}

/* Add a line to the message of ${q}. */
static void
control_query_say(struct query *q, const char *line)
{
	size_t	 len = strlen(q->msg);

	snprintf(q->msg + len, sizeof(q->msg) - len, "%s%s",
	    len > 0 ? "\n" : "", line);
}

/* Send ${q}'s one question to the worker of ${t}; 0 if it went out. */
static int
control_ask(struct query *q, struct tunnel_rt *t, uint16_t type, size_t idx)
{
	struct control	*ctl = q->ctl;
	struct pending	*p;

	if (t->ipc == NULL || t->pid <= 0)
		return (-1);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (-1);
	p->seq = ++ctl->next_seq;
	p->q = q;
	p->t = t;
	p->idx = idx;
	if (ipc_send(t->ipc, type, p->seq, NULL, 0) != 0) {
		free(p);
		return (-1);
	}
	p->next = ctl->pending;
	ctl->pending = p;
	q->npending++;
	return (0);
}

/* One worker has answered (or will not): finish ${q} if it was the last. */
static void
control_answered(struct control *ctl, struct pending *p)
{
	struct pending	**pp;
	struct query	*q = p->q;

	for (pp = &ctl->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
	if (--q->npending == 0)
		control_query_finish(q);
}

/* QUERY_TIMEOUT passed: answer with what we have. */
static void
control_query_timeout_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct query	*q = tw->data;
	struct pending	*p;
	char		 line[128];

	(void)loop;
	(void)revents;
	for (p = q->ctl->pending; p != NULL; p = p->next)
		if (p->q == q) {
			snprintf(line, sizeof(line), "tunnel %s: the worker "
			    "did not answer", p->t->tag);
			log_warnx("%s", line);
			if (q->type == PROTO_REQ_RELOAD_CERTS) {
				control_query_say(q, line);
				q->failed = 1;
			}
		}
	control_drop_pending(q->ctl, q);
	q->npending = 0;
	control_query_finish(q);
}

/* The worker-independent part of ${t}'s status. */
static void
control_tunnel_base(struct tunnel_rt *t, struct proto_tunnel *pt)
{
	memset(pt, 0, sizeof(*pt));
	snprintf(pt->name, sizeof(pt->name), "%s", t->name);
	if (t->tc != NULL) {
		snprintf(pt->mode, sizeof(pt->mode), "%s",
		    t->tc->mode == TUNNEL_SOCKS ? "socks" :
		    t->tc->mode == TUNNEL_REDIRECT ? "redirect" : "tls");
		addr_format_hp(&t->tc->listen, pt->listen, sizeof(pt->listen));
		pt->max_connections = t->tc->max_connections;
	}
	snprintf(pt->state, sizeof(pt->state), "%s",
	    supervisor_state_name(t));
	pt->pid = t->pid;
	pt->restarts = t->restarts;
	pt->workers = 1;
	pt->flags = PROTO_TUNNEL_STALE;
}

/*
 * The workers of one tunnel (next to each other in q->tun) become one
 * row: counters add up, the first pid stands for them, and the state is
 * that of a worker that is not running if there is one.  A worker that
 * did not answer leaves the sums incomplete: the row is stale.
 */
static void
control_merge_workers(struct query *q)
{
	struct proto_tunnel	*a, *b;
	size_t			 i, n = 0;

	for (i = 0; i < q->ntun; i++) {
		b = &q->tun[i];
		a = n > 0 ? &q->tun[n - 1] : NULL;
		if (a == NULL || strcmp(a->name, b->name) != 0) {
			if (n != i)
				q->tun[n] = *b;
			n++;
			continue;
		}
		a->workers++;
		a->restarts += b->restarts;
		a->max_connections += b->max_connections;
		if (a->pid <= 0)
			a->pid = b->pid;
		if (strcmp(a->state, "running") == 0)
			memcpy(a->state, b->state, sizeof(a->state));
		if (a->stats.cert_subject[0] == '\0') {
			a->stats.cert_not_after = b->stats.cert_not_after;
			a->stats.certs_loaded_at = b->stats.certs_loaded_at;
			memcpy(a->stats.cert_subject, b->stats.cert_subject,
			    sizeof(a->stats.cert_subject));
			a->stats.crl_next_update = b->stats.crl_next_update;
			a->stats.crls = b->stats.crls;
			a->stats.crl_flags = b->stats.crl_flags;
		}
		a->stats.connections_active += b->stats.connections_active;
		a->stats.connections_total += b->stats.connections_total;
		a->stats.bytes_in += b->stats.bytes_in;
		a->stats.bytes_out += b->stats.bytes_out;
		a->stats.handshakes_failed += b->stats.handshakes_failed;
		a->stats.socks_refused += b->stats.socks_refused;
		a->flags |= b->flags & PROTO_TUNNEL_STALE;
	}
	q->ntun = n;
}

/* A new query of ${type} for ${cl} (NULL: from a signal). */
static struct query *
control_query_new(struct control *ctl, struct client *cl, uint16_t type,
    uint32_t seq)
{
	struct query	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (NULL);
	q->ctl = ctl;
	q->client = cl;
	q->type = type;
	q->seq = seq;
	ev_timer_init(&q->timer, control_query_timeout_cb, QUERY_TIMEOUT, 0.);
	q->timer.data = q;
	q->next = ctl->queries;
	ctl->queries = q;
	if (cl != NULL)
		cl->q = q;
	return (q);
}

/* Start a fan-out query over the tunnels selected by ${name} ("": all). */
static void
control_query_start(struct control *ctl, struct client *cl, uint16_t type,
    uint32_t seq, const char *name)
{
	struct supervisor	*sv = ctl->sv;
	struct tunnel_rt	*t;
	struct query		*q;
	size_t			 n = 0, i;
	uint16_t		 ask;
	char			 line[256];

	for (t = sv->tunnels; t != NULL; t = t->next)
		if (name[0] == '\0' || strcmp(name, t->name) == 0)
			n++;
	if (name[0] != '\0' && n == 0) {
		snprintf(line, sizeof(line), "no tunnel %s", name);
		if (cl != NULL)
			ipc_send_text(cl->ipc, PROTO_REP_FAIL, seq, line);
		return;
	}
	if ((q = control_query_new(ctl, cl, type, seq)) == NULL ||
	    (n > 0 && (q->tun = calloc(n, sizeof(*q->tun))) == NULL)) {
		if (q != NULL)
			control_query_free(q);
		if (cl != NULL)
			ipc_send_text(cl->ipc, PROTO_REP_FAIL, seq,
			    "out of memory");
		return;
	}
	q->ntun = n;
	ask = type == PROTO_REQ_STATUS ? PROTO_IPC_STATS :
	    type == PROTO_REQ_CONNECTIONS ? PROTO_IPC_CONNS :
	    PROTO_IPC_RELOAD_CERTS;
	i = 0;
	for (t = sv->tunnels; t != NULL; t = t->next) {
		if (name[0] != '\0' && strcmp(name, t->name) != 0)
			continue;
		control_tunnel_base(t, &q->tun[i]);
		if (control_ask(q, t, ask, i) != 0 &&
		    type == PROTO_REQ_RELOAD_CERTS) {
			snprintf(line, sizeof(line), "tunnel %s: no worker "
			    "running (it loads the files when it starts)",
			    t->tag);
			control_query_say(q, line);
		}
		i++;
	}
	if (q->npending == 0) {
		control_query_finish(q);
		return;
	}
	ev_timer_start(ctl->loop, &q->timer);
}

/* Every answer is in (or given up on): reply, log, free. */
static void
control_query_finish(struct query *q)
{
	struct client	*cl = q->client;
	size_t		 i;
	int		 ok = 1;

	ev_timer_stop(q->ctl->loop, &q->timer);
	if (q->type == PROTO_REQ_RELOAD_CERTS)
		log_lines(q->failed ? LOG_WARNING : LOG_INFO, "reload-certs: ",
		    q->msg);
	if (cl != NULL) {
		switch (q->type) {
		case PROTO_REQ_STATUS:
			control_merge_workers(q);
			for (i = 0; i < q->ntun && ok; i++)
				ok = ipc_send(cl->ipc, PROTO_REP_TUNNEL,
				    q->seq, &q->tun[i], sizeof(q->tun[i])) == 0;
			break;
		case PROTO_REQ_CONNECTIONS:
			for (i = 0; i < q->nconns && ok; i++)
				ok = ipc_send(cl->ipc, PROTO_REP_CONN, q->seq,
				    &q->conns[i], sizeof(q->conns[i])) == 0;
			break;
		default:
			ipc_send_text(cl->ipc, q->failed ? PROTO_REP_FAIL :
			    PROTO_REP_OK, q->seq, q->msg);
			break;
		}
		if (q->type == PROTO_REQ_STATUS ||
		    q->type == PROTO_REQ_CONNECTIONS) {
			if (ok)
				ipc_send(cl->ipc, PROTO_REP_END, q->seq,
				    NULL, 0);
			else
				ipc_send_text(cl->ipc, PROTO_REP_FAIL, q->seq,
				    "reply too large");
		}
		control_client_wait(cl);
	}
	control_query_free(q);
}

/** control_worker_frame(ctl, t, hdr, payload): a frame from ${t}'s worker. */
void
control_worker_frame(struct control *ctl, struct tunnel_rt *t,
    const struct proto_hdr *hdr, const uint8_t *payload)
{
	struct pending		*p;
	struct query		*q;
	struct proto_conn	*pc;
	char			 line[MSG_MAX];

	if (ctl == NULL)
		return;
	for (p = ctl->pending; p != NULL; p = p->next)
		if (p->seq == hdr->seq && p->t == t)
			break;
	if (p == NULL)
		return;		/* an answer that came too late */
	q = p->q;
	switch (hdr->type) {
	case PROTO_IPC_STATS_REP:
		memcpy(&q->tun[p->idx].stats, payload,
		    sizeof(q->tun[p->idx].stats));
		q->tun[p->idx].stats.cert_subject[PROTO_IDENT_MAX - 1] = '\0';
		q->tun[p->idx].flags &= ~PROTO_TUNNEL_STALE;
		control_answered(ctl, p);
		break;
	case PROTO_REP_CONN:
		if (q->nconns == q->capconns) {
			size_t	 cap = q->capconns ? q->capconns * 2 : 64;

			if ((pc = reallocarray(q->conns, cap,
			    sizeof(*pc))) == NULL)
				return;
			q->conns = pc;
			q->capconns = cap;
		}
		pc = &q->conns[q->nconns++];
		memcpy(pc, payload, sizeof(*pc));
		snprintf(pc->tunnel, sizeof(pc->tunnel), "%s", t->name);
		break;
	case PROTO_REP_END:
		control_answered(ctl, p);
		break;
	case PROTO_REP_OK:
	case PROTO_REP_FAIL:
		if (hdr->type == PROTO_REP_FAIL)
			q->failed = 1;
		/* "tunnel NAME: " + the worker's words */
		snprintf(line, sizeof(line), "tunnel %s: ", t->tag);
		proto_text(line + strlen(line), sizeof(line) - strlen(line),
		    payload, hdr->len);
		control_query_say(q, line);
		control_answered(ctl, p);
		break;
	default:
		break;
	}
}

/** control_worker_gone(ctl, t): ${t}'s worker ended; its answers will not come. */
void
control_worker_gone(struct control *ctl, struct tunnel_rt *t)
{
	struct pending	*p;
	char		 line[128];

	if (ctl == NULL)
		return;
again:
	for (p = ctl->pending; p != NULL; p = p->next)
		if (p->t == t) {
			if (p->q->type == PROTO_REQ_RELOAD_CERTS) {
				snprintf(line, sizeof(line), "tunnel %s: the "
				    "worker ended before answering", t->tag);
				control_query_say(p->q, line);
				p->q->failed = 1;
			}
			/* may finish and free the query: start over */
			control_answered(ctl, p);
			goto again;
		}
}

/**
 * control_reload_certs(ctl, name): SIGUSR1, SIGHUP, or a changed file:
 * reload the certificates of tunnel ${name} ("": every tunnel) in its
 * workers and log the outcome.
 */
void
control_reload_certs(struct control *ctl, const char *name)
{
	if (ctl != NULL)
		control_query_start(ctl, NULL, PROTO_REQ_RELOAD_CERTS, 0, name);
}

/* A request from a client. */
static void
control_client_frame_cb(struct ipc *c, const struct proto_hdr *hdr,
    const uint8_t *payload, void *arg)
{
	struct client	*cl = arg;
	struct control	*ctl = cl->ctl;
	char		 name[PROTO_NAME_MAX], msg[MSG_MAX];

	if (cl->refused) {
		ipc_send_text(c, PROTO_REP_FAIL, hdr->seq, "permission denied");
		control_client_wait(cl);
		return;
	}
	if (cl->q != NULL) {
		ipc_send_text(c, PROTO_REP_FAIL, hdr->seq,
		    "one request at a time");
		return;
	}
	/* The request is in: no deadline while it is answered. */
	ev_timer_stop(ctl->loop, &cl->deadline);
	switch (hdr->type) {
	case PROTO_REQ_STATUS:
	case PROTO_REQ_CONNECTIONS:
	case PROTO_REQ_RELOAD_CERTS:
		proto_text(name, sizeof(name), payload, hdr->len);
		if (hdr->type == PROTO_REQ_RELOAD_CERTS)
			log_info("control: reload-certs%s%s requested (uid %d)",
			    name[0] ? " " : "", name, (int)cl->uid);
		control_query_start(ctl, cl, hdr->type, hdr->seq, name);
		break;
	case PROTO_REQ_RELOAD:
		log_info("control: reload requested (uid %d)", (int)cl->uid);
		ipc_send_text(c, supervisor_reload(ctl->sv, msg,
		    sizeof(msg)) == 0 ? PROTO_REP_OK : PROTO_REP_FAIL, hdr->seq,
		    msg);
		break;
	case PROTO_REQ_STOP:
		log_info("control: stop requested (uid %d)", (int)cl->uid);
		ipc_send_text(c, PROTO_REP_OK, hdr->seq, "stopping");
		ipc_flush_sync(c, 100);
		supervisor_stop(ctl->sv);
		break;
	default:
		ipc_send_text(c, PROTO_REP_FAIL, hdr->seq, "not a request");
		break;
	}
	if (cl->q == NULL)
		control_client_wait(cl);	/* answered already */
}

/* The client left, or sent something that is not a frame. */
static void
control_client_close_cb(struct ipc *c, const char *why, void *arg)
{
	struct client	*cl = arg;

	(void)why;		/* in words; ipc_end() says it as an enum */
	if (ipc_end(c) == IPC_END_INVALID) {
		log_limited(&cl->ctl->log_invalid, LOG_WARNING, -1, "control: "
		    "pid %d sent an invalid message; dropping it",
		    (int)cl->pid);
		ipc_send_last(c, PROTO_REP_FAIL, 0, "invalid message "
		    "(wrong protocol version, unknown type or bad length)");
	}
	control_client_free(cl);
}

/*
 * CONTROL_CLIENTS are connected already: tell ${fd}'s client why it is
 * refused (one try, never waiting) and close it.  Its request, if sent,
 * stays unread; it still reads our answer before the connection reset.
 */
static void
control_refuse(struct control *ctl, int fd)
{
	uint8_t	 buf[sizeof(struct proto_hdr) + 128];
	char	 why[128];
	size_t	 n;

	snprintf(why, sizeof(why), "too many control clients (%d at once); "
	    "try again later", CONTROL_CLIENTS);
	if ((n = proto_frame(buf, sizeof(buf), PROTO_REP_FAIL, 0, why,
	    (uint32_t)strlen(why))) > 0)
		(void)send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_limited(&ctl->log_full, LOG_WARNING, -1, "control: refused a "
	    "client: %d clients at once already", CONTROL_CLIENTS);
}

/* A client connects: only root and our own user may talk to us. */
static void
control_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control	*ctl = w->data;
	struct client	*cl;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 fd;

	(void)revents;
	if ((fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* The client stays queued; a level-triggered watcher
			 * would call us again at once, for ever. */
			log_limited(&ctl->log_pause, LOG_WARNING, errno,
			    "control: accept paused");
			ev_io_stop(loop, &ctl->accept_w);
			ev_timer_set(&ctl->accept_pause, ACCEPT_PAUSE, 0.);
			ev_timer_start(loop, &ctl->accept_pause);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_limited(&ctl->log_accept, LOG_WARNING, errno,
			    "control: accept");
		return;
	}
	if (ctl->nclients >= CONTROL_CLIENTS) {
		control_refuse(ctl, fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_limited(&ctl->log_cred, LOG_WARNING, errno,
		    "control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (cred.uid != 0 && cred.uid != geteuid())
		log_limited(&ctl->log_stranger, LOG_WARNING, -1, "control: "
		    "refused uid %d (pid %d): only root and uid %d may "
		    "control this daemon", (int)cred.uid, (int)cred.pid,
		    (int)geteuid());
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->ctl = ctl;
	cl->uid = cred.uid;
	cl->pid = cred.pid;
	/* A stranger's request is read, then refused: closing with the
	 * request unread would reset the connection before our answer. */
	cl->refused = cred.uid != 0 && cred.uid != geteuid();
	if ((cl->ipc = ipc_new(ctl->loop, fd, control_client_frame_cb,
	    control_client_close_cb, cl)) == NULL) {
		free(cl);
		return;
	}
	ev_timer_init(&cl->deadline, control_client_timeout_cb,
	    REQUEST_TIMEOUT, 0.);
	cl->deadline.data = cl;
	ev_timer_start(ctl->loop, &cl->deadline);
	cl->next = ctl->clients;
	ctl->clients = cl;
	ctl->nclients++;
}

/** control_start(ctl, sv): serve requests on the loop of ${sv}. */
void
control_start(struct control *ctl, struct supervisor *sv)
{
	ctl->sv = sv;
	ctl->loop = sv->loop;
	ev_io_init(&ctl->accept_w, control_accept_cb, ctl->fd, EV_READ);
	ctl->accept_w.data = ctl;
	ev_timer_init(&ctl->accept_pause, control_accept_pause_cb,
	    ACCEPT_PAUSE, 0.);
	ctl->accept_pause.data = ctl;
	ev_io_start(ctl->loop, &ctl->accept_w);
	/* the supervisor's limited lines are ours, in ${ctl} */
	log_limit_attach(ctl->loop);
}

/* Free every client, query and pending question of ${ctl}. */
static void
control_free_all(struct control *ctl)
{
	ctl->closing = 1;
	if (ctl->loop != NULL) {
		ev_io_stop(ctl->loop, &ctl->accept_w);
		ev_timer_stop(ctl->loop, &ctl->accept_pause);
	}
	while (ctl->queries != NULL)
		control_query_free(ctl->queries);
	while (ctl->clients != NULL)
		control_client_free(ctl->clients);
	close(ctl->fd);
	free(ctl->path);
	free(ctl);
}

/**
 * control_close(ctl): drop every client, write the log lines the rate
 * limit still holds, close and unlink the socket; NULL is a no-op.
 */
void
control_close(struct control *ctl)
{
	struct client	*cl;

	if (ctl == NULL)
		return;
	for (cl = ctl->clients; cl != NULL; cl = cl->next)
		ipc_flush_sync(cl->ipc, 200);
	unlink(ctl->path);
	log_limit_detach(1);
	control_free_all(ctl);
}

/**
 * control_forget(ctl): in a forked child: close our fds without touching
 * the socket file, and drop the held log lines (the parent writes them).
 */
void
control_forget(struct control *ctl)
{
	if (ctl == NULL)
		return;
	log_limit_detach(0);
	control_free_all(ctl);
}
