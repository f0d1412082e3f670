/*
 * t_log.c: the rate limit of repeating log lines, with the time passed
 * in: the first line goes out, repeats within LOG_LIMIT_MS are counted
 * and left out, and the next line written carries their count.
 */
#include <stdint.h>

#include "log.h"
#include "test.h"

int
main(void)
{
	struct log_limit	 ll = { 0, 0 }, other = { 0, 0 };
	uint64_t		 n = 99, left = 0;
	int64_t			 t;
	int			 passed = 0;

	/* A fresh limit lets the first line through, whatever the clock. */
	CHECK(log_limit_pass(&ll, 0, &n) == 1);
	CHECK(n == 0);

	/* Repeats within the interval are counted, not written. */
	CHECK(log_limit_pass(&ll, 1, &n) == 0);
	CHECK(log_limit_pass(&ll, 500, &n) == 0);
	CHECK(log_limit_pass(&ll, LOG_LIMIT_MS - 1, &n) == 0);
	CHECK(ll.suppressed == 3);

	/* The next one after it is written, with the count; it restarts. */
	n = 99;
	CHECK(log_limit_pass(&ll, LOG_LIMIT_MS, &n) == 1);
	CHECK(n == 3);
	CHECK(ll.suppressed == 0);
	CHECK(log_limit_pass(&ll, LOG_LIMIT_MS + 1, &n) == 0);
	CHECK(ll.suppressed == 1);

	/* The interval runs from the last line written, not the last try. */
	CHECK(log_limit_pass(&ll, 2 * LOG_LIMIT_MS - 1, &n) == 0);
	n = 99;
	CHECK(log_limit_pass(&ll, 2 * LOG_LIMIT_MS, &n) == 1);
	CHECK(n == 2);

	/* Quiet for a long time: the next line goes out with nothing left
	 * out, at once. */
	n = 99;
	CHECK(log_limit_pass(&ll, 3600 * 1000, &n) == 1);
	CHECK(n == 0);

	/* A line every millisecond for ten seconds: one a second is
	 * written, and the counts add up to all the others. */
	for (t = 0; t < 10 * LOG_LIMIT_MS; t++)
		if (log_limit_pass(&other, t, &n) == 1) {
			passed++;
			left += n;
		}
	CHECK(passed == 10);
	CHECK(left + other.suppressed + (uint64_t)passed ==
	    10 * LOG_LIMIT_MS);

	/* Each call site has its own limit: the flood on one did not
	 * touch the other. */
	CHECK(log_limit_pass(&ll, 3600 * 1000 + 1, &n) == 0);
	CHECK(log_limit_pass(&other, 10 * LOG_LIMIT_MS, &n) == 1);
	CHECK(n == LOG_LIMIT_MS - 1);
	TEST_DONE();
}
