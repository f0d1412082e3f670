/*
 * log.c: relayd-style logging.  Messages go to stderr (foreground) or
 * syslog, tagged with the process role so supervisor and worker lines can
 * be told apart in one stream.  A line that a loop can repeat (accept
 * failing, clients refused) goes through a struct log_limit, so that a
 * flood costs one line a second, not a full disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_level = LOG_INFO;
static char	 log_tag[64] = "stunneld";

/** log_init(foreground, level): log to stderr if ${foreground}, else to syslog; drop messages above ${level}. */
void
log_init(int foreground, int level)
{
	log_foreground = foreground;
	log_level = level;
	if (!foreground)
		openlog("stunneld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/** log_procinit(tag): prefix every later line with ${tag} (e.g. "worker p2p_out"). */
void
log_procinit(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
}

/** log_setlevel(level): change the most verbose level logged. */
void
log_setlevel(int level)
{
	log_level = level;
}

/** log_getlevel(): the current level. */
int
log_getlevel(void)
{
	return (log_level);
}

/* Emit one line at ${pri}; ${err} >= 0 appends strerror(err). */
static void __attribute__((format(printf, 3, 0)))
log_emit(int pri, int err, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice",
		"info", "debug"
	};
	char	 msg[1024];
	size_t	 len;

	if (pri > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err >= 0) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(err));
	}
	if (log_foreground) {
		struct timespec	 ts;
		struct tm	 tm;
		char		 stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%ld] %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_tag, (long)getpid(),
		    names[pri & 7], msg);
		fflush(stderr);
	} else
		syslog(pri, "%s: %s", log_tag, msg);
}

/** log_warn(fmt, ...): an error with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/** log_warnx(fmt, ...): an error without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, -1, fmt, ap);
	va_end(ap);
}

/* Emit at ${pri}, printf-style. */
static void __attribute__((format(printf, 2, 3)))
log_line(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(pri, -1, fmt, ap);
	va_end(ap);
}

/** log_info(fmt, ...): a normal event. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, -1, fmt, ap);
	va_end(ap);
}

/** log_lines(pri, prefix, text): log each line of ${text} at ${pri}, after ${prefix}. */
void
log_lines(int pri, const char *prefix, const char *text)
{
	const char	*nl;

	for (;;) {
		if ((nl = strchr(text, '\n')) == NULL) {
			log_line(pri, "%s%s", prefix, text);
			return;
		}
		log_line(pri, "%s%.*s", prefix, (int)(nl - text), text);
		text = nl + 1;
	}
}

/** log_clock_ms(): milliseconds on the monotonic clock, for log_limit_pass(). */
int64_t
log_clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/**
 * log_limit_pass(ll, now_ms, suppressed): 1 if a line limited by ${ll}
 * may be written at ${now_ms} (milliseconds on a clock that does not go
 * back), with the number left out since the last one in ${suppressed};
 * 0 if this one is left out (and counted).
 */
int
log_limit_pass(struct log_limit *ll, int64_t now_ms, uint64_t *suppressed)
{
	if (now_ms < ll->next_ms) {
		ll->suppressed++;
		return (0);
	}
	*suppressed = ll->suppressed;
	ll->suppressed = 0;
	ll->next_ms = now_ms + LOG_LIMIT_MS;
	return (1);
}

/**
 * log_limited(ll, pri, err, fmt, ...): log at ${pri} as log_limit_pass()
 * on ${ll} allows now, with ": strerror(err)" if ${err} >= 0 and the
 * count of lines left out before it, if any.
 */
void
log_limited(struct log_limit *ll, int pri, int err, const char *fmt, ...)
{
	va_list		 ap;
	uint64_t	 n;
	char		 msg[1024];
	size_t		 len;
	int		 saved = errno;

	/* Nothing to count if the line would not be written anyway. */
	if (pri > log_level)
		return;
	if (!log_limit_pass(ll, log_clock_ms(), &n))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err >= 0) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(err));
	}
	if (n > 0)
		log_line(pri, "%s (%llu more not logged since the last "
		    "such line)", msg, (unsigned long long)n);
	else
		log_line(pri, "%s", msg);
	errno = saved;
}

/** log_debug(fmt, ...): detail for -v -v. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_DEBUG, -1, fmt, ap);
	va_end(ap);
}

/** fatal(fmt, ...): log with strerror(errno) and exit 1; startup and impossible states only. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/** fatalx(fmt, ...): log and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, -1, fmt, ap);
	va_end(ap);
	exit(1);
}
