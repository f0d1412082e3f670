/*
 * t_ctl.c: stunnelctl's pure parts: the command line parser, the JSON
 * writer, the collection of reply frames and every renderer, fed fixed
 * records and a fixed "now" so the expected output is exact.  Prometheus
 * output also goes through a small strict checker, and JSON documents
 * through python3's json module when python3 is there.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "json.h"
#include "metrics.h"
#include "output.h"
#include "parser.h"
#include "proto.h"
#include "show.h"
#include "stunneld.h"
#include "test.h"

#define NOW		((time_t)1795564800)	/* 2026-11-25T00:00:00Z */

/* Three tunnels: a healthy one, a stale one, a failed one with an expired cert. */
static void
fixtures(struct proto_tunnel t[3])
{
	memset(t, 0, 3 * sizeof(t[0]));
	snprintf(t[0].name, sizeof(t[0].name), "p2p_out");
	snprintf(t[0].mode, sizeof(t[0].mode), "socks");
	snprintf(t[0].listen, sizeof(t[0].listen), "127.0.0.1:1080");
	snprintf(t[0].state, sizeof(t[0].state), "running");
	t[0].pid = 1234;
	t[0].workers = 1;
	t[0].max_connections = 256;
	t[0].stats.connections_active = 3;
	t[0].stats.connections_total = 17;
	t[0].stats.bytes_in = 123456;
	t[0].stats.bytes_out = 654321;
	t[0].stats.handshakes_failed = 2;
	t[0].stats.handshakes_failed_by[PROTO_HS_VERIFY] = 1;
	t[0].stats.handshakes_failed_by[PROTO_HS_TIMEOUT] = 1;
	t[0].stats.socks_refused = 1;
	t[0].stats.cert_not_after = 1827100800;	/* 2027-11-25T00:00:00Z */
	t[0].stats.certs_loaded_at = 1795514400;	/* 2026-11-24T10:00:00Z */
	snprintf(t[0].stats.cert_subject, sizeof(t[0].stats.cert_subject),
	    "CN=node-a");
	t[0].stats.crls = 1;
	t[0].stats.crl_next_update = 1796169600;	/* 2026-12-02T00:00:00Z */

	snprintf(t[1].name, sizeof(t[1].name), "p2p_in");
	snprintf(t[1].mode, sizeof(t[1].mode), "tls");
	snprintf(t[1].listen, sizeof(t[1].listen), "[2001:db8::1]:7447");
	snprintf(t[1].state, sizeof(t[1].state), "running");
	t[1].pid = 1300;
	t[1].workers = 4;
	t[1].restarts = 2;
	t[1].flags = PROTO_TUNNEL_STALE;
	t[1].max_connections = 64;
	t[1].stats.connections_active = 99;	/* must never be shown */
	t[1].stats.bytes_in = 99;

	snprintf(t[2].name, sizeof(t[2].name), "tools_out");
	snprintf(t[2].mode, sizeof(t[2].mode), "socks");
	snprintf(t[2].listen, sizeof(t[2].listen), "127.0.0.1:1081");
	snprintf(t[2].state, sizeof(t[2].state), "failed");
	t[2].workers = 1;
	t[2].restarts = 5;
	t[2].max_connections = 256;
	t[2].stats.connections_total = 4;
	t[2].stats.bytes_in = 5ULL * 1024 * 1024 * 1024 + 300 * 1024 * 1024;
	t[2].stats.bytes_out = 1023;
	t[2].stats.cert_not_after = 1795564800 - 3600;	/* an hour ago */
	t[2].stats.certs_loaded_at = 0;
	snprintf(t[2].stats.cert_subject, sizeof(t[2].stats.cert_subject),
	    "CN=ops \"tools\"");
	t[2].stats.crls = 2;
	t[2].stats.crl_next_update = 1795478400;	/* a day ago */
	t[2].stats.crl_flags = PROTO_CRL_STRICT;
}

/* Two connections: one relaying for days, one still in its handshake. */
static void
conn_fixtures(struct proto_conn c[2])
{
	memset(c, 0, 2 * sizeof(c[0]));
	snprintf(c[0].tunnel, sizeof(c[0].tunnel), "p2p_out");
	snprintf(c[0].client, sizeof(c[0].client), "127.0.0.1:50312");
	snprintf(c[0].destination, sizeof(c[0].destination), "10.0.0.2:7447");
	snprintf(c[0].peer, sizeof(c[0].peer), "node-b");
	snprintf(c[0].state, sizeof(c[0].state), "relay");
	c[0].bytes_in = 1536;
	c[0].bytes_out = 10 * 1024 * 1024;
	c[0].started = 1795294548;		/* 3d3h4m12s before NOW */

	snprintf(c[1].tunnel, sizeof(c[1].tunnel), "p2p_in");
	snprintf(c[1].client, sizeof(c[1].client), "[2001:db8::7]:41000");
	snprintf(c[1].state, sizeof(c[1].state), "tls-handshake");
	c[1].bytes_in = 517;
	c[1].started = 1795564488;		/* 5m12s before NOW */
}

/* An in-memory FILE * whose text the test reads afterwards. */
struct capture {
	char	*buf;
	size_t	 len;
	FILE	*f;
};

/* Open ${c}; return its FILE *. */
static FILE *
cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	if ((c->f = open_memstream(&c->buf, &c->len)) == NULL) {
		perror("open_memstream");
		exit(99);
	}
	return (c->f);
}

/* Close ${c}; return its text, which the caller frees. */
static char *
cap_text(struct capture *c)
{
	if (fclose(c->f) != 0) {
		perror("fclose");
		exit(99);
	}
	return (c->buf);
}

/* parser_parse() on "stunnelctl" and the NULL-terminated arguments. */
static enum parser_result
parse(const char *envsock, struct ctl_request *req, ...)
{
	char		*argv[16];
	const char	*a;
	va_list		 ap;
	int		 argc = 0;

	argv[argc++] = (char *)"stunnelctl";
	va_start(ap, req);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 15)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return (parser_parse(argc, argv, envsock, req));
}

/* Check that ${args} parse to ${action} / ${type} / ${tunnel}. */
#define CHECK_CMD(action_, type_, tunnel_, ...) do {			\
	struct ctl_request	r_;					\
	CHECK(parse(NULL, &r_, __VA_ARGS__, (char *)NULL) == PARSER_OK); \
	CHECK(r_.action == (action_));					\
	CHECK(r_.type == (type_));					\
	CHECK_STR(r_.tunnel, (tunnel_));				\
	CHECK(r_.tunnel_len == strlen(tunnel_));			\
	CHECK_STR(r_.socket, SD_DEFAULT_CONTROL);			\
	CHECK(r_.json == 0);						\
} while (0)

/* Check that ${args} are a usage error whose message is ${err}. */
#define CHECK_USAGE(err_, ...) do {					\
	struct ctl_request	r_;					\
	CHECK(parse(NULL, &r_, __VA_ARGS__, (char *)NULL) == PARSER_USAGE); \
	CHECK_STR(r_.err, (err_));					\
} while (0)

/* Every command, with and without a tunnel. */
static void
test_parser_commands(void)
{
	CHECK_CMD(CTL_STATUS, PROTO_REQ_STATUS, "", "status");
	CHECK_CMD(CTL_STATUS, PROTO_REQ_STATUS, "p2p_out", "status", "p2p_out");
	CHECK_CMD(CTL_CONNECTIONS, PROTO_REQ_CONNECTIONS, "", "connections");
	CHECK_CMD(CTL_CONNECTIONS, PROTO_REQ_CONNECTIONS, "p2p_in",
	    "connections", "p2p_in");
	CHECK_CMD(CTL_METRICS, PROTO_REQ_STATUS, "", "metrics");
	CHECK_CMD(CTL_CHECK, PROTO_REQ_STATUS, "", "check");
	CHECK_CMD(CTL_RELOAD_CERTS, PROTO_REQ_RELOAD_CERTS, "", "reload-certs");
	CHECK_CMD(CTL_RELOAD_CERTS, PROTO_REQ_RELOAD_CERTS, "p2p_in",
	    "reload-certs", "p2p_in");
	CHECK_CMD(CTL_RELOAD, PROTO_REQ_RELOAD, "", "reload");
	CHECK_CMD(CTL_STOP, PROTO_REQ_STOP, "", "stop");
	/* "--" ends the options: a name may then start with '-'. */
	CHECK_CMD(CTL_STATUS, PROTO_REQ_STATUS, "-x", "status", "--", "-x");
	CHECK_CMD(CTL_STATUS, PROTO_REQ_STATUS, "-", "status", "-");
}

/* Options before and after the command, the socket's precedence. */
static void
test_parser_options(void)
{
	struct ctl_request	r;

	CHECK(parse(NULL, &r, "--json", "status", NULL) == PARSER_OK);
	CHECK(r.json == 1 && r.action == CTL_STATUS);
	CHECK(parse(NULL, &r, "check", NULL) == PARSER_OK);
	CHECK(r.action == CTL_CHECK && r.days == 0 && r.json == 0);
	CHECK(parse(NULL, &r, "check", "--days", "7", "--json", NULL) ==
	    PARSER_OK);
	CHECK(r.action == CTL_CHECK && r.days == 7 && r.json == 1);
	CHECK(parse(NULL, &r, "--days=0", "check", NULL) == PARSER_OK);
	CHECK(r.action == CTL_CHECK && r.days == 0);
	CHECK(parse(NULL, &r, "--days=36500", "check", NULL) == PARSER_OK);
	CHECK(r.days == 36500);
	CHECK(parse(NULL, &r, "status", "--json", "p2p", NULL) == PARSER_OK);
	CHECK(r.json == 1 && r.action == CTL_STATUS);
	CHECK_STR(r.tunnel, "p2p");
	CHECK(parse(NULL, &r, "-s", "/tmp/a.sock", "--json", "connections",
	    NULL) == PARSER_OK);
	CHECK_STR(r.socket, "/tmp/a.sock");
	CHECK(r.json == 1 && r.action == CTL_CONNECTIONS);
	CHECK(parse(NULL, &r, "stop", "-s", "/tmp/b.sock", NULL) == PARSER_OK);
	CHECK_STR(r.socket, "/tmp/b.sock");
	CHECK(parse(NULL, &r, "-s/tmp/c.sock", "reload", NULL) == PARSER_OK);
	CHECK_STR(r.socket, "/tmp/c.sock");
	CHECK(parse(NULL, &r, "--socket", "/tmp/d.sock", "reload", NULL) ==
	    PARSER_OK);
	CHECK_STR(r.socket, "/tmp/d.sock");
	CHECK(parse(NULL, &r, "--socket=/tmp/e.sock", "reload", NULL) ==
	    PARSER_OK);
	CHECK_STR(r.socket, "/tmp/e.sock");

	/* STUNNELCTL_SOCKET overrides the default, -s overrides both. */
	CHECK(parse("/env.sock", &r, "status", NULL) == PARSER_OK);
	CHECK_STR(r.socket, "/env.sock");
	CHECK(parse("/env.sock", &r, "-s", "/opt.sock", "status", NULL) ==
	    PARSER_OK);
	CHECK_STR(r.socket, "/opt.sock");
	CHECK(parse("", &r, "status", NULL) == PARSER_OK);
	CHECK_STR(r.socket, SD_DEFAULT_CONTROL);

	/* -h and -V win over a missing or wrong command. */
	CHECK(parse(NULL, &r, "-h", NULL) == PARSER_OK);
	CHECK(r.action == CTL_HELP && r.type == 0);
	CHECK(parse(NULL, &r, "--help", NULL) == PARSER_OK);
	CHECK(r.action == CTL_HELP);
	CHECK(parse(NULL, &r, "bogus", "-h", NULL) == PARSER_OK);
	CHECK(r.action == CTL_HELP);
	CHECK(parse(NULL, &r, "-V", NULL) == PARSER_OK);
	CHECK(r.action == CTL_VERSION && r.type == 0);
	CHECK(parse(NULL, &r, "status", "--version", NULL) == PARSER_OK);
	CHECK(r.action == CTL_VERSION);
}

/* Usage errors (exit 2 with the usage), and cert passing its argv on. */
static void
test_parser_errors(void)
{
	struct ctl_request	r;
	char			name[PROTO_NAME_MAX + 1];
	char			sock[200];
	char *const		certargv[] = { (char *)"stunnelctl",
				    (char *)"-s/x", (char *)"cert",
				    (char *)"issue", (char *)"node-a",
				    (char *)"--ip", (char *)"10.0.0.1",
				    (char *)"-h", NULL };

	CHECK_USAGE("missing command", "--json");
	CHECK(parse(NULL, &r, NULL) == PARSER_USAGE);
	CHECK_STR(r.err, "missing command");
	CHECK_USAGE("unknown command: bogus", "bogus");
	CHECK_USAGE("unknown command: Status", "Status");
	CHECK_USAGE("unknown option: --bogus", "--bogus", "status");
	CHECK_USAGE("unknown option: -x", "status", "-x");
	CHECK_USAGE("option -s needs an argument", "status", "-s");
	CHECK_USAGE("option --socket needs an argument", "status", "--socket");
	CHECK_USAGE("empty socket path", "-s", "", "status");
	CHECK_USAGE("status: unexpected argument: b", "status", "a", "b");
	CHECK_USAGE("connections: unexpected argument: b", "connections",
	    "a", "b", "c");
	CHECK_USAGE("reload: unexpected argument: x", "reload", "x");
	CHECK_USAGE("stop: unexpected argument: x", "stop", "x");
	CHECK_USAGE("metrics: unexpected argument: x", "metrics", "x");
	CHECK_USAGE("metrics: --json does not apply", "metrics", "--json");
	CHECK_USAGE("status: empty tunnel name", "status", "");
	CHECK_USAGE("check: unexpected argument: p2p", "check", "p2p");
	CHECK_USAGE("option --days needs an argument", "check", "--days");
	CHECK_USAGE("status: --days does not apply", "status", "--days", "3");
	CHECK_USAGE("--days: not a number of days from 0 to 36500: -1",
	    "check", "--days=-1");
	CHECK_USAGE("--days: not a number of days from 0 to 36500: 7d",
	    "check", "--days", "7d");
	CHECK_USAGE("--days: not a number of days from 0 to 36500: ",
	    "check", "--days=");
	CHECK_USAGE("--days: not a number of days from 0 to 36500: 36501",
	    "check", "--days", "36501");
	CHECK_USAGE("--days: not a number of days from 0 to "
	    "36500: 99999999999999999999", "check", "--days",
	    "99999999999999999999");

	/* The longest name fits PROTO_NAME_MAX with its NUL. */
	memset(name, 'n', sizeof(name));
	name[PROTO_NAME_MAX - 1] = '\0';
	CHECK(parse(NULL, &r, "status", name, NULL) == PARSER_OK);
	CHECK(r.tunnel_len == PROTO_NAME_MAX - 1);
	name[PROTO_NAME_MAX - 1] = 'n';
	name[PROTO_NAME_MAX] = '\0';
	CHECK_USAGE("reload-certs: tunnel name longer than 63 bytes",
	    "reload-certs", name);

	memset(sock, 's', sizeof(sock));
	sock[0] = '/';
	sock[sizeof(sock) - 1] = '\0';
	CHECK(parse(NULL, &r, "-s", sock, "status", NULL) == PARSER_USAGE);
	CHECK(strncmp(r.err, "socket path too long: ", 22) == 0);

	/* cert takes the rest of the line, options too, for cert.c. */
	CHECK(parse(NULL, &r, "cert", NULL) == PARSER_OK);
	CHECK(r.action == CTL_CERT && r.type == 0 && r.argc == 0);
	CHECK(parser_parse(8, certargv, NULL, &r) == PARSER_OK);
	CHECK(r.action == CTL_CERT && r.argc == 5 && r.argv == certargv + 3);
	CHECK_STR(r.socket, "/x");
	CHECK_USAGE("cert: --json does not apply", "--json", "cert", "pin",
	    "x.crt");
	/* cert's own --days is cert's, not check's. */
	CHECK(parse(NULL, &r, "cert", "issue", "n", "--days", "3", NULL) ==
	    PARSER_OK);
	CHECK(r.action == CTL_CERT && r.argc == 4 && r.days == 0);
	CHECK_USAGE("cert: --days does not apply", "--days", "3", "cert",
	    "ca");
}

/* The request frame, STUNNELCTL_TIMEOUT and the usage text. */
static void
test_parser_misc(void)
{
	struct ctl_request	 r;
	struct proto_hdr	 hdr;
	struct capture		 cap;
	const uint8_t		*payload;
	uint8_t			 frame[sizeof(struct proto_hdr) + PROTO_NAME_MAX];
	size_t			 len;
	char			*text;
	int			 secs;

	CHECK(parse(NULL, &r, "reload-certs", "p2p_in", NULL) == PARSER_OK);
	len = proto_frame(frame, sizeof(frame), r.type, 1, r.tunnel,
	    r.tunnel_len);
	CHECK(len == sizeof(hdr) + 6);
	CHECK(proto_parse(frame, len, &hdr, &payload) == (long)len);
	CHECK(hdr.type == PROTO_REQ_RELOAD_CERTS && hdr.len == 6);
	CHECK(memcmp(payload, "p2p_in", 6) == 0);
	CHECK(parse(NULL, &r, "stop", NULL) == PARSER_OK);
	len = proto_frame(frame, sizeof(frame), r.type, 1, r.tunnel,
	    r.tunnel_len);
	CHECK(len == sizeof(hdr));

	CHECK(parser_timeout(NULL, &secs) == 0 && secs == 30);
	CHECK(parser_timeout("", &secs) == 0 && secs == 30);
	CHECK(parser_timeout("2", &secs) == 0 && secs == 2);
	CHECK(parser_timeout("86400", &secs) == 0 && secs == 86400);
	CHECK(parser_timeout("0", &secs) == -1);
	CHECK(parser_timeout("-1", &secs) == -1);
	CHECK(parser_timeout(" 5", &secs) == -1);
	CHECK(parser_timeout("5s", &secs) == -1);
	CHECK(parser_timeout("86401", &secs) == -1);
	CHECK(parser_timeout("99999999999999999999", &secs) == -1);

	parser_usage(cap_open(&cap), 1);
	text = cap_text(&cap);
	CHECK(strncmp(text, "usage: stunnelctl [-s SOCKET] [--json] COMMAND "
	    "[TUNNEL]\n", 55) == 0);
	CHECK(strstr(text, "\n  reload-certs [TUNNEL]  ") != NULL);
	CHECK(strstr(text, "\n  metrics   ") != NULL);
	CHECK(strstr(text, "\n  check [--days N]   ") != NULL);
	CHECK(strstr(text, "\n  cert ca|issue|revoke|crl|show|pin ...\n") != NULL);
	free(text);
	parser_usage(cap_open(&cap), 0);
	text = cap_text(&cap);
	CHECK_STR(text, "usage: stunnelctl [-s SOCKET] [--json] COMMAND "
	    "[TUNNEL]\ncommands: status connections metrics check reload-certs "
	    "reload stop cert (stunnelctl -h: details)\n");
	free(text);
}

/*
 * 1 if ${doc} is valid JSON in valid UTF-8 by python3's json module, 0 if
 * not, -1 if python3 is not there to say.
 */
static int
json_valid(const char *doc)
{
	FILE	*p;
	int	 st;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return (-1);
	if ((p = popen("python3 -c 'import json,sys; "
	    "json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))'",
	    "w")) == NULL)
		return (-1);
	fputs(doc, p);
	st = pclose(p);
	return (st == 0);
}

/* Check ${doc} with json_valid() unless python3 is missing. */
#define CHECK_JSON_VALID(doc_) do {					\
	int v_ = json_valid(doc_);					\
	if (v_ != -1)							\
		CHECK(v_ == 1);						\
} while (0)

/* ${s} written by json_string() alone. */
static char *
jstr(const char *s)
{
	struct capture	cap;
	struct json	j;

	json_init(&j, cap_open(&cap));
	json_string(&j, s);
	CHECK(json_finish(&j) == 0);
	return (cap_text(&cap));
}

/* Check that json_string(${in}) gives ${out} (plus the newline). */
#define CHECK_JSTR(in_, out_) do {					\
	char *s_ = jstr(in_);						\
	CHECK_STR(s_, out_ "\n");					\
	CHECK_JSON_VALID(s_);						\
	free(s_);							\
} while (0)

/* The JSON writer: escaping, UTF-8, nesting, numbers, misuse. */
static void
test_json(void)
{
	struct capture	 cap;
	struct json	 j;
	char		*text;
	int		 i;

	CHECK_JSTR("", "\"\"");
	CHECK_JSTR("plain", "\"plain\"");
	CHECK_JSTR("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	CHECK_JSTR("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	CHECK_JSTR("\x01\x1f\x7f x", "\"\\u0001\\u001f\\u007f x\"");
	CHECK_JSTR("\x1b[31mred", "\"\\u001b[31mred\"");
	/* Valid UTF-8 passes as is: é, €, U+1F512. */
	CHECK_JSTR("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
	    "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
	/* Invalid UTF-8 becomes U+FFFD, byte by byte. */
	CHECK_JSTR("a\xff" "b", "\"a\\ufffdb\"");
	CHECK_JSTR("\xc3", "\"\\ufffd\"");			/* truncated */
	CHECK_JSTR("\xe2\x82", "\"\\ufffd\\ufffd\"");		/* truncated */
	CHECK_JSTR("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong */
	CHECK_JSTR("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");	/* overlong */
	CHECK_JSTR("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	CHECK_JSTR("\xf4\x90\x80\x80",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");		/* > U+10FFFF */
	CHECK_JSTR("\x80z", "\"\\ufffdz\"");			/* stray */

	json_init(&j, cap_open(&cap));
	json_object_begin(&j);
	json_key(&j, "a");
	json_array_begin(&j);
	json_int(&j, INT64_MIN);
	json_uint(&j, UINT64_MAX);
	json_object_begin(&j);
	json_key(&j, "b");
	json_null(&j);
	json_key(&j, "k\"");
	json_string(&j, NULL);
	json_object_end(&j);
	json_array_begin(&j);
	json_array_end(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	json_key(&j, "t");
	json_bool(&j, 1);
	json_key(&j, "f");
	json_bool(&j, 0);
	json_key(&j, "n");
	json_int(&j, -42);
	json_object_end(&j);
	CHECK(json_finish(&j) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "{\"a\":[-9223372036854775808,18446744073709551615,"
	    "{\"b\":null,\"k\\\"\":null},[],{}],\"t\":true,\"f\":false,"
	    "\"n\":-42}\n");
	CHECK_JSON_VALID(text);
	free(text);

	/* Misuse is reported by json_finish(). */
	json_init(&j, cap_open(&cap));
	json_object_begin(&j);
	CHECK(json_finish(&j) == -1);		/* not closed */
	free(cap_text(&cap));
	json_init(&j, cap_open(&cap));
	CHECK(json_finish(&j) == -1);		/* empty */
	free(cap_text(&cap));
	json_init(&j, cap_open(&cap));
	json_int(&j, 1);
	json_int(&j, 2);
	CHECK(json_finish(&j) == -1);		/* two documents */
	free(cap_text(&cap));
	json_init(&j, cap_open(&cap));
	json_array_begin(&j);
	json_key(&j, "k");
	json_array_end(&j);
	CHECK(json_finish(&j) == -1);		/* key in an array */
	free(cap_text(&cap));
	json_init(&j, cap_open(&cap));
	json_object_begin(&j);
	json_key(&j, "k");
	json_object_end(&j);
	CHECK(json_finish(&j) == -1);		/* key without a value */
	free(cap_text(&cap));
	json_init(&j, cap_open(&cap));
	for (i = 0; i < JSON_DEPTH_MAX + 1; i++)
		json_array_begin(&j);
	for (i = 0; i < JSON_DEPTH_MAX + 1; i++)
		json_array_end(&j);
	CHECK(json_finish(&j) == -1);		/* too deep */
	free(cap_text(&cap));
	json_init(&j, cap_open(&cap));
	for (i = 0; i < JSON_DEPTH_MAX; i++)
		json_array_begin(&j);
	for (i = 0; i < JSON_DEPTH_MAX; i++)
		json_array_end(&j);
	CHECK(json_finish(&j) == 0);		/* just deep enough */
	free(cap_text(&cap));
}

/* Feed the frame ${type}/${seq} with ${len} bytes of ${payload} to ${rep}. */
static int
feed(struct ctl_reply *rep, uint16_t reqtype, uint16_t type, uint32_t seq,
    const void *payload, uint32_t len, char *why, size_t whylen)
{
	static uint8_t		 frame[sizeof(struct proto_hdr) +
				    PROTO_MAX_PAYLOAD];
	struct proto_hdr	 hdr;
	const uint8_t		*p;
	size_t			 flen;

	flen = proto_frame(frame, sizeof(frame), type, seq, payload, len);
	if (flen == 0 || proto_parse(frame, flen, &hdr, &p) != (long)flen) {
		fprintf(stderr, "cannot build test frame type %u\n", type);
		exit(99);
	}
	return (output_reply_add(rep, reqtype, 1, &hdr, p, why, whylen));
}

/* Collecting replies: records, OK / FAIL text, frames that do not belong. */
static void
test_reply(void)
{
	struct ctl_reply	rep;
	struct proto_tunnel	t;
	struct proto_conn	c;
	char			why[128];

	output_reply_init(&rep);
	memset(&t, 'x', sizeof(t));		/* no NUL anywhere */
	CHECK(feed(&rep, PROTO_REQ_STATUS, PROTO_REP_TUNNEL, 1, &t, sizeof(t),
	    why, sizeof(why)) == 0);
	CHECK(feed(&rep, PROTO_REQ_STATUS, PROTO_REP_TUNNEL, 1, &t, sizeof(t),
	    why, sizeof(why)) == 0);
	CHECK(rep.ntunnels == 2 && rep.type == 0);
	CHECK(strlen(rep.tunnels[1].name) == PROTO_NAME_MAX - 1);
	CHECK(strlen(rep.tunnels[1].mode) == sizeof(t.mode) - 1);
	CHECK(strlen(rep.tunnels[1].listen) == PROTO_ADDR_MAX - 1);
	CHECK(strlen(rep.tunnels[1].state) == sizeof(t.state) - 1);
	CHECK(strlen(rep.tunnels[1].stats.cert_subject) == PROTO_IDENT_MAX - 1);
	CHECK(feed(&rep, PROTO_REQ_STATUS, PROTO_REP_END, 1, NULL, 0, why,
	    sizeof(why)) == 1);
	CHECK(rep.type == PROTO_REP_END);
	CHECK(feed(&rep, PROTO_REQ_STATUS, PROTO_REP_END, 1, NULL, 0, why,
	    sizeof(why)) == -1);
	CHECK_STR(why, "frame after the end of the reply");
	output_reply_free(&rep);
	CHECK(rep.ntunnels == 0 && rep.tunnels == NULL && rep.type == 0);

	memset(&c, 'y', sizeof(c));
	CHECK(feed(&rep, PROTO_REQ_CONNECTIONS, PROTO_REP_CONN, 1, &c,
	    sizeof(c), why, sizeof(why)) == 0);
	CHECK(rep.nconns == 1);
	CHECK(strlen(rep.conns[0].peer) == PROTO_IDENT_MAX - 1);
	CHECK(strlen(rep.conns[0].destination) == PROTO_ADDR_MAX - 1);
	CHECK(feed(&rep, PROTO_REQ_CONNECTIONS, PROTO_REP_FAIL, 1,
	    "no tunnel x", 11, why, sizeof(why)) == 1);
	CHECK(rep.type == PROTO_REP_FAIL);
	CHECK_STR(rep.message, "no tunnel x");
	output_reply_free(&rep);

	CHECK(feed(&rep, PROTO_REQ_RELOAD, PROTO_REP_OK, 1, "", 0, why,
	    sizeof(why)) == 1);
	CHECK(rep.type == PROTO_REP_OK);
	CHECK_STR(rep.message, "");
	output_reply_free(&rep);

	/* Frames that do not belong to the request. */
	CHECK(feed(&rep, PROTO_REQ_STATUS, PROTO_REP_END, 2, NULL, 0, why,
	    sizeof(why)) == -1);
	CHECK_STR(why, "reply to request 2, expected 1");
	CHECK(feed(&rep, PROTO_REQ_STATUS, PROTO_REP_CONN, 1, &c, sizeof(c),
	    why, sizeof(why)) == -1);
	CHECK_STR(why, "unexpected reply type 103 to request type 1");
	CHECK(feed(&rep, PROTO_REQ_CONNECTIONS, PROTO_REP_TUNNEL, 1, &t,
	    sizeof(t), why, sizeof(why)) == -1);
	CHECK(feed(&rep, PROTO_REQ_STATUS, PROTO_REP_OK, 1, "", 0, why,
	    sizeof(why)) == -1);
	CHECK(feed(&rep, PROTO_REQ_STOP, PROTO_REP_END, 1, NULL, 0, why,
	    sizeof(why)) == -1);
	CHECK(feed(&rep, PROTO_REQ_STOP, PROTO_REQ_STOP, 1, NULL, 0, why,
	    sizeof(why)) == -1);
	CHECK(feed(&rep, PROTO_REQ_STOP, PROTO_IPC_STATS, 1, NULL, 0, why,
	    sizeof(why)) == -1);
	CHECK(rep.type == 0 && rep.ntunnels == 0 && rep.nconns == 0);
	output_reply_free(&rep);

	/* The daemon refusing the frame itself answers FAIL with seq 0. */
	CHECK(feed(&rep, PROTO_REQ_STOP, PROTO_REP_FAIL, 0, "invalid message",
	    15, why, sizeof(why)) == 1);
	CHECK(rep.type == PROTO_REP_FAIL);
	CHECK_STR(rep.message, "invalid message");
	output_reply_free(&rep);
}

/* The small formatters. */
static void
test_formatters(void)
{
	char	b[32];

	CHECK_STR(output_bytes(b, sizeof(b), 0), "0");
	CHECK_STR(output_bytes(b, sizeof(b), 1023), "1023");
	CHECK_STR(output_bytes(b, sizeof(b), 1024), "1.0K");
	CHECK_STR(output_bytes(b, sizeof(b), 1536), "1.5K");
	CHECK_STR(output_bytes(b, sizeof(b), 10189), "10K");	/* 9.95K */
	CHECK_STR(output_bytes(b, sizeof(b), 123456), "121K");
	CHECK_STR(output_bytes(b, sizeof(b), 1048575), "1.0M");
	CHECK_STR(output_bytes(b, sizeof(b), 1258291), "1.2M");
	CHECK_STR(output_bytes(b, sizeof(b), 1023ULL << 20), "1023M");
	CHECK_STR(output_bytes(b, sizeof(b), 3ULL << 30), "3.0G");
	CHECK_STR(output_bytes(b, sizeof(b), 1ULL << 50), "1.0P");
	CHECK_STR(output_bytes(b, sizeof(b), UINT64_MAX), "16E");

	CHECK_STR(output_age(b, sizeof(b), -5), "0s");
	CHECK_STR(output_age(b, sizeof(b), 0), "0s");
	CHECK_STR(output_age(b, sizeof(b), 59), "59s");
	CHECK_STR(output_age(b, sizeof(b), 312), "5m12s");
	CHECK_STR(output_age(b, sizeof(b), 3600), "1h0m");
	CHECK_STR(output_age(b, sizeof(b), 86399), "23h59m");
	CHECK_STR(output_age(b, sizeof(b), 3 * 86400 + 4 * 3600 + 59), "3d4h");

	CHECK_STR(show_time(b, sizeof(b), 1827100800),
	    "2027-11-25T00:00:00Z");
	CHECK_STR(show_time(b, sizeof(b), 0), "1970-01-01T00:00:00Z");

	CHECK(show_days_left(NOW + 365 * 86400, NOW) == 365);
	CHECK(show_days_left(NOW + 365 * 86400 - 1, NOW) == 364);
	CHECK(show_days_left(NOW + 1, NOW) == 0);
	CHECK(show_days_left(NOW, NOW) == 0);
	CHECK(show_days_left(NOW - 1, NOW) == -1);
	CHECK(show_days_left(NOW - 86400, NOW) == -1);
	CHECK(show_days_left(NOW - 86401, NOW) == -2);
}

/* The status table, the detail view and the JSON document. */
static void
test_status(void)
{
	struct proto_tunnel	 t[3];
	struct capture		 cap;
	char			*text;

	fixtures(t);
	output_status(cap_open(&cap), t, 3, NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
"TUNNEL     MODE   LISTEN              STATE     CONNS  TOTAL  BYTES-IN  BYTES-OUT  FAILED  CERT-DAYS\n"
"p2p_out    socks  127.0.0.1:1080      running       3     17      121K       639K       2        365\n"
"p2p_in     tls    [2001:db8::1]:7447  running?      ?      ?         ?          ?       ?          ?\n"
"tools_out  socks  127.0.0.1:1081      failed        0      4      5.3G       1023       0    expired\n"
"?: the worker did not answer; its counters are unknown\n"
"tools_out: CRL past its next update 2026-11-24T00:00:00Z (crl_strict: the peers it covers are refused)\n");
	free(text);

	/* No stale tunnel: no footnote; no tunnel: the header alone. */
	output_status(cap_open(&cap), t, 1, NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
"TUNNEL   MODE   LISTEN          STATE    CONNS  TOTAL  BYTES-IN  BYTES-OUT  FAILED  CERT-DAYS\n"
"p2p_out  socks  127.0.0.1:1080  running      3     17      121K       639K       2        365\n");
	free(text);
	output_status(cap_open(&cap), t, 0, NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
"TUNNEL  MODE  LISTEN  STATE  CONNS  TOTAL  BYTES-IN  BYTES-OUT  FAILED  CERT-DAYS\n");
	free(text);

	/* Control characters from the daemon never reach the terminal. */
	snprintf(t[0].name, sizeof(t[0].name), "a\x1b[2Jb");
	t[0].stats.cert_not_after = 0;
	output_status(cap_open(&cap), t, 1, NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
"TUNNEL  MODE   LISTEN          STATE    CONNS  TOTAL  BYTES-IN  BYTES-OUT  FAILED  CERT-DAYS\n"
"a?[2Jb  socks  127.0.0.1:1080  running      3     17      121K       639K       2          -\n");
	free(text);

	fixtures(t);
	output_status_detail(cap_open(&cap), &t[0], NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
	    "name:               p2p_out\n"
	    "mode:               socks\n"
	    "listen:             127.0.0.1:1080\n"
	    "state:              running\n"
	    "pid:                1234\n"
	    "workers:            1\n"
	    "restarts:           0\n"
	    "max connections:    256\n"
	    "connections active: 3\n"
	    "connections total:  17\n"
	    "bytes in:           123456 (121K)\n"
	    "bytes out:          654321 (639K)\n"
	    "handshakes failed:  2\n"
	    "socks refused:      1\n"
	    "cert subject:       CN=node-a\n"
	    "cert not after:     2027-11-25T00:00:00Z\n"
	    "cert days left:     365\n"
	    "certs loaded at:    2026-11-24T10:00:00Z\n"
	    "crl next update:    2026-12-02T00:00:00Z\n"
	    "crl strict:         no\n");
	free(text);

	output_status_detail(cap_open(&cap), &t[1], NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
	    "name:               p2p_in\n"
	    "mode:               tls\n"
	    "listen:             [2001:db8::1]:7447\n"
	    "state:              running (stale: the worker did not answer; "
	    "counters unknown)\n"
	    "pid:                1300\n"
	    "workers:            4\n"
	    "restarts:           2\n"
	    "max connections:    64\n"
	    "connections active: ?\n"
	    "connections total:  ?\n"
	    "bytes in:           ?\n"
	    "bytes out:          ?\n"
	    "handshakes failed:  ?\n"
	    "socks refused:      ?\n"
	    "cert subject:       ?\n"
	    "cert not after:     ?\n"
	    "cert days left:     ?\n"
	    "certs loaded at:    ?\n"
	    "crl next update:    ?\n"
	    "crl strict:         ?\n");
	free(text);

	output_status_detail(cap_open(&cap), &t[2], NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
	    "name:               tools_out\n"
	    "mode:               socks\n"
	    "listen:             127.0.0.1:1081\n"
	    "state:              failed\n"
	    "pid:                -\n"
	    "workers:            1\n"
	    "restarts:           5\n"
	    "max connections:    256\n"
	    "connections active: 0\n"
	    "connections total:  4\n"
	    "bytes in:           5683281920 (5.3G)\n"
	    "bytes out:          1023 (1023)\n"
	    "handshakes failed:  0\n"
	    "socks refused:      0\n"
	    "cert subject:       CN=ops \"tools\"\n"
	    "cert not after:     2026-11-24T23:00:00Z\n"
	    "cert days left:     -1 (expired)\n"
	    "certs loaded at:    -\n"
	    "crl next update:    2026-11-24T00:00:00Z (expired)\n"
	    "crl strict:         yes\n");
	free(text);

	CHECK(output_status_json(cap_open(&cap), t, 3, NOW) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "{\"tunnels\":["
	    "{\"name\":\"p2p_out\",\"mode\":\"socks\","
	    "\"listen\":\"127.0.0.1:1080\",\"state\":\"running\","
	    "\"stale\":false,\"pid\":1234,\"workers\":1,\"restarts\":0,"
	    "\"max_connections\":256,\"connections_active\":3,"
	    "\"connections_total\":17,\"bytes_in\":123456,"
	    "\"bytes_out\":654321,\"handshakes_failed\":2,"
	    "\"socks_refused\":1,\"cert\":{\"subject\":\"CN=node-a\","
	    "\"not_after\":\"2027-11-25T00:00:00Z\",\"days_left\":365},"
	    "\"certs_loaded_at\":\"2026-11-24T10:00:00Z\","
	    "\"crl\":{\"next_update\":\"2026-12-02T00:00:00Z\","
	    "\"expired\":false,\"strict\":false}},"
	    "{\"name\":\"p2p_in\",\"mode\":\"tls\","
	    "\"listen\":\"[2001:db8::1]:7447\",\"state\":\"running\","
	    "\"stale\":true,\"pid\":1300,\"workers\":4,\"restarts\":2,"
	    "\"max_connections\":64,\"connections_active\":null,"
	    "\"connections_total\":null,\"bytes_in\":null,"
	    "\"bytes_out\":null,\"handshakes_failed\":null,"
	    "\"socks_refused\":null,\"cert\":{\"subject\":null,"
	    "\"not_after\":null,\"days_left\":null},"
	    "\"certs_loaded_at\":null,\"crl\":{\"next_update\":null,"
	    "\"expired\":null,\"strict\":null}},"
	    "{\"name\":\"tools_out\",\"mode\":\"socks\","
	    "\"listen\":\"127.0.0.1:1081\",\"state\":\"failed\","
	    "\"stale\":false,\"pid\":null,\"workers\":1,\"restarts\":5,"
	    "\"max_connections\":256,\"connections_active\":0,"
	    "\"connections_total\":4,\"bytes_in\":5683281920,"
	    "\"bytes_out\":1023,\"handshakes_failed\":0,"
	    "\"socks_refused\":0,\"cert\":{\"subject\":\"CN=ops \\\"tools\\\"\","
	    "\"not_after\":\"2026-11-24T23:00:00Z\",\"days_left\":-1},"
	    "\"certs_loaded_at\":null,"
	    "\"crl\":{\"next_update\":\"2026-11-24T00:00:00Z\","
	    "\"expired\":true,\"strict\":true}}]}\n");
	CHECK_JSON_VALID(text);
	free(text);

	/* No crl file: "crl" is null, the detail says so; a CRL without
	 * a next update never expires. */
	t[0].stats.crls = 0;
	CHECK(output_status_json(cap_open(&cap), t, 1, NOW) == 0);
	text = cap_text(&cap);
	CHECK(strstr(text, "\"certs_loaded_at\":\"2026-11-24T10:00:00Z\","
	    "\"crl\":null}]}\n") != NULL);
	CHECK_JSON_VALID(text);
	free(text);
	output_status_detail(cap_open(&cap), &t[0], NOW);
	text = cap_text(&cap);
	CHECK(strstr(text, "\ncrl next update:    - (no crl)\n") != NULL);
	free(text);
	t[2].stats.crl_next_update = 0;
	output_status_detail(cap_open(&cap), &t[2], NOW);
	text = cap_text(&cap);
	CHECK(strstr(text, "\ncrl next update:    none given\n") != NULL);
	free(text);
	CHECK(output_status_json(cap_open(&cap), &t[2], 1, NOW) == 0);
	text = cap_text(&cap);
	CHECK(strstr(text, "\"crl\":{\"next_update\":null,"
	    "\"expired\":false,\"strict\":true}}]}\n") != NULL);
	free(text);
	output_status(cap_open(&cap), t, 3, NOW);
	text = cap_text(&cap);
	CHECK(strstr(text, "CRL past") == NULL);
	free(text);
	fixtures(t);

	CHECK(output_status_json(cap_open(&cap), t, 0, NOW) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "{\"tunnels\":[]}\n");
	free(text);
}

/* The connections table and JSON document. */
static void
test_connections(void)
{
	struct proto_conn	 c[2];
	struct capture		 cap;
	char			*text;

	conn_fixtures(c);
	output_connections(cap_open(&cap), c, 2, NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
"CLIENT               DESTINATION    PEER      IN  OUT    AGE  TUNNEL   STATE\n"
"127.0.0.1:50312      10.0.0.2:7447  node-b  1.5K  10M   3d3h  p2p_out  relay\n"
"[2001:db8::7]:41000  -              -        517    0  5m12s  p2p_in   tls-handshake\n");
	free(text);

	output_connections(cap_open(&cap), c, 0, NOW);
	text = cap_text(&cap);
	CHECK_STR(text,
	    "CLIENT  DESTINATION  PEER  IN  OUT  AGE  TUNNEL  STATE\n");
	free(text);

	CHECK(output_connections_json(cap_open(&cap), c, 2, NOW) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "{\"connections\":["
	    "{\"tunnel\":\"p2p_out\",\"client\":\"127.0.0.1:50312\","
	    "\"destination\":\"10.0.0.2:7447\",\"peer\":\"node-b\","
	    "\"state\":\"relay\",\"bytes_in\":1536,\"bytes_out\":10485760,"
	    "\"started\":\"2026-11-21T20:55:48Z\",\"age_seconds\":270252},"
	    "{\"tunnel\":\"p2p_in\",\"client\":\"[2001:db8::7]:41000\","
	    "\"destination\":null,\"peer\":null,\"state\":\"tls-handshake\","
	    "\"bytes_in\":517,\"bytes_out\":0,"
	    "\"started\":\"2026-11-24T23:54:48Z\",\"age_seconds\":312}]}\n");
	CHECK_JSON_VALID(text);
	free(text);

	CHECK(output_connections_json(cap_open(&cap), c, 0, NOW) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "{\"connections\":[]}\n");
	free(text);
}

/* check's verdict: every rule of check_tunnel(), then its words. */
static void
test_check(void)
{
	struct proto_tunnel	 t[3], u;
	enum check_kind		 k[CHECK_PER_TUNNEL];
	struct capture		 cap;
	char			*text;
	size_t			 np;

	fixtures(t);
	/* Healthy; its certificate ends exactly 365 days from now. */
	CHECK(check_tunnel(&t[0], NOW, 0, k) == 0);
	CHECK(check_tunnel(&t[0], NOW, 365, k) == 0);
	CHECK(check_tunnel(&t[0], NOW, 366, k) == 1 &&
	    k[0] == CHECK_CERT_EXPIRING);
	/* Stale: nothing else can be known; not running: likewise. */
	CHECK(check_tunnel(&t[1], NOW, 0, k) == 1 && k[0] == CHECK_STALE);
	CHECK(check_tunnel(&t[2], NOW, 0, k) == 1 &&
	    k[0] == CHECK_NOT_RUNNING);
	u = t[1];
	u.flags = 0;
	snprintf(u.state, sizeof(u.state), "restarting");
	CHECK(check_tunnel(&u, NOW, 0, k) == 1 && k[0] == CHECK_NOT_RUNNING);
	u.state[0] = '\0';
	CHECK(check_tunnel(&u, NOW, 0, k) == 1 && k[0] == CHECK_NOT_RUNNING);
	snprintf(u.state, sizeof(u.state), "running");
	CHECK(check_tunnel(&u, NOW, 0, k) == 1 && k[0] == CHECK_CERT_UNKNOWN);

	/* The certificate: expired at its not_after, not a second before. */
	u = t[0];
	u.stats.cert_not_after = NOW;
	CHECK(check_tunnel(&u, NOW, 0, k) == 1 && k[0] == CHECK_CERT_EXPIRED);
	CHECK(check_tunnel(&u, NOW, 7, k) == 1 && k[0] == CHECK_CERT_EXPIRED);
	u.stats.cert_not_after = NOW + 1;
	CHECK(check_tunnel(&u, NOW, 0, k) == 0);
	CHECK(check_tunnel(&u, NOW, 1, k) == 1 && k[0] == CHECK_CERT_EXPIRING);
	u.stats.cert_not_after = NOW + 7 * 86400;
	CHECK(check_tunnel(&u, NOW, 7, k) == 0);
	CHECK(check_tunnel(&u, NOW, 8, k) == 1 && k[0] == CHECK_CERT_EXPIRING);
	u.stats.cert_not_after = INT64_MIN;
	CHECK(check_tunnel(&u, NOW, 0, k) == 1 && k[0] == CHECK_CERT_EXPIRED);
	u.stats.cert_not_after = INT64_MAX;
	CHECK(check_tunnel(&u, NOW, PARSER_DAYS_MAX, k) == 0);

	/* The CRL: a problem only with crl_strict, from its next update on. */
	u = t[0];
	u.stats.crl_next_update = NOW - 86400;
	CHECK(check_tunnel(&u, NOW, 0, k) == 0);
	u.stats.crl_flags = PROTO_CRL_STRICT;
	CHECK(check_tunnel(&u, NOW, 0, k) == 1 && k[0] == CHECK_CRL_EXPIRED);
	u.stats.crl_next_update = NOW;
	CHECK(check_tunnel(&u, NOW, 0, k) == 1 && k[0] == CHECK_CRL_EXPIRED);
	u.stats.crl_next_update = NOW + 1;
	CHECK(check_tunnel(&u, NOW, 0, k) == 0);
	u.stats.crl_next_update = 0;		/* a CRL without one */
	CHECK(check_tunnel(&u, NOW, 0, k) == 0);
	u.stats.crl_next_update = NOW - 1;
	u.stats.crls = 0;			/* no crl file */
	CHECK(check_tunnel(&u, NOW, 0, k) == 0);
	/* Both at once: the certificate first. */
	u.stats.crls = 1;
	CHECK(check_tunnel(&u, NOW, 400, k) == 2 &&
	    k[0] == CHECK_CERT_EXPIRING && k[1] == CHECK_CRL_EXPIRED);

	CHECK_STR(check_kind_name(CHECK_NOT_RUNNING), "not-running");
	CHECK_STR(check_kind_name(CHECK_STALE), "stale");
	CHECK_STR(check_kind_name(CHECK_CERT_UNKNOWN), "cert-unknown");
	CHECK_STR(check_kind_name(CHECK_CERT_EXPIRED), "cert-expired");
	CHECK_STR(check_kind_name(CHECK_CERT_EXPIRING), "cert-expiring");
	CHECK_STR(check_kind_name(CHECK_CRL_EXPIRED), "crl-expired");

	/* The text: one line per problem, or one "ok" line. */
	CHECK(check_print(cap_open(&cap), t, 3, NOW, 0) == 2);
	text = cap_text(&cap);
	CHECK_STR(text,
	    "p2p_in: the worker did not answer: its certificate and CRL are "
	    "unknown\n"
	    "tools_out: not running: failed (5 restarts)\n");
	free(text);
	CHECK(check_print(cap_open(&cap), t, 1, NOW, 0) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "ok: 1 tunnel running\n");
	free(text);
	CHECK(check_print(cap_open(&cap), t, 1, NOW, 30) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "ok: 1 tunnel running, every certificate valid 30 "
	    "more days\n");
	free(text);
	CHECK(check_print(cap_open(&cap), t, 1, NOW, 1) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "ok: 1 tunnel running, every certificate valid 1 "
	    "more day\n");
	free(text);
	CHECK(check_print(cap_open(&cap), t, 0, NOW, 0) == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "ok: 0 tunnels running\n");
	free(text);
	u = t[0];
	u.stats.crl_flags = PROTO_CRL_STRICT;
	u.stats.crl_next_update = NOW - 86400;
	CHECK(check_print(cap_open(&cap), &u, 1, NOW, 400) == 2);
	text = cap_text(&cap);
	CHECK_STR(text,
	    "p2p_out: certificate CN=node-a expires 2027-11-25T00:00:00Z, "
	    "within 400 days\n"
	    "p2p_out: CRL past its next update 2026-11-24T00:00:00Z "
	    "(crl_strict: the peers it covers are refused)\n");
	free(text);
	/* Control characters from the daemon never reach the terminal. */
	snprintf(u.name, sizeof(u.name), "a\x1b[2Jb");
	u.stats.cert_not_after = NOW - 3600;
	u.stats.crl_flags = 0;
	snprintf(u.stats.cert_subject, sizeof(u.stats.cert_subject),
	    "CN=x\ny");
	CHECK(check_print(cap_open(&cap), &u, 1, NOW, 0) == 1);
	text = cap_text(&cap);
	CHECK_STR(text, "a?[2Jb: certificate CN=x?y expired "
	    "2026-11-24T23:00:00Z\n");
	free(text);

	/* The JSON document. */
	CHECK(output_check_json(cap_open(&cap), t, 3, NOW, 7, &np) == 0);
	text = cap_text(&cap);
	CHECK(np == 2);
	CHECK_STR(text, "{\"ok\":false,\"days\":7,\"problems\":["
	    "{\"tunnel\":\"p2p_in\",\"problem\":\"stale\",\"message\":"
	    "\"the worker did not answer: its certificate and CRL are "
	    "unknown\"},"
	    "{\"tunnel\":\"tools_out\",\"problem\":\"not-running\","
	    "\"message\":\"not running: failed (5 restarts)\"}]}\n");
	CHECK_JSON_VALID(text);
	free(text);
	CHECK(output_check_json(cap_open(&cap), t, 1, NOW, 0, &np) == 0);
	text = cap_text(&cap);
	CHECK(np == 0);
	CHECK_STR(text, "{\"ok\":true,\"days\":0,\"problems\":[]}\n");
	CHECK_JSON_VALID(text);
	free(text);
}

/* The OK / FAIL documents. */
static void
test_result_json(void)
{
	struct capture	 cap;
	char		*text;

	CHECK(output_result_json(cap_open(&cap), 1, "reloaded 2 tunnels") == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "{\"ok\":true,\"message\":\"reloaded 2 tunnels\"}\n");
	CHECK_JSON_VALID(text);
	free(text);
	CHECK(output_result_json(cap_open(&cap), 0,
	    "/etc/stunneld/node.key: \"No such file\"\n") == 0);
	text = cap_text(&cap);
	CHECK_STR(text, "{\"ok\":false,\"error\":\"/etc/stunneld/node.key: "
	    "\\\"No such file\\\"\\n\"}\n");
	CHECK_JSON_VALID(text);
	free(text);
}

/* Skip a metric or label name at ${*p}; 0 if there is none. */
static int
prom_name(const char **p, int colon)
{
	const char	*s = *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_' || (colon && *s == ':')))
		return (0);
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    (*s >= '0' && *s <= '9') || *s == '_' || (colon && *s == ':'))
		s++;
	*p = s;
	return (1);
}

/*
 * Check ${text} against the Prometheus text format 0.0.4, strictly as we
 * write it: "# HELP name text" then "# TYPE name gauge|counter" open each
 * family exactly once, and every other line is a sample
 * "name{label="value",...} value" of the family just opened (counters
 * named *_total), with label values escaped.  Return the number of
 * problems found; with ${verbose}, print them.
 */
static int
prom_check(const char *text, int verbose)
{
	char		 fams[32][64], cur[64] = "", line[1024];
	const char	*p, *nl, *q, *name;
	size_t		 nfams = 0, i, len;
	int		 bad = 0, state = 0, counter = 0, lineno = 0;
	char		*end;

#define PROM_BAD(why) do {						\
	if (verbose)							\
		fprintf(stderr, "metrics line %d: %s: %s\n", lineno,	\
		    (why), line);					\
	bad++;								\
	goto next;							\
} while (0)

	len = strlen(text);
	if (len == 0 || text[len - 1] != '\n') {
		if (verbose)
			fprintf(stderr, "metrics: no final newline\n");
		return (1);
	}
	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		lineno++;
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		q = line;
		if (strncmp(q, "# HELP ", 7) == 0) {
			q += 7;
			name = q;
			if (!prom_name(&q, 1) || *q != ' ' || q[1] == '\0')
				PROM_BAD("bad HELP");
			snprintf(cur, sizeof(cur), "%.*s", (int)(q - name),
			    name);
			for (i = 0; i < nfams; i++)
				if (strcmp(fams[i], cur) == 0)
					break;
			if (i < nfams)
				PROM_BAD("family repeated");
			if (nfams == 32)
				PROM_BAD("too many families");
			snprintf(fams[nfams++], sizeof(fams[0]), "%s", cur);
			state = 1;
			continue;
		}
		if (strncmp(q, "# TYPE ", 7) == 0) {
			q += 7;
			if (state != 1 || strncmp(q, cur, strlen(cur)) != 0 ||
			    q[strlen(cur)] != ' ')
				PROM_BAD("TYPE not right after its HELP");
			q += strlen(cur) + 1;
			if (strcmp(q, "counter") == 0)
				counter = 1;
			else if (strcmp(q, "gauge") == 0)
				counter = 0;
			else
				PROM_BAD("unknown TYPE");
			if (counter && (strlen(cur) < 6 ||
			    strcmp(cur + strlen(cur) - 6, "_total") != 0))
				PROM_BAD("counter not named *_total");
			state = 2;
			continue;
		}
		if (*q == '#' || *q == '\0')
			PROM_BAD("stray comment or empty line");
		name = q;
		if (!prom_name(&q, 1))
			PROM_BAD("bad metric name");
		if (state != 2 || (size_t)(q - name) != strlen(cur) ||
		    strncmp(name, cur, strlen(cur)) != 0)
			PROM_BAD("sample outside its family");
		if (*q == '{') {
			q++;
			for (;;) {
				if (!prom_name(&q, 0) || *q++ != '=' ||
				    *q++ != '"')
					break;
				while (*q != '"' && *q != '\0') {
					if (*q == '\\') {
						q++;
						if (*q != '\\' && *q != '"' &&
						    *q != 'n')
							break;
					}
					q++;
				}
				if (*q++ != '"')
					break;
				if (*q == ',') {
					q++;
					continue;
				}
				break;
			}
			if (*q++ != '}')
				PROM_BAD("bad labels");
		}
		if (*q++ != ' ' || *q == '\0')
			PROM_BAD("no value");
		(void)strtod(q, &end);
		if (*end != '\0')
			PROM_BAD("bad value");
next:
		;
	}
	return (bad);
#undef PROM_BAD
}

/* The Prometheus output: exact text, format, escaping, stale tunnels. */
static void
test_metrics(void)
{
	struct proto_tunnel	 t[3];
	struct capture		 cap;
	char			*text;

	fixtures(t);
	metrics_write(cap_open(&cap), t, 3);
	text = cap_text(&cap);
	CHECK(prom_check(text, 1) == 0);
	CHECK_STR(text,
"# HELP stunneld_up Whether the stunneld daemon answered (on its control socket or metrics_listen).\n"
"# TYPE stunneld_up gauge\n"
"stunneld_up 1\n"
"# HELP stunneld_tunnel_info A configured tunnel, its mode and listen address (always 1).\n"
"# TYPE stunneld_tunnel_info gauge\n"
"stunneld_tunnel_info{tunnel=\"p2p_out\",mode=\"socks\",listen=\"127.0.0.1:1080\"} 1\n"
"stunneld_tunnel_info{tunnel=\"p2p_in\",mode=\"tls\",listen=\"[2001:db8::1]:7447\"} 1\n"
"stunneld_tunnel_info{tunnel=\"tools_out\",mode=\"socks\",listen=\"127.0.0.1:1081\"} 1\n"
"# HELP stunneld_tunnel_running Whether the tunnel's state is running (1) or not (0).\n"
"# TYPE stunneld_tunnel_running gauge\n"
"stunneld_tunnel_running{tunnel=\"p2p_out\"} 1\n"
"stunneld_tunnel_running{tunnel=\"p2p_in\"} 1\n"
"stunneld_tunnel_running{tunnel=\"tools_out\"} 0\n"
"# HELP stunneld_tunnel_stale Whether the tunnel's worker did not answer, so its counters are unknown.\n"
"# TYPE stunneld_tunnel_stale gauge\n"
"stunneld_tunnel_stale{tunnel=\"p2p_out\"} 0\n"
"stunneld_tunnel_stale{tunnel=\"p2p_in\"} 1\n"
"stunneld_tunnel_stale{tunnel=\"tools_out\"} 0\n"
"# HELP stunneld_worker_restarts_total Times the tunnel's worker process was restarted.\n"
"# TYPE stunneld_worker_restarts_total counter\n"
"stunneld_worker_restarts_total{tunnel=\"p2p_out\"} 0\n"
"stunneld_worker_restarts_total{tunnel=\"p2p_in\"} 2\n"
"stunneld_worker_restarts_total{tunnel=\"tools_out\"} 5\n"
"# HELP stunneld_connections_active Open connections of the tunnel.\n"
"# TYPE stunneld_connections_active gauge\n"
"stunneld_connections_active{tunnel=\"p2p_out\"} 3\n"
"stunneld_connections_active{tunnel=\"tools_out\"} 0\n"
"# HELP stunneld_connections_total Connections accepted by the tunnel.\n"
"# TYPE stunneld_connections_total counter\n"
"stunneld_connections_total{tunnel=\"p2p_out\"} 17\n"
"stunneld_connections_total{tunnel=\"tools_out\"} 4\n"
"# HELP stunneld_bytes_total Plaintext bytes read (in) and written (out) by the tunnel.\n"
"# TYPE stunneld_bytes_total counter\n"
"stunneld_bytes_total{tunnel=\"p2p_out\",direction=\"in\"} 123456\n"
"stunneld_bytes_total{tunnel=\"p2p_out\",direction=\"out\"} 654321\n"
"stunneld_bytes_total{tunnel=\"tools_out\",direction=\"in\"} 5683281920\n"
"stunneld_bytes_total{tunnel=\"tools_out\",direction=\"out\"} 1023\n"
"# HELP stunneld_handshakes_failed_total Failed TLS handshakes and peer identity checks of the tunnel.\n"
"# TYPE stunneld_handshakes_failed_total counter\n"
"stunneld_handshakes_failed_total{tunnel=\"p2p_out\"} 2\n"
"stunneld_handshakes_failed_total{tunnel=\"tools_out\"} 0\n"
"# HELP stunneld_handshake_failures_total Failed TLS handshakes of the tunnel by reason: verify (the peer refused by us), alert (we refused by the peer), protocol, closed, timeout, throttled, overload.\n"
"# TYPE stunneld_handshake_failures_total counter\n"
"stunneld_handshake_failures_total{tunnel=\"p2p_out\",reason=\"protocol\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"p2p_out\",reason=\"verify\"} 1\n"
"stunneld_handshake_failures_total{tunnel=\"p2p_out\",reason=\"alert\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"p2p_out\",reason=\"closed\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"p2p_out\",reason=\"timeout\"} 1\n"
"stunneld_handshake_failures_total{tunnel=\"p2p_out\",reason=\"throttled\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"p2p_out\",reason=\"overload\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"tools_out\",reason=\"protocol\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"tools_out\",reason=\"verify\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"tools_out\",reason=\"alert\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"tools_out\",reason=\"closed\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"tools_out\",reason=\"timeout\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"tools_out\",reason=\"throttled\"} 0\n"
"stunneld_handshake_failures_total{tunnel=\"tools_out\",reason=\"overload\"} 0\n"
"# HELP stunneld_socks_refused_total SOCKS requests the tunnel refused.\n"
"# TYPE stunneld_socks_refused_total counter\n"
"stunneld_socks_refused_total{tunnel=\"p2p_out\"} 1\n"
"stunneld_socks_refused_total{tunnel=\"tools_out\"} 0\n"
"# HELP stunneld_cert_expiry_timestamp_seconds Unix time when the tunnel's certificate expires.\n"
"# TYPE stunneld_cert_expiry_timestamp_seconds gauge\n"
"stunneld_cert_expiry_timestamp_seconds{tunnel=\"p2p_out\"} 1827100800\n"
"stunneld_cert_expiry_timestamp_seconds{tunnel=\"tools_out\"} 1795561200\n"
"# HELP stunneld_certs_loaded_timestamp_seconds Unix time when the tunnel's credentials were last loaded.\n"
"# TYPE stunneld_certs_loaded_timestamp_seconds gauge\n"
"stunneld_certs_loaded_timestamp_seconds{tunnel=\"p2p_out\"} 1795514400\n"
"# HELP stunneld_crl_next_update_timestamp_seconds Unix time of the next update of the tunnel's CRL (the earliest of several); from then on the CRL is out of date.\n"
"# TYPE stunneld_crl_next_update_timestamp_seconds gauge\n"
"stunneld_crl_next_update_timestamp_seconds{tunnel=\"p2p_out\"} 1796169600\n"
"stunneld_crl_next_update_timestamp_seconds{tunnel=\"tools_out\"} 1795478400\n");
	/* The stale tunnel's bogus counters never appear. */
	CHECK(strstr(text, " 99\n") == NULL);
	free(text);

	/* Label values are escaped; the checker would catch a raw quote. */
	snprintf(t[0].name, sizeof(t[0].name), "a\"b\\c\nd");
	metrics_write(cap_open(&cap), t, 1);
	text = cap_text(&cap);
	CHECK(prom_check(text, 1) == 0);
	CHECK(strstr(text, "stunneld_connections_active{tunnel="
	    "\"a\\\"b\\\\c\\nd\"} 3\n") != NULL);
	free(text);

	/* No tunnel: every family still declared once, stunneld_up 1. */
	metrics_write(cap_open(&cap), t, 0);
	text = cap_text(&cap);
	CHECK(prom_check(text, 1) == 0);
	CHECK(strstr(text, "\nstunneld_up 1\n") != NULL);
	free(text);

	/* The checker itself rejects what it must. */
	CHECK(prom_check("# HELP a_total x\n# TYPE a_total counter\n"
	    "a_total 1\n", 1) == 0);
	CHECK(prom_check("a 1\n", 0) != 0);
	CHECK(prom_check("# HELP a x\n# TYPE a gauge\na{l=\"x\"y\"} 1\n",
	    0) != 0);
	CHECK(prom_check("# HELP a x\n# TYPE a gauge\na 1\n"
	    "# HELP a x\n# TYPE a gauge\n", 0) != 0);
	CHECK(prom_check("# HELP a x\n# TYPE a counter\n", 0) != 0);
	CHECK(prom_check("# HELP a x\n# TYPE a gauge\nb 1\n", 0) != 0);
	CHECK(prom_check("# HELP a x\n# TYPE a gauge\na one\n", 0) != 0);
}

int
main(void)
{
	test_parser_commands();
	test_parser_options();
	test_parser_errors();
	test_parser_misc();
	test_json();
	test_reply();
	test_formatters();
	test_status();
	test_connections();
	test_check();
	test_result_json();
	test_metrics();
	TEST_DONE();
}
