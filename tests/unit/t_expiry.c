/*
 * t_expiry.c: the warnings before the node's own certificate expires:
 * each threshold once, only the nearest one on a late load, none twice,
 * the expiry itself last, a certificate with no end never, one that ends
 * in 9999 like any other.
 */
#include <time.h>

#include "expiry.h"
#include "test.h"

#define DAY	86400

int
main(void)
{
	struct expiry	 e;
	time_t		 na = 2000000000;	/* 2033-05-18T03:33:20Z */

	/* Loaded long before: nothing now, then 30, 7, 1 and the end. */
	expiry_init(&e, na);
	CHECK(expiry_due(&e, na - 100 * DAY) == -1);
	CHECK(expiry_next(&e) == na + 1 - 30 * DAY);
	CHECK(expiry_due(&e, na - 30 * DAY) == -1);	/* one second early */
	CHECK(expiry_due(&e, na + 1 - 30 * DAY) == 30);
	CHECK(expiry_due(&e, na + 1 - 30 * DAY) == -1);	/* once */
	CHECK(expiry_next(&e) == na + 1 - 7 * DAY);
	CHECK(expiry_due(&e, na - 10 * DAY) == -1);
	CHECK(expiry_due(&e, na + 1 - 7 * DAY) == 7);
	CHECK(expiry_next(&e) == na + 1 - DAY);
	CHECK(expiry_due(&e, na + 1 - DAY + 5) == 1);
	CHECK(expiry_next(&e) == na + 1);
	CHECK(expiry_due(&e, na) == -1);	/* notAfter itself is valid */
	CHECK(expiry_due(&e, na + 1) == EXPIRY_EXPIRED);
	CHECK(expiry_next(&e) == 0);
	CHECK(expiry_due(&e, na + 100 * DAY) == -1);

	/* Loaded 6 days before the end: the 7-day warning only, then 1. */
	expiry_init(&e, na);
	CHECK(expiry_due(&e, na - 6 * DAY) == 7);
	CHECK(expiry_due(&e, na - 6 * DAY) == -1);
	CHECK(expiry_next(&e) == na + 1 - DAY);

	/* 20 days before: the 30-day one, then 7. */
	expiry_init(&e, na);
	CHECK(expiry_due(&e, na - 20 * DAY) == 30);
	CHECK(expiry_next(&e) == na + 1 - 7 * DAY);

	/* Hours before: the 1-day warning, then the end. */
	expiry_init(&e, na);
	CHECK(expiry_due(&e, na - 3600) == 1);
	CHECK(expiry_next(&e) == na + 1);

	/* The clock jumps over two thresholds: only the nearest is logged. */
	expiry_init(&e, na);
	CHECK(expiry_due(&e, na - 40 * DAY) == -1);
	CHECK(expiry_due(&e, na - 12 * 3600) == 1);
	CHECK(expiry_next(&e) == na + 1);

	/* notAfter 9999 ("no well-defined expiration", as GnuTLS reads it):
	 * far off, but an ordinary time; nothing overflows. */
	expiry_init(&e, (time_t)253402300799);	/* 9999-12-31T23:59:59Z */
	CHECK(expiry_due(&e, na) == -1);
	CHECK(expiry_next(&e) == (time_t)253402300800 - 30 * DAY);
	CHECK(expiry_due(&e, (time_t)253402300800) == EXPIRY_EXPIRED);

	/* No expiry date: no warning, no timer. */
	expiry_init(&e, 0);
	CHECK(expiry_due(&e, na) == -1);
	CHECK(expiry_next(&e) == 0);

	TEST_DONE();
}
