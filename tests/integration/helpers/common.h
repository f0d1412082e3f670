/*
 * common.h: what the test helpers share: the test pattern (so what one
 * sends the other can check), exits with a message, and the parsing of
 * numbers and HOST:PORT arguments.  libc only.
 */
#ifndef HELPERS_COMMON_H
#define HELPERS_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The program's name in messages; each helper sets it first. */
extern const char	*helper_name;

/** pattern_byte(i): byte ${i} of the test pattern: byte (i % 8) of splitmix64(i / 8). */
uint8_t		 pattern_byte(uint64_t i);

/** die(what): print ${what} with strerror(errno) and exit 1. */
void		 die(const char *what) __attribute__((noreturn));

/** diex(what): print ${what} and exit 1. */
void		 diex(const char *what) __attribute__((noreturn));

/** now_ms(): milliseconds on the monotonic clock, since an arbitrary point. */
long long	 now_ms(void);

/** parse_num(s): the decimal number ${s}; exit on anything else. */
uint64_t	 parse_num(const char *s);

/**
 * split_hostport(s, host, hostlen, port, portlen): split "HOST:PORT" or
 * "[V6]:PORT" into ${host} and ${port}; exit if malformed or too long.
 */
void		 split_hostport(const char *s, char *host, size_t hostlen,
		    char *port, size_t portlen);

#endif /* !HELPERS_COMMON_H */
