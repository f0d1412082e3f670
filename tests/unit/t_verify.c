/*
 * t_verify.c: unit tests for verify.c and creds.c.  The pure matching
 * functions are tested on hand-made identities; the rest on certificates,
 * keys and CRLs made here with the GnuTLS X.509 API (no fixtures, no
 * certtool), written to a mkdtemp directory for creds_load(), and used in
 * real in-memory TLS handshakes over a socketpair for verify_peer().
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "creds.h"
#include "creds_gnutls.h"
#include "stunneld.h"
#include "test.h"
#include "verify.h"
#include "verify_gnutls.h"

#define CONF		"test.conf"
#define L_CERT		11
#define L_KEY		12
#define L_CA		13
#define L_CRL		14
#define L_PRIO		15

#define T_2019		1546300800	/* 2019-01-01T00:00:00Z */
#define T_2020		1577923200	/* 2020-01-02T00:00:00Z */

/* A key and the certificate made for it. */
struct pair {
	gnutls_x509_privkey_t	 key;
	gnutls_x509_crt_t	 crt;
};

static char	 tmpdir[] = "/tmp/t_verify.XXXXXX";
static char	*files[64];
static size_t	 nfiles;

/* Append one name to ${id} (test helper). */
static void
ident_add(struct cert_ident *id, const char *name, int is_ip)
{
	snprintf(id->ent[id->n].name, sizeof(id->ent[id->n].name), "%s",
	    name);
	id->ent[id->n].is_ip = is_ip;
	id->n++;
}

/* verify_pattern_match: exact names, case, the one-label wildcard. */
static void
test_pattern(void)
{
	CHECK(verify_pattern_match("node-a", "node-a"));
	CHECK(verify_pattern_match("Node-A", "node-a"));
	CHECK(verify_pattern_match("node-a", "NODE-A"));
	CHECK(!verify_pattern_match("node-a", "node-b"));
	CHECK(!verify_pattern_match("node-a", "node-ab"));
	CHECK(!verify_pattern_match("node-a", ""));
	CHECK(!verify_pattern_match("", "node-a"));
	CHECK(verify_pattern_match("node-a.example.", "node-a.example"));
	CHECK(verify_pattern_match("*.example", "a.example"));
	CHECK(verify_pattern_match("*.EXAMPLE", "B.Example"));
	CHECK(verify_pattern_match("*.example", "a.example."));
	CHECK(!verify_pattern_match("*.example", "example"));
	CHECK(!verify_pattern_match("*.example", ".example"));
	CHECK(!verify_pattern_match("*.example", "a.b.example"));
	CHECK(!verify_pattern_match("*.example", "a.example.org"));
	CHECK(!verify_pattern_match("*.example", "aexample"));
	CHECK(verify_pattern_match("*.b.example", "a.b.example"));
	CHECK(!verify_pattern_match("*.b.example", "a.c.example"));
	/* Only a leading "*." is a wildcard. */
	CHECK(!verify_pattern_match("a.*.example", "a.b.example"));
	CHECK(!verify_pattern_match("node*", "node-a"));
	CHECK(!verify_pattern_match("*", "node-a"));
}

/* verify_ident_allowed: "*", names, wildcards, IPs, pins. */
static void
test_allowed(void)
{
	struct cert_ident	 id;
	char			*a1[] = { "node-b", "node-c" };
	char			*a2[] = { "NODE-A" };
	char			*a3[] = { "*" };
	char			*a4[] = { "*.example" };
	char			*a5[] = { "10.0.0.1" };
	char			*a6[] = { "::1" };
	char			*a7[] = { "0:0:0::1" };
	char			*a8[] = { "node-x", "sha256:"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" };
	char			*a9[] = { "sha256:"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" };
	char			*a10[] = { "sha256:"
	    "47deqpj8hbsa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" };
	char			*a11[] = { "node-a.example" };
	char			*a12[] = { "10.0.0.1", "node-a" };

	memset(&id, 0, sizeof(id));
	ident_add(&id, "node-a", 0);
	strcpy(id.pin, "sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	CHECK(!verify_ident_allowed(&id, a1, 2));
	CHECK(verify_ident_allowed(&id, a2, 1));
	CHECK(verify_ident_allowed(&id, a3, 1));
	CHECK(!verify_ident_allowed(&id, a3, 0));
	CHECK(!verify_ident_allowed(&id, a4, 1));
	CHECK(!verify_ident_allowed(&id, a5, 1));
	CHECK(verify_ident_allowed(&id, a8, 2));
	CHECK(verify_ident_allowed(&id, a9, 1));	/* padding optional */
	CHECK(!verify_ident_allowed(&id, a10, 1));	/* base64 has case */
	CHECK(verify_ident_allowed(&id, a12, 2));

	/* A name must not pass as an IP, nor an IP as a name. */
	memset(&id, 0, sizeof(id));
	ident_add(&id, "10.0.0.1", 0);
	CHECK(!verify_ident_allowed(&id, a5, 1));
	memset(&id, 0, sizeof(id));
	ident_add(&id, "10.0.0.1", 1);
	ident_add(&id, "node-a.example", 0);
	ident_add(&id, "::1", 1);
	CHECK(verify_ident_allowed(&id, a5, 1));
	CHECK(verify_ident_allowed(&id, a4, 1));
	CHECK(verify_ident_allowed(&id, a11, 1));
	CHECK(verify_ident_allowed(&id, a6, 1));
	CHECK(verify_ident_allowed(&id, a7, 1));	/* same address */
	CHECK(!verify_ident_allowed(&id, a8, 2));	/* no pin set */
	CHECK(!verify_ident_allowed(&id, a2, 1));
}

/* verify_ident_proves_host: IP SANs by address, names with wildcards. */
static void
test_proves_host(void)
{
	struct cert_ident	 id;

	memset(&id, 0, sizeof(id));
	ident_add(&id, "127.0.0.2", 1);
	ident_add(&id, "node-b.example", 0);
	ident_add(&id, "*.nodes.example", 0);
	ident_add(&id, "::1", 1);
	ident_add(&id, "10.0.0.9", 0);	/* a DNS SAN, not an IP SAN */
	CHECK(verify_ident_proves_host(&id, "127.0.0.2"));
	CHECK(!verify_ident_proves_host(&id, "127.0.0.3"));
	CHECK(verify_ident_proves_host(&id, "::1"));
	CHECK(verify_ident_proves_host(&id, "0:0::1"));
	CHECK(verify_ident_proves_host(&id,
	    "0000:0000:0000:0000:0000:0000:0000:0001"));
	CHECK(!verify_ident_proves_host(&id, "::2"));
	CHECK(!verify_ident_proves_host(&id, "::ffff:127.0.0.2"));
	CHECK(!verify_ident_proves_host(&id, "10.0.0.9"));
	CHECK(verify_ident_proves_host(&id, "node-b.example"));
	CHECK(verify_ident_proves_host(&id, "NODE-B.Example"));
	CHECK(!verify_ident_proves_host(&id, "node-c.example"));
	CHECK(verify_ident_proves_host(&id, "x.nodes.example"));
	CHECK(!verify_ident_proves_host(&id, "nodes.example"));
	CHECK(!verify_ident_proves_host(&id, "a.x.nodes.example"));
	CHECK(!verify_ident_proves_host(&id, ""));
	CHECK(!verify_ident_proves_host(&id, NULL));

	/* An IP v4 entry does not prove a v6 address and vice versa. */
	memset(&id, 0, sizeof(id));
	ident_add(&id, "127.0.0.1", 1);
	CHECK(!verify_ident_proves_host(&id, "::1"));
	CHECK(!verify_ident_proves_host(&id, "::127.0.0.1"));
	CHECK(!verify_ident_proves_host(&id, "localhost"));
}

/* verify_ident_str: joining and truncation. */
static void
test_ident_str(void)
{
	struct cert_ident	 id;
	char			 buf[64], small[8];

	memset(&id, 0, sizeof(id));
	ident_add(&id, "node-b", 0);
	CHECK_STR(verify_ident_str(&id, buf, sizeof(buf)), "node-b");
	ident_add(&id, "127.0.0.2", 1);
	CHECK_STR(verify_ident_str(&id, buf, sizeof(buf)),
	    "node-b,127.0.0.2");
	CHECK_STR(verify_ident_str(&id, small, sizeof(small)), "node-b,");
	CHECK(verify_ident_str(&id, small, 0) == small);
	memset(&id, 0, sizeof(id));
	strcpy(id.pin, "sha256:abc=");
	CHECK_STR(verify_ident_str(&id, buf, sizeof(buf)), "sha256:abc=");
}

/* A new ECDSA P-256 key, or exit. */
static gnutls_x509_privkey_t
make_key(void)
{
	gnutls_x509_privkey_t	 key;

	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0) {
		fprintf(stderr, "cannot generate key\n");
		exit(1);
	}
	return (key);
}

/*
 * A certificate for a new key: ${cn} (may be NULL), the comma-separated
 * DNS and IP SANs (may be NULL), valid ${from}..${to}, signed by
 * ${issuer} (NULL: self-signed).  Exit on failure.
 */
static void
make_pair(struct pair *p, const char *cn, const char *dns, const char *ips,
    time_t from, time_t to, int ca, const struct pair *issuer)
{
	static unsigned char	 serial = 1;
	unsigned char		 ser[2] = { 0x10, 0 };
	unsigned char		 kid[64], addr[16];
	size_t			 kidlen = sizeof(kid);
	char			 list[256], *s, *save;
	gnutls_datum_t		 der;
	int			 ret = 0;

	p->key = make_key();
	ser[1] = serial++;
	if (gnutls_x509_crt_init(&p->crt) < 0)
		goto fail;
	ret |= gnutls_x509_crt_set_version(p->crt, 3);
	ret |= gnutls_x509_crt_set_serial(p->crt, ser, sizeof(ser));
	ret |= gnutls_x509_crt_set_activation_time(p->crt, from);
	ret |= gnutls_x509_crt_set_expiration_time(p->crt, to);
	ret |= gnutls_x509_crt_set_key(p->crt, p->key);
	if (cn != NULL)
		ret |= gnutls_x509_crt_set_dn_by_oid(p->crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn));
	ret |= gnutls_x509_crt_set_basic_constraints(p->crt, ca, -1);
	ret |= gnutls_x509_crt_set_key_usage(p->crt, ca ?
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
	    GNUTLS_KEY_DIGITAL_SIGNATURE);
	ret |= gnutls_x509_crt_get_key_id(p->crt, 0, kid, &kidlen);
	ret |= gnutls_x509_crt_set_subject_key_id(p->crt, kid, kidlen);
	if (dns != NULL) {
		snprintf(list, sizeof(list), "%s", dns);
		for (s = strtok_r(list, ",", &save); s != NULL;
		    s = strtok_r(NULL, ",", &save))
			ret |= gnutls_x509_crt_set_subject_alt_name(p->crt,
			    GNUTLS_SAN_DNSNAME, s, (unsigned int)strlen(s),
			    GNUTLS_FSAN_APPEND);
	}
	if (ips != NULL) {
		snprintf(list, sizeof(list), "%s", ips);
		for (s = strtok_r(list, ",", &save); s != NULL;
		    s = strtok_r(NULL, ",", &save)) {
			if (inet_pton(AF_INET, s, addr) == 1)
				ret |= gnutls_x509_crt_set_subject_alt_name(
				    p->crt, GNUTLS_SAN_IPADDRESS, addr, 4,
				    GNUTLS_FSAN_APPEND);
			else if (inet_pton(AF_INET6, s, addr) == 1)
				ret |= gnutls_x509_crt_set_subject_alt_name(
				    p->crt, GNUTLS_SAN_IPADDRESS, addr, 16,
				    GNUTLS_FSAN_APPEND);
			else
				goto fail;
		}
	}
	if (issuer != NULL) {
		kidlen = sizeof(kid);
		ret |= gnutls_x509_crt_get_subject_key_id(issuer->crt, kid,
		    &kidlen, NULL);
		ret |= gnutls_x509_crt_set_authority_key_id(p->crt, kid,
		    kidlen);
	}
	if (ret != 0)
		goto fail;
	if (gnutls_x509_crt_sign2(p->crt, issuer ? issuer->crt : p->crt,
	    issuer ? issuer->key : p->key, GNUTLS_DIG_SHA256, 0) < 0)
		goto fail;

	/* Re-import: GnuTLS caches the SANs of a certificate at import. */
	if (gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_DER, &der) < 0)
		goto fail;
	gnutls_x509_crt_deinit(p->crt);
	if (gnutls_x509_crt_init(&p->crt) < 0 ||
	    gnutls_x509_crt_import(p->crt, &der, GNUTLS_X509_FMT_DER) < 0)
		goto fail;
	gnutls_free(der.data);
	return;

fail:
	fprintf(stderr, "cannot make certificate %s\n", cn ? cn : "(no CN)");
	exit(1);
}

/* Free ${p}. */
static void
pair_free(struct pair *p)
{
	gnutls_x509_crt_deinit(p->crt);
	gnutls_x509_privkey_deinit(p->key);
}

/*
 * A CRL from ${ca} revoking ${revoked} (may be NULL), issued at ${now}
 * and due again a day later; PEM into ${out}.
 */
static void
make_crl_at(const struct pair *ca, const struct pair *revoked, time_t now,
    gnutls_datum_t *out)
{
	gnutls_x509_crl_t	 crl;

	if (gnutls_x509_crl_init(&crl) < 0 ||
	    gnutls_x509_crl_set_version(crl, 2) < 0 ||
	    gnutls_x509_crl_set_this_update(crl, now - 60) < 0 ||
	    gnutls_x509_crl_set_next_update(crl, now + 86400) < 0 ||
	    (revoked != NULL &&
	    gnutls_x509_crl_set_crt(crl, revoked->crt, now - 60) < 0) ||
	    gnutls_x509_crl_sign2(crl, ca->crt, ca->key, GNUTLS_DIG_SHA256,
	    0) < 0 ||
	    gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, out) < 0) {
		fprintf(stderr, "cannot make CRL\n");
		exit(1);
	}
	gnutls_x509_crl_deinit(crl);
}

/* A CRL from ${ca} revoking ${revoked} (may be NULL), issued now. */
static void
make_crl(const struct pair *ca, const struct pair *revoked,
    gnutls_datum_t *out)
{
	make_crl_at(ca, revoked, time(NULL), out);
}

/* Write ${data} (${len} bytes) to ${name} in the test directory; its path. */
static const char *
put_file(const char *name, const void *data, size_t len)
{
	char	 path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	if (nfiles < sizeof(files) / sizeof(files[0]) &&
	    (files[nfiles] = strdup(path)) != NULL)
		nfiles++;
	return (files[nfiles - 1]);
}

/* Write ${p}'s certificate (then ${chain}'s, if any) and key; set paths. */
static void
put_pair(const char *name, const struct pair *p, const struct pair *chain,
    const char **crtpath, const char **keypath)
{
	gnutls_datum_t	 c, c2 = { NULL, 0 }, k;
	char		 fn[64], *buf;

	if (gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_PEM, &c) < 0 ||
	    (chain != NULL && gnutls_x509_crt_export2(chain->crt,
	    GNUTLS_X509_FMT_PEM, &c2) < 0) ||
	    gnutls_x509_privkey_export2(p->key, GNUTLS_X509_FMT_PEM, &k) < 0 ||
	    (buf = malloc(c.size + c2.size)) == NULL) {
		fprintf(stderr, "cannot export %s\n", name);
		exit(1);
	}
	memcpy(buf, c.data, c.size);
	if (c2.size > 0)
		memcpy(buf + c.size, c2.data, c2.size);
	snprintf(fn, sizeof(fn), "%s.crt", name);
	*crtpath = put_file(fn, buf, c.size + c2.size);
	if (keypath != NULL) {
		snprintf(fn, sizeof(fn), "%s.key", name);
		*keypath = put_file(fn, k.data, k.size);
	}
	free(buf);
	gnutls_free(c.data);
	gnutls_free(c2.data);
	gnutls_free(k.data);
}

/* The pin of ${crt} computed without verify.c: base64(SHA-256(DER SPKI)). */
static void
pin_of(gnutls_x509_crt_t crt, char *pin, size_t len)
{
	gnutls_pubkey_t	 pub;
	gnutls_datum_t	 der, b64, h;
	unsigned char	 hash[32];

	if (gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size,
	    hash) < 0) {
		fprintf(stderr, "cannot hash SPKI\n");
		exit(1);
	}
	h.data = hash;
	h.size = sizeof(hash);
	if (gnutls_base64_encode2(&h, &b64) < 0) {
		fprintf(stderr, "cannot encode base64\n");
		exit(1);
	}
	snprintf(pin, len, "sha256:%.*s", (int)b64.size, (char *)b64.data);
	gnutls_free(b64.data);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
}

/* verify_ident_from_crt on DNS SAN, IP SAN, CN-only, nameless certificates. */
static void
test_from_crt(const struct pair *ca)
{
	struct pair		 p;
	struct cert_ident	 id;
	char			 pin[VERIFY_PIN_LEN], buf[256];
	char			*allow[1];
	time_t			 now = time(NULL);

	make_pair(&p, "Node-B", "Node-B.Example,*.nodes.example",
	    "127.0.0.2,0:0::1", now - 60, now + 86400, 0, ca);
	CHECK(verify_ident_from_crt(p.crt, &id) == 0);
	CHECK(id.n == 4);
	CHECK(!id.from_cn);
	CHECK_STR(id.ent[0].name, "node-b.example");
	CHECK(!id.ent[0].is_ip);
	CHECK_STR(id.ent[1].name, "*.nodes.example");
	CHECK_STR(id.ent[2].name, "127.0.0.2");
	CHECK(id.ent[2].is_ip);
	CHECK_STR(id.ent[3].name, "::1");
	CHECK(id.ent[3].is_ip);
	CHECK_STR(verify_ident_str(&id, buf, sizeof(buf)),
	    "node-b.example,*.nodes.example,127.0.0.2,::1");
	CHECK(id.not_after == gnutls_x509_crt_get_expiration_time(p.crt));
	pin_of(p.crt, pin, sizeof(pin));
	CHECK(strlen(pin) == 7 + 44);
	CHECK_STR(id.pin, pin);
	allow[0] = pin;
	CHECK(verify_ident_allowed(&id, allow, 1));
	CHECK(verify_ident_proves_host(&id, "127.0.0.2"));
	CHECK(verify_ident_proves_host(&id, "::1"));
	CHECK(verify_ident_proves_host(&id, "x.nodes.example"));
	CHECK(!verify_ident_proves_host(&id, "node-b"));	/* CN ignored */
	pair_free(&p);

	make_pair(&p, "node-c", NULL, "10.0.0.3", now - 60, now + 86400, 0,
	    ca);
	CHECK(verify_ident_from_crt(p.crt, &id) == 0);
	CHECK(id.n == 1);
	CHECK_STR(id.ent[0].name, "10.0.0.3");
	CHECK(id.ent[0].is_ip);
	CHECK(!id.from_cn);
	pin_of(p.crt, pin, sizeof(pin));
	CHECK_STR(id.pin, pin);
	pair_free(&p);

	make_pair(&p, "Node-A", NULL, NULL, now - 60, now + 86400, 0, ca);
	CHECK(verify_ident_from_crt(p.crt, &id) == 0);
	CHECK(id.n == 1);
	CHECK(id.from_cn);
	CHECK_STR(id.ent[0].name, "node-a");
	CHECK(!id.ent[0].is_ip);
	CHECK_STR(verify_ident_str(&id, buf, sizeof(buf)), "node-a");
	pin_of(p.crt, pin, sizeof(pin));
	CHECK_STR(id.pin, pin);
	pair_free(&p);

	/* No name at all: identified by its pin alone. */
	make_pair(&p, NULL, NULL, NULL, now - 60, now + 86400, 0, ca);
	CHECK(verify_ident_from_crt(p.crt, &id) == 0);
	CHECK(id.n == 0);
	pin_of(p.crt, pin, sizeof(pin));
	CHECK_STR(id.pin, pin);
	CHECK_STR(verify_ident_str(&id, buf, sizeof(buf)), pin);
	pair_free(&p);
}

/* creds_load(&tc) must fail with "CONF:${line}: ${file}: ${reason}..." */
static void
check_fail(const struct tls_conf *tc, int line, const char *file,
    const char *reason, int srcline)
{
	struct creds	*c;
	char		 err[1024], want[1024];

	err[0] = '\0';
	c = creds_load(tc, CONF, NULL, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:%d: %s: %s", CONF, line, file,
	    reason);
	test_checks++;
	if (c != NULL || strncmp(err, want, strlen(want)) != 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: creds_load: got %s \"%s\", want "
		    "\"%s...\"\n", __FILE__, srcline, c ? "success" : "error",
		    err, want);
	}
	creds_unref(c);
}
#define CHECK_FAIL(tc, line, file, reason)				\
	check_fail((tc), (line), (file), (reason), __LINE__)

/* TLS settings with the test's config lines. */
static struct tls_conf
tls_conf(const char *cert, const char *key, const char *ca, const char *crl,
    const char *prio)
{
	struct tls_conf	 tc;

	memset(&tc, 0, sizeof(tc));
	tc.cert = (char *)cert;
	tc.key = (char *)key;
	tc.ca = (char *)ca;
	tc.crl = (char *)crl;
	tc.priority = (char *)prio;
	tc.cert_line = L_CERT;
	tc.key_line = L_KEY;
	tc.ca_line = L_CA;
	tc.crl_line = L_CRL;
	tc.priority_line = L_PRIO;
	return (tc);
}

/* The files used by the creds and handshake tests. */
struct fx {
	struct pair	 ca, ca2, inter, node, nodeb, other, expired, future;
	struct pair	 revoked, chained, ipnode, cnonly;
	struct pair	 inter_short, chained_short, outliving;
	struct pair	 straying, stray, forever;
	const char	*ca_crt, *ca2_crt, *crl, *crl2, *crl_self, *crl_none;
	const char	*crl_stale;
	const char	*node_crt, *node_key, *nodeb_crt, *nodeb_key;
	const char	*other_crt, *other_key, *exp_crt, *exp_key;
	const char	*fut_crt, *fut_key, *rev_crt, *rev_key;
	const char	*chain_crt, *chain_key, *ip_crt, *ip_key;
	const char	*cn_crt, *cn_key;
	const char	*chs_crt, *chs_key, *out_crt, *out_key;
	const char	*for_crt, *for_key;
};

/* Make every key, certificate, CRL and file of ${f}. */
static void
fx_make(struct fx *f)
{
	gnutls_datum_t	 d;
	time_t		 now = time(NULL);

	make_pair(&f->ca, "Test CA", NULL, NULL, now - 3600, now + 86400 * 30,
	    1, NULL);
	make_pair(&f->ca2, "Other CA", NULL, NULL, now - 3600,
	    now + 86400 * 30, 1, NULL);
	make_pair(&f->inter, "Intermediate", NULL, NULL, now - 3600,
	    now + 86400 * 30, 1, &f->ca);
	make_pair(&f->node, "node-a", NULL, "127.0.0.1,::1", now - 60,
	    now + 86400 * 10, 0, &f->ca);
	make_pair(&f->nodeb, "node-b", "node-b.example", NULL, now - 60,
	    now + 86400 * 10, 0, &f->ca);
	make_pair(&f->other, "node-a", NULL, NULL, now - 60, now + 86400, 0,
	    &f->ca2);
	make_pair(&f->expired, "node-old", NULL, NULL, T_2019, T_2020, 0,
	    &f->ca);
	make_pair(&f->future, "node-new", NULL, NULL, now + 86400 * 2,
	    now + 86400 * 20, 0, &f->ca);
	make_pair(&f->revoked, "node-r", NULL, NULL, now - 60, now + 86400, 0,
	    &f->ca);
	make_pair(&f->chained, "node-i", NULL, NULL, now - 60, now + 86400, 0,
	    &f->inter);
	make_pair(&f->ipnode, NULL, NULL, "127.0.0.2,::1", now - 60,
	    now + 86400, 0, &f->ca);
	make_pair(&f->cnonly, "Node-C", NULL, NULL, now - 60, now + 86400, 0,
	    &f->ca);
	/* Chains that end before their leaf: at an intermediate, at the CA. */
	make_pair(&f->inter_short, "Short Intermediate", NULL, NULL,
	    now - 3600, now + 86400 * 2, 1, &f->ca);
	make_pair(&f->chained_short, "node-j", NULL, NULL, now - 60,
	    now + 86400 * 5, 0, &f->inter_short);
	make_pair(&f->outliving, "node-l", NULL, NULL, now - 60,
	    now + 86400 * 60, 0, &f->ca);
	/* A leaf sent with a certificate outside its chain that ends in ten
	 * minutes; a leaf with no well-defined end (notAfter 9999). */
	make_pair(&f->straying, "node-m", NULL, NULL, now - 60,
	    now + 86400 * 10, 0, &f->ca);
	make_pair(&f->stray, "Stray", NULL, NULL, now - 3600, now + 600, 1,
	    NULL);
	make_pair(&f->forever, "node-n", NULL, NULL, now - 60, (time_t)-1, 0,
	    &f->ca);

	put_pair("ca", &f->ca, NULL, &f->ca_crt, NULL);
	put_pair("ca2", &f->ca2, NULL, &f->ca2_crt, NULL);
	put_pair("node", &f->node, NULL, &f->node_crt, &f->node_key);
	put_pair("nodeb", &f->nodeb, NULL, &f->nodeb_crt, &f->nodeb_key);
	put_pair("other", &f->other, NULL, &f->other_crt, &f->other_key);
	put_pair("expired", &f->expired, NULL, &f->exp_crt, &f->exp_key);
	put_pair("future", &f->future, NULL, &f->fut_crt, &f->fut_key);
	put_pair("revoked", &f->revoked, NULL, &f->rev_crt, &f->rev_key);
	put_pair("chained", &f->chained, &f->inter, &f->chain_crt,
	    &f->chain_key);
	put_pair("ipnode", &f->ipnode, NULL, &f->ip_crt, &f->ip_key);
	put_pair("cnonly", &f->cnonly, NULL, &f->cn_crt, &f->cn_key);
	put_pair("chained-short", &f->chained_short, &f->inter_short,
	    &f->chs_crt, &f->chs_key);
	put_pair("outliving", &f->outliving, NULL, &f->out_crt, &f->out_key);
	put_pair("forever", &f->forever, NULL, &f->for_crt, &f->for_key);

	make_crl(&f->ca, &f->revoked, &d);
	f->crl = put_file("ca.crl", d.data, d.size);
	gnutls_free(d.data);
	make_crl(&f->ca, &f->node, &d);
	f->crl_self = put_file("self.crl", d.data, d.size);
	gnutls_free(d.data);
	make_crl(&f->ca2, NULL, &d);
	f->crl2 = put_file("ca2.crl", d.data, d.size);
	gnutls_free(d.data);
	make_crl(&f->ca, NULL, &d);
	f->crl_none = put_file("none.crl", d.data, d.size);
	gnutls_free(d.data);
	make_crl_at(&f->ca, &f->revoked, now - 86400 * 3, &d);
	f->crl_stale = put_file("stale.crl", d.data, d.size);
	gnutls_free(d.data);
}

/* Free the keys and certificates of ${f}. */
static void
fx_free(struct fx *f)
{
	pair_free(&f->ca);
	pair_free(&f->ca2);
	pair_free(&f->inter);
	pair_free(&f->node);
	pair_free(&f->nodeb);
	pair_free(&f->other);
	pair_free(&f->expired);
	pair_free(&f->future);
	pair_free(&f->revoked);
	pair_free(&f->chained);
	pair_free(&f->ipnode);
	pair_free(&f->cnonly);
	pair_free(&f->inter_short);
	pair_free(&f->chained_short);
	pair_free(&f->outliving);
	pair_free(&f->straying);
	pair_free(&f->stray);
	pair_free(&f->forever);
}

/* creds_load: the good case, and each failure naming file, line and reason. */
static void
test_creds(const struct fx *f)
{
	struct tls_conf	 tc;
	struct creds	*c;
	char		 err[1024], path[PATH_MAX];
	const char	*bad, *empty, *badkey;
	static const char garbage[] = "-----BEGIN CERTIFICATE-----\n"
	    "bm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";

	/* The times of the log lines (certificate and CRL dates). */
	CHECK_STR(creds_time(2000000000, path, sizeof(path)),
	    "2033-05-18T03:33:20Z");
	CHECK_STR(creds_time((time_t)253402300799, path, sizeof(path)),
	    "9999-12-31T23:59:59Z");

	/* Good: CA, CRL (revoking someone else), default-like priority. */
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, f->crl,
	    SD_DEFAULT_PRIORITY);
	err[0] = '\0';
	c = creds_load(&tc, CONF, NULL, err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL)
		fprintf(stderr, "creds_load: %s\n", err);
	else {
		CHECK_STR(creds_subject(c), "CN=node-a");
		CHECK(creds_not_after(c) ==
		    gnutls_x509_crt_get_expiration_time(f->node.crt));
		CHECK(creds_gnutls(c) != NULL);
		CHECK(creds_priority(c) != NULL);
		CHECK(creds_ref(c) == c);
		creds_unref(c);
		/* One reference left: still alive. */
		CHECK_STR(creds_subject(c), "CN=node-a");
		creds_unref(c);
	}
	creds_unref(NULL);

	/* No CRL, default priority, a chain through an intermediate. */
	tc = tls_conf(f->chain_crt, f->chain_key, f->ca_crt, NULL, NULL);
	c = creds_load(&tc, CONF, NULL, err, sizeof(err));
	CHECK(c != NULL);
	if (c != NULL)
		CHECK_STR(creds_subject(c), "CN=node-i");
	else
		fprintf(stderr, "creds_load: %s\n", err);
	creds_unref(c);

	/* Missing and unreadable files, each with its own line. */
	snprintf(path, sizeof(path), "%s/nope.crt", tmpdir);
	tc = tls_conf(path, f->node_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_CERT, path, "No such file or directory");
	tc = tls_conf(f->node_crt, path, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_KEY, path, "No such file or directory");
	tc = tls_conf(f->node_crt, f->node_key, path, NULL, NULL);
	CHECK_FAIL(&tc, L_CA, path, "No such file or directory");
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, path, NULL);
	CHECK_FAIL(&tc, L_CRL, path, "No such file or directory");
	tc = tls_conf(tmpdir, f->node_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_CERT, tmpdir, "Is a directory");
	if (geteuid() != 0) {
		/* root reads anything: only testable unprivileged. */
		chmod(f->node_key, 0);
		tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, NULL, NULL);
		CHECK_FAIL(&tc, L_KEY, f->node_key, "Permission denied");
		chmod(f->node_key, 0600);
	}

	/* Key of another certificate. */
	tc = tls_conf(f->node_crt, f->nodeb_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_KEY, f->nodeb_key, "key does not match certificate");

	/* Own certificate out of its validity period. */
	tc = tls_conf(f->exp_crt, f->exp_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_CERT, f->exp_crt,
	    "certificate expired on 2020-01-02T00:00:00Z");
	tc = tls_conf(f->fut_crt, f->fut_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_CERT, f->fut_crt, "certificate not yet valid");

	/* From another CA; revoked by our own CRL. */
	tc = tls_conf(f->other_crt, f->other_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_CERT, f->other_crt, "not signed by the CA");
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, f->crl_self, NULL);
	CHECK_FAIL(&tc, L_CERT, f->node_crt, "certificate revoked");
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, f->crl2, NULL);
	CHECK_FAIL(&tc, L_CRL, f->crl2, "CRL not signed by the CA");

	/* Unparsable PEM in each file. */
	bad = put_file("garbage.pem", garbage, sizeof(garbage) - 1);
	empty = put_file("empty.pem", "", 0);
	badkey = put_file("bad.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n", 59);
	tc = tls_conf(bad, f->node_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_CERT, bad, "cannot parse certificate: ");
	tc = tls_conf(empty, f->node_key, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_CERT, empty, "cannot parse certificate: ");
	tc = tls_conf(f->node_crt, badkey, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_KEY, badkey, "cannot parse key: ");
	tc = tls_conf(f->node_crt, f->node_crt, f->ca_crt, NULL, NULL);
	CHECK_FAIL(&tc, L_KEY, f->node_crt, "cannot parse key: ");
	tc = tls_conf(f->node_crt, f->node_key, empty, NULL, NULL);
	CHECK_FAIL(&tc, L_CA, empty, "no CA certificate in file");
	tc = tls_conf(f->node_crt, f->node_key, f->node_key, NULL, NULL);
	CHECK_FAIL(&tc, L_CA, f->node_key, "no CA certificate in file");
	tc = tls_conf(f->node_crt, f->node_key, bad, NULL, NULL);
	CHECK_FAIL(&tc, L_CA, bad, "cannot parse CA certificate: ");
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, empty, NULL);
	CHECK_FAIL(&tc, L_CRL, empty, "no CRL in file");
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, f->ca_crt, NULL);
	CHECK_FAIL(&tc, L_CRL, f->ca_crt, "no CRL in file");

	/* Bad priority strings: named "priority", with their line. */
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, NULL,
	    "NORMAL:+NO-SUCH-THING");
	CHECK_FAIL(&tc, L_PRIO, "priority",
	    "invalid priority string at \"+NO-SUCH-THING");
	tc = tls_conf(f->node_crt, f->node_key, f->ca_crt, NULL, "BOGUS");
	CHECK_FAIL(&tc, L_PRIO, "priority", "invalid priority string at ");
}

/* One end of an in-memory handshake and what its verify callback saw. */
struct side {
	struct verify_policy	 pol;
	int			 called;
	int			 rc;
	char			 reason[256];
	struct cert_ident	 id;
};

/* The verify callback, as tls.c installs it. */
static int
side_verify_cb(gnutls_session_t session)
{
	struct side	*sd = gnutls_session_get_ptr(session);

	sd->called = 1;
	sd->rc = verify_peer(session, &sd->pol, &sd->id, sd->reason,
	    sizeof(sd->reason));
	return (sd->rc != 0 ? GNUTLS_E_CERTIFICATE_ERROR : 0);
}

/*
 * Client credentials with ${crt}/${key} (NULL: none) trusting ${ca},
 * made without creds.c so that they may be expired or foreign.
 */
static gnutls_certificate_credentials_t
client_cred(const char *crt, const char *key, const char *ca)
{
	gnutls_certificate_credentials_t	 cc;

	if (gnutls_certificate_allocate_credentials(&cc) < 0 ||
	    gnutls_certificate_set_x509_trust_file(cc, ca,
	    GNUTLS_X509_FMT_PEM) <= 0 ||
	    (crt != NULL && gnutls_certificate_set_x509_key_file(cc, crt, key,
	    GNUTLS_X509_FMT_PEM) < 0)) {
		fprintf(stderr, "cannot make client credentials\n");
		exit(1);
	}
	return (cc);
}

/* What sent_cred() clients send, as they are: no sorting, no pruning. */
static gnutls_pcert_st	 sent_pcert[2];
static unsigned int	 sent_n;
static gnutls_privkey_t	 sent_key;

/* The client's certificate request callback for sent_cred(). */
static int
sent_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca,
    int nreq, const gnutls_pk_algorithm_t *algos, int nalgos,
    gnutls_pcert_st **pcert, unsigned int *npcert, gnutls_privkey_t *key)
{
	(void)session;
	(void)req_ca;
	(void)nreq;
	(void)algos;
	(void)nalgos;
	*pcert = sent_pcert;
	*npcert = sent_n;
	*key = sent_key;
	return (0);
}

/*
 * Client credentials trusting ${ca} that send ${leaf}'s certificate and
 * then ${extra}'s exactly so, as a peer whose chain file holds a stray
 * certificate may (a GnuTLS client loading a file drops it).  Free with
 * sent_cred_free().
 */
static gnutls_certificate_credentials_t
sent_cred(const struct pair *leaf, const struct pair *extra, const char *ca)
{
	gnutls_certificate_credentials_t	 cc;

	if (gnutls_certificate_allocate_credentials(&cc) < 0 ||
	    gnutls_certificate_set_x509_trust_file(cc, ca,
	    GNUTLS_X509_FMT_PEM) <= 0 ||
	    gnutls_pcert_import_x509(&sent_pcert[0], leaf->crt, 0) < 0 ||
	    gnutls_pcert_import_x509(&sent_pcert[1], extra->crt, 0) < 0 ||
	    gnutls_privkey_init(&sent_key) < 0 ||
	    gnutls_privkey_import_x509(sent_key, leaf->key, 0) < 0) {
		fprintf(stderr, "cannot make client credentials\n");
		exit(1);
	}
	sent_n = 2;
	gnutls_certificate_set_retrieve_function2(cc, sent_retrieve);
	return (cc);
}

/* Free what sent_cred() made. */
static void
sent_cred_free(gnutls_certificate_credentials_t cc)
{
	gnutls_certificate_free_credentials(cc);
	gnutls_pcert_deinit(&sent_pcert[0]);
	gnutls_pcert_deinit(&sent_pcert[1]);
	gnutls_privkey_deinit(sent_key);
	sent_n = 0;
}

/*
 * A TLS 1.3 handshake between a server using ${sc} and a client using
 * ${cc} over a socketpair, both verify callbacks calling verify_peer().
 * Return 0 if both ends completed it.
 */
static int
handshake(struct creds *sc, gnutls_certificate_credentials_t cc,
    struct side *srv, struct side *cli)
{
	gnutls_session_t	 s[2];
	int			 fd[2];
	int			 done[2] = { 0, 0 }, fail[2] = { 0, 0 };
	int			 i, n, r;

	srv->called = cli->called = 0;
	srv->rc = cli->rc = -2;
	srv->reason[0] = cli->reason[0] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) != 0 ||
	    fcntl(fd[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(fd[1], F_SETFL, O_NONBLOCK) != 0 ||
	    gnutls_init(&s[0], GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_init(&s[1], GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_priority_set(s[0], creds_priority(sc)) < 0 ||
	    gnutls_priority_set(s[1], creds_priority(sc)) < 0 ||
	    gnutls_credentials_set(s[0], GNUTLS_CRD_CERTIFICATE,
	    creds_gnutls(sc)) < 0 ||
	    gnutls_credentials_set(s[1], GNUTLS_CRD_CERTIFICATE, cc) < 0) {
		fprintf(stderr, "cannot set up sessions\n");
		exit(1);
	}
	gnutls_certificate_server_set_request(s[0], GNUTLS_CERT_REQUIRE);
	gnutls_session_set_ptr(s[0], srv);
	gnutls_session_set_ptr(s[1], cli);
	gnutls_session_set_verify_function(s[0], side_verify_cb);
	gnutls_session_set_verify_function(s[1], side_verify_cb);
	gnutls_transport_set_int(s[0], fd[0]);
	gnutls_transport_set_int(s[1], fd[1]);

	for (n = 0; n < 200 && !((done[0] || fail[0]) &&
	    (done[1] || fail[1])); n++) {
		for (i = 0; i < 2; i++) {
			if (done[i] || fail[i])
				continue;
			r = gnutls_handshake(s[i]);
			if (r == 0)
				done[i] = 1;
			else if (gnutls_error_is_fatal(r)) {
				fail[i] = 1;
				/* Let the other end see the end at once. */
				shutdown(fd[i], SHUT_RDWR);
			}
		}
	}
	gnutls_deinit(s[0]);
	gnutls_deinit(s[1]);
	close(fd[0]);
	close(fd[1]);
	return (done[0] && done[1] ? 0 : -1);
}

/* verify_peer in real handshakes: CA, CRL, validity, host, allow list. */
static void
test_verify_peer(const struct fx *f)
{
	struct tls_conf				 tc;
	struct creds				*sc, *sc2;
	gnutls_certificate_credentials_t	 cc;
	struct side				 srv, cli;
	char					 err[1024], buf[256];
	char					*allow_b[] = { "node-x",
						    "node-b.example" };
	char					*allow_x[] = { "node-x" };
	char					*allow_star[] = { "*" };
	char					 pin[VERIFY_PIN_LEN];
	char					*allow_pin[] = { pin };

	/* The server: IP SANs 127.0.0.2 and ::1, CA with a CRL. */
	tc = tls_conf(f->ip_crt, f->ip_key, f->ca_crt, f->crl, NULL);
	if ((sc = creds_load(&tc, CONF, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "server creds: %s\n", err);
		CHECK(0);
		return;
	}
	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));

	/* Good both ways: the client is allowed, the server proves its IP. */
	cc = client_cred(f->nodeb_crt, f->nodeb_key, f->ca_crt);
	cli.pol.host = "127.0.0.2";
	srv.pol.allow = allow_b;
	srv.pol.nallow = 2;
	CHECK(handshake(sc, cc, &srv, &cli) == 0);
	CHECK(cli.called && cli.rc == 0);
	CHECK(srv.called && srv.rc == 0);
	CHECK_STR(verify_ident_str(&srv.id, buf, sizeof(buf)),
	    "node-b.example");
	CHECK_STR(verify_ident_str(&cli.id, buf, sizeof(buf)),
	    "127.0.0.2,::1");
	/* Each link ends with the earliest expiry of its peer's chain:
	 * here the leaves', both before the CA's. */
	CHECK(srv.id.not_after ==
	    gnutls_x509_crt_get_expiration_time(f->nodeb.crt));
	CHECK(cli.id.not_after ==
	    gnutls_x509_crt_get_expiration_time(f->ipnode.crt));

	/* The same by pin, and by "*"; IPv6 written another way. */
	pin_of(f->nodeb.crt, pin, sizeof(pin));
	srv.pol.allow = allow_pin;
	srv.pol.nallow = 1;
	cli.pol.host = "0:0::1";
	CHECK(handshake(sc, cc, &srv, &cli) == 0);
	CHECK(srv.rc == 0 && cli.rc == 0);
	srv.pol.allow = allow_star;
	CHECK(handshake(sc, cc, &srv, &cli) == 0);

	/* Not in the allow list. */
	srv.pol.allow = allow_x;
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK(srv.rc == -1);
	CHECK_STR(srv.reason, "node-b.example not in allow list");

	/* Client asked for an address the server does not carry. */
	srv.pol.nallow = 0;
	cli.pol.host = "127.0.0.3";
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK(cli.rc == -1);
	CHECK_STR(cli.reason,
	    "certificate does not name 127.0.0.3 (has: 127.0.0.2,::1)");
	cli.pol.host = "localhost";
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK_STR(cli.reason,
	    "certificate does not name localhost (has: 127.0.0.2,::1)");
	cli.pol.host = NULL;
	gnutls_certificate_free_credentials(cc);

	/* CN-only client allowed by its CN. */
	cc = client_cred(f->cn_crt, f->cn_key, f->ca_crt);
	allow_x[0] = "NODE-C";
	srv.pol.allow = allow_x;
	srv.pol.nallow = 1;
	CHECK(handshake(sc, cc, &srv, &cli) == 0);
	CHECK(srv.id.from_cn);
	allow_x[0] = "node-x";
	srv.pol.nallow = 0;
	gnutls_certificate_free_credentials(cc);

	/* A chain whose intermediate, or whose CA, ends before the leaf. */
	cc = client_cred(f->chs_crt, f->chs_key, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) == 0);
	CHECK(srv.rc == 0 && srv.id.not_after ==
	    gnutls_x509_crt_get_expiration_time(f->inter_short.crt));
	gnutls_certificate_free_credentials(cc);
	cc = client_cred(f->out_crt, f->out_key, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) == 0);
	CHECK(srv.rc == 0 && srv.id.not_after ==
	    gnutls_x509_crt_get_expiration_time(f->ca.crt));
	gnutls_certificate_free_credentials(cc);
	/* A certificate sent along but outside the chain does not end the
	 * link; a leaf with no well-defined end (9999) ends with its CA. */
	cc = sent_cred(&f->straying, &f->stray, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) == 0);
	CHECK(srv.rc == 0 && srv.id.not_after ==
	    gnutls_x509_crt_get_expiration_time(f->straying.crt));
	sent_cred_free(cc);
	cc = client_cred(f->for_crt, f->for_key, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) == 0);
	CHECK(srv.rc == 0 && srv.id.not_after ==
	    gnutls_x509_crt_get_expiration_time(f->ca.crt));
	gnutls_certificate_free_credentials(cc);

	/* Revoked by the server's CRL. */
	cc = client_cred(f->rev_crt, f->rev_key, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK(srv.called && srv.rc == -1);
	CHECK_STR(srv.reason, "certificate revoked");
	CHECK_STR(verify_ident_str(&srv.id, buf, sizeof(buf)), "node-r");
	gnutls_certificate_free_credentials(cc);

	/* Expired and not yet valid (credentials made without creds.c). */
	cc = client_cred(f->exp_crt, f->exp_key, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK_STR(srv.reason, "certificate expired");
	gnutls_certificate_free_credentials(cc);
	cc = client_cred(f->fut_crt, f->fut_key, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK_STR(srv.reason, "certificate not yet valid");
	gnutls_certificate_free_credentials(cc);

	/* From another CA. */
	cc = client_cred(f->other_crt, f->other_key, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	/*
	 * A GnuTLS client whose certificate is not from a CA the server
	 * names in its request sends none, so the callback may not run.
	 */
	CHECK(!srv.called || strcmp(srv.reason, "not signed by the CA") == 0);
	gnutls_certificate_free_credentials(cc);

	/* No client certificate: the callback is not even reached. */
	cc = client_cred(NULL, NULL, f->ca_crt);
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK(!srv.called || srv.rc == -1);
	gnutls_certificate_free_credentials(cc);

	/* Client trusting another CA refuses the server. */
	cc = client_cred(f->nodeb_crt, f->nodeb_key, f->ca2_crt);
	CHECK(handshake(sc, cc, &srv, &cli) != 0);
	CHECK(cli.called && cli.rc == -1);
	CHECK_STR(cli.reason, "not signed by the CA");
	gnutls_certificate_free_credentials(cc);

	/* The server reloaded without the CRL entry: the peer passes again. */
	tc = tls_conf(f->ip_crt, f->ip_key, f->ca_crt, f->crl_none, NULL);
	if ((sc2 = creds_load(&tc, CONF, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "server creds: %s\n", err);
		CHECK(0);
	} else {
		cc = client_cred(f->rev_crt, f->rev_key, f->ca_crt);
		CHECK(handshake(sc2, cc, &srv, &cli) == 0);
		CHECK(srv.rc == 0);
		gnutls_certificate_free_credentials(cc);
		creds_unref(sc2);
	}
	/*
	 * A CRL past its next update still loads (only its signature is
	 * checked) and still revokes, as GnuTLS applies it to peers.
	 */
	tc = tls_conf(f->ip_crt, f->ip_key, f->ca_crt, f->crl_stale, NULL);
	if ((sc2 = creds_load(&tc, CONF, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "server creds: %s\n", err);
		CHECK(0);
	} else {
		cc = client_cred(f->nodeb_crt, f->nodeb_key, f->ca_crt);
		CHECK(handshake(sc2, cc, &srv, &cli) == 0);
		gnutls_certificate_free_credentials(cc);
		cc = client_cred(f->rev_crt, f->rev_key, f->ca_crt);
		CHECK(handshake(sc2, cc, &srv, &cli) != 0);
		CHECK_STR(srv.reason, "certificate revoked");
		gnutls_certificate_free_credentials(cc);
		creds_unref(sc2);
	}
	creds_unref(sc);
}

/* One wording for verification status bits, the worst reason first. */
static void
test_status_words(void)
{
	char	 buf[256];
	unsigned int inv = GNUTLS_CERT_INVALID;

	CHECK_STR(verify_status_words(inv | GNUTLS_CERT_REVOKED |
	    GNUTLS_CERT_EXPIRED | GNUTLS_CERT_SIGNER_NOT_FOUND, buf,
	    sizeof(buf)), "certificate revoked");
	CHECK_STR(verify_status_words(inv | GNUTLS_CERT_EXPIRED |
	    GNUTLS_CERT_SIGNER_NOT_FOUND, buf, sizeof(buf)),
	    "certificate expired");
	CHECK_STR(verify_status_words(inv | GNUTLS_CERT_NOT_ACTIVATED, buf,
	    sizeof(buf)), "certificate not yet valid");
	CHECK_STR(verify_status_words(inv | GNUTLS_CERT_SIGNER_NOT_CA, buf,
	    sizeof(buf)), "not signed by the CA");
	CHECK_STR(verify_status_words(inv | GNUTLS_CERT_SIGNATURE_FAILURE, buf,
	    sizeof(buf)), "not signed by the CA");
	CHECK_STR(verify_status_words(inv |
	    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, buf, sizeof(buf)),
	    "CRL out of date");
	/* anything else in GnuTLS's words, never an empty reason */
	CHECK(verify_status_words(inv | GNUTLS_CERT_INSECURE_ALGORITHM, buf,
	    sizeof(buf)) == buf && buf[0] != '\0');
}

int
main(void)
{
	struct fx	 f;
	struct pair	 ca;
	size_t		 i;

	if (gnutls_global_init() < 0) {
		fprintf(stderr, "gnutls_global_init failed\n");
		return (1);
	}
	test_pattern();
	test_allowed();
	test_proves_host();
	test_ident_str();
	test_status_words();

	make_pair(&ca, "Test CA", NULL, NULL, time(NULL) - 60,
	    time(NULL) + 86400, 1, NULL);
	test_from_crt(&ca);
	pair_free(&ca);

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	fx_make(&f);
	test_creds(&f);
	test_verify_peer(&f);
	fx_free(&f);

	for (i = 0; i < nfiles; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	rmdir(tmpdir);
	gnutls_global_deinit();
	TEST_DONE();
}
