/*
 * show.c: values the daemon reports, in words (see show.h).  stunnelctl
 * and the daemon's HTTP endpoint both link it, so "check" reads the same
 * from either.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "show.h"

/**
 * show_time(buf, len, t): write the unix time ${t} as ISO 8601 UTC
 * ("2027-11-25T00:00:00Z") into ${buf}; return ${buf}.
 */
char *
show_time(char *buf, size_t len, int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%" PRId64, t);
	return (buf);
}

/**
 * show_span(a, b): ${a} - ${b}, clamped to the int64_t range (the times
 * come from the daemon and must not overflow our arithmetic).
 */
int64_t
show_span(int64_t a, int64_t b)
{
	int64_t	d;

	if (__builtin_sub_overflow(a, b, &d))
		return (b < 0 ? INT64_MAX : INT64_MIN);
	return (d);
}

/**
 * show_days_left(not_after, now): whole days from ${now} until
 * ${not_after}, rounded down (-1 during the first day after expiry).
 */
int64_t
show_days_left(int64_t not_after, time_t now)
{
	int64_t	d = show_span(not_after, (int64_t)now);

	/* round down without negating d (which may be INT64_MIN) */
	return (d >= 0 ? d / 86400 : (d + 1) / 86400 - 1);
}

/**
 * show_clean(dst, len, src): copy ${src} into ${dst} (${len} bytes,
 * truncating), control characters shown as '?'.
 */
void
show_clean(char *dst, size_t len, const char *src)
{
	size_t	i;

	if (len == 0)
		return;
	for (i = 0; i + 1 < len && src[i] != '\0'; i++) {
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			dst[i] = '?';
		else
			dst[i] = src[i];
	}
	dst[i] = '\0';
}
