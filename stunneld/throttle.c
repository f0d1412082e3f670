/*
 * throttle.c: handshakes in progress and recent failures per source
 * address, in a chained hash table.  An entry lives while its address has
 * a handshake in progress or failures not yet decayed to zero; dead ones
 * are dropped as lookups pass them.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "throttle.h"

#define THROTTLE_BUCKETS	4096
#define THROTTLE_MAX_ADDRS	65536	/* entries at most: about 3 MiB */
#define THROTTLE_FAILS_MAX	(4 * THROTTLE_FAILS)	/* so a flood that
					 * stops is forgotten within a minute */

struct throttle_ent {
	struct throttle_ent	*next;
	struct throttle_key	 key;
	unsigned int		 inflight;
	unsigned int		 fails;
	double			 since;	/* start of the current half-life */
};

struct throttle {
	struct throttle_ent	*bucket[THROTTLE_BUCKETS];
	unsigned int		 nents;
};

/** throttle_new(): an empty table; NULL if out of memory. */
struct throttle *
throttle_new(void)
{
	return (calloc(1, sizeof(struct throttle)));
}

/** throttle_free(th): free ${th}; NULL is a no-op. */
void
throttle_free(struct throttle *th)
{
	struct throttle_ent	*e, *next;
	size_t			 i;

	if (th == NULL)
		return;
	for (i = 0; i < THROTTLE_BUCKETS; i++)
		for (e = th->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(th);
}

/**
 * throttle_key(sa, key): the address ${sa} (IPv4-mapped IPv6 as IPv4,
 * IPv6 cut to its /64) in ${key}; family 0 for anything else.
 */
void
throttle_key(const struct sockaddr *sa, struct throttle_key *key)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(key, 0, sizeof(*key));
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		key->family = AF_INET;
		memcpy(key->addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			key->family = AF_INET;
			memcpy(key->addr, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			/* one host usually holds a whole /64 */
			key->family = AF_INET6;
			memcpy(key->addr, sin6->sin6_addr.s6_addr, 8);
		}
	}
}

/* FNV-1a over the key. */
static size_t
throttle_hash(const struct throttle_key *key)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	h = (h ^ key->family) * 16777619u;
	for (i = 0; i < sizeof(key->addr); i++)
		h = (h ^ key->addr[i]) * 16777619u;
	return (h % THROTTLE_BUCKETS);
}

/* Halve ${e}'s failures once per half-life since it was last looked at. */
static void
throttle_decay(struct throttle_ent *e, double now)
{
	double		 periods;
	unsigned int	 n;

	if (now < e->since)
		e->since = now;		/* a clock step back: start again */
	periods = (now - e->since) / THROTTLE_HALFLIFE;
	if (periods < 1)
		return;
	if (periods >= 32) {
		e->fails = 0;
		e->since = now;
		return;
	}
	n = (unsigned int)periods;
	e->fails >>= n;
	e->since += (double)n * THROTTLE_HALFLIFE;
}

/* 1 if ${e} holds nothing worth keeping at ${now}. */
static int
throttle_dead(struct throttle_ent *e, double now)
{
	throttle_decay(e, now);
	return (e->inflight == 0 && e->fails == 0);
}

/* Drop the dead entries of bucket ${b}. */
static void
throttle_sweep_bucket(struct throttle *th, size_t b, double now)
{
	struct throttle_ent	**pp = &th->bucket[b], *e;

	while ((e = *pp) != NULL) {
		if (throttle_dead(e, now)) {
			*pp = e->next;
			free(e);
			th->nents--;
		} else
			pp = &e->next;
	}
}

/* The entry of ${key}, made if ${make} and there is room; or NULL. */
static struct throttle_ent *
throttle_find(struct throttle *th, const struct throttle_key *key,
    int make, double now)
{
	struct throttle_ent	*e;
	size_t			 b = throttle_hash(key), i;

	throttle_sweep_bucket(th, b, now);
	for (e = th->bucket[b]; e != NULL; e = e->next)
		if (memcmp(&e->key, key, sizeof(*key)) == 0)
			return (e);
	if (!make)
		return (NULL);
	if (th->nents >= THROTTLE_MAX_ADDRS)
		for (i = 0; i < THROTTLE_BUCKETS; i++)
			throttle_sweep_bucket(th, i, now);
	if (th->nents >= THROTTLE_MAX_ADDRS ||
	    (e = calloc(1, sizeof(*e))) == NULL)
		return (NULL);
	e->key = *key;
	e->since = now;
	e->next = th->bucket[b];
	th->bucket[b] = e;
	th->nents++;
	return (e);
}

/**
 * throttle_admit(th, key, now): 1 if a handshake from ${key} may start at
 * ${now} (seconds), counting it in progress; 0 if ${key} is limited
 * (THROTTLE_FAILS failures, halved every THROTTLE_HALFLIFE seconds) and
 * has THROTTLE_INFLIGHT handshakes in progress.  An address the table has
 * no room for is admitted.
 */
int
throttle_admit(struct throttle *th, const struct throttle_key *key,
    double now)
{
	struct throttle_ent	*e;

	if (key->family == 0 || (e = throttle_find(th, key, 1, now)) == NULL)
		return (1);
	if (e->fails >= THROTTLE_FAILS && e->inflight >= THROTTLE_INFLIGHT)
		return (0);
	e->inflight++;
	return (1);
}

/**
 * throttle_done(th, key, failed, now): a handshake that throttle_admit()
 * counted for ${key} has ended, ${failed} or not.
 */
void
throttle_done(struct throttle *th, const struct throttle_key *key,
    int failed, double now)
{
	struct throttle_ent	*e;

	if (key->family == 0 || (e = throttle_find(th, key, failed, now)) ==
	    NULL)
		return;
	/* an address admitted while the table was full was not counted */
	if (e->inflight > 0)
		e->inflight--;
	if (failed && e->fails < THROTTLE_FAILS_MAX)
		e->fails++;
}

/** throttle_limited(th, key, now): 1 if ${key} is limited at ${now}. */
int
throttle_limited(struct throttle *th, const struct throttle_key *key,
    double now)
{
	struct throttle_ent	*e;

	if (key->family == 0 || (e = throttle_find(th, key, 0, now)) == NULL)
		return (0);
	return (e->fails >= THROTTLE_FAILS);
}
