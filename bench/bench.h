/*
 * bench.h: what loadgen and sink share: the address parser and the
 * stream pattern.  libc only.
 *
 * The pattern: byte i of a source stream is pat[i % PAT_PERIOD].  The
 * period is prime, so it never lines up with read or write sizes, and
 * the table is PAT_PERIOD + PAT_CHUNK long, so any run of at most
 * PAT_CHUNK bytes starting anywhere in a period is one memcmp/memcpy.
 */
#ifndef BENCH_H
#define BENCH_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAT_PERIOD	65521u		/* prime */
#define PAT_CHUNK	65536u

static uint8_t	pat[PAT_PERIOD + PAT_CHUNK];

static void
pat_init(void)
{
	uint64_t	 z;
	size_t		 i;

	for (i = 0; i < sizeof(pat); i++) {
		if (i < PAT_PERIOD) {
			z = (uint64_t)(i >> 3) + 0x9e3779b97f4a7c15ULL;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			z ^= z >> 31;
			pat[i] = (uint8_t)(z >> ((i & 7) * 8));
		} else
			pat[i] = pat[i - PAT_PERIOD];
	}
}

/*
 * Parse "A.B.C.D:PORT" or "[V6]:PORT" into ${ss}; 0 on success.  The host
 * part (without brackets) goes to ${host} if not NULL (size >= 64).
 */
static int
parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
    char *host, uint16_t *portp)
{
	char		 buf[128], *p, *h;
	long		 port;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	if (strlen(spec) >= sizeof(buf))
		return (-1);
	strcpy(buf, spec);
	if ((p = strrchr(buf, ':')) == NULL)
		return (-1);
	*p++ = '\0';
	port = strtol(p, NULL, 10);
	if (port <= 0 || port > 65535)
		return (-1);
	h = buf;
	if (*h == '[') {
		h++;
		if (h[strlen(h) - 1] != ']')
			return (-1);
		h[strlen(h) - 1] = '\0';
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, h, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, h, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	} else
		return (-1);
	if (host != NULL)
		snprintf(host, 64, "%s", h);
	if (portp != NULL)
		*portp = (uint16_t)port;
	return (0);
}

#endif
