/*
 * nameconstraint.c: X.509 name constraints on the names stunneld
 * believes (see nameconstraint.h for how they are read), pure: no
 * certificates, no GnuTLS.
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

#include "addr.h"
#include "nameconstraint.h"

/* Set the host bits of ${addr} (${bytes} long) beyond ${prefix}: 1 if any was set. */
static int
nameconstraint_host_bits(const uint8_t *addr, size_t bytes,
    unsigned int prefix)
{
	size_t	i;

	for (i = 0; i < bytes; i++) {
		unsigned int	bits = prefix > i * 8 ? prefix - i * 8 : 0;
		uint8_t		mask = bits >= 8 ? 0xff :
				    (uint8_t)(0xff << (8 - bits));

		if (addr[i] & (uint8_t)~mask)
			return (1);
	}
	return (0);
}

/* Zero the host bits of ${st}'s address. */
static void
nameconstraint_clear_host(struct nameconstraint_subtree *st)
{
	size_t	bytes = st->family == AF_INET ? 4 : 16, i;

	for (i = 0; i < bytes; i++) {
		unsigned int	bits = st->prefix > i * 8 ? st->prefix - i * 8 :
				    0;

		if (bits < 8)
			st->addr[i] &= (uint8_t)(bits == 0 ? 0 :
			    0xff << (8 - bits));
	}
}

/**
 * nameconstraint_parse(s, st, err, errlen): parse ${s} into ${st}: an
 * IPv4 or IPv6 CIDR ("10.1.0.0/16", "fd00:1::/32"), a single address
 * (a /32 or /128), a DNS subtree ("org-a.example": it and every name
 * below; ".org-a.example": only the names below).  Return 0, or -1 with
 * the reason in ${err} ("host bits set in 10.1.2.0/16: 10.1.0.0/16?").
 */
int
nameconstraint_parse(const char *s, struct nameconstraint_subtree *st,
    char *err, size_t errlen)
{
	char		 host[INET6_ADDRSTRLEN + 1], *end, fix[64];
	const char	*slash, *p;
	unsigned long	 prefix;
	size_t		 len, i;
	unsigned int	 max;

	memset(st, 0, sizeof(*st));
	len = strlen(s);
	slash = strchr(s, '/');
	if ((slash != NULL ? (size_t)(slash - s) : len) < sizeof(host)) {
		memcpy(host, s, slash != NULL ? (size_t)(slash - s) : len);
		host[slash != NULL ? (size_t)(slash - s) : len] = '\0';
		if (inet_pton(AF_INET, host, st->addr) == 1)
			st->family = AF_INET;
		else if (inet_pton(AF_INET6, host, st->addr) == 1)
			st->family = AF_INET6;
	}
	if (st->family != 0) {
		st->is_ip = 1;
		max = st->family == AF_INET ? 32 : 128;
		st->prefix = max;
		if (slash != NULL) {
			p = slash + 1;
			errno = 0;
			prefix = strtoul(p, &end, 10);
			if (*p < '0' || *p > '9' || *end != '\0' ||
			    errno != 0 || prefix > max) {
				snprintf(err, errlen, "%s: the prefix length "
				    "must be 0 to %u", s, max);
				return (-1);
			}
			st->prefix = (unsigned int)prefix;
		}
		if (nameconstraint_host_bits(st->addr, max / 8, st->prefix)) {
			nameconstraint_clear_host(st);
			snprintf(err, errlen, "host bits set in %s (%s?)", s,
			    nameconstraint_str(st, fix, sizeof(fix)));
			return (-1);
		}
		return (0);
	}
	if (slash != NULL) {
		snprintf(err, errlen, "%s: not an IPv4 or IPv6 CIDR", s);
		return (-1);
	}
	if (s[0] == '*') {
		snprintf(err, errlen, "%s: a DNS constraint is a domain "
		    "(\"%s\": the names below it), not a pattern", s,
		    s[1] == '.' ? s + 1 : ".example");
		return (-1);
	}
	p = s[0] == '.' ? s + 1 : s;
	i = strlen(p);
	if (i > 1 && p[i - 1] == '.')
		i--;
	if (!addr_valid_dns(p, i)) {
		snprintf(err, errlen, "%s: not an IP address, CIDR or DNS "
		    "domain", s);
		return (-1);
	}
	/* "10.1.2.3." would be a DNS constraint that prints as an address. */
	if (i < sizeof(host)) {
		memcpy(host, p, i);
		host[i] = '\0';
		if (inet_pton(AF_INET, host, st->addr) == 1) {
			snprintf(err, errlen, "%s: an address is written "
			    "without dots around it", s);
			return (-1);
		}
	}
	if (nameconstraint_from_dns(s, (size_t)(p - s) + i, st) != 0) {
		snprintf(err, errlen, "%s: too long", s);
		return (-1);
	}
	return (0);
}

/**
 * nameconstraint_from_ip(data, len, st): ${st} from the ${len} bytes of
 * an iPAddress constraint (address then mask: 8 bytes IPv4, 32 IPv6).
 * Return 0, or -1 if the length or the mask (not contiguous) is wrong.
 */
int
nameconstraint_from_ip(const uint8_t *data, size_t len,
    struct nameconstraint_subtree *st)
{
	const uint8_t	*mask;
	size_t		 bytes, i;
	unsigned int	 prefix = 0;
	int		 ended = 0;
	uint8_t		 b;

	memset(st, 0, sizeof(*st));
	if (len != 8 && len != 32)
		return (-1);
	bytes = len / 2;
	mask = data + bytes;
	for (i = 0; i < bytes; i++)
		for (b = 0x80; b != 0; b >>= 1) {
			if (mask[i] & b) {
				if (ended)
					return (-1);
				prefix++;
			} else
				ended = 1;
		}
	st->is_ip = 1;
	st->family = bytes == 4 ? AF_INET : AF_INET6;
	st->prefix = prefix;
	memcpy(st->addr, data, bytes);
	/* A network written with host bits set still means the network. */
	nameconstraint_clear_host(st);
	return (0);
}

/**
 * nameconstraint_from_dns(data, len, st): ${st} from the ${len} bytes of
 * a dNSName constraint.  Return 0, or -1 if it holds a NUL, a control
 * character or is too long.
 */
int
nameconstraint_from_dns(const char *data, size_t len,
    struct nameconstraint_subtree *st)
{
	size_t	i;

	memset(st, 0, sizeof(*st));
	if (len > 1 && data[len - 1] == '.')
		len--;
	if (len == 1 && data[0] == '.')
		len = 0;	/* "." is the root: every name */
	if (len >= sizeof(st->dns))
		return (-1);
	for (i = 0; i < len; i++) {
		if ((unsigned char)data[i] < 0x21 ||
		    (unsigned char)data[i] >= 0x7f)
			return (-1);
		st->dns[i] = (char)tolower((unsigned char)data[i]);
	}
	st->dns[len] = '\0';
	return (0);
}

/**
 * nameconstraint_to_ip(st, out, len): the iPAddress constraint of the IP
 * range ${st} (address then mask) in ${out} (32 bytes), its length in
 * ${len}; return ${out}.
 */
uint8_t *
nameconstraint_to_ip(const struct nameconstraint_subtree *st, uint8_t out[32],
    size_t *len)
{
	size_t		bytes = st->family == AF_INET ? 4 : 16, i;
	unsigned int	bits;

	memcpy(out, st->addr, bytes);
	for (i = 0; i < bytes; i++) {
		bits = st->prefix > i * 8 ? st->prefix - i * 8 : 0;
		out[bytes + i] = bits >= 8 ? 0xff : bits == 0 ? 0 :
		    (uint8_t)(0xff << (8 - bits));
	}
	*len = 2 * bytes;
	return (out);
}

/**
 * nameconstraint_str(st, buf, len): ${st} as text ("10.1.0.0/16",
 * ".org-a.example"), truncated to ${len}; return ${buf}.
 */
char *
nameconstraint_str(const struct nameconstraint_subtree *st, char *buf,
    size_t len)
{
	char	ip[INET6_ADDRSTRLEN];

	if (len == 0)
		return (buf);
	if (!st->is_ip)
		snprintf(buf, len, "%s", st->dns[0] != '\0' ? st->dns :
		    "(every DNS name)");
	else if (inet_ntop(st->family, st->addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, len, "%s/%u", ip, st->prefix);
	else
		snprintf(buf, len, "?");
	return (buf);
}

/*
 * ${name} as an address in ${addr} (4 or 16 bytes; IPv4-mapped IPv6 as
 * IPv4, since that is the host a socket reaches with it): its family, or
 * 0 if it is not an address.
 */
static int
nameconstraint_addr(const char *name, uint8_t addr[16])
{
	static const uint8_t	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };

	if (inet_pton(AF_INET, name, addr) == 1)
		return (AF_INET);
	if (inet_pton(AF_INET6, name, addr) != 1)
		return (0);
	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		return (AF_INET);
	}
	return (AF_INET6);
}

/* 1 if ${name} (an address) is in the IP range ${st}. */
static int
nameconstraint_ip_in(const struct nameconstraint_subtree *st,
    const char *name)
{
	uint8_t		addr[16];
	size_t		i;
	unsigned int	bits;

	if (nameconstraint_addr(name, addr) != st->family)
		return (0);
	for (i = 0; i < (st->family == AF_INET ? 4u : 16u); i++) {
		bits = st->prefix > i * 8 ? st->prefix - i * 8 : 0;
		if (bits == 0)
			break;
		if (bits >= 8 ? addr[i] != st->addr[i] :
		    ((addr[i] ^ st->addr[i]) & (uint8_t)(0xff << (8 - bits))))
			return (0);
	}
	return (1);
}

/*
 * 1 if the DNS name ${n} (${len} bytes, lower case, no trailing dot) is
 * in the subtree ${tree}: "x" holds x and the names below, ".x" only
 * those below, "" every name.
 */
static int
nameconstraint_dns_in(const char *tree, const char *n, size_t len)
{
	size_t	tlen = strlen(tree);

	if (tlen == 0)
		return (1);
	if (tree[0] == '.')
		return (len > tlen && memcmp(n + len - tlen, tree, tlen) == 0);
	if (len == tlen)
		return (memcmp(n, tree, len) == 0);
	return (len > tlen && n[len - tlen - 1] == '.' &&
	    memcmp(n + len - tlen, tree, tlen) == 0);
}

/* ${name} lower-cased without a trailing dot into ${buf}; its length, or 0. */
static size_t
nameconstraint_norm(const char *name, char *buf, size_t buflen)
{
	size_t	len = strlen(name), i;

	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= buflen)
		return (0);
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[len] = '\0';
	return (len);
}

/**
 * nameconstraint_within(st, name, is_ip): 1 if every name ${name} stands
 * for lies in ${st}: ${name} an address (${is_ip}) in the range, or a
 * DNS name (or "*." pattern) in the DNS subtree; 0 otherwise, and for a
 * subtree of the other kind.
 */
int
nameconstraint_within(const struct nameconstraint_subtree *st,
    const char *name, int is_ip)
{
	char	n[SD_HOST_MAX + 2];
	size_t	len;

	if (st->is_ip != (is_ip != 0))
		return (0);
	if (is_ip)
		return (nameconstraint_ip_in(st, name));
	if ((len = nameconstraint_norm(name, n, sizeof(n))) == 0)
		return (0);
	/* "*.s" stands for every "l.s": all of them are in the subtree
	 * exactly when "l.s" is for an l that is none of its labels (a
	 * byte no subtree holds, see nameconstraint_from_dns()). */
	if (len > 2 && n[0] == '*' && n[1] == '.')
		n[0] = '\x01';
	return (nameconstraint_dns_in(st->dns, n, len));
}

/**
 * nameconstraint_overlaps(st, name, is_ip): 1 if some name ${name} stands
 * for lies in ${st} (as nameconstraint_within(), but a "*.example"
 * pattern meets the subtree "a.example" too).
 */
int
nameconstraint_overlaps(const struct nameconstraint_subtree *st,
    const char *name, int is_ip)
{
	char		 n[SD_HOST_MAX + 2];
	const char	*tree = st->dns, *dot;
	size_t		 len;

	if (nameconstraint_within(st, name, is_ip))
		return (1);
	if (is_ip || st->is_ip)
		return (0);
	if ((len = nameconstraint_norm(name, n, sizeof(n))) < 3 ||
	    n[0] != '*' || n[1] != '.')
		return (0);
	/* "*.s" meets "l.s", and everything below it when the subtree
	 * holds l.s itself (not for ".l.s": those names are deeper). */
	if (tree[0] == '.')
		return (0);
	if ((dot = strchr(tree, '.')) == NULL || dot == tree)
		return (0);
	return (strcmp(dot + 1, n + 2) == 0);
}

/**
 * nameconstraint_check_begin(c, id): start checking ${id} against one
 * CA's constraints in ${c}; ${id} must outlive ${c}.
 */
void
nameconstraint_check_begin(struct nameconstraint_check *c,
    const struct cert_ident *id)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
}

/**
 * nameconstraint_check_add(c, st, excluded): one permitted (or, with
 * ${excluded}, excluded) subtree ${st} of the CA.
 */
void
nameconstraint_check_add(struct nameconstraint_check *c,
    const struct nameconstraint_subtree *st, int excluded)
{
	size_t	i;

	/* One bit per name of an identity. */
	_Static_assert(VERIFY_MAX_NAMES <= 32, "cert_ident too large");
	if (!excluded) {
		if (st->is_ip)
			c->permit_ip = 1;
		else
			c->permit_dns = 1;
	}
	for (i = 0; i < c->id->n && i < 32; i++) {
		if (excluded && nameconstraint_overlaps(st,
		    c->id->ent[i].name, c->id->ent[i].is_ip))
			c->excluded |= (uint32_t)1 << i;
		else if (!excluded && nameconstraint_within(st,
		    c->id->ent[i].name, c->id->ent[i].is_ip))
			c->permitted |= (uint32_t)1 << i;
	}
}

/**
 * nameconstraint_check_end(c, is_excluded): the index in the identity of
 * the first name the CA may not vouch for, with ${is_excluded} (may be
 * NULL) set to 1 if an excluded subtree holds it, 0 if no permitted one
 * does; -1 if the CA may vouch for every name.  An identity with a kind
 * of name (IP or DNS) the CA permits none of is not held to it: RFC 5280
 * leaves names of a kind without permitted subtrees unconstrained.
 */
int
nameconstraint_check_end(const struct nameconstraint_check *c,
    int *is_excluded)
{
	size_t	i;
	int	permits;

	for (i = 0; i < c->id->n && i < 32; i++) {
		permits = c->id->ent[i].is_ip ? c->permit_ip : c->permit_dns;
		if ((c->excluded & ((uint32_t)1 << i)) ||
		    (permits && !(c->permitted & ((uint32_t)1 << i)))) {
			if (is_excluded != NULL)
				*is_excluded = (c->excluded &
				    ((uint32_t)1 << i)) != 0;
			return ((int)i);
		}
	}
	return (-1);
}
