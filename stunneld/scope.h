/*
 * scope.h: the names a trust anchor may vouch for (the "names" of a "ca"
 * list entry): IPv4 and IPv6 networks and addresses, host names, "*."
 * patterns and ".suffix" subtrees.  Parsing and matching are pure, so
 * that conf.c checks a configuration with the same code that verify.c
 * applies to a peer.
 */
#ifndef SCOPE_H
#define SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "stunneld.h"

enum scope_kind {
	SCOPE_NET,		/* an address or a CIDR network */
	SCOPE_NAME,		/* one host name */
	SCOPE_WILD,		/* "*.example": one label, then the suffix */
	SCOPE_SUBTREE		/* ".example": any name that ends with it */
};

struct scope_ent {
	enum scope_kind	 kind;
	int		 family;	/* SCOPE_NET: AF_INET or AF_INET6 */
	unsigned int	 prefix;	/* SCOPE_NET: bits that must match */
	uint8_t		 addr[16];	/* SCOPE_NET: the network, host bits zero */
	char		 name[SD_HOST_MAX + 1];	/* the rest: lower case, no
						 * "*" or trailing dot */
};

/**
 * scope_parse(s, e, errstr): parse names entry ${s} ("10.1.0.0/16",
 * "fd00:1::/32", "10.1.0.7", "node-b1", "*.org-a.example",
 * ".org-a.example") into ${e}.  Return 0, or -1 with the reason in
 * ${errstr} (a static string).
 */
int	scope_parse(const char *s, struct scope_ent *e, const char **errstr);

/**
 * scope_vouches(ents, n, name, is_ip): 1 if one of the ${n} entries
 * ${ents} covers ${name}: an address (${is_ip}, as text) inside one of
 * the networks of its family, or a name equal to a host name entry,
 * one label under a "*." entry or anywhere under a ".suffix" entry
 * (case-insensitively, a trailing dot ignored).  ${n} == 0 (no names
 * given) covers every name.
 */
int	scope_vouches(const struct scope_ent *ents, size_t n, const char *name,
	    int is_ip);

/**
 * scope_str(e, buf, len): ${e} as it would be written in "names"; return
 * ${buf}.
 */
char	*scope_str(const struct scope_ent *e, char *buf, size_t len);

#endif /* !SCOPE_H */
