/*
 * throttle.h: the tls tunnel's per-address bound on handshakes.  An
 * address whose handshakes keep failing (no certificate, refused, reset,
 * timed out) may have only a few in progress at once; its further
 * connections are closed before any TLS work, so a flood of handshakes
 * from it cannot keep the worker signing for it while a good peer waits.
 * An address whose handshakes succeed is never limited.  Pure: no
 * sockets, no clock (the caller passes the time).
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#define THROTTLE_FAILS		16	/* failed handshakes that limit an address */
#define THROTTLE_INFLIGHT	4	/* handshakes a limited address may have */
#define THROTTLE_HALFLIFE	10	/* seconds for its failures to halve */

/* An address as the throttle counts it (IPv6: its /64). */
struct throttle_key {
	uint8_t		 family;	/* AF_INET, AF_INET6; 0: none */
	uint8_t		 addr[16];
};

struct throttle;

/** throttle_new(): an empty table; NULL if out of memory. */
struct throttle	*throttle_new(void);

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
 * throttle_done(th, key, failed, now): a handshake that throttle_admit()
 * counted for ${key} has ended, ${failed} or not.
 */
void		 throttle_done(struct throttle *th,
		    const struct throttle_key *key, int failed, double now);

/** throttle_limited(th, key, now): 1 if ${key} is limited at ${now}. */
int		 throttle_limited(struct throttle *th,
		    const struct throttle_key *key, double now);

#endif /* !THROTTLE_H */
