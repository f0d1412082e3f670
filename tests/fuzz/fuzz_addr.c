/*
 * fuzz_addr.c: libFuzzer target for the "host:port" parser and its
 * friends in stunneld/addr.c: addr_parse(), addr_format_hp(),
 * addr_numeric(), addr_is_numeric(), addr_same_host(), addr_format().
 *
 * The input is split at NUL bytes into strings; each is parsed with and
 * without ADDR_WILDCARD.  Invariants, abort() when broken:
 *  - on success the host is non-empty, at most SD_HOST_MAX bytes, and
 *    the port 1..65535 (0 only with ADDR_WILDCARD, for "*");
 *  - addr_format_hp() fits ADDR_STRLEN and parses back to the same;
 *  - what parses without ADDR_WILDCARD parses alike with it;
 *  - addr_same_host() is reflexive and symmetric, and agrees with
 *    addr_numeric() + addr_format() on literals.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>
#include <strings.h>

#include "addr.h"
#include "fuzz.h"

/* Parse ${s} with ${flags}; check a success. */
static int
parse(const char *s, struct hostport *hp, int flags)
{
	struct hostport	 back;
	char		 buf[ADDR_STRLEN];
	const char	*errstr = NULL;
	size_t		 n;

	memset(hp, 0xa5, sizeof(*hp));
	if (addr_parse(s, hp, flags, &errstr) != 0) {
		FUZZ_CHECK(errstr != NULL && errstr[0] != '\0');
		return (-1);
	}
	n = strnlen(hp->host, sizeof(hp->host));
	FUZZ_CHECK(n > 0 && n <= SD_HOST_MAX);
	FUZZ_CHECK(hp->port != 0 || (flags & ADDR_WILDCARD));

	addr_format_hp(hp, buf, sizeof(buf));
	FUZZ_CHECK(strnlen(buf, sizeof(buf)) < sizeof(buf));
	FUZZ_CHECK(addr_parse(buf, &back, flags, &errstr) == 0);
	FUZZ_CHECK(strcmp(back.host, hp->host) == 0);
	FUZZ_CHECK(back.port == hp->port);
	return (0);
}

/* addr_same_host() and addr_numeric() on hosts ${a} and ${b}. */
static void
hosts(const char *a, const char *b)
{
	struct sockaddr_storage	 sa, sb;
	socklen_t		 la, lb;
	char			 fa[ADDR_STRLEN], fb[ADDR_STRLEN];
	int			 na, nb, same;

	same = addr_same_host(a, b);
	FUZZ_CHECK(same == addr_same_host(b, a));
	FUZZ_CHECK(addr_same_host(a, a));
	na = addr_numeric(a, 443, &sa, &la) == 0;
	nb = addr_numeric(b, 443, &sb, &lb) == 0;
	FUZZ_CHECK(na == addr_is_numeric(a));
	FUZZ_CHECK(nb == addr_is_numeric(b));
	if (na && nb) {
		/* Same address: same canonical text. */
		addr_format((struct sockaddr *)&sa, fa, sizeof(fa));
		addr_format((struct sockaddr *)&sb, fb, sizeof(fb));
		FUZZ_CHECK(same == (strcmp(fa, fb) == 0));
	} else
		FUZZ_CHECK(same == (strcasecmp(a, b) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hostport	 hp, hw, prev;
	char		*s, *p, *end;
	int		 have_prev = 0;

	/* NUL-terminated strings, from an exact-size copy. */
	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	end = s + len;
	for (p = s; p <= end; p += strlen(p) + 1) {
		if (parse(p, &hp, 0) == 0) {
			FUZZ_CHECK(parse(p, &hw, ADDR_WILDCARD) == 0);
			FUZZ_CHECK(strcmp(hp.host, hw.host) == 0);
			FUZZ_CHECK(hp.port == hw.port);
		} else if (parse(p, &hp, ADDR_WILDCARD) != 0)
			continue;
		if (have_prev)
			hosts(prev.host, hp.host);
		hosts(hp.host, hp.host);
		prev = hp;
		have_prev = 1;
	}
	free(s);
	return (0);
}
