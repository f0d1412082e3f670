/*
 * t_config.c: conf_load() on the fixtures in tests/unit/conf/: the good
 * ones give the expected structure (defaults, tls inheritance, routes,
 * allow list, password, resolved paths), each bad one gives exactly the
 * expected "FILE:LINE: message" lines.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "test.h"

static char	 confdir[PATH_MAX];	/* $top_srcdir/tests/unit/conf */

/* Load fixture ${name}: return the conf (or NULL) and the error text. */
static struct sd_conf *
load(const char *name, char **errs, char *path, size_t pathlen)
{
	struct sd_conf	*conf;
	FILE		*fp;
	size_t		 len;

	snprintf(path, pathlen, "%s/%s", confdir, name);
	*errs = NULL;
	if ((fp = open_memstream(errs, &len)) == NULL) {
		perror("open_memstream");
		exit(1);
	}
	conf = conf_load(path, fp);
	fclose(fp);
	return (conf);
}

/*
 * Match line ${got} against ${want}; in ${want}, "@" stands for any text
 * (an absolute directory that depends on where the tests run).
 */
static int
match_line(const char *got, size_t glen, const char *want)
{
	const char	*at = strchr(want, '@');
	size_t		 pre, post;

	if (at == NULL)
		return (glen == strlen(want) && memcmp(got, want, glen) == 0);
	pre = (size_t)(at - want);
	post = strlen(at + 1);
	return (glen >= pre + post && memcmp(got, want, pre) == 0 &&
	    memcmp(got + glen - post, at + 1, post) == 0);
}

/*
 * Load bad fixture ${name}: it must be refused with exactly the lines in
 * ${want} (NULL-terminated), each written without the "FILE:" prefix.
 */
static void
expect_bad(const char *name, const char *const *want)
{
	struct sd_conf	*conf;
	char		 path[PATH_MAX + 64], prefix[PATH_MAX + 66];
	char		*errs, *p, *nl;
	size_t		 i, plen;
	int		 ok;

	conf = load(name, &errs, path, sizeof(path));
	CHECK(conf == NULL);
	conf_free(conf);
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s:", path);
	p = errs;
	for (i = 0; want[i] != NULL; i++) {
		if ((nl = strchr(p, '\n')) == NULL) {
			fprintf(stderr, "%s: missing \"%s\"\n", name, want[i]);
			CHECK(nl != NULL);
			break;
		}
		ok = (size_t)(nl - p) >= plen &&
		    memcmp(p, prefix, plen) == 0 &&
		    match_line(p + plen, (size_t)(nl - p) - plen, want[i]);
		if (!ok)
			fprintf(stderr, "%s: got \"%.*s\", want \"%s%s\"\n",
			    name, (int)(nl - p), p, prefix, want[i]);
		CHECK(ok);
		p = nl + 1;
	}
	if (*p != '\0')
		fprintf(stderr, "%s: unexpected \"%s\"\n", name, p);
	CHECK(*p == '\0');
	free(errs);
}

/* 1 if ${got} is an absolute path naming the same file as conf/${rel}. */
static int
same_file(const char *got, const char *rel)
{
	char	 want[PATH_MAX + 64], a[PATH_MAX], b[PATH_MAX];

	if (got == NULL || got[0] != '/' || strstr(got, "/./") != NULL ||
	    strstr(got, "//") != NULL) {
		fprintf(stderr, "not a clean absolute path: %s\n",
		    got ? got : "(null)");
		return (0);
	}
	snprintf(want, sizeof(want), "%s/%s", confdir, rel);
	if (realpath(got, a) == NULL || realpath(want, b) == NULL)
		return (0);
	return (strcmp(a, b) == 0);
}

/* 1 if path ${s} ends with ${suffix}. */
static int
ends_with(const char *s, const char *suffix)
{
	size_t	 ls = strlen(s), lx = strlen(suffix);

	return (ls >= lx && strcmp(s + ls - lx, suffix) == 0);
}

/* good.conf: every setting given. */
static void
test_good(void)
{
	struct sd_conf		*conf;
	struct tunnel_conf	*t;
	struct route_conf	*r;
	char			 path[PATH_MAX + 64], *errs;

	conf = load("good.conf", &errs, path, sizeof(path));
	CHECK(conf != NULL);
	CHECK_STR(errs, "");
	free(errs);
	if (conf == NULL)
		return;

	CHECK_STR(conf->file, path);
	CHECK(conf->control_socket[0] == '/');
	CHECK(ends_with(conf->control_socket,
	    "/tests/unit/conf/run/control.sock"));
	CHECK_STR(conf->pid_file, "/run/stunneld-test.pid");
	CHECK(conf->log_level == LOG_DEBUG);
	CHECK_STR(conf->user, "stunneld");
	CHECK_STR(conf->group, "nogroup");
	CHECK(conf->shutdown_timeout == 0);
	CHECK(conf->reload_on_change == 0);
	CHECK(conf->ntunnels == 4);
	if (conf->ntunnels != 4)
		goto out;
	CHECK_STR(conf->tunnels[0].name, "p2p_out");
	CHECK_STR(conf->tunnels[1].name, "p2p_in");
	CHECK_STR(conf->tunnels[2].name, "p2p_in6");
	CHECK_STR(conf->tunnels[3].name, "tools_out");
	CHECK(conf_find_tunnel(conf, "p2p_in") == &conf->tunnels[1]);
	CHECK(conf_find_tunnel(conf, "nope") == NULL);

	/* socks tunnel with routes, limits at their extremes, global tls. */
	t = &conf->tunnels[0];
	CHECK(t->line == 18);
	CHECK(t->mode == TUNNEL_SOCKS);
	CHECK_STR(t->listen.host, "127.0.0.1");
	CHECK(t->listen.port == 1080);
	CHECK(t->listen_line == 20);
	CHECK(t->max_connections == 65535);
	CHECK(t->handshake_timeout == 3600);
	CHECK(t->connect_timeout == 1);
	CHECK(t->idle_timeout == 31536000);
	CHECK(t->allow == NULL && t->nallow == 0);
	CHECK(t->socks_user == NULL && t->socks_pass == NULL);
	CHECK(same_file(t->tls.cert, "files/node.crt"));
	CHECK(same_file(t->tls.key, "files/node.key"));
	CHECK(same_file(t->tls.ca, "files/ca.crt"));
	CHECK(same_file(t->tls.crl, "files/ca.crl"));
	CHECK(ends_with(t->tls.cert, "/tests/unit/conf/files/node.crt"));
	CHECK_STR(t->tls.priority, "NORMAL");
	CHECK(t->tls.cert_line == 10);
	CHECK(t->tls.key_line == 11);
	CHECK(t->tls.ca_line == 12);
	CHECK(t->tls.crl_line == 13);
	CHECK(t->tls.priority_line == 14);
	CHECK(t->nroutes == 4);
	if (t->nroutes == 4) {
		r = &t->routes[0];
		CHECK_STR(r->match.host, "10.0.0.2");
		CHECK(r->match.port == 7447);
		CHECK(!r->has_connect);
		CHECK_STR(r->peer, "node-b");
		CHECK(!r->deny);
		CHECK(r->line == 22);
		r = &t->routes[1];
		CHECK_STR(r->match.host, "*");
		CHECK(r->match.port == 8447);
		CHECK(r->has_connect);
		CHECK_STR(r->connect.host, "*");
		CHECK(r->connect.port == 7447);
		CHECK(r->peer == NULL);
		CHECK(r->line == 23);
		r = &t->routes[2];
		CHECK_STR(r->match.host, "fd00::1");
		CHECK(r->match.port == 0);
		CHECK(r->has_connect);
		CHECK_STR(r->connect.host, "node-c.example");
		CHECK(r->connect.port == 7447);
		CHECK_STR(r->peer, "*.example");
		CHECK(r->line == 24);
		r = &t->routes[3];
		CHECK_STR(r->match.host, "*");
		CHECK(r->match.port == 0);
		CHECK(!r->has_connect);
		CHECK(r->peer == NULL);
		CHECK(r->deny);
		CHECK(r->line == 29);
	}

	/* tls tunnel: allow array, cert and key overridden, rest inherited. */
	t = &conf->tunnels[1];
	CHECK(t->line == 37);
	CHECK(t->mode == TUNNEL_TLS);
	CHECK_STR(t->listen.host, "0.0.0.0");
	CHECK(t->listen.port == 7447);
	CHECK_STR(t->connect.host, "127.0.0.1");
	CHECK(t->connect.port == 7447);
	CHECK(t->routes == NULL && t->nroutes == 0);
	CHECK(t->nallow == 3);
	if (t->nallow == 3) {
		CHECK_STR(t->allow[0], "node-a");
		CHECK_STR(t->allow[1], "*.example");
		CHECK_STR(t->allow[2],
		    "sha256:LQd3iAeENChzItgq3gtz8lOrHy3d0TC9Mz4hLSC4rJk=");
	}
	CHECK(same_file(t->tls.cert, "files/other.crt"));
	CHECK(same_file(t->tls.key, "files/other.key"));
	CHECK(t->tls.cert_line == 44);
	CHECK(t->tls.key_line == 45);
	CHECK(same_file(t->tls.ca, "files/ca.crt"));
	CHECK(t->tls.ca_line == 12);
	CHECK(same_file(t->tls.crl, "files/ca.crl"));
	CHECK_STR(t->tls.priority, "NORMAL");
	CHECK(t->max_connections == 256);
	CHECK(t->handshake_timeout == 10);
	CHECK(t->connect_timeout == 5);
	CHECK(t->idle_timeout == 0);

	/* IPv6 wildcard, allow as a list, crl and priority overridden. */
	t = &conf->tunnels[2];
	CHECK_STR(t->listen.host, "::");
	CHECK(t->listen.port == 7447);
	CHECK_STR(t->connect.host, "::1");
	CHECK(t->nallow == 1);
	if (t->nallow == 1)
		CHECK_STR(t->allow[0], "node-a");
	CHECK(same_file(t->tls.cert, "files/node.crt"));
	CHECK(same_file(t->tls.crl, "files/ca.crl"));
	CHECK(t->tls.crl_line == 54);
	CHECK_STR(t->tls.priority, "SECURE256");
	CHECK(t->tls.priority_line == 54);

	/* socks_auth: the first line of the password file, no newline. */
	t = &conf->tunnels[3];
	CHECK_STR(t->listen.host, "localhost");
	CHECK(t->listen.port == 1081);
	CHECK_STR(t->socks_user, "ops");
	CHECK_STR(t->socks_pass, "s3cret");
	CHECK(t->nroutes == 0);
out:
	conf_free(conf);
}

/* min.conf: only what is required; everything else has its default. */
static void
test_defaults(void)
{
	struct sd_conf		*conf;
	struct tunnel_conf	*t;
	char			 path[PATH_MAX + 64], *errs;

	conf = load("min.conf", &errs, path, sizeof(path));
	CHECK(conf != NULL);
	CHECK_STR(errs, "");
	free(errs);
	if (conf == NULL)
		return;
	CHECK_STR(conf->control_socket, SD_DEFAULT_CONTROL);
	CHECK(conf->pid_file == NULL);
	CHECK(conf->user == NULL && conf->group == NULL);
	CHECK(conf->log_level == LOG_INFO);
	CHECK(conf->shutdown_timeout == 10);
	CHECK(conf->reload_on_change == 1);
	CHECK(conf->ntunnels == 1);
	t = &conf->tunnels[0];
	CHECK_STR(t->name, "only");
	CHECK(t->mode == TUNNEL_SOCKS);
	CHECK(t->routes == NULL && t->nroutes == 0);
	CHECK(t->allow == NULL && t->nallow == 0);
	CHECK(t->socks_user == NULL && t->socks_pass == NULL);
	CHECK(t->max_connections == 256);
	CHECK(t->handshake_timeout == 10);
	CHECK(t->connect_timeout == 5);
	CHECK(t->idle_timeout == 0);
	CHECK(same_file(t->tls.cert, "files/node.crt"));
	CHECK(t->tls.crl == NULL);
	CHECK(t->tls.crl_strict == 0);
	CHECK_STR(t->tls.priority, SD_DEFAULT_PRIORITY);
	conf_free(conf);
}

/* crlstrict.conf: crl_strict is inherited from the global tls block like
 * the files are, and a tunnel's own tls block may turn it off. */
static void
test_crl_strict(void)
{
	struct sd_conf		*conf;
	struct tunnel_conf	 flipped;
	char			 path[PATH_MAX + 64], *errs;

	conf = load("crlstrict.conf", &errs, path, sizeof(path));
	CHECK(conf != NULL);
	CHECK_STR(errs, "");
	free(errs);
	if (conf == NULL)
		return;
	CHECK(conf->ntunnels == 3);
	if (conf->ntunnels == 3) {
		CHECK_STR(conf->tunnels[0].name, "inherits");
		CHECK(conf->tunnels[0].tls.crl_strict == 1);
		CHECK_STR(conf->tunnels[1].name, "off");
		CHECK(conf->tunnels[1].tls.crl_strict == 0);
		CHECK_STR(conf->tunnels[2].name, "other_tls");
		CHECK(conf->tunnels[2].tls.crl_strict == 1);
		/* a reload that only flips it restarts the tunnel */
		flipped = conf->tunnels[0];	/* shares the strings */
		flipped.tls.crl_strict = 0;
		CHECK(conf_tunnel_equal(&conf->tunnels[0], &conf->tunnels[0]));
		CHECK(!conf_tunnel_equal(&conf->tunnels[0], &flipped));
		/* on by default; turning it off restarts the tunnel too */
		CHECK(conf->tunnels[0].loopback_per_peer == 1);
		flipped = conf->tunnels[0];
		flipped.loopback_per_peer = 0;
		CHECK(!conf_tunnel_equal(&conf->tunnels[0], &flipped));
	}
	conf_free(conf);
}

/* Every bad fixture with the exact messages it must produce. */
static void
test_bad(void)
{
	static const char *const syntax[] = {
		"5: syntax error", NULL
	};
	static const char *const dupname[] = {
		"6: duplicate setting name", NULL
	};
	static const char *const unknown[] = {
		"3: unknown key \"control_sock\"",
		"4: unknown key \"tls2\"",
		"9: unknown key \"lsiten\"",
		"10: unknown key \"dney\"",
		"11: unknown key \"password\"",
		"12: unknown key \"certificate\"",
		NULL
	};
	static const char *const type[] = {
		"2: \"ca\" must be a file name or a list of { file; names; crl; } groups",
		"3: \"log_level\" must be a string",
		"4: \"shutdown_timeout\" must be an integer",
		"5: \"user\" must be a string",
		"7: tunnel \"a\": no tls ca",
		"9: \"listen\" must be a string",
		"10: \"max_connections\" must be an integer",
		"11: \"idle_timeout\" must be an integer",
		"12: \"deny\" must be a boolean",
		"12: \"routes\" entries must be groups",
		"13: \"tls\" must be a group",
		"15: tunnel \"b\": no tls ca",
		"19: \"allow\" must be an array of strings",
		"21: tunnel \"c\": no tls ca",
		"25: \"allow\" must be an array of strings",
		"27: tunnel \"d\" must be a group",
		"28: \"routes\" must be a list of groups",
		"28: \"socks_auth\" must be a group",
		"28: tunnel \"e\": no tls ca",
		NULL
	};
	static const char *const range[] = {
		"3: \"shutdown_timeout\" must be between 0 and 3600",
		"8: \"max_connections\" must be between 1 and 65535",
		"9: \"handshake_timeout\" must be between 1 and 3600",
		"10: \"connect_timeout\" must be between 1 and 3600",
		"11: \"idle_timeout\" must be between 0 and 31536000",
		"16: \"max_connections\" must be between 1 and 65535",
		"17: \"handshake_timeout\" must be between 1 and 3600",
		"18: \"connect_timeout\" must be between 1 and 3600",
		"19: \"idle_timeout\" must be between 0 and 31536000",
		NULL
	};
	static const char *const mode[] = {
		"4: bad mode \"http\": must be \"socks\", \"tls\" or \"redirect\"",
		"5: tunnel \"b\": missing \"mode\"",
		"6: bad mode \"SOCKS\": must be \"socks\", \"tls\" or \"redirect\"",
		"7: tunnel \"d\": missing \"listen\"",
		"8: \"mode\" must not be empty",
		NULL
	};
	static const char *const addr[] = {
		"4: bad address \"127.0.0.1\": expected HOST:PORT",
		"5: bad address \"*:1081\": invalid host name",
		"6: bad address \"127.0.0.1:*\": port is not a number",
		"7: bad address \"::1:1083\": "
		    "IPv6 address must be written as [ADDR]:PORT",
		"8: bad address \"[::1]:65536\": port out of range (1-65535)",
		"9: bad address \"*:7447\": invalid host name",
		"10: bad address \"[::1:7448\": missing ']' after IPv6 address",
		"15: bad address \"10.0.0.1\": expected HOST:PORT",
		"16: bad address \"10.0.0.1:0\": port out of range (1-65535)",
		"17: bad address \"bad host:7447\": invalid host name",
		NULL
	};
	static const char *const duplisten[] = {
		"6: tunnel \"b\" listens on 127.0.0.1:1080 like tunnel \"a\" "
		    "(line 4)",
		"8: tunnel \"d\" listens on [0::1]:7447 like tunnel \"c\" "
		    "(line 7)",
		"10: tunnel \"f\" listens on 10.0.0.1:7448 like tunnel \"e\" "
		    "(line 9)",
		"13: tunnel \"i\" listens on localhost:1085 like tunnel \"h\" "
		    "(line 12)",
		NULL
	};
	static const char *const notunnels[] = {
		"1: no tunnels", NULL
	};
	static const char *const emptytunnels[] = {
		"4: no tunnels", NULL
	};
	static const char *const nocert[] = {
		"4: tunnel \"a\": no tls cert",
		"4: tunnel \"a\": no tls key",
		"5: tunnel \"b\": no tls key",
		NULL
	};
	static const char *const files[] = {
		"3: /nonexistent/stunneld-test/node.crt: "
		    "No such file or directory",
		"5: /@/tests/unit/conf/files: Is a directory",
		"6: /nonexistent/stunneld-test/ca.crl: "
		    "No such file or directory",
		"12: /nonexistent/stunneld-test/ops.pass: "
		    "No such file or directory",
		"15: /nonexistent/stunneld-test/node.key: "
		    "No such file or directory",
		NULL
	};
	static const char *const relfile[] = {
		"2: /@/tests/unit/conf/files/missing.key: "
		    "No such file or directory",
		NULL
	};
	static const char *const pin[] = {
		"10: bad pin \"sha256:LQd3iAeENChzItgq3gtz8lOrHy3d0TC9Mz4hLSC4rJk\""
		    ": expected \"sha256:\" and the base64 of 32 bytes "
		    "(44 characters ending in '=')",
		"11: bad pin \"sha256:LQd3iAeENChzItgq3gtz8lOrHy3d0TC9Mz4hLSC4rJkA="
		    "\": @",
		"12: bad pin \"sha256:LQd3iAeENChzItgq3gtz8lOrHy3d0TC9Mz4hLSC4r.k="
		    "\": @",
		"13: bad pin \"sha256:QUFB\": @",
		"14: empty peer identity",
		"21: bad pin \"sha256:nope\": @",
		NULL
	};
	static const char *const route[] = {
		"8: a route with \"deny\" takes no \"connect\" or \"peer\"",
		"10: a route with \"deny\" takes no \"connect\" or \"peer\"",
		"11: route needs \"match\"",
		"12: \"peer\" must not be empty",
		NULL
	};
	static const char *const modekeys[] = {
		"4: tunnel \"a\": a tls tunnel needs \"connect\"",
		"7: \"routes\" is only for socks tunnels",
		"8: \"socks_auth\" is only for socks tunnels",
		"9: \"loopback_per_peer\" must be a boolean",
		"14: \"connect\" is only for tls tunnels (use \"routes\")",
		"15: \"allow\" is only for tls tunnels (use a route's \"peer\")",
		"16: \"loopback_per_peer\" is only for tls tunnels",
		NULL
	};
	static const char *const socksauth[] = {
		"5: \"socks_auth\" needs \"username\"",
		"7: \"socks_auth\" needs \"password_file\"",
		"9: /@/tests/unit/conf/files/empty.pass: empty password file",
		"11: /@/tests/unit/conf/files/no.pass: "
		    "No such file or directory",
		NULL
	};
	static const char *const global[] = {
		"2: \"priority\" must not be empty",
		"3: bad log_level \"verbose\": "
		    "must be error, warn, info or debug",
		"4: /tmp/@/control.sock: too long for a UNIX socket path "
		    "(107 bytes at most)",
		"5: \"pid_file\" must not be empty",
		NULL
	};
	static const char *const crlstrict[] = {
		"3: \"crl_strict\" must be a boolean",
		"5: \"crl_strict\" must be a boolean",
		"10: \"crl_strict\" must be a boolean",
		NULL
	};
	static const char *const allow[] = {
		"5: \"allow\" is empty: it would let no peer in", NULL
	};
	static const char *const calist[] = {
		"4: bad name \"127.1.0.0/33\" in \"names\": bad prefix length: "
		    "must be 0 to 32",
		"4: bad name \"10.1.2.3/16\" in \"names\": address bits set "
		    "beyond the prefix length",
		"4: bad name \"*org-a.example\" in \"names\": a pattern must "
		    "start with \"*.\"",
		"5: \"ca\" entry needs \"file\"",
		"6: \"names\" is empty: the CA would vouch for nothing (leave "
		    "\"names\" out to let it vouch for any name)",
		"6: /@/tests/unit/conf/files/nope.crl: No such file or directory",
		"7: unknown key \"nmaes\"",
		"7: bad name \"a..b\" in \"names\": not an address, network or "
		    "host name",
		"7: bad name \"fd00::/129\" in \"names\": bad prefix length: "
		    "must be 0 to 128",
		"7: \"names\" must be an array of strings",
		"7: bad name \"x*.example\" in \"names\": \"*\" only as the "
		    "whole first label (\"*.example\")",
		"7: bad name \"10.1.0\" in \"names\": not an address, network "
		    "or host name",
		"9: \"ca\" list entries must be groups { file; names; crl; }",
		"12: \"ca\" is an empty list: no peer could be trusted",
		"12: tunnel \"a\": no tls ca",
		"13: \"ca\" must be a file name or a list of { file; names; "
		    "crl; } groups",
		NULL
	};

	expect_bad("bad-syntax.conf", syntax);
	expect_bad("bad-dupname.conf", dupname);
	expect_bad("bad-unknown.conf", unknown);
	expect_bad("bad-type.conf", type);
	expect_bad("bad-range.conf", range);
	expect_bad("bad-mode.conf", mode);
	expect_bad("bad-addr.conf", addr);
	expect_bad("bad-duplisten.conf", duplisten);
	expect_bad("bad-notunnels.conf", notunnels);
	expect_bad("bad-emptytunnels.conf", emptytunnels);
	expect_bad("bad-nocert.conf", nocert);
	expect_bad("bad-files.conf", files);
	expect_bad("bad-relfile.conf", relfile);
	expect_bad("bad-pin.conf", pin);
	expect_bad("bad-route.conf", route);
	expect_bad("bad-modekeys.conf", modekeys);
	expect_bad("bad-socksauth.conf", socksauth);
	expect_bad("bad-global.conf", global);
	expect_bad("bad-allow.conf", allow);
	expect_bad("bad-crlstrict.conf", crlstrict);
	expect_bad("bad-calist.conf", calist);
}

/* calist.conf: the list form of ca, inherited, replaced by a file or
 * another list in a tunnel; a change to an anchor restarts the tunnel. */
static void
test_ca_list(void)
{
	struct sd_conf		*conf;
	const struct tls_conf	*t;
	struct tunnel_conf	 other;
	char			 path[PATH_MAX + 64], *errs;

	conf = load("calist.conf", &errs, path, sizeof(path));
	CHECK(conf != NULL);
	CHECK_STR(errs, "");
	free(errs);
	if (conf == NULL || conf->ntunnels != 3)
		goto out;
	t = &conf->tunnels[0].tls;
	CHECK(t->ca == NULL);
	CHECK(t->ncas == 2);
	if (t->ncas == 2) {
		CHECK(strstr(t->cas[0].file, "/tests/unit/conf/files/ca.crt") !=
		    NULL);
		CHECK(t->cas[0].nnames == 3);
		CHECK_STR(t->cas[0].names[1], "*.org-a.example");
		CHECK(t->cas[0].crl != NULL &&
		    strstr(t->cas[0].crl, "files/ca.crl") != NULL);
		CHECK(t->cas[0].line == 4);
		CHECK(t->cas[1].nnames == 0);
		CHECK(t->cas[1].crl == NULL);
		other = conf->tunnels[0];
		other.tls.cas = &conf->tunnels[2].tls.cas[0];
		CHECK(!conf_tunnel_equal(&conf->tunnels[0], &other));
	}
	t = &conf->tunnels[1].tls;
	CHECK(t->ca != NULL && t->ncas == 0);
	t = &conf->tunnels[2].tls;
	CHECK(t->ca == NULL && t->ncas == 1);
	if (t->ncas == 1)
		CHECK(t->cas[0].nnames == 2);
out:
	conf_free(conf);
}

/* Redirect tunnels: socks tunnels without SOCKS; the global mark. */
static void
test_redirect(void)
{
	static const char *const bad[] = {
		"3: \"mark\" must be between 0 and 4294967295",
		"8: \"connect\" is only for tls tunnels (use \"routes\")",
		"9: \"allow\" is only for tls tunnels (use a route's \"peer\")",
		"10: \"socks_auth\" is only for socks tunnels (a redirected "
		    "connection has no SOCKS exchange to carry it)",
		"11: \"loopback_per_peer\" is only for tls tunnels",
		NULL
	};
	static const char *const badmark[] = {
		"3: \"mark\" must be between 0 and 4294967295",
		NULL
	};
	struct sd_conf		*conf;
	struct tunnel_conf	*t;
	char			 path[PATH_MAX + 64], *errs;

	conf = load("redirect.conf", &errs, path, sizeof(path));
	CHECK(conf != NULL);
	CHECK_STR(errs, "");
	free(errs);
	if (conf != NULL) {
		CHECK(conf->mark == 0x1234);
		CHECK(conf->mark_line == 3);
		CHECK(conf->ntunnels == 2);
		t = &conf->tunnels[0];
		CHECK(t->mode == TUNNEL_REDIRECT);
		CHECK(tunnel_dials_tls(t->mode));
		CHECK(t->nroutes == 2);
		CHECK(t->max_connections == 32);
		CHECK(t->socks_user == NULL);
		CHECK(conf_redirect_tunnel(conf) == t);
		CHECK(conf->tunnels[1].mode == TUNNEL_REDIRECT);
		CHECK_STR(conf->tunnels[1].listen.host, "::1");
	}
	conf_free(conf);

	/* the default mark, and no redirect tunnel */
	conf = load("min.conf", &errs, path, sizeof(path));
	CHECK(conf != NULL);
	free(errs);
	if (conf != NULL) {
		CHECK(conf->mark == SD_DEFAULT_MARK && SD_DEFAULT_MARK == 0x5354);
		CHECK(conf->mark_line == 0);
		CHECK(conf_redirect_tunnel(conf) == NULL);
		CHECK(!tunnel_dials_tls(TUNNEL_TLS));
	}
	conf_free(conf);

	expect_bad("bad-redirect.conf", bad);
	expect_bad("bad-mark.conf", badmark);
}

/* A configuration file that cannot be opened: "FILE: reason". */
static void
test_missing(void)
{
	struct sd_conf	*conf;
	char		 path[PATH_MAX + 64], want[PATH_MAX + 128], *errs;

	conf = load("no-such.conf", &errs, path, sizeof(path));
	CHECK(conf == NULL);
	snprintf(want, sizeof(want), "%s: No such file or directory\n", path);
	CHECK_STR(errs, want);
	free(errs);
}

int
main(void)
{
	const char	*top;

	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	snprintf(confdir, sizeof(confdir), "%s/tests/unit/conf", top);

	conf_free(NULL);
	test_ca_list();
	test_good();
	test_defaults();
	test_crl_strict();
	test_bad();
	test_redirect();
	test_missing();
	TEST_DONE();
}
