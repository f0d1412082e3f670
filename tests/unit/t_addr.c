/*
 * t_addr.c: "host:port" parsing, literal detection, host comparison and
 * formatting.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "test.h"

static const struct {
	const char	*s;
	int		 flags;
	int		 ok;
	const char	*host;		/* on success */
	uint16_t	 port;
} parses[] = {
	{ "127.0.0.1:80", 0, 1, "127.0.0.1", 80 },
	{ "[::1]:443", 0, 1, "::1", 443 },
	{ "[2001:db8::1]:7447", 0, 1, "2001:db8::1", 7447 },
	{ "host.example:1", 0, 1, "host.example", 1 },
	{ "under_score-dash.example:65535", 0, 1, "under_score-dash.example",
	    65535 },
	{ "localhost:0080", 0, 1, "localhost", 80 },
	{ "*:*", ADDR_WILDCARD, 1, "*", 0 },
	{ "*:7447", ADDR_WILDCARD, 1, "*", 7447 },
	{ "10.0.0.9:*", ADDR_WILDCARD, 1, "10.0.0.9", 0 },
	{ "[::1]:*", ADDR_WILDCARD, 1, "::1", 0 },
	{ "host:80", ADDR_WILDCARD, 1, "host", 80 },

	{ "*:*", 0, 0, NULL, 0 },
	{ "*:80", 0, 0, NULL, 0 },
	{ "host:*", 0, 0, NULL, 0 },
	{ "host", 0, 0, NULL, 0 },
	{ "host:", 0, 0, NULL, 0 },
	{ "[::1]:", 0, 0, NULL, 0 },
	{ "host:0", 0, 0, NULL, 0 },
	{ "host:0", ADDR_WILDCARD, 0, NULL, 0 },
	{ "host:65536", 0, 0, NULL, 0 },
	{ "host:99999999999999999999", 0, 0, NULL, 0 },
	{ "host:-1", 0, 0, NULL, 0 },
	{ "host:8o", 0, 0, NULL, 0 },
	{ "host: 80", 0, 0, NULL, 0 },
	{ "::1:80", 0, 0, NULL, 0 },
	{ "::1", 0, 0, NULL, 0 },
	{ ":80", 0, 0, NULL, 0 },
	{ "[]:80", 0, 0, NULL, 0 },
	{ "", 0, 0, NULL, 0 },
	{ "[::1]", 0, 0, NULL, 0 },
	{ "[::1]80", 0, 0, NULL, 0 },
	{ "[::1:80", 0, 0, NULL, 0 },
	{ "[1.2.3.4]:80", 0, 0, NULL, 0 },
	{ "[host]:80", 0, 0, NULL, 0 },
	{ "[fe80::1%eth0]:80", 0, 0, NULL, 0 },
	{ "ho st:80", 0, 0, NULL, 0 },
	{ "host/x:80", 0, 0, NULL, 0 },
	{ "a*b:80", ADDR_WILDCARD, 0, NULL, 0 },
	{ "**:80", ADDR_WILDCARD, 0, NULL, 0 },
};

/* The table above, plus host lengths at and over SD_HOST_MAX. */
static void
test_parse(void)
{
	struct hostport	 hp;
	const char	*errstr;
	char		 s[SD_HOST_MAX + 16];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		errstr = NULL;
		memset(&hp, 0, sizeof(hp));
		rc = addr_parse(parses[i].s, &hp, parses[i].flags, &errstr);
		if ((rc == 0) != parses[i].ok)
			fprintf(stderr, "addr_parse(\"%s\", %d) = %d (%s)\n",
			    parses[i].s, parses[i].flags, rc,
			    errstr ? errstr : "-");
		CHECK((rc == 0) == parses[i].ok);
		if (parses[i].ok) {
			CHECK_STR(hp.host, parses[i].host);
			CHECK(hp.port == parses[i].port);
		} else
			CHECK(errstr != NULL && *errstr != '\0');
	}

	/* SD_HOST_MAX characters: fine; one more: too long. */
	memset(s, 'a', SD_HOST_MAX);
	strcpy(s + SD_HOST_MAX, ":80");
	errstr = NULL;
	CHECK(addr_parse(s, &hp, 0, &errstr) == 0);
	CHECK(strlen(hp.host) == SD_HOST_MAX && hp.port == 80);
	memset(s, 'a', SD_HOST_MAX + 1);
	strcpy(s + SD_HOST_MAX + 1, ":80");
	errstr = NULL;
	CHECK(addr_parse(s, &hp, 0, &errstr) == -1);
	CHECK_STR(errstr, "host name too long");

	/* Some reasons are worth checking word for word. */
	CHECK(addr_parse("::1:80", &hp, 0, &errstr) == -1);
	CHECK_STR(errstr, "IPv6 address must be written as [ADDR]:PORT");
	CHECK(addr_parse("host:", &hp, 0, &errstr) == -1);
	CHECK_STR(errstr, "missing port");
	CHECK(addr_parse(":80", &hp, 0, &errstr) == -1);
	CHECK_STR(errstr, "missing host");
	CHECK(addr_parse("host:65536", &hp, 0, &errstr) == -1);
	CHECK_STR(errstr, "port out of range (1-65535)");
}

/* addr_numeric and addr_is_numeric. */
static void
test_numeric(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct in6_addr		 lo6 = IN6ADDR_LOOPBACK_INIT;
	socklen_t		 len = 0;

	CHECK(addr_numeric("127.0.0.1", 80, &ss, &len) == 0);
	CHECK(ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in));
	CHECK(sin->sin_port == htons(80));
	CHECK(sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK));

	CHECK(addr_numeric("0::1", 443, &ss, &len) == 0);
	CHECK(ss.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6));
	CHECK(sin6->sin6_port == htons(443));
	CHECK(memcmp(&sin6->sin6_addr, &lo6, sizeof(lo6)) == 0);

	CHECK(addr_numeric("[::1]", 1, &ss, &len) == -1);
	CHECK(addr_numeric("localhost", 1, &ss, &len) == -1);
	CHECK(addr_numeric("", 1, &ss, &len) == -1);
	CHECK(addr_numeric("1.2.3.4.5", 1, &ss, &len) == -1);
	CHECK(addr_numeric("256.0.0.1", 1, &ss, &len) == -1);
	CHECK(addr_numeric("fe80::1%eth0", 1, &ss, &len) == -1);

	CHECK(addr_is_numeric("10.0.0.1") == 1);
	CHECK(addr_is_numeric("::1") == 1);
	CHECK(addr_is_numeric("::ffff:10.0.0.1") == 1);
	CHECK(addr_is_numeric("node-b.example") == 0);
	CHECK(addr_is_numeric("*") == 0);
	CHECK(addr_is_numeric("") == 0);
}

/* addr_same_host: addresses by value, names by case-insensitive text. */
static void
test_same_host(void)
{
	CHECK(addr_same_host("::1", "0::1") == 1);
	CHECK(addr_same_host("0:0:0:0:0:0:0:1", "::1") == 1);
	CHECK(addr_same_host("2001:DB8::1", "2001:db8:0::1") == 1);
	CHECK(addr_same_host("::1", "::2") == 0);
	CHECK(addr_same_host("127.0.0.1", "127.0.0.1") == 1);
	CHECK(addr_same_host("127.0.0.1", "127.0.0.2") == 0);
	CHECK(addr_same_host("127.0.0.1", "::1") == 0);
	CHECK(addr_same_host("Node-B.Example", "node-b.example") == 1);
	CHECK(addr_same_host("node-b", "node-c") == 0);
	CHECK(addr_same_host("localhost", "127.0.0.1") == 0);
}

/* addr_format and addr_format_hp. */
static void
test_format(void)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr_un	 sun;
	struct hostport		 hp;
	const char		*errstr;
	char			 buf[ADDR_STRLEN], small[6];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(7447);
	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	CHECK(addr_format((struct sockaddr *)&sin, buf, sizeof(buf)) == buf);
	CHECK_STR(buf, "10.0.0.1:7447");

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8:0::1", &sin6.sin6_addr);
	CHECK_STR(addr_format((struct sockaddr *)&sin6, buf, sizeof(buf)),
	    "[2001:db8::1]:443");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	addr_format((struct sockaddr *)&sun, buf, sizeof(buf));
	CHECK(strstr(buf, "unknown family") != NULL);

	/* Truncated, but terminated. */
	addr_format((struct sockaddr *)&sin, small, sizeof(small));
	CHECK_STR(small, "10.0.");

	snprintf(hp.host, sizeof(hp.host), "::1");
	hp.port = 443;
	CHECK(addr_format_hp(&hp, buf, sizeof(buf)) == buf);
	CHECK_STR(buf, "[::1]:443");
	snprintf(hp.host, sizeof(hp.host), "10.0.0.2");
	hp.port = 7447;
	CHECK_STR(addr_format_hp(&hp, buf, sizeof(buf)), "10.0.0.2:7447");
	snprintf(hp.host, sizeof(hp.host), "node-b.example");
	hp.port = 65535;
	CHECK_STR(addr_format_hp(&hp, buf, sizeof(buf)),
	    "node-b.example:65535");
	snprintf(hp.host, sizeof(hp.host), "*");
	hp.port = 0;
	CHECK_STR(addr_format_hp(&hp, buf, sizeof(buf)), "*:*");

	/* Round trip through addr_parse, the longest host included. */
	CHECK(addr_parse("[2001:db8::7]:7447", &hp, 0, &errstr) == 0);
	CHECK_STR(addr_format_hp(&hp, buf, sizeof(buf)), "[2001:db8::7]:7447");
	memset(hp.host, 'h', SD_HOST_MAX);
	hp.host[SD_HOST_MAX] = '\0';
	hp.port = 65535;
	addr_format_hp(&hp, buf, sizeof(buf));
	CHECK(strlen(buf) == SD_HOST_MAX + 6);
	CHECK(strcmp(buf + SD_HOST_MAX, ":65535") == 0);
}

/* Put ${text} (an IPv4 or IPv6 literal) into ${ss}. */
static const struct sockaddr *
sa_of(const char *text, struct sockaddr_storage *ss)
{
	socklen_t	 len;

	CHECK(addr_numeric(text, 7447, ss, &len) == 0);
	return ((const struct sockaddr *)ss);
}

/* The loopback source of a peer: readable for IPv4, stable for IPv6. */
static void
test_loopback_for(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	 src, again;
	char			 buf[ADDR_STRLEN];

	CHECK(addr_loopback_for(sa_of("10.77.0.2", &ss), &src) == 0);
	CHECK_STR(addr_format((struct sockaddr *)&src, buf, sizeof(buf)),
	    "127.77.0.2:0");
	CHECK(addr_loopback_for(sa_of("192.168.1.20", &ss), &src) == 0);
	CHECK_STR(addr_format((struct sockaddr *)&src, buf, sizeof(buf)),
	    "127.168.1.20:0");
	CHECK(addr_loopback_for(sa_of("::ffff:10.1.2.3", &ss), &src) == 0);
	CHECK_STR(addr_format((struct sockaddr *)&src, buf, sizeof(buf)),
	    "127.1.2.3:0");
	CHECK(addr_loopback_for(sa_of("10.0.0.7", &ss), &src) == 0);
	CHECK_STR(addr_format((struct sockaddr *)&src, buf, sizeof(buf)),
	    "127.0.0.7:0");
	/* the peer on loopback itself, or lo's own 127.0.0.0/1/255.255.255 */
	CHECK(addr_loopback_for(sa_of("127.0.0.2", &ss), &src) == -1);
	CHECK(addr_loopback_for(sa_of("::1", &ss), &src) == -1);
	CHECK(addr_loopback_for(sa_of("::ffff:127.0.0.1", &ss), &src) == -1);
	CHECK(addr_loopback_for(sa_of("10.0.0.1", &ss), &src) == -1);
	CHECK(addr_loopback_for(sa_of("10.0.0.0", &ss), &src) == -1);
	CHECK(addr_loopback_for(sa_of("10.255.255.255", &ss), &src) == -1);
	/* IPv6: the same peer always maps alike, two peers apart */
	if (addr_loopback_for(sa_of("2001:db8::2", &ss), &src) == 0) {
		CHECK((ntohl(src.sin_addr.s_addr) >> 24) == 127);
		CHECK(addr_loopback_for(sa_of("2001:db8::2", &ss), &again) == 0);
		CHECK(src.sin_addr.s_addr == again.sin_addr.s_addr);
		if (addr_loopback_for(sa_of("2001:db8::3", &ss), &again) == 0)
			CHECK(src.sin_addr.s_addr != again.sin_addr.s_addr);
	} else
		CHECK(0);
}

int
main(void)
{
	test_parse();
	test_numeric();
	test_same_host();
	test_format();
	test_loopback_for();
	TEST_DONE();
}
