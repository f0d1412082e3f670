/*
 * conf.c: read the libconfig file into a struct sd_conf and check it.
 * Every problem is reported as "FILE:LINE: message" and checking goes on,
 * so one run of "stunneld -t" lists them all.  The libconfig tree never
 * leaves this file: it is freed before conf_load() returns.
 *
 * Relative paths (certificates, keys, password files, control socket, pid
 * file) are taken relative to the directory of the file that holds them
 * and stored as absolute paths, since the daemon chdir()s to / when it
 * detaches.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <libconfig.h>

#include "addr.h"
#include "conf.h"
#include "scope.h"

#define CF_PASS_MAX	255	/* RFC 1929 */
#define CF_PIN_PREFIX	"sha256:"
#define CF_PIN_B64LEN	44	/* base64 of a 32-byte SHA-256 digest */

/* One reported problem, held until all are known so they print in order. */
struct cf_msg {
	const char	*file;		/* libconfig tree, cf->path or cf->incs */
	int		 line;
	size_t		 rank;		/* order of the file's first message */
	size_t		 seq;		/* order of reporting */
	char		*text;
};

/* An @include'd file: libconfig's name for it, and its path from here. */
struct cf_inc {
	const char	*name;		/* points into the libconfig tree */
	char		*path;
};

/* The state of one conf_load() run. */
struct cf {
	FILE		*errfp;
	const char	*path;		/* the configuration file, as given */
	char		*incdir;	/* its directory with a '/', or NULL */
	struct cf_inc	*incs;
	size_t		 nincs;
	int		 nerr;
	struct cf_msg	*msgs;
	size_t		 nmsgs;
	size_t		 capmsgs;
};

static const char *const cf_global_keys[] = {
	"control_socket", "pid_file", "log_level", "user", "group",
	"shutdown_timeout", "sandbox", "reload_on_change", "mark", "tls",
	"tunnels", NULL
};
static const char *const cf_tls_keys[] = {
	"cert", "key", "ca", "crl", "crl_strict", "priority", NULL
};
static const char *const cf_ca_keys[] = {
	"file", "names", "crl", NULL
};
static const char *const cf_tunnel_keys[] = {
	"mode", "listen", "connect", "routes", "allow", "socks_auth", "tls",
	"max_connections", "handshake_timeout", "connect_timeout",
	"idle_timeout", "workers", "loopback_per_peer", NULL
};
static const char *const cf_route_keys[] = {
	"match", "connect", "peer", "deny", NULL
};
static const char *const cf_auth_keys[] = {
	"username", "password_file", NULL
};

static int	cf_check_includes(const char *, const char *, int, FILE *);

/*
 * File name ${f} as libconfig gives it, as a path usable from the current
 * directory: libconfig names an @include'd file without its directory.
 */
static const char *
cf_name(struct cf *cf, const char *f)
{
	struct cf_inc	*inc;
	char		*p;
	size_t		 i;

	if (f == NULL || strcmp(f, cf->path) == 0 || f[0] == '/' ||
	    cf->incdir == NULL)
		return (f != NULL ? f : cf->path);
	for (i = 0; i < cf->nincs; i++)
		if (strcmp(cf->incs[i].name, f) == 0)
			return (cf->incs[i].path);
	if (asprintf(&p, "%s%s", cf->incdir, f) == -1)
		return (f);
	if ((inc = reallocarray(cf->incs, cf->nincs + 1, sizeof(*inc))) ==
	    NULL) {
		free(p);
		return (f);
	}
	cf->incs = inc;
	inc[cf->nincs].name = f;
	inc[cf->nincs++].path = p;
	return (p);
}

/* The file that holds ${s}, named as cf_name() does. */
static const char *
cf_file(struct cf *cf, const config_setting_t *s)
{
	return (cf_name(cf, s != NULL ? config_setting_source_file(s) : NULL));
}

/* Report one problem at ${file}:${line}, the va_list way. */
static void __attribute__((format(printf, 4, 0)))
cf_verr(struct cf *cf, const char *file, int line, const char *fmt,
    va_list ap)
{
	struct cf_msg	*m;
	char		*text;
	size_t		 cap;

	cf->nerr++;
	if (vasprintf(&text, fmt, ap) == -1)
		goto fail;
	if (cf->nmsgs == cf->capmsgs) {
		cap = cf->capmsgs == 0 ? 16 : cf->capmsgs * 2;
		if ((m = reallocarray(cf->msgs, cap, sizeof(*m))) == NULL) {
			free(text);
			goto fail;
		}
		cf->msgs = m;
		cf->capmsgs = cap;
	}
	m = &cf->msgs[cf->nmsgs];
	m->file = file;
	m->line = line;
	m->seq = cf->nmsgs++;
	m->text = text;
	return;

fail:
	/* Out of memory: print at once, out of order. */
	fprintf(cf->errfp, "%s:%d: %s\n", file, line, strerror(ENOMEM));
}

/* qsort(3) order of messages: by file, then line, then as reported. */
static int
cf_msg_cmp(const void *a, const void *b)
{
	const struct cf_msg	*ma = a, *mb = b;

	if (ma->rank != mb->rank)
		return (ma->rank < mb->rank ? -1 : 1);
	if (ma->line != mb->line)
		return (ma->line < mb->line ? -1 : 1);
	return (ma->seq < mb->seq ? -1 : ma->seq > mb->seq);
}

/* Print the held messages sorted by file and line, and free them. */
static void
cf_flush(struct cf *cf)
{
	size_t	 i, j;

	if (cf->nmsgs == 0)
		return;
	for (i = 0; i < cf->nmsgs; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(cf->msgs[j].file, cf->msgs[i].file) == 0)
				break;
		cf->msgs[i].rank = j < i ? cf->msgs[j].rank : i;
	}
	qsort(cf->msgs, cf->nmsgs, sizeof(*cf->msgs), cf_msg_cmp);
	for (i = 0; i < cf->nmsgs; i++) {
		fprintf(cf->errfp, "%s:%d: %s\n", cf->msgs[i].file,
		    cf->msgs[i].line, cf->msgs[i].text);
		free(cf->msgs[i].text);
	}
	free(cf->msgs);
	cf->msgs = NULL;
	cf->nmsgs = cf->capmsgs = 0;
}

/* Report one problem at ${file}:${line}. */
static void __attribute__((format(printf, 4, 5)))
cf_errl(struct cf *cf, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cf_verr(cf, file, line, fmt, ap);
	va_end(ap);
}

/* Report one problem at the line of setting ${s}. */
static void __attribute__((format(printf, 3, 4)))
cf_err(struct cf *cf, const config_setting_t *s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cf_verr(cf, cf_file(cf, s), (int)config_setting_source_line(s), fmt,
	    ap);
	va_end(ap);
}

/* Report an allocation failure and return -1. */
static int
cf_nomem(struct cf *cf, const config_setting_t *s)
{
	cf_err(cf, s, "%s", strerror(ENOMEM));
	return (-1);
}

/* Report every member of group ${g} whose name is not in ${keys}. */
static void
cf_check_keys(struct cf *cf, const config_setting_t *g,
    const char *const *keys)
{
	const config_setting_t	*s;
	const char		*name;
	size_t			 k;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(g, (unsigned int)i)) != NULL;
	    i++) {
		if ((name = config_setting_name(s)) == NULL)
			continue;
		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(name, keys[k]) == 0)
				break;
		if (keys[k] == NULL)
			cf_err(cf, s, "unknown key \"%s\"", name);
	}
}

/*
 * Look up string ${name} in group ${g}: return 1 and set ${val} (and
 * ${sp}) if present, 0 if absent, -1 (reported) if not a non-empty string.
 */
static int
cf_string(struct cf *cf, const config_setting_t *g, const char *name,
    const char **val, const config_setting_t **sp)
{
	const config_setting_t	*s;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (sp != NULL)
		*sp = s;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cf_err(cf, s, "\"%s\" must be a string", name);
		return (-1);
	}
	*val = config_setting_get_string(s);
	if (**val == '\0') {
		cf_err(cf, s, "\"%s\" must not be empty", name);
		return (-1);
	}
	return (1);
}

/*
 * Look up integer ${name} in group ${g}; if present and within
 * ${min}..${max} store it in ${val}.  Return 0, or -1 (reported).
 */
static int
cf_uint(struct cf *cf, const config_setting_t *g, const char *name,
    long long min, long long max, unsigned int *val)
{
	const config_setting_t	*s;
	long long		 v;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cf_err(cf, s, "\"%s\" must be an integer", name);
		return (-1);
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		cf_err(cf, s, "\"%s\" must be between %lld and %lld", name,
		    min, max);
		return (-1);
	}
	*val = (unsigned int)v;
	return (0);
}

/*
 * Look up boolean ${name} in group ${g}; if present store it in ${val}.
 * Return 0, or -1 (reported).
 */
static int
cf_bool(struct cf *cf, const config_setting_t *g, const char *name, int *val)
{
	const config_setting_t	*s;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cf_err(cf, s, "\"%s\" must be a boolean", name);
		return (-1);
	}
	*val = config_setting_get_bool(s);
	return (0);
}

/* Look up group ${name} in ${g}: 1 and ${sp} if present, 0 absent, -1 bad. */
static int
cf_group(struct cf *cf, const config_setting_t *g, const char *name,
    config_setting_t **sp)
{
	config_setting_t	*s;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cf_err(cf, s, "\"%s\" must be a group", name);
		return (-1);
	}
	*sp = s;
	return (1);
}

/* Remove "." components and repeated slashes from absolute path ${p}. */
static void
cf_path_clean(char *p)
{
	char	*r = p, *w = p;

	while (*r != '\0') {
		if (r[0] == '/' && r[1] == '/')
			r++;
		else if (r[0] == '/' && r[1] == '.' &&
		    (r[2] == '/' || r[2] == '\0'))
			r += 2;
		else
			*w++ = *r++;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
}

/*
 * Turn ${val}, read from setting ${s}, into a newly allocated absolute
 * path: relative paths are taken from the directory of the file holding
 * ${s}.  Return NULL (reported) on failure.
 */
static char *
cf_path(struct cf *cf, const config_setting_t *s, const char *val)
{
	const char	*file = cf_file(cf, s);
	const char	*slash;
	char		*cwd = NULL, *res = NULL;
	int		 dlen, rc;

	if (val[0] == '/') {
		if ((res = strdup(val)) == NULL)
			goto nomem;
		return (res);
	}
	slash = strrchr(file, '/');
	dlen = slash == NULL ? 0 : (int)(slash - file);
	if (slash != NULL && file[0] == '/')
		rc = asprintf(&res, "%.*s/%s", dlen, file, val);
	else {
		if ((cwd = getcwd(NULL, 0)) == NULL) {
			cf_err(cf, s, "getcwd: %s", strerror(errno));
			return (NULL);
		}
		if (slash == NULL)
			rc = asprintf(&res, "%s/%s", cwd, val);
		else
			rc = asprintf(&res, "%s/%.*s/%s", cwd, dlen, file, val);
		free(cwd);
	}
	if (rc == -1)
		goto nomem;
	cf_path_clean(res);
	return (res);

nomem:
	cf_nomem(cf, s);
	return (NULL);
}

/* Report (at setting ${s}) if file ${p} is not a readable file. */
static int
cf_readable(struct cf *cf, const config_setting_t *s, const char *p)
{
	struct stat	 st;

	if (access(p, R_OK) != 0) {
		cf_err(cf, s, "%s: %s", p, strerror(errno));
		return (-1);
	}
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
		cf_err(cf, s, "%s: %s", p, strerror(EISDIR));
		return (-1);
	}
	return (0);
}

/*
 * Look up path ${name} in group ${g}: if present, replace *${res} with
 * its absolute form and set *${line}; if ${check}, the file must be
 * readable.  Return 0, or -1 (reported).
 */
static int
cf_file_key(struct cf *cf, const config_setting_t *g, const char *name,
    int check, char **res, int *line)
{
	const config_setting_t	*s = NULL;
	const char		*val;
	char			*p;
	int			 rc;

	if ((rc = cf_string(cf, g, name, &val, &s)) <= 0)
		return (rc);
	if ((p = cf_path(cf, s, val)) == NULL)
		return (-1);
	free(*res);
	*res = p;
	if (line != NULL)
		*line = (int)config_setting_source_line(s);
	if (check && cf_readable(cf, s, p) != 0)
		return (-1);
	return (0);
}

/* Free the ${n} anchors ${cas} and what they hold. */
static void
cf_cas_free(struct ca_conf *cas, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < n; i++) {
		free(cas[i].file);
		free(cas[i].crl);
		for (j = 0; j < cas[i].nnames; j++)
			free(cas[i].names[j]);
		free(cas[i].names);
	}
	free(cas);
}

/* A copy of the ${n} anchors ${from}, or NULL if out of memory. */
static struct ca_conf *
cf_cas_copy(const struct ca_conf *from, size_t n)
{
	struct ca_conf	*to;
	size_t		 i, j;

	if ((to = calloc(n, sizeof(*to))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		to[i] = from[i];
		to[i].file = to[i].crl = NULL;
		to[i].names = NULL;
		to[i].nnames = 0;
		if ((from[i].file != NULL &&
		    (to[i].file = strdup(from[i].file)) == NULL) ||
		    (from[i].crl != NULL &&
		    (to[i].crl = strdup(from[i].crl)) == NULL) ||
		    (from[i].nnames > 0 && (to[i].names = calloc(
		    from[i].nnames, sizeof(*to[i].names))) == NULL))
			goto fail;
		for (j = 0; j < from[i].nnames; j++, to[i].nnames++)
			if ((to[i].names[j] = strdup(from[i].names[j])) ==
			    NULL)
				goto fail;
	}
	return (to);

fail:
	cf_cas_free(to, i + 1);
	return (NULL);
}

/* Free the strings of ${t}. */
static void
cf_tls_clear(struct tls_conf *t)
{
	free(t->cert);
	free(t->key);
	free(t->ca);
	cf_cas_free(t->cas, t->ncas);
	free(t->crl);
	free(t->priority);
	memset(t, 0, sizeof(*t));
}

/* Copy ${from} into the empty ${to}; return 0, or -1 if out of memory. */
static int
cf_tls_copy(struct tls_conf *to, const struct tls_conf *from)
{
	*to = *from;
	to->cert = to->key = to->ca = to->crl = to->priority = NULL;
	to->cas = NULL;
	to->ncas = 0;
	if ((from->cert != NULL && (to->cert = strdup(from->cert)) == NULL) ||
	    (from->key != NULL && (to->key = strdup(from->key)) == NULL) ||
	    (from->ca != NULL && (to->ca = strdup(from->ca)) == NULL) ||
	    (from->crl != NULL && (to->crl = strdup(from->crl)) == NULL) ||
	    (from->priority != NULL &&
	    (to->priority = strdup(from->priority)) == NULL) ||
	    (from->ncas > 0 &&
	    (to->cas = cf_cas_copy(from->cas, from->ncas)) == NULL)) {
		cf_tls_clear(to);
		return (-1);
	}
	to->ncas = from->ncas;
	return (0);
}

/* Parse the "names" array ${l} of an anchor into ${ca}. */
static void
cf_ca_names(struct cf *cf, const config_setting_t *l, struct ca_conf *ca)
{
	const config_setting_t	*e;
	struct scope_ent	 se;
	const char		*val, *why;
	int			 i, n;

	if (config_setting_type(l) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(l) != CONFIG_TYPE_LIST) {
		cf_err(cf, l, "\"names\" must be an array of strings");
		return;
	}
	if ((n = config_setting_length(l)) == 0) {
		cf_err(cf, l, "\"names\" is empty: the CA would vouch for "
		    "nothing (leave \"names\" out to let it vouch for any "
		    "name)");
		return;
	}
	if ((ca->names = calloc((size_t)n, sizeof(*ca->names))) == NULL) {
		cf_nomem(cf, l);
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(l, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cf_err(cf, e, "\"names\" must be an array of strings");
			continue;
		}
		val = config_setting_get_string(e);
		if (scope_parse(val, &se, &why) != 0) {
			cf_err(cf, e, "bad name \"%s\" in \"names\": %s", val,
			    why);
			continue;
		}
		if ((ca->names[ca->nnames] = strdup(val)) == NULL) {
			cf_nomem(cf, e);
			return;
		}
		ca->nnames++;
	}
}

/*
 * Setting "ca" ${s} of a tls block into ${t}: a file (every CA in it
 * vouches for any name), or a list of { file; names; crl; } anchors.
 * Either replaces what ${t} had (the global block's, in a tunnel).
 */
static void
cf_ca(struct cf *cf, const config_setting_t *g, struct tls_conf *t)
{
	const config_setting_t	*s, *e, *m;
	struct ca_conf		*ca;
	int			 i, n;

	if ((s = config_setting_get_member(g, "ca")) == NULL)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		cf_cas_free(t->cas, t->ncas);
		t->cas = NULL;
		t->ncas = 0;
		cf_file_key(cf, g, "ca", 1, &t->ca, &t->ca_line);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cf_err(cf, s, "\"ca\" must be a file name or a list of "
		    "{ file; names; crl; } groups");
		return;
	}
	free(t->ca);
	t->ca = NULL;
	cf_cas_free(t->cas, t->ncas);
	t->cas = NULL;
	t->ncas = 0;
	t->ca_line = (int)config_setting_source_line(s);
	if ((n = config_setting_length(s)) == 0) {
		cf_err(cf, s, "\"ca\" is an empty list: no peer could be "
		    "trusted");
		return;
	}
	if ((t->cas = calloc((size_t)n, sizeof(*t->cas))) == NULL) {
		cf_nomem(cf, s);
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cf_err(cf, e, "\"ca\" list entries must be groups "
			    "{ file; names; crl; }");
			continue;
		}
		ca = &t->cas[t->ncas++];
		ca->line = (int)config_setting_source_line(e);
		cf_check_keys(cf, e, cf_ca_keys);
		if (config_setting_get_member(e, "file") == NULL)
			cf_err(cf, e, "\"ca\" entry needs \"file\"");
		else
			cf_file_key(cf, e, "file", 1, &ca->file, &ca->line);
		if ((m = config_setting_get_member(e, "names")) != NULL)
			cf_ca_names(cf, m, ca);
		cf_file_key(cf, e, "crl", 1, &ca->crl, &ca->crl_line);
	}
}

/* Override ${t} with the settings of tls group ${g}. */
static void
cf_tls(struct cf *cf, const config_setting_t *g, struct tls_conf *t)
{
	const config_setting_t	*s = NULL;
	const char		*val;
	char			*p;

	cf_check_keys(cf, g, cf_tls_keys);
	cf_file_key(cf, g, "cert", 1, &t->cert, &t->cert_line);
	cf_file_key(cf, g, "key", 1, &t->key, &t->key_line);
	cf_ca(cf, g, t);
	cf_file_key(cf, g, "crl", 1, &t->crl, &t->crl_line);
	cf_bool(cf, g, "crl_strict", &t->crl_strict);
	if (cf_string(cf, g, "priority", &val, &s) == 1) {
		if ((p = strdup(val)) == NULL) {
			cf_nomem(cf, s);
			return;
		}
		free(t->priority);
		t->priority = p;
		t->priority_line = (int)config_setting_source_line(s);
	}
}

/* Parse address setting ${name} of ${g} into ${hp} (and ${line}). */
static int
cf_addr(struct cf *cf, const config_setting_t *g, const char *name,
    int flags, struct hostport *hp, int *line)
{
	const config_setting_t	*s = NULL;
	const char		*val, *errstr;
	int			 rc;

	if ((rc = cf_string(cf, g, name, &val, &s)) <= 0)
		return (rc);
	if (line != NULL)
		*line = (int)config_setting_source_line(s);
	if (addr_parse(val, hp, flags, &errstr) != 0) {
		cf_err(cf, s, "bad address \"%s\": %s", val, errstr);
		return (-1);
	}
	return (1);
}

/* 1 if ${c} is in the base64 alphabet. */
static int
cf_b64char(char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/');
}

/* Check peer identity ${id} (name, wildcard or pin) read from ${s}. */
static int
cf_identity(struct cf *cf, const config_setting_t *s, const char *id)
{
	const char	*b64;
	size_t		 i, plen = strlen(CF_PIN_PREFIX);

	if (*id == '\0') {
		cf_err(cf, s, "empty peer identity");
		return (-1);
	}
	if (strncasecmp(id, CF_PIN_PREFIX, plen) != 0)
		return (0);
	b64 = id + plen;
	for (i = 0; i < CF_PIN_B64LEN - 1; i++)
		if (!cf_b64char(b64[i]))
			break;
	if (i != CF_PIN_B64LEN - 1 || strcmp(b64 + i, "=") != 0) {
		cf_err(cf, s, "bad pin \"%s\": expected \"sha256:\" and the "
		    "base64 of 32 bytes (44 characters ending in '=')", id);
		return (-1);
	}
	return (0);
}

/* Parse routes list ${l} into ${tc}. */
static void
cf_routes(struct cf *cf, const config_setting_t *l, struct tunnel_conf *tc)
{
	const config_setting_t	*g, *s;
	struct route_conf	*r;
	const char		*val;
	int			 i, n, rc;

	if (config_setting_type(l) != CONFIG_TYPE_LIST) {
		cf_err(cf, l, "\"routes\" must be a list of groups");
		return;
	}
	n = config_setting_length(l);
	if (n == 0)
		return;
	if ((tc->routes = calloc((size_t)n, sizeof(*tc->routes))) == NULL) {
		cf_nomem(cf, l);
		return;
	}
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(l, (unsigned int)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cf_err(cf, g, "\"routes\" entries must be groups");
			continue;
		}
		r = &tc->routes[tc->nroutes++];
		r->line = (int)config_setting_source_line(g);
		cf_check_keys(cf, g, cf_route_keys);
		if ((rc = cf_addr(cf, g, "match", ADDR_WILDCARD, &r->match,
		    NULL)) == 0)
			cf_err(cf, g, "route needs \"match\"");
		rc = cf_addr(cf, g, "connect", ADDR_WILDCARD, &r->connect,
		    NULL);
		r->has_connect = rc == 1;
		s = NULL;
		if ((rc = cf_string(cf, g, "peer", &val, &s)) == 1 &&
		    cf_identity(cf, s, val) == 0 &&
		    (r->peer = strdup(val)) == NULL)
			cf_nomem(cf, s);
		if ((s = config_setting_get_member(g, "deny")) != NULL) {
			if (config_setting_type(s) != CONFIG_TYPE_BOOL)
				cf_err(cf, s, "\"deny\" must be a boolean");
			else
				r->deny = config_setting_get_bool(s);
		}
		if (r->deny && (config_setting_get_member(g, "connect") !=
		    NULL || config_setting_get_member(g, "peer") != NULL))
			cf_err(cf, s, "a route with \"deny\" takes no "
			    "\"connect\" or \"peer\"");
	}
}

/* Parse allow array or list ${l} into ${tc}. */
static void
cf_allow(struct cf *cf, const config_setting_t *l, struct tunnel_conf *tc)
{
	const config_setting_t	*e;
	const char		*val;
	int			 i, n;

	if (config_setting_type(l) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(l) != CONFIG_TYPE_LIST) {
		cf_err(cf, l, "\"allow\" must be an array of strings");
		return;
	}
	if ((n = config_setting_length(l)) == 0) {
		cf_err(cf, l, "\"allow\" is empty: it would let no peer in");
		return;
	}
	if ((tc->allow = calloc((size_t)n + 1, sizeof(*tc->allow))) == NULL) {
		cf_nomem(cf, l);
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(l, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cf_err(cf, e, "\"allow\" must be an array of strings");
			continue;
		}
		val = config_setting_get_string(e);
		if (cf_identity(cf, e, val) != 0)
			continue;
		if ((tc->allow[tc->nallow] = strdup(val)) == NULL) {
			cf_nomem(cf, e);
			return;
		}
		tc->nallow++;
	}
}

/* Read the first line of password file ${p} (from setting ${s}). */
static char *
cf_password(struct cf *cf, const config_setting_t *s, const char *p)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;

	if ((fp = fopen(p, "r")) == NULL) {
		cf_err(cf, s, "%s: %s", p, strerror(errno));
		return (NULL);
	}
	errno = 0;
	if ((len = getline(&line, &cap, fp)) == -1) {
		if (ferror(fp))
			cf_err(cf, s, "%s: %s", p, strerror(errno));
		else
			cf_err(cf, s, "%s: empty password file", p);
		goto err;
	}
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0) {
		cf_err(cf, s, "%s: empty password", p);
		goto err;
	}
	if (len > CF_PASS_MAX) {
		cf_err(cf, s, "%s: password longer than %d bytes", p,
		    CF_PASS_MAX);
		goto err;
	}
	fclose(fp);
	return (line);

err:
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	fclose(fp);
	return (NULL);
}

/* Parse socks_auth group ${g} into ${tc}. */
static void
cf_socks_auth(struct cf *cf, const config_setting_t *g,
    struct tunnel_conf *tc)
{
	const config_setting_t	*s = NULL;
	const char		*val;
	char			*p = NULL;
	int			 rc;

	cf_check_keys(cf, g, cf_auth_keys);
	if ((rc = cf_string(cf, g, "username", &val, &s)) == 0)
		cf_err(cf, g, "\"socks_auth\" needs \"username\"");
	else if (rc == 1) {
		if (strlen(val) > CF_PASS_MAX)
			cf_err(cf, s, "\"username\" is longer than %d bytes",
			    CF_PASS_MAX);
		else if ((tc->socks_user = strdup(val)) == NULL)
			cf_nomem(cf, s);
	}
	if ((rc = cf_string(cf, g, "password_file", &val, &s)) == 0)
		cf_err(cf, g, "\"socks_auth\" needs \"password_file\"");
	else if (rc == 1 && (p = cf_path(cf, s, val)) != NULL) {
		tc->socks_pass = cf_password(cf, s, p);
		free(p);
	}
}

/* Parse tunnel group ${g} into ${tc}, starting from the global ${gtls}. */
static void
cf_tunnel(struct cf *cf, const config_setting_t *g, struct tunnel_conf *tc,
    const struct tls_conf *gtls)
{
	config_setting_t	*s;
	const config_setting_t	*ms = NULL;
	const char		*val, *name = tc->name;
	int			 rc;

	tc->line = (int)config_setting_source_line(g);
	tc->max_connections = 256;
	tc->handshake_timeout = 10;
	tc->connect_timeout = 5;
	tc->idle_timeout = 0;
	tc->workers = 1;
	tc->loopback_per_peer = 1;
	if (cf_tls_copy(&tc->tls, gtls) != 0)
		cf_nomem(cf, g);

	cf_check_keys(cf, g, cf_tunnel_keys);
	rc = cf_string(cf, g, "mode", &val, &ms);
	if (rc == 0)
		cf_err(cf, g, "tunnel \"%s\": missing \"mode\"", name);
	else if (rc == 1) {
		if (strcmp(val, "socks") == 0)
			tc->mode = TUNNEL_SOCKS;
		else if (strcmp(val, "tls") == 0)
			tc->mode = TUNNEL_TLS;
		else if (strcmp(val, "redirect") == 0)
			tc->mode = TUNNEL_REDIRECT;
		else {
			cf_err(cf, ms, "bad mode \"%s\": must be \"socks\", "
			    "\"tls\" or \"redirect\"", val);
			rc = -1;
		}
	}
	if (cf_addr(cf, g, "listen", 0, &tc->listen, &tc->listen_line) == 0)
		cf_err(cf, g, "tunnel \"%s\": missing \"listen\"", name);

	/* Keys that depend on the mode are checked only once it is known. */
	if (rc == 1 && tc->mode == TUNNEL_TLS) {
		if (cf_addr(cf, g, "connect", 0, &tc->connect, NULL) == 0)
			cf_err(cf, g, "tunnel \"%s\": a tls tunnel needs "
			    "\"connect\"", name);
		if ((s = config_setting_get_member(g, "routes")) != NULL)
			cf_err(cf, s, "\"routes\" is only for socks tunnels");
		if ((s = config_setting_get_member(g, "socks_auth")) != NULL)
			cf_err(cf, s, "\"socks_auth\" is only for socks "
			    "tunnels");
		if ((s = config_setting_get_member(g, "allow")) != NULL)
			cf_allow(cf, s, tc);
		cf_bool(cf, g, "loopback_per_peer", &tc->loopback_per_peer);
	} else if (rc == 1 && tunnel_dials_tls(tc->mode)) {
		if ((s = config_setting_get_member(g, "connect")) != NULL)
			cf_err(cf, s, "\"connect\" is only for tls tunnels "
			    "(use \"routes\")");
		if ((s = config_setting_get_member(g, "allow")) != NULL)
			cf_err(cf, s, "\"allow\" is only for tls tunnels "
			    "(use a route's \"peer\")");
		if ((s = config_setting_get_member(g, "routes")) != NULL)
			cf_routes(cf, s, tc);
		if (tc->mode == TUNNEL_REDIRECT &&
		    (s = config_setting_get_member(g, "socks_auth")) != NULL)
			cf_err(cf, s, "\"socks_auth\" is only for socks "
			    "tunnels (a redirected connection has no SOCKS "
			    "exchange to carry it)");
		else if (cf_group(cf, g, "socks_auth", &s) == 1)
			cf_socks_auth(cf, s, tc);
		if ((s = config_setting_get_member(g, "loopback_per_peer")) !=
		    NULL)
			cf_err(cf, s, "\"loopback_per_peer\" is only for tls "
			    "tunnels");
	}

	if (cf_group(cf, g, "tls", &s) == 1)
		cf_tls(cf, s, &tc->tls);
	if (tc->tls.priority == NULL &&
	    (tc->tls.priority = strdup(SD_DEFAULT_PRIORITY)) == NULL)
		cf_nomem(cf, g);
	if (tc->tls.cert == NULL)
		cf_err(cf, g, "tunnel \"%s\": no tls cert", name);
	if (tc->tls.key == NULL)
		cf_err(cf, g, "tunnel \"%s\": no tls key", name);
	if (tc->tls.ca == NULL && tc->tls.ncas == 0)
		cf_err(cf, g, "tunnel \"%s\": no tls ca", name);

	cf_uint(cf, g, "max_connections", 1, 65535, &tc->max_connections);
	cf_uint(cf, g, "handshake_timeout", 1, 3600, &tc->handshake_timeout);
	cf_uint(cf, g, "connect_timeout", 1, 3600, &tc->connect_timeout);
	cf_uint(cf, g, "idle_timeout", 0, 31536000, &tc->idle_timeout);
	/* 64 is SD_WORKERS_MAX, written out so 10-man-pages finds it */
	cf_uint(cf, g, "workers", 1, 64, &tc->workers);
}

/* 1 if listen addresses ${a} and ${b} cannot both be bound. */
static int
cf_listen_clash(const struct hostport *a, const struct hostport *b)
{
	int	 a4, b4;

	if (a->port != b->port)
		return (0);
	if (addr_same_host(a->host, b->host))
		return (1);
	if (!addr_is_numeric(a->host) || !addr_is_numeric(b->host))
		return (0);
	/* A wildcard clashes with every address of its family. */
	a4 = strchr(a->host, ':') == NULL;
	b4 = strchr(b->host, ':') == NULL;
	if (a4 != b4)
		return (0);
	if (a4)
		return (addr_same_host(a->host, "0.0.0.0") ||
		    addr_same_host(b->host, "0.0.0.0"));
	return (addr_same_host(a->host, "::") || addr_same_host(b->host, "::"));
}

/* Parse the tunnels group ${g} into ${conf}, with global tls ${gtls}. */
static void
cf_tunnels(struct cf *cf, const config_setting_t *g, struct sd_conf *conf,
    const struct tls_conf *gtls)
{
	const config_setting_t	*t, **ts;
	struct tunnel_conf	*tc, *oc;
	char			 where[ADDR_STRLEN];
	size_t			 i, j;
	int			 n;

	if ((n = config_setting_length(g)) == 0) {
		cf_err(cf, g, "no tunnels");
		return;
	}
	if ((conf->tunnels = calloc((size_t)n, sizeof(*conf->tunnels))) ==
	    NULL || (ts = calloc((size_t)n, sizeof(*ts))) == NULL) {
		cf_nomem(cf, g);
		return;
	}
	for (i = 0; i < (size_t)n; i++) {
		t = config_setting_get_elem(g, (unsigned int)i);
		if (config_setting_type(t) != CONFIG_TYPE_GROUP) {
			cf_err(cf, t, "tunnel \"%s\" must be a group",
			    config_setting_name(t));
			continue;
		}
		ts[conf->ntunnels] = t;
		tc = &conf->tunnels[conf->ntunnels++];
		if ((tc->name = strdup(config_setting_name(t))) == NULL) {
			cf_nomem(cf, t);
			break;
		}
		cf_tunnel(cf, t, tc, gtls);
	}

	/* Two tunnels on one address: the second cannot bind. */
	for (i = 0; i < conf->ntunnels; i++) {
		tc = &conf->tunnels[i];
		if (tc->listen_line == 0 || tc->listen.host[0] == '\0')
			continue;
		for (j = 0; j < i; j++) {
			oc = &conf->tunnels[j];
			if (oc->listen.host[0] == '\0' ||
			    !cf_listen_clash(&tc->listen, &oc->listen))
				continue;
			addr_format_hp(&tc->listen, where, sizeof(where));
			cf_errl(cf, cf_file(cf, ts[i]), tc->listen_line,
			    "tunnel \"%s\" listens on %s like tunnel \"%s\" "
			    "(line %d)", tc->name, where, oc->name,
			    oc->listen_line);
			break;
		}
	}
	free(ts);
}

/* Parse the root group ${root} into ${conf}. */
static void
cf_global(struct cf *cf, const config_setting_t *root, struct sd_conf *conf)
{
	static const struct {
		const char	*name;
		int		 level;
	} levels[] = {
		{ "error", LOG_ERR }, { "warn", LOG_WARNING },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG }
	};
	const config_setting_t	*s = NULL;
	config_setting_t	*g;
	struct tls_conf		 gtls;
	const char		*val;
	size_t			 i;
	int			 rc;

	memset(&gtls, 0, sizeof(gtls));
	cf_check_keys(cf, root, cf_global_keys);

	cf_file_key(cf, root, "control_socket", 0, &conf->control_socket,
	    NULL);
	if (conf->control_socket == NULL &&
	    (conf->control_socket = strdup(SD_DEFAULT_CONTROL)) == NULL)
		cf_nomem(cf, root);
	else if (conf->control_socket != NULL &&
	    strlen(conf->control_socket) >=
	    sizeof(((struct sockaddr_un *)NULL)->sun_path))
		cf_err(cf, config_setting_get_member(root, "control_socket"),
		    "%s: too long for a UNIX socket path (%zu bytes at most)",
		    conf->control_socket,
		    sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
	cf_file_key(cf, root, "pid_file", 0, &conf->pid_file, NULL);

	conf->log_level = LOG_INFO;
	if (cf_string(cf, root, "log_level", &val, &s) == 1) {
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (strcmp(val, levels[i].name) == 0)
				break;
		if (i < sizeof(levels) / sizeof(levels[0]))
			conf->log_level = levels[i].level;
		else
			cf_err(cf, s, "bad log_level \"%s\": must be error, "
			    "warn, info or debug", val);
	}
	if (cf_string(cf, root, "user", &val, &s) == 1 &&
	    (conf->user = strdup(val)) == NULL)
		cf_nomem(cf, s);
	if (cf_string(cf, root, "group", &val, &s) == 1 &&
	    (conf->group = strdup(val)) == NULL)
		cf_nomem(cf, s);
	conf->shutdown_timeout = 10;
	cf_uint(cf, root, "shutdown_timeout", 0, 3600, &conf->shutdown_timeout);
	conf->sandbox = 1;
	cf_bool(cf, root, "sandbox", &conf->sandbox);
	conf->reload_on_change = 1;
	cf_bool(cf, root, "reload_on_change", &conf->reload_on_change);
	conf->mark = SD_DEFAULT_MARK;
	if ((s = config_setting_get_member(root, "mark")) != NULL)
		conf->mark_line = (int)config_setting_source_line(s);
	/* 4294967295 is UINT32_MAX, written out so 10-man-pages finds it */
	cf_uint(cf, root, "mark", 0, 4294967295LL, &conf->mark);

	if (cf_group(cf, root, "tls", &g) == 1)
		cf_tls(cf, g, &gtls);
	if ((rc = cf_group(cf, root, "tunnels", &g)) == 1)
		cf_tunnels(cf, g, conf, &gtls);
	else if (rc == 0)
		cf_errl(cf, cf->path, 1, "no tunnels");
	cf_tls_clear(&gtls);
}

/* Free what ${cf} holds. */
static void
cf_done(struct cf *cf)
{
	size_t	 i;

	for (i = 0; i < cf->nincs; i++)
		free(cf->incs[i].path);
	free(cf->incs);
	free(cf->incdir);
}

/**
 * conf_load(path, errfp): read and validate ${path}.  Every problem is
 * written to ${errfp} as one "FILE:LINE: message" line.  Return a new
 * configuration, or NULL if there was any problem.
 */
struct sd_conf *
conf_load(const char *path, FILE *errfp)
{
	struct cf	 cf;
	struct sd_conf	*conf;
	config_t	 lc;
	FILE		*fp;
	const char	*slash;

	memset(&cf, 0, sizeof(cf));
	cf.errfp = errfp;
	cf.path = path;

	/* libconfig says only "file I/O error"; find out the reason. */
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(errfp, "%s: %s\n", path, strerror(errno));
		goto err0;
	}
	fclose(fp);

	if ((conf = calloc(1, sizeof(*conf))) == NULL ||
	    (conf->file = strdup(path)) == NULL) {
		fprintf(errfp, "%s: %s\n", path, strerror(ENOMEM));
		goto err1;
	}

	config_init(&lc);
	/* @include "x" is relative to the configuration's directory. */
	if ((slash = strrchr(path, '/')) != NULL) {
		if ((cf.incdir = strndup(path, (size_t)(slash - path + 1))) ==
		    NULL) {
			fprintf(errfp, "%s: %s\n", path, strerror(ENOMEM));
			goto err2;
		}
		config_set_include_dir(&lc, cf.incdir);
	}
	if (cf_check_includes(path, cf.incdir, 0, errfp) != 0)
		goto err2;
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		fprintf(errfp, "%s:%d: %s\n", cf_name(&cf,
		    config_error_file(&lc)), config_error_line(&lc),
		    config_error_text(&lc));
		goto err2;
	}
	cf_global(&cf, config_root_setting(&lc), conf);
	cf_flush(&cf);
	if (cf.nerr > 0)
		goto err2;

	/* Success! */
	config_destroy(&lc);
	cf_done(&cf);
	return (conf);

err2:
	config_destroy(&lc);
	cf_done(&cf);
err1:
	conf_free(conf);
err0:
	/* Failure! */
	return (NULL);
}

/* Free everything ${tc} owns. */
static void
cf_tunnel_free(struct tunnel_conf *tc)
{
	size_t	 i;

	free(tc->name);
	for (i = 0; i < tc->nroutes; i++)
		free(tc->routes[i].peer);
	free(tc->routes);
	if (tc->allow != NULL)
		for (i = 0; i < tc->nallow; i++)
			free(tc->allow[i]);
	free(tc->allow);
	free(tc->socks_user);
	if (tc->socks_pass != NULL) {
		explicit_bzero(tc->socks_pass, strlen(tc->socks_pass));
		free(tc->socks_pass);
	}
	cf_tls_clear(&tc->tls);
}

/**
 * conf_free(conf): free ${conf} and everything it owns; NULL is a no-op.
 */
void
conf_free(struct sd_conf *conf)
{
	size_t	 i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->ntunnels; i++)
		cf_tunnel_free(&conf->tunnels[i]);
	free(conf->tunnels);
	free(conf->file);
	free(conf->control_socket);
	free(conf->pid_file);
	free(conf->user);
	free(conf->group);
	free(conf);
}

/**
 * conf_find_tunnel(conf, name): the tunnel called ${name}, or NULL.
 */
struct tunnel_conf *
conf_find_tunnel(struct sd_conf *conf, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf->ntunnels; i++)
		if (strcmp(conf->tunnels[i].name, name) == 0)
			return (&conf->tunnels[i]);
	return (NULL);
}

/**
 * conf_redirect_tunnel(conf): the first redirect tunnel of ${conf}, or
 * NULL if it has none (then SO_MARK is a courtesy, not a need).
 */
const struct tunnel_conf *
conf_redirect_tunnel(const struct sd_conf *conf)
{
	size_t	 i;

	for (i = 0; i < conf->ntunnels; i++)
		if (conf->tunnels[i].mode == TUNNEL_REDIRECT)
			return (&conf->tunnels[i]);
	return (NULL);
}

/* Two optional strings are equal (both NULL, or the same text). */
static int
cf_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* Two host:port settings are equal, as written. */
static int
cf_hpeq(const struct hostport *a, const struct hostport *b)
{
	return (a->port == b->port && strcmp(a->host, b->host) == 0);
}

/* The anchor lists ${a} and ${b} (of ${na} and ${nb}) are equal, lines aside. */
static int
cf_cas_equal(const struct ca_conf *a, size_t na, const struct ca_conf *b,
    size_t nb)
{
	size_t	 i, j;

	if (na != nb)
		return (0);
	for (i = 0; i < na; i++) {
		if (!cf_streq(a[i].file, b[i].file) ||
		    !cf_streq(a[i].crl, b[i].crl) ||
		    a[i].nnames != b[i].nnames)
			return (0);
		for (j = 0; j < a[i].nnames; j++)
			if (strcmp(a[i].names[j], b[i].names[j]) != 0)
				return (0);
	}
	return (1);
}

/*
 * libconfig 1.5 calls exit() when an @include names something its scanner
 * cannot read (a directory, say), which in a reload would end the daemon.
 * So every @include is checked first, recursively: it must name a
 * readable regular file.  The name is taken as libconfig's scanner takes
 * it: from the quote after "@include" at the start of a line to the next
 * quote, even on a later line, and cut at a NUL byte.  Return 0, or -1
 * with FILE:LINE messages.
 */
static int
cf_check_includes(const char *path, const char *incdir, int depth,
    FILE *errfp)
{
	FILE		*fp;
	struct stat	 st;
	char		*buf = NULL, *p, *q, *end, *name, target[PATH_MAX];
	size_t		 len = 0, cap = 0, n;
	int		 lineno = 1, rc = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return (0);	/* libconfig reports it, as FILE: reason */
	do {
		if (cap - len < 65536) {
			if (cap >= (size_t)64 << 20 ||
			    (p = realloc(buf, cap + 65536)) == NULL) {
				fprintf(errfp, "%s: too large\n", path);
				free(buf);
				fclose(fp);
				return (-1);
			}
			buf = p;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	end = buf + len;
	for (p = buf; p < end; lineno++) {
		char	*eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (eol - p < 8 || memcmp(p, "@include", 8) != 0 ||
		    (q = memchr(p + 8, '"', (size_t)(eol - p - 8))) == NULL ||
		    (name = q + 1) >= end ||
		    (q = memchr(name, '"', (size_t)(end - name))) == NULL) {
			p = eol + 1;
			continue;	/* no include, or libconfig's syntax error */
		}
		*q = '\0';	/* the name also ends at a NUL inside it */
		snprintf(target, sizeof(target), "%s%s",
		    name[0] == '/' || incdir == NULL ? "" : incdir, name);
		if (depth >= 10) {
			fprintf(errfp, "%s:%d: @include nested too deep\n",
			    path, lineno);
			rc = -1;
		} else if (strchr(name, '\n') != NULL) {
			fprintf(errfp, "%s:%d: @include: the file name runs "
			    "past the end of the line\n", path, lineno);
			rc = -1;
		} else if (stat(target, &st) != 0 || access(target, R_OK) != 0) {
			fprintf(errfp, "%s:%d: @include \"%.200s\": %s\n", path,
			    lineno, name, strerror(errno));
			rc = -1;
		} else if (!S_ISREG(st.st_mode)) {
			fprintf(errfp, "%s:%d: @include \"%.200s\": not a "
			    "regular file\n", path, lineno, name);
			rc = -1;
		} else if (cf_check_includes(target, incdir, depth + 1,
		    errfp) != 0)
			rc = -1;
		/* go on after the name, counting the lines it spans */
		for (; p < q; p++)
			lineno += *p == '\n';
		p = memchr(q + 1, '\n', (size_t)(end - q - 1));
		p = p != NULL ? p + 1 : end;
	}
	free(buf);
	return (rc);
}

/**
 * conf_tunnel_equal(a, b): 1 if tunnels ${a} and ${b} are defined
 * alike in every setting a worker uses (config lines aside), so a reload
 * can leave the running one alone.
 */
int
conf_tunnel_equal(const struct tunnel_conf *a, const struct tunnel_conf *b)
{
	size_t	 i;

	if (strcmp(a->name, b->name) != 0 || a->mode != b->mode ||
	    !cf_hpeq(&a->listen, &b->listen) ||
	    !cf_hpeq(&a->connect, &b->connect) ||
	    a->nroutes != b->nroutes || a->nallow != b->nallow ||
	    !cf_streq(a->socks_user, b->socks_user) ||
	    !cf_streq(a->socks_pass, b->socks_pass) ||
	    !cf_streq(a->tls.cert, b->tls.cert) ||
	    !cf_streq(a->tls.key, b->tls.key) ||
	    !cf_streq(a->tls.ca, b->tls.ca) ||
	    !cf_streq(a->tls.crl, b->tls.crl) ||
	    a->tls.crl_strict != b->tls.crl_strict ||
	    !cf_streq(a->tls.priority, b->tls.priority) ||
	    a->max_connections != b->max_connections ||
	    a->handshake_timeout != b->handshake_timeout ||
	    a->connect_timeout != b->connect_timeout ||
	    a->idle_timeout != b->idle_timeout ||
	    a->workers != b->workers ||
	    a->loopback_per_peer != b->loopback_per_peer)
		return (0);
	for (i = 0; i < a->nroutes; i++) {
		const struct route_conf *ra = &a->routes[i], *rb = &b->routes[i];

		if (!cf_hpeq(&ra->match, &rb->match) ||
		    ra->has_connect != rb->has_connect ||
		    (ra->has_connect && !cf_hpeq(&ra->connect, &rb->connect)) ||
		    !cf_streq(ra->peer, rb->peer) || ra->deny != rb->deny)
			return (0);
	}
	for (i = 0; i < a->nallow; i++)
		if (strcmp(a->allow[i], b->allow[i]) != 0)
			return (0);
	return (cf_cas_equal(a->tls.cas, a->tls.ncas, b->tls.cas,
	    b->tls.ncas));
}
