/*
 * common.c: the pieces every test helper needs (see common.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

const char	*helper_name = "helper";

/** pattern_byte(i): byte ${i} of the test pattern: byte (i % 8) of splitmix64(i / 8). */
uint8_t
pattern_byte(uint64_t i)
{
	uint64_t z = (i >> 3) + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((uint8_t)(z >> ((i & 7) * 8)));
}

/** die(what): print ${what} with strerror(errno) and exit 1. */
void
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", helper_name, what, strerror(errno));
	exit(1);
}

/** diex(what): print ${what} and exit 1. */
void
diex(const char *what)
{
	fprintf(stderr, "%s: %s\n", helper_name, what);
	exit(1);
}

/** now_ms(): milliseconds on the monotonic clock, since an arbitrary point. */
long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/** parse_num(s): the decimal number ${s}; exit on anything else. */
uint64_t
parse_num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		diex("bad number");
	return ((uint64_t)v);
}

/**
 * split_hostport(s, host, hostlen, port, portlen): split "HOST:PORT" or
 * "[V6]:PORT" into ${host} and ${port}; exit if malformed or too long.
 */
void
split_hostport(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			diex("bad [HOST]:PORT");
		hl = (size_t)(rb - s - 1);
		s++;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			diex("bad HOST:PORT");
		hl = (size_t)(colon - s);
	}
	if (hl >= hostlen || strlen(colon + 1) >= portlen)
		diex("HOST:PORT too long");
	memcpy(host, s, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
}
