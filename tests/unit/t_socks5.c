/*
 * t_socks5.c: the SOCKS5 codec.  Every message is fed one byte at a time,
 * each prefix in a heap buffer of exactly its length (so ASan catches a
 * read past ${len}): the parser must say NEED_MORE until the byte that
 * decides, then its verdict, and consume exactly the message.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socks5.h"
#include "test.h"

#define B(s)	(const uint8_t *)(s), sizeof(s) - 1

enum kind { GREETING, AUTH, REQUEST };

/* The outcome of one parse of a whole or partial message. */
struct outcome {
	enum socks5_status	 st;
	size_t			 consumed;
	struct socks5_greeting	 g;
	struct socks5_request	 req;
	uint8_t			 rep;
	char			 user[256];
	char			 pass[256];
};

/* Parse the first ${len} bytes of ${msg} from an exact-size heap copy. */
static void
parse(enum kind k, const uint8_t *msg, size_t len, struct outcome *o)
{
	uint8_t	*copy;

	memset(o, 0, sizeof(*o));
	o->consumed = (size_t)-1;
	if ((copy = malloc(len > 0 ? len : 1)) == NULL) {
		perror("malloc");
		exit(99);
	}
	memcpy(copy, msg, len);
	switch (k) {
	case GREETING:
		o->st = socks5_parse_greeting(copy, len, &o->g, &o->consumed);
		break;
	case AUTH:
		o->st = socks5_parse_auth(copy, len, o->user, sizeof(o->user),
		    o->pass, sizeof(o->pass), &o->consumed);
		break;
	case REQUEST:
		o->st = socks5_parse_request(copy, len, &o->req, &o->consumed,
		    &o->rep);
		break;
	}
	free(copy);
}

/*
 * Feed ${msg} byte by byte: NEED_MORE for every prefix shorter than ${at},
 * ${st} from ${at} bytes on (up to ${len}, which may carry trailing bytes
 * of a next message).  Leave the outcome at ${len} bytes in ${o}.
 */
static int
feed(enum kind k, const uint8_t *msg, size_t len, enum socks5_status st,
    size_t at, struct outcome *o)
{
	size_t	 i;
	int	 bad = 0;

	if (at == 0 || at > len) {
		fprintf(stderr, "  bad test: verdict at %zu of %zu bytes\n",
		    at, len);
		return (0);
	}
	for (i = 0; i <= len; i++) {
		parse(k, msg, i, o);
		if (i < at && o->st != SOCKS5_NEED_MORE) {
			fprintf(stderr, "  prefix %zu/%zu: verdict %d too "
			    "early\n", i, len, o->st);
			bad = 1;
		}
		if (i >= at && o->st != st) {
			fprintf(stderr, "  prefix %zu/%zu: status %d, want "
			    "%d\n", i, len, o->st, st);
			bad = 1;
		}
		if (i >= at && st == SOCKS5_OK && o->consumed != at) {
			fprintf(stderr, "  prefix %zu/%zu: consumed %zu, want "
			    "%zu\n", i, len, o->consumed, at);
			bad = 1;
		}
	}
	return (!bad);
}

/* --- greetings ---------------------------------------------------------- */

static const struct {
	const char		*what;
	const uint8_t		*msg;
	size_t			 len;
	enum socks5_status	 st;
	size_t			 at;	/* bytes at which the verdict comes */
	int			 version, noauth, userpass;
} greetings[] = {
	{ "multichaind 05 01 00", B("\x05\x01\x00"), SOCKS5_OK, 3, 5, 1, 0 },
	{ "noauth + userpass", B("\x05\x02\x00\x02"), SOCKS5_OK, 4, 5, 1, 1 },
	{ "userpass only", B("\x05\x01\x02"), SOCKS5_OK, 3, 5, 0, 1 },
	{ "GSSAPI only", B("\x05\x01\x01"), SOCKS5_OK, 3, 5, 0, 0 },
	{ "duplicates and junk", B("\x05\x04\x80\x00\x00\xfe"), SOCKS5_OK, 6,
	    5, 1, 0 },
	{ "followed by a request", B("\x05\x01\x00\x05\x01\x00\x01"),
	    SOCKS5_OK, 3, 5, 1, 0 },
	{ "nmethods 0", B("\x05\x00\x00"), SOCKS5_ERR, 2, 5, 0, 0 },
	{ "SOCKS4 CONNECT", B("\x04\x01\x1d\x1f\x7f\x00\x00\x01" "user\x00"),
	    SOCKS5_ERR, 1, 4, 0, 0 },
	{ "HTTP", B("GET / HTTP/1.0\r\n"), SOCKS5_ERR, 1, 'G', 0, 0 },
	{ "version 0", B("\x00\x01\x00"), SOCKS5_ERR, 1, 0, 0, 0 },
};

/* Table-driven greetings, plus 255 methods. */
static void
test_greeting(void)
{
	struct outcome	 o;
	uint8_t		 big[2 + 255];
	size_t		 i;

	for (i = 0; i < sizeof(greetings) / sizeof(greetings[0]); i++) {
		int ok = feed(GREETING, greetings[i].msg, greetings[i].len,
		    greetings[i].st, greetings[i].at, &o);

		if (!ok)
			fprintf(stderr, "greeting \"%s\"\n", greetings[i].what);
		CHECK(ok);
		CHECK(o.g.version == greetings[i].version);
		if (greetings[i].st == SOCKS5_OK) {
			CHECK(o.g.offers_noauth == greetings[i].noauth);
			CHECK(o.g.offers_userpass == greetings[i].userpass);
		}
	}

	/* 255 methods, all present: fine; the noauth one is the last. */
	big[0] = 0x05;
	big[1] = 255;
	for (i = 0; i < 255; i++)
		big[2 + i] = (uint8_t)(0x80 + i % 0x70);
	big[2 + 254] = 0x00;
	CHECK(feed(GREETING, big, sizeof(big), SOCKS5_OK, sizeof(big), &o));
	CHECK(o.g.offers_noauth == 1 && o.g.offers_userpass == 0);
	/* One short: never a verdict. */
	parse(GREETING, big, sizeof(big) - 1, &o);
	CHECK(o.st == SOCKS5_NEED_MORE);
}

/* Every combination of offers and need_auth. */
static void
test_choose_method(void)
{
	struct socks5_greeting	 g = { 5, 0, 0 };

	CHECK(socks5_choose_method(&g, 0) == SOCKS5_METHOD_NONE);
	CHECK(socks5_choose_method(&g, 1) == SOCKS5_METHOD_NONE);
	g.offers_noauth = 1;
	CHECK(socks5_choose_method(&g, 0) == SOCKS5_METHOD_NOAUTH);
	CHECK(socks5_choose_method(&g, 1) == SOCKS5_METHOD_NONE);
	g.offers_userpass = 1;
	CHECK(socks5_choose_method(&g, 0) == SOCKS5_METHOD_NOAUTH);
	CHECK(socks5_choose_method(&g, 1) == SOCKS5_METHOD_USERPASS);
	g.offers_noauth = 0;
	CHECK(socks5_choose_method(&g, 0) == SOCKS5_METHOD_NONE);
	CHECK(socks5_choose_method(&g, 1) == SOCKS5_METHOD_USERPASS);
}

/* --- RFC 1929 ----------------------------------------------------------- */

static const struct {
	const char		*what;
	const uint8_t		*msg;
	size_t			 len;
	enum socks5_status	 st;
	size_t			 at;
	const char		*user, *pass;
} auths[] = {
	{ "good", B("\x01\x03" "ops" "\x06" "secret"), SOCKS5_OK, 12,
	    "ops", "secret" },
	{ "empty password", B("\x01\x03" "ops" "\x00"), SOCKS5_OK, 6,
	    "ops", "" },
	{ "followed by a request", B("\x01\x01" "u" "\x01" "p" "\x05\x01"),
	    SOCKS5_OK, 5, "u", "p" },
	{ "empty username", B("\x01\x00\x03" "abc"), SOCKS5_ERR, 2,
	    NULL, NULL },
	{ "version 5", B("\x05\x03" "ops" "\x00"), SOCKS5_ERR, 1, NULL, NULL },
	{ "version 0", B("\x00\x03" "ops" "\x00"), SOCKS5_ERR, 1, NULL, NULL },
	{ "NUL in username", B("\x01\x03" "o\x00s" "\x01" "p"), SOCKS5_ERR, 7,
	    NULL, NULL },
	{ "NUL in password", B("\x01\x01" "u" "\x03" "p\x00q"), SOCKS5_ERR, 7,
	    NULL, NULL },
};

/* Table-driven RFC 1929 requests, plus the 255-byte maxima. */
static void
test_auth(void)
{
	struct outcome	 o;
	uint8_t		 big[3 + 255 + 255];
	size_t		 i;

	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		int ok = feed(AUTH, auths[i].msg, auths[i].len, auths[i].st,
		    auths[i].at, &o);

		if (!ok)
			fprintf(stderr, "auth \"%s\"\n", auths[i].what);
		CHECK(ok);
		if (auths[i].st == SOCKS5_OK) {
			CHECK_STR(o.user, auths[i].user);
			CHECK_STR(o.pass, auths[i].pass);
		}
	}

	big[0] = 0x01;
	big[1] = 255;
	memset(big + 2, 'u', 255);
	big[2 + 255] = 255;
	memset(big + 3 + 255, 'p', 255);
	CHECK(feed(AUTH, big, sizeof(big), SOCKS5_OK, sizeof(big), &o));
	CHECK(strlen(o.user) == 255 && o.user[0] == 'u');
	CHECK(strlen(o.pass) == 255 && o.pass[254] == 'p');
}

/* --- requests ----------------------------------------------------------- */

static const struct {
	const char		*what;
	const uint8_t		*msg;
	size_t			 len;
	enum socks5_status	 st;
	size_t			 at;
	uint8_t			 rep;	/* on ERR */
	uint8_t			 cmd, atyp;
	const char		*host;
	int			 is_ip;
	uint16_t		 port;
} requests[] = {
	/* What multichaind sends: ATYP 3 holding a dotted IPv4 address. */
	{ "multichaind", B("\x05\x01\x00\x03\x09" "127.0.0.2" "\x1d\x1f"),
	    SOCKS5_OK, 16, 0, 1, 3, "127.0.0.2", 1, 7455 },
	{ "ATYP 1", B("\x05\x01\x00\x01\x0a\x00\x00\x02\x1d\x1f"),
	    SOCKS5_OK, 10, 0, 1, 1, "10.0.0.2", 1, 7455 },
	{ "ATYP 4 ::1", B("\x05\x01\x00\x04"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
	    "\x01\xbb"), SOCKS5_OK, 22, 0, 1, 4, "::1", 1, 443 },
	{ "ATYP 4 2001:db8::5", B("\x05\x01\x00\x04"
	    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05"
	    "\x1d\x1f"), SOCKS5_OK, 22, 0, 1, 4, "2001:db8::5", 1, 7455 },
	{ "ATYP 4 v4-mapped", B("\x05\x01\x00\x04"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x0a\x00\x00\x05"
	    "\x1d\x1f"), SOCKS5_OK, 22, 0, 1, 4, "10.0.0.5", 1, 7455 },
	{ "ATYP 3 ::1", B("\x05\x01\x00\x03\x03" "::1" "\x1d\x1f"),
	    SOCKS5_OK, 10, 0, 1, 3, "::1", 1, 7455 },
	{ "ATYP 3 [::1]", B("\x05\x01\x00\x03\x05" "[::1]" "\x1d\x1f"),
	    SOCKS5_OK, 12, 0, 1, 3, "::1", 1, 7455 },
	{ "ATYP 3 0:0::1 normalised", B("\x05\x01\x00\x03\x06" "0:0::1"
	    "\x1d\x1f"), SOCKS5_OK, 13, 0, 1, 3, "::1", 1, 7455 },
	{ "ATYP 3 upper-case v6", B("\x05\x01\x00\x03\x0b" "2001:DB8::A"
	    "\x00\x50"), SOCKS5_OK, 18, 0, 1, 3, "2001:db8::a", 1, 80 },
	{ "ATYP 3 legacy 127.1", B("\x05\x01\x00\x03\x05" "127.1" "\x00\x50"),
	    SOCKS5_OK, 12, 0, 1, 3, "127.0.0.1", 1, 80 },
	{ "ATYP 3 legacy octal", B("\x05\x01\x00\x03\x09" "010.0.0.1"
	    "\x00\x50"), SOCKS5_OK, 16, 0, 1, 3, "8.0.0.1", 1, 80 },
	{ "ATYP 3 v4-mapped", B("\x05\x01\x00\x03\x0f" "::ffff:10.0.0.5"
	    "\x00\x50"), SOCKS5_OK, 22, 0, 1, 3, "10.0.0.5", 1, 80 },
	{ "ATYP 3 name", B("\x05\x01\x00\x03\x0e" "node-b.example"
	    "\x1d\x1f"), SOCKS5_OK, 21, 0, 1, 3, "node-b.example", 0, 7455 },
	{ "ATYP 3 name 1 byte", B("\x05\x01\x00\x03\x01" "x" "\xff\xff"),
	    SOCKS5_OK, 8, 0, 1, 3, "x", 0, 65535 },
	{ "ATYP 3 digits and letters", B("\x05\x01\x00\x03\x07" "123.com"
	    "\x00\x50"), SOCKS5_OK, 14, 0, 1, 3, "123.com", 0, 80 },
	{ "RSV ignored", B("\x05\x01\xff\x01\x7f\x00\x00\x01\x00\x16"),
	    SOCKS5_OK, 10, 0, 1, 1, "127.0.0.1", 1, 22 },
	{ "BIND returned", B("\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x16"),
	    SOCKS5_OK, 10, 0, 2, 1, "127.0.0.1", 1, 22 },
	{ "UDP returned", B("\x05\x03\x00\x01\x7f\x00\x00\x01\x00\x16"),
	    SOCKS5_OK, 10, 0, 3, 1, "127.0.0.1", 1, 22 },
	{ "unknown cmd returned", B("\x05\x7f\x00\x01\x7f\x00\x00\x01\x00\x16"),
	    SOCKS5_OK, 10, 0, 0x7f, 1, "127.0.0.1", 1, 22 },
	{ "followed by data", B("\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x16"
	    "SSH-2.0"), SOCKS5_OK, 10, 0, 1, 1, "127.0.0.1", 1, 22 },

	/* Hostile or broken. */
	{ "version 4", B("\x04\x01\x00\x01\x7f\x00\x00\x01\x00\x16"),
	    SOCKS5_ERR, 1, 0x01, 0, 0, NULL, 0, 0 },
	{ "version 0", B("\x00"), SOCKS5_ERR, 1, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 5", B("\x05\x01\x00\x05\x7f\x00\x00\x01\x00\x16"),
	    SOCKS5_ERR, 4, 0x08, 0, 0, NULL, 0, 0 },
	{ "ATYP 0", B("\x05\x01\x00\x00"), SOCKS5_ERR, 4, 0x08, 0, 0, NULL,
	    0, 0 },
	{ "ATYP 2", B("\x05\x01\x00\x02\x00"), SOCKS5_ERR, 4, 0x08, 0, 0, NULL,
	    0, 0 },
	{ "ATYP 3 length 0", B("\x05\x01\x00\x03\x00\x1d\x1f"),
	    SOCKS5_ERR, 5, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 NUL inside", B("\x05\x01\x00\x03\x05" "a\x00" "b.c"
	    "\x00\x50"), SOCKS5_ERR, 12, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 NUL at end", B("\x05\x01\x00\x03\x04" "abc\x00" "\x00\x50"),
	    SOCKS5_ERR, 11, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 space", B("\x05\x01\x00\x03\x03" "a b" "\x00\x50"),
	    SOCKS5_ERR, 10, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 newline", B("\x05\x01\x00\x03\x04" "a\nb." "\x00\x50"),
	    SOCKS5_ERR, 11, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 DEL", B("\x05\x01\x00\x03\x02" "a\x7f" "\x00\x50"),
	    SOCKS5_ERR, 9, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 zoned v6", B("\x05\x01\x00\x03\x0c" "fe80::1%eth0"
	    "\x00\x50"), SOCKS5_ERR, 19, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 [zoned v6]", B("\x05\x01\x00\x03\x0e" "[fe80::1%eth0]"
	    "\x00\x50"), SOCKS5_ERR, 21, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 [IPv4]", B("\x05\x01\x00\x03\x09" "[1.2.3.4]" "\x00\x50"),
	    SOCKS5_ERR, 16, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 [name]", B("\x05\x01\x00\x03\x06" "[host]" "\x00\x50"),
	    SOCKS5_ERR, 13, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 []", B("\x05\x01\x00\x03\x02" "[]" "\x00\x50"),
	    SOCKS5_ERR, 9, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 [::1", B("\x05\x01\x00\x03\x04" "[::1" "\x00\x50"),
	    SOCKS5_ERR, 11, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 host:port", B("\x05\x01\x00\x03\x07" "host:80" "\x00\x50"),
	    SOCKS5_ERR, 14, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 :::", B("\x05\x01\x00\x03\x03" ":::" "\x00\x50"),
	    SOCKS5_ERR, 10, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 1 port 0", B("\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x00"),
	    SOCKS5_ERR, 10, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 3 port 0", B("\x05\x01\x00\x03\x01" "x" "\x00\x00"),
	    SOCKS5_ERR, 8, 0x01, 0, 0, NULL, 0, 0 },
	{ "ATYP 4 port 0", B("\x05\x01\x00\x04"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
	    "\x00\x00"), SOCKS5_ERR, 22, 0x01, 0, 0, NULL, 0, 0 },
};

/* Run one request case; ${what} names it on failure. */
static void
check_request(const char *what, const uint8_t *msg, size_t len,
    enum socks5_status st, size_t at, uint8_t rep, uint8_t cmd, uint8_t atyp,
    const char *host, int is_ip, uint16_t port)
{
	struct outcome	 o;
	int		 ok;

	ok = feed(REQUEST, msg, len, st, at, &o);
	if (!ok)
		fprintf(stderr, "request \"%s\"\n", what);
	CHECK(ok);
	if (st == SOCKS5_ERR) {
		if (o.rep != rep)
			fprintf(stderr, "request \"%s\": rep 0x%02x\n", what,
			    o.rep);
		CHECK(o.rep == rep);
		return;
	}
	if (strcmp(o.req.host, host) != 0)
		fprintf(stderr, "request \"%s\"\n", what);
	CHECK_STR(o.req.host, host);
	CHECK(o.req.cmd == cmd);
	CHECK(o.req.atyp == atyp);
	CHECK(o.req.host_is_ip == is_ip);
	CHECK(o.req.port == port);
}

/* Table-driven requests, plus the 255-byte name. */
static void
test_request(void)
{
	uint8_t	 big[5 + 255 + 2];
	char	 name[256];
	size_t	 i;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		check_request(requests[i].what, requests[i].msg,
		    requests[i].len, requests[i].st, requests[i].at,
		    requests[i].rep, requests[i].cmd, requests[i].atyp,
		    requests[i].host, requests[i].is_ip, requests[i].port);

	/* The longest name ATYP 3 can carry. */
	memcpy(big, "\x05\x01\x00\x03\xff", 5);
	for (i = 0; i < 255; i++)
		big[5 + i] = (i % 4 == 3) ? '.' : (uint8_t)('a' + i % 26);
	big[5 + 255] = 0x1d;
	big[5 + 256] = 0x1f;
	memcpy(name, big + 5, 255);
	name[255] = '\0';
	check_request("ATYP 3 length 255", big, sizeof(big), SOCKS5_OK,
	    sizeof(big), 0, 1, 3, name, 0, 7455);
	/* ... and with a control byte at its very end. */
	big[5 + 254] = 0x1f;
	check_request("ATYP 3 length 255, control byte", big, sizeof(big),
	    SOCKS5_ERR, sizeof(big), 0x01, 0, 0, NULL, 0, 0);
}

/* --- encoders ----------------------------------------------------------- */

/* Every encoder, byte for byte. */
static void
test_encode(void)
{
	uint8_t			 out[SOCKS5_REPLY_MAX + 8];
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr_un	 sun;

	memset(out, 0xee, sizeof(out));
	CHECK(socks5_encode_method(out, SOCKS5_METHOD_NOAUTH) == 2);
	CHECK(memcmp(out, "\x05\x00\xee", 3) == 0);
	CHECK(socks5_encode_method(out, SOCKS5_METHOD_USERPASS) == 2);
	CHECK(memcmp(out, "\x05\x02", 2) == 0);
	CHECK(socks5_encode_method(out, SOCKS5_METHOD_NONE) == 2);
	CHECK(memcmp(out, "\x05\xff", 2) == 0);

	CHECK(socks5_encode_auth_reply(out, 1) == 2);
	CHECK(memcmp(out, "\x01\x00", 2) == 0);
	CHECK(socks5_encode_auth_reply(out, 0) == 2);
	CHECK(memcmp(out, "\x01\x01", 2) == 0);

	memset(out, 0xee, sizeof(out));
	CHECK(socks5_encode_reply(out, SOCKS5_REP_NOT_ALLOWED, NULL) == 10);
	CHECK(memcmp(out, "\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00\xee",
	    11) == 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(7455);
	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	memset(out, 0xee, sizeof(out));
	CHECK(socks5_encode_reply(out, SOCKS5_REP_SUCCEEDED,
	    (struct sockaddr *)&sin) == 10);
	CHECK(memcmp(out, "\x05\x00\x00\x01\x0a\x00\x00\x01\x1d\x1f\xee",
	    11) == 0);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	memset(out, 0xee, sizeof(out));
	CHECK(socks5_encode_reply(out, SOCKS5_REP_SUCCEEDED,
	    (struct sockaddr *)&sin6) == 22);
	CHECK(memcmp(out, "\x05\x00\x00\x04"
	    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
	    "\x01\xbb\xee", 23) == 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memset(out, 0xee, sizeof(out));
	CHECK(socks5_encode_reply(out, SOCKS5_REP_TTL_EXPIRED,
	    (struct sockaddr *)&sun) == 10);
	CHECK(memcmp(out, "\x05\x06\x00\x01\x00\x00\x00\x00\x00\x00\xee",
	    11) == 0);

	memset(out, 0xee, sizeof(out));
	CHECK(socks5_encode_socks4_reject(out) == 8);
	CHECK(memcmp(out, "\x00\x5b\x00\x00\x00\x00\x00\x00\xee", 9) == 0);
}

static void
test_auth_match(void)
{
	CHECK(socks5_auth_match("alice", "s3cret", "alice", "s3cret") == 1);
	CHECK(socks5_auth_match("alice", "s3cret", "alice", "s3creT") == 0);
	CHECK(socks5_auth_match("alice", "s3cret", "alicf", "s3cret") == 0);
	/* a prefix, either way, is not a match */
	CHECK(socks5_auth_match("alice", "s3cre", "alice", "s3cret") == 0);
	CHECK(socks5_auth_match("alice", "s3crets", "alice", "s3cret") == 0);
	CHECK(socks5_auth_match("al", "s3cret", "alice", "s3cret") == 0);
	CHECK(socks5_auth_match("alice2", "s3cret", "alice", "s3cret") == 0);
	/* user and password do not trade places */
	CHECK(socks5_auth_match("s3cret", "alice", "alice", "s3cret") == 0);
	CHECK(socks5_auth_match("alices3", "cret", "alice", "s3cret") == 0);
	CHECK(socks5_auth_match("u", "", "u", "") == 1);
	CHECK(socks5_auth_match("u", "", "u", "x") == 0);
}

int
main(void)
{
	test_greeting();
	test_choose_method();
	test_auth();
	test_auth_match();
	test_request();
	test_encode();
	TEST_DONE();
}
