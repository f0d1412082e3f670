/*
 * route.c: the socks tunnel's routing table (first match wins) and the
 * destination rewrite it implies.  Pure: hosts are compared as text or,
 * when both are address literals, as addresses (addr_same_host()); no
 * name is ever resolved here, so a route written with a name matches
 * only a request for that same name.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "route.h"

/* Copy ${host}:${port} into ${hp}. */
static void
route_set_hp(struct hostport *hp, const char *host, uint16_t port)
{
	snprintf(hp->host, sizeof(hp->host), "%s", host);
	hp->port = port;
}

/* 1 if ${r}'s match fits ${host}:${port}. */
static int
route_matches(const struct route_conf *r, const char *host, uint16_t port)
{
	if (r->match.port != 0 && r->match.port != port)
		return (0);
	if (strcmp(r->match.host, "*") == 0)
		return (1);
	return (addr_same_host(r->match.host, host));
}

/**
 * route_lookup(routes, n, host, port, res): apply ${routes} to the
 * requested ${host}:${port}.  With n == 0 the request is dialled as is and
 * the server must prove ${host}.  Otherwise the first route whose match
 * fits (host "*" or the same host by addr_same_host(), port 0 or equal)
 * decides; if none does, the request is denied.
 *
 * ${res}->dial is always filled (the requested destination when denied,
 * for the log).  ${res}->peer is the matching route's peer, or NULL: the
 * caller must then check the server against ${res}->dial.host, which is
 * the requested host unless the route's connect rewrote it.  A rewritten
 * host without a peer therefore makes the rewritten host the identity to
 * prove (a route that sends "*:8447" to "10.0.0.9:7447" expects a
 * certificate for 10.0.0.9, not for whatever the client asked); give the
 * route a peer to expect another name.  ${res}->peer points into
 * ${routes} and lives as long as they do.
 */
void
route_lookup(const struct route_conf *routes, size_t n, const char *host,
    uint16_t port, struct route_result *res)
{
	const struct route_conf	*r;
	size_t			 i;

	memset(res, 0, sizeof(*res));
	route_set_hp(&res->dial, host, port);
	if (n == 0)
		return;

	for (i = 0; i < n; i++) {
		r = &routes[i];
		if (!route_matches(r, host, port))
			continue;
		res->line = r->line;
		if (r->deny) {
			res->deny = 1;
			return;
		}
		if (r->has_connect) {
			if (strcmp(r->connect.host, "*") != 0)
				route_set_hp(&res->dial, r->connect.host,
				    res->dial.port);
			if (r->connect.port != 0)
				res->dial.port = r->connect.port;
		}
		res->peer = r->peer;
		return;
	}
	res->deny = 1;		/* routes given, none matches */
}
