/*
 * tls.h: a GnuTLS session behind an opaque handle, for non-blocking
 * sockets.  Callers see TLS_AGAIN_IN or TLS_AGAIN_OUT and turn that into
 * starting or stopping their read/write watchers (chrony's tls.h).  Only
 * tls.c, creds.c and verify.c include GnuTLS (creds_gnutls.h,
 * verify_gnutls.h); tests/integration/11-layout.sh checks it.
 */
#ifndef TLS_H
#define TLS_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

struct creds;
struct tls;
struct verify_policy;

enum tls_status {
	TLS_OK = 0,
	TLS_AGAIN_IN = -1,	/* retry once the socket is readable */
	TLS_CLOSED = -2,	/* the peer ended its side (close_notify or EOF) */
	TLS_FAILED = -3,	/* see tls_error() */
	TLS_AGAIN_OUT = -4	/* retry once the socket is writable */
};

struct tls_cache;

/** tls_cache_new(): an empty client session cache; NULL if out of memory. */
struct tls_cache *tls_cache_new(void);

/**
 * tls_cache_clear(cache): forget every session in ${cache}: they were
 * made with credentials that have just been replaced.
 */
void		 tls_cache_clear(struct tls_cache *cache);

/** tls_cache_free(cache): free ${cache} and the session data in it; NULL is a no-op. */
void		 tls_cache_free(struct tls_cache *cache);

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
struct tls	*tls_new(struct creds *creds, struct tls_cache *cache, int fd,
		    int server, const struct verify_policy *pol,
		    const char *sni, const char *cache_key);

/**
 * tls_handshake(t): advance the handshake: TLS_OK, TLS_AGAIN_IN,
 * TLS_AGAIN_OUT or TLS_FAILED.  It flushes what it writes, except a
 * server's session ticket: that goes out with the caller's first
 * tls_flush().  TLS_AGAIN_OUT also when records wait unsent.
 */
int		 tls_handshake(struct tls *t);

/**
 * tls_recv(t, buf, len): read application data.  Return the byte count,
 * TLS_AGAIN_IN or TLS_AGAIN_OUT (the direction GnuTLS waits for),
 * TLS_CLOSED or TLS_FAILED.
 */
ssize_t		 tls_recv(struct tls *t, void *buf, size_t len);

/**
 * tls_send(t, buf, len): write application data.  Return the byte count
 * taken (at most one record), TLS_AGAIN_IN or TLS_AGAIN_OUT, or
 * TLS_FAILED.  After TLS_AGAIN_* the next call must pass the same unsent
 * bytes at the same place.
 */
ssize_t		 tls_send(struct tls *t, const void *buf, size_t len);

/** tls_shutdown(t): send close_notify (half-close): TLS_OK, TLS_AGAIN_IN/OUT or TLS_FAILED. */
int		 tls_shutdown(struct tls *t);

/**
 * tls_flush(t): send the records collected so far: TLS_OK, TLS_AGAIN_OUT
 * or TLS_FAILED.  tls_send() and tls_shutdown() only collect them; the
 * caller flushes once it has nothing more to write for now.
 */
int		 tls_flush(struct tls *t);

/** tls_unsent(t): 1 if records wait in the session for tls_flush(). */
int		 tls_unsent(struct tls *t);

/**
 * tls_rx_ready(t): the caller's loop saw the socket readable.  Until then,
 * after a read found the socket empty, the session reports TLS_AGAIN
 * without asking the kernel again.
 */
void		 tls_rx_ready(struct tls *t);

/** tls_peer_is_stunneld(t): 1 if the peer negotiated the stunneld ALPN protocol. */
int		 tls_peer_is_stunneld(struct tls *t);

/** tls_peer(t): the verified peer's identity for logs ("" before verification). */
const char	*tls_peer(struct tls *t);

/**
 * tls_peer_not_after(t): when the verified peer's certificate chain (its
 * own certificates or the CA they chain to) expires, the earliest of
 * them; 0 before verification or if none expires.
 */
time_t		 tls_peer_not_after(struct tls *t);

/**
 * tls_alert_expired(t): tell the peer, as well as can be done without
 * waiting, that its certificate has expired (a fatal alert), before the
 * caller closes the connection.
 */
void		 tls_alert_expired(struct tls *t);

/**
 * tls_recheck(t, creds, reason, len): 0 if the verified peer of ${t} also
 * passes the CA, CRL and policy with ${creds} (new credentials), and
 * their crl_strict if on; -1 with the reason otherwise.  A session not
 * yet verified passes (its handshake checks it).  On 0,
 * tls_peer_not_after() is that of the chain with the new CA.
 */
int		 tls_recheck(struct tls *t, struct creds *creds, char *reason,
		    size_t len);

/* Why a handshake failed (tls_failure()), for the metrics by reason. */
enum tls_failure {
	TLS_FAIL_PROTOCOL,	/* no common version or cipher, bad records */
	TLS_FAIL_VERIFY,	/* we refused the peer's certificate or identity */
	TLS_FAIL_ALERT,		/* the peer sent an alert (it refused us) */
	TLS_FAIL_CLOSED		/* the peer closed during the handshake */
};

/** tls_failure(t): why the handshake of ${t} failed, as one of a few kinds. */
enum tls_failure tls_failure(struct tls *t);

/** tls_error(t): why the last call failed, in words. */
const char	*tls_error(struct tls *t);

/** tls_describe(t, buf, len): "TLS1.3 ECDHE-ECDSA-AES-128-GCM..." for logs; return ${buf}. */
char		*tls_describe(struct tls *t, char *buf, size_t len);

/** tls_free(t): free the session and drop its creds reference; NULL is a no-op. */
void		 tls_free(struct tls *t);

/** tls_global_init(debug): initialise GnuTLS; ${debug} > 0 turns on its log. */
void		 tls_global_init(int debug);

#endif /* !TLS_H */
