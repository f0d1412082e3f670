/*
 * t_log.c: the rate limit of repeating log lines, with the time passed
 * in: the first line goes out, repeats within LOG_LIMIT_MS are counted
 * and left out, and the next line written carries their count; when the
 * repeats stop, the last one is held and written with the count once its
 * LOG_LIMIT_MS is over, so that no count is lost.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "test.h"

static FILE	*cap_file;
static int	 cap_saved = -1;

/* Send stderr, where the log goes in the foreground, to a fresh file. */
static void
capture_begin(void)
{
	fflush(stderr);
	if ((cap_file = tmpfile()) == NULL || (cap_saved = dup(2)) < 0 ||
	    dup2(fileno(cap_file), 2) < 0) {
		perror("capture");
		exit(1);
	}
}

/* Put stderr back; what was logged since capture_begin() into ${buf}. */
static const char *
capture_end(char *buf, size_t len)
{
	size_t	 n;

	fflush(stderr);
	dup2(cap_saved, 2);
	close(cap_saved);
	rewind(cap_file);
	n = fread(buf, 1, len - 1, cap_file);
	buf[n] = '\0';
	fclose(cap_file);
	return (buf);
}

/* How many lines of ${out} end with ": ${msg}". */
static int
lines_ending(const char *out, const char *msg)
{
	const char	*p, *nl;
	size_t		 mlen = strlen(msg);
	int		 n = 0;

	for (p = out; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		if ((size_t)(nl - p) >= mlen + 2 &&
		    strncmp(nl - mlen - 2, ": ", 2) == 0 &&
		    strncmp(nl - mlen, msg, mlen) == 0)
			n++;
	return (n);
}

/* How many lines ${out} has. */
static int
lines(const char *out)
{
	int	 n = 0;

	for (; *out != '\0'; out++)
		n += *out == '\n';
	return (n);
}

/* The held line of a flood that stops comes out, with its count. */
static void
test_held(void)
{
	struct log_limit	 ll = { 0 }, quiet = { 0 }, end = { 0 };
	struct log_limit	 forked = { 0 };
	char			 out[8192];
	int			 i;

	log_init(1, LOG_INFO);
	capture_begin();
	log_limited_at(&ll, 0, LOG_WARNING, -1, "flood %d", 0);
	for (i = 1; i <= 4; i++)
		log_limited_at(&ll, 10 * i, LOG_WARNING, EMFILE, "flood %d", i);
	/* not due yet: nothing written, due in 500 ms */
	CHECK(log_limit_flush(500) == LOG_LIMIT_MS - 500);
	/* due: the last one left out, and the three before it counted */
	CHECK(log_limit_flush(LOG_LIMIT_MS) == -1);
	CHECK(log_limit_flush(10 * LOG_LIMIT_MS) == -1);
	/* that line starts a new interval: one within it is held again,
	 * and a line passing after it takes the count along */
	log_limited_at(&ll, LOG_LIMIT_MS + 1, LOG_WARNING, -1, "flood 5");
	log_limited_at(&ll, 2 * LOG_LIMIT_MS, LOG_WARNING, -1, "flood 6");
	CHECK(log_limit_flush(3 * LOG_LIMIT_MS) == -1);
	/* below the level: neither written nor counted nor held */
	log_limited_at(&quiet, 0, LOG_DEBUG, -1, "debug");
	log_limited_at(&quiet, 1, LOG_DEBUG, -1, "debug");
	CHECK(quiet.suppressed == 0 && quiet.held == 0);
	/* detach(1) writes what is held at once; detach(0) forgets it */
	log_limited_at(&end, 0, LOG_WARNING, -1, "ending");
	log_limited_at(&end, 1, LOG_WARNING, -1, "ending");
	log_limit_detach(1);
	log_limited_at(&forked, 0, LOG_WARNING, -1, "forked");
	log_limited_at(&forked, 1, LOG_WARNING, -1, "forked");
	log_limit_detach(0);
	CHECK(forked.held == 0 && forked.suppressed == 0);
	CHECK(log_limit_flush(100 * LOG_LIMIT_MS) == -1);
	capture_end(out, sizeof(out));

	CHECK(lines_ending(out, "flood 0") == 1);
	CHECK(lines_ending(out, "flood 4: Too many open files (3 more not "
	    "logged since the last such line)") == 1);
	CHECK(lines_ending(out, "flood 6 (1 more not logged since the last "
	    "such line)") == 1);
	CHECK(lines_ending(out, "ending") == 2);
	CHECK(lines_ending(out, "forked") == 1);
	CHECK(lines(out) == 6);
	if (test_failures > 0)
		fprintf(stderr, "logged:\n%s", out);
}

int
main(void)
{
	struct log_limit	 ll = { 0 }, other = { 0 };
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

	test_held();
	TEST_DONE();
}
