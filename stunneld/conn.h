/*
 * conn.h: one accepted connection, from accept to close.  A connection
 * owns both of its sockets, its TLS session and its watchers; one state
 * enum says where it is, and conn_close() tears all of it down from any
 * state.
 */
#ifndef CONN_H
#define CONN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

struct conn;
struct creds;
struct ev_loop;
struct log_limit;
struct proto_conn;
struct resolver;
struct throttle;
struct throttle_key;
struct tls_cache;
struct tunnel_conf;

/*
 * What the owner of the connections (the worker) lends them: it keeps
 * this alive while any connection is open, and may replace creds (new
 * sessions use the new bundle, live ones keep theirs).
 */
struct conn_env {
	struct ev_loop		*loop;
	const struct tunnel_conf *tc;
	struct creds		*creds;
	struct resolver		*resolver;
	struct tls_cache	*tls_cache;	/* sessions to resume, by destination */
	struct throttle		*throttle;	/* tls mode: handshakes per address */
	struct log_limit	*log_source;	/* "cannot connect from its loopback address" */
	uint32_t		 mark;		/* SO_MARK of dialled sockets, 0: none */
	int			 mark_required;	/* a socket that cannot be marked
						 * is not used (redirect rules
						 * would loop it) */
};

/* What a connection reports to its owner. */
enum conn_event {
	CONN_EV_OPEN,		/* first event, before any I/O */
	CONN_EV_REFUSED,	/* a SOCKS or redirected client was refused */
	CONN_EV_HANDSHAKE_FAILED, /* a TLS handshake failed, timed out or
				 * was evicted */
	CONN_EV_BYTES,		/* payload moved: ${in} from and ${out} to
				 * the plaintext side */
	CONN_EV_CLOSED		/* last event: the connection is freed */
};

typedef void conn_event_cb(void *cookie, struct conn *c, enum conn_event ev,
    uint64_t in, uint64_t out);

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
int	conn_start(const struct conn_env *env, int fd,
	    const struct sockaddr *sa, int over_limit, conn_event_cb *cb,
	    void *cookie);

/** conn_close(c, why): log ${why}, stop everything of ${c} and free it. */
void	conn_close(struct conn *c, const char *why);

/**
 * conn_evict(env, key, victim, len): the tls tunnel of ${env} is full and
 * a connection from ${key} has been admitted by the throttle: close the
 * handshake throttle_victim() names for it, if any, and put its client
 * address in ${victim} (${len} bytes).  Return 1 if one was closed.
 */
int	conn_evict(const struct conn_env *env, const struct throttle_key *key,
	    char *victim, size_t len);

/** conn_describe(c, pc): fill ${pc} with what stunnelctl shows of ${c}. */
void	conn_describe(struct conn *c, struct proto_conn *pc);

/**
 * conn_recheck(c, creds): after a certificate reload, close ${c} if its
 * peer no longer passes the new CA, CRL or allow-list.  Return 1 if it
 * was closed.
 */
int	conn_recheck(struct conn *c, struct creds *creds);

#endif /* !CONN_H */
