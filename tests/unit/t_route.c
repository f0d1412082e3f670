/*
 * t_route.c: first-match routing, wildcards, the connect rewrite, peers
 * and denial.  Routes are built with addr_parse(ADDR_WILDCARD), as
 * conf.c builds them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "route.h"
#include "test.h"

/* A route as the configuration would hold it; ${conn} NULL: none. */
static struct route_conf
mkroute(const char *match, const char *conn, const char *peer, int deny,
    int line)
{
	struct route_conf	 r;
	const char		*errstr = NULL;

	memset(&r, 0, sizeof(r));
	if (addr_parse(match, &r.match, ADDR_WILDCARD, &errstr) != 0) {
		fprintf(stderr, "bad test route \"%s\": %s\n", match, errstr);
		exit(99);
	}
	if (conn != NULL) {
		r.has_connect = 1;
		if (addr_parse(conn, &r.connect, ADDR_WILDCARD, &errstr) != 0) {
			fprintf(stderr, "bad test connect \"%s\": %s\n", conn,
			    errstr);
			exit(99);
		}
	}
	r.peer = (char *)peer;
	r.deny = deny;
	r.line = line;
	return (r);
}

/* What one lookup should give. */
struct want {
	const char	*host;
	uint16_t	 port;
	int		 deny;
	const char	*dial_host;
	uint16_t	 dial_port;
	const char	*peer;		/* NULL: none */
	int		 line;
};

/* Look ${w} up in ${routes} and compare every field. */
static void
check(const struct route_conf *routes, size_t n, const struct want *w)
{
	struct route_result	 res;
	int			 ok;

	memset(&res, 0xa5, sizeof(res));
	route_lookup(routes, n, w->host, w->port, &res);
	ok = res.deny == w->deny && res.line == w->line &&
	    strcmp(res.dial.host, w->dial_host) == 0 &&
	    res.dial.port == w->dial_port &&
	    ((w->peer == NULL && res.peer == NULL) ||
	    (w->peer != NULL && res.peer != NULL &&
	    strcmp(w->peer, res.peer) == 0));
	if (!ok)
		fprintf(stderr, "lookup %s:%u -> deny %d dial %s:%u peer %s "
		    "line %d\n", w->host, w->port, res.deny, res.dial.host,
		    res.dial.port, res.peer ? res.peer : "(null)", res.line);
	CHECK(ok);
}

/* Without routes: dial what was asked, prove that host. */
static void
test_no_routes(void)
{
	static const struct want	 w[] = {
		{ "10.0.0.2", 7447, 0, "10.0.0.2", 7447, NULL, 0 },
		{ "node-b.example", 1, 0, "node-b.example", 1, NULL, 0 },
		{ "::1", 443, 0, "::1", 443, NULL, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		check(NULL, 0, &w[i]);
}

/* The example table from SPEC.md, and first-match order. */
static void
test_spec_table(void)
{
	struct route_conf	 r[3];
	static const struct want w[] = {
		/* exact match, with a peer */
		{ "10.0.0.2", 7447, 0, "10.0.0.2", 7447, "node-b", 10 },
		/* same host, other port: falls through to the deny */
		{ "10.0.0.2", 7448, 1, "10.0.0.2", 7448, NULL, 12 },
		/* *:8447 -> same host, port 7447, host to prove */
		{ "10.0.0.3", 8447, 0, "10.0.0.3", 7447, NULL, 11 },
		{ "node-c.example", 8447, 0, "node-c.example", 7447, NULL, 11 },
		/* 10.0.0.2:8447: route 1 misses on port, route 2 fits */
		{ "10.0.0.2", 8447, 0, "10.0.0.2", 7447, NULL, 11 },
		/* anything else: the catch-all deny */
		{ "192.0.2.1", 80, 1, "192.0.2.1", 80, NULL, 12 },
	};
	size_t	 i;

	r[0] = mkroute("10.0.0.2:7447", NULL, "node-b", 0, 10);
	r[1] = mkroute("*:8447", "*:7447", NULL, 0, 11);
	r[2] = mkroute("*:*", NULL, NULL, 1, 12);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		check(r, 3, &w[i]);

	/* Order matters: the deny first hides everything after it. */
	r[0] = mkroute("*:*", NULL, NULL, 1, 20);
	r[1] = mkroute("10.0.0.2:7447", NULL, "node-b", 0, 21);
	{
		static const struct want d = { "10.0.0.2", 7447, 1,
		    "10.0.0.2", 7447, NULL, 20 };

		check(r, 2, &d);
	}
	/* Two routes fit: the first wins. */
	r[0] = mkroute("10.0.0.2:*", NULL, "first", 0, 30);
	r[1] = mkroute("10.0.0.2:7447", NULL, "second", 0, 31);
	{
		static const struct want f = { "10.0.0.2", 7447, 0,
		    "10.0.0.2", 7447, "first", 30 };

		check(r, 2, &f);
	}
}

/* Wildcard host, wildcard port, both, and names. */
static void
test_wildcards(void)
{
	struct route_conf	 r[3];
	static const struct want w[] = {
		{ "10.0.0.9", 1, 0, "10.0.0.9", 1, "any-port", 1 },
		{ "10.0.0.9", 65535, 0, "10.0.0.9", 65535, "any-port", 1 },
		{ "Node-B.Example", 7447, 0, "Node-B.Example", 7447,
		    "by-name", 2 },
		{ "node-b.example", 7448, 1, "node-b.example", 7448, NULL, 0 },
		{ "10.0.0.8", 9000, 0, "10.0.0.8", 9000, "*", 3 },
		{ "10.0.0.8", 9001, 1, "10.0.0.8", 9001, NULL, 0 },
	};
	size_t	 i;

	r[0] = mkroute("10.0.0.9:*", NULL, "any-port", 0, 1);
	r[1] = mkroute("node-b.example:7447", NULL, "by-name", 0, 2);
	r[2] = mkroute("*:9000", NULL, "*", 0, 3);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		check(r, 3, &w[i]);
}

/* connect rewrites: "*" host and "*" port keep the requested part. */
static void
test_connect(void)
{
	struct route_conf	 r[4];
	static const struct want w[] = {
		/* "*:7447": keep host, new port */
		{ "10.0.0.5", 8447, 0, "10.0.0.5", 7447, NULL, 1 },
		/* "10.0.0.9:*": new host, keep port; prove 10.0.0.9 */
		{ "10.0.0.6", 1234, 0, "10.0.0.9", 1234, NULL, 2 },
		/* full rewrite with a peer */
		{ "gw.example", 443, 0, "::1", 7447, "node-gw", 3 },
		/* "*:*": nothing changes */
		{ "10.0.0.7", 22, 0, "10.0.0.7", 22, NULL, 4 },
	};
	size_t	 i;

	r[0] = mkroute("*:8447", "*:7447", NULL, 0, 1);
	r[1] = mkroute("10.0.0.6:*", "10.0.0.9:*", NULL, 0, 2);
	r[2] = mkroute("gw.example:443", "[::1]:7447", "node-gw", 0, 3);
	r[3] = mkroute("*:*", "*:*", NULL, 0, 4);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		check(r, 4, &w[i]);
}

/* Denied routes and the implicit deny when nothing matches. */
static void
test_deny(void)
{
	struct route_conf	 r[2];
	static const struct want w[] = {
		{ "10.0.0.66", 7447, 1, "10.0.0.66", 7447, NULL, 7 },
		{ "10.0.0.2", 7447, 0, "10.0.0.2", 7447, "node-b", 8 },
		{ "10.0.0.2", 7448, 1, "10.0.0.2", 7448, NULL, 0 },
		{ "evil.example", 7447, 1, "evil.example", 7447, NULL, 0 },
	};
	size_t	 i;

	/* A deny with a connect and a peer still denies, and says no peer. */
	r[0] = mkroute("10.0.0.66:7447", "10.0.0.2:7447", "node-b", 1, 7);
	r[1] = mkroute("10.0.0.2:7447", NULL, "node-b", 0, 8);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		check(r, 2, &w[i]);
}

/* IPv6 literals compare as addresses, IPv4 and names do not cross. */
static void
test_ipv6(void)
{
	struct route_conf	 r[2];
	static const struct want w[] = {
		{ "::1", 7447, 0, "::1", 7447, "loop6", 1 },
		{ "0::1", 7447, 0, "0::1", 7447, "loop6", 1 },
		{ "0:0:0:0:0:0:0:1", 7447, 0, "0:0:0:0:0:0:0:1", 7447,
		    "loop6", 1 },
		{ "2001:DB8::7", 7447, 0, "2001:DB8::7", 7447, "doc6", 2 },
		{ "::2", 7447, 1, "::2", 7447, NULL, 0 },
		{ "127.0.0.1", 7447, 1, "127.0.0.1", 7447, NULL, 0 },
		{ "localhost", 7447, 1, "localhost", 7447, NULL, 0 },
	};
	size_t	 i;

	r[0] = mkroute("[0::1]:7447", NULL, "loop6", 0, 1);
	r[1] = mkroute("[2001:db8:0::7]:*", NULL, "doc6", 0, 2);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		check(r, 2, &w[i]);
}

int
main(void)
{
	test_no_routes();
	test_spec_table();
	test_wildcards();
	test_connect();
	test_deny();
	test_ipv6();
	TEST_DONE();
}
