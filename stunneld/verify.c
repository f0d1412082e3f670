/*
 * verify.c: who the peer is, and whether it may be.  The identity of a
 * certificate is its DNS and IP subject-alternative names or, lacking
 * both, its common name, plus the SHA-256 pin of its public key.  The
 * matching functions are pure; only verify_ident_from_crt() and
 * verify_peer() look at GnuTLS objects.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "addr.h"
#include "verify.h"
#include "verify_gnutls.h"

#define VERIFY_PIN_PREFIX	"sha256:"
#define VERIFY_PIN_PREFIXLEN	(sizeof(VERIFY_PIN_PREFIX) - 1)

/* Base64 (RFC 4648, standard alphabet, '=' padding) of ${in} into ${out}. */
static void
verify_base64(const unsigned char *in, size_t len, char *out)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long		 v;
	size_t			 i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		*out++ = tab[(v >> 18) & 0x3f];
		*out++ = tab[(v >> 12) & 0x3f];
		*out++ = tab[(v >> 6) & 0x3f];
		*out++ = tab[v & 0x3f];
	}
	if (len - i == 1) {
		v = (unsigned long)in[i] << 16;
		*out++ = tab[(v >> 18) & 0x3f];
		*out++ = tab[(v >> 12) & 0x3f];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		*out++ = tab[(v >> 18) & 0x3f];
		*out++ = tab[(v >> 12) & 0x3f];
		*out++ = tab[(v >> 6) & 0x3f];
		*out++ = '=';
	}
	*out = '\0';
}

/* Length of ${s} without one trailing '.' (a fully qualified name). */
static size_t
verify_namelen(const char *s)
{
	size_t	 len = strlen(s);

	if (len > 1 && s[len - 1] == '.')
		len--;
	return (len);
}

/* 1 if names ${a} and ${b} are equal, ignoring case and a trailing dot. */
static int
verify_name_eq(const char *a, const char *b)
{
	size_t	 alen = verify_namelen(a), blen = verify_namelen(b);

	return (alen == blen && alen > 0 && strncasecmp(a, b, alen) == 0);
}

/* Add ${len} bytes of ${name} to ${id} (lower-cased); 0, or -1 if unusable. */
static int
verify_ident_add(struct cert_ident *id, const char *name, size_t len,
    int is_ip)
{
	size_t	 i;

	if (id->n >= VERIFY_MAX_NAMES || len == 0 || len > SD_HOST_MAX ||
	    memchr(name, '\0', len) != NULL)
		return (-1);
	for (i = 0; i < len; i++) {
		/* No control characters or commas: these go to logs. */
		if ((unsigned char)name[i] < 0x20 || name[i] == ',' ||
		    (unsigned char)name[i] >= 0x7f)
			return (-1);
		id->ent[id->n].name[i] =
		    (char)tolower((unsigned char)name[i]);
	}
	id->ent[id->n].name[len] = '\0';
	id->ent[id->n].is_ip = is_ip;
	id->n++;
	return (0);
}

/*
 * The expiry of ${crt}; 0 for none, GnuTLS's -1 for a date it cannot read.
 * notAfter 99991231235959Z ("no well-defined expiration") comes back as
 * 9999-12-31T23:59:59Z, a time like any other.
 */
static time_t
verify_crt_not_after(gnutls_x509_crt_t crt)
{
	time_t	 t = gnutls_x509_crt_get_expiration_time(crt);

	return (t == (time_t)-1 ? 0 : t);
}

/* The earlier of expiry times ${a} and ${b}, 0 standing for none. */
static time_t
verify_earlier(time_t a, time_t b)
{
	if (a == 0)
		return (b);
	if (b == 0)
		return (a);
	return (a < b ? a : b);
}

/* The SPKI pin of ${crt} in ${pin}: "sha256:BASE64", or "" if it has no key. */
static void
verify_crt_pin(gnutls_x509_crt_t crt, char pin[VERIFY_PIN_LEN])
{
	unsigned char	 hash[32];
	size_t		 size = sizeof(hash);

	pin[0] = '\0';
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, hash,
	    &size) == 0 && size == sizeof(hash)) {
		memcpy(pin, VERIFY_PIN_PREFIX, VERIFY_PIN_PREFIXLEN);
		verify_base64(hash, size, pin + VERIFY_PIN_PREFIXLEN);
	}
}

#define VERIFY_CHAIN_MAX	16	/* certificates of a peer's chain looked at */

/*
 * The earliest expiry of the chain that the ${n} certificates ${crt}
 * (as the peer sent them, leaf first) make up to the anchor in ${tl} that
 * it ends at, that anchor included; 0 if none has one.  GnuTLS refuses a
 * chain any of which has expired, the anchor included, so this is when
 * the chain stops verifying.  The path is followed from the leaf issuer
 * by issuer, as GnuTLS verifies it: a certificate the peer sent that is
 * not on it (a stray one in its chain file, which GnuTLS leaves out) does
 * not end the link.  The SPKI pin of that anchor goes to ${pin} ("" if
 * the path does not reach one).
 */
static time_t
verify_chain_not_after(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crt,
    unsigned int n, char pin[VERIFY_PIN_LEN])
{
	gnutls_x509_crt_t	 issuer;
	time_t			 t = 0;
	unsigned int		 j, cur, steps;
	int			 on_path[VERIFY_CHAIN_MAX] = { 0 };

	pin[0] = '\0';
	if (n > VERIFY_CHAIN_MAX)
		n = VERIFY_CHAIN_MAX;
	for (cur = 0, steps = 0; cur < n && steps < n; steps++) {
		on_path[cur] = 1;
		t = verify_earlier(t, verify_crt_not_after(crt[cur]));
		if (tl != NULL && gnutls_x509_trust_list_get_issuer(tl,
		    crt[cur], &issuer, GNUTLS_TL_GET_COPY) == 0) {
			t = verify_earlier(t, verify_crt_not_after(issuer));
			verify_crt_pin(issuer, pin);
			gnutls_x509_crt_deinit(issuer);
			break;
		}
		for (j = 0; j < n; j++)
			if (!on_path[j] &&
			    gnutls_x509_crt_check_issuer(crt[cur], crt[j]))
				break;
		cur = j;
	}
	return (t);
}

/**
 * verify_ident_from_crt(crt, id): fill ${id} from ${crt} (its not_after is
 * that of ${crt}).  Return 0, or -1 if the certificate has no usable name
 * and no key.
 */
int
verify_ident_from_crt(gnutls_x509_crt_t crt, struct cert_ident *id)
{
	unsigned char	 buf[SD_HOST_MAX + 2];
	char		 ip[INET6_ADDRSTRLEN];
	size_t		 size;
	unsigned int	 seq, critical;
	int		 type;

	memset(id, 0, sizeof(*id));
	for (seq = 0;; seq++) {
		size = sizeof(buf);
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf,
		    &size, &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* longer than any host name */
		if (type < 0)
			break;
		if (type == GNUTLS_SAN_DNSNAME)
			(void)verify_ident_add(id, (const char *)buf, size, 0);
		else if (type == GNUTLS_SAN_IPADDRESS) {
			if ((size == 4 && inet_ntop(AF_INET, buf, ip,
			    sizeof(ip)) != NULL) || (size == 16 &&
			    inet_ntop(AF_INET6, buf, ip, sizeof(ip)) != NULL))
				(void)verify_ident_add(id, ip, strlen(ip), 1);
		}
	}
	if (id->n == 0) {
		size = sizeof(buf);
		if (gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size) == 0 &&
		    verify_ident_add(id, (const char *)buf, size, 0) == 0)
			id->from_cn = 1;
	}
	verify_crt_pin(crt, id->pin);
	id->anchor = id->anchor_ca = -1;
	id->not_after = verify_crt_not_after(crt);
	if (id->n == 0 && id->pin[0] == '\0')
		return (-1);
	return (0);
}

/**
 * verify_pattern_match(pattern, name): 1 if ${name} matches ${pattern},
 * case-insensitively; a leading "*." in ${pattern} stands for exactly one
 * label ("*.example" matches "a.example", not "example" or "a.b.example").
 */
int
verify_pattern_match(const char *pattern, const char *name)
{
	const char	*dot;

	if (pattern[0] == '*' && pattern[1] == '.' && pattern[2] != '\0') {
		/* The first label of ${name}: non-empty, then the suffix. */
		if ((dot = strchr(name, '.')) == NULL || dot == name)
			return (0);
		return (verify_name_eq(pattern + 1, dot));
	}
	return (verify_name_eq(pattern, name));
}

/* 1 if pins ${a} and ${b} ("sha256:BASE64") are equal, '=' padding optional. */
static int
verify_pin_eq(const char *a, const char *b)
{
	size_t	 alen, blen;

	if (strncasecmp(a, VERIFY_PIN_PREFIX, VERIFY_PIN_PREFIXLEN) != 0 ||
	    strncasecmp(b, VERIFY_PIN_PREFIX, VERIFY_PIN_PREFIXLEN) != 0)
		return (0);
	a += VERIFY_PIN_PREFIXLEN;
	b += VERIFY_PIN_PREFIXLEN;
	alen = strlen(a);
	blen = strlen(b);
	while (alen > 0 && a[alen - 1] == '=')
		alen--;
	while (blen > 0 && b[blen - 1] == '=')
		blen--;
	return (alen == blen && alen > 0 && memcmp(a, b, alen) == 0);
}

/**
 * verify_ident_allowed(id, allow, n): 1 if ${id} matches one of the ${n}
 * entries: "*" (anyone), "sha256:..." (equal to id->pin), an IP literal
 * (equal to an IP entry), or a name pattern (matching a non-IP entry).
 */
int
verify_ident_allowed(const struct cert_ident *id, char *const *allow,
    size_t n)
{
	const char	*e;
	size_t		 i, j;

	for (i = 0; i < n; i++) {
		if ((e = allow[i]) == NULL)
			continue;
		if (strcmp(e, "*") == 0)
			return (1);
		if (strncasecmp(e, VERIFY_PIN_PREFIX,
		    VERIFY_PIN_PREFIXLEN) == 0) {
			if (id->pin[0] != '\0' && verify_pin_eq(e, id->pin))
				return (1);
			continue;
		}
		if (addr_is_numeric(e)) {
			for (j = 0; j < id->n; j++)
				if (id->ent[j].is_ip &&
				    addr_same_host(e, id->ent[j].name))
					return (1);
			continue;
		}
		for (j = 0; j < id->n; j++)
			if (!id->ent[j].is_ip &&
			    verify_pattern_match(e, id->ent[j].name))
				return (1);
	}
	return (0);
}

/**
 * verify_ident_proves_host(id, host): 1 if ${id} proves ${host}: for an IP
 * literal, an IP entry with the same address; for a name, a DNS entry
 * equal to it or a "*.suffix" entry covering exactly one label of it.
 */
int
verify_ident_proves_host(const struct cert_ident *id, const char *host)
{
	size_t	 j;

	if (host == NULL || host[0] == '\0')
		return (0);
	if (addr_is_numeric(host)) {
		/* Only an IP SAN proves an address, never a name or CN. */
		for (j = 0; j < id->n; j++)
			if (id->ent[j].is_ip &&
			    addr_same_host(host, id->ent[j].name))
				return (1);
		return (0);
	}
	/*
	 * A name is proved by a DNS SAN or, on a certificate without any
	 * SAN, by its CN (as GnuTLS's own hostname check does).
	 */
	for (j = 0; j < id->n; j++)
		if (!id->ent[j].is_ip &&
		    verify_pattern_match(id->ent[j].name, host))
			return (1);
	return (0);
}

/**
 * verify_ident_str(id, buf, len): the identity for logs ("node-b",
 * "127.0.0.2,node-b.example"), truncated to ${len}; return ${buf}.
 */
char *
verify_ident_str(const struct cert_ident *id, char *buf, size_t len)
{
	size_t	 off = 0, i;
	int	 r;

	if (len == 0)
		return (buf);
	buf[0] = '\0';
	if (id->n == 0) {
		snprintf(buf, len, "%s", id->pin[0] != '\0' ? id->pin :
		    "(no identity)");
		return (buf);
	}
	for (i = 0; i < id->n && off < len; i++) {
		r = snprintf(buf + off, len - off, "%s%s", i > 0 ? "," : "",
		    id->ent[i].name);
		if (r < 0)
			break;
		off += (size_t)r;
	}
	return (buf);
}

/**
 * verify_status_words(status, reason, reasonlen): GnuTLS verification
 * ${status} bits (not 0) in words, the worst first, in ${reason}:
 * "certificate revoked", "certificate expired", "certificate not yet
 * valid", "not signed by the CA", "CRL out of date", or GnuTLS's own;
 * return ${reason}.  The same words for a peer's chain and for our own.
 */
char *
verify_status_words(unsigned int status, char *reason, size_t reasonlen)
{
	gnutls_datum_t	 out;

	if (status & GNUTLS_CERT_REVOKED)
		snprintf(reason, reasonlen, "certificate revoked");
	else if (status & GNUTLS_CERT_EXPIRED)
		snprintf(reason, reasonlen, "certificate expired");
	else if (status & GNUTLS_CERT_NOT_ACTIVATED)
		snprintf(reason, reasonlen, "certificate not yet valid");
	else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND |
	    GNUTLS_CERT_SIGNER_NOT_CA | GNUTLS_CERT_SIGNATURE_FAILURE))
		snprintf(reason, reasonlen, "not signed by the CA");
	else if (status & (GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
	    GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE))
		snprintf(reason, reasonlen, "CRL out of date");
	else if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		snprintf(reason, reasonlen, "%s", (const char *)out.data);
		gnutls_free(out.data);
	} else
		snprintf(reason, reasonlen, "certificate invalid");
	return (reason);
}

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
int
verify_peer(gnutls_session_t session, const struct verify_policy *pol,
    struct cert_ident *id, char *reason, size_t reasonlen)
{
	return (verify_peer_cached(session, NULL, NULL, pol, id, reason,
	    reasonlen));
}

/* SHA-256 of the DER of every certificate the peer sent, in order. */
static int
verify_chain_hash(const gnutls_datum_t *certs, unsigned int n,
    uint8_t out[32])
{
	gnutls_hash_hd_t	 h;
	unsigned int		 i;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return (-1);
	for (i = 0; i < n; i++)
		gnutls_hash(h, certs[i].data, certs[i].size);
	gnutls_hash_deinit(h, out);
	return (0);
}

/* The entry of ${cache} for the chain ${hash} if it verified and is still in date. */
static const struct verify_cache_ent *
verify_cache_find(const struct verify_cache *cache, const uint8_t hash[32],
    time_t now)
{
	size_t	 i;

	for (i = 0; i < VERIFY_CACHE_MAX; i++)
		if (cache->ent[i].until > now &&
		    memcmp(cache->ent[i].hash, hash, 32) == 0)
			return (&cache->ent[i]);
	return (NULL);
}

/* Remember the chain ${hash}, naming ${id}, as verified until ${until}. */
static void
verify_cache_add(struct verify_cache *cache, const uint8_t hash[32],
    const struct cert_ident *id, time_t until)
{
	struct verify_cache_ent	*e = &cache->ent[cache->next];

	free(e->id);
	e->until = 0;
	if ((e->id = malloc(sizeof(*e->id))) == NULL)
		return;
	*e->id = *id;
	memcpy(e->hash, hash, sizeof(e->hash));
	e->until = until;
	cache->next = (cache->next + 1) % VERIFY_CACHE_MAX;
}

/** verify_cache_clear(cache): forget every chain in ${cache}. */
void
verify_cache_clear(struct verify_cache *cache)
{
	size_t	 i;

	for (i = 0; i < VERIFY_CACHE_MAX; i++) {
		free(cache->ent[i].id);
		cache->ent[i].id = NULL;
		cache->ent[i].until = 0;
	}
	cache->next = 0;
}

/**
 * verify_anchor_vouches(anchors, id, reason, reasonlen): 1 if anchor
 * id->anchor of ${anchors} may vouch for every name of ${id}; else 0,
 * with the refusal naming the CA (subject and SPKI pin) and the first
 * name it may not vouch for in ${reason}.
 */
int
verify_anchor_vouches(const struct verify_anchors *anchors,
    const struct cert_ident *id, char *reason, size_t reasonlen)
{
	const struct verify_anchor	*a;
	const struct verify_ca		*ca = NULL;
	size_t				 j;

	if (id->anchor < 0 || (size_t)id->anchor >= anchors->n) {
		snprintf(reason, reasonlen, "not signed by the CA");
		return (0);
	}
	a = &anchors->a[id->anchor];
	/* Every name, not only the one asked for: an identity the anchor
	 * may not give is not given, whichever side the peer is on. */
	for (j = 0; j < id->n; j++)
		if (!scope_vouches(a->names, a->nnames, id->ent[j].name,
		    id->ent[j].is_ip))
			break;
	if (j == id->n)
		return (1);
	if (id->anchor_ca >= 0 && (unsigned int)id->anchor_ca < a->nca)
		ca = &a->ca[id->anchor_ca];
	snprintf(reason, reasonlen, "CA \"%s\" (%s, from %s) may not vouch "
	    "for %s", ca != NULL ? ca->subject : "?", ca != NULL ? ca->pin :
	    "unknown pin", a->file != NULL ? a->file : "ca", id->ent[j].name);
	return (0);
}

/*
 * Verify the ${n} certificates ${chain} (the peer's, parsed, leaf first)
 * against each anchor of ${as} in turn: the first that verifies it is
 * its anchor.  Set id->anchor, id->anchor_ca and id->not_after.  Return
 * 0, or -1 with the reason: that of an anchor that knew the issuer, if
 * one did (a revoked or expired certificate), else "not signed by the CA".
 */
static int
verify_chain_anchor(const struct verify_anchors *as, gnutls_x509_crt_t *chain,
    unsigned int n, struct cert_ident *id, char *reason, size_t reasonlen)
{
	const struct verify_anchor	*a;
	char				 pin[VERIFY_PIN_LEN];
	unsigned int			 status, worst = 0, k;
	size_t				 i;
	int				 ret;

	for (i = 0; i < as->n; i++) {
		status = 0;
		if ((ret = gnutls_x509_trust_list_verify_crt2(as->a[i].tl,
		    chain, n, NULL, 0, 0, &status, NULL)) < 0) {
			snprintf(reason, reasonlen,
			    "certificate verification failed: %s",
			    gnutls_strerror(ret));
			return (-1);
		}
		if (status == 0)
			break;
		/* an issuer this anchor has not is no news: another has it */
		if (worst == 0 || ((worst & GNUTLS_CERT_SIGNER_NOT_FOUND) &&
		    !(status & GNUTLS_CERT_SIGNER_NOT_FOUND)))
			worst = status;
	}
	if (i == as->n) {
		verify_status_words(worst != 0 ? worst :
		    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND, reason,
		    reasonlen);
		return (-1);
	}
	a = &as->a[i];
	id->anchor = (int)i;
	/* The link lives no longer than its chain (conn.c closes it then). */
	id->not_after = verify_earlier(id->not_after,
	    verify_chain_not_after(a->tl, chain, n, pin));
	id->anchor_ca = -1;
	for (k = 0; k < a->nca; k++)
		if (strcmp(a->ca[k].pin, pin) == 0) {
			id->anchor_ca = (int)k;
			break;
		}
	return (0);
}

/**
 * verify_crts(anchors, chain, n, id, reason, reasonlen): check the ${n}
 * certificates ${chain} (leaf first) as a peer's: they chain to one of
 * ${anchors}, are in their validity period and not revoked, and their
 * anchor may vouch for every name of the leaf.  Fill ${id}.  Return 0, or
 * -1 with the reason in ${reason}.
 */
int
verify_crts(const struct verify_anchors *anchors, gnutls_x509_crt_t *chain,
    unsigned int n, struct cert_ident *id, char *reason, size_t reasonlen)
{
	if (n == 0 || verify_ident_from_crt(chain[0], id) != 0) {
		snprintf(reason, reasonlen, "certificate has no identity");
		return (-1);
	}
	if (verify_chain_anchor(anchors, chain, n, id, reason,
	    reasonlen) != 0)
		return (-1);
	return (verify_anchor_vouches(anchors, id, reason, reasonlen) ? 0 :
	    -1);
}

/* Import the ${n} DER ${certs} into ${chain}; how many, or -1 with ${reason}. */
static int
verify_chain_import(const gnutls_datum_t *certs, unsigned int n,
    gnutls_x509_crt_t chain[VERIFY_CHAIN_MAX], char *reason, size_t reasonlen)
{
	unsigned int	 i;
	int		 ret;

	if (n > VERIFY_CHAIN_MAX)
		n = VERIFY_CHAIN_MAX;
	for (i = 0; i < n; i++) {
		if ((ret = gnutls_x509_crt_init(&chain[i])) < 0) {
			snprintf(reason, reasonlen, "%s", gnutls_strerror(ret));
			goto fail;
		}
		if ((ret = gnutls_x509_crt_import(chain[i], &certs[i],
		    GNUTLS_X509_FMT_DER)) < 0) {
			snprintf(reason, reasonlen,
			    "cannot parse certificate: %s",
			    gnutls_strerror(ret));
			gnutls_x509_crt_deinit(chain[i]);
			goto fail;
		}
	}
	return ((int)n);

fail:
	while (i > 0)
		gnutls_x509_crt_deinit(chain[--i]);
	return (-1);
}

/* Free the ${n} certificates of ${chain}. */
static void
verify_chain_free(gnutls_x509_crt_t *chain, int n)
{
	while (n > 0)
		gnutls_x509_crt_deinit(chain[--n]);
}

/*
 * The ${ncerts} certificates a peer sent, verified against ${as}: fill
 * ${id} and find its anchor.  0, or -1 with ${reason}.
 */
static int
verify_chain(const gnutls_datum_t *certs,
    unsigned int ncerts, const struct verify_anchors *as,
    struct cert_ident *id, char *reason, size_t reasonlen)
{
	gnutls_x509_crt_t	 chain[VERIFY_CHAIN_MAX] = { NULL };
	int			 n, have_id, rc = -1;

	if ((n = verify_chain_import(certs, ncerts, chain, reason,
	    reasonlen)) < 0)
		return (-1);
	/* The identity first, so that even a refused peer can be named. */
	have_id = verify_ident_from_crt(chain[0], id) == 0;
	if (verify_chain_anchor(as, chain, (unsigned int)n, id, reason,
	    reasonlen) != 0)
		goto out;
	if (!have_id) {
		snprintf(reason, reasonlen, "certificate has no identity");
		goto out;
	}
	rc = 0;
out:
	verify_chain_free(chain, n);
	return (rc);
}

/* What a verified ${id} must still satisfy: its anchor's names, then ${pol}. */
static int
verify_policy_check(const struct verify_anchors *as,
    const struct verify_policy *pol, const struct cert_ident *id,
    char *reason, size_t reasonlen)
{
	char	 who[512];

	if (!verify_anchor_vouches(as, id, reason, reasonlen))
		return (-1);
	if (pol->host != NULL && !verify_ident_proves_host(id, pol->host)) {
		snprintf(reason, reasonlen,
		    "certificate does not name %s (has: %s)", pol->host,
		    verify_ident_str(id, who, sizeof(who)));
		return (-1);
	}
	if (pol->nallow > 0 &&
	    !verify_ident_allowed(id, pol->allow, pol->nallow)) {
		snprintf(reason, reasonlen, "%s not in allow list",
		    verify_ident_str(id, who, sizeof(who)));
		return (-1);
	}
	return (0);
}

/*
 * The peer's certificates of ${session} in ${certs}, and the anchors to
 * check them against in ${as}: ${as} itself, or (NULL) the trust list of
 * the session's credentials as ${one}, vouching for any name.  0, or -1
 * with ${reason}.
 */
static int
verify_session_chain(gnutls_session_t session,
    const struct verify_anchors **as, struct verify_anchors *tmp,
    struct verify_anchor *one, const gnutls_datum_t **certs,
    unsigned int *ncerts, char *reason, size_t reasonlen)
{
	gnutls_certificate_credentials_t cred;

	*ncerts = 0;
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 ||
	    (*certs = gnutls_certificate_get_peers(session, ncerts)) == NULL ||
	    *ncerts == 0) {
		snprintf(reason, reasonlen, "no certificate");
		return (-1);
	}
	if (*as != NULL)
		return (0);
	memset(one, 0, sizeof(*one));
	if (gnutls_credentials_get(session, GNUTLS_CRD_CERTIFICATE,
	    (void **)&cred) != 0 || cred == NULL) {
		snprintf(reason, reasonlen, "no trusted CA");
		return (-1);
	}
	gnutls_certificate_get_trust_list(cred, &one->tl);
	tmp->a = one;
	tmp->n = 1;
	*as = tmp;
	return (0);
}

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
int
verify_peer_cached(gnutls_session_t session,
    const struct verify_anchors *anchors, struct verify_cache *cache,
    const struct verify_policy *pol, struct cert_ident *id, char *reason,
    size_t reasonlen)
{
	const gnutls_datum_t	*certs;
	const struct verify_cache_ent *hit = NULL;
	const struct verify_anchors *as = anchors;
	struct verify_anchors	 tmp;
	struct verify_anchor	 one;
	unsigned int		 ncerts;
	uint8_t			 hash[32];
	time_t			 now = time(NULL);
	int			 hashed = 0;

	memset(id, 0, sizeof(*id));
	id->anchor = id->anchor_ca = -1;
	if (verify_session_chain(session, &as, &tmp, &one, &certs, &ncerts,
	    reason, reasonlen) != 0)
		return (-1);

	/* The chain's signatures (an ECDSA verification each) and the
	 * parse of the leaf are what a reconnecting peer would cost us
	 * again: chains that passed are remembered with what the leaf
	 * names and the anchor they end at, for at most an hour and never
	 * past the chain's expiry.  The anchor's names are checked on
	 * every handshake: a name match, nothing more. */
	if (cache != NULL && verify_chain_hash(certs, ncerts, hash) == 0) {
		hashed = 1;
		hit = verify_cache_find(cache, hash, now);
	}
	if (hit != NULL)
		*id = *hit->id;
	else {
		if (verify_chain(certs, ncerts, as, id, reason,
		    reasonlen) != 0)
			return (-1);
		if (hashed)
			verify_cache_add(cache, hash, id,
			    verify_earlier(id->not_after, now + 3600));
	}
	return (verify_policy_check(as, pol, id, reason, reasonlen));
}

/**
 * verify_peer_again(session, anchors, pol, id, reason, reasonlen): check
 * the peer of the established ${session} as verify_peer_cached() does,
 * but against ${anchors} (newly loaded credentials' ones) instead of
 * those the session began with, and without a cache.
 */
int
verify_peer_again(gnutls_session_t session,
    const struct verify_anchors *anchors, const struct verify_policy *pol,
    struct cert_ident *id, char *reason, size_t reasonlen)
{
	return (verify_peer_cached(session, anchors, NULL, pol, id, reason,
	    reasonlen));
}
