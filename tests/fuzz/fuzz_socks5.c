/*
 * fuzz_socks5.c: libFuzzer target for the RFC 1928 greeting and request
 * parsers (socks5.c), and for what the socks tunnel does next with a
 * parsed request: route_lookup() (route.c, addr.c).
 *
 * The input is fed whole and as every prefix (up to FUZZ_PREFIX_MAX
 * bytes), each from an exact-size heap copy.  Invariants, abort() when
 * broken:
 *  - consumed <= len, and is exactly the message's length;
 *  - the verdict over growing prefixes is NEED_MORE... then OK or ERR,
 *    and stays that verdict (with the same result) once given;
 *  - a parsed request's host is a NUL-terminated string of at most
 *    SD_HOST_MAX bytes, its port is not 0, host_is_ip says whether it is
 *    an address literal, and literals are canonical: encoding the request
 *    again (as ATYP 3, and as ATYP 1/4 for literals) parses to the same;
 *  - a reply from socks5_encode_reply() parses as a message of the same
 *    shape (same address and port);
 *  - route_lookup() over a fixed table agrees with addr_same_host().
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "addr.h"
#include "route.h"
#include "socks5.h"
#include "fuzz.h"

#define FUZZ_PREFIX_MAX	300	/* longest message: 5 + 255 + 2 bytes */

/* The outcome of one parse. */
struct outcome {
	enum socks5_status	 st;
	size_t			 consumed;
	struct socks5_greeting	 g;
	struct socks5_request	 req;
	uint8_t			 rep;
};

/* Parse the greeting in the first ${len} bytes of ${data} into ${o}. */
static void
parse_greeting(const uint8_t *data, size_t len, struct outcome *o)
{
	uint8_t	*copy = fuzz_dup(data, len);

	memset(o, 0, sizeof(*o));
	o->consumed = (size_t)-1;
	o->st = socks5_parse_greeting(copy, len, &o->g, &o->consumed);
	free(copy);
	FUZZ_CHECK(o->st == SOCKS5_NEED_MORE || o->st == SOCKS5_OK ||
	    o->st == SOCKS5_ERR);
	if (o->st == SOCKS5_OK) {
		FUZZ_CHECK(o->consumed <= len);
		FUZZ_CHECK(o->consumed == 2 + (size_t)data[1]);
		FUZZ_CHECK(o->g.version == 5);
	} else
		o->consumed = 0;
	if (o->st == SOCKS5_ERR)
		FUZZ_CHECK(len >= 1 && o->g.version == data[0]);
}

/* Parse the request in the first ${len} bytes of ${data} into ${o}. */
static void
parse_request(const uint8_t *data, size_t len, struct outcome *o)
{
	uint8_t	*copy = fuzz_dup(data, len);

	memset(o, 0, sizeof(*o));
	o->consumed = (size_t)-1;
	o->st = socks5_parse_request(copy, len, &o->req, &o->consumed,
	    &o->rep);
	free(copy);
	FUZZ_CHECK(o->st == SOCKS5_NEED_MORE || o->st == SOCKS5_OK ||
	    o->st == SOCKS5_ERR);
	if (o->st == SOCKS5_OK) {
		FUZZ_CHECK(o->consumed <= len);
		FUZZ_CHECK(o->rep == SOCKS5_REP_SUCCEEDED);
	} else {
		o->consumed = 0;
		memset(&o->req, 0, sizeof(o->req));
	}
	if (o->st == SOCKS5_ERR)
		FUZZ_CHECK(o->rep == SOCKS5_REP_GENERAL_FAILURE ||
		    o->rep == SOCKS5_REP_ATYP_UNSUPPORTED);
}

/* 1 if ${a} and ${b} are the same outcome. */
static int
same(const struct outcome *a, const struct outcome *b)
{
	if (a->st != b->st || a->consumed != b->consumed)
		return (0);
	if (a->st == SOCKS5_ERR)
		return (a->rep == b->rep && a->g.version == b->g.version);
	if (a->st != SOCKS5_OK)
		return (1);
	return (memcmp(&a->g, &b->g, sizeof(a->g)) == 0 &&
	    a->req.cmd == b->req.cmd && a->req.atyp == b->req.atyp &&
	    a->req.port == b->req.port &&
	    a->req.host_is_ip == b->req.host_is_ip &&
	    strcmp(a->req.host, b->req.host) == 0);
}

/*
 * Check the verdicts over every prefix of ${data} against ${whole}, the
 * verdict on all ${len} bytes: NEED_MORE until the deciding byte, then
 * always the same verdict.
 */
static void
check_prefixes(const uint8_t *data, size_t len, const struct outcome *whole,
    void (*parse)(const uint8_t *, size_t, struct outcome *))
{
	struct outcome	 o, first;
	size_t		 k, max = len < FUZZ_PREFIX_MAX ? len : FUZZ_PREFIX_MAX;
	int		 decided = 0;

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
		/* An OK verdict comes with the byte that completes it. */
		if (o.st == SOCKS5_OK)
			FUZZ_CHECK(o.consumed == k);
	}
	if (decided)
		FUZZ_CHECK(same(whole, &first));
	else if (max == len)
		FUZZ_CHECK(whole->st == SOCKS5_NEED_MORE);
}

/* Parse the ${n} bytes of ${msg}, which must give request ${want}. */
static void
reparse(const uint8_t *msg, size_t n, const struct outcome *want)
{
	struct outcome	 o;

	parse_request(msg, n, &o);
	FUZZ_CHECK(o.st == SOCKS5_OK);
	FUZZ_CHECK(o.consumed == n);
	FUZZ_CHECK(o.req.cmd == want->req.cmd);
	FUZZ_CHECK(o.req.port == want->req.port);
	FUZZ_CHECK(o.req.host_is_ip == want->req.host_is_ip);
	FUZZ_CHECK(strcmp(o.req.host, want->req.host) == 0);
}

/* The invariants of a parsed request ${o}, and its round trips. */
static void
check_request(const struct outcome *o)
{
	const struct socks5_request *req = &o->req;
	uint8_t		 msg[5 + SD_HOST_MAX + 2];
	size_t		 hlen, n;
	struct in_addr	 a4;
	struct in6_addr	 a6;

	hlen = strnlen(req->host, sizeof(req->host));
	FUZZ_CHECK(hlen > 0 && hlen <= SD_HOST_MAX);
	FUZZ_CHECK(req->port != 0);
	FUZZ_CHECK(req->atyp == SOCKS5_ATYP_IPV4 ||
	    req->atyp == SOCKS5_ATYP_IPV6 || req->atyp == SOCKS5_ATYP_DOMAIN);
	FUZZ_CHECK(req->host_is_ip == addr_is_numeric(req->host));
	FUZZ_CHECK(req->atyp == SOCKS5_ATYP_DOMAIN || req->host_is_ip);
	for (n = 0; n < hlen; n++)
		FUZZ_CHECK((uint8_t)req->host[n] > 0x20 &&
		    (uint8_t)req->host[n] != 0x7f);

	/* The host as ATYP 3 text parses to itself. */
	msg[0] = 5;
	msg[1] = req->cmd;
	msg[2] = 0;
	msg[3] = SOCKS5_ATYP_DOMAIN;
	msg[4] = (uint8_t)hlen;
	memcpy(msg + 5, req->host, hlen);
	msg[5 + hlen] = (uint8_t)(req->port >> 8);
	msg[6 + hlen] = (uint8_t)(req->port & 0xff);
	reparse(msg, 7 + hlen, o);

	/* A literal sent in binary parses to the same text. */
	if (inet_pton(AF_INET, req->host, &a4) == 1) {
		msg[3] = SOCKS5_ATYP_IPV4;
		memcpy(msg + 4, &a4, 4);
		n = 8;
	} else if (inet_pton(AF_INET6, req->host, &a6) == 1) {
		msg[3] = SOCKS5_ATYP_IPV6;
		memcpy(msg + 4, &a6, 16);
		n = 20;
	} else
		return;
	msg[n] = (uint8_t)(req->port >> 8);
	msg[n + 1] = (uint8_t)(req->port & 0xff);
	reparse(msg, n + 2, o);
}

/* route_lookup() over a fixed table must agree with addr_same_host(). */
static void
check_route(const struct socks5_request *req)
{
	static struct route_conf routes[] = {
		{ .match = { "10.0.0.2", 7447 }, .peer = "node-b", .line = 1 },
		{ .match = { "::1", 0 }, .deny = 1, .line = 2 },
		{ .match = { "*", 8447 }, .has_connect = 1,
		    .connect = { "*", 7447 }, .line = 3 },
		{ .match = { "fd00::1", 0 }, .has_connect = 1,
		    .connect = { "node-c.example", 7447 },
		    .peer = "*.example", .line = 4 },
		{ .match = { "Example.ORG", 0 }, .has_connect = 1,
		    .connect = { "10.9.9.9", 0 }, .line = 5 }
	};
	struct route_result	 res;
	size_t			 n = sizeof(routes) / sizeof(routes[0]);

	route_lookup(routes, 0, req->host, req->port, &res);
	FUZZ_CHECK(!res.deny && res.peer == NULL && res.line == 0);
	FUZZ_CHECK(strcmp(res.dial.host, req->host) == 0);
	FUZZ_CHECK(res.dial.port == req->port);

	route_lookup(routes, n, req->host, req->port, &res);
	FUZZ_CHECK(strnlen(res.dial.host, sizeof(res.dial.host)) <
	    sizeof(res.dial.host));
	if (addr_same_host(req->host, "10.0.0.2") && req->port == 7447) {
		FUZZ_CHECK(res.line == 1 && !res.deny);
		FUZZ_CHECK(strcmp(res.peer, "node-b") == 0);
		FUZZ_CHECK(strcmp(res.dial.host, req->host) == 0);
	} else if (addr_same_host(req->host, "::1")) {
		FUZZ_CHECK(res.line == 2 && res.deny);
		/* "::1" in any spelling, also "[::1]" or "0:0::1". */
		FUZZ_CHECK(strcmp(req->host, "::1") == 0);
	} else if (req->port == 8447) {
		FUZZ_CHECK(res.line == 3 && !res.deny && res.peer == NULL);
		FUZZ_CHECK(strcmp(res.dial.host, req->host) == 0);
		FUZZ_CHECK(res.dial.port == 7447);
	} else if (addr_same_host(req->host, "fd00::1")) {
		FUZZ_CHECK(res.line == 4 && !res.deny);
		FUZZ_CHECK(strcmp(res.dial.host, "node-c.example") == 0);
		FUZZ_CHECK(res.dial.port == 7447);
	} else if (strcasecmp(req->host, "example.org") == 0) {
		FUZZ_CHECK(res.line == 5 && !res.deny);
		FUZZ_CHECK(strcmp(res.dial.host, "10.9.9.9") == 0);
		FUZZ_CHECK(res.dial.port == req->port);
	} else
		FUZZ_CHECK(res.deny && res.line == 0);
}

/* A reply built from the input bytes parses back to its address. */
static void
check_reply(const uint8_t *data, size_t len)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	uint8_t			 out[SOCKS5_REPLY_MAX], rep;
	struct outcome		 o;
	size_t			 n;

	if (len < 1)
		return;
	memset(&ss, 0, sizeof(ss));
	switch (data[0] % 3) {
	case 0:
		if (len < 7)
			return;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, data + 1, 4);
		memcpy(&sin->sin_port, data + 5, 2);
		break;
	case 1:
		if (len < 19)
			return;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, data + 1, 16);
		memcpy(&sin6->sin6_port, data + 17, 2);
		break;
	default:
		ss.ss_family = AF_UNIX;
		break;
	}
	rep = len > 1 ? data[1] : 0;
	n = socks5_encode_reply(out, rep, (struct sockaddr *)&ss);
	FUZZ_CHECK(n == 10 || n == 22);
	FUZZ_CHECK(n <= SOCKS5_REPLY_MAX);
	FUZZ_CHECK(out[0] == 5 && out[1] == rep && out[2] == 0);
	FUZZ_CHECK(n == 22 ? ss.ss_family == AF_INET6 : ss.ss_family !=
	    AF_INET6);
	/* Same layout as a request: parse it as one. */
	parse_request(out, n, &o);
	if (o.st == SOCKS5_OK) {
		FUZZ_CHECK(o.consumed == n);
		FUZZ_CHECK(o.req.host_is_ip);
		FUZZ_CHECK(o.req.cmd == rep);
	} else {
		/* Only port 0 (or 0.0.0.0:0 for AF_UNIX) is refused. */
		FUZZ_CHECK(o.st == SOCKS5_ERR);
		FUZZ_CHECK(out[n - 2] == 0 && out[n - 1] == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct outcome	 g, r;
	uint8_t		 m;

	parse_greeting(data, len, &g);
	check_prefixes(data, len, &g, parse_greeting);
	if (g.st == SOCKS5_OK) {
		m = socks5_choose_method(&g.g, 0);
		FUZZ_CHECK(m == (g.g.offers_noauth ? SOCKS5_METHOD_NOAUTH :
		    SOCKS5_METHOD_NONE));
		m = socks5_choose_method(&g.g, 1);
		FUZZ_CHECK(m == (g.g.offers_userpass ?
		    SOCKS5_METHOD_USERPASS : SOCKS5_METHOD_NONE));
		FUZZ_CHECK((memchr(data + 2, SOCKS5_METHOD_NOAUTH,
		    g.consumed - 2) != NULL) == g.g.offers_noauth);
		FUZZ_CHECK((memchr(data + 2, SOCKS5_METHOD_USERPASS,
		    g.consumed - 2) != NULL) == g.g.offers_userpass);
	}

	parse_request(data, len, &r);
	check_prefixes(data, len, &r, parse_request);
	if (r.st == SOCKS5_OK) {
		FUZZ_CHECK(r.consumed == (r.req.atyp == SOCKS5_ATYP_IPV4 ?
		    10 : r.req.atyp == SOCKS5_ATYP_IPV6 ? 22 :
		    7 + (size_t)data[4]));
		check_request(&r);
		check_route(&r.req);
	}

	check_reply(data, len);
	return (0);
}
