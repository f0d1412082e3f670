/*
 * creds.c: load and check a tunnel's TLS files into one immutable,
 * reference-counted bundle.  Every file is read here (not by GnuTLS) so
 * that an unreadable file is reported with its errno, and every check a
 * handshake would fail on later (key not matching, certificate expired or
 * not from the CA, CRL not from the CA) is made now, so that a bad
 * reload-certs is refused while the old bundle keeps working.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "creds.h"
#include "creds_gnutls.h"
#include "verify.h"
#include "verify_gnutls.h"

#define CREDS_FILE_MAX	(16 * 1024 * 1024) /* no PEM file is larger */

/* What a CRL of the bundle says about itself: whom it covers, until when. */
struct creds_crl {
	gnutls_datum_t	 issuer;	/* DER of its issuer's DN */
	char		*issuer_str;	/* the same, for logs */
	time_t		 next_update;	/* 0: none given */
};

struct creds {
	int					 refs;
	gnutls_certificate_credentials_t	 cred;
	gnutls_priority_t			 prio;
	time_t					 not_after;
	char					*subject;
	gnutls_datum_t				 ticket_key;	/* TLS 1.3 session tickets */
	struct verify_cache			 vcache;	/* peers' chains that verified */
	struct creds_crl			*crls;
	unsigned int				 ncrls;
	time_t					 crl_next_update;	/* the earliest; 0: none */
	int					 crl_strict;
};

/* Write "${conffile}:${line}: ${what}: <fmt...>" into ${err}. */
static void __attribute__((format(printf, 6, 7)))
creds_err(char *err, size_t errlen, const char *conffile, int line,
    const char *what, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s: %s", conffile, line, what, msg);
}

/** creds_time(t, buf, len): ${t} as "2026-01-01T00:00:00Z" in ${buf}; return ${buf}. */
char *
creds_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return (buf);
}

/* Free a buffer from creds_read(), wiping it (it may hold a key). */
static void
creds_datum_free(gnutls_datum_t *d)
{
	if (d->data != NULL) {
		explicit_bzero(d->data, d->size);
		free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/* Read all of ${path} into ${d} (NUL-terminated); 0, or -1 with errno set. */
static int
creds_read(const char *path, gnutls_datum_t *d)
{
	FILE		*f;
	struct stat	 st;
	size_t		 n;
	int		 saved;

	d->data = NULL;
	d->size = 0;
	if ((f = fopen(path, "r")) == NULL)
		goto err0;
	if (fstat(fileno(f), &st) != 0)
		goto err1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto err1;
	}
	if (st.st_size < 0 || st.st_size > CREDS_FILE_MAX) {
		errno = EFBIG;
		goto err1;
	}
	if ((d->data = malloc((size_t)st.st_size + 1)) == NULL)
		goto err1;
	n = fread(d->data, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		errno = EIO;
		goto err2;
	}
	d->data[n] = '\0';
	d->size = (unsigned int)n;
	fclose(f);

	/* Success! */
	return (0);

err2:
	saved = errno;
	creds_datum_free(d);
	errno = saved;
err1:
	saved = errno;
	fclose(f);
	errno = saved;
err0:
	/* Failure! */
	return (-1);
}

/* Read ${path} for setting ${what} at ${line}; 0, or -1 with ${err} set. */
static int
creds_read_conf(const char *path, int line, gnutls_datum_t *d,
    const char *conffile, char *err, size_t errlen)
{
	if (creds_read(path, d) != 0) {
		creds_err(err, errlen, conffile, line, path, "%s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Free ${n} certificates of ${list} (from gnutls_x509_crt_list_import2). */
static void
creds_crt_list_free(gnutls_x509_crt_t *list, unsigned int n)
{
	unsigned int	 i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
}

/* Load the CA file into ${c}; keep its certificates in ${cas} for the CRL. */
static int
creds_load_ca(struct creds *c, const struct tls_conf *tc,
    gnutls_x509_crt_t **cas, unsigned int *ncas, const char *conffile,
    char *err, size_t errlen)
{
	gnutls_datum_t	 d;
	int		 ret;

	*cas = NULL;
	*ncas = 0;
	if (creds_read_conf(tc->ca, tc->ca_line, &d, conffile, err,
	    errlen) != 0)
		goto err0;
	ret = gnutls_x509_crt_list_import2(cas, ncas, &d, GNUTLS_X509_FMT_PEM,
	    0);
	if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND || (ret >= 0 && *ncas == 0)) {
		creds_err(err, errlen, conffile, tc->ca_line, tc->ca,
		    "no CA certificate in file");
		goto err1;
	}
	if (ret < 0) {
		creds_err(err, errlen, conffile, tc->ca_line, tc->ca,
		    "cannot parse CA certificate: %s", gnutls_strerror(ret));
		goto err1;
	}
	if ((ret = gnutls_certificate_set_x509_trust(c->cred, *cas,
	    (int)*ncas)) < 0) {
		creds_err(err, errlen, conffile, tc->ca_line, tc->ca,
		    "cannot use CA certificate: %s", gnutls_strerror(ret));
		goto err2;
	}
	creds_datum_free(&d);

	/* Success! */
	return (0);

err2:
	creds_crt_list_free(*cas, *ncas);
	*cas = NULL;
	*ncas = 0;
err1:
	creds_datum_free(&d);
err0:
	/* Failure! */
	return (-1);
}

/* Free what creds_crl_note() kept in ${c}. */
static void
creds_crl_forget(struct creds *c)
{
	unsigned int	 i;

	for (i = 0; i < c->ncrls; i++) {
		free(c->crls[i].issuer.data);
		free(c->crls[i].issuer_str);
	}
	free(c->crls);
	c->crls = NULL;
	c->ncrls = 0;
	c->crl_next_update = 0;
}

/*
 * The CRL of ${c} for the certificates of ${issuer} that stays in date
 * the longest (a newer CRL supersedes an older one); NULL if it has none,
 * or one without a next update (never out of date).
 */
static const struct creds_crl *
creds_crl_latest(const struct creds *c, const gnutls_datum_t *issuer)
{
	const struct creds_crl	*crl, *latest = NULL;
	unsigned int		 i;

	for (i = 0; i < c->ncrls; i++) {
		crl = &c->crls[i];
		if (crl->issuer.size != issuer->size ||
		    memcmp(crl->issuer.data, issuer->data, issuer->size) != 0)
			continue;
		if (crl->next_update == 0)
			return (NULL);
		if (latest == NULL || crl->next_update > latest->next_update)
			latest = crl;
	}
	return (latest);
}

/*
 * Keep the issuer and next update of each of the ${n} ${crls} in ${c}:
 * GnuTLS verifies with a CRL past its next update without saying so, and
 * crl_strict needs to know which peers such a CRL covers.  0, or -1 with
 * errno set.
 */
static int
creds_crl_note(struct creds *c, gnutls_x509_crl_t *crls, unsigned int n)
{
	const struct creds_crl	*latest;
	gnutls_datum_t		 dn;
	unsigned int		 i;
	time_t			 t;

	if ((c->crls = calloc(n, sizeof(*c->crls))) == NULL)
		return (-1);
	for (i = 0; i < n; i++, c->ncrls++) {
		if (gnutls_x509_crl_get_raw_issuer_dn(crls[i], &dn) < 0)
			goto fail;
		c->crls[i].issuer.data = malloc(dn.size > 0 ? dn.size : 1);
		if (c->crls[i].issuer.data != NULL) {
			memcpy(c->crls[i].issuer.data, dn.data, dn.size);
			c->crls[i].issuer.size = dn.size;
		}
		gnutls_free(dn.data);
		if (c->crls[i].issuer.data == NULL)
			goto fail;
		if (gnutls_x509_crl_get_issuer_dn3(crls[i], &dn, 0) == 0) {
			c->crls[i].issuer_str = strdup((const char *)dn.data);
			gnutls_free(dn.data);
		} else
			c->crls[i].issuer_str = strdup("");
		if (c->crls[i].issuer_str == NULL)
			goto fail;
		if ((t = gnutls_x509_crl_get_next_update(crls[i])) ==
		    (time_t)-1)
			t = 0;
		c->crls[i].next_update = t;
	}
	for (i = 0; i < n; i++)
		if ((latest = creds_crl_latest(c, &c->crls[i].issuer)) !=
		    NULL && (c->crl_next_update == 0 ||
		    latest->next_update < c->crl_next_update))
			c->crl_next_update = latest->next_update;
	return (0);

fail:
	c->ncrls++;	/* this one too is partly filled */
	creds_crl_forget(c);
	errno = ENOMEM;
	return (-1);
}

/* Load the CRL file into ${c}, each CRL checked against ${cas}. */
static int
creds_load_crl(struct creds *c, const struct tls_conf *tc,
    gnutls_x509_crt_t *cas, unsigned int ncas, const char *conffile,
    char *err, size_t errlen)
{
	gnutls_x509_crl_t	*crls = NULL;
	gnutls_datum_t		 d;
	unsigned int		 ncrls = 0, i, status;
	int			 ret;

	if (creds_read_conf(tc->crl, tc->crl_line, &d, conffile, err,
	    errlen) != 0)
		goto err0;
	ret = gnutls_x509_crl_list_import2(&crls, &ncrls, &d,
	    GNUTLS_X509_FMT_PEM, 0);
	if ((ret < 0 || ncrls == 0) &&
	    strstr((const char *)d.data, "-----BEGIN X509 CRL") == NULL) {
		creds_err(err, errlen, conffile, tc->crl_line, tc->crl,
		    "no CRL in file");
		goto err1;
	}
	if (ret < 0 || ncrls == 0) {
		creds_err(err, errlen, conffile, tc->crl_line, tc->crl,
		    "cannot parse CRL: %s", gnutls_strerror(ret < 0 ? ret :
		    GNUTLS_E_BASE64_DECODING_ERROR));
		goto err1;
	}
	for (i = 0; i < ncrls; i++) {
		/*
		 * Only the signature matters here: a CRL past its next
		 * update is still the best list of revoked certificates.
		 */
		ret = gnutls_x509_crl_verify(crls[i], cas, ncas, 0, &status);
		status &= ~(unsigned int)(GNUTLS_CERT_EXPIRED |
		    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
		    GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE |
		    GNUTLS_CERT_NOT_ACTIVATED);
		if ((status & ~(unsigned int)GNUTLS_CERT_INVALID) == 0)
			status = 0;
		if (ret < 0 || status != 0) {
			creds_err(err, errlen, conffile, tc->crl_line,
			    tc->crl, "CRL not signed by the CA");
			goto err2;
		}
	}
	if (creds_crl_note(c, crls, ncrls) != 0) {
		creds_err(err, errlen, conffile, tc->crl_line, tc->crl,
		    "cannot read CRL issuer: %s", strerror(errno));
		goto err2;
	}
	if ((ret = gnutls_certificate_set_x509_crl(c->cred, crls,
	    (int)ncrls)) < 0) {
		creds_err(err, errlen, conffile, tc->crl_line, tc->crl,
		    "cannot use CRL: %s", gnutls_strerror(ret));
		goto err2;
	}
	for (i = 0; i < ncrls; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	creds_datum_free(&d);

	/* Success! */
	return (0);

err2:
	for (i = 0; i < ncrls; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
err1:
	creds_datum_free(&d);
err0:
	/* Failure! */
	return (-1);
}

/* Check our own chain ${crts}: valid now, from the CA, not revoked. */
static int
creds_check_own(struct creds *c, const struct tls_conf *tc,
    gnutls_x509_crt_t *crts, unsigned int ncrts, const char *conffile,
    char *err, size_t errlen)
{
	gnutls_x509_trust_list_t	 tl;
	struct cert_ident		 own;
	gnutls_datum_t			 dn;
	unsigned int			 status = 0;
	time_t				 now = time(NULL), t;
	char				 tbuf[32], why[1024];
	int				 ret;

	if ((t = gnutls_x509_crt_get_expiration_time(crts[0])) ==
	    (time_t)-1) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "certificate has no expiration time");
		goto err0;
	}
	c->not_after = t;
	if (t < now) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "certificate expired on %s",
		    creds_time(t, tbuf, sizeof(tbuf)));
		goto err0;
	}
	if ((t = gnutls_x509_crt_get_activation_time(crts[0])) !=
	    (time_t)-1 && t > now) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "certificate not yet valid (valid from %s)",
		    creds_time(t, tbuf, sizeof(tbuf)));
		goto err0;
	}

	/* The trust list (CA and CRL) the sessions will verify peers with. */
	gnutls_certificate_get_trust_list(c->cred, &tl);
	if ((ret = gnutls_x509_trust_list_verify_crt(tl, crts, ncrts, 0,
	    &status, NULL)) < 0) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "cannot verify certificate: %s", gnutls_strerror(ret));
		goto err0;
	}
	if (status != 0) {
		verify_status_words(status, why, sizeof(why));
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "%s (%s)", why, tc->ca);
		goto err0;
	}
	/* Peers hold our names to the CAs' constraints as verify.c reads
	 * them, which is stricter than GnuTLS: say so now, not at them. */
	if (verify_ident_from_crt(crts[0], &own) == 0 &&
	    verify_crts_constraints(tl, crts, ncrts, &own, why,
	    sizeof(why)) != 0) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "%s", why);
		goto err0;
	}

	/* An empty subject (a certificate named by its SANs only) is "". */
	if ((ret = gnutls_x509_crt_get_dn3(crts[0], &dn, 0)) ==
	    GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		c->subject = strdup("");
	else if (ret < 0) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "cannot read subject: %s", gnutls_strerror(ret));
		goto err0;
	} else {
		c->subject = strdup((const char *)dn.data);
		gnutls_free(dn.data);
	}
	if (c->subject == NULL) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "%s", strerror(errno));
		goto err0;
	}

	/* Success! */
	return (0);

err0:
	/* Failure! */
	return (-1);
}

/* Load our certificate chain and key into ${c}, checking both. */
static int
creds_load_pair(struct creds *c, const struct tls_conf *tc,
    const char *conffile, char *err, size_t errlen)
{
	gnutls_datum_t		 cd, kd;
	gnutls_x509_crt_t	*crts = NULL;
	gnutls_x509_privkey_t	 key;
	unsigned char		 cid[64], kid[64];
	size_t			 cidlen = sizeof(cid);
	size_t			 kidlen = sizeof(kid);
	unsigned int		 ncrts = 0;
	int			 ret;

	/* Read both files first: a missing one is the likeliest mistake. */
	if (creds_read_conf(tc->cert, tc->cert_line, &cd, conffile, err,
	    errlen) != 0)
		goto err0;
	if (creds_read_conf(tc->key, tc->key_line, &kd, conffile, err,
	    errlen) != 0)
		goto err1;

	ret = gnutls_x509_crt_list_import2(&crts, &ncrts, &cd,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (ret < 0 || ncrts == 0) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "cannot parse certificate: %s", ret < 0 ?
		    gnutls_strerror(ret) : "no certificate in file");
		goto err2;
	}
	if ((ret = gnutls_x509_privkey_init(&key)) < 0) {
		creds_err(err, errlen, conffile, tc->key_line, tc->key,
		    "%s", gnutls_strerror(ret));
		goto err3;
	}
	if ((ret = gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM,
	    NULL, 0)) < 0) {
		creds_err(err, errlen, conffile, tc->key_line, tc->key,
		    "cannot parse key: %s", gnutls_strerror(ret));
		goto err4;
	}

	/* Same public key on both sides, compared by SPKI hash. */
	if ((ret = gnutls_x509_crt_get_key_id(crts[0],
	    GNUTLS_KEYID_USE_SHA256, cid, &cidlen)) < 0 ||
	    (ret = gnutls_x509_privkey_get_key_id(key,
	    GNUTLS_KEYID_USE_SHA256, kid, &kidlen)) < 0) {
		creds_err(err, errlen, conffile, tc->key_line, tc->key,
		    "cannot compare key and certificate: %s",
		    gnutls_strerror(ret));
		goto err4;
	}
	if (cidlen != kidlen || memcmp(cid, kid, cidlen) != 0) {
		creds_err(err, errlen, conffile, tc->key_line, tc->key,
		    "key does not match certificate");
		goto err4;
	}
	if ((ret = gnutls_certificate_set_x509_key(c->cred, crts, ncrts,
	    key)) < 0) {
		if (ret == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
			creds_err(err, errlen, conffile, tc->key_line,
			    tc->key, "key does not match certificate");
		else
			creds_err(err, errlen, conffile, tc->key_line, tc->key,
			    "cannot use key: %s", gnutls_strerror(ret));
		goto err4;
	}
	if (creds_check_own(c, tc, crts, ncrts, conffile, err, errlen) != 0)
		goto err4;

	gnutls_x509_privkey_deinit(key);
	creds_crt_list_free(crts, ncrts);
	creds_datum_free(&kd);
	creds_datum_free(&cd);

	/* Success! */
	return (0);

err4:
	gnutls_x509_privkey_deinit(key);
err3:
	creds_crt_list_free(crts, ncrts);
err2:
	creds_datum_free(&kd);
err1:
	creds_datum_free(&cd);
err0:
	/* Failure! */
	return (-1);
}

/**
 * creds_ticket_key_new(key): fill ${key} (CREDS_TICKET_KEY_LEN bytes) with
 * a new random session ticket master key; 0, or -1 on failure.
 */
int
creds_ticket_key_new(uint8_t *key)
{
	return (gnutls_rnd(GNUTLS_RND_KEY, key, CREDS_TICKET_KEY_LEN) == 0 ?
	    0 : -1);
}

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
struct creds *
creds_load(const struct tls_conf *tc, const char *conffile,
    const uint8_t *ticket_key, char *err, size_t errlen)
{
	struct creds		*c;
	gnutls_x509_crt_t	*cas = NULL;
	unsigned int		 ncas = 0;
	const char		*prio, *errpos = NULL;
	int			 ret;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: %s", conffile, strerror(errno));
		goto err0;
	}
	c->refs = 1;
	if ((ret = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		snprintf(err, errlen, "%s: %s", conffile,
		    gnutls_strerror(ret));
		goto err1;
	}

	/* Trust anchors and CRL first: our own chain is checked with them. */
	if (creds_load_ca(c, tc, &cas, &ncas, conffile, err, errlen) != 0)
		goto err2;
	if (tc->crl != NULL && creds_load_crl(c, tc, cas, ncas, conffile,
	    err, errlen) != 0)
		goto err3;
	c->crl_strict = tc->crl_strict;
	if (creds_load_pair(c, tc, conffile, err, errlen) != 0)
		goto err3;

	prio = tc->priority != NULL ? tc->priority : SD_DEFAULT_PRIORITY;
	if ((ret = gnutls_priority_init(&c->prio, prio, &errpos)) < 0) {
		if (ret == GNUTLS_E_INVALID_REQUEST && errpos != NULL)
			creds_err(err, errlen, conffile, tc->priority_line,
			    "priority", "invalid priority string at \"%s\"",
			    errpos);
		else
			creds_err(err, errlen, conffile, tc->priority_line,
			    "priority", "%s", gnutls_strerror(ret));
		c->prio = NULL;
		goto err3;
	}
	creds_crt_list_free(cas, ncas);
	/* The workers of a tunnel share one ticket key, so that a peer
	 * resumes whichever worker takes its next connection; it outlives
	 * certificate reloads (a resumed session is checked against the CA,
	 * CRL and allow-list in force, see tls.c).  GnuTLS derives the keys
	 * it really uses from this one and rotates them over time. */
	if (ticket_key != NULL) {
		if ((c->ticket_key.data = gnutls_malloc(
		    CREDS_TICKET_KEY_LEN)) == NULL)
			ret = GNUTLS_E_MEMORY_ERROR;
		else {
			memcpy(c->ticket_key.data, ticket_key,
			    CREDS_TICKET_KEY_LEN);
			c->ticket_key.size = CREDS_TICKET_KEY_LEN;
			ret = 0;
		}
	} else
		ret = gnutls_session_ticket_key_generate(&c->ticket_key);
	if (ret < 0) {
		snprintf(err, errlen, "%s: session ticket key: %s", conffile,
		    gnutls_strerror(ret));
		gnutls_priority_deinit(c->prio);
		goto err2;
	}

	/* Success! */
	return (c);

err3:
	creds_crt_list_free(cas, ncas);
err2:
	gnutls_certificate_free_credentials(c->cred);
	creds_crl_forget(c);
err1:
	free(c->subject);
	free(c);
err0:
	/* Failure! */
	return (NULL);
}

/** creds_ref(c): take one more reference to ${c}; return ${c}. */
struct creds *
creds_ref(struct creds *c)
{
	c->refs++;
	return (c);
}

/** creds_unref(c): drop a reference; the last one frees ${c}.  NULL is a no-op. */
void
creds_unref(struct creds *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	if (c->prio != NULL)
		gnutls_priority_deinit(c->prio);
	if (c->ticket_key.data != NULL) {
		gnutls_memset(c->ticket_key.data, 0, c->ticket_key.size);
		gnutls_free(c->ticket_key.data);
	}
	gnutls_certificate_free_credentials(c->cred);
	verify_cache_clear(&c->vcache);
	creds_crl_forget(c);
	free(c->subject);
	free(c);
}

/**
 * creds_verify_cache(c): the memo of peer chains that verified with ${c}'s
 * CA and CRL (mutable: the one part of a bundle that changes).
 */
struct verify_cache *
creds_verify_cache(struct creds *c)
{
	return (&c->vcache);
}

/** creds_ticket_key(c): the session ticket master key of ${c}. */
const gnutls_datum_t *
creds_ticket_key(const struct creds *c)
{
	return (&c->ticket_key);
}

/** creds_gnutls(c): the GnuTLS certificate credentials of ${c}. */
gnutls_certificate_credentials_t
creds_gnutls(const struct creds *c)
{
	return (c->cred);
}

/** creds_priority(c): the parsed priority cache of ${c}. */
gnutls_priority_t
creds_priority(const struct creds *c)
{
	return (c->prio);
}

/** creds_not_after(c): expiry time of ${c}'s own certificate. */
time_t
creds_not_after(const struct creds *c)
{
	return (c->not_after);
}

/** creds_subject(c): ${c}'s own certificate subject DN, e.g. "CN=node-a". */
const char *
creds_subject(const struct creds *c)
{
	return (c->subject);
}

/**
 * creds_crl_count(c): how many CRLs ${c} checks revocation with (0: no
 * crl file).
 */
unsigned int
creds_crl_count(const struct creds *c)
{
	return (c->ncrls);
}

/**
 * creds_crl_next_update(c): the earliest next update of ${c}'s CRLs; 0 if
 * none has one.  From then on that CRL is past its next update.
 */
time_t
creds_crl_next_update(const struct creds *c)
{
	return (c->crl_next_update);
}

/** creds_crl_strict(c): 1 if ${c} refuses peers covered by a CRL past its next update. */
int
creds_crl_strict(const struct creds *c)
{
	return (c->crl_strict);
}

/**
 * creds_crl_refuses(c, session, now, reason, len): with crl_strict, 1 if
 * a certificate the peer of ${session} sent was issued by a CA whose CRL
 * in ${c} is past its next update at ${now}, with the reason in
 * ${reason}; else 0.  Without crl_strict, or before the earliest next
 * update, no certificate is looked at.
 */
int
creds_crl_refuses(const struct creds *c, gnutls_session_t session,
    time_t now, char *reason, size_t len)
{
	const gnutls_datum_t	*certs;
	const struct creds_crl	*crl = NULL;
	gnutls_x509_crt_t	 crt;
	gnutls_datum_t		 issuer;
	unsigned int		 n = 0, i;
	char			 tbuf[32];

	if (!c->crl_strict || c->crl_next_update == 0 ||
	    now < c->crl_next_update)
		return (0);
	if ((certs = gnutls_certificate_get_peers(session, &n)) == NULL)
		n = 0;
	for (i = 0; i < n && crl == NULL; i++) {
		/* The chain verified already: a certificate that does not
		 * parse now is a failure of ours, and refused all the same. */
		if (gnutls_x509_crt_init(&crt) < 0) {
			snprintf(reason, len, "out of memory checking the CRL");
			return (1);
		}
		if (gnutls_x509_crt_import(crt, &certs[i],
		    GNUTLS_X509_FMT_DER) < 0 ||
		    gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer) < 0) {
			gnutls_x509_crt_deinit(crt);
			snprintf(reason, len, "cannot read the certificate "
			    "issuer to check the CRL");
			return (1);
		}
		/* every CRL of its issuer past its next update */
		if ((crl = creds_crl_latest(c, &issuer)) != NULL &&
		    now < crl->next_update)
			crl = NULL;
		gnutls_free(issuer.data);
		gnutls_x509_crt_deinit(crt);
	}
	if (crl == NULL)
		return (0);
	snprintf(reason, len, "the CRL of %s is past its next update (%s) "
	    "and crl_strict is on", crl->issuer_str[0] != '\0' ?
	    crl->issuer_str : "its CA", creds_time(crl->next_update, tbuf,
	    sizeof(tbuf)));
	return (1);
}
