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

#include "verify.h"

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
 * verify_peer_cached(session, cache, pol, id, reason, reasonlen): as
 * verify_peer(), but a certificate chain found in ${cache} (may be NULL)
 * is not verified again; a chain that verifies is added to it.  The
 * cache belongs to one set of credentials (same CA and CRL).
 */
int	verify_peer_cached(gnutls_session_t session, struct verify_cache *cache,
	    const struct verify_policy *pol, struct cert_ident *id,
	    char *reason, size_t reasonlen);

/**
 * verify_peer_again(session, cred, pol, id, reason, reasonlen): check the
 * peer of the established ${session} as verify_peer() does, but against
 * the CA and CRL of ${cred} (newly loaded credentials) instead of those
 * the session began with; id->not_after as verify_peer() sets it, with
 * the trust anchor of ${cred}.
 */
int	verify_peer_again(gnutls_session_t session,
	    gnutls_certificate_credentials_t cred,
	    const struct verify_policy *pol, struct cert_ident *id,
	    char *reason, size_t reasonlen);

/**
 * verify_ca_constraints(ca, id, reason, reasonlen): 0 if every name of
 * ${id} lies within the X.509 name constraints of the CA certificate
 * ${ca} (or it has none); else -1 with the reason, as
 * verify_chain_constraints() gives it, in ${reason}.
 */
int	verify_ca_constraints(gnutls_x509_crt_t ca, const struct cert_ident *id,
	    char *reason, size_t reasonlen);

/**
 * verify_chain_constraints(tl, certs, n, id, reason, reasonlen): 0 if
 * every name of ${id} (the identity of the leaf of the ${n} certificates
 * ${certs}, DER, as the peer sent them) lies within the X.509 name
 * constraints of every CA on its chain, from the leaf's issuer to the
 * anchor in ${tl} it ends at, that anchor included; else -1 with the CA
 * (subject and SPKI pin) and the name in ${reason}: 'CA "CN=Org A CA"
 * (sha256:...) may not vouch for 127.2.0.5 (nameConstraints permit
 * 127.1.0.0/16, .org-a.example)'.  GnuTLS checks the constraints too,
 * but on its own reading of the names (see nameconstraint.h).
 */
int	verify_chain_constraints(gnutls_x509_trust_list_t tl,
	    const gnutls_datum_t *certs, unsigned int n,
	    const struct cert_ident *id, char *reason, size_t reasonlen);

/**
 * verify_crts_constraints(tl, chain, n, id, reason, reasonlen): as
 * verify_chain_constraints(), on the ${n} parsed certificates ${chain}.
 */
int	verify_crts_constraints(gnutls_x509_trust_list_t tl,
	    gnutls_x509_crt_t *chain, unsigned int n,
	    const struct cert_ident *id, char *reason, size_t reasonlen);

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
