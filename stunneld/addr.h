/*
 * addr.h: "host:port" strings and socket addresses.  Pure: nothing here
 * resolves a name or touches a socket.
 */
#ifndef ADDR_H
#define ADDR_H

#include <sys/socket.h>
#include <stdint.h>

#include "stunneld.h"

#define ADDR_WILDCARD	0x01	/* accept "*" as host and as port (routes) */
#define ADDR_STRLEN	(SD_HOST_MAX + 10)	/* "[host]:65535" */

/**
 * addr_parse(s, hp, flags, errstr): split ${s} ("HOST:PORT", "[V6]:PORT",
 * "NAME:PORT"; with ADDR_WILDCARD also "*" for either part, port 0 then
 * meaning any) into ${hp}.  Return 0, or -1 with a static reason in
 * ${errstr}.
 */
int	addr_parse(const char *s, struct hostport *hp, int flags,
	    const char **errstr);

/**
 * addr_numeric(host, port, ss, sslen): if ${host} is an IPv4 or IPv6
 * literal (unbracketed), fill ${ss}/${sslen} with it and ${port} and
 * return 0; otherwise return -1.
 */
int	addr_numeric(const char *host, uint16_t port,
	    struct sockaddr_storage *ss, socklen_t *sslen);

/**
 * addr_valid_dns(s, len): 1 if the ${len} bytes ${s} are a DNS name: at
 * most 253 bytes of dot-separated labels, each 1 to 63 letters, digits,
 * '-' or '_'.
 */
int	addr_valid_dns(const char *s, size_t len);

/**
 * addr_is_numeric(host): 1 if ${host} is an IPv4 or IPv6 literal.
 */
int	addr_is_numeric(const char *host);

/**
 * addr_same_host(a, b): 1 if ${a} and ${b} name the same host: equal
 * addresses when both are literals (so "::1" equals "0::1"), otherwise a
 * case-insensitive string comparison.
 */
int	addr_same_host(const char *a, const char *b);

/**
 * addr_format(sa, buf, len): write ${sa} as "1.2.3.4:80" or "[::1]:80"
 * into ${buf}; return ${buf}.
 */
char	*addr_format(const struct sockaddr *sa, char *buf, size_t len);

/**
 * addr_format_hp(hp, buf, len): write ${hp} as "host:port", bracketing an
 * IPv6 literal; return ${buf}.
 */
char	*addr_format_hp(const struct hostport *hp, char *buf, size_t len);

/**
 * addr_loopback_for(peer, src): the loopback address from which a tls
 * tunnel connects to a local target for a peer at ${peer}, in ${src}
 * (port 0): 127.B.C.D for an IPv4 peer A.B.C.D (also IPv4-mapped IPv6),
 * 127.x.y.z from a hash of the address for other IPv6 peers.  Return 0,
 * or -1 if the peer is itself on loopback or maps to 127.0.0.0, 127.0.0.1
 * or 127.255.255.255 (then connect from the default address).
 */
int	addr_loopback_for(const struct sockaddr *peer, struct sockaddr_in *src);

#endif /* !ADDR_H */
