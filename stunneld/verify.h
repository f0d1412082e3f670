/*
 * verify.h: who the peer is.  A certificate's identity is its DNS and IP
 * subject-alternative names or, lacking both, its common name; the
 * matching rules on those lists are pure so they can be unit-tested.
 * What reads certificates and sessions is in verify_gnutls.h.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "stunneld.h"

#define VERIFY_MAX_NAMES	32
#define VERIFY_PIN_LEN		64	/* "sha256:" + 44 base64 chars + NUL */

struct cert_ident {
	size_t	n;
	struct {
		char	name[SD_HOST_MAX + 1];	/* lower case; IPs as text */
		int	is_ip;
	}	ent[VERIFY_MAX_NAMES];
	int	from_cn;		/* no SAN: the single entry is the CN */
	char	pin[VERIFY_PIN_LEN];	/* "sha256:BASE64" of the SPKI */
	time_t	not_after;		/* the leaf's expiry; once verified,
					 * the earliest in its chain */
	int	anchor;			/* once verified: the trust anchor
					 * (verify_gnutls.h) its chain ends at */
	int	anchor_ca;		/* and which CA of it; -1: not known */
};

#define VERIFY_CACHE_MAX	128

/* Certificate chains that verified against one set of credentials. */
struct verify_cache_ent {
	uint8_t			 hash[32];	/* SHA-256 of the chain's DER */
	time_t			 until;		/* trusted until then (0: empty slot) */
	struct cert_ident	*id;		/* what the leaf names (allocated) */
};
struct verify_cache {
	struct verify_cache_ent	ent[VERIFY_CACHE_MAX];
	size_t			next;	/* the slot to overwrite next */
};

/* What a peer must prove, on top of a chain to the CA that is not revoked. */
struct verify_policy {
	const char	*host;		/* non-NULL: an IP SAN equal to it, or a DNS SAN matching it */
	char *const	*allow;		/* nallow > 0: match one entry (name pattern, "*", sha256: pin) */
	size_t		 nallow;
};

/**
 * verify_pattern_match(pattern, name): 1 if ${name} matches ${pattern},
 * case-insensitively; a leading "*." in ${pattern} stands for exactly one
 * label ("*.example" matches "a.example", not "example" or "a.b.example").
 */
int	verify_pattern_match(const char *pattern, const char *name);

/**
 * verify_ident_allowed(id, allow, n): 1 if ${id} matches one of the ${n}
 * entries: "*" (anyone), "sha256:..." (equal to id->pin), an IP literal
 * (equal to an IP entry), or a name pattern (matching a non-IP entry).
 */
int	verify_ident_allowed(const struct cert_ident *id, char *const *allow,
	    size_t n);

/**
 * verify_ident_proves_host(id, host): 1 if ${id} proves ${host}: for an IP
 * literal, an IP entry with the same address; for a name, a DNS entry
 * equal to it or a "*.suffix" entry covering exactly one label of it.
 */
int	verify_ident_proves_host(const struct cert_ident *id, const char *host);

/**
 * verify_ident_str(id, buf, len): the identity for logs ("node-b",
 * "127.0.0.2,node-b.example"), truncated to ${len}; return ${buf}.
 */
char	*verify_ident_str(const struct cert_ident *id, char *buf, size_t len);

/** verify_cache_clear(cache): forget every chain in ${cache}. */
void	verify_cache_clear(struct verify_cache *cache);

#endif /* !VERIFY_H */
