/*
 * tls.c: the GnuTLS session wrapper.  Everything here is non-blocking:
 * GnuTLS reports EAGAIN, and the direction it was waiting for is passed
 * back to the caller's loop.
 *
 * GnuTLS does not read or write the socket itself.  Left alone it makes
 * two recv() calls per record (header, then body) and one send() per
 * record; here one recv() takes whatever the socket holds, up to 64 KiB,
 * and records collect in a 64 KiB buffer that goes out with one send()
 * when it is full or the caller flushes (tls_flush()).  On a busy link
 * that is about a quarter of the system calls and of the wake-ups of the
 * process at the other end.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "buf.h"
#include "creds.h"
#include "creds_gnutls.h"
#include "log.h"
#include "tls.h"
#include "verify.h"
#include "verify_gnutls.h"

#define TLS_CACHE_MAX	64	/* destinations a worker resumes sessions with */

/* Client session data by destination, for TLS 1.3 resumption. */
struct tls_cache {
	struct {
		char		 key[600];
		gnutls_datum_t	 data;
		time_t		 not_after;	/* its peer's chain ends */
		unsigned long	 used;
	}		 ent[TLS_CACHE_MAX];
	unsigned long	 clock;
};

struct tls {
	gnutls_session_t	 session;
	struct creds		*creds;
	struct tls_cache	*cache;		/* client: where to keep the ticket */
	char			 cache_key[600];
	int			 server;
	int			 established;
	int			 ticket_pending;	/* server: a ticket still to send */
	int			 handshake_done;	/* ticket included */
	int			 ticket_alone;	/* server: tx holds only the ticket */
	int			 ticket_arrived;	/* client: not yet in the cache */
	int			 ticket_again;	/* client: TLS 1.2, resumed: the
						 * ticket used stays good */
	struct verify_policy	 pol;
	int			 verified;
	time_t			 peer_not_after;	/* the verified chain expires */
	char			 peer[256];
	char			 error[512];
	size_t			 send_pending;	/* bytes of a send that hit EAGAIN */
	int			 fd;
	struct buf		 rx;	/* read from fd, not yet taken by GnuTLS */
	struct buf		 tx;	/* records from GnuTLS, not yet sent */
	int			 rx_drained;	/* fd found empty since it was last
						 * reported readable */
};

/*
 * GnuTLS's read function: serve from rx, refilling it with one recv().
 * A short read means the socket is empty; until the caller's loop reports
 * it readable again (tls_rx_ready()) the answer is EAGAIN without a
 * system call.
 */
static ssize_t
tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct tls	*t = ptr;
	size_t		 room;
	ssize_t		 n;

	if (t->rx.len == 0) {
		if (t->rx_drained) {
			gnutls_transport_set_errno(t->session, EAGAIN);
			return (-1);
		}
		if ((room = buf_room(&t->rx)) == 0) {
			gnutls_transport_set_errno(t->session, ENOMEM);
			return (-1);
		}
		n = recv(t->fd, t->rx.data + t->rx.off, room, 0);
		if (n <= 0) {
			buf_settle(&t->rx);
			if (n == 0)
				return (0);
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				t->rx_drained = 1;
			gnutls_transport_set_errno(t->session, errno);
			return (-1);
		}
		if ((size_t)n < room)
			t->rx_drained = 1;
		t->rx.len = (size_t)n;
	}
	if (len > t->rx.len)
		len = t->rx.len;
	memcpy(data, t->rx.data + t->rx.off, len);
	buf_consume(&t->rx, len);
	return ((ssize_t)len);
}

/*
 * 1 if GnuTLS stopped with EAGAIN while bytes it has not read wait in rx.
 * It does that after a post-handshake message (a session ticket, a key
 * update); the caller's loop would then wait for a socket that has
 * nothing more to say, so the call is simply made again.
 */
static int
tls_rx_pending(struct tls *t)
{
	return (t->rx.len > 0 && !gnutls_record_get_direction(t->session));
}

/* Send what tx holds: 0 when it is empty, -1 with errno otherwise. */
static int
tls_tx_send(struct tls *t)
{
	ssize_t	 n;

	while (t->tx.len > 0) {
		n = send(t->fd, t->tx.data + t->tx.off, t->tx.len,
		    MSG_NOSIGNAL);
		if (n < 0)
			return (-1);
		buf_consume(&t->tx, (size_t)n);
	}
	return (0);
}

/* GnuTLS's write function: collect in tx, sending only when it is full. */
static ssize_t
tls_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct tls	*t = ptr;
	size_t		 room;
	ssize_t		 n;

	for (;;) {
		if ((room = buf_room(&t->tx)) > 0) {
			if (len > room)
				len = room;
			memcpy(t->tx.data + t->tx.off + t->tx.len, data, len);
			t->tx.len += len;
			return ((ssize_t)len);
		}
		if (t->tx.data == NULL) {
			/* no memory for tx: send directly */
			n = send(t->fd, data, len, MSG_NOSIGNAL);
			if (n < 0)
				gnutls_transport_set_errno(t->session, errno);
			return (n);
		}
		if (tls_tx_send(t) != 0) {
			gnutls_transport_set_errno(t->session, errno);
			return (-1);
		}
	}
}

/** tls_flush(t): send the records collected so far: TLS_OK, TLS_AGAIN_OUT or TLS_FAILED. */
int
tls_flush(struct tls *t)
{
	if (tls_tx_send(t) == 0)
		return (TLS_OK);
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return (TLS_AGAIN_OUT);
	if (t->error[0] == '\0')
		snprintf(t->error, sizeof(t->error),
		    "connection closed by peer during TLS (%s)",
		    strerror(errno));
	return (TLS_FAILED);
}

/** tls_unsent(t): 1 if records wait in the session for tls_flush(). */
int
tls_unsent(struct tls *t)
{
	return (t->tx.len > 0);
}

/** tls_rx_ready(t): the caller's loop saw the socket readable. */
void
tls_rx_ready(struct tls *t)
{
	t->rx_drained = 0;
}

/* Called by GnuTLS when the peer's certificate arrives. */
static int
tls_verify_cb(gnutls_session_t session)
{
	struct tls		*t = gnutls_session_get_ptr(session);
	struct cert_ident	 ident;	/* 8 KiB: kept off the session */
	char			 reason[400], who[128];

	if (verify_peer_cached(session, creds_anchors(t->creds),
	    creds_verify_cache(t->creds), &t->pol, &ident, reason,
	    sizeof(reason)) != 0) {
		snprintf(t->error, sizeof(t->error), "peer refused: %s",
		    reason);
		return (GNUTLS_E_CERTIFICATE_ERROR);
	}
	/* after the cache: whether a CRL is in date changes with time */
	if (creds_crl_refuses(t->creds, session, ident.anchor, time(NULL),
	    reason, sizeof(reason))) {
		snprintf(t->error, sizeof(t->error), "peer %s refused: %s",
		    verify_ident_str(&ident, who, sizeof(who)), reason);
		return (GNUTLS_E_CERTIFICATE_ERROR);
	}
	verify_ident_str(&ident, t->peer, sizeof(t->peer));
	t->peer_not_after = ident.not_after;
	t->verified = 1;
	return (0);
}

/* GnuTLS's own debug log, on -v -v -v. */
static void
tls_log_cb(int level, const char *msg)
{
	size_t	 len = strlen(msg);

	if (len > 0 && msg[len - 1] == '\n')
		len--;
	log_debug("gnutls[%d]: %.*s", level, (int)len, msg);
}

/** tls_global_init(debug): initialise GnuTLS; ${debug} > 0 turns on its log. */
void
tls_global_init(int debug)
{
	if (gnutls_global_init() < 0)
		fatalx("gnutls_global_init failed");
	if (debug > 0) {
		gnutls_global_set_log_function(tls_log_cb);
		gnutls_global_set_log_level(debug);
	}
}

/* Record why ${ret} ended the session, in words where we have them. */
static void
tls_set_error(struct tls *t, int ret)
{
	if (t->error[0] != '\0')
		return;		/* the verify callback said it better */
	if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    ret == GNUTLS_E_WARNING_ALERT_RECEIVED)
		snprintf(t->error, sizeof(t->error), "peer sent alert: %s",
		    gnutls_alert_get_name(gnutls_alert_get(t->session)));
	else if (ret == GNUTLS_E_PREMATURE_TERMINATION ||
	    ret == GNUTLS_E_PULL_ERROR || ret == GNUTLS_E_PUSH_ERROR)
		snprintf(t->error, sizeof(t->error),
		    "connection closed by peer during TLS (%s)",
		    gnutls_strerror(ret));
	else if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND ||
	    ret == GNUTLS_E_CERTIFICATE_REQUIRED)
		snprintf(t->error, sizeof(t->error),
		    "peer sent no certificate");
	else if (ret == GNUTLS_E_UNEXPECTED_PACKET_LENGTH ||
	    ret == GNUTLS_E_UNEXPECTED_PACKET ||
	    ret == GNUTLS_E_UNSUPPORTED_VERSION_PACKET)
		snprintf(t->error, sizeof(t->error),
		    "peer speaks no TLS version the priority allows (%s)",
		    gnutls_strerror(ret));
	else
		snprintf(t->error, sizeof(t->error), "%s",
		    gnutls_strerror(ret));
}

/** tls_cache_new(): an empty client session cache; NULL if out of memory. */
struct tls_cache *
tls_cache_new(void)
{
	return (calloc(1, sizeof(struct tls_cache)));
}

/* Wipe and free session data (it holds a resumption secret). */
static void
tls_datum_clear(gnutls_datum_t *d)
{
	if (d->data == NULL)
		return;
	gnutls_memset(d->data, 0, d->size);
	gnutls_free(d->data);
	d->data = NULL;
}

/**
 * tls_cache_clear(cache): forget every session in ${cache}: they were
 * made with credentials that have just been replaced.
 */
void
tls_cache_clear(struct tls_cache *cache)
{
	size_t	 i;

	for (i = 0; i < TLS_CACHE_MAX; i++)
		tls_datum_clear(&cache->ent[i].data);
}

/** tls_cache_free(cache): free ${cache} and the session data in it; NULL is a no-op. */
void
tls_cache_free(struct tls_cache *cache)
{
	if (cache == NULL)
		return;
	tls_cache_clear(cache);
	free(cache);
}

/* The slot of ${key} in ${cache}, or (with ${make}) the least recently used one. */
static int
tls_cache_slot(struct tls_cache *cache, const char *key, int make)
{
	size_t	 i, lru = 0;

	for (i = 0; i < TLS_CACHE_MAX; i++) {
		if (cache->ent[i].data.data != NULL &&
		    strcmp(cache->ent[i].key, key) == 0)
			return ((int)i);
		if (cache->ent[i].used < cache->ent[lru].used)
			lru = i;
	}
	if (!make)
		return (-1);
	tls_datum_clear(&cache->ent[lru].data);
	snprintf(cache->ent[lru].key, sizeof(cache->ent[lru].key), "%s", key);
	return ((int)lru);
}

/* GnuTLS has taken a session ticket from the server. */
static int
tls_ticket_cb(gnutls_session_t session, unsigned int htype, unsigned int when,
    unsigned int incoming, const gnutls_datum_t *msg)
{
	struct tls	*t = gnutls_session_get_ptr(session);

	(void)htype;
	(void)when;
	(void)incoming;
	(void)msg;
	t->ticket_arrived = 1;
	return (0);
}

/* A client that got a ticket (or, TLS 1.2, resumed with one that stays
 * good) keeps it for its next connection there. */
static void
tls_cache_store(struct tls *t)
{
	gnutls_datum_t	 data;
	int		 again = t->ticket_again, i;

	/* at once: the next connection to the same place may start
	 * before this one ends */
	if (!t->ticket_arrived && !again)
		return;
	t->ticket_arrived = t->ticket_again = 0;
	if (t->cache == NULL || !t->established ||
	    (!again && !(gnutls_session_get_flags(t->session) &
	    GNUTLS_SFLAGS_SESSION_TICKET)) ||
	    gnutls_session_get_data2(t->session, &data) < 0)
		return;
	i = tls_cache_slot(t->cache, t->cache_key, 1);
	tls_datum_clear(&t->cache->ent[i].data);
	t->cache->ent[i].data = data;
	t->cache->ent[i].not_after = t->peer_not_after;
	t->cache->ent[i].used = ++t->cache->clock;
}

/**
 * tls_new(creds, cache, fd, server, pol, sni, cache_key): a session on
 * the connected, non-blocking ${fd} using ${creds} (a reference is
 * taken).  A server requires a client certificate and issues session
 * tickets.  The peer is checked during the handshake against ${pol}
 * (copied; its strings must outlive the session); a resumed session is
 * checked too.  A client sends ${sni} if not NULL, and resumes from and
 * saves to ${cache} (may be NULL) under ${cache_key}, but does not resume
 * a session whose peer chain has expired since.  Both ends offer the
 * stunneld ALPN protocol.  Return NULL on failure.
 */
struct tls *
tls_new(struct creds *creds, struct tls_cache *cache, int fd, int server,
    const struct verify_policy *pol, const char *sni, const char *cache_key)
{
	struct tls	*t;
	gnutls_datum_t	 alpn = { (unsigned char *)SD_ALPN, sizeof(SD_ALPN) - 1 };
	int		 ret;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto err0;
	/* TLS 1.3 tickets go only to stunneld peers (see tls_handshake();
	 * a TLS 1.2 ticket is part of the handshake, for any peer).  A
	 * client sends a key share for its first group only (X25519 by
	 * default), not also one for P-256 that a stunneld peer never
	 * uses; a server that wants another group asks for it (one more
	 * round trip, for that peer only). */
	if ((ret = gnutls_init(&t->session, (server ? GNUTLS_SERVER |
	    GNUTLS_NO_AUTO_SEND_TICKET : GNUTLS_CLIENT | GNUTLS_KEY_SHARE_TOP) |
	    GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL)) < 0) {
		log_warnx("gnutls_init: %s", gnutls_strerror(ret));
		goto err1;
	}
	if ((ret = gnutls_priority_set(t->session,
	    creds_priority(creds))) < 0 ||
	    (ret = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
	    creds_gnutls(creds))) < 0 ||
	    (ret = gnutls_alpn_set_protocols(t->session, &alpn, 1, 0)) < 0) {
		log_warnx("tls session setup: %s", gnutls_strerror(ret));
		goto err2;
	}
	if (server) {
		gnutls_certificate_server_set_request(t->session,
		    GNUTLS_CERT_REQUIRE);
		if ((ret = gnutls_session_ticket_enable_server(t->session,
		    creds_ticket_key(creds))) < 0) {
			log_warnx("session tickets: %s", gnutls_strerror(ret));
			goto err2;
		}
	} else if (sni != NULL && (ret = gnutls_server_name_set(t->session,
	    GNUTLS_NAME_DNS, sni, strlen(sni))) < 0) {
		log_warnx("tls server name: %s", gnutls_strerror(ret));
		goto err2;
	}
	if (!server && cache != NULL && cache_key != NULL) {
		int	 i;

		t->cache = cache;
		snprintf(t->cache_key, sizeof(t->cache_key), "%s", cache_key);
		gnutls_handshake_set_hook_function(t->session,
		    GNUTLS_HANDSHAKE_NEW_SESSION_TICKET, GNUTLS_HOOK_POST,
		    tls_ticket_cb);
		/* A ticket is for one use: take it out of the cache.  A
		 * resumed session shows the peer's chain as it was when the
		 * session began; once that has expired, the peer (renewed
		 * since, or it would not be worth dialling) is met with a
		 * full handshake rather than refused. */
		if ((i = tls_cache_slot(cache, cache_key, 0)) >= 0) {
			if (cache->ent[i].not_after == 0 ||
			    time(NULL) <= cache->ent[i].not_after)
				(void)gnutls_session_set_data(t->session,
				    cache->ent[i].data.data,
				    cache->ent[i].data.size);
			tls_datum_clear(&cache->ent[i].data);
		}
	}
	t->pol = *pol;
	t->server = server;
	gnutls_session_set_ptr(t->session, t);
	gnutls_session_set_verify_function(t->session, tls_verify_cb);
	gnutls_handshake_set_timeout(t->session, 0);	/* our timer decides */
	t->fd = fd;
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_pull_function(t->session, tls_pull);
	gnutls_transport_set_push_function(t->session, tls_push);
	t->creds = creds_ref(creds);
	return (t);

err2:
	gnutls_deinit(t->session);
err1:
	free(t);
err0:
	return (NULL);
}

static int	tls_handshake_step(struct tls *);

/* GNUTLS_E_AGAIN from the last call: the direction it waits for. */
static int
tls_again(struct tls *t)
{
	return (gnutls_record_get_direction(t->session) ? TLS_AGAIN_OUT :
	    TLS_AGAIN_IN);
}

/** tls_handshake(t): advance the handshake: TLS_OK, TLS_AGAIN_IN/OUT or TLS_FAILED. */
int
tls_handshake(struct tls *t)
{
	int	 ret;

	if ((ret = tls_flush(t)) != TLS_OK || t->handshake_done)
		return (ret);
	ret = tls_handshake_step(t);
	if (ret == TLS_OK) {
		t->handshake_done = 1;
		/* A session ticket and nothing else (in TLS 1.3 the server's
		 * last flight went out with an earlier step) waits for the
		 * first data, the status byte: the peer wakes up once for
		 * both.  A TLS 1.2 server's Finished goes out now. */
		if (t->ticket_alone)
			return (TLS_OK);
	}
	/* what the step wrote goes out now, even if the handshake failed
	 * (the alert that says why); it is done once the peer has it all */
	if (tls_flush(t) == TLS_AGAIN_OUT && ret == TLS_OK)
		ret = TLS_AGAIN_OUT;
	/* records left unsent are waited for before anything else */
	if (ret == TLS_AGAIN_IN && tls_unsent(t))
		ret = TLS_AGAIN_OUT;
	return (ret);
}

/* One gnutls_handshake() or session ticket step. */
static int
tls_handshake_step(struct tls *t)
{
	int	 ret, tls13;

	if (t->ticket_pending) {
		/* A session ticket for a stunneld peer, sent right after the
		 * handshake so it never rides along with relayed data;
		 * other peers (stunnel, openssl, ...) get none. */
		size_t	 before = t->tx.len;

		do {
			ret = gnutls_session_ticket_send(t->session, 1, 0);
		} while (ret == GNUTLS_E_INTERRUPTED);
		if (ret == GNUTLS_E_AGAIN)
			return (tls_again(t));
		t->ticket_alone = ret >= 0 && before == 0;
		if (ret < 0)
			log_debug("session ticket not sent: %s",
			    gnutls_strerror(ret));
		t->ticket_pending = 0;
		return (TLS_OK);
	}
	do {
		ret = gnutls_handshake(t->session);
	} while (ret == GNUTLS_E_INTERRUPTED ||
	    (ret == GNUTLS_E_AGAIN && tls_rx_pending(t)));
	if (ret == GNUTLS_E_SUCCESS) {
		/* GnuTLS skips the callback if no certificate came, and on a
		 * resumed session: then the peer's stored chain is checked
		 * here, against the CA and CRL in force now. */
		if (!t->verified && gnutls_session_is_resumed(t->session) &&
		    tls_verify_cb(t->session) != 0)
			return (TLS_FAILED);
		if (!t->verified) {
			snprintf(t->error, sizeof(t->error),
			    "peer sent no certificate");
			return (TLS_FAILED);
		}
		t->established = 1;
		tls13 = gnutls_protocol_get_version(t->session) ==
		    GNUTLS_TLS1_3;
		if (t->server && tls13 && tls_peer_is_stunneld(t)) {
			t->ticket_pending = 1;
			return (tls_handshake_step(t));
		}
		if (!t->server) {
			/* A TLS 1.2 ticket comes inside the handshake, and a
			 * TLS 1.2 server renews none when a session resumes
			 * (RFC 5077 lets the client use it again): keep the
			 * one used, or the next connection would make a
			 * full handshake. */
			t->ticket_again = !tls13 &&
			    gnutls_session_is_resumed(t->session);
			tls_cache_store(t);
		}
		return (TLS_OK);
	}
	if (ret == GNUTLS_E_AGAIN)
		return (tls_again(t));
	if (!gnutls_error_is_fatal(ret) && ret != GNUTLS_E_WARNING_ALERT_RECEIVED)
		return (tls_again(t));
	tls_set_error(t, ret);
	return (TLS_FAILED);
}

/**
 * tls_recv(t, buf, len): read application data.  Return the byte count,
 * TLS_AGAIN_IN or TLS_AGAIN_OUT (the direction GnuTLS waits for),
 * TLS_CLOSED or TLS_FAILED.
 */
ssize_t
tls_recv(struct tls *t, void *buf, size_t len)
{
	ssize_t	 n;

	for (;;) {
		n = gnutls_record_recv(t->session, buf, len);
		tls_cache_store(t);
		if (n > 0)
			return (n);
		if (n == 0)
			return (TLS_CLOSED);
		if (n == GNUTLS_E_AGAIN && tls_rx_pending(t))
			continue;
		if (n == GNUTLS_E_AGAIN)
			return (tls_again(t));
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_PREMATURE_TERMINATION) {
			/* TCP FIN without close_notify: the stream may have
			 * been cut, so it must not end like a complete one. */
			snprintf(t->error, sizeof(t->error), "peer closed "
			    "without close_notify (stream may be truncated)");
			return (TLS_FAILED);
		}
		if (!gnutls_error_is_fatal((int)n))
			continue;	/* e.g. a warning alert; read on */
		tls_set_error(t, (int)n);
		return (TLS_FAILED);
	}
}

/**
 * tls_send(t, buf, len): write application data.  Return the byte count
 * taken (at most one record), TLS_AGAIN_IN or TLS_AGAIN_OUT, or
 * TLS_FAILED.  After TLS_AGAIN_* the next call must pass the same unsent
 * bytes at the same place.
 */
ssize_t
tls_send(struct tls *t, const void *buf, size_t len)
{
	ssize_t	 n;

	for (;;) {
		if (t->send_pending > 0)
			n = gnutls_record_send(t->session, NULL, 0);
		else
			n = gnutls_record_send(t->session, buf, len);
		if (n >= 0) {
			t->send_pending = 0;
			return (n);
		}
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN) {
			/* GnuTLS keeps the record; resume it with NULL, 0. */
			if (t->send_pending == 0)
				t->send_pending = len;
			return (tls_again(t));
		}
		tls_set_error(t, (int)n);
		return (TLS_FAILED);
	}
}

/** tls_shutdown(t): send close_notify (half-close): TLS_OK, TLS_AGAIN_IN/OUT or TLS_FAILED. */
int
tls_shutdown(struct tls *t)
{
	int	 ret;

	do {
		ret = gnutls_bye(t->session, GNUTLS_SHUT_WR);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret == GNUTLS_E_SUCCESS)
		return (TLS_OK);
	if (ret == GNUTLS_E_AGAIN)
		return (tls_again(t));
	tls_set_error(t, ret);
	return (TLS_FAILED);
}

/** tls_peer_is_stunneld(t): 1 if the peer negotiated the stunneld ALPN protocol. */
int
tls_peer_is_stunneld(struct tls *t)
{
	gnutls_datum_t	 p;

	if (gnutls_alpn_get_selected_protocol(t->session, &p) != 0)
		return (0);
	return (p.size == sizeof(SD_ALPN) - 1 &&
	    memcmp(p.data, SD_ALPN, p.size) == 0);
}

/** tls_peer(t): the verified peer's identity for logs ("" before verification). */
const char *
tls_peer(struct tls *t)
{
	return (t->peer);
}

/**
 * tls_recheck(t, creds, reason, len): 0 if the verified peer of ${t} also
 * passes the CA, CRL and policy with ${creds} (new credentials), and
 * their crl_strict if on; -1 with the reason otherwise.  A session not
 * yet verified passes (its handshake checks it).
 */
int
tls_recheck(struct tls *t, struct creds *creds, char *reason, size_t len)
{
	struct cert_ident	 id;

	if (!t->verified)
		return (0);
	if (verify_peer_again(t->session, creds_anchors(creds), &t->pol, &id,
	    reason, len) != 0)
		return (-1);
	if (creds_crl_refuses(creds, t->session, id.anchor, time(NULL),
	    reason, len))
		return (-1);
	t->peer_not_after = id.not_after;
	return (0);
}

/** tls_peer_not_after(t): when the verified peer's chain expires (0: never). */
time_t
tls_peer_not_after(struct tls *t)
{
	return (t->verified ? t->peer_not_after : 0);
}

/** tls_alert_expired(t): tell the peer its certificate has expired, without waiting. */
void
tls_alert_expired(struct tls *t)
{
	int	 ret;

	/* not in the middle of a record GnuTLS still holds */
	if (t->send_pending > 0 || !t->established)
		return;
	do {
		ret = gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
		    GNUTLS_A_CERTIFICATE_EXPIRED);
	} while (ret == GNUTLS_E_INTERRUPTED);
	(void)tls_flush(t);
}

/** tls_error(t): why the last call failed, in words. */
const char *
tls_error(struct tls *t)
{
	return (t->error[0] != '\0' ? t->error : "unknown TLS error");
}

/** tls_describe(t, buf, len): "TLS1.3 ECDHE-ECDSA-AES-128-GCM..." for logs; return ${buf}. */
char *
tls_describe(struct tls *t, char *buf, size_t len)
{
	char	*desc = gnutls_session_get_desc(t->session);

	const char *group = gnutls_group_get_name(gnutls_group_get(t->session));

	/* a resumed session's description leaves out its key exchange;
	 * a resumed TLS 1.2 session makes none (it keeps the first
	 * session's master secret), whatever group the description names */
	if (gnutls_session_is_resumed(t->session) &&
	    gnutls_protocol_get_version(t->session) != GNUTLS_TLS1_3)
		snprintf(buf, len, "%s, resumed, no new key exchange",
		    desc != NULL ? desc : "?");
	else if (gnutls_session_is_resumed(t->session))
		snprintf(buf, len, "%s, resumed, key exchange %s",
		    desc != NULL ? desc : "?", group != NULL ? group : "none");
	else
		snprintf(buf, len, "%s", desc != NULL ? desc : "?");
	gnutls_free(desc);
	return (buf);
}

/** tls_free(t): free the session and drop its creds reference; NULL is a no-op. */
void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	tls_cache_store(t);
	gnutls_deinit(t->session);
	buf_drop(&t->rx);
	buf_drop(&t->tx);
	creds_unref(t->creds);
	free(t);
}
