/*
 * fuzz_auth.c: libFuzzer target for the RFC 1929 username/password
 * request parser, socks5_parse_auth().
 *
 * The input is parsed whole and as every prefix, each from an exact-size
 * heap copy, into the 256-byte buffers the daemon uses and again into
 * exact-size heap buffers of a size taken from the input (so ASan sees a
 * write past userlen/passlen).  Invariants, abort() when broken:
 *  - consumed == 3 + ULEN + PLEN <= len on OK;
 *  - NEED_MORE over growing prefixes until the deciding byte, then the
 *    same verdict for every longer prefix;
 *  - user and pass are NUL-terminated, of the lengths sent, without NUL,
 *    user not empty, and encode back to the exact bytes consumed;
 *  - a username or password that does not fit the buffers is ERR.
 */
#include <string.h>

#include "socks5.h"
#include "fuzz.h"

#define FUZZ_PREFIX_MAX	520	/* longest message: 3 + 255 + 255 bytes */

/* The outcome of one parse. */
struct outcome {
	enum socks5_status	 st;
	size_t			 consumed;
	char			 user[256];
	char			 pass[256];
};

/* Parse the first ${len} bytes of ${data} with buffers of 256 bytes. */
static void
parse(const uint8_t *data, size_t len, struct outcome *o)
{
	uint8_t	*copy = fuzz_dup(data, len);

	memset(o, 0, sizeof(*o));
	o->consumed = (size_t)-1;
	o->st = socks5_parse_auth(copy, len, o->user, sizeof(o->user),
	    o->pass, sizeof(o->pass), &o->consumed);
	free(copy);
	FUZZ_CHECK(o->st == SOCKS5_NEED_MORE || o->st == SOCKS5_OK ||
	    o->st == SOCKS5_ERR);
	if (o->st != SOCKS5_OK) {
		o->consumed = 0;
		memset(o->user, 0, sizeof(o->user));
		memset(o->pass, 0, sizeof(o->pass));
	}
}

/* 1 if ${a} and ${b} are the same outcome. */
static int
same(const struct outcome *a, const struct outcome *b)
{
	return (a->st == b->st && a->consumed == b->consumed &&
	    strcmp(a->user, b->user) == 0 && strcmp(a->pass, b->pass) == 0);
}

/* Parse ${data} again into exact-size heap buffers of ${ulen}, ${plen}. */
static void
parse_small(const uint8_t *data, size_t len, size_t ulen, size_t plen,
    const struct outcome *big)
{
	uint8_t			*copy = fuzz_dup(data, len);
	char			*user, *pass;
	size_t			 consumed = (size_t)-1;
	enum socks5_status	 st;

	if ((user = malloc(ulen)) == NULL || (pass = malloc(plen)) == NULL)
		abort();
	st = socks5_parse_auth(copy, len, user, ulen, pass, plen, &consumed);
	if (st == SOCKS5_OK) {
		/* Fitting smaller buffers, it fits the big ones alike. */
		FUZZ_CHECK(big->st == SOCKS5_OK);
		FUZZ_CHECK(consumed == big->consumed);
		FUZZ_CHECK(strlen(user) < ulen && strlen(pass) < plen);
		FUZZ_CHECK(strcmp(user, big->user) == 0);
		FUZZ_CHECK(strcmp(pass, big->pass) == 0);
	} else if (big->st == SOCKS5_OK && st == SOCKS5_ERR)
		/* Only a name or password too long for them is refused. */
		FUZZ_CHECK(strlen(big->user) >= ulen ||
		    strlen(big->pass) >= plen);
	else if (big->st == SOCKS5_ERR)
		FUZZ_CHECK(st == SOCKS5_ERR || st == SOCKS5_NEED_MORE);
	free(pass);
	free(user);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct outcome	 whole, o, first;
	uint8_t		 enc[3 + 255 + 255];
	size_t		 k, max, ulen, plen;
	int		 decided = 0;

	parse(data, len, &whole);
	if (whole.st == SOCKS5_OK) {
		FUZZ_CHECK(whole.consumed <= len);
		FUZZ_CHECK(data[0] == 1);
		ulen = strlen(whole.user);
		plen = strlen(whole.pass);
		FUZZ_CHECK(ulen > 0 && ulen == data[1]);
		FUZZ_CHECK(plen == data[2 + ulen]);
		FUZZ_CHECK(whole.consumed == 3 + ulen + plen);
		/* Encode it back: the very bytes consumed. */
		enc[0] = 1;
		enc[1] = (uint8_t)ulen;
		memcpy(enc + 2, whole.user, ulen);
		enc[2 + ulen] = (uint8_t)plen;
		memcpy(enc + 3 + ulen, whole.pass, plen);
		FUZZ_CHECK(memcmp(enc, data, whole.consumed) == 0);
	} else if (whole.st == SOCKS5_ERR)
		FUZZ_CHECK(len >= 1);

	/* Prefixes: NEED_MORE, then one verdict for good. */
	max = len < FUZZ_PREFIX_MAX ? len : FUZZ_PREFIX_MAX;
	for (k = 0; k <= max; k++) {
		parse(data, k, &o);
		if (decided) {
			FUZZ_CHECK(same(&o, &first));
			continue;
		}
		if (o.st == SOCKS5_NEED_MORE)
			continue;
		decided = 1;
		first = o;
		if (o.st == SOCKS5_OK)
			FUZZ_CHECK(o.consumed == k);
	}
	if (decided)
		FUZZ_CHECK(same(&whole, &first));
	else if (max == len)
		FUZZ_CHECK(whole.st == SOCKS5_NEED_MORE);

	/* Smaller buffers, sized from the last two input bytes. */
	if (len >= 3) {
		parse_small(data, len, 1 + data[len - 2] % 64,
		    1 + data[len - 1] % 64, &whole);
		parse_small(data, len, 1, 1, &whole);
	}
	return (0);
}
