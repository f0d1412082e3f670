/*
 * throttle.h: the tls tunnel's per-address bound on handshakes.  An
 * address whose handshakes keep failing (no certificate, refused, reset,
 * timed out) may have only a few in progress at once; its further
 * connections are closed before any TLS work, so a flood of handshakes
 * from it cannot keep the worker signing for it while a good peer waits.
 * An address whose handshakes succeed is never limited.
 *
 * It also names the handshake to close when the tunnel is full and a
 * connection from another address arrives: the oldest of the address
 * with the most in progress, so that no one address can fill the tunnel
 * before its failures limit it.  Pure: no sockets, no clock (the caller
 * passes the time).
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#define THROTTLE_FAILS		16	/* failed handshakes that limit an address */
#define THROTTLE_INFLIGHT	4	/* handshakes a limited address may have */
#define THROTTLE_HALFLIFE	10	/* seconds for its failures to halve */
#define THROTTLE_EVICT_MIN	THROTTLE_INFLIGHT	/* handshakes in progress
					 * an address keeps against eviction */

/* An address as the throttle counts it (IPv6: its /64). */
struct throttle_key {
	uint8_t		 family;	/* AF_INET, AF_INET6; 0: none */
	uint8_t		 addr[16];
};

struct throttle;
struct throttle_ent;

/*
 * One handshake in progress, in the caller's connection (throttle_track()
 * links it to its address, so that throttle_victim() can name it).
 */
struct throttle_hs {
	struct throttle_hs	*prev, *next;	/* its address's, oldest first */
	struct throttle_ent	*ent;		/* NULL: not linked */
};

/**
 * throttle_new(most): an empty table for a tunnel of at most ${most}
 * connections; NULL if out of memory.
 */
struct throttle	*throttle_new(unsigned int most);

/** throttle_free(th): free ${th}; NULL is a no-op. */
void		 throttle_free(struct throttle *th);

/**
 * throttle_key(sa, key): the address ${sa} (IPv4-mapped IPv6 as IPv4,
 * IPv6 cut to its /64) in ${key}; family 0 for anything else.
 */
void		 throttle_key(const struct sockaddr *sa, struct throttle_key *key);

/**
 * throttle_admit(th, key, now): 1 if a handshake from ${key} may start at
 * ${now} (seconds), counting it in progress; 0 if ${key} is limited
 * (THROTTLE_FAILS failures, halved every THROTTLE_HALFLIFE seconds) and
 * has THROTTLE_INFLIGHT handshakes in progress.  An address the table has
 * no room for is admitted.
 */
int		 throttle_admit(struct throttle *th,
		    const struct throttle_key *key, double now);

/**
 * throttle_track(th, key, hs): link ${hs}, a handshake throttle_admit()
 * has just admitted for ${key}, to its address, as its newest.  (Not
 * linked if the table had no room for the address.)
 */
void		 throttle_track(struct throttle *th,
		    const struct throttle_key *key, struct throttle_hs *hs);

/**
 * throttle_untrack(hs): unlink ${hs}; a no-op if it is not linked.  Before
 * throttle_done() for the same handshake.
 */
void		 throttle_untrack(struct throttle_hs *hs);

/**
 * throttle_done(th, key, failed, now): a handshake that throttle_admit()
 * counted for ${key} has ended, ${failed} or not.
 */
void		 throttle_done(struct throttle *th,
		    const struct throttle_key *key, int failed, double now);

/**
 * throttle_victim(th, key, now): in a full tunnel, the handshake to close for a
 * new one from ${key} (already admitted): the oldest linked one of the
 * address with the most handshakes in progress, if that address has more
 * than THROTTLE_EVICT_MIN and more than ${key}'s address (the new one
 * counted); else NULL.  O(1).
 */
struct throttle_hs *throttle_victim(struct throttle *th,
		    const struct throttle_key *key, double now);

/** throttle_limited(th, key, now): 1 if ${key} is limited at ${now}. */
int		 throttle_limited(struct throttle *th,
		    const struct throttle_key *key, double now);

#endif /* !THROTTLE_H */
