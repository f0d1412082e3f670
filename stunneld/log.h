/*
 * log.h: one logging API for every process: stderr in the foreground,
 * syslog otherwise, each line tagged with the process's role.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <syslog.h>

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
/** fatal(fmt, ...): log with strerror(errno) and exit 1; startup and impossible states only. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/** fatalx(fmt, ...): log and exit 1. */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* !LOG_H */
