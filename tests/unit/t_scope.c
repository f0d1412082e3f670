/*
 * t_scope.c: the names a trust anchor may vouch for (scope.c): what
 * parses, what is refused and why, and what each kind of entry covers.
 */
#include <stdio.h>
#include <string.h>

#include "scope.h"
#include "test.h"

/* Parse the ${n} entries ${s} into ${e}; 0 if all parse. */
static int
parse_all(const char *const *s, size_t n, struct scope_ent *e)
{
	const char	*why;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (scope_parse(s[i], &e[i], &why) != 0) {
			fprintf(stderr, "%s: %s\n", s[i], why);
			return (-1);
		}
	return (0);
}

/* scope_parse: the error for each kind of bad entry. */
static void
test_parse_bad(void)
{
	static const struct {
		const char	*in, *why;
	} bad[] = {
		{ "", "empty name" },
		{ "10.1.0.0/33", "bad prefix length: must be 0 to 32" },
		{ "10.1.0.0/", "bad prefix length: must be 0 to 32" },
		{ "10.1.0.0/016", "bad prefix length: must be 0 to 32" },
		{ "10.1.0.0/-1", "bad prefix length: must be 0 to 32" },
		{ "10.1.0.0/16x", "bad prefix length: must be 0 to 32" },
		{ "fd00::/129", "bad prefix length: must be 0 to 128" },
		{ "10.1.2.3/16", "address bits set beyond the prefix length" },
		{ "fd00::1/64", "address bits set beyond the prefix length" },
		{ "10.1.0/16", "bad network address before '/'" },
		{ "[::1]", "not an address or network" },
		{ "fd00:::1", "not an address or network" },
		{ "10.1.0", "not an address, network or host name" },
		{ "300.1.2.3", "not an address, network or host name" },
		{ "a..b", "not an address, network or host name" },
		{ "bad host", "not an address, network or host name" },
		{ "*org.example", "a pattern must start with \"*.\"" },
		{ "*", "a pattern must start with \"*.\"" },
		{ "*.", "not a host name after the prefix" },
		{ ".", "not a host name after the prefix" },
		{ "*.*.example", "\"*\" only as the whole first label (\"*.example\")" },
		{ "x*.example", "\"*\" only as the whole first label (\"*.example\")" },
	};
	struct scope_ent	 e;
	const char		*why;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(scope_parse(bad[i].in, &e, &why) == -1);
		if (why == NULL || strcmp(why, bad[i].why) != 0) {
			test_failures++;
			fprintf(stderr, "\"%s\": got \"%s\", want \"%s\"\n",
			    bad[i].in, why ? why : "(none)", bad[i].why);
		}
	}
}

/* scope_parse and scope_str: good entries come back as written, normalised. */
static void
test_parse_good(void)
{
	static const char *const in[] = {
		"10.1.0.0/16", "10.1.0.7", "10.1.0.7/32", "0.0.0.0/0",
		"fd00:1::/32", "FD00:1::", "::1", "node-b1", "Node-B1.",
		"*.org-a.example", ".Org-A.example", "x_1.example"
	};
	static const char *const out[] = {
		"10.1.0.0/16", "10.1.0.7", "10.1.0.7", "0.0.0.0/0",
		"fd00:1::/32", "fd00:1::", "::1", "node-b1", "node-b1",
		"*.org-a.example", ".org-a.example", "x_1.example"
	};
	struct scope_ent	 e;
	const char		*why;
	char			 buf[300];
	size_t			 i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		CHECK(scope_parse(in[i], &e, &why) == 0);
		CHECK_STR(scope_str(&e, buf, sizeof(buf)), out[i]);
	}
}

/* scope_vouches: networks by family and prefix, names by kind. */
static void
test_vouches(void)
{
	static const char *const org_a[] = {
		"127.1.0.0/16", "10.9.8.7", "fd00:1::/32", "node-a1",
		"*.org-a.example", ".deep.org-a.example"
	};
	struct scope_ent	 e[6];

	CHECK(parse_all(org_a, 6, e) == 0);
	/* addresses */
	CHECK(scope_vouches(e, 6, "127.1.0.1", 1));
	CHECK(scope_vouches(e, 6, "127.1.255.255", 1));
	CHECK(!scope_vouches(e, 6, "127.2.0.1", 1));
	CHECK(!scope_vouches(e, 6, "127.0.255.255", 1));
	CHECK(scope_vouches(e, 6, "10.9.8.7", 1));
	CHECK(!scope_vouches(e, 6, "10.9.8.6", 1));
	CHECK(scope_vouches(e, 6, "fd00:1::5", 1));
	CHECK(scope_vouches(e, 6, "fd00:1:ffff::5", 1));
	CHECK(!scope_vouches(e, 6, "fd00:2::5", 1));
	/* no family crossing: a mapped address is not the IPv4 one */
	CHECK(!scope_vouches(e, 6, "::ffff:127.1.0.1", 1));
	/* an address is never proved by a name entry, nor a name by a network */
	CHECK(!scope_vouches(e, 6, "127.1.0.1", 0));
	CHECK(!scope_vouches(e, 6, "node-a1", 1));
	/* names */
	CHECK(scope_vouches(e, 6, "node-a1", 0));
	CHECK(scope_vouches(e, 6, "NODE-A1.", 0));
	CHECK(!scope_vouches(e, 6, "node-a10", 0));
	CHECK(!scope_vouches(e, 6, "x.node-a1", 0));
	/* "*.": exactly one label */
	CHECK(scope_vouches(e, 6, "n1.org-a.example", 0));
	CHECK(scope_vouches(e, 6, "N1.Org-A.Example.", 0));
	CHECK(!scope_vouches(e, 6, "org-a.example", 0));
	CHECK(!scope_vouches(e, 6, ".org-a.example", 0));
	CHECK(!scope_vouches(e, 6, "a.b.org-a.example", 0));
	CHECK(!scope_vouches(e, 6, "n1.evil-org-a.example", 0));
	CHECK(!scope_vouches(e, 6, "n1org-a.example", 0));
	/* ".suffix": any depth below, not the suffix itself */
	CHECK(scope_vouches(e, 6, "a.deep.org-a.example", 0));
	CHECK(scope_vouches(e, 6, "a.b.c.deep.org-a.example", 0));
	CHECK(!scope_vouches(e + 5, 1, "deep.org-a.example", 0));
	CHECK(!scope_vouches(e, 6, "a.notdeep.org-a.example", 0));
	/* garbage the certificate might carry */
	CHECK(!scope_vouches(e, 6, "", 0));
	CHECK(!scope_vouches(e, 6, "not an ip", 1));
	/* no names: anything */
	CHECK(scope_vouches(e, 0, "127.2.0.1", 1));
	CHECK(scope_vouches(e, 0, "anything", 0));
	CHECK(scope_vouches(NULL, 0, "anything", 0));
}

/* /0 covers its whole family and nothing of the other. */
static void
test_edges(void)
{
	static const char *const all[] = { "0.0.0.0/0", "::/0" };
	static const char *const v4[] = { "0.0.0.0/0" };
	static const char *const odd[] = { "10.1.0.128/25", "fc00::/7" };
	struct scope_ent	 e[2];

	CHECK(parse_all(all, 2, e) == 0);
	CHECK(scope_vouches(e, 2, "1.2.3.4", 1));
	CHECK(scope_vouches(e, 2, "2001:db8::1", 1));
	CHECK(!scope_vouches(e, 2, "host", 0));
	CHECK(parse_all(v4, 1, e) == 0);
	CHECK(!scope_vouches(e, 1, "::1", 1));
	CHECK(parse_all(odd, 2, e) == 0);
	CHECK(scope_vouches(e, 2, "10.1.0.200", 1));
	CHECK(!scope_vouches(e, 2, "10.1.0.127", 1));
	CHECK(scope_vouches(e, 2, "fc00::1", 1));
	CHECK(scope_vouches(e, 2, "fdff::1", 1));
	CHECK(!scope_vouches(e, 2, "fe00::1", 1));
}

int
main(void)
{
	test_parse_bad();
	test_parse_good();
	test_vouches();
	test_edges();
	TEST_DONE();
}
