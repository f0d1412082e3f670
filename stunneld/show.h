/*
 * show.h: how values the daemon reports are put into words, the same for
 * stunnelctl's output and for the daemon's own /healthz: times in ISO
 * 8601 UTC, spans that cannot overflow, whole days left, and text with
 * its control characters shown as '?'.  Pure: no clock, no fd.
 */
#ifndef SHOW_H
#define SHOW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/**
 * show_time(buf, len, t): write the unix time ${t} as ISO 8601 UTC
 * ("2027-11-25T00:00:00Z") into ${buf}; return ${buf}.
 */
char	*show_time(char *buf, size_t len, int64_t t);

/**
 * show_span(a, b): ${a} - ${b}, clamped to the int64_t range (the times
 * come from the daemon and must not overflow our arithmetic).
 */
int64_t	show_span(int64_t a, int64_t b);

/**
 * show_days_left(not_after, now): whole days from ${now} until
 * ${not_after}, rounded down (-1 during the first day after expiry).
 */
int64_t	show_days_left(int64_t not_after, time_t now);

/**
 * show_clean(dst, len, src): copy ${src} into ${dst} (${len} bytes,
 * truncating), control characters shown as '?'.
 */
void	show_clean(char *dst, size_t len, const char *src);

#endif /* !SHOW_H */
