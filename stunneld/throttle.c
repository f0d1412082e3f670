/*
 * throttle.c: handshakes in progress and recent failures per source
 * address, in a chained hash table.  An entry lives while its address has
 * a handshake in progress or failures not yet decayed to zero; dead ones
 * are dropped as lookups pass them.
 *
 * So that a full tunnel finds the address with the most handshakes in
 * progress without a scan, every entry with some is also on the list of
 * its count, level[inflight], and top is the highest non-empty level.  A
 * count moves by one at a time, so top does too: O(1) per change.
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
	struct throttle_ent	*lprev, *lnext;	/* on level[], if inflight */
	struct throttle_hs	*hs_old, *hs_new;	/* tracked handshakes */
	struct throttle_key	 key;
	unsigned int		 inflight;
	unsigned int		 fails;
	double			 since;	/* start of the current half-life */
};

struct throttle {
	struct throttle_ent	*bucket[THROTTLE_BUCKETS];
	unsigned int		 nents;
	struct throttle_ent	**level;	/* [1 .. nlevels - 1] */
	unsigned int		 nlevels;
	unsigned int		 top;		/* 0: none in progress */
};

/**
 * throttle_new(most): an empty table for a tunnel of at most ${most}
 * connections; NULL if out of memory.
 */
struct throttle *
throttle_new(unsigned int most)
{
	struct throttle	*th;

	if ((th = calloc(1, sizeof(*th))) == NULL)
		return (NULL);
	/* an address has at most ${most} in progress; more share the last */
	th->nlevels = most + 1 > 2 ? most + 1 : 2;
	if ((th->level = calloc(th->nlevels, sizeof(*th->level))) == NULL) {
		free(th);
		return (NULL);
	}
	return (th);
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
	free(th->level);
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

/* The level of ${e}: its count in progress, the last for any more. */
static unsigned int
throttle_level(const struct throttle *th, const struct throttle_ent *e)
{
	return (e->inflight < th->nlevels ? e->inflight : th->nlevels - 1);
}

/* ${e}'s count in progress goes from ${from} to e->inflight: move it. */
static void
throttle_relevel(struct throttle *th, struct throttle_ent *e,
    unsigned int from)
{
	unsigned int	 l = throttle_level(th, e);

	if (from >= th->nlevels)
		from = th->nlevels - 1;
	if (from == l)
		return;
	if (from > 0) {
		if (e->lprev != NULL)
			e->lprev->lnext = e->lnext;
		else
			th->level[from] = e->lnext;
		if (e->lnext != NULL)
			e->lnext->lprev = e->lprev;
		e->lprev = e->lnext = NULL;
	}
	if (l > 0) {
		if ((e->lnext = th->level[l]) != NULL)
			e->lnext->lprev = e;
		th->level[l] = e;
		if (l > th->top)
			th->top = l;
	}
	/* counts move by one: one step down finds ${e} itself, or level 0 */
	while (th->top > 0 && th->level[th->top] == NULL)
		th->top--;
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
	/* a handshake admitted uncounted (the table was full) may have taken
	 * a counted one's place in inflight: the linked ones keep ${e} */
	return (e->inflight == 0 && e->fails == 0 && e->hs_old == NULL);
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
	throttle_relevel(th, e, e->inflight - 1);
	return (1);
}

/**
 * throttle_track(th, key, hs): link ${hs}, a handshake throttle_admit()
 * has just admitted for ${key}, to its address, as its newest.  (Not
 * linked if the table had no room for the address.)
 */
void
throttle_track(struct throttle *th, const struct throttle_key *key,
    struct throttle_hs *hs)
{
	struct throttle_ent	*e;
	size_t			 b = throttle_hash(key);

	hs->prev = hs->next = NULL;
	hs->ent = NULL;
	if (key->family == 0)
		return;
	/* no sweep: throttle_admit() has just looked at this bucket */
	for (e = th->bucket[b]; e != NULL; e = e->next)
		if (memcmp(&e->key, key, sizeof(*key)) == 0)
			break;
	if (e == NULL || e->inflight == 0)
		return;
	hs->ent = e;
	if ((hs->prev = e->hs_new) != NULL)
		hs->prev->next = hs;
	else
		e->hs_old = hs;
	e->hs_new = hs;
}

/**
 * throttle_untrack(hs): unlink ${hs}; a no-op if it is not linked.  Before
 * throttle_done() for the same handshake.
 */
void
throttle_untrack(struct throttle_hs *hs)
{
	struct throttle_ent	*e = hs->ent;

	if (e == NULL)
		return;
	if (hs->prev != NULL)
		hs->prev->next = hs->next;
	else
		e->hs_old = hs->next;
	if (hs->next != NULL)
		hs->next->prev = hs->prev;
	else
		e->hs_new = hs->prev;
	hs->prev = hs->next = NULL;
	hs->ent = NULL;
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
	if (e->inflight > 0) {
		e->inflight--;
		throttle_relevel(th, e, e->inflight + 1);
	}
	if (failed && e->fails < THROTTLE_FAILS_MAX)
		e->fails++;
}

/**
 * throttle_victim(th, key, now): in a full tunnel, the handshake to close
 * for a new one from ${key} (already admitted): the oldest linked one of
 * the address with the most handshakes in progress, if that address has
 * more than THROTTLE_EVICT_MIN and more than ${key}'s address (the new one
 * counted); else NULL.  O(1).
 */
struct throttle_hs *
throttle_victim(struct throttle *th, const struct throttle_key *key,
    double now)
{
	struct throttle_ent	*top, *e;
	unsigned int		 mine = 0;

	if (th->top <= THROTTLE_EVICT_MIN)
		return (NULL);
	if (key->family != 0 && (e = throttle_find(th, key, 0, now)) != NULL)
		mine = e->inflight;
	/* more than ${mine}: after the swap it still has at least as many
	 * as ${key}'s address, so two floods even out instead of taking
	 * turns at each other's handshakes */
	if (th->top <= mine)
		return (NULL);
	/* any address of the top level will do; the first has one linked
	 * but in theory (its handshakes admitted while the table was full) */
	for (top = th->level[th->top]; top != NULL; top = top->lnext)
		if (top->hs_old != NULL)
			return (top->hs_old);
	return (NULL);
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
