/*
 * addr.c: parsing and printing of "host:port" strings.  Kept free of any
 * resolver call so it can be unit-tested and used inside the event loop.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/* Parse a decimal port 1..65535 (or "*" with ADDR_WILDCARD, giving 0). */
static int
addr_parse_port(const char *s, uint16_t *port, int flags, const char **errstr)
{
	unsigned long	 v = 0;
	const char	*p;

	if ((flags & ADDR_WILDCARD) && strcmp(s, "*") == 0) {
		*port = 0;
		return (0);
	}
	if (*s == '\0') {
		*errstr = "missing port";
		return (-1);
	}
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			*errstr = "port is not a number";
			return (-1);
		}
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535) {
			*errstr = "port out of range (1-65535)";
			return (-1);
		}
	}
	if (v == 0) {
		*errstr = "port out of range (1-65535)";
		return (-1);
	}
	*port = (uint16_t)v;
	return (0);
}

/* A host name: letters, digits, '-', '.', '_' (and '*' as a whole host). */
static int
addr_valid_name(const char *h)
{
	const char	*p;

	if (*h == '\0')
		return (0);
	for (p = h; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_'))
			return (0);
	}
	return (1);
}

/**
 * addr_valid_dns(s, len): 1 if the ${len} bytes ${s} are a DNS name: at
 * most 253 bytes of dot-separated labels, each 1 to 63 letters, digits,
 * '-' or '_'.
 */
int
addr_valid_dns(const char *s, size_t len)
{
	size_t	i, label = 0;

	if (len == 0 || len > 253)
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return (0);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return (0);
		if (++label > 63)
			return (0);
	}
	return (label > 0);
}

/**
 * addr_parse(s, hp, flags, errstr): split ${s} ("HOST:PORT", "[V6]:PORT",
 * "NAME:PORT"; with ADDR_WILDCARD also "*" for either part, port 0 then
 * meaning any) into ${hp}.  Return 0, or -1 with a static reason in
 * ${errstr}.
 */
int
addr_parse(const char *s, struct hostport *hp, int flags, const char **errstr)
{
	const char	*colon, *hend;
	const char	*hstart = s;
	size_t		 hlen;

	if (s[0] == '[') {
		hstart = s + 1;
		if ((hend = strchr(hstart, ']')) == NULL) {
			*errstr = "missing ']' after IPv6 address";
			return (-1);
		}
		if (hend[1] != ':') {
			*errstr = "expected ':PORT' after ']'";
			return (-1);
		}
		colon = hend + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			*errstr = "expected HOST:PORT";
			return (-1);
		}
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			*errstr = "IPv6 address must be written as [ADDR]:PORT";
			return (-1);
		}
		hend = colon;
	}
	hlen = (size_t)(hend - hstart);
	if (hlen == 0) {
		*errstr = "missing host";
		return (-1);
	}
	if (hlen > SD_HOST_MAX) {
		*errstr = "host name too long";
		return (-1);
	}
	memcpy(hp->host, hstart, hlen);
	hp->host[hlen] = '\0';
	if (s[0] == '[') {
		struct in6_addr	 a6;

		if (inet_pton(AF_INET6, hp->host, &a6) != 1) {
			*errstr = "invalid IPv6 address";
			return (-1);
		}
	} else if (!((flags & ADDR_WILDCARD) && strcmp(hp->host, "*") == 0) &&
	    !addr_valid_name(hp->host)) {
		*errstr = "invalid host name";
		return (-1);
	}
	return (addr_parse_port(colon + 1, &hp->port, flags, errstr));
}

/**
 * addr_numeric(host, port, ss, sslen): if ${host} is an IPv4 or IPv6
 * literal (unbracketed), fill ${ss}/${sslen} with it and ${port} and
 * return 0; otherwise return -1.
 */
int
addr_numeric(const char *host, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

/**
 * addr_is_numeric(host): 1 if ${host} is an IPv4 or IPv6 literal.
 */
int
addr_is_numeric(const char *host)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;

	return (addr_numeric(host, 0, &ss, &len) == 0);
}

/**
 * addr_same_host(a, b): 1 if ${a} and ${b} name the same host: equal
 * addresses when both are literals (so "::1" equals "0::1"), otherwise a
 * case-insensitive string comparison.
 */
int
addr_same_host(const char *a, const char *b)
{
	struct sockaddr_storage	 sa, sb;
	socklen_t		 la, lb;

	if (addr_numeric(a, 0, &sa, &la) == 0 &&
	    addr_numeric(b, 0, &sb, &lb) == 0) {
		if (sa.ss_family != sb.ss_family)
			return (0);
		if (sa.ss_family == AF_INET)
			return (memcmp(&((struct sockaddr_in *)&sa)->sin_addr,
			    &((struct sockaddr_in *)&sb)->sin_addr, 4) == 0);
		return (memcmp(&((struct sockaddr_in6 *)&sa)->sin6_addr,
		    &((struct sockaddr_in6 *)&sb)->sin6_addr, 16) == 0);
	}
	return (strcasecmp(a, b) == 0);
}

/**
 * addr_format(sa, buf, len): write ${sa} as "1.2.3.4:80" or "[::1]:80"
 * into ${buf}; return ${buf}.
 */
char *
addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "(unknown family %d)", sa->sa_family);
	return (buf);
}

/**
 * addr_format_hp(hp, buf, len): write ${hp} as "host:port", bracketing an
 * IPv6 literal; return ${buf}.
 */
char *
addr_format_hp(const struct hostport *hp, char *buf, size_t len)
{
	char	 port[8] = "*";
	int	 v6 = strchr(hp->host, ':') != NULL;

	if (hp->port != 0)
		snprintf(port, sizeof(port), "%u", hp->port);
	snprintf(buf, len, "%s%s%s:%s", v6 ? "[" : "", hp->host, v6 ? "]" : "",
	    port);
	return (buf);
}

/**
 * addr_loopback_for(peer, src): the loopback address from which a tls
 * tunnel connects to a local target for a peer at ${peer}, in ${src}
 * (port 0): 127.B.C.D for an IPv4 peer A.B.C.D (also IPv4-mapped IPv6),
 * 127.x.y.z from a hash of the address for other IPv6 peers.  Return 0,
 * or -1 if the peer is itself on loopback or maps to 127.0.0.0, 127.0.0.1
 * or 127.255.255.255 (then connect from the default address).
 */
int
addr_loopback_for(const struct sockaddr *peer, struct sockaddr_in *src)
{
	const uint8_t	*b;
	uint8_t		 low[3];
	uint32_t	 h;
	size_t		 i;

	if (peer->sa_family == AF_INET) {
		b = (const uint8_t *)
		    &((const struct sockaddr_in *)peer)->sin_addr.s_addr;
		if (b[0] == 127)
			return (-1);
		memcpy(low, b + 1, 3);
	} else if (peer->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)peer)->sin6_addr;

		b = a6->s6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a6))
			return (-1);
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			if (b[12] == 127)
				return (-1);
			memcpy(low, b + 13, 3);
		} else {
			/* FNV-1a: 24 bits of the whole address */
			for (h = 2166136261u, i = 0; i < 16; i++)
				h = (h ^ b[i]) * 16777619u;
			low[0] = (uint8_t)(h >> 16);
			low[1] = (uint8_t)(h >> 8);
			low[2] = (uint8_t)h;
		}
	} else
		return (-1);
	/* 127.0.0.1 is the default anyway; 127.0.0.0 and 127.255.255.255
	 * are the network and broadcast addresses of lo's 127.0.0.1/8 */
	if ((low[0] == 0 && low[1] == 0 && low[2] <= 1) ||
	    (low[0] == 255 && low[1] == 255 && low[2] == 255))
		return (-1);
	memset(src, 0, sizeof(*src));
	src->sin_family = AF_INET;
	src->sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)low[0] << 16 |
	    (uint32_t)low[1] << 8 | low[2]);
	return (0);
}
