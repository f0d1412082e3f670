/*
 * t_nameconstraint.c: unit tests for nameconstraint.c (parsing and
 * matching subtrees) and verify_chain_constraints(), and a record of what
 * GnuTLS itself does with the name constraints of a trust anchor
 * (issue 11): certificates made here with the GnuTLS X.509 API, verified
 * with gnutls_x509_trust_list_verify_crt2() as a session's
 * gnutls_certificate_verify_peers2() does.
 *
 * What GnuTLS 3.7.9 (Debian 3.7.9-2+deb12u7) was seen to do, read with
 * its source (lib/x509/verify.c, verify_crt(): the constraints of every
 * issuer, the trusted one included, are merged and checked on the leaf):
 *  - it enforces the constraints of the trust anchor itself, and of
 *    intermediates, on a leaf's IP and DNS SANs (cases 1 to 3 below);
 *  - but on its own reading of names, which differs from the one stunneld
 *    matches peers with (case 4): a "*.org-c.example" SAN is not held to
 *    an excluded "node.org-c.example" (stunneld lets that SAN prove
 *    node.org-c.example); an IPv6 SAN, IPv4-mapped ones included, is not
 *    held to IPv4-only ranges (::ffff:127.2.0.5 passes 127.1.0.0/16); the
 *    CN of a certificate without DNS SANs is held to DNS constraints only
 *    when its key purpose allows a TLS server, so a client-only
 *    certificate named by its CN (which stunneld's allow lists match) is
 *    not.  Upstream's 3.7.9 tag also compares DNS constraints
 *    case-sensitively and with a trailing dot as part of the name (Debian
 *    backports the fix: its build refuses NODE.ORG-B.EXAMPLE and
 *    node.org-b.example. under an excluded org-b.example), so what GnuTLS
 *    enforces depends on its build.
 * Each verdict is printed (so that a change in GnuTLS shows) and the
 * cases GnuTLS lets through are checked to be refused by
 * verify_chain_constraints(), which verify_peer() applies on top.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "nameconstraint.h"
#include "test.h"
#include "verify.h"
#include "verify_gnutls.h"

/* Parse ${s} into ${st} or fail the test. */
static void
sub(const char *s, struct nameconstraint_subtree *st)
{
	char	err[256];

	if (nameconstraint_parse(s, st, err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot parse %s: %s\n", s, err);
		CHECK(0);
	}
}

/* 1 if ${s} parses and prints back as ${want}. */
static int
parses_as(const char *s, const char *want)
{
	struct nameconstraint_subtree	 st;
	char				 err[256], buf[NAMECONSTRAINT_STRLEN];

	if (nameconstraint_parse(s, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", s, err);
		return (0);
	}
	nameconstraint_str(&st, buf, sizeof(buf));
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "%s: printed as %s, not %s\n", s, buf, want);
		return (0);
	}
	return (1);
}

/* The error of parsing ${s} (which must fail), in a static buffer. */
static const char *
parse_err(const char *s)
{
	static char			 err[256];
	struct nameconstraint_subtree	 st;

	err[0] = '\0';
	if (nameconstraint_parse(s, &st, err, sizeof(err)) == 0)
		return ("(parsed)");
	return (err);
}

static void
test_parse(void)
{
	struct nameconstraint_subtree	 st, back;
	uint8_t				 der[32];
	size_t				 len;

	CHECK(parses_as("10.1.0.0/16", "10.1.0.0/16"));
	CHECK(parses_as("127.1.0.0/16", "127.1.0.0/16"));
	CHECK(parses_as("10.1.2.3", "10.1.2.3/32"));
	CHECK(parses_as("0.0.0.0/0", "0.0.0.0/0"));
	CHECK(parses_as("fd00:1::/32", "fd00:1::/32"));
	CHECK(parses_as("::1", "::1/128"));
	CHECK(parses_as("org-a.example", "org-a.example"));
	CHECK(parses_as(".org-a.example", ".org-a.example"));
	CHECK(parses_as("Org-A.Example.", "org-a.example"));
	CHECK(parses_as("node_1.example", "node_1.example"));

	CHECK(strstr(parse_err("10.1.2.0/16"), "host bits set in "
	    "10.1.2.0/16 (10.1.0.0/16?)") != NULL);
	CHECK(strstr(parse_err("10.1.0.0/33"), "prefix length must be 0 to "
	    "32") != NULL);
	CHECK(strstr(parse_err("fd00::/129"), "0 to 128") != NULL);
	CHECK(strstr(parse_err("10.1.0.0/"), "prefix length") != NULL);
	CHECK(strstr(parse_err("10.1.0.0/+8"), "prefix length") != NULL);
	CHECK(strstr(parse_err("10.1.0.0/16x"), "prefix length") != NULL);
	CHECK(strstr(parse_err("10.1.0/16"), "not an IPv4 or IPv6 CIDR") !=
	    NULL);
	CHECK(strstr(parse_err("*.org-a.example"), "\".org-a.example\"") !=
	    NULL);
	CHECK(strstr(parse_err(""), "not an IP address, CIDR or DNS") != NULL);
	CHECK(strstr(parse_err("."), "not an IP") != NULL);
	CHECK(strstr(parse_err("a..b"), "not an IP") != NULL);
	CHECK(strstr(parse_err("a b"), "not an IP") != NULL);
	CHECK(strstr(parse_err("-"), "not an IP") == NULL);	/* a label */
	CHECK(strstr(parse_err("10.1.2.3."), "without dots") != NULL);
	CHECK(strstr(parse_err(".10.1.2.3"), "without dots") != NULL);

	/* The iPAddress form (address, mask) and back. */
	sub("10.1.0.0/16", &st);
	nameconstraint_to_ip(&st, der, &len);
	CHECK(len == 8);
	CHECK(memcmp(der, "\x0a\x01\x00\x00\xff\xff\x00\x00", 8) == 0);
	CHECK(nameconstraint_from_ip(der, len, &back) == 0);
	CHECK(back.family == AF_INET && back.prefix == 16 &&
	    memcmp(back.addr, st.addr, 4) == 0);
	sub("fd00:1::/33", &st);
	nameconstraint_to_ip(&st, der, &len);
	CHECK(len == 32 && der[16 + 4] == 0x80 && der[16 + 3] == 0xff &&
	    der[16 + 5] == 0);
	CHECK(nameconstraint_from_ip(der, len, &back) == 0 &&
	    back.prefix == 33 && back.family == AF_INET6);
	/* A mask with a hole, or a wrong length, is not a range. */
	CHECK(nameconstraint_from_ip((const uint8_t *)
	    "\x0a\x00\x00\x00\xff\x00\xff\x00", 8, &back) == -1);
	CHECK(nameconstraint_from_ip(der, 16, &back) == -1);
	/* Host bits in a certificate's range are dropped, not trusted. */
	CHECK(nameconstraint_from_ip((const uint8_t *)
	    "\x0a\x01\x02\x03\xff\xff\x00\x00", 8, &back) == 0 &&
	    memcmp(back.addr, "\x0a\x01\x00\x00", 4) == 0);
	CHECK(nameconstraint_from_dns("A.Example.", 10, &back) == 0 &&
	    strcmp(back.dns, "a.example") == 0);
	CHECK(nameconstraint_from_dns("a\0b", 3, &back) == -1);
	CHECK(nameconstraint_from_dns(".", 1, &back) == 0 &&
	    back.dns[0] == '\0');
}

static void
test_match(void)
{
	struct nameconstraint_subtree	 v4, v6, apex, below, host, all;

	sub("127.1.0.0/16", &v4);
	sub("fd00:1::/32", &v6);
	sub("org-a.example", &apex);
	sub(".org-a.example", &below);
	sub("node.org-b.example", &host);
	CHECK(nameconstraint_from_dns("", 0, &all) == 0);

	CHECK(nameconstraint_within(&v4, "127.1.0.5", 1));
	CHECK(nameconstraint_within(&v4, "127.1.255.255", 1));
	CHECK(!nameconstraint_within(&v4, "127.2.0.5", 1));
	CHECK(!nameconstraint_within(&v4, "127.0.255.255", 1));
	CHECK(nameconstraint_within(&v4, "::ffff:127.1.0.5", 1));
	CHECK(!nameconstraint_within(&v4, "::ffff:127.2.0.5", 1));
	CHECK(!nameconstraint_within(&v4, "fd00:1::5", 1));
	CHECK(nameconstraint_within(&v6, "fd00:1:ffff::5", 1));
	CHECK(!nameconstraint_within(&v6, "fd00:2::5", 1));
	CHECK(!nameconstraint_within(&v6, "127.1.0.5", 1));
	/* An address is never a name, nor the other way round. */
	CHECK(!nameconstraint_within(&v4, "127.1.0.5", 0));
	CHECK(!nameconstraint_within(&apex, "org-a.example", 1));

	CHECK(nameconstraint_within(&apex, "org-a.example", 0));
	CHECK(nameconstraint_within(&apex, "node.org-a.example", 0));
	CHECK(nameconstraint_within(&apex, "a.b.org-a.example", 0));
	CHECK(nameconstraint_within(&apex, "NODE.Org-A.example.", 0));
	CHECK(!nameconstraint_within(&apex, "evilorg-a.example", 0));
	CHECK(!nameconstraint_within(&apex, "org-a.example.evil", 0));
	CHECK(!nameconstraint_within(&below, "org-a.example", 0));
	CHECK(nameconstraint_within(&below, "node.org-a.example", 0));
	CHECK(!nameconstraint_within(&below, "xorg-a.example", 0));
	CHECK(nameconstraint_within(&apex, "*.org-a.example", 0));
	CHECK(nameconstraint_within(&below, "*.org-a.example", 0));
	CHECK(nameconstraint_within(&below, "*.b.org-a.example", 0));
	CHECK(!nameconstraint_within(&below, "*.example", 0));
	CHECK(!nameconstraint_within(&host, "*.org-b.example", 0));
	CHECK(nameconstraint_within(&all, "anything", 0));

	/* Exclusion: some name of a pattern in the subtree is enough. */
	CHECK(nameconstraint_overlaps(&host, "node.org-b.example", 0));
	CHECK(nameconstraint_overlaps(&host, "NODE.ORG-B.EXAMPLE", 0));
	CHECK(nameconstraint_overlaps(&host, "node.org-b.example.", 0));
	CHECK(nameconstraint_overlaps(&host, "*.org-b.example", 0));
	CHECK(nameconstraint_overlaps(&host, "x.node.org-b.example", 0));
	CHECK(nameconstraint_overlaps(&host, "*.node.org-b.example", 0));
	CHECK(!nameconstraint_overlaps(&host, "*.example", 0));
	CHECK(!nameconstraint_overlaps(&host, "other.org-b.example", 0));
	CHECK(nameconstraint_overlaps(&below, "*.org-a.example", 0));
	CHECK(!nameconstraint_overlaps(&v4, "127.2.0.5", 1));
	CHECK(nameconstraint_overlaps(&v4, "127.1.2.3", 1));
}

/* Add ${name} to ${id}, as verify_ident_from_crt() would. */
static void
ident_add(struct cert_ident *id, const char *name, int is_ip)
{
	snprintf(id->ent[id->n].name, sizeof(id->ent[id->n].name), "%s",
	    name);
	id->ent[id->n].is_ip = is_ip;
	id->n++;
}

static void
test_check(void)
{
	struct nameconstraint_check	 c;
	struct nameconstraint_subtree	 v4, below, ex;
	struct cert_ident		 id;
	int				 excl = -1;

	sub("127.1.0.0/16", &v4);
	sub(".org-a.example", &below);
	sub("127.1.9.0/24", &ex);

	memset(&id, 0, sizeof(id));
	ident_add(&id, "node.org-a.example", 0);
	ident_add(&id, "127.1.0.5", 1);
	nameconstraint_check_begin(&c, &id);
	nameconstraint_check_add(&c, &v4, 0);
	nameconstraint_check_add(&c, &below, 0);
	nameconstraint_check_add(&c, &ex, 1);
	CHECK(nameconstraint_check_end(&c, &excl) == -1);

	/* One name out of range is enough. */
	ident_add(&id, "127.2.0.5", 1);
	nameconstraint_check_begin(&c, &id);
	nameconstraint_check_add(&c, &v4, 0);
	nameconstraint_check_add(&c, &below, 0);
	CHECK(nameconstraint_check_end(&c, &excl) == 2 && excl == 0);

	/* Excluded wins over permitted. */
	memset(&id, 0, sizeof(id));
	ident_add(&id, "127.1.9.7", 1);
	nameconstraint_check_begin(&c, &id);
	nameconstraint_check_add(&c, &v4, 0);
	nameconstraint_check_add(&c, &ex, 1);
	CHECK(nameconstraint_check_end(&c, &excl) == 0 && excl == 1);

	/* A CA that permits only addresses leaves names alone (RFC 5280). */
	memset(&id, 0, sizeof(id));
	ident_add(&id, "node-b1", 0);
	ident_add(&id, "127.1.0.7", 1);
	nameconstraint_check_begin(&c, &id);
	nameconstraint_check_add(&c, &v4, 0);
	CHECK(nameconstraint_check_end(&c, NULL) == -1);
	/* ... and one that permits names holds a CN to them. */
	memset(&id, 0, sizeof(id));
	ident_add(&id, "node-b1", 0);
	id.from_cn = 1;
	nameconstraint_check_begin(&c, &id);
	nameconstraint_check_add(&c, &below, 0);
	CHECK(nameconstraint_check_end(&c, NULL) == 0);
	/* No constraints at all: anything. */
	nameconstraint_check_begin(&c, &id);
	CHECK(nameconstraint_check_end(&c, NULL) == -1);
}

/* --- certificates ------------------------------------------------------ */

#define EKU_BOTH	0
#define EKU_CLIENT	1
#define EKU_NONE	2

struct pair {
	gnutls_x509_crt_t	 crt;
	gnutls_x509_privkey_t	 key;
	gnutls_datum_t		 der;
};

/*
 * A certificate for a new key: CN ${cn} (may be NULL), the
 * comma-separated SANs ${dns} and ${ips} (may be NULL), a CA with the
 * comma-separated ${permit} and ${exclude} constraints (may be NULL) if
 * ${ca}, key purpose ${eku} if not, signed by ${issuer} (NULL:
 * self-signed).  Exit on failure.
 */
static void
make(struct pair *p, const char *cn, const char *dns, const char *ips,
    int ca, const char *permit, const char *exclude, int eku,
    const struct pair *issuer)
{
	static unsigned char		 serial = 1;
	struct nameconstraint_subtree	 st;
	gnutls_x509_name_constraints_t	 nc;
	unsigned char			 ser[2] = { 0x20, 0 }, kid[64];
	unsigned char			 addr[16];
	uint8_t				 der[32];
	size_t				 kidlen = sizeof(kid), len;
	char				 list[512], *s, *save;
	gnutls_datum_t			 d;
	time_t				 now = time(NULL);
	int				 ret = 0, k;

	if (gnutls_x509_privkey_init(&p->key) < 0 ||
	    gnutls_x509_privkey_generate(p->key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(&p->crt) < 0)
		goto fail;
	ser[1] = serial++;
	ret |= gnutls_x509_crt_set_version(p->crt, 3);
	ret |= gnutls_x509_crt_set_serial(p->crt, ser, sizeof(ser));
	ret |= gnutls_x509_crt_set_activation_time(p->crt, now - 60);
	ret |= gnutls_x509_crt_set_expiration_time(p->crt, now + 86400);
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
	if (!ca && eku != EKU_NONE) {
		if (eku == EKU_BOTH)
			ret |= gnutls_x509_crt_set_key_purpose_oid(p->crt,
			    GNUTLS_KP_TLS_WWW_SERVER, 0);
		ret |= gnutls_x509_crt_set_key_purpose_oid(p->crt,
		    GNUTLS_KP_TLS_WWW_CLIENT, 0);
	}
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
			len = inet_pton(AF_INET, s, addr) == 1 ? 4 : 16;
			if (len == 16 && inet_pton(AF_INET6, s, addr) != 1)
				goto fail;
			ret |= gnutls_x509_crt_set_subject_alt_name(p->crt,
			    GNUTLS_SAN_IPADDRESS, addr, (unsigned int)len,
			    GNUTLS_FSAN_APPEND);
		}
	}
	if (ca && (permit != NULL || exclude != NULL)) {
		if (gnutls_x509_name_constraints_init(&nc) < 0)
			goto fail;
		for (k = 0; k < 2; k++) {
			if ((k == 0 ? permit : exclude) == NULL)
				continue;
			snprintf(list, sizeof(list), "%s",
			    k == 0 ? permit : exclude);
			for (s = strtok_r(list, ",", &save); s != NULL;
			    s = strtok_r(NULL, ",", &save)) {
				if (strncmp(s, "dns:", 4) == 0) {
					/* verbatim, for odd spellings */
					d.data = (unsigned char *)s + 4;
					d.size = (unsigned int)strlen(s + 4);
					ret |= (k == 0 ?
					    gnutls_x509_name_constraints_add_permitted :
					    gnutls_x509_name_constraints_add_excluded)(
					    nc, GNUTLS_SAN_DNSNAME, &d);
					continue;
				}
				sub(s, &st);
				if (st.is_ip) {
					nameconstraint_to_ip(&st, der, &len);
					d.data = der;
					d.size = (unsigned int)len;
				} else {
					d.data = (unsigned char *)st.dns;
					d.size = (unsigned int)strlen(st.dns);
				}
				ret |= (k == 0 ?
				    gnutls_x509_name_constraints_add_permitted :
				    gnutls_x509_name_constraints_add_excluded)(
				    nc, st.is_ip ? GNUTLS_SAN_IPADDRESS :
				    GNUTLS_SAN_DNSNAME, &d);
			}
		}
		ret |= gnutls_x509_crt_set_name_constraints(p->crt, nc, 1);
		gnutls_x509_name_constraints_deinit(nc);
	}
	if (issuer != NULL) {
		kidlen = sizeof(kid);
		ret |= gnutls_x509_crt_get_subject_key_id(issuer->crt, kid,
		    &kidlen, NULL);
		ret |= gnutls_x509_crt_set_authority_key_id(p->crt, kid,
		    kidlen);
	}
	if (ret != 0 || gnutls_x509_crt_sign2(p->crt,
	    issuer ? issuer->crt : p->crt, issuer ? issuer->key : p->key,
	    GNUTLS_DIG_SHA256, 0) < 0)
		goto fail;
	/* Re-import: GnuTLS reads some extensions only at import. */
	if (gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_DER, &p->der) < 0)
		goto fail;
	gnutls_x509_crt_deinit(p->crt);
	if (gnutls_x509_crt_init(&p->crt) < 0 ||
	    gnutls_x509_crt_import(p->crt, &p->der, GNUTLS_X509_FMT_DER) < 0)
		goto fail;
	return;

fail:
	fprintf(stderr, "cannot make certificate %s\n", cn ? cn : "(no CN)");
	exit(1);
}

static void
pair_free(struct pair *p)
{
	gnutls_x509_crt_deinit(p->crt);
	gnutls_x509_privkey_deinit(p->key);
	gnutls_free(p->der.data);
}

/* A trust list holding (a copy of) ${anchor} only. */
static gnutls_x509_trust_list_t
trust(const struct pair *anchor)
{
	gnutls_x509_trust_list_t	 tl;
	gnutls_x509_crt_t		 c;

	if (gnutls_x509_trust_list_init(&tl, 0) < 0 ||
	    gnutls_x509_crt_init(&c) < 0 ||
	    gnutls_x509_crt_import(c, &anchor->der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_add_cas(tl, &c, 1, 0) != 1) {
		fprintf(stderr, "cannot make trust list\n");
		exit(1);
	}
	return (tl);
}

/*
 * GnuTLS's verdict on the chain ${leaf} (, ${mid}) against the anchor
 * ${anchor}: its status bits.
 */
static unsigned int
gnutls_verdict(const struct pair *anchor, const struct pair *leaf,
    const struct pair *mid)
{
	gnutls_x509_trust_list_t	 tl = trust(anchor);
	gnutls_x509_crt_t		 chain[2];
	unsigned int			 status = 0;

	chain[0] = leaf->crt;
	chain[1] = mid != NULL ? mid->crt : NULL;
	if (gnutls_x509_trust_list_verify_crt2(tl, chain, mid ? 2 : 1, NULL,
	    0, 0, &status, NULL) < 0)
		status = (unsigned int)-1;
	gnutls_x509_trust_list_deinit(tl, 1);
	return (status);
}

/*
 * verify_chain_constraints() on ${leaf} (, ${mid}) against ${anchor}:
 * its return, the reason in ${reason}.
 */
static int
ours(const struct pair *anchor, const struct pair *leaf,
    const struct pair *mid, char *reason, size_t len)
{
	gnutls_x509_trust_list_t	 tl = trust(anchor);
	struct cert_ident		 id;
	gnutls_datum_t			 certs[2];
	int				 rc;

	reason[0] = '\0';
	certs[0] = leaf->der;
	if (mid != NULL)
		certs[1] = mid->der;
	if (verify_ident_from_crt(leaf->crt, &id) != 0) {
		fprintf(stderr, "leaf without identity\n");
		exit(1);
	}
	rc = verify_chain_constraints(tl, certs, mid ? 2 : 1, &id, reason,
	    len);
	gnutls_x509_trust_list_deinit(tl, 1);
	return (rc);
}

#define NC_FAIL	(GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)

static void
test_gnutls(void)
{
	struct pair	 rootA, rootU, midU, midA, good, bad, good2, bad2;
	struct pair	 rootX, upper, dot, star, cnonly, cnboth, mapped, v6;
	char		 r[1024];
	unsigned int	 st;

	make(&rootA, "Org A CA", NULL, NULL, 1,
	    "127.1.0.0/16,.org-a.example", NULL, 0, NULL);
	make(&good, "node.org-a.example", "node.org-a.example", "127.1.0.5", 0,
	    NULL, NULL, EKU_BOTH, &rootA);
	make(&bad, "node.org-b.example", "node.org-b.example", "127.2.0.5", 0,
	    NULL, NULL, EKU_BOTH, &rootA);

	/* 1. The anchor's own constraints: GnuTLS enforces them. */
	st = gnutls_verdict(&rootA, &good, NULL);
	printf("GnuTLS, constrained anchor, leaf in range: 0x%x\n", st);
	CHECK(st == 0);
	st = gnutls_verdict(&rootA, &bad, NULL);
	printf("GnuTLS, constrained anchor, leaf 127.2.0.5 "
	    "node.org-b.example: 0x%x\n", st);
	CHECK(st == NC_FAIL);
	CHECK(ours(&rootA, &good, NULL, r, sizeof(r)) == 0);
	CHECK(ours(&rootA, &bad, NULL, r, sizeof(r)) == -1);
	printf("ours: %s\n", r);
	CHECK(strstr(r, "CA \"CN=Org A CA\" (sha256:") != NULL);
	CHECK(strstr(r, ") may not vouch for node.org-b.example "
	    "(nameConstraints permit 127.1.0.0/16, .org-a.example)") != NULL);

	/* 2. Constrained anchor, unconstrained intermediate. */
	make(&midU, "Org A issuing CA", NULL, NULL, 1, NULL, NULL, 0, &rootA);
	make(&good2, NULL, NULL, "127.1.0.6", 0, NULL, NULL, EKU_BOTH, &midU);
	make(&bad2, NULL, NULL, "127.2.0.6", 0, NULL, NULL, EKU_BOTH, &midU);
	st = gnutls_verdict(&rootA, &good2, &midU);
	CHECK(st == 0);
	st = gnutls_verdict(&rootA, &bad2, &midU);
	printf("GnuTLS, constrained anchor, free intermediate, leaf "
	    "127.2.0.6: 0x%x\n", st);
	CHECK(st == NC_FAIL);
	CHECK(ours(&rootA, &good2, &midU, r, sizeof(r)) == 0);
	CHECK(ours(&rootA, &bad2, &midU, r, sizeof(r)) == -1);
	CHECK(strstr(r, "CA \"CN=Org A CA\"") != NULL &&
	    strstr(r, "may not vouch for 127.2.0.6") != NULL);
	pair_free(&good2);
	pair_free(&bad2);

	/* 3. Free anchor, constrained intermediate. */
	make(&rootU, "Network CA", NULL, NULL, 1, NULL, NULL, 0, NULL);
	make(&midA, "Org A sub CA", NULL, NULL, 1, "127.1.0.0/16", NULL, 0,
	    &rootU);
	make(&good2, NULL, NULL, "127.1.0.7", 0, NULL, NULL, EKU_BOTH, &midA);
	make(&bad2, NULL, NULL, "127.2.0.7", 0, NULL, NULL, EKU_BOTH, &midA);
	CHECK(gnutls_verdict(&rootU, &good2, &midA) == 0);
	st = gnutls_verdict(&rootU, &bad2, &midA);
	printf("GnuTLS, free anchor, constrained intermediate, leaf "
	    "127.2.0.7: 0x%x\n", st);
	CHECK(st == NC_FAIL);
	CHECK(ours(&rootU, &good2, &midA, r, sizeof(r)) == 0);
	CHECK(ours(&rootU, &bad2, &midA, r, sizeof(r)) == -1);
	CHECK(strstr(r, "CA \"CN=Org A sub CA\"") != NULL &&
	    strstr(r, "may not vouch for 127.2.0.7 (nameConstraints permit "
	    "127.1.0.0/16)") != NULL);

	/* 4. Where GnuTLS reads names otherwise than stunneld matches them:
	 * printed, and refused by ours whatever GnuTLS says. */
	/* Exclusions on a CA that permits no names: only they hold them. */
	make(&rootX, "Org X CA", NULL, NULL, 1, "127.1.0.0/16",
	    "org-b.example,node.org-c.example", 0, NULL);
	make(&cnonly, "node-b1", NULL, NULL, 0, NULL, NULL, EKU_CLIENT,
	    &rootA);
	make(&cnboth, "node-b1", NULL, NULL, 0, NULL, NULL, EKU_BOTH, &rootA);
	make(&mapped, NULL, NULL, "::ffff:127.2.0.5", 0, NULL, NULL, EKU_BOTH,
	    &rootX);
	make(&v6, NULL, NULL, "fd00::5", 0, NULL, NULL, EKU_BOTH, &rootX);
	make(&upper, NULL, "NODE.ORG-B.EXAMPLE", NULL, 0, NULL, NULL, EKU_BOTH,
	    &rootX);
	make(&dot, NULL, "node.org-b.example.", NULL, 0, NULL, NULL, EKU_BOTH,
	    &rootX);
	make(&star, NULL, "*.org-c.example", NULL, 0, NULL, NULL, EKU_BOTH,
	    &rootX);
	printf("GnuTLS, DNS SAN NODE.ORG-B.EXAMPLE, org-b.example "
	    "excluded: 0x%x\n", gnutls_verdict(&rootX, &upper, NULL));
	printf("GnuTLS, DNS SAN node.org-b.example., org-b.example "
	    "excluded: 0x%x\n", gnutls_verdict(&rootX, &dot, NULL));
	printf("GnuTLS, DNS SAN *.org-c.example, node.org-c.example "
	    "excluded: 0x%x\n", gnutls_verdict(&rootX, &star, NULL));
	printf("GnuTLS, IP SAN ::ffff:127.2.0.5, 127.1.0.0/16 "
	    "permitted: 0x%x\n", gnutls_verdict(&rootX, &mapped, NULL));
	printf("GnuTLS, IP SAN fd00::5, 127.1.0.0/16 permitted: 0x%x\n",
	    gnutls_verdict(&rootX, &v6, NULL));
	CHECK(ours(&rootX, &upper, NULL, r, sizeof(r)) == -1 &&
	    strstr(r, "may not vouch for node.org-b.example (excluded by "
	    "its nameConstraints)") != NULL);
	CHECK(ours(&rootX, &dot, NULL, r, sizeof(r)) == -1 &&
	    strstr(r, "excluded") != NULL);
	CHECK(ours(&rootX, &star, NULL, r, sizeof(r)) == -1 &&
	    strstr(r, "may not vouch for *.org-c.example") != NULL);
	CHECK(ours(&rootX, &mapped, NULL, r, sizeof(r)) == -1 &&
	    strstr(r, "may not vouch for ::ffff:127.2.0.5") != NULL);
	CHECK(ours(&rootX, &v6, NULL, r, sizeof(r)) == -1 &&
	    strstr(r, "may not vouch for fd00::5 (nameConstraints permit "
	    "127.1.0.0/16)") != NULL);

	/* A certificate named by its CN only, under DNS constraints. */
	printf("GnuTLS, CN-only node-b1 (client key purpose only), "
	    ".org-a.example permitted: 0x%x\n",
	    gnutls_verdict(&rootA, &cnonly, NULL));
	printf("GnuTLS, CN-only node-b1 (server and client), .org-a.example "
	    "permitted: 0x%x\n", gnutls_verdict(&rootA, &cnboth, NULL));
	CHECK(gnutls_verdict(&rootA, &cnboth, NULL) == NC_FAIL);
	CHECK(ours(&rootA, &cnonly, NULL, r, sizeof(r)) == -1 &&
	    strstr(r, "may not vouch for node-b1") != NULL);
	CHECK(ours(&rootA, &cnboth, NULL, r, sizeof(r)) == -1);

	pair_free(&rootA);
	pair_free(&good);
	pair_free(&bad);
	pair_free(&midU);
	pair_free(&rootU);
	pair_free(&midA);
	pair_free(&good2);
	pair_free(&bad2);
	pair_free(&rootX);
	pair_free(&upper);
	pair_free(&dot);
	pair_free(&star);
	pair_free(&cnonly);
	pair_free(&cnboth);
	pair_free(&mapped);
	pair_free(&v6);
}

int
main(void)
{
	if (gnutls_global_init() < 0)
		return (1);
	test_parse();
	test_match();
	test_check();
	test_gnutls();
	gnutls_global_deinit();
	TEST_DONE();
}
