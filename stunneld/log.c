/*
 * log.c: relayd-style logging.  Messages go to stderr (foreground) or
 * syslog, tagged with the process role so supervisor and worker lines can
 * be told apart in one stream.  A line that a loop can repeat (accept
 * failing, clients refused) goes through a struct log_limit, so that a
 * flood costs one line a second, not a full disk; the last line of a
 * flood is held and written with its count once its second is over, by
 * a timer on the process's loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "log.h"

static int		 log_foreground = 1;
static int		 log_level = LOG_INFO;
static char		 log_tag[64] = "stunneld";
/* log_limited(): the lines held back, and the timer that writes them */
static struct log_limit	*log_held;
static struct ev_loop	*log_loop;
static ev_timer		 log_timer;

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

/* Milliseconds on the monotonic clock, for log_limit_pass(). */
static int64_t
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

/* Write the limited line ${msg} at ${pri}, after ${n} were left out. */
static void
log_limit_write(int pri, const char *msg, uint64_t n)
{
	if (n > 0)
		log_line(pri, "%s (%llu more not logged since the last "
		    "such line)", msg, (unsigned long long)n);
	else
		log_line(pri, "%s", msg);
}

/* The timer of log_limit_attach(): a held line is due. */
static void
log_limit_timer_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	int64_t	 ms;

	(void)revents;
	if ((ms = log_limit_flush(log_clock_ms())) >= 0) {
		ev_timer_set(tw, (ev_tstamp)ms / 1000., 0.);
		ev_timer_start(loop, tw);
	}
}

/* log_limited() at ${now_ms}, with the arguments in ${ap}. */
static void __attribute__((format(printf, 5, 0)))
log_vlimited(struct log_limit *ll, int64_t now_ms, int pri, int err,
    const char *fmt, va_list ap)
{
	uint64_t	 n;
	char		 msg[LOG_LIMIT_LINE];
	size_t		 len;
	int		 pass;

	/* Nothing to count if the line would not be written anyway. */
	if (pri > log_level)
		return;
	pass = log_limit_pass(ll, now_ms, &n);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err >= 0) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(err));
	}
	if (pass) {
		log_limit_write(pri, msg, n);
		return;
	}
	/* Left out: held, in case it is the last of its kind for a while. */
	memcpy(ll->held_line, msg, strlen(msg) + 1);
	ll->held_pri = pri;
	if (ll->held)
		return;
	ll->held = 1;
	ll->held_next = log_held;
	log_held = ll;
	if (log_loop != NULL && !ev_is_active(&log_timer)) {
		ev_timer_set(&log_timer, (ev_tstamp)(ll->next_ms - now_ms) /
		    1000., 0.);
		ev_timer_start(log_loop, &log_timer);
	}
}

/**
 * log_limited(ll, pri, err, fmt, ...): log at ${pri} as log_limit_pass()
 * on ${ll} allows now, with ": strerror(err)" if ${err} >= 0 and the
 * count of lines left out before it, if any.
 */
void
log_limited(struct log_limit *ll, int pri, int err, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vlimited(ll, log_clock_ms(), pri, err, fmt, ap);
	va_end(ap);
	errno = saved;
}

/**
 * log_limited_at(ll, now_ms, pri, err, fmt, ...): log_limited() at
 * ${now_ms} (milliseconds on the monotonic clock).
 */
void
log_limited_at(struct log_limit *ll, int64_t now_ms, int pri, int err,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vlimited(ll, now_ms, pri, err, fmt, ap);
	va_end(ap);
	errno = saved;
}

/**
 * log_limit_flush(now_ms): write each line held by log_limited() whose
 * LOG_LIMIT_MS is over at ${now_ms}, with the count of the others left
 * out since the last line written; return the milliseconds until the
 * next of those still held is due, or -1 if none is.
 */
int64_t
log_limit_flush(int64_t now_ms)
{
	struct log_limit	**pp = &log_held, *ll;
	int64_t			  wait = -1;
	uint64_t		  n;

	while ((ll = *pp) != NULL) {
		if (ll->suppressed > 0 && now_ms < ll->next_ms) {
			if (wait < 0 || ll->next_ms - now_ms < wait)
				wait = ll->next_ms - now_ms;
			pp = &ll->held_next;
			continue;
		}
		/* Due, or a line written since took the count along. */
		*pp = ll->held_next;
		ll->held_next = NULL;
		ll->held = 0;
		if (ll->suppressed == 0)
			continue;
		n = ll->suppressed - 1;		/* the held one is written */
		ll->suppressed = 0;
		ll->next_ms = now_ms + LOG_LIMIT_MS;
		log_limit_write(ll->held_pri, ll->held_line, n);
	}
	return (wait);
}

/**
 * log_limit_attach(loop): from now on a timer on ${loop} calls
 * log_limit_flush() when a held line is due.  The struct log_limit of
 * each held line must live until log_limit_detach().
 */
void
log_limit_attach(struct ev_loop *loop)
{
	int64_t	 ms;

	if (log_loop != NULL)
		ev_timer_stop(log_loop, &log_timer);
	log_loop = loop;
	ev_timer_init(&log_timer, log_limit_timer_cb, 0., 0.);
	if ((ms = log_limit_flush(log_clock_ms())) >= 0) {
		ev_timer_set(&log_timer, (ev_tstamp)ms / 1000., 0.);
		ev_timer_start(log_loop, &log_timer);
	}
}

/**
 * log_limit_detach(flush): stop that timer; with ${flush} write every
 * held line now (the process is ending), else forget them unwritten (a
 * forked child: they are its parent's to write).
 */
void
log_limit_detach(int flush)
{
	struct log_limit	*ll;

	if (log_loop != NULL)
		ev_timer_stop(log_loop, &log_timer);
	log_loop = NULL;
	/* a second ahead, every held line is due */
	if (flush)
		(void)log_limit_flush(log_clock_ms() + LOG_LIMIT_MS);
	while ((ll = log_held) != NULL) {
		log_held = ll->held_next;
		ll->held_next = NULL;
		ll->held = 0;
		ll->suppressed = 0;
	}
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
