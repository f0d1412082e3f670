/*
 * fuzz_config.c: libFuzzer target for the configuration loader,
 * conf_load() (stunneld/conf.c over libconfig, with addr.c), and
 * for route_lookup() over the routes it loads.
 *
 * conf_load() reads a path, so each input is written to fuzz.conf in
 * a private directory that LLVMFuzzerInitialize() makes in $TMPDIR (or
 * /tmp), beside a files/ directory holding the stand-ins the seeds name
 * (files/node.crt, files/ops.pass, ...: conf.c checks only that they
 * are readable, and reads the password file).  The directory is removed
 * at exit (not after a crash: run.sh gives each run its own TMPDIR).
 *
 * Invariants, abort() when broken:
 *  - NULL exactly when at least one "FILE:LINE: message" line was
 *    written to errfp, and every line written ends in a newline;
 *  - a loaded configuration is sane: tunnels with unique names that
 *    conf_find_tunnel() finds, a listen host and port, absolute TLS
 *    paths, routes only on socks tunnels, "host:port" fields that
 *    addr_format_hp() writes and addr_parse() reads back alike;
 *  - loading the same file again gives an equal configuration.
 *
 * An input naming /dev, /proc or /sys, or using a \x escape that could
 * spell them, is skipped: a password_file of /dev/zero makes getline()
 * eat all memory, which is the administrator's doing, not a bug.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "route.h"
#include "fuzz.h"

static char	 dir[4096];
static char	 conf_path[sizeof(dir) + 16];
static FILE	*errfp;
static int	 verbose;	/* $FUZZ_VERBOSE: copy errfp to stderr */

/* The stand-in files the seeds refer to, relative to fuzz.conf. */
static const struct {
	const char	*name;
	const char	*text;
} files[] = {
	{ "files/ca.crt", "-----BEGIN CERTIFICATE-----\n" },
	{ "files/ca.crl", "-----BEGIN X509 CRL-----\n" },
	{ "files/node.crt", "-----BEGIN CERTIFICATE-----\n" },
	{ "files/node.key", "-----BEGIN PRIVATE KEY-----\n" },
	{ "files/other.crt", "-----BEGIN CERTIFICATE-----\n" },
	{ "files/other.key", "-----BEGIN PRIVATE KEY-----\n" },
	{ "files/ops.pass", "secret\n" },
	{ "files/empty.pass", "" },
	{ "files/tls.inc", "tls = { cert = \"node.crt\"; key = \"node.key\";"
	    " ca = \"ca.crt\"; crl = \"./ca.crl\"; };\n" },
	{ "files/long.pass", "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "\n" }
};
#define NFILES	(sizeof(files) / sizeof(files[0]))

/* Write ${len} bytes of ${data} to ${path}, replacing it. */
static void
put(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL ||
	    (len > 0 && fwrite(data, len, 1, fp) != 1) || fclose(fp) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		abort();
	}
}

/* Remove the private directory (atexit). */
static void
cleanup(void)
{
	char	 p[sizeof(dir) + 32];
	size_t	 i;

	for (i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i].name);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/files", dir);
	rmdir(p);
	unlink(conf_path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char		 p[sizeof(dir) + 32];
	const char	*tmp;
	size_t		 i;

	(void)argc;
	(void)argv;
	if ((tmp = getenv("TMPDIR")) == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/fuzz_config.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/files", dir);
	if (mkdir(p, 0700) != 0) {
		perror(p);
		abort();
	}
	for (i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i].name);
		put(p, files[i].text, strlen(files[i].text));
	}
	snprintf(conf_path, sizeof(conf_path), "%s/fuzz.conf", dir);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if ((errfp = tmpfile()) == NULL) {
		perror("tmpfile");
		abort();
	}
	return (0);
}

/* 1 if the ${len} bytes of ${data} hold ${s}. */
static int
has(const uint8_t *data, size_t len, const char *s)
{
	return (memmem(data, len, s, strlen(s)) != NULL);
}

/* Load conf_path with errfp emptied first; check what errfp got. */
static struct sd_conf *
load(void)
{
	struct sd_conf	*conf;
	char		 line[8192];
	long		 n;

	rewind(errfp);
	if (ftruncate(fileno(errfp), 0) != 0)
		abort();
	conf = conf_load(conf_path, errfp);
	fflush(errfp);
	n = ftell(errfp);
	FUZZ_CHECK((conf == NULL) == (n > 0));
	rewind(errfp);
	while (fgets(line, sizeof(line), errfp) != NULL) {
		FUZZ_CHECK(strchr(line, '\n') != NULL ||
		    strlen(line) == sizeof(line) - 1);
		if (verbose)
			fputs(line, stderr);
	}
	if (verbose && conf != NULL)
		fprintf(stderr, "config: OK, %zu tunnels\n", conf->ntunnels);
	return (conf);
}

/* ${hp} is a valid "host:port" (with ${flags}) that reads back alike. */
static void
check_hp(const struct hostport *hp, int flags)
{
	struct hostport	 back;
	char		 buf[ADDR_STRLEN];
	const char	*errstr = NULL;

	FUZZ_CHECK(strnlen(hp->host, sizeof(hp->host)) < sizeof(hp->host));
	FUZZ_CHECK(hp->host[0] != '\0');
	addr_format_hp(hp, buf, sizeof(buf));
	FUZZ_CHECK(addr_parse(buf, &back, flags, &errstr) == 0);
	FUZZ_CHECK(strcmp(back.host, hp->host) == 0);
	FUZZ_CHECK(back.port == hp->port);
}

/* The invariants of loaded configuration ${conf}. */
static void
check_conf(struct sd_conf *conf)
{
	struct tunnel_conf	*tc;
	struct route_result	 res;
	const char		*hosts[] = { "10.0.0.2", "::1", "node-b",
				    "*", "127.0.0.1" };
	size_t			 i, j, k;

	FUZZ_CHECK(conf->file != NULL && strcmp(conf->file, conf_path) == 0);
	FUZZ_CHECK(conf->control_socket != NULL);
	FUZZ_CHECK(conf->ntunnels > 0 && conf->tunnels != NULL);
	for (i = 0; i < conf->ntunnels; i++) {
		tc = &conf->tunnels[i];
		FUZZ_CHECK(tc->name != NULL && tc->name[0] != '\0');
		FUZZ_CHECK(conf_find_tunnel(conf, tc->name) == tc);
		FUZZ_CHECK(conf_tunnel_equal(tc, tc));
		FUZZ_CHECK(tc->mode == TUNNEL_SOCKS || tc->mode == TUNNEL_TLS ||
		    tc->mode == TUNNEL_REDIRECT);
		FUZZ_CHECK(tc->listen.port != 0);
		check_hp(&tc->listen, 0);
		FUZZ_CHECK(tc->tls.cert != NULL && tc->tls.cert[0] == '/');
		FUZZ_CHECK(tc->tls.key != NULL && tc->tls.key[0] == '/');
		/* one form of "ca" or the other, every file made absolute */
		FUZZ_CHECK((tc->tls.ca != NULL) != (tc->tls.ncas > 0));
		FUZZ_CHECK(tc->tls.ca == NULL || tc->tls.ca[0] == '/');
		FUZZ_CHECK(tc->tls.ncas == 0 || tc->tls.cas != NULL);
		for (j = 0; j < tc->tls.ncas; j++) {
			const struct ca_conf *cc = &tc->tls.cas[j];

			FUZZ_CHECK(cc->file != NULL && cc->file[0] == '/');
			FUZZ_CHECK(cc->crl == NULL || cc->crl[0] == '/');
			FUZZ_CHECK(cc->nnames == 0 || cc->names != NULL);
			for (k = 0; k < cc->nnames; k++)
				FUZZ_CHECK(cc->names[k] != NULL &&
				    cc->names[k][0] != '\0');
		}
		FUZZ_CHECK(tc->tls.crl == NULL || tc->tls.crl[0] == '/');
		FUZZ_CHECK(tc->tls.priority != NULL);
		FUZZ_CHECK((tc->socks_user == NULL) == (tc->socks_pass == NULL));
		if (tc->socks_pass != NULL) {
			FUZZ_CHECK(tc->mode == TUNNEL_SOCKS);
			FUZZ_CHECK(strlen(tc->socks_user) <= 255);
			FUZZ_CHECK(strlen(tc->socks_pass) > 0 &&
			    strlen(tc->socks_pass) <= 255);
		}
		if (tc->mode == TUNNEL_TLS) {
			FUZZ_CHECK(tc->nroutes == 0);
			FUZZ_CHECK(tc->connect.port != 0);
			check_hp(&tc->connect, 0);
		} else
			FUZZ_CHECK(tc->nallow == 0);
		for (j = 0; j < tc->nallow; j++)
			FUZZ_CHECK(tc->allow[j] != NULL);
		for (j = 0; j < tc->nroutes; j++) {
			check_hp(&tc->routes[j].match, ADDR_WILDCARD);
			if (tc->routes[j].has_connect)
				check_hp(&tc->routes[j].connect,
				    ADDR_WILDCARD);
			FUZZ_CHECK(!tc->routes[j].deny ||
			    !tc->routes[j].has_connect);
		}
		for (j = 0; j < sizeof(hosts) / sizeof(hosts[0]); j++) {
			route_lookup(tc->routes, tc->nroutes, hosts[j], 7447,
			    &res);
			FUZZ_CHECK(res.dial.host[0] != '\0');
			FUZZ_CHECK(res.dial.port != 0);
			if (!res.deny && res.peer == NULL)
				FUZZ_CHECK(tc->nroutes == 0 || res.line > 0);
		}
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(conf->tunnels[j].name,
			    tc->name) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sd_conf	*a, *b;
	size_t		 i;

	if (has(data, len, "/dev") || has(data, len, "/proc") ||
	    has(data, len, "/sys") || has(data, len, "\\x"))
		return (-1);	/* not added to the corpus */
	put(conf_path, data, len);
	if ((a = load()) == NULL)
		return (0);
	check_conf(a);
	b = load();
	FUZZ_CHECK(b != NULL);
	FUZZ_CHECK(a->ntunnels == b->ntunnels);
	for (i = 0; i < a->ntunnels; i++)
		FUZZ_CHECK(conf_tunnel_equal(&a->tunnels[i],
		    &b->tunnels[i]));
	FUZZ_CHECK(a->log_level == b->log_level);
	conf_free(b);
	conf_free(a);
	return (0);
}
