/*
 * t_throttle.c: the per-address handshake bound: an address is limited
 * only after THROTTLE_FAILS failures, then to THROTTLE_INFLIGHT at once;
 * successes never limit; failures halve per half-life; other addresses,
 * IPv6 /64s and IPv4-mapped addresses are told apart as documented; in
 * a full tunnel the handshake to close is the oldest of the address with
 * the most in progress, and only while it has more than a few.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "throttle.h"

/* The key of the numeric address ${s}. */
static struct throttle_key
key_of(const char *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct throttle_key	 k;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	throttle_key((struct sockaddr *)&ss, &k);
	return (k);
}

int
main(void)
{
	struct throttle		*th, *th2;
	struct throttle_key	 a = key_of("192.0.2.1"), b = key_of("192.0.2.2");
	struct throttle_key	 c = key_of("192.0.2.3");
	struct throttle_key	 k1, k2, none;
	struct throttle_hs	 hs_a[10], hs_b[6], hs_c, *hs;
	double			 t = 1000;
	int			 i, n, na, nb;

	CHECK((th = throttle_new(256)) != NULL);

	/* A burst of successful handshakes from one address: never limited. */
	for (i = 0; i < 1000; i++)
		CHECK(throttle_admit(th, &a, t) == 1);
	for (i = 0; i < 1000; i++)
		throttle_done(th, &a, 0, t);
	CHECK(!throttle_limited(th, &a, t));

	/* Failures below the threshold: still unlimited. */
	for (i = 0; i < THROTTLE_FAILS - 1; i++) {
		CHECK(throttle_admit(th, &a, t) == 1);
		throttle_done(th, &a, 1, t);
	}
	CHECK(!throttle_limited(th, &a, t));
	for (i = 0; i < 100; i++)
		CHECK(throttle_admit(th, &a, t) == 1);
	for (i = 0; i < 100; i++)
		throttle_done(th, &a, 0, t);

	/* One more: limited to THROTTLE_INFLIGHT at once. */
	CHECK(throttle_admit(th, &a, t) == 1);
	throttle_done(th, &a, 1, t);
	CHECK(throttle_limited(th, &a, t));
	for (n = 0; throttle_admit(th, &a, t) == 1 && n < 100; n++)
		;
	CHECK(n == THROTTLE_INFLIGHT);
	CHECK(throttle_admit(th, &a, t) == 0);

	/* Another address is not affected. */
	CHECK(!throttle_limited(th, &b, t));
	for (i = 0; i < 50; i++)
		CHECK(throttle_admit(th, &b, t) == 1);
	for (i = 0; i < 50; i++)
		throttle_done(th, &b, 0, t);

	/* One of the limited address's handshakes ends: one more may start. */
	throttle_done(th, &a, 0, t);
	CHECK(throttle_admit(th, &a, t) == 1);
	CHECK(throttle_admit(th, &a, t) == 0);
	for (i = 0; i < THROTTLE_INFLIGHT; i++)
		throttle_done(th, &a, 1, t);

	/* Failures halve per half-life: 16 + 4 = 20 -> 10 after one. */
	CHECK(throttle_limited(th, &a, t + THROTTLE_HALFLIFE - 1));
	CHECK(!throttle_limited(th, &a, t + THROTTLE_HALFLIFE));
	for (i = 0; i < 100; i++)
		CHECK(throttle_admit(th, &a, t + THROTTLE_HALFLIFE) == 1);
	for (i = 0; i < 100; i++)
		throttle_done(th, &a, 0, t + THROTTLE_HALFLIFE);

	/* A long flood is capped: forgotten after a few half-lives. */
	for (i = 0; i < 100000; i++) {
		if (throttle_admit(th, &b, t) == 1)
			throttle_done(th, &b, 1, t);
	}
	CHECK(throttle_limited(th, &b, t));
	CHECK(throttle_limited(th, &b, t + 2 * THROTTLE_HALFLIFE));
	CHECK(!throttle_limited(th, &b, t + 3 * THROTTLE_HALFLIFE));
	CHECK(!throttle_limited(th, &b, t + 100 * THROTTLE_HALFLIFE));

	/* IPv6: one /64 is one address; IPv4-mapped is the IPv4 address. */
	k1 = key_of("2001:db8:1:2::1");
	k2 = key_of("2001:db8:1:2:ffff::9");
	CHECK(memcmp(&k1, &k2, sizeof(k1)) == 0);
	k2 = key_of("2001:db8:1:3::1");
	CHECK(memcmp(&k1, &k2, sizeof(k1)) != 0);
	k1 = key_of("::ffff:192.0.2.1");
	CHECK(memcmp(&k1, &a, sizeof(k1)) == 0);

	/* Anything else is never limited. */
	memset(&none, 0, sizeof(none));
	for (i = 0; i < 100; i++) {
		CHECK(throttle_admit(th, &none, t) == 1);
		throttle_done(th, &none, 1, t);
	}
	CHECK(!throttle_limited(th, &none, t));

	/* Many addresses come and go: the table keeps no dead entries. */
	for (i = 0; i < 200000; i++) {
		struct throttle_key	 k;

		memset(&k, 0, sizeof(k));
		k.family = AF_INET;
		memcpy(k.addr, &i, sizeof(i));
		CHECK(throttle_admit(th, &k, t) == 1);
		throttle_done(th, &k, 0, t);
	}
	CHECK(throttle_admit(th, &a, t) == 1);

	/*
	 * A full tunnel: the handshake to close for a newcomer is the oldest
	 * of the address with the most in progress, while that address has
	 * more than THROTTLE_EVICT_MIN and more than the newcomer's.
	 */
	CHECK((th2 = throttle_new(32)) != NULL);
	for (i = 0; i < 10; i++) {
		CHECK(throttle_admit(th2, &a, t) == 1);
		throttle_track(th2, &a, &hs_a[i]);
	}
	for (i = 0; i < 6; i++) {
		CHECK(throttle_admit(th2, &b, t) == 1);
		throttle_track(th2, &b, &hs_b[i]);
	}
	CHECK(throttle_admit(th2, &c, t) == 1);
	CHECK(throttle_victim(th2, &c, t) == &hs_a[0]);
	/* what the caller does with it; then the newcomer starts */
	throttle_untrack(&hs_a[0]);
	throttle_done(th2, &a, 1, t);
	throttle_track(th2, &c, &hs_c);
	/* the flooding address itself gets no room */
	CHECK(throttle_admit(th2, &a, t) == 1);
	CHECK(throttle_victim(th2, &a, t) == NULL);
	throttle_done(th2, &a, 0, t);
	/* the next newcomers take a's oldest until it has as many as b */
	for (i = 1; i <= 3; i++) {
		CHECK(throttle_admit(th2, &none, t) == 1);
		CHECK((hs = throttle_victim(th2, &none, t)) == &hs_a[i]);
		throttle_untrack(hs);
		throttle_done(th2, &a, 1, t);
	}
	/* then the oldest of a's or b's, whichever is on top, until both
	 * are down to THROTTLE_EVICT_MIN */
	na = 4;
	nb = 0;
	for (n = 0; n < 20; n++) {
		CHECK(throttle_admit(th2, &none, t) == 1);
		if ((hs = throttle_victim(th2, &none, t)) == NULL)
			break;
		throttle_untrack(hs);
		if (hs == &hs_a[na]) {
			na++;
			throttle_done(th2, &a, 1, t);
		} else {
			CHECK(hs == &hs_b[nb]);
			nb++;
			throttle_done(th2, &b, 1, t);
		}
	}
	CHECK(na == 10 - THROTTLE_EVICT_MIN && nb == 6 - THROTTLE_EVICT_MIN);
	/* a newcomer from b is not given a's place when a has no more */
	CHECK(throttle_admit(th2, &b, t) == 1);
	CHECK(throttle_victim(th2, &b, t) == NULL);
	throttle_done(th2, &b, 0, t);
	/* all end: nothing to evict */
	for (i = na; i < 10; i++) {
		throttle_untrack(&hs_a[i]);
		throttle_done(th2, &a, 0, t);
	}
	for (i = nb; i < 6; i++) {
		throttle_untrack(&hs_b[i]);
		throttle_done(th2, &b, 0, t);
	}
	throttle_untrack(&hs_c);
	throttle_done(th2, &c, 0, t);
	throttle_untrack(&hs_c);	/* twice: a no-op */
	CHECK(hs_c.ent == NULL);
	for (i = 0; i < THROTTLE_EVICT_MIN + 2; i++)
		CHECK(throttle_admit(th2, &a, t) == 1);
	CHECK(throttle_victim(th2, &none, t) == NULL);	/* none linked */
	throttle_free(th2);

	throttle_free(th);
	throttle_free(NULL);
	TEST_DONE();
}
