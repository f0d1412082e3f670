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
	size_t		 anchor;	/* the anchor whose CA signed it */
	char		*file;		/* where it was read */
};

/* The part of an anchor the bundle owns behind its struct verify_anchor. */
struct creds_anchor {
	struct scope_ent	*names;
	struct verify_ca	*ca;
	gnutls_x509_crt_t	*cas;	/* its CA certificates (those of the
					 * trust list if own_tl) */
	unsigned int		 ncas;
	int			 own_tl;	/* 0: the credentials' trust list */
	char			*file;
};

struct creds {
	int					 refs;
	gnutls_certificate_credentials_t	 cred;
	gnutls_priority_t			 prio;
	time_t					 not_after;
	char					*subject;
	gnutls_datum_t				 ticket_key;	/* TLS 1.3 session tickets */
	struct verify_cache			 vcache;	/* peers' chains that verified */
	struct verify_anchor			*anchor;	/* what verify.c reads */
	struct creds_anchor			*anchor_own;	/* what we free */
	struct verify_anchors			 anchors;
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

/*
 * A CA certificate in two anchors would vouch for two scopes, and which
 * applies would depend on the order: refuse it.
 */
static int
creds_anchors_distinct(struct creds *c, const struct tls_conf *tc,
    const char *conffile, char *err, size_t errlen)
{
	size_t		 i, j;
	unsigned int	 k, l;

	for (i = 0; i < c->anchors.n; i++)
		for (k = 0; k < c->anchor[i].nca; k++)
			for (j = 0; j < i; j++)
				for (l = 0; l < c->anchor[j].nca; l++)
					if (c->anchor[i].ca[k].pin[0] != '\0' &&
					    strcmp(c->anchor[i].ca[k].pin,
					    c->anchor[j].ca[l].pin) == 0) {
						creds_err(err, errlen,
						    conffile, tc->cas[i].line,
						    tc->cas[i].file, "CA \"%s\" "
						    "is also in %s (line %d): "
						    "a CA belongs to one entry "
						    "of \"ca\"",
						    c->anchor[i].ca[k].subject,
						    tc->cas[j].file,
						    tc->cas[j].line);
						return (-1);
					}
	return (0);
}

/* Free the anchors of ${c}. */
static void
creds_anchors_free(struct creds *c)
{
	size_t	 i;

	for (i = 0; c->anchor_own != NULL && i < c->anchors.n; i++) {
		if (c->anchor_own[i].own_tl) {
			/* with its CAs and CRLs */
			gnutls_x509_trust_list_deinit(c->anchor[i].tl, 1);
			gnutls_free(c->anchor_own[i].cas);
		} else
			creds_crt_list_free(c->anchor_own[i].cas,
			    c->anchor_own[i].ncas);
		free(c->anchor_own[i].names);
		free(c->anchor_own[i].ca);
		free(c->anchor_own[i].file);
	}
	free(c->anchor);
	free(c->anchor_own);
	c->anchor = NULL;
	c->anchor_own = NULL;
	c->anchors.a = NULL;
	c->anchors.n = 0;
}

/*
 * Read the CA certificates of ${path} (config line ${line}) into anchor
 * ${i} of ${c}: their trust list is the credentials' (the file form,
 * ${own_tl} 0) or the anchor's own.  0, or -1 with ${err} set.
 */
static int
creds_load_anchor(struct creds *c, size_t i, const char *path, int line,
    const char *const *names, size_t nnames, int own_tl,
    const char *conffile, char *err, size_t errlen)
{
	struct verify_anchor	*va = &c->anchor[i];
	struct creds_anchor	*ca = &c->anchor_own[i];
	struct cert_ident	*cid = NULL;
	gnutls_datum_t		 d, dn;
	const char		*why;
	unsigned int		 k;
	size_t			 j;
	int			 ret;

	if ((ca->file = strdup(path)) == NULL) {
		creds_err(err, errlen, conffile, line, path, "%s",
		    strerror(errno));
		goto err0;
	}
	va->file = ca->file;
	if (creds_read_conf(path, line, &d, conffile, err, errlen) != 0)
		goto err0;
	ret = gnutls_x509_crt_list_import2(&ca->cas, &ca->ncas, &d,
	    GNUTLS_X509_FMT_PEM, 0);
	if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND ||
	    (ret >= 0 && ca->ncas == 0)) {
		creds_err(err, errlen, conffile, line, path,
		    "no CA certificate in file");
		goto err1;
	}
	if (ret < 0) {
		ca->cas = NULL;
		ca->ncas = 0;
		creds_err(err, errlen, conffile, line, path,
		    "cannot parse CA certificate: %s", gnutls_strerror(ret));
		goto err1;
	}
	if ((ca->ca = calloc(ca->ncas, sizeof(*ca->ca))) == NULL ||
	    (cid = malloc(sizeof(*cid))) == NULL ||
	    (nnames > 0 && (ca->names = calloc(nnames,
	    sizeof(*ca->names))) == NULL)) {
		creds_err(err, errlen, conffile, line, path, "%s",
		    strerror(errno));
		goto err1;
	}
	for (k = 0; k < ca->ncas; k++) {
		if (gnutls_x509_crt_get_dn3(ca->cas[k], &dn, 0) == 0) {
			snprintf(ca->ca[k].subject, sizeof(ca->ca[k].subject),
			    "%s", (const char *)dn.data);
			gnutls_free(dn.data);
		}
		if (verify_ident_from_crt(ca->cas[k], cid) == 0)
			memcpy(ca->ca[k].pin, cid->pin, sizeof(ca->ca[k].pin));
	}
	va->ca = ca->ca;
	va->nca = ca->ncas;
	for (j = 0; j < nnames; j++)
		if (scope_parse(names[j], &ca->names[j], &why) != 0) {
			/* conf.c let it through: a bug, but say which */
			creds_err(err, errlen, conffile, line, path,
			    "bad name \"%s\": %s", names[j], why);
			goto err1;
		}
	va->names = ca->names;
	va->nnames = nnames;

	if (!own_tl) {
		/* the credentials copy them; ours are kept for the CRL */
		gnutls_certificate_get_trust_list(c->cred, &va->tl);
		ret = gnutls_certificate_set_x509_trust(c->cred, ca->cas,
		    (int)ca->ncas);
	} else if ((ret = gnutls_x509_trust_list_init(&va->tl, 0)) == 0) {
		/* the network's trust list offers them all to the peer (the
		 * CAs a server names), this one verifies for this anchor */
		if ((ret = gnutls_certificate_set_x509_trust(c->cred, ca->cas,
		    (int)ca->ncas)) >= 0)
			ret = gnutls_x509_trust_list_add_cas(va->tl, ca->cas,
			    ca->ncas, 0);
		if (ret >= 0)
			ca->own_tl = 1;	/* it owns ca->cas from now on */
		else {
			gnutls_x509_trust_list_deinit(va->tl, 0);
			va->tl = NULL;
		}
	}
	if (ret < 0) {
		creds_err(err, errlen, conffile, line, path,
		    "cannot use CA certificate: %s", gnutls_strerror(ret));
		goto err1;
	}
	free(cid);
	creds_datum_free(&d);

	/* Success! */
	return (0);

err1:
	free(cid);
	creds_datum_free(&d);
err0:
	/* Failure! */
	return (-1);
}

/* The CA certificates of anchor ${i} of ${c} (they sign its CRLs), in ${cas}. */
static unsigned int
creds_anchor_cas(struct creds *c, size_t i, gnutls_x509_crt_t **cas)
{
	struct creds_anchor	*ca = &c->anchor_own[i];

	*cas = ca->cas;
	return (ca->ncas);
}

/* Load the CA file or the anchors of ${tc} into ${c}. */
static int
creds_load_ca(struct creds *c, const struct tls_conf *tc, const char *conffile,
    char *err, size_t errlen)
{
	size_t	 i, n = tc->ncas > 0 ? tc->ncas : 1;

	if ((c->anchor = calloc(n, sizeof(*c->anchor))) == NULL ||
	    (c->anchor_own = calloc(n, sizeof(*c->anchor_own))) == NULL) {
		snprintf(err, errlen, "%s: %s", conffile, strerror(errno));
		return (-1);
	}
	c->anchors.a = c->anchor;
	if (tc->ncas == 0) {
		c->anchors.n = 1;
		return (creds_load_anchor(c, 0, tc->ca, tc->ca_line, NULL, 0, 0,
		    conffile, err, errlen));
	}
	for (i = 0; i < tc->ncas; i++) {
		c->anchors.n = i + 1;
		if (creds_load_anchor(c, i, tc->cas[i].file, tc->cas[i].line,
		    (const char *const *)tc->cas[i].names, tc->cas[i].nnames, 1,
		    conffile, err, errlen) != 0)
			return (-1);
	}
	return (creds_anchors_distinct(c, tc, conffile, err, errlen));
}

/* Free what creds_crl_note() kept in ${c}. */
static void
creds_crl_forget(struct creds *c)
{
	unsigned int	 i;

	for (i = 0; i < c->ncrls; i++) {
		free(c->crls[i].issuer.data);
		free(c->crls[i].issuer_str);
		free(c->crls[i].file);
	}
	free(c->crls);
	c->crls = NULL;
	c->ncrls = 0;
	c->crl_next_update = 0;
}

/*
 * The CRL of ${c}, in ${anchor}, for the certificates of ${issuer} that stays in date
 * the longest (a newer CRL supersedes an older one); NULL if it has none,
 * or one without a next update (never out of date).
 */
static const struct creds_crl *
creds_crl_latest(const struct creds *c, size_t anchor,
    const gnutls_datum_t *issuer)
{
	const struct creds_crl	*crl, *latest = NULL;
	unsigned int		 i;

	for (i = 0; i < c->ncrls; i++) {
		crl = &c->crls[i];
		if (crl->anchor != anchor || crl->issuer.size != issuer->size ||
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
 * Keep the issuer and next update of ${crl} (of ${anchor}, read from
 * ${file}) in ${c}: GnuTLS verifies with a CRL past its next update
 * without saying so, and crl_strict needs to know which peers such a CRL
 * covers.  0, or -1 with errno set.
 */
static int
creds_crl_note(struct creds *c, gnutls_x509_crl_t crl, size_t anchor,
    const char *file)
{
	struct creds_crl	*n;
	gnutls_datum_t		 dn;
	time_t			 t;

	if ((n = reallocarray(c->crls, c->ncrls + 1, sizeof(*n))) == NULL)
		return (-1);
	c->crls = n;
	n = &c->crls[c->ncrls];
	memset(n, 0, sizeof(*n));
	n->anchor = anchor;
	if (gnutls_x509_crl_get_raw_issuer_dn(crl, &dn) < 0) {
		errno = EINVAL;
		return (-1);
	}
	n->issuer.data = malloc(dn.size > 0 ? dn.size : 1);
	if (n->issuer.data != NULL) {
		memcpy(n->issuer.data, dn.data, dn.size);
		n->issuer.size = dn.size;
	}
	gnutls_free(dn.data);
	if (n->issuer.data == NULL)
		return (-1);
	c->ncrls++;	/* creds_crl_forget() frees it from now on */
	if (gnutls_x509_crl_get_issuer_dn3(crl, &dn, 0) == 0) {
		n->issuer_str = strdup((const char *)dn.data);
		gnutls_free(dn.data);
	} else
		n->issuer_str = strdup("");
	if (n->issuer_str == NULL || (n->file = strdup(file)) == NULL)
		return (-1);
	if ((t = gnutls_x509_crl_get_next_update(crl)) == (time_t)-1)
		t = 0;
	n->next_update = t;
	return (0);
}

/* Set c->crl_next_update: the earliest of the CRLs that stay in date the longest per issuer. */
static void
creds_crl_earliest(struct creds *c)
{
	const struct creds_crl	*latest;
	unsigned int		 i;

	c->crl_next_update = 0;
	for (i = 0; i < c->ncrls; i++)
		if ((latest = creds_crl_latest(c, c->crls[i].anchor,
		    &c->crls[i].issuer)) != NULL && (c->crl_next_update == 0 ||
		    latest->next_update < c->crl_next_update))
			c->crl_next_update = latest->next_update;
}

/*
 * Read the CRLs of ${path} (config line ${line}), PEM (one or more) or
 * DER (one), into a new ${crls} of ${n}.  0, or -1 with ${err} set.
 */
static int
creds_read_crls(const char *path, int line, gnutls_x509_crl_t **crls,
    unsigned int *n, const char *conffile, char *err, size_t errlen)
{
	gnutls_datum_t	 d;
	int		 ret, pem;

	*crls = NULL;
	*n = 0;
	if (creds_read_conf(path, line, &d, conffile, err, errlen) != 0)
		return (-1);
	pem = strstr((const char *)d.data, "-----BEGIN X509 CRL") != NULL;
	if (pem)
		ret = gnutls_x509_crl_list_import2(crls, n, &d,
		    GNUTLS_X509_FMT_PEM, 0);
	else if ((*crls = gnutls_malloc(sizeof(**crls))) == NULL)
		ret = GNUTLS_E_MEMORY_ERROR;
	else if ((ret = gnutls_x509_crl_init(&(*crls)[0])) == 0) {
		/* step-ca and Vault serve DER */
		if ((ret = gnutls_x509_crl_import((*crls)[0], &d,
		    GNUTLS_X509_FMT_DER)) < 0)
			gnutls_x509_crl_deinit((*crls)[0]);
		else
			*n = 1;
	}
	creds_datum_free(&d);
	if (ret < 0 || *n == 0) {
		gnutls_free(*crls);
		*crls = NULL;
		*n = 0;
		if (!pem)
			creds_err(err, errlen, conffile, line, path,
			    "no CRL in file (neither PEM nor DER)");
		else
			creds_err(err, errlen, conffile, line, path,
			    "cannot parse CRL: %s", gnutls_strerror(ret < 0 ?
			    ret : GNUTLS_E_BASE64_DECODING_ERROR));
		return (-1);
	}
	return (0);
}

/* 1 if ${crl} is signed by one of the ${n} ${cas}, whatever its dates. */
static int
creds_crl_signed(gnutls_x509_crl_t crl, gnutls_x509_crt_t *cas,
    unsigned int n)
{
	unsigned int	 status, k;
	int		 ret;

	/* One CA at a time: GnuTLS picks a CRL's issuer by name, and the
	 * old and new CA of a rotation usually share theirs. */
	for (k = 0; k < n; k++) {
		status = 0;
		/* Only the signature matters here: a CRL past its next
		 * update is still the best list of revoked certificates. */
		ret = gnutls_x509_crl_verify(crl, &cas[k], 1, 0, &status);
		status &= ~(unsigned int)(GNUTLS_CERT_EXPIRED |
		    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
		    GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE |
		    GNUTLS_CERT_NOT_ACTIVATED);
		if ((status & ~(unsigned int)GNUTLS_CERT_INVALID) == 0)
			status = 0;
		if (ret >= 0 && status == 0)
			return (1);
	}
	return (0);
}

/*
 * Load the CRLs of ${path} (config line ${line}) into ${c}: each must be
 * signed by a CA of anchor ${only} or, with ${only} == (size_t)-1 (the
 * tls block's "crl"), of any anchor; it revokes for that anchor only.
 */
static int
creds_load_crl(struct creds *c, const char *path, int line, size_t only,
    const char *conffile, char *err, size_t errlen)
{
	gnutls_x509_crl_t	*crls = NULL;
	gnutls_x509_crt_t	*cas;
	unsigned int		 ncrls = 0, i, ncas;
	size_t			 a;
	int			 ret;

	if (creds_read_crls(path, line, &crls, &ncrls, conffile, err,
	    errlen) != 0)
		goto err0;
	for (i = 0; i < ncrls; i++) {
		for (a = only != (size_t)-1 ? only : 0; a < c->anchors.n; a++) {
			ncas = creds_anchor_cas(c, a, &cas);
			if (creds_crl_signed(crls[i], cas, ncas))
				break;
			if (only != (size_t)-1)
				a = c->anchors.n - 1;
		}
		if (a >= c->anchors.n) {
			/* a CA revokes only what it issued: another's CRL
			 * would let it end links it never vouched for */
			if (only != (size_t)-1)
				creds_err(err, errlen, conffile, line, path,
				    "CRL not signed by the CA of this entry "
				    "(%s)", c->anchor[only].file);
			else
				creds_err(err, errlen, conffile, line, path,
				    "CRL not signed by the CA");
			goto err1;
		}
		if (creds_crl_note(c, crls[i], a, path) != 0) {
			creds_err(err, errlen, conffile, line, path,
			    "cannot read CRL issuer: %s", strerror(errno));
			goto err1;
		}
		/* the trust list owns it from here (even on failure) */
		if ((ret = gnutls_x509_trust_list_add_crls(c->anchor[a].tl,
		    &crls[i], 1, 0, 0)) < 0) {
			crls[i] = NULL;
			creds_err(err, errlen, conffile, line, path,
			    "cannot use CRL: %s", gnutls_strerror(ret));
			goto err1;
		}
		crls[i] = NULL;
	}
	gnutls_free(crls);

	/* Success! */
	return (0);

err1:
	for (i = 0; i < ncrls; i++)
		if (crls[i] != NULL)
			gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
err0:
	/* Failure! */
	return (-1);
}

/* Load every CRL of ${tc} into ${c}: the tls block's, then each anchor's. */
static int
creds_load_crls(struct creds *c, const struct tls_conf *tc,
    const char *conffile, char *err, size_t errlen)
{
	size_t	 i;

	if (tc->crl != NULL && creds_load_crl(c, tc->crl, tc->crl_line,
	    (size_t)-1, conffile, err, errlen) != 0)
		return (-1);
	for (i = 0; i < tc->ncas; i++)
		if (tc->cas[i].crl != NULL && creds_load_crl(c,
		    tc->cas[i].crl, tc->cas[i].crl_line, i, conffile, err,
		    errlen) != 0)
			return (-1);
	creds_crl_earliest(c);
	return (0);
}

/* Check our own chain ${crts}: valid now, from the CA, not revoked. */
static int
creds_check_own(struct creds *c, const struct tls_conf *tc,
    gnutls_x509_crt_t *crts, unsigned int ncrts, const char *conffile,
    char *err, size_t errlen)
{
	struct cert_ident		*id;
	gnutls_datum_t			 dn;
	time_t				 now = time(NULL), t;
	char				 tbuf[32], why[512];
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

	/* As the peers will see it: from an anchor, within its names. */
	if ((id = malloc(sizeof(*id))) == NULL) {
		creds_err(err, errlen, conffile, tc->cert_line, tc->cert,
		    "%s", strerror(errno));
		goto err0;
	}
	ret = verify_crts(&c->anchors, crts, ncrts, id, why, sizeof(why));
	free(id);
	if (ret != 0) {
		/* the list form's reason names the anchor's file itself */
		if (tc->ca != NULL)
			creds_err(err, errlen, conffile, tc->cert_line,
			    tc->cert, "%s (%s)", why, tc->ca);
		else
			creds_err(err, errlen, conffile, tc->cert_line,
			    tc->cert, "%s", why);
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

	/* Trust anchors and CRLs first: our own chain is checked with them. */
	if (creds_load_ca(c, tc, conffile, err, errlen) != 0 ||
	    creds_load_crls(c, tc, conffile, err, errlen) != 0)
		goto err2;
	c->crl_strict = tc->crl_strict;
	if (creds_load_pair(c, tc, conffile, err, errlen) != 0)
		goto err2;

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
		goto err2;
	}
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

err2:
	creds_anchors_free(c);
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
	creds_anchors_free(c);
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
 * creds_crl_refuses(c, session, anchor, now, reason, len): with
 * crl_strict, 1 if a certificate the peer of ${session} sent was issued
 * by a CA of ${anchor} (the one its chain ends at; -1: any) whose CRL in
 * ${c} is past its next update at ${now}, with the reason in ${reason};
 * else 0.  Without crl_strict, or before the earliest next update, no
 * certificate is looked at.
 */
int
creds_crl_refuses(const struct creds *c, gnutls_session_t session,
    int anchor, time_t now, char *reason, size_t len)
{
	const gnutls_datum_t	*certs;
	const struct creds_crl	*crl = NULL;
	gnutls_x509_crt_t	 crt;
	gnutls_datum_t		 issuer;
	unsigned int		 n = 0, i;
	size_t			 a;
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
		for (a = anchor >= 0 ? (size_t)anchor : 0;
		    a < c->anchors.n && crl == NULL; a++) {
			if ((crl = creds_crl_latest(c, a, &issuer)) != NULL &&
			    now < crl->next_update)
				crl = NULL;
			if (anchor >= 0)
				break;
		}
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

/**
 * creds_anchors(c): the trust anchors of ${c}, for verify.h's functions.
 */
const struct verify_anchors *
creds_anchors(const struct creds *c)
{
	return (&c->anchors);
}

/**
 * creds_crl_past(c, t, iter, file, next_update): step through the CRLs
 * of ${c} that are past their next update at ${t} (for each CA, the one
 * that stays in date the longest), from *${iter} = 0 on: 1 with its
 * ${file} and ${next_update}, 0 when there are no more.
 */
int
creds_crl_past(const struct creds *c, time_t t, unsigned int *iter,
    const char **file, time_t *next_update)
{
	const struct creds_crl	*crl;

	for (; *iter < c->ncrls; (*iter)++) {
		crl = &c->crls[*iter];
		if (creds_crl_latest(c, crl->anchor, &crl->issuer) != crl ||
		    t < crl->next_update)
			continue;
		*file = crl->file;
		*next_update = crl->next_update;
		(*iter)++;
		return (1);
	}
	return (0);
}
