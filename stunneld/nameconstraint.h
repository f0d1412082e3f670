/*
 * nameconstraint.h: X.509 name constraints (RFC 5280 4.2.1.10) on the
 * names stunneld believes, pure.  A subtree is an IP range or a DNS
 * subtree; a CA's permitted and excluded subtrees are checked against
 * a certificate identity (verify.h) as stunneld matches it: DNS names
 * case-insensitively and without a trailing dot, a "*." SAN as every
 * name it stands for, IPv4-mapped IPv6 addresses as IPv4, the common
 * name of a certificate without SANs as a DNS name.  GnuTLS enforces
 * constraints on its own reading of a certificate, which differs from
 * this one in each of those points (tests/unit/t_nameconstraint.c); the
 * GnuTLS side (reading the extension of a CA) is in verify.c.
 */
#ifndef NAMECONSTRAINT_H
#define NAMECONSTRAINT_H

#include <stddef.h>
#include <stdint.h>

#include "stunneld.h"
#include "verify.h"

#define NAMECONSTRAINT_STRLEN	(SD_HOST_MAX + 2)	/* longest as text */

struct nameconstraint_subtree {
	int	is_ip;
	int	family;		/* is_ip: AF_INET or AF_INET6 */
	uint8_t	addr[16];	/* is_ip: the network, host bits zero */
	unsigned int prefix;	/* is_ip: 0..32 or 0..128 */
	char	dns[SD_HOST_MAX + 2];	/* !is_ip: lower case, no trailing
					 * dot; ".x": below x only, "x": x
					 * and below; "": every name */
};

/* One CA's constraints, checked against one identity. */
struct nameconstraint_check {
	const struct cert_ident	*id;
	int			 permit_ip;	/* the CA permits IP ranges */
	int			 permit_dns;	/* the CA permits DNS subtrees */
	uint32_t		 permitted;	/* bit i: id->ent[i] in one */
	uint32_t		 excluded;	/* bit i: id->ent[i] meets one */
};

/**
 * nameconstraint_parse(s, st, err, errlen): parse ${s} into ${st}: an
 * IPv4 or IPv6 CIDR ("10.1.0.0/16", "fd00:1::/32"), a single address
 * (a /32 or /128), a DNS subtree ("org-a.example": it and every name
 * below; ".org-a.example": only the names below).  Return 0, or -1 with
 * the reason in ${err} ("host bits set in 10.1.2.0/16: 10.1.0.0/16?").
 */
int	nameconstraint_parse(const char *s, struct nameconstraint_subtree *st,
	    char *err, size_t errlen);

/**
 * nameconstraint_from_ip(data, len, st): ${st} from the ${len} bytes of
 * an iPAddress constraint (address then mask: 8 bytes IPv4, 32 IPv6).
 * Return 0, or -1 if the length or the mask (not contiguous) is wrong.
 */
int	nameconstraint_from_ip(const uint8_t *data, size_t len,
	    struct nameconstraint_subtree *st);

/**
 * nameconstraint_from_dns(data, len, st): ${st} from the ${len} bytes of
 * a dNSName constraint.  Return 0, or -1 if it holds a NUL, a control
 * character or is too long.
 */
int	nameconstraint_from_dns(const char *data, size_t len,
	    struct nameconstraint_subtree *st);

/**
 * nameconstraint_to_ip(st, out, len): the iPAddress constraint of the IP
 * range ${st} (address then mask) in ${out} (32 bytes), its length in
 * ${len}; return ${out}.
 */
uint8_t	*nameconstraint_to_ip(const struct nameconstraint_subtree *st,
	    uint8_t out[32], size_t *len);

/**
 * nameconstraint_str(st, buf, len): ${st} as text ("10.1.0.0/16",
 * ".org-a.example"), truncated to ${len}; return ${buf}.
 */
char	*nameconstraint_str(const struct nameconstraint_subtree *st,
	    char *buf, size_t len);

/**
 * nameconstraint_within(st, name, is_ip): 1 if every name ${name} stands
 * for lies in ${st}: ${name} an address (${is_ip}) in the range, or a
 * DNS name (or "*." pattern) in the DNS subtree; 0 otherwise, and for a
 * subtree of the other kind.
 */
int	nameconstraint_within(const struct nameconstraint_subtree *st,
	    const char *name, int is_ip);

/**
 * nameconstraint_overlaps(st, name, is_ip): 1 if some name ${name} stands
 * for lies in ${st} (as nameconstraint_within(), but a "*.example"
 * pattern meets the subtree "a.example" too).
 */
int	nameconstraint_overlaps(const struct nameconstraint_subtree *st,
	    const char *name, int is_ip);

/**
 * nameconstraint_check_begin(c, id): start checking ${id} against one
 * CA's constraints in ${c}; ${id} must outlive ${c}.
 */
void	nameconstraint_check_begin(struct nameconstraint_check *c,
	    const struct cert_ident *id);

/**
 * nameconstraint_check_add(c, st, excluded): one permitted (or, with
 * ${excluded}, excluded) subtree ${st} of the CA.
 */
void	nameconstraint_check_add(struct nameconstraint_check *c,
	    const struct nameconstraint_subtree *st, int excluded);

/**
 * nameconstraint_check_end(c, is_excluded): the index in the identity of
 * the first name the CA may not vouch for, with ${is_excluded} (may be
 * NULL) set to 1 if an excluded subtree holds it, 0 if no permitted one
 * does; -1 if the CA may vouch for every name.  An identity with a kind
 * of name (IP or DNS) the CA permits none of is not held to it: RFC 5280
 * leaves names of a kind without permitted subtrees unconstrained.
 */
int	nameconstraint_check_end(const struct nameconstraint_check *c,
	    int *is_excluded);

#endif /* !NAMECONSTRAINT_H */
