/*
 * creds.h: one immutable, reference-counted bundle of TLS credentials
 * (certificate chain, key, CA, CRL, priority).  A reload builds a new
 * bundle and swaps the pointer; sessions keep the bundle they began with.
 * What hands GnuTLS objects out is in creds_gnutls.h.
 */
#ifndef CREDS_H
#define CREDS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "stunneld.h"

struct creds;

#define CREDS_TICKET_KEY_LEN	64	/* a GnuTLS session ticket master key */

/**
 * creds_ticket_key_new(key): fill ${key} (CREDS_TICKET_KEY_LEN bytes) with
 * a new random session ticket master key; 0, or -1 on failure.
 */
int		 creds_ticket_key_new(uint8_t *key);

/**
 * creds_load(tc, conffile, ticket_key, err, errlen): load and check the
 * files of ${tc}: every file readable and parsable, the key matching the
 * certificate, the certificate inside its validity period and chaining to
 * the CA, the CRL parsable, the priority string valid.  The bundle issues
 * session tickets under ${ticket_key} (CREDS_TICKET_KEY_LEN bytes; NULL:
 * a random one).  Return a bundle holding one reference, or NULL with
 * "${conffile}:LINE: FILE: reason" in ${err} (LINE is the config line of
 * the offending setting).
 */
struct creds	*creds_load(const struct tls_conf *tc, const char *conffile,
		    const uint8_t *ticket_key, char *err, size_t errlen);

/** creds_ref(c): take one more reference to ${c}; return ${c}. */
struct creds	*creds_ref(struct creds *c);

/** creds_unref(c): drop a reference; the last one frees ${c}.  NULL is a no-op. */
void		 creds_unref(struct creds *c);

struct verify_cache;

/**
 * creds_verify_cache(c): the memo of peer chains that verified with ${c}'s
 * CA and CRL (mutable: the one part of a bundle that changes).
 */
struct verify_cache *creds_verify_cache(struct creds *c);

/** creds_not_after(c): expiry time of ${c}'s own certificate. */
time_t		 creds_not_after(const struct creds *c);

/** creds_subject(c): ${c}'s own certificate subject DN, e.g. "CN=node-a". */
const char	*creds_subject(const struct creds *c);

/** creds_time(t, buf, len): ${t} as "2026-01-01T00:00:00Z" in ${buf}; return ${buf}. */
char		*creds_time(time_t t, char *buf, size_t len);

/**
 * creds_crl_count(c): how many CRLs ${c} checks revocation with (0: no
 * crl file).
 */
unsigned int	 creds_crl_count(const struct creds *c);

/**
 * creds_crl_next_update(c): the earliest next update of ${c}'s CRLs; 0 if
 * none has one.  From then on that CRL is past its next update.
 */
time_t		 creds_crl_next_update(const struct creds *c);

/**
 * creds_crl_past(c, t, iter, file, next_update): step through the CRLs
 * of ${c} that are past their next update at ${t} (for each CA, the one
 * that stays in date the longest), from *${iter} = 0 on: 1 with its
 * ${file} and ${next_update}, 0 when there are no more.
 */
int		 creds_crl_past(const struct creds *c, time_t t,
		    unsigned int *iter, const char **file,
		    time_t *next_update);

/** creds_crl_strict(c): 1 if ${c} refuses peers covered by a CRL past its next update. */
int		 creds_crl_strict(const struct creds *c);

#endif /* !CREDS_H */
