/*
 * socks5.h: RFC 1928 (SOCKS5) and RFC 1929 (username/password) messages,
 * decoded from and encoded into byte buffers.  Pure: no fd, no allocation.
 * Every parser is incremental: it returns SOCKS5_NEED_MORE until the whole
 * message is in the buffer, and never reads past ${len}.
 */
#ifndef SOCKS5_H
#define SOCKS5_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "stunneld.h"

enum socks5_status {
	SOCKS5_NEED_MORE,
	SOCKS5_OK,
	SOCKS5_ERR
};

/* Reply codes (RFC 1928 section 6). */
#define SOCKS5_REP_SUCCEEDED		0x00
#define SOCKS5_REP_GENERAL_FAILURE	0x01
#define SOCKS5_REP_NOT_ALLOWED		0x02
#define SOCKS5_REP_NET_UNREACHABLE	0x03
#define SOCKS5_REP_HOST_UNREACHABLE	0x04
#define SOCKS5_REP_CONN_REFUSED		0x05
#define SOCKS5_REP_TTL_EXPIRED		0x06
#define SOCKS5_REP_CMD_UNSUPPORTED	0x07
#define SOCKS5_REP_ATYP_UNSUPPORTED	0x08

#define SOCKS5_METHOD_NOAUTH		0x00
#define SOCKS5_METHOD_USERPASS		0x02
#define SOCKS5_METHOD_NONE		0xff

#define SOCKS5_CMD_CONNECT		0x01
#define SOCKS5_CMD_BIND			0x02
#define SOCKS5_CMD_UDP_ASSOCIATE	0x03

#define SOCKS5_ATYP_IPV4		0x01
#define SOCKS5_ATYP_DOMAIN		0x03
#define SOCKS5_ATYP_IPV6		0x04

#define SOCKS5_REPLY_MAX		22	/* VER REP RSV ATYP + 16 + 2 */

/* What a greeting offers. */
struct socks5_greeting {
	int	version;		/* 5, or 4 for a SOCKS4 client */
	int	offers_noauth;
	int	offers_userpass;
};

struct socks5_request {
	uint8_t		cmd;
	uint8_t		atyp;		/* as sent by the client */
	char		host[SD_HOST_MAX + 1];	/* text: dotted IPv4, IPv6 or name */
	int		host_is_ip;	/* literal address (also for ATYP 3 holding one) */
	uint16_t	port;
};

/**
 * socks5_parse_greeting(buf, len, g, consumed): decode a method-selection
 * message.  On SOCKS5_OK fill ${g} and set ${consumed}.  SOCKS5_ERR when
 * the version is not 5 (${g}->version then holds the byte seen, so the
 * caller can answer a SOCKS4 client) or NMETHODS is 0.
 */
enum socks5_status socks5_parse_greeting(const uint8_t *buf, size_t len,
	    struct socks5_greeting *g, size_t *consumed);

/**
 * socks5_choose_method(g, need_auth): the method to answer ${g} with:
 * USERPASS when ${need_auth} and offered, NOAUTH when not ${need_auth} and
 * offered, otherwise SOCKS5_METHOD_NONE.
 */
uint8_t	socks5_choose_method(const struct socks5_greeting *g, int need_auth);

/**
 * socks5_parse_auth(buf, len, user, userlen, pass, passlen, consumed):
 * decode an RFC 1929 request into NUL-terminated ${user} and ${pass}
 * (buffers of at least 256 bytes).  SOCKS5_ERR on a version other than 1,
 * an empty username or an embedded NUL.
 */
enum socks5_status socks5_parse_auth(const uint8_t *buf, size_t len,
	    char *user, size_t userlen, char *pass, size_t passlen,
	    size_t *consumed);

/**
 * socks5_auth_match(user, pass, want_user, want_pass): 1 if ${user} and
 * ${pass} (from socks5_parse_auth()) equal ${want_user} and ${want_pass},
 * else 0.  The time taken does not depend on where they differ.
 */
int	socks5_auth_match(const char *user, const char *pass,
	    const char *want_user, const char *want_pass);

/**
 * socks5_parse_request(buf, len, req, consumed, rep): decode a request.
 * On SOCKS5_OK fill ${req} (any command: the caller refuses BIND and UDP
 * ASSOCIATE).  On SOCKS5_ERR set ${rep} to the reply code to send: 0x08 for
 * an unknown address type, 0x01 for a bad version, an empty or invalid
 * domain (length 0, NUL or control bytes), or port 0.  An ATYP 3 name that
 * is an IPv4 or unbracketed IPv6 literal sets host_is_ip.
 */
enum socks5_status socks5_parse_request(const uint8_t *buf, size_t len,
	    struct socks5_request *req, size_t *consumed, uint8_t *rep);

/**
 * socks5_encode_method(out, method): write the 2-byte method selection
 * reply; return 2.
 */
size_t	socks5_encode_method(uint8_t *out, uint8_t method);

/**
 * socks5_encode_auth_reply(out, ok): write the 2-byte RFC 1929 status
 * reply; return 2.
 */
size_t	socks5_encode_auth_reply(uint8_t *out, int ok);

/**
 * socks5_encode_reply(out, rep, bnd): write a reply with code ${rep} and
 * bound address ${bnd} (NULL or an unknown family: 0.0.0.0:0) into ${out}
 * (at least SOCKS5_REPLY_MAX bytes); return its length.
 */
size_t	socks5_encode_reply(uint8_t *out, uint8_t rep,
	    const struct sockaddr *bnd);

/**
 * socks5_encode_socks4_reject(out): write the 8-byte SOCKS4 "request
 * rejected" reply (0x00 0x5b ...); return 8.
 */
size_t	socks5_encode_socks4_reject(uint8_t *out);

#endif /* !SOCKS5_H */
