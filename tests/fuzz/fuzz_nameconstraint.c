/*
 * fuzz_nameconstraint.c: libFuzzer target for the name constraints of
 * stunneld/nameconstraint.c: nameconstraint_parse() (stunnelctl cert ca
 * --permit/--exclude), nameconstraint_from_ip() and _from_dns() (what a
 * CA certificate holds), _str(), _to_ip(), _within(), _overlaps() and
 * the check on an identity.
 *
 * The whole input is read as the raw bytes of an iPAddress constraint;
 * then it is split at NUL bytes into strings: the first is read as a
 * dNSName constraint and parsed as a subtree, the others are names.
 * Invariants, abort() when broken:
 *  - what parses prints within NAMECONSTRAINT_STRLEN and parses back to
 *    the same subtree; an IP range goes to the iPAddress form and back
 *    unchanged; a failure says why;
 *  - from_ip() accepts only 8 or 32 bytes and leaves no host bits;
 *  - a name within a subtree also overlaps it; an address is never
 *    within a DNS subtree nor a name within an IP range;
 *  - the check flags exactly the names that are excluded, or not within
 *    a permitted subtree of their kind.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "fuzz.h"
#include "nameconstraint.h"

/* 1 if ${a} and ${b} are the same subtree. */
static int
same(const struct nameconstraint_subtree *a,
    const struct nameconstraint_subtree *b)
{
	if (a->is_ip != b->is_ip)
		return (0);
	if (!a->is_ip)
		return (strcmp(a->dns, b->dns) == 0);
	return (a->family == b->family && a->prefix == b->prefix &&
	    memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0);
}

/* 1 if ${s} is an IPv4 or IPv6 address, as an IP SAN prints. */
static int
is_addr(const char *s)
{
	uint8_t	a[16];

	return (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct nameconstraint_subtree	 st, back;
	struct nameconstraint_check	 c;
	struct cert_ident		 id;
	uint8_t				*copy, der[32];
	char				 err[512], buf[NAMECONSTRAINT_STRLEN];
	char				*s, *end;
	size_t				 n, dlen;
	int				 ok, i, excl;

	/* The whole input as the raw bytes of an iPAddress constraint. */
	copy = fuzz_dup(data, len);
	if (nameconstraint_from_ip(copy, len, &st) == 0) {
		FUZZ_CHECK(len == 8 || len == 32);
		nameconstraint_to_ip(&st, der, &dlen);
		FUZZ_CHECK(dlen == len);
		FUZZ_CHECK(nameconstraint_from_ip(der, dlen, &back) == 0 &&
		    same(&st, &back));
	}
	free(copy);

	copy = malloc(len + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, len);
	copy[len] = '\0';
	s = (char *)copy;
	end = s + len;
	n = strlen(s);
	/* The first string as a dNSName constraint ... */
	if (nameconstraint_from_dns(s, n, &st) == 0)
		FUZZ_CHECK(strlen(st.dns) < sizeof(st.dns));

	/* ... and as --permit would take it. */
	err[0] = '\0';
	ok = nameconstraint_parse(s, &st, err, sizeof(err)) == 0;
	if (ok) {
		nameconstraint_str(&st, buf, sizeof(buf));
		FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
		FUZZ_CHECK(nameconstraint_parse(buf, &back, err,
		    sizeof(err)) == 0 && same(&st, &back));
		if (st.is_ip) {
			nameconstraint_to_ip(&st, der, &dlen);
			FUZZ_CHECK(nameconstraint_from_ip(der, dlen,
			    &back) == 0 && same(&st, &back));
		}
	} else
		FUZZ_CHECK(err[0] != '\0');

	/* The rest: names of an identity, against that subtree. */
	memset(&id, 0, sizeof(id));
	for (s += n + 1; s < end && id.n < VERIFY_MAX_NAMES;
	    s += strlen(s) + 1) {
		if (strlen(s) > SD_HOST_MAX)
			continue;
		memcpy(id.ent[id.n].name, s, strlen(s) + 1);
		id.ent[id.n].is_ip = is_addr(s);
		id.n++;
	}
	if (!ok)
		goto out;
	for (i = 0; i < (int)id.n; i++) {
		const char	*nm = id.ent[i].name;
		int		 ip = id.ent[i].is_ip;

		if (nameconstraint_within(&st, nm, ip))
			FUZZ_CHECK(nameconstraint_overlaps(&st, nm, ip));
		FUZZ_CHECK(!nameconstraint_within(&st, nm, !st.is_ip));
	}
	for (excl = 0; excl < 2; excl++) {
		nameconstraint_check_begin(&c, &id);
		nameconstraint_check_add(&c, &st, excl);
		i = nameconstraint_check_end(&c, NULL);
		if (i >= 0)
			FUZZ_CHECK(excl ? nameconstraint_overlaps(&st,
			    id.ent[i].name, id.ent[i].is_ip) :
			    (id.ent[i].is_ip == st.is_ip &&
			    !nameconstraint_within(&st, id.ent[i].name,
			    id.ent[i].is_ip)));
	}
out:
	free(copy);
	return (0);
}
