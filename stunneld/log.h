/*
 * log.h: one logging API for every process: stderr in the foreground,
 * syslog otherwise, each line tagged with the process's role.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

#define LOG_LIMIT_MS	1000	/* a limited line is written at most this often */

/*
 * The state of one rate-limited log line (one per call site, zeroed to
 * start): a line that repeats is written at most once per LOG_LIMIT_MS,
 * and the next one written says how many were left out.
 */
struct log_limit {
	int64_t		next_ms;	/* the next line may be written from here */
	uint64_t	suppressed;	/* lines left out since the last one */
};

/** log_init(foreground, level): log to stderr if ${foreground}, else to syslog; drop messages above ${level}. */
void	log_init(int foreground, int level);

/** log_procinit(tag): prefix every later line with ${tag} (e.g. "worker p2p_out"). */
void	log_procinit(const char *tag);

/** log_setlevel(level): change the most verbose level logged. */
void	log_setlevel(int level);

/** log_getlevel(): the current level. */
int	log_getlevel(void);

/** log_warn(fmt, ...): an error with strerror(errno) appended. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/** log_warnx(fmt, ...): an error without errno. */
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/** log_info(fmt, ...): a normal event. */
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/** log_debug(fmt, ...): detail for -v -v. */
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/** log_lines(pri, prefix, text): log each line of ${text} at ${pri}, after ${prefix}. */
void	log_lines(int, const char *, const char *);
/** log_clock_ms(): milliseconds on the monotonic clock, for log_limit_pass(). */
int64_t	log_clock_ms(void);
/**
 * log_limit_pass(ll, now_ms, suppressed): 1 if a line limited by ${ll}
 * may be written at ${now_ms} (milliseconds on a clock that does not go
 * back), with the number left out since the last one in ${suppressed};
 * 0 if this one is left out (and counted).
 */
int	log_limit_pass(struct log_limit *ll, int64_t now_ms, uint64_t *suppressed);
/**
 * log_limited(ll, pri, err, fmt, ...): log at ${pri} as log_limit_pass()
 * on ${ll} allows now, with ": strerror(err)" if ${err} >= 0 and the
 * count of lines left out before it, if any.
 */
void	log_limited(struct log_limit *, int, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
/** fatal(fmt, ...): log with strerror(errno) and exit 1; startup and impossible states only. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/** fatalx(fmt, ...): log and exit 1. */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* !LOG_H */
