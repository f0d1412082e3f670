/*
 * t_watch.c: the map from (directory, name) to tunnels of reload_on_change
 * (duplicates, several tunnels per file, matching, directories), path
 * splitting, and following paths in a scratch directory laid out as a
 * plain file, a Kubernetes secret (tls.crt -> ..data/tls.crt, ..data ->
 * ..v1), a relative and an absolute link, "..", a missing file and a
 * link loop.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "watch.h"

/* Whether ${m} has ${name} in ${dir} for ${tunnel}. */
static int
has(const struct watch_map *m, const char *dir, const char *name,
    const char *tunnel)
{
	size_t	 i;

	for (i = watch_map_match(m, dir, name, 0); i < watch_map_count(m);
	    i = watch_map_match(m, dir, name, i + 1))
		if (strcmp(watch_map_entry(m, i)->tunnel, tunnel) == 0)
			return (1);
	return (0);
}

/* What the scratch directory holds, to remove in this order. */
static const char *const rm[] = { "k8s/..v1/tls.crt", "k8s/..v2/tls.crt",
    "k8s/..v1", "k8s/..v2", "k8s/..data", "k8s/tls.crt", "k8s",
    "plain/a.crt", "plain", "abs.crt", "loop", NULL };

/* Create ${path} with a line in it. */
static void
touch(const char *path)
{
	FILE	*f = fopen(path, "w");

	CHECK(f != NULL);
	if (f != NULL) {
		fputs("x\n", f);
		fclose(f);
	}
}

int
main(void)
{
	struct watch_map	*m;
	const char		*dirs[16];
	char			 d[PATH_MAX + 64], n[NAME_MAX + 1], top[PATH_MAX];
	char			 real[PATH_MAX + 64], p[PATH_MAX + 64];
	char			 q[PATH_MAX + 64];
	char			 tmpl[] = "/tmp/t_watch.XXXXXX";
	size_t			 i;

	/* watch_split */
	CHECK(watch_split("/etc/stunneld/a.crt", d, sizeof(d), n, sizeof(n)) == 0);
	CHECK_STR(d, "/etc/stunneld");
	CHECK_STR(n, "a.crt");
	CHECK(watch_split("/a.crt", d, sizeof(d), n, sizeof(n)) == 0);
	CHECK_STR(d, "/");
	CHECK_STR(n, "a.crt");
	CHECK(watch_split("a.crt", d, sizeof(d), n, sizeof(n)) == -1);
	CHECK(watch_split("/etc/", d, sizeof(d), n, sizeof(n)) == -1);
	CHECK(watch_split("/etc/x", d, 4, n, sizeof(n)) == -1);
	CHECK(watch_split("/e/abcdef", d, sizeof(d), n, 4) == -1);

	/* the map: duplicates once per tunnel, a file for two tunnels */
	m = watch_map_new();
	CHECK(m != NULL);
	CHECK(watch_map_add(m, "/etc/s", "a.crt", "/etc/s/a.crt", "p2p_in") == 0);
	CHECK(watch_map_add(m, "/etc/s", "a.crt", "/etc/s/a.crt", "p2p_in") == 0);
	CHECK(watch_map_count(m) == 1);
	CHECK(watch_map_add(m, "/etc/s", "a.crt", "/etc/s/a.crt", "p2p_out") == 0);
	CHECK(watch_map_add(m, "/etc/s", "ca.crt", "/etc/s/ca.crt", "p2p_in") == 0);
	CHECK(watch_map_add(m, "/k", "..data", "/k/tls.crt", "k8s") == 0);
	CHECK(watch_map_count(m) == 4);
	CHECK(has(m, "/etc/s", "a.crt", "p2p_in"));
	CHECK(has(m, "/etc/s", "a.crt", "p2p_out"));
	CHECK(!has(m, "/etc/s", "a.crt", "k8s"));
	CHECK(has(m, "/k", "..data", "k8s"));
	/* the name alone, or the directory alone, is no match */
	CHECK(watch_map_match(m, "/etc", "a.crt", 0) == watch_map_count(m));
	CHECK(watch_map_match(m, "/etc/s", "a.crt.tmp", 0) == watch_map_count(m));
	CHECK(watch_map_match(m, "/etc/s", "a.crt", 0) == 0);
	CHECK(watch_map_match(m, "/etc/s", "a.crt", 1) == 1);
	CHECK(watch_map_match(m, "/etc/s", "a.crt", 2) == watch_map_count(m));
	CHECK_STR(watch_map_entry(m, 3)->file, "/k/tls.crt");
	CHECK(watch_map_dirs(m, dirs) == 2);
	CHECK_STR(dirs[0], "/etc/s");
	CHECK_STR(dirs[1], "/k");
	watch_map_free(m);
	watch_map_free(NULL);

	/* following paths on the file system */
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, top) == NULL) {
		fprintf(stderr, "mkdtemp: cannot make a scratch directory\n");
		return (77);
	}
	snprintf(p, sizeof(p), "%s/plain", top);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/plain/a.crt", top);
	touch(p);
	snprintf(p, sizeof(p), "%s/k8s", top);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/k8s/..v1", top);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/k8s/..v1/tls.crt", top);
	touch(p);
	snprintf(p, sizeof(p), "%s/k8s/..data", top);
	CHECK(symlink("..v1", p) == 0);
	snprintf(p, sizeof(p), "%s/k8s/tls.crt", top);
	CHECK(symlink("..data/tls.crt", p) == 0);
	/* an absolute link from elsewhere into the secret, via ".." */
	snprintf(p, sizeof(p), "%s/abs.crt", top);
	snprintf(q, sizeof(q), "%s/plain/../k8s/tls.crt", top);
	CHECK(symlink(q, p) == 0);
	snprintf(p, sizeof(p), "%s/loop", top);
	CHECK(symlink("loop", p) == 0);

	m = watch_map_new();
	CHECK(m != NULL);

	/* a plain file: its directory and name */
	snprintf(p, sizeof(p), "%s/plain/a.crt", top);
	CHECK(watch_resolve(m, p, "t1") == 0);
	CHECK(watch_map_count(m) == 1);
	snprintf(d, sizeof(d), "%s/plain", top);
	CHECK(has(m, d, "a.crt", "t1"));
	CHECK_STR(watch_map_entry(m, 0)->file, p);

	/* the secret: the configured link, ..data, and the real file */
	snprintf(p, sizeof(p), "%s/k8s/tls.crt", top);
	CHECK(watch_resolve(m, p, "t2") == 0);
	snprintf(d, sizeof(d), "%s/k8s", top);
	CHECK(has(m, d, "tls.crt", "t2"));
	CHECK(has(m, d, "..data", "t2"));
	snprintf(real, sizeof(real), "%s/k8s/..v1", top);
	CHECK(has(m, real, "tls.crt", "t2"));
	CHECK(!has(m, real, "..data", "t2"));
	CHECK(watch_map_count(m) == 4);
	CHECK(watch_map_dirs(m, dirs) == 3);

	/* an absolute link with ".." in it reaches the same three */
	snprintf(p, sizeof(p), "%s/abs.crt", top);
	CHECK(watch_resolve(m, p, "t3") == 0);
	CHECK(has(m, top, "abs.crt", "t3"));
	CHECK(has(m, d, "tls.crt", "t3"));
	CHECK(has(m, d, "..data", "t3"));
	CHECK(has(m, real, "tls.crt", "t3"));
	CHECK(!has(m, top, "plain", "t3"));

	/* a file not there yet: its directory, for when it comes */
	snprintf(p, sizeof(p), "%s/plain/new.crl", top);
	CHECK(watch_resolve(m, p, "t4") == 0);
	snprintf(d, sizeof(d), "%s/plain", top);
	CHECK(has(m, d, "new.crl", "t4"));
	/* nor its directory: the deepest one there is */
	snprintf(p, sizeof(p), "%s/gone/x.crt", top);
	CHECK(watch_resolve(m, p, "t5") == 0);
	CHECK(has(m, top, "gone", "t5"));

	/* a loop ends (opening it fails too) */
	snprintf(p, sizeof(p), "%s/loop", top);
	CHECK(watch_resolve(m, p, "t6") == 0);
	CHECK(has(m, top, "loop", "t6"));
	CHECK(watch_resolve(m, "relative/x.crt", "t7") == -1);
	watch_map_free(m);

	/* after the swap, the new target is found */
	snprintf(p, sizeof(p), "%s/k8s/..v2", top);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/k8s/..v2/tls.crt", top);
	touch(p);
	snprintf(p, sizeof(p), "%s/k8s/..tmp", top);
	CHECK(symlink("..v2", p) == 0);
	snprintf(q, sizeof(q), "%s/k8s/..data", top);
	CHECK(rename(p, q) == 0);
	m = watch_map_new();
	CHECK(m != NULL);
	snprintf(p, sizeof(p), "%s/k8s/tls.crt", top);
	CHECK(watch_resolve(m, p, "t2") == 0);
	snprintf(real, sizeof(real), "%s/k8s/..v2", top);
	CHECK(has(m, real, "tls.crt", "t2"));
	snprintf(real, sizeof(real), "%s/k8s/..v1", top);
	CHECK(!has(m, real, "tls.crt", "t2"));
	watch_map_free(m);

	/* clean up the scratch directory */
	for (i = 0; rm[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", top, rm[i]);
		(void)remove(p);
	}
	CHECK(rmdir(top) == 0);

	TEST_DONE();
}
