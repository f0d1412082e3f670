/*
 * route.h: the socks tunnel's routing table (first match wins) and the
 * destination rewrite it implies.  Pure.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "stunneld.h"

struct route_result {
	int		 deny;		/* refuse with SOCKS reply 0x02 */
	struct hostport	 dial;		/* where to open the TLS connection */
	const char	*peer;		/* identity the server must prove; NULL: dial.host */
	int		 line;		/* config line of the matching route; 0 if none */
};

/**
 * route_lookup(routes, n, host, port, res): apply ${routes} to the
 * requested ${host}:${port}.  With n == 0 the request is dialled as is and
 * the server must prove ${host}.  Otherwise the first route whose match
 * fits (host "*" or the same host by addr_same_host(), port 0 or equal)
 * decides; if none does, the request is denied.
 */
void	route_lookup(const struct route_conf *routes, size_t n,
	    const char *host, uint16_t port, struct route_result *res);

#endif /* !ROUTE_H */
