/*
 * scope.c: the names a trust anchor may vouch for.  Pure: no GnuTLS, no
 * sockets; conf.c parses with it, verify.c matches with it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "scope.h"

/* 1 if ${s} (${len} bytes) is a host name, not a mistyped address. */
static int
scope_is_hostname(const char *s, size_t len)
{
	size_t	 i;

	if (!addr_valid_dns(s, len))
		return (0);
	/* "10.1.0" or "300.1.2.3" is a mistyped address, not a name */
	for (i = 0; i < len; i++)
		if (s[i] != '.' && !isdigit((unsigned char)s[i]))
			return (1);
	return (0);
}

/* Parse "ADDR[/PREFIX]" ${s} into ${e}; 0, or -1 with ${errstr}. */
static int
scope_parse_net(const char *s, struct scope_ent *e, const char **errstr)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned int	 max, i;
	unsigned long	 p;

	if (strlen(s) >= sizeof(buf)) {
		*errstr = "not an address or network";
		return (-1);
	}
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, e->addr) == 1) {
		e->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, e->addr) == 1) {
		e->family = AF_INET6;
		max = 128;
	} else {
		*errstr = slash != NULL ? "bad network address before '/'" :
		    "not an address or network";
		return (-1);
	}
	e->prefix = max;
	if (slash != NULL) {
		if (!isdigit((unsigned char)slash[0]) ||
		    (p = strtoul(slash, &end, 10)) > max || *end != '\0' ||
		    (slash[0] == '0' && slash[1] != '\0')) {
			*errstr = max == 32 ? "bad prefix length: must be "
			    "0 to 32" : "bad prefix length: must be 0 to 128";
			return (-1);
		}
		e->prefix = (unsigned int)p;
	}
	/* "10.1.2.3/16" is a typo for one of two things: say which */
	for (i = e->prefix; i < max; i++)
		if (e->addr[i / 8] & (0x80 >> (i % 8))) {
			*errstr = "address bits set beyond the prefix length";
			return (-1);
		}
	e->kind = SCOPE_NET;
	return (0);
}

/**
 * scope_parse(s, e, errstr): parse names entry ${s} ("10.1.0.0/16",
 * "fd00:1::/32", "10.1.0.7", "node-b1", "*.org-a.example",
 * ".org-a.example") into ${e}.  Return 0, or -1 with the reason in
 * ${errstr} (a static string).
 */
int
scope_parse(const char *s, struct scope_ent *e, const char **errstr)
{
	const char	*name = s;
	size_t		 len, i;

	memset(e, 0, sizeof(*e));
	if (s[0] == '\0') {
		*errstr = "empty name";
		return (-1);
	}
	if (strchr(s, ':') != NULL || strchr(s, '/') != NULL ||
	    inet_pton(AF_INET, s, e->addr) == 1)
		return (scope_parse_net(s, e, errstr));
	e->kind = SCOPE_NAME;
	if (s[0] == '*') {
		if (s[1] != '.') {
			*errstr = "a pattern must start with \"*.\"";
			return (-1);
		}
		e->kind = SCOPE_WILD;
		name = s + 2;
	} else if (s[0] == '.') {
		e->kind = SCOPE_SUBTREE;
		name = s + 1;
	}
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		len--;
	if (strchr(name, '*') != NULL) {
		*errstr = "\"*\" only as the whole first label (\"*.example\")";
		return (-1);
	}
	if (!scope_is_hostname(name, len)) {
		*errstr = e->kind == SCOPE_NAME ? "not an address, network "
		    "or host name" : "not a host name after the prefix";
		return (-1);
	}
	for (i = 0; i < len; i++)
		e->name[i] = (char)tolower((unsigned char)name[i]);
	e->name[len] = '\0';
	return (0);
}

/* 1 if the first ${bits} bits of ${a} and ${b} are equal. */
static int
scope_bits_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int	 n = bits / 8;
	uint8_t		 mask;

	if (memcmp(a, b, n) != 0)
		return (0);
	if (bits % 8 == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - bits % 8));
	return ((a[n] & mask) == (b[n] & mask));
}

/* 1 if ${name} (${len} bytes) ends with "." and ${suffix}, with something before. */
static int
scope_under(const char *name, size_t len, const char *suffix)
{
	size_t	 slen = strlen(suffix);

	return (len > slen + 1 && name[len - slen - 1] == '.' &&
	    strncasecmp(name + len - slen, suffix, slen) == 0);
}

/**
 * scope_vouches(ents, n, name, is_ip): 1 if one of the ${n} entries
 * ${ents} covers ${name}: an address (${is_ip}, as text) inside one of
 * the networks of its family, or a name equal to a host name entry,
 * one label under a "*." entry or anywhere under a ".suffix" entry
 * (case-insensitively, a trailing dot ignored).  ${n} == 0 (no names
 * given) covers every name.
 */
int
scope_vouches(const struct scope_ent *ents, size_t n, const char *name,
    int is_ip)
{
	uint8_t		 a[16];
	const char	*dot;
	size_t		 i, len;
	int		 family = 0;

	if (n == 0)
		return (1);
	if (is_ip) {
		if (inet_pton(AF_INET, name, a) == 1)
			family = AF_INET;
		else if (inet_pton(AF_INET6, name, a) == 1)
			family = AF_INET6;
		else
			return (0);
	}
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		len--;
	for (i = 0; i < n; i++) {
		const struct scope_ent *e = &ents[i];

		switch (e->kind) {
		case SCOPE_NET:
			if (family == e->family &&
			    scope_bits_eq(a, e->addr, e->prefix))
				return (1);
			break;
		case SCOPE_NAME:
			if (!is_ip && len == strlen(e->name) &&
			    strncasecmp(name, e->name, len) == 0)
				return (1);
			break;
		case SCOPE_WILD:
			/* exactly one non-empty label before the suffix */
			if (!is_ip && scope_under(name, len, e->name) &&
			    ((dot = memchr(name, '.', len)) - name) ==
			    (ptrdiff_t)(len - strlen(e->name) - 1))
				return (1);
			break;
		case SCOPE_SUBTREE:
			if (!is_ip && scope_under(name, len, e->name))
				return (1);
			break;
		}
	}
	return (0);
}

/**
 * scope_str(e, buf, len): ${e} as it would be written in "names"; return
 * ${buf}.
 */
char *
scope_str(const struct scope_ent *e, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];
	int	 max = e->family == AF_INET ? 32 : 128;

	switch (e->kind) {
	case SCOPE_NET:
		if (inet_ntop(e->family, e->addr, a, sizeof(a)) == NULL)
			snprintf(a, sizeof(a), "?");
		if ((int)e->prefix == max)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%u", a, e->prefix);
		break;
	case SCOPE_NAME:
		snprintf(buf, len, "%s", e->name);
		break;
	case SCOPE_WILD:
		snprintf(buf, len, "*.%s", e->name);
		break;
	case SCOPE_SUBTREE:
		snprintf(buf, len, ".%s", e->name);
		break;
	}
	return (buf);
}
