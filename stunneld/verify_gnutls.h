/*
 * verify_gnutls.h: the GnuTLS half of verify.h (certificates and sessions
 * in, identities and verdicts out).  Only tls.c, creds.c and verify.c in
 * the daemon include it, so that nothing else compiles against GnuTLS
 * types (tests/integration/11-layout.sh checks it); stunnelctl's cert
 * command and the unit tests use it too.
 */
#ifndef VERIFY_GNUTLS_H
#define VERIFY_GNUTLS_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "scope.h"
#include "verify.h"

/* A CA certificate of a trust anchor, as logs name it. */
struct verify_ca {
	char		 subject[128];		/* its DN, perhaps cut short */
	char		 pin[VERIFY_PIN_LEN];	/* "sha256:BASE64" of its SPKI */
};

/*
 * A trust anchor: the CA certificates of one "ca" file (with their CRLs)
 * and the names they may vouch for.  creds.c builds and owns them.
 */
struct verify_anchor {
	gnutls_x509_trust_list_t tl;	/* its CAs and CRLs, nothing else */
	const struct scope_ent	*names;	/* nnames == 0: any name */
	size_t			 nnames;
	const char		*file;	/* the CA file, for logs */
	const struct verify_ca	*ca;	/* its certificates, in tl's order */
	unsigned int		 nca;
};

struct verify_anchors {
	const struct verify_anchor *a;
	size_t			 n;
};

/**
 * verify_ident_from_crt(crt, id): fill ${id} from ${crt} (its not_after is
 * that of ${crt}).  Return 0, or -1 if the certificate has no usable name
 * and no key.
 */
int	verify_ident_from_crt(gnutls_x509_crt_t crt, struct cert_ident *id);

/**
 * verify_peer(session, pol, id, reason, reasonlen): check the peer of
 * ${session}: a certificate was sent, it chains to the trusted CA of the
 * session's credentials, is in its validity period and not revoked by the
 * CRL, and satisfies ${pol}.  Fill ${id} (when a certificate was there);
 * on success id->not_after is the earliest expiry of the verified chain:
 * from the leaf, issuer by issuer, to the trust anchor it ends at.
 * Return 0, or -1 with a human reason in ${reason} ("certificate revoked",
 * "certificate expired", "not signed by the CA", "no certificate",
 * "certificate does not name 127.0.0.2", "node-x not in allow list").
 */
int	verify_peer(gnutls_session_t session, const struct verify_policy *pol,
	    struct cert_ident *id, char *reason, size_t reasonlen);

/**
 * verify_peer_cached(session, anchors, cache, pol, id, reason, reasonlen):
 * as verify_peer(), but against ${anchors} (NULL: the trust list of the
 * session's credentials, vouching for any name): the chain must end at
 * one of them, with id->anchor and id->anchor_ca saying where, and every
 * name of ${id} must be one its anchor may vouch for
 * (verify_anchor_vouches()).  A chain found in ${cache} (may be NULL) is
 * not verified again; one that verifies is added to it.  The cache
 * belongs to one set of anchors (same CAs and CRLs).
 */
int	verify_peer_cached(gnutls_session_t session,
	    const struct verify_anchors *anchors, struct verify_cache *cache,
	    const struct verify_policy *pol, struct cert_ident *id,
	    char *reason, size_t reasonlen);

/**
 * verify_peer_again(session, anchors, pol, id, reason, reasonlen): check
 * the peer of the established ${session} as verify_peer_cached() does,
 * but against ${anchors} (newly loaded credentials' ones) instead of
 * those the session began with, and without a cache.
 */
int	verify_peer_again(gnutls_session_t session,
	    const struct verify_anchors *anchors,
	    const struct verify_policy *pol, struct cert_ident *id,
	    char *reason, size_t reasonlen);

/**
 * verify_anchor_vouches(anchors, id, reason, reasonlen): 1 if anchor
 * id->anchor of ${anchors} may vouch for every name of ${id}; else 0,
 * with the refusal naming the CA (subject and SPKI pin) and the first
 * name it may not vouch for in ${reason}.
 */
int	verify_anchor_vouches(const struct verify_anchors *anchors,
	    const struct cert_ident *id, char *reason, size_t reasonlen);

/**
 * verify_crts(anchors, chain, n, id, reason, reasonlen): check the ${n}
 * certificates ${chain} (leaf first) as a peer's: they chain to one of
 * ${anchors}, are in their validity period and not revoked, and their
 * anchor may vouch for every name of the leaf.  Fill ${id}.  Return 0, or
 * -1 with the reason in ${reason}.
 */
int	verify_crts(const struct verify_anchors *anchors,
	    gnutls_x509_crt_t *chain, unsigned int n, struct cert_ident *id,
	    char *reason, size_t reasonlen);

/**
 * verify_status_words(status, reason, reasonlen): GnuTLS verification
 * ${status} bits (not 0) in words, the worst first, in ${reason}:
 * "certificate revoked", "certificate expired", "certificate not yet
 * valid", "not signed by the CA", "CRL out of date", or GnuTLS's own;
 * return ${reason}.  The same words for a peer's chain and for our own.
 */
char	*verify_status_words(unsigned int status, char *reason,
	    size_t reasonlen);

#endif /* !VERIFY_GNUTLS_H */
