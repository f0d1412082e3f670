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

struct conn;
struct creds;
struct proto_conn;
struct throttle_key;
struct worker;

/**
 * conn_start(w, fd, sa, over_limit): take ownership of the accepted,
 * non-blocking ${fd} from ${sa} and start serving it in ${w}'s mode.  A
 * connection ${over_limit} is refused as cheaply as the protocol allows.
 */
void	conn_start(struct worker *w, int fd, const struct sockaddr *sa,
	    int over_limit);

/** conn_close(c, why): log ${why}, stop everything of ${c} and free it. */
void	conn_close(struct conn *c, const char *why);

/**
 * conn_evict(w, key, victim, len): ${w}'s tls tunnel is full and a
 * connection from ${key} has been admitted by the throttle: close the
 * handshake throttle_victim() names for it, if any, and put its client
 * address in ${victim} (${len} bytes).  Return 1 if one was closed.
 */
int	conn_evict(struct worker *w, const struct throttle_key *key,
	    char *victim, size_t len);

/** conn_describe(c, pc): fill ${pc} with what stunnelctl shows of ${c}. */
void	conn_describe(struct conn *c, struct proto_conn *pc);

/**
 * conn_recheck(c, creds): after a certificate reload, close ${c} if its
 * peer no longer passes the new CA, CRL or allow-list.  Return 1 if it
 * was closed.
 */
int	conn_recheck(struct conn *c, struct creds *creds);

/** conn_next(c): the connection after ${c} in its worker's list. */
struct conn *conn_next(struct conn *c);

#endif /* !CONN_H */
