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
#define LOG_LIMIT_LINE	512	/* a limited line is cut to this */

struct ev_loop;

/*
 * The state of one rate-limited log line (one per call site, zeroed to
 * start): a line that repeats is written at most once per LOG_LIMIT_MS,
 * and the next one written says how many were left out.  When the
 * repeats stop, the last one left out is not lost: it is held, and
 * written with the count once its LOG_LIMIT_MS is over (see
 * log_limit_attach()).
 */
struct log_limit {
	int64_t			 next_ms;	/* the next line may be written from here */
	uint64_t		 suppressed;	/* lines left out since the last one */
	struct log_limit	*held_next;	/* on the list of lines held */
	int			 held;		/* on that list */
	int			 held_pri;
	char			 held_line[LOG_LIMIT_LINE];	/* the last left out */
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
/**
 * log_limited_at(ll, now_ms, pri, err, fmt, ...): log_limited() at
 * ${now_ms} (milliseconds on the monotonic clock).
 */
void	log_limited_at(struct log_limit *, int64_t, int, int, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
/**
 * log_limit_flush(now_ms): write each line held by log_limited() whose
 * LOG_LIMIT_MS is over at ${now_ms}, with the count of the others left
 * out since the last line written; return the milliseconds until the
 * next of those still held is due, or -1 if none is.
 */
int64_t	log_limit_flush(int64_t now_ms);
/**
 * log_limit_attach(loop): from now on a timer on ${loop} calls
 * log_limit_flush() when a held line is due.  The struct log_limit of
 * each held line must live until log_limit_detach().
 */
void	log_limit_attach(struct ev_loop *loop);
/**
 * log_limit_detach(flush): stop that timer; with ${flush} write every
 * held line now (the process is ending), else forget them unwritten (a
 * forked child: they are its parent's to write).
 */
void	log_limit_detach(int flush);
/** fatal(fmt, ...): log with strerror(errno) and exit 1; startup and impossible states only. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/** fatalx(fmt, ...): log and exit 1. */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* !LOG_H */
