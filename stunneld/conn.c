/*
 * conn.c: the life of one connection.
 *
 * socks mode:  SOCKS_GREETING -> SOCKS_AUTH -> SOCKS_REQUEST -> RESOLVING
 *              -> CONNECTING -> TLS_HANDSHAKE -> PEER_STATUS -> RELAY
 * redirect:    RESOLVING -> CONNECTING -> TLS_HANDSHAKE -> PEER_STATUS
 *              -> RELAY
 * tls mode:    TLS_HANDSHAKE -> RESOLVING -> CONNECTING -> RELAY
 *
 * All start in ACCEPTED, inside conn_start().  A redirect connection is
 * a socks connection whose request is the destination the kernel's NAT
 * took it from (conn_redirect()): from conn_socks_request() on it runs
 * the same code; where a socks client gets a SOCKS reply it gets nothing
 * (success) or a reset (refusal), conn_reset().  RESOLVING and CONNECTING
 * wait for dial.c.  Any refusal goes to DRAINING: the answer (SOCKS reply
 * or status byte) is flushed, the socket half-closed and the rest read
 * and dropped, so the answer is not destroyed by a reset.  Every watcher
 * calls conn_io_cb(), which runs the state's step in conn_step(); only
 * conn_set_state() changes the state and only conn_step() arms watchers.
 * What happens is reported to the owner (worker.c) through its callback.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "conn.h"
#include "creds.h"
#include "dial.h"
#include "log.h"
#include "proto.h"
#include "relay.h"
#include "route.h"
#include "socks5.h"
#include "throttle.h"
#include "tls.h"
#include "verify.h"

#define CONN_LINGER	5.0	/* seconds to wait for a refused client to go */
#define STATUS_OK	0x00	/* the far stunneld reached its target */

/* <linux/netfilter_ipv4.h>, <linux/netfilter_ipv6/ip6_tables.h> */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST		80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST	80
#endif

#define CONN_GONE	(-1)	/* a step's result: the connection moved on
				 * (another step armed it) or is freed */

enum conn_state {
	CONN_ACCEPTED,		/* in conn_start(), before its first state */
	CONN_SOCKS_GREETING,
	CONN_SOCKS_AUTH,
	CONN_SOCKS_REQUEST,
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_TLS_HANDSHAKE,
	CONN_PEER_STATUS,
	CONN_RELAY,
	CONN_DRAINING
};

static const char *const conn_state_names[] = {
	"ACCEPTED", "SOCKS_GREETING", "SOCKS_AUTH", "SOCKS_REQUEST", "RESOLVING",
	"CONNECTING", "TLS_HANDSHAKE", "PEER_STATUS", "RELAY", "DRAINING"
};

struct conn {
	const struct conn_env	*env;		/* the owner's, for its lifetime */
	conn_event_cb		*cb;		/* reports to the owner */
	void			*cookie;
	enum conn_state		 state;
	int			 socks;		/* socks or redirect mode: the
						 * client is plaintext, the
						 * dial TLS; else tls mode */
	int			 redirect;	/* redirect mode: no SOCKS */
	int			 over_limit;
	int			 client_fd;	/* accepted */
	int			 dial_fd;	/* opened by us; -1 until then */
	struct tls		*tls;
	struct relay		 relay;
	ev_io			 plain_r, plain_w, tls_r, tls_w;
	ev_timer		 timer;
	ev_periodic		 expiry;	/* the peer's certificate ends */
	ev_tstamp		 started;
	ev_tstamp		 deadline;	/* end of connect + handshake */
	ev_tstamp		 last_active;
	uint64_t		 last_bytes;
	struct dial		*dialer;	/* RESOLVING, CONNECTING */
	struct hostport		 dial;		/* where it goes */
	char			*allow_one[1];	/* a route's peer as a policy */
	char			 client[ADDR_STRLEN];
	char			 dest[ADDR_STRLEN];
	struct socks5_request	 req;
	size_t			 proto_p2t;	/* our own bytes (SOCKS reply, */
	size_t			 proto_t2p;	/* status byte) in the relay counts */
	struct throttle_key	 tkey;		/* tls mode: the client's address */
	int			 throttled;	/* counted in env->throttle until the
						 * handshake ends */
	struct sockaddr_in	 source;	/* tls mode: to a loopback target,
						 * connect from here (family 0:
						 * from the default address) */
	struct throttle_hs	 ths;		/* its place in env->throttle */
};

static void	conn_io_cb(struct ev_loop *, ev_io *, int);
static void	conn_timer_cb(struct ev_loop *, ev_timer *, int);
static void	conn_expiry_cb(struct ev_loop *, ev_periodic *, int);
static void	conn_step(struct conn *);
static void	conn_watch(struct conn *, int);
static void	conn_free(struct conn *);

/* Tell the owner ${ev}. */
static void
conn_report(struct conn *c, enum conn_event ev, uint64_t in, uint64_t out)
{
	c->cb(c->cookie, c, ev, in, out);
}

/*
 * The one place the state changes (chrony's change_state()).  What the
 * old state waited for is stopped here; the next conn_step() arms what
 * the new one waits for.
 */
static void
conn_set_state(struct conn *c, enum conn_state state)
{
	log_debug("%s: %s -> %s", c->client, conn_state_names[c->state],
	    conn_state_names[state]);
	c->state = state;
	conn_watch(c, 0);
}

/* A tls-mode handshake has ended: the worker's throttle counts it. */
static void
conn_throttle_end(struct conn *c, int failed)
{
	if (!c->throttled)
		return;
	c->throttled = 0;
	throttle_untrack(&c->ths);
	throttle_done(c->env->throttle, &c->tkey, failed, ev_now(c->env->loop));
}

/* Start or stop ${io} so that it is active exactly when ${on}. */
static void
conn_io_set(struct conn *c, ev_io *io, int on)
{
	if (on && !ev_is_active(io) && io->fd >= 0)
		ev_io_start(c->env->loop, io);
	else if (!on && ev_is_active(io))
		ev_io_stop(c->env->loop, io);
}

/* Arm the watchers for RELAY_WANT_* bits ${want}. */
static void
conn_watch(struct conn *c, int want)
{
	conn_io_set(c, &c->plain_r, want & RELAY_WANT_PLAIN_READ);
	conn_io_set(c, &c->plain_w, want & RELAY_WANT_PLAIN_WRITE);
	conn_io_set(c, &c->tls_r, want & RELAY_WANT_TLS_READ);
	conn_io_set(c, &c->tls_w, want & RELAY_WANT_TLS_WRITE);
}

/* The watcher for TLS_AGAIN_IN or TLS_AGAIN_OUT ${n}, as a RELAY_WANT bit. */
static int
conn_want_tls(int n)
{
	return (n == TLS_AGAIN_OUT ? RELAY_WANT_TLS_WRITE :
	    RELAY_WANT_TLS_READ);
}

/* The fd the plain side uses: the client in socks mode, the dial in tls. */
static int
conn_plain_fd(struct conn *c)
{
	return (c->socks ? c->client_fd : c->dial_fd);
}

/* Point the four watchers at the current fds. */
static void
conn_bind_watchers(struct conn *c)
{
	int	 pfd = conn_plain_fd(c);
	int	 tfd = c->socks ? c->dial_fd : c->client_fd;

	conn_watch(c, 0);
	ev_io_set(&c->plain_r, pfd, EV_READ);
	ev_io_set(&c->plain_w, pfd, EV_WRITE);
	ev_io_set(&c->tls_r, tfd, EV_READ);
	ev_io_set(&c->tls_w, tfd, EV_WRITE);
}

/* (Re)arm the single timer to fire ${after} seconds from now. */
static void
conn_timer(struct conn *c, ev_tstamp after)
{
	ev_timer_stop(c->env->loop, &c->timer);
	if (after <= 0)
		after = 0.001;
	ev_timer_set(&c->timer, after, 0.);
	ev_timer_start(c->env->loop, &c->timer);
}

/*
 * Close the link when the verified peer's certificate chain expires.  The
 * moment is wall-clock time, so it is an ev_periodic (rescheduled if the
 * clock is stepped), not a monotonic ev_timer; one per connection, in
 * libev's heap, so nothing walks the connections.  X.509 validity includes
 * the notAfter second itself: the chain is expired one second later.
 */
static void
conn_expiry_arm(struct conn *c)
{
	time_t	 t = tls_peer_not_after(c->tls);

	ev_periodic_stop(c->env->loop, &c->expiry);
	if (t == 0)
		return;
	ev_periodic_set(&c->expiry, (ev_tstamp)t + 1., 0., NULL);
	ev_periodic_start(c->env->loop, &c->expiry);
}

/* Drop the answer already queued and wait for the client to leave. */
static void
conn_drain(struct conn *c)
{
	struct relay	*r = &c->relay;

	conn_set_state(c, CONN_DRAINING);
	/* a refused link ends within CONN_LINGER whatever the certificate */
	ev_periodic_stop(c->env->loop, &c->expiry);
	/* a dial still running must not bring the connection back */
	dial_cancel(c->dialer);
	c->dialer = NULL;
	if (c->socks) {
		/* the answer sits in t2p for the SOCKS client */
		relay_drain_plain(r, c->client_fd);
		tls_free(c->tls);
		c->tls = NULL;
		if (c->dial_fd >= 0) {
			conn_watch(c, 0);
			close(c->dial_fd);
			c->dial_fd = -1;
			conn_bind_watchers(c);
		}
	} else {
		/* the answer, if any, goes to the TLS peer in p2t */
		relay_drain_tls(r, c->tls);
	}
	conn_timer(c, CONN_LINGER);
	conn_step(c);
}

/*
 * Refuse a redirected client: it asked for no proxy and gets no SOCKS
 * reply, so a reset is the only answer that cannot pass for a peer that
 * accepted and then closed.  ${why} is logged once.
 */
static void
conn_reset(struct conn *c, const char *why)
{
	struct linger	 lg = { 1, 0 };

	log_info("%s -> %s: refused (connection reset): %s", c->client,
	    c->dest[0] ? c->dest : "?", why);
	conn_report(c, CONN_EV_REFUSED, 0, 0);
	setsockopt(c->client_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_free(c);
}

/* Refuse a SOCKS client with reply ${rep}, logging ${why} once. */
static void
conn_refuse(struct conn *c, uint8_t rep, const char *why)
{
	uint8_t	 msg[SOCKS5_REPLY_MAX];
	size_t	 len;

	if (c->redirect) {
		conn_reset(c, why);
		return;
	}
	log_info("%s -> %s: refused (SOCKS reply 0x%02x): %s", c->client,
	    c->dest[0] ? c->dest : "?", rep, why);
	conn_report(c, CONN_EV_REFUSED, 0, 0);
	len = socks5_encode_reply(msg, rep, NULL);
	buf_put(&c->relay.t2p, msg, len);
	c->proto_t2p += len;
	conn_drain(c);
}

/* End a negotiation before a request was read: answer already queued. */
static void
conn_refuse_early(struct conn *c, const char *why)
{
	log_info("%s: refused: %s", c->client, why);
	conn_report(c, CONN_EV_REFUSED, 0, 0);
	conn_drain(c);
}

/* A tls-mode connection whose target failed: tell a stunneld peer why. */
static void
conn_fail_target(struct conn *c, uint8_t rep, const char *why)
{
	log_info("%s (%s) -> %s: target failed: %s", c->client,
	    tls_peer(c->tls), c->dest, why);
	buf_drop(&c->relay.p2t);
	if (tls_peer_is_stunneld(c->tls)) {
		buf_put(&c->relay.p2t, &rep, 1);
		c->proto_p2t++;
	}
	conn_drain(c);
}

/* The outbound side cannot be reached; answer per mode. */
static void
conn_dial_failed(struct conn *c, uint8_t rep, const char *why)
{
	char	 msg[1024];

	snprintf(msg, sizeof(msg), "cannot reach %s: %s", c->dest, why);
	if (c->socks)
		conn_refuse(c, rep, msg);
	else
		conn_fail_target(c, rep, msg);
}

/* Queue the SOCKS reply "succeeded", with the address we dialled from. */
static void
conn_socks_success(struct conn *c)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	uint8_t			 msg[SOCKS5_REPLY_MAX];
	size_t			 len;

	if (getsockname(c->dial_fd, (struct sockaddr *)&ss, &sslen) != 0)
		ss.ss_family = AF_UNSPEC;
	len = socks5_encode_reply(msg, SOCKS5_REP_SUCCEEDED,
	    (struct sockaddr *)&ss);
	buf_put(&c->relay.t2p, msg, len);
	c->proto_t2p += len;
}

/* Both ends are up: queue the success answer and start relaying. */
static void
conn_established(struct conn *c)
{
	char	 desc[128];

	if (c->socks) {
		/* a redirected client thinks it is connected already */
		if (!c->redirect)
			conn_socks_success(c);
		log_info("%s -> %s: connected to %s (%s)%s", c->client,
		    c->dest, tls_peer(c->tls),
		    tls_describe(c->tls, desc, sizeof(desc)),
		    tls_peer_is_stunneld(c->tls) ? ", far end reached its target" : "");
	} else {
		uint8_t	 ok = STATUS_OK;

		if (tls_peer_is_stunneld(c->tls)) {
			buf_put(&c->relay.p2t, &ok, 1);
			c->proto_p2t++;
		}
		log_info("%s (%s) -> %s: connected", c->client,
		    tls_peer(c->tls), c->dest);
	}
	relay_attach(&c->relay, conn_plain_fd(c), c->tls);
	c->last_active = ev_now(c->env->loop);
	if (c->env->tc->idle_timeout > 0)
		conn_timer(c, c->env->tc->idle_timeout);
	else
		ev_timer_stop(c->env->loop, &c->timer);
	conn_set_state(c, CONN_RELAY);
}

/* Begin the TLS session over the socket that just connected (socks mode). */
static void
conn_start_tls_client(struct conn *c)
{
	struct verify_policy	 pol;
	const char		*sni = NULL;
	char			 key[ADDR_STRLEN + SD_HOST_MAX + 2];

	memset(&pol, 0, sizeof(pol));
	if (c->allow_one[0] != NULL) {
		pol.allow = c->allow_one;
		pol.nallow = 1;
	} else
		pol.host = c->dial.host;
	if (!addr_is_numeric(c->dial.host))
		sni = c->dial.host;
	/* a resumed session must be good for the same destination and proof */
	snprintf(key, sizeof(key), "%s|%s", c->dest,
	    c->allow_one[0] != NULL ? c->allow_one[0] : c->dial.host);
	if ((c->tls = tls_new(c->env->creds, c->env->tls_cache, c->dial_fd, 0,
	    &pol, sni, key)) == NULL) {
		conn_refuse(c, SOCKS5_REP_GENERAL_FAILURE,
		    "cannot create TLS session");
		return;
	}
	conn_set_state(c, CONN_TLS_HANDSHAKE);
	conn_timer(c, c->deadline - ev_now(c->env->loop));
	conn_step(c);
}

/* The dialled socket ${fd} is connected: it is ours now. */
static void
conn_connected(struct conn *c, int fd)
{
	int	 one = 1;

	c->dial_fd = fd;
	conn_bind_watchers(c);
	setsockopt(c->dial_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->socks)
		conn_start_tls_client(c);
	else {
		conn_established(c);
		conn_step(c);
	}
}

/* What the dialer reports. */
static void
conn_dial_cb(void *cookie, enum dial_status st, int fd, uint8_t rep,
    const char *why)
{
	struct conn	*c = cookie;

	switch (st) {
	case DIAL_CONNECTING:
		conn_set_state(c, CONN_CONNECTING);
		break;
	case DIAL_CONNECTED:
		c->dialer = NULL;
		conn_connected(c, fd);
		break;
	case DIAL_FAILED:
		c->dialer = NULL;
		conn_dial_failed(c, rep, why);
		break;
	}
}

/* Open the outbound TCP connection to c->dial. */
static void
conn_dial(struct conn *c)
{
	const struct conn_env	*env = c->env;

	addr_format_hp(&c->dial, c->dest, sizeof(c->dest));
	c->deadline = ev_now(env->loop) + env->tc->connect_timeout +
	    (c->socks ? env->tc->handshake_timeout : 0);
	conn_timer(c, env->tc->connect_timeout);
	conn_set_state(c, addr_is_numeric(c->dial.host) ? CONN_CONNECTING :
	    CONN_RESOLVING);
	if ((c->dialer = dial_start(env->loop, env->resolver, &c->dial,
	    c->socks ? NULL : &c->source, env->mark, env->mark_required,
	    env->log_source, c->client, conn_dial_cb, c)) == NULL)
		conn_dial_failed(c, SOCKS5_REP_GENERAL_FAILURE,
		    "cannot start name resolution");
}

/* A complete SOCKS request is in c->req: route it and dial. */
static void
conn_socks_request(struct conn *c)
{
	const struct tunnel_conf	*tc = c->env->tc;
	struct route_result		 rr;
	struct hostport			 asked;
	char				 why[128];

	snprintf(asked.host, sizeof(asked.host), "%s", c->req.host);
	asked.port = c->req.port;
	addr_format_hp(&asked, c->dest, sizeof(c->dest));
	if (c->req.cmd != SOCKS5_CMD_CONNECT) {
		snprintf(why, sizeof(why), "command %s not supported",
		    c->req.cmd == SOCKS5_CMD_BIND ? "BIND" :
		    c->req.cmd == SOCKS5_CMD_UDP_ASSOCIATE ? "UDP ASSOCIATE" :
		    "unknown");
		conn_refuse(c, SOCKS5_REP_CMD_UNSUPPORTED, why);
		return;
	}
	if (c->over_limit) {
		conn_refuse(c, SOCKS5_REP_GENERAL_FAILURE,
		    "max_connections reached");
		return;
	}
	route_lookup(tc->routes, tc->nroutes, c->req.host, c->req.port, &rr);
	if (rr.deny) {
		if (rr.line > 0)
			snprintf(why, sizeof(why), "denied by route at line %d",
			    rr.line);
		else
			snprintf(why, sizeof(why), "no route matches");
		conn_refuse(c, SOCKS5_REP_NOT_ALLOWED, why);
		return;
	}
	c->dial = rr.dial;
	c->allow_one[0] = (char *)rr.peer;
	conn_dial(c);
}

/*
 * Where redirected connection ${fd} was going, as numeric text in ${host}
 * (IPv6 unbracketed, as multichaind writes it in a SOCKS request) and
 * ${port}.  Return 0, or -1 with the reason in ${why} if it was not
 * redirected: the kernel has no NAT entry for it, or its original
 * destination is the listener itself (a client that dialled the redirect
 * port directly; dialling that would only come back here).
 */
static int
conn_original_dst(int fd, char *host, size_t hostlen, uint16_t *port,
    char *why, size_t whylen)
{
	struct sockaddr_storage	 local, orig;
	struct sockaddr_in6	*l6 = (struct sockaddr_in6 *)&local;
	struct sockaddr_in6	*o6 = (struct sockaddr_in6 *)&orig;
	struct sockaddr_in	*l4 = (struct sockaddr_in *)&local;
	struct sockaddr_in	*o4 = (struct sockaddr_in *)&orig;
	struct in_addr		 self4;
	uint16_t		 self_port;
	socklen_t		 len = sizeof(local);
	int			 v6, rc, self;

	if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) {
		snprintf(why, whylen, "getsockname: %s", strerror(errno));
		return (-1);
	}
	/* an IPv4 client of a dual-stack listener has an IPv4 NAT entry */
	v6 = local.ss_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr);
	memset(&orig, 0, sizeof(orig));
	if (v6) {
		len = sizeof(*o6);
		rc = getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, o6, &len);
	} else {
		len = sizeof(*o4);
		rc = getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, o4, &len);
	}
	if (rc != 0) {
		snprintf(why, whylen, "not redirected: no original "
		    "destination (%s)", strerror(errno));
		return (-1);
	}
	if (v6) {
		self = memcmp(&o6->sin6_addr, &l6->sin6_addr,
		    sizeof(o6->sin6_addr)) == 0 &&
		    o6->sin6_port == l6->sin6_port;
		inet_ntop(AF_INET6, &o6->sin6_addr, host, hostlen);
		*port = ntohs(o6->sin6_port);
	} else {
		if (local.ss_family == AF_INET6) {
			memcpy(&self4, &l6->sin6_addr.s6_addr[12],
			    sizeof(self4));
			self_port = l6->sin6_port;
		} else {
			self4 = l4->sin_addr;
			self_port = l4->sin_port;
		}
		self = o4->sin_addr.s_addr == self4.s_addr &&
		    o4->sin_port == self_port;
		inet_ntop(AF_INET, &o4->sin_addr, host, hostlen);
		*port = ntohs(o4->sin_port);
	}
	if (self) {
		snprintf(why, whylen, "not redirected: the original "
		    "destination is this listener");
		return (-1);
	}
	return (0);
}

/* A redirected connection: its original destination is its request. */
static void
conn_redirect(struct conn *c)
{
	struct hostport	 dst;
	char		 why[256];

	memset(&c->req, 0, sizeof(c->req));
	if (conn_original_dst(c->client_fd, dst.host, sizeof(dst.host),
	    &dst.port, why, sizeof(why)) != 0) {
		conn_reset(c, why);
		return;
	}
	c->req.cmd = SOCKS5_CMD_CONNECT;
	c->req.atyp = strchr(dst.host, ':') != NULL ? SOCKS5_ATYP_IPV6 :
	    SOCKS5_ATYP_IPV4;
	snprintf(c->req.host, sizeof(c->req.host), "%s", dst.host);
	c->req.host_is_ip = 1;
	c->req.port = dst.port;
	conn_socks_request(c);
}

/* Queue a short reply for the SOCKS client. */
static void
conn_reply(struct conn *c, const uint8_t *msg, size_t len)
{
	if (buf_put(&c->relay.t2p, msg, len) != 0)
		log_warnx("%s: reply does not fit", c->client);
}

/*
 * Parse whatever of the SOCKS negotiation is in p2t.  Return 1 to parse
 * on, 0 to wait for more bytes, -1 if the negotiation is over (${c} may
 * be gone).
 */
static int
conn_socks_parse(struct conn *c)
{
	const struct tunnel_conf	*tc = c->env->tc;
	struct buf			*b = &c->relay.p2t;
	const uint8_t			*p;
	struct socks5_greeting		 g;
	char				 user[256], pass[256];
	uint8_t				 out[SOCKS5_REPLY_MAX], rep, method;
	size_t				 used = 0;
	enum socks5_status		 st;

	if (b->len == 0)
		return (0);
	p = b->data + b->off;
	switch (c->state) {
	case CONN_SOCKS_GREETING:
		st = socks5_parse_greeting(p, b->len, &g, &used);
		if (st == SOCKS5_NEED_MORE)
			return (0);
		if (st == SOCKS5_ERR) {
			if (g.version == 4) {
				conn_reply(c, out,
				    socks5_encode_socks4_reject(out));
				conn_refuse_early(c, "SOCKS4 is not supported");
				return (-1);
			} else {
				conn_reply(c, out, socks5_encode_method(out,
				    SOCKS5_METHOD_NONE));
				conn_refuse_early(c, "malformed SOCKS5 greeting");
				return (-1);
			}
		}
		buf_consume(b, used);
		method = socks5_choose_method(&g, tc->socks_user != NULL);
		conn_reply(c, out, socks5_encode_method(out, method));
		if (method == SOCKS5_METHOD_NONE) {
			conn_refuse_early(c, tc->socks_user != NULL ?
			    "client does not offer username/password" :
			    "client does not offer \"no authentication\"");
			return (-1);
		}
		conn_set_state(c, method == SOCKS5_METHOD_USERPASS ?
		    CONN_SOCKS_AUTH : CONN_SOCKS_REQUEST);
		return (1);
	case CONN_SOCKS_AUTH:
		st = socks5_parse_auth(p, b->len, user, sizeof(user), pass,
		    sizeof(pass), &used);
		if (st == SOCKS5_NEED_MORE)
			return (0);
		if (st == SOCKS5_OK && socks5_auth_match(user, pass,
		    tc->socks_user, tc->socks_pass)) {
			buf_consume(b, used);
			conn_reply(c, out, socks5_encode_auth_reply(out, 1));
			conn_set_state(c, CONN_SOCKS_REQUEST);
			explicit_bzero(pass, sizeof(pass));
			return (1);
		}
		explicit_bzero(pass, sizeof(pass));
		conn_reply(c, out, socks5_encode_auth_reply(out, 0));
		conn_refuse_early(c, st == SOCKS5_OK ?
		    "wrong username or password" : "malformed RFC 1929 request");
		return (-1);
	case CONN_SOCKS_REQUEST:
		st = socks5_parse_request(p, b->len, &c->req, &used, &rep);
		if (st == SOCKS5_NEED_MORE)
			return (0);
		if (st == SOCKS5_ERR) {
			conn_refuse(c, rep, "malformed SOCKS5 request");
			return (-1);
		}
		buf_consume(b, used);
		conn_socks_request(c);
		return (-1);
	default:
		return (-1);
	}
}

/* SOCKS negotiation: read, parse, flush the replies. */
static int
conn_socks_step(struct conn *c)
{
	struct relay		*r = &c->relay;
	struct buf		*in = &r->p2t, *out = &r->t2p;
	int			 rc;

	if (buf_room(in) == 0) {
		conn_close(c, "SOCKS negotiation too long");
		return (CONN_GONE);
	}
	if (relay_read(r) < 0) {
		conn_close(c, r->error);
		return (CONN_GONE);
	}
	if (r->plain_eof) {
		conn_close(c, "client closed during SOCKS negotiation");
		return (CONN_GONE);
	}
	while ((rc = conn_socks_parse(c)) == 1)
		;
	if (rc < 0)
		return (CONN_GONE);
	if (relay_write(r) < 0) {
		conn_close(c, r->error);
		return (CONN_GONE);
	}
	return (RELAY_WANT_PLAIN_READ |
	    (out->len > 0 ? RELAY_WANT_PLAIN_WRITE : 0));
}

/* Drive the TLS handshake; on success move to the next phase. */
static int
conn_handshake_step(struct conn *c)
{
	char	 why[1024];
	int	 ret;

	ret = tls_handshake(c->tls);
	if (ret == TLS_AGAIN_IN || ret == TLS_AGAIN_OUT)
		return (conn_want_tls(ret));
	if (ret == TLS_FAILED) {
		conn_report(c, CONN_EV_HANDSHAKE_FAILED, 0, 0);
		snprintf(why, sizeof(why), "TLS handshake with %s failed: %s",
		    c->socks ? c->dest : "client", tls_error(c->tls));
		if (c->socks)
			conn_refuse(c, SOCKS5_REP_GENERAL_FAILURE, why);
		else
			conn_close(c, why);
		return (CONN_GONE);
	}
	conn_expiry_arm(c);
	if (c->socks) {
		if (tls_peer_is_stunneld(c->tls))
			conn_set_state(c, CONN_PEER_STATUS);
		else
			conn_established(c);
		conn_step(c);
		return (CONN_GONE);
	}
	conn_throttle_end(c, 0);
	log_debug("%s: authenticated %s", c->client, tls_peer(c->tls));
	c->dial = c->env->tc->connect;
	c->allow_one[0] = NULL;
	conn_dial(c);
	return (CONN_GONE);
}

/* Read the far stunneld's one status byte. */
static int
conn_peer_status_step(struct conn *c)
{
	uint8_t	 status;
	char	 why[1024];
	ssize_t	 n;

	/* what a read may have written (a key update answer) goes first */
	if ((n = tls_flush(c->tls)) == TLS_OK)
		n = tls_recv(c->tls, &status, 1);
	/* an answer the read left unsent is waited for first */
	if (n == TLS_AGAIN_IN && tls_unsent(c->tls))
		n = TLS_AGAIN_OUT;
	if (n == TLS_AGAIN_IN || n == TLS_AGAIN_OUT)
		return (conn_want_tls((int)n));
	if (n != 1) {
		snprintf(why, sizeof(why), "%s (%s) closed before reporting "
		    "its target: %s", c->dest, tls_peer(c->tls),
		    n == TLS_CLOSED ? "connection closed" : tls_error(c->tls));
		conn_refuse(c, SOCKS5_REP_GENERAL_FAILURE, why);
		return (CONN_GONE);
	}
	if (status != STATUS_OK) {
		snprintf(why, sizeof(why), "far end %s could not reach its "
		    "target (0x%02x)", tls_peer(c->tls), status);
		conn_refuse(c, status > SOCKS5_REP_ATYP_UNSUPPORTED ?
		    SOCKS5_REP_GENERAL_FAILURE : status, why);
		return (CONN_GONE);
	}
	conn_established(c);
	conn_step(c);
	return (CONN_GONE);
}

/* Payload bytes relayed so far, our own protocol bytes left out. */
static void
conn_payload(const struct conn *c, uint64_t *in, uint64_t *out)
{
	const struct relay	*r = &c->relay;

	*in = r->bytes_p2t > c->proto_p2t ? r->bytes_p2t - c->proto_p2t : 0;
	*out = r->bytes_t2p > c->proto_t2p ? r->bytes_t2p - c->proto_t2p : 0;
}

/* Pump the relay (also used while draining a refusal). */
static int
conn_relay_step(struct conn *c)
{
	struct relay		*r = &c->relay;
	enum relay_status	 st;
	uint64_t		 in0, out0, in1, out1;
	int			 want;

	conn_payload(c, &in0, &out0);
	st = relay_pump(r, &want);
	conn_payload(c, &in1, &out1);
	if (in1 != in0 || out1 != out0) {
		conn_report(c, CONN_EV_BYTES, in1 - in0, out1 - out0);
		c->last_active = ev_now(c->env->loop);
	}
	if (st == RELAY_DONE) {
		conn_close(c, c->state == CONN_DRAINING ? "refused" : "done");
		return (CONN_GONE);
	}
	if (st == RELAY_ERROR) {
		if (c->state == CONN_RELAY) {
			/* Reset the plain side rather than end it with a FIN,
			 * so a broken stream cannot pass for a complete one. */
			struct linger	 lg = { 1, 0 };

			setsockopt(conn_plain_fd(c), SOL_SOCKET, SO_LINGER,
			    &lg, sizeof(lg));
		}
		conn_close(c, r->error);
		return (CONN_GONE);
	}
	return (want);
}

/*
 * Run the current state's step once, then arm the watchers it waits for:
 * the one place they are started (conn_set_state() stops them).
 */
static void
conn_step(struct conn *c)
{
	int	 want = 0;

	switch (c->state) {
	case CONN_ACCEPTED:
		break;
	case CONN_SOCKS_GREETING:
	case CONN_SOCKS_AUTH:
	case CONN_SOCKS_REQUEST:
		want = conn_socks_step(c);
		break;
	case CONN_RESOLVING:
	case CONN_CONNECTING:
		/* the dialer has its own watcher; it calls conn_dial_cb() */
		break;
	case CONN_TLS_HANDSHAKE:
		want = conn_handshake_step(c);
		break;
	case CONN_PEER_STATUS:
		want = conn_peer_status_step(c);
		break;
	case CONN_RELAY:
	case CONN_DRAINING:
		want = conn_relay_step(c);
		break;
	}
	if (want == CONN_GONE)
		return;
	conn_watch(c, want);
	if (want & RELAY_WANT_AGAIN) {
		/* give others a turn, then continue where we stopped */
		ev_feed_event(c->env->loop, &c->plain_r, EV_CUSTOM);
	}
}

/* Every watcher of a connection lands here. */
static void
conn_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct conn	*c = io->data;

	(void)loop;
	/* a socket seen empty is read again only once it is reported
	 * readable (a fed EV_CUSTOM event is not such a report) */
	if (revents & EV_READ) {
		if (io == &c->tls_r && c->tls != NULL)
			tls_rx_ready(c->tls);
		else if (io == &c->plain_r)
			relay_plain_ready(&c->relay);
	}
	conn_step(c);
}

/* The connection's deadline passed; what that means depends on the state. */
static void
conn_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct conn	*c = t->data;
	ev_tstamp	 idle, left;

	(void)revents;
	switch (c->state) {
	case CONN_ACCEPTED:
		break;
	case CONN_SOCKS_GREETING:
	case CONN_SOCKS_AUTH:
	case CONN_SOCKS_REQUEST:
		conn_close(c, "SOCKS negotiation timed out");
		break;
	case CONN_RESOLVING:
	case CONN_CONNECTING:
		conn_dial_failed(c, SOCKS5_REP_TTL_EXPIRED,
		    "connect timed out");
		break;
	case CONN_TLS_HANDSHAKE:
	case CONN_PEER_STATUS:
		if (c->socks)
			conn_refuse(c, SOCKS5_REP_TTL_EXPIRED,
			    "TLS handshake timed out");
		else {
			conn_report(c, CONN_EV_HANDSHAKE_FAILED, 0, 0);
			conn_close(c, "TLS handshake timed out");
		}
		break;
	case CONN_RELAY:
		idle = c->env->tc->idle_timeout;
		left = c->last_active + idle - ev_now(loop);
		if (idle > 0 && left <= 0)
			conn_close(c, "idle timeout");
		else if (idle > 0)
			conn_timer(c, left);
		break;
	case CONN_DRAINING:
		conn_close(c, "refused");
		break;
	}
}

/* The peer's certificate chain has expired: the link ends now. */
static void
conn_expiry_cb(struct ev_loop *loop, ev_periodic *p, int revents)
{
	struct conn	*c = p->data;
	struct linger	 lg = { 1, 0 };
	char		 when[32], why[512];

	(void)loop;
	(void)revents;
	creds_time(tls_peer_not_after(c->tls), when, sizeof(when));
	snprintf(why, sizeof(why), "certificate expired: peer %s (valid "
	    "until %s)", tls_peer(c->tls), when);
	tls_alert_expired(c->tls);
	if (c->socks && c->state == CONN_PEER_STATUS) {
		/* the SOCKS client has had no answer yet: it gets one */
		conn_refuse(c, SOCKS5_REP_GENERAL_FAILURE, why);
		return;
	}
	/* A cut stream must not pass for a complete one (as on a relay
	 * error): the plain side is reset, not ended with a FIN. */
	if (c->state == CONN_RELAY)
		setsockopt(conn_plain_fd(c), SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
	conn_close(c, why);
}

/**
 * conn_start(env, fd, sa, over_limit, cb, cookie): take ownership of the
 * accepted, non-blocking ${fd} from ${sa} and start serving it in the
 * mode of env->tc.  A connection ${over_limit} is refused as cheaply as
 * the protocol allows.  What happens to it is reported as
 * ${cb}(${cookie}, c, event, in, out): CONN_EV_OPEN first (perhaps
 * followed by CONN_EV_CLOSED before conn_start() returns), CONN_EV_CLOSED
 * last.  Return 0, or -1 if out of memory: ${fd} is closed and nothing is
 * reported.
 */
int
conn_start(const struct conn_env *env, int fd, const struct sockaddr *sa,
    int over_limit, conn_event_cb *cb, void *cookie)
{
	struct conn	*c;
	struct verify_policy pol;
	int		 one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return (-1);
	}
	c->env = env;
	c->cb = cb;
	c->cookie = cookie;
	c->socks = tunnel_dials_tls(env->tc->mode);
	c->redirect = env->tc->mode == TUNNEL_REDIRECT;
	c->over_limit = over_limit;
	c->client_fd = fd;
	c->dial_fd = -1;
	c->started = ev_now(env->loop);
	addr_format(sa, c->client, sizeof(c->client));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* in socks mode the negotiation reads through the relay */
	relay_init(&c->relay, c->socks ? fd : -1, NULL);
	ev_io_init(&c->plain_r, conn_io_cb, -1, EV_READ);
	ev_io_init(&c->plain_w, conn_io_cb, -1, EV_WRITE);
	ev_io_init(&c->tls_r, conn_io_cb, -1, EV_READ);
	ev_io_init(&c->tls_w, conn_io_cb, -1, EV_WRITE);
	c->plain_r.data = c->plain_w.data = c->tls_r.data = c->tls_w.data = c;
	ev_timer_init(&c->timer, conn_timer_cb, 0., 0.);
	c->timer.data = c;
	ev_periodic_init(&c->expiry, conn_expiry_cb, 0., 0., NULL);
	c->expiry.data = c;
	conn_bind_watchers(c);
	c->state = CONN_ACCEPTED;
	conn_report(c, CONN_EV_OPEN, 0, 0);

	conn_timer(c, env->tc->handshake_timeout);
	if (c->redirect) {
		conn_redirect(c);
		return (0);
	}
	if (c->socks) {
		conn_set_state(c, CONN_SOCKS_GREETING);
		conn_step(c);
		return (0);
	}
	/* tls mode: the worker closes connections over the limit, or from
	 * a throttled address, itself; this one is counted in progress */
	if (env->throttle != NULL) {
		throttle_key(sa, &c->tkey);
		c->throttled = 1;
		throttle_track(env->throttle, &c->tkey, &c->ths);
	}
	if (env->tc->loopback_per_peer &&
	    addr_loopback_for(sa, &c->source) != 0)
		c->source.sin_family = 0;
	conn_set_state(c, CONN_TLS_HANDSHAKE);
	memset(&pol, 0, sizeof(pol));
	pol.allow = env->tc->allow;
	pol.nallow = env->tc->nallow;
	if ((c->tls = tls_new(env->creds, NULL, fd, 1, &pol, NULL, NULL)) ==
	    NULL) {
		conn_close(c, "cannot create TLS session");
		return (0);
	}
	conn_step(c);
	return (0);
}

/* Stop everything of ${c} and free it (conn_close() without the log). */
static void
conn_free(struct conn *c)
{
	struct ev_loop	*loop = c->env->loop;

	conn_throttle_end(c, 1);
	/* stop even inactive watchers: that also clears fed events */
	ev_io_stop(loop, &c->plain_r);
	ev_io_stop(loop, &c->plain_w);
	ev_io_stop(loop, &c->tls_r);
	ev_io_stop(loop, &c->tls_w);
	ev_timer_stop(loop, &c->timer);
	ev_periodic_stop(loop, &c->expiry);
	dial_cancel(c->dialer);
	tls_free(c->tls);
	relay_free(&c->relay);
	if (c->dial_fd >= 0)
		close(c->dial_fd);
	close(c->client_fd);
	conn_report(c, CONN_EV_CLOSED, 0, 0);
	free(c);
}

/** conn_close(c, why): log ${why}, stop everything of ${c} and free it. */
void
conn_close(struct conn *c, const char *why)
{
	uint64_t	 in, out;

	conn_payload(c, &in, &out);
	if (c->state == CONN_RELAY)
		log_info("%s -> %s: closed: %s (%llu bytes in, %llu out, "
		    "%.1fs)", c->client, c->dest, why,
		    (unsigned long long)in, (unsigned long long)out,
		    ev_now(c->env->loop) - c->started);
	else if (c->state != CONN_DRAINING)
		log_info("%s%s%s: closed in %s: %s", c->client,
		    c->dest[0] ? " -> " : "", c->dest,
		    conn_state_names[c->state], why);
	else
		log_debug("%s: closed after refusal", c->client);
	conn_free(c);
}

/**
 * conn_evict(env, key, victim, len): the tls tunnel of ${env} is full and
 * a connection from ${key} has been admitted by the throttle: close the
 * handshake throttle_victim() names for it, if any, and put its client
 * address in ${victim} (${len} bytes).  Return 1 if one was closed.
 */
int
conn_evict(const struct conn_env *env, const struct throttle_key *key,
    char *victim, size_t len)
{
	struct throttle_hs	*hs;
	struct conn		*c;

	if (env->throttle == NULL || (hs = throttle_victim(env->throttle, key,
	    ev_now(env->loop))) == NULL)
		return (0);
	c = (struct conn *)(void *)((char *)hs - offsetof(struct conn, ths));
	snprintf(victim, len, "%s", c->client);
	/* the caller logs evictions, at most once a second: a flood would
	 * make one line per connection here */
	log_debug("%s: closed in %s: evicted for a new connection at "
	    "max_connections", c->client, conn_state_names[c->state]);
	conn_report(c, CONN_EV_HANDSHAKE_FAILED, 0, 0);
	conn_free(c);
	return (1);
}

/** conn_describe(c, pc): fill ${pc} with what stunnelctl shows of ${c}. */
void
conn_describe(struct conn *c, struct proto_conn *pc)
{
	size_t	 i;

	memset(pc, 0, sizeof(*pc));
	snprintf(pc->tunnel, sizeof(pc->tunnel), "%s", c->env->tc->name);
	snprintf(pc->client, sizeof(pc->client), "%s", c->client);
	snprintf(pc->destination, sizeof(pc->destination), "%s", c->dest);
	if (c->tls != NULL)
		snprintf(pc->peer, sizeof(pc->peer), "%s", tls_peer(c->tls));
	/* "TLS_HANDSHAKE" -> "tls-handshake" */
	snprintf(pc->state, sizeof(pc->state), "%s",
	    conn_state_names[c->state]);
	for (i = 0; pc->state[i] != '\0'; i++)
		pc->state[i] = pc->state[i] == '_' ? '-' :
		    (char)tolower((unsigned char)pc->state[i]);
	conn_payload(c, &pc->bytes_in, &pc->bytes_out);
	pc->started = (int64_t)(time(NULL) - (ev_now(c->env->loop) - c->started));
}

/**
 * conn_recheck(c, creds): after a certificate reload, close ${c} if its
 * peer no longer passes the new CA, CRL or allow-list.  Return 1 if it
 * was closed.
 */
int
conn_recheck(struct conn *c, struct creds *creds)
{
	char	 reason[256], why[320];

	if (c->tls == NULL || c->state == CONN_DRAINING)
		return (0);
	if (tls_recheck(c->tls, creds, reason, sizeof(reason)) == 0) {
		/* past its handshake the link ends with its chain, whose CA
		 * may now expire at another time */
		if (c->state != CONN_TLS_HANDSHAKE)
			conn_expiry_arm(c);
		return (0);
	}
	log_warnx("%s (%s): peer no longer accepted after reload-certs: %s",
	    c->client, tls_peer(c->tls), reason);
	snprintf(why, sizeof(why), "peer no longer accepted: %s", reason);
	conn_close(c, why);
	return (1);
}

