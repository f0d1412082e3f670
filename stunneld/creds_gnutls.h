/*
 * creds_gnutls.h: the GnuTLS objects inside a credentials bundle
 * (creds.h), for the sessions that use them.  Only tls.c, creds.c and
 * verify.c in the daemon include it (tests/integration/11-layout.sh).
 */
#ifndef CREDS_GNUTLS_H
#define CREDS_GNUTLS_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "creds.h"

/** creds_ticket_key(c): the session ticket master key of ${c}. */
const gnutls_datum_t *creds_ticket_key(const struct creds *c);

/** creds_gnutls(c): the GnuTLS certificate credentials of ${c}. */
gnutls_certificate_credentials_t creds_gnutls(const struct creds *c);

/** creds_priority(c): the parsed priority cache of ${c}. */
gnutls_priority_t creds_priority(const struct creds *c);

/**
 * creds_crl_refuses(c, session, anchor, now, reason, len): with
 * crl_strict, 1 if a certificate the peer of ${session} sent was issued
 * by a CA of ${anchor} (the one its chain ends at; -1: any) whose CRL in
 * ${c} is past its next update at ${now}, with the reason in ${reason};
 * else 0.  Without crl_strict, or before the earliest next update, no
 * certificate is looked at.
 */
int		 creds_crl_refuses(const struct creds *c,
		    gnutls_session_t session, int anchor, time_t now,
		    char *reason, size_t len);

struct verify_anchors;

/**
 * creds_anchors(c): the trust anchors of ${c}, for verify.h's functions.
 */
const struct verify_anchors *creds_anchors(const struct creds *c);

#endif /* !CREDS_GNUTLS_H */
