/*
 * tls.h: a GnuTLS session behind an opaque handle, for non-blocking
 * sockets.  Callers see TLS_AGAIN plus a direction and turn that into
 * starting or stopping their read/write watchers; nothing else in the
 * daemon includes GnuTLS.
 */
#ifndef TLS_H
#define TLS_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "verify.h"

struct creds;
struct tls;

enum tls_status {
	TLS_OK = 0,
	TLS_AGAIN = -1,		/* retry when tls_want_write() says which way */
	TLS_CLOSED = -2,	/* the peer ended its side (close_notify or EOF) */
	TLS_FAILED = -3		/* see tls_error() */
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
 * tls_handshake(t): advance the handshake: TLS_OK, TLS_AGAIN or
 * TLS_FAILED.  It flushes what it writes, except a server's session
 * ticket: that goes out with the caller's first tls_flush().  After
 * TLS_AGAIN wait to write if tls_unsent() or tls_want_write() says so,
 * else to read.
 */
int		 tls_handshake(struct tls *t);

/** tls_want_write(t): after TLS_AGAIN, 1 if the session waits to write, 0 to read. */
int		 tls_want_write(struct tls *t);

/**
 * tls_recv(t, buf, len): read application data.  Return the byte count,
 * TLS_AGAIN, TLS_CLOSED or TLS_FAILED.
 */
ssize_t		 tls_recv(struct tls *t, void *buf, size_t len);

/**
 * tls_send(t, buf, len): write application data.  Return the byte count
 * taken (at most one record), TLS_AGAIN or TLS_FAILED.  After TLS_AGAIN
 * the next call must pass the same unsent bytes at the same place.
 */
ssize_t		 tls_send(struct tls *t, const void *buf, size_t len);

/** tls_shutdown(t): send close_notify (half-close): TLS_OK, TLS_AGAIN or TLS_FAILED. */
int		 tls_shutdown(struct tls *t);

/**
 * tls_flush(t): send the records collected so far: TLS_OK, TLS_AGAIN or
 * TLS_FAILED.  tls_send() and tls_shutdown() only collect them; the
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

/** tls_error(t): why the last call failed, in words. */
const char	*tls_error(struct tls *t);

/** tls_describe(t, buf, len): "TLS1.3 ECDHE-ECDSA-AES-128-GCM..." for logs; return ${buf}. */
char		*tls_describe(struct tls *t, char *buf, size_t len);

/** tls_free(t): free the session and drop its creds reference; NULL is a no-op. */
void		 tls_free(struct tls *t);

/** tls_global_init(debug): initialise GnuTLS; ${debug} > 0 turns on its log. */
void		 tls_global_init(int debug);

#endif /* !TLS_H */
