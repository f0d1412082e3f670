/*
 * socks5.c: RFC 1928 (SOCKS5) and RFC 1929 (username/password) messages,
 * decoded from and encoded into byte buffers.  Pure: no fd, no allocation,
 * no resolver.  Every parser looks at no byte at or beyond ${len}; it
 * answers SOCKS5_ERR as soon as the bytes seen so far can no longer form
 * a valid message, SOCKS5_NEED_MORE while they still can, and SOCKS5_OK
 * (with the exact message length in ${consumed}) once it is complete.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "socks5.h"

#define SOCKS5_VERSION		0x05
#define SOCKS5_AUTH_VERSION	0x01

/*
 * If ${in} is an IP address literal, write its canonical text into ${out}
 * (at least INET6_ADDRSTRLEN bytes) and return 1; otherwise return 0.
 * Besides what inet_pton() takes, the legacy IPv4 forms inet_aton() takes
 * ("127.1", "0x7f000001", "010.0.0.1") count as literals: getaddrinfo()
 * would read them as addresses, and a route must see the address it
 * will really reach.  For the same reason an IPv4-mapped IPv6 address
 * ("::ffff:10.0.0.5") is written as the IPv4 address it maps.
 */
static int
socks5_literal(const char *in, char *out, size_t outlen)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (inet_pton(AF_INET, in, &a4) == 1 || inet_aton(in, &a4) != 0)
		goto v4;
	if (inet_pton(AF_INET6, in, &a6) != 1)
		return (0);
	if (!IN6_IS_ADDR_V4MAPPED(&a6))
		return (inet_ntop(AF_INET6, &a6, out, (socklen_t)outlen) !=
		    NULL);
	memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
v4:
	return (inet_ntop(AF_INET, &a4, out, (socklen_t)outlen) != NULL);
}

/*
 * Check and store the ATYP 3 name ${name} (${n} bytes, 1..255) in ${req}.
 * Return 0, or -1 if it is not an acceptable destination: control bytes,
 * space or DEL; brackets other than around a whole IPv6 literal; a colon
 * outside an IPv6 literal (so a zoned "fe80::1%eth0" is refused too).
 */
static int
socks5_domain(const uint8_t *name, size_t n, struct socks5_request *req)
{
	char		 text[SD_HOST_MAX + 1], lit[INET6_ADDRSTRLEN];
	char		*h = text;
	struct in6_addr	 a6;
	size_t		 i;
	int		 bracketed;

	for (i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] == 0x7f)
			return (-1);
	memcpy(text, name, n);
	text[n] = '\0';

	/* "[::1]": an IPv6 literal in URL dress, and nothing else. */
	bracketed = n >= 2 && text[0] == '[' && text[n - 1] == ']';
	if (bracketed) {
		h = text + 1;
		text[n - 1] = '\0';
	}
	if (strchr(h, '[') != NULL || strchr(h, ']') != NULL)
		return (-1);
	if (strchr(h, ':') != NULL) {
		if (inet_pton(AF_INET6, h, &a6) != 1)
			return (-1);
	} else if (bracketed)
		return (-1);

	if (socks5_literal(h, lit, sizeof(lit))) {
		memcpy(req->host, lit, strlen(lit) + 1);
		req->host_is_ip = 1;
	} else {
		memcpy(req->host, h, strlen(h) + 1);
		req->host_is_ip = 0;
	}
	return (0);
}

/**
 * socks5_parse_greeting(buf, len, g, consumed): decode a method-selection
 * message.  On SOCKS5_OK fill ${g} and set ${consumed}.  SOCKS5_ERR when
 * the version is not 5 (${g}->version then holds the byte seen, so the
 * caller can answer a SOCKS4 client) or NMETHODS is 0.
 */
enum socks5_status
socks5_parse_greeting(const uint8_t *buf, size_t len,
    struct socks5_greeting *g, size_t *consumed)
{
	size_t	 i, nmethods;

	memset(g, 0, sizeof(*g));
	if (len < 1)
		return (SOCKS5_NEED_MORE);
	g->version = buf[0];
	if (buf[0] != SOCKS5_VERSION)
		return (SOCKS5_ERR);
	if (len < 2)
		return (SOCKS5_NEED_MORE);
	nmethods = buf[1];
	if (nmethods == 0)
		return (SOCKS5_ERR);
	if (len < 2 + nmethods)
		return (SOCKS5_NEED_MORE);
	for (i = 0; i < nmethods; i++) {
		if (buf[2 + i] == SOCKS5_METHOD_NOAUTH)
			g->offers_noauth = 1;
		else if (buf[2 + i] == SOCKS5_METHOD_USERPASS)
			g->offers_userpass = 1;
	}
	*consumed = 2 + nmethods;
	return (SOCKS5_OK);
}

/**
 * socks5_choose_method(g, need_auth): the method to answer ${g} with:
 * USERPASS when ${need_auth} and offered, NOAUTH when not ${need_auth} and
 * offered, otherwise SOCKS5_METHOD_NONE.
 */
uint8_t
socks5_choose_method(const struct socks5_greeting *g, int need_auth)
{
	if (need_auth)
		return (g->offers_userpass ? SOCKS5_METHOD_USERPASS :
		    SOCKS5_METHOD_NONE);
	return (g->offers_noauth ? SOCKS5_METHOD_NOAUTH : SOCKS5_METHOD_NONE);
}

/**
 * socks5_parse_auth(buf, len, user, userlen, pass, passlen, consumed):
 * decode an RFC 1929 request into NUL-terminated ${user} and ${pass}
 * (buffers of at least 256 bytes).  SOCKS5_ERR on a version other than 1,
 * an empty username or an embedded NUL.
 */
enum socks5_status
socks5_parse_auth(const uint8_t *buf, size_t len, char *user, size_t userlen,
    char *pass, size_t passlen, size_t *consumed)
{
	size_t	 ulen, plen;

	if (len < 1)
		return (SOCKS5_NEED_MORE);
	if (buf[0] != SOCKS5_AUTH_VERSION)
		return (SOCKS5_ERR);
	if (len < 2)
		return (SOCKS5_NEED_MORE);
	ulen = buf[1];
	if (ulen == 0 || ulen >= userlen)
		return (SOCKS5_ERR);
	if (len < 2 + ulen + 1)
		return (SOCKS5_NEED_MORE);
	plen = buf[2 + ulen];
	if (plen >= passlen)
		return (SOCKS5_ERR);
	if (len < 3 + ulen + plen)
		return (SOCKS5_NEED_MORE);
	if (memchr(buf + 2, '\0', ulen) != NULL ||
	    (plen > 0 && memchr(buf + 3 + ulen, '\0', plen) != NULL))
		return (SOCKS5_ERR);
	memcpy(user, buf + 2, ulen);
	user[ulen] = '\0';
	if (plen > 0)
		memcpy(pass, buf + 3 + ulen, plen);
	pass[plen] = '\0';
	*consumed = 3 + ulen + plen;
	return (SOCKS5_OK);
}

/* XOR of ${a} and ${b} over the length of ${a}, ORed together: 0 if equal. */
static unsigned char
socks5_diff(const char *a, const char *b)
{
	size_t		 i, al = strlen(a), bl = strlen(b);
	unsigned char	 diff = (unsigned char)(al != bl);

	for (i = 0; i < al && i < bl; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return (diff);
}

/**
 * socks5_auth_match(user, pass, want_user, want_pass): 1 if ${user} and
 * ${pass} (from socks5_parse_auth()) equal ${want_user} and ${want_pass},
 * else 0.  The time taken does not depend on where they differ.
 */
int
socks5_auth_match(const char *user, const char *pass, const char *want_user,
    const char *want_pass)
{
	/* both compared whatever the first gives: no early exit */
	return ((socks5_diff(user, want_user) | socks5_diff(pass,
	    want_pass)) == 0);
}

/**
 * socks5_parse_request(buf, len, req, consumed, rep): decode a request.
 * On SOCKS5_OK fill ${req} (any command: the caller refuses BIND and UDP
 * ASSOCIATE).  On SOCKS5_ERR set ${rep} to the reply code to send: 0x08 for
 * an unknown address type, 0x01 for a bad version, an empty or invalid
 * domain (length 0, NUL or control bytes), or port 0.  An ATYP 3 name that
 * is an IPv4 or unbracketed IPv6 literal sets host_is_ip.
 *
 * An ATYP 3 name that is a bracketed IPv6 literal ("[::1]") is taken as
 * that literal; a zoned IPv6 address ("fe80::1%eth0") or any other name
 * with a colon or bracket is refused with 0x01.  Literal hosts are stored
 * in canonical form (inet_ntop), so routes compare what will be dialled.
 */
enum socks5_status
socks5_parse_request(const uint8_t *buf, size_t len,
    struct socks5_request *req, size_t *consumed, uint8_t *rep)
{
	size_t	 alen, need;

	*rep = SOCKS5_REP_GENERAL_FAILURE;
	if (len < 1)
		return (SOCKS5_NEED_MORE);
	if (buf[0] != SOCKS5_VERSION)
		return (SOCKS5_ERR);
	if (len < 4)
		return (SOCKS5_NEED_MORE);
	/* buf[2] is RSV: ignored, as RFC 1928 asks of nobody. */
	switch (buf[3]) {
	case SOCKS5_ATYP_IPV4:
		alen = 4;
		need = 4 + alen + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		alen = 16;
		need = 4 + alen + 2;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return (SOCKS5_NEED_MORE);
		alen = buf[4];
		if (alen == 0)
			return (SOCKS5_ERR);
		need = 5 + alen + 2;
		break;
	default:
		*rep = SOCKS5_REP_ATYP_UNSUPPORTED;
		return (SOCKS5_ERR);
	}
	if (len < need)
		return (SOCKS5_NEED_MORE);

	memset(req, 0, sizeof(*req));
	req->cmd = buf[1];
	req->atyp = buf[3];
	req->port = (uint16_t)((buf[need - 2] << 8) | buf[need - 1]);
	switch (buf[3]) {
	case SOCKS5_ATYP_IPV4:
		if (inet_ntop(AF_INET, buf + 4, req->host,
		    sizeof(req->host)) == NULL)
			return (SOCKS5_ERR);
		req->host_is_ip = 1;
		break;
	case SOCKS5_ATYP_IPV6: {
		struct in6_addr	 a6;

		memcpy(&a6, buf + 4, sizeof(a6));
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			if (inet_ntop(AF_INET, &a6.s6_addr[12], req->host,
			    sizeof(req->host)) == NULL)
				return (SOCKS5_ERR);
		} else if (inet_ntop(AF_INET6, &a6, req->host,
		    sizeof(req->host)) == NULL)
			return (SOCKS5_ERR);
		req->host_is_ip = 1;
		break;
	}
	default:
		if (socks5_domain(buf + 5, alen, req) == -1)
			return (SOCKS5_ERR);
		break;
	}
	if (req->port == 0)
		return (SOCKS5_ERR);
	*consumed = need;
	*rep = SOCKS5_REP_SUCCEEDED;
	return (SOCKS5_OK);
}

/**
 * socks5_encode_method(out, method): write the 2-byte method selection
 * reply; return 2.
 */
size_t
socks5_encode_method(uint8_t *out, uint8_t method)
{
	out[0] = SOCKS5_VERSION;
	out[1] = method;
	return (2);
}

/**
 * socks5_encode_auth_reply(out, ok): write the 2-byte RFC 1929 status
 * reply; return 2.
 */
size_t
socks5_encode_auth_reply(uint8_t *out, int ok)
{
	out[0] = SOCKS5_AUTH_VERSION;
	out[1] = ok ? 0x00 : 0x01;
	return (2);
}

/**
 * socks5_encode_reply(out, rep, bnd): write a reply with code ${rep} and
 * bound address ${bnd} (NULL or an unknown family: 0.0.0.0:0) into ${out}
 * (at least SOCKS5_REPLY_MAX bytes); return its length.
 */
size_t
socks5_encode_reply(uint8_t *out, uint8_t rep, const struct sockaddr *bnd)
{
	out[0] = SOCKS5_VERSION;
	out[1] = rep;
	out[2] = 0x00;
	if (bnd != NULL && bnd->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)bnd;

		out[3] = SOCKS5_ATYP_IPV6;
		memcpy(out + 4, &sin6->sin6_addr, 16);
		memcpy(out + 20, &sin6->sin6_port, 2);	/* network order */
		return (22);
	}
	out[3] = SOCKS5_ATYP_IPV4;
	if (bnd != NULL && bnd->sa_family == AF_INET) {
		const struct sockaddr_in *sin =
		    (const struct sockaddr_in *)bnd;

		memcpy(out + 4, &sin->sin_addr, 4);
		memcpy(out + 8, &sin->sin_port, 2);	/* network order */
	} else
		memset(out + 4, 0, 6);
	return (10);
}

/**
 * socks5_encode_socks4_reject(out): write the 8-byte SOCKS4 "request
 * rejected" reply (0x00 0x5b ...); return 8.
 */
size_t
socks5_encode_socks4_reject(uint8_t *out)
{
	memset(out, 0, 8);
	out[1] = 0x5b;
	return (8);
}
