/*
 * t_tunnel_equal.c: conf_tunnel_equal() tells a reload whether a tunnel
 * can run on untouched.  Every member of struct tunnel_conf, struct
 * tls_conf and struct route_conf is changed in turn in a copy of one
 * tunnel: each setting must make the two compare unequal, each config
 * line must not.
 *
 * The members are listed once, in the X-macros below, and both the
 * tunnel every variant starts from and the table of variants are built
 * from those lists.  The tunnel is a positional initializer: a member
 * added to one of the structures and not to its list leaves it short,
 * which -Wextra (-Wmissing-field-initializers) reports and -Werror turns
 * into a failed build; a name that is not a member does not compile
 * (offsetof); test_table() checks that no member is listed twice.  A
 * setting added to the structures therefore cannot be left out of
 * conf_tunnel_equal() without this test failing.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "test.h"

/* What a change of the member must do to conf_tunnel_equal(). */
#define DIFFERS	0		/* a setting: the tunnel is restarted */
#define SAME	1		/* a config line: nothing a worker uses */

/* How to change a member (kinds of value). */
enum kind {
	K_STR,			/* char *, never NULL */
	K_OPTSTR,		/* char *, NULL for none */
	K_INT,			/* int, unsigned int or an enum */
	K_SIZE,			/* size_t: the length of a list */
	K_HOSTPORT,		/* struct hostport */
	K_ROUTES,		/* struct route_conf *, nroutes of them */
	K_CAS,			/* struct ca_conf *, ncas of them */
	K_ALLOW			/* char **, nallow of them */
};

#define HP(h, p)	{ h, p }

/*
 * X(member, kind, value, DIFFERS or SAME): every member, in the order of
 * its structure (the initializers below are positional).  A member added
 * to struct tls_conf, struct route_conf or struct tunnel_conf goes into
 * its list here; conf_tunnel_equal() must then compare it (or, for a
 * config line, leave it out).
 */
#define TLS_MEMBERS(X)							\
	X(cert,		K_STR,		"/etc/stunneld/b.crt",	DIFFERS)	\
	X(key,		K_STR,		"/etc/stunneld/b.key",	DIFFERS)	\
	X(ca,		K_STR,		"/etc/stunneld/ca.crt",	DIFFERS)	\
	X(cas,		K_CAS,		base_cas,		DIFFERS)	\
	X(ncas,		K_SIZE,		2,			DIFFERS)	\
	X(crl,		K_OPTSTR,	"/etc/stunneld/ca.crl",	DIFFERS)	\
	X(priority,	K_STR,		SD_DEFAULT_PRIORITY,	DIFFERS)	\
	X(crl_strict,	K_INT,		1,			DIFFERS)	\
	X(cert_line,	K_INT,		11,			SAME)		\
	X(key_line,	K_INT,		12,			SAME)		\
	X(ca_line,	K_INT,		13,			SAME)		\
	X(crl_line,	K_INT,		14,			SAME)		\
	X(priority_line, K_INT,		15,			SAME)

/* M and C: (host, port), for HP */
#define ROUTE_MEMBERS(X, M, C, P, D, L)					\
	X(match,	K_HOSTPORT,	HP M,			DIFFERS)	\
	X(has_connect,	K_INT,		1,			DIFFERS)	\
	X(connect,	K_HOSTPORT,	HP C,			DIFFERS)	\
	X(peer,		K_OPTSTR,	P,			DIFFERS)	\
	X(deny,		K_INT,		D,			DIFFERS)	\
	X(line,		K_INT,		L,			SAME)

/* NESTED(tls): struct tls_conf, listed on its own above. */
#define TUNNEL_MEMBERS(X, NESTED)					\
	X(name,		K_STR,		"p2p_in",		DIFFERS)	\
	X(line,		K_INT,		3,			SAME)		\
	X(mode,		K_INT,		TUNNEL_TLS,		DIFFERS)	\
	X(listen,	K_HOSTPORT,	HP("127.0.0.2", 7447),	DIFFERS)	\
	X(listen_line,	K_INT,		4,			SAME)		\
	X(connect,	K_HOSTPORT,	HP("127.0.0.1", 7441),	DIFFERS)	\
	X(routes,	K_ROUTES,	base_routes,		DIFFERS)	\
	X(nroutes,	K_SIZE,		2,			DIFFERS)	\
	X(allow,	K_ALLOW,	base_allow,		DIFFERS)	\
	X(nallow,	K_SIZE,		2,			DIFFERS)	\
	X(socks_user,	K_OPTSTR,	"ops",			DIFFERS)	\
	X(socks_pass,	K_OPTSTR,	"secret-pass",		DIFFERS)	\
	NESTED(tls)							\
	X(max_connections, K_INT,	256,			DIFFERS)	\
	X(workers,	K_INT,		2,			DIFFERS)	\
	X(handshake_timeout, K_INT,	10,			DIFFERS)	\
	X(connect_timeout, K_INT,	10,			DIFFERS)	\
	X(idle_timeout,	K_INT,		300,			DIFFERS)	\
	X(loopback_per_peer, K_INT,	1,			DIFFERS)

static char *base_names[2] = { "127.1.0.0/16", "*.org-a.example" };
static struct ca_conf base_cas[2] = {
	{ "/etc/stunneld/org-a.crt", base_names, 2, "/etc/stunneld/org-a.crl",
	    31, 32 },
	{ "/etc/stunneld/org-b.crt", NULL, 0, NULL, 33, 0 }
};

#define INIT(m, k, v, e)	v,
#define INIT_TLS(m)		{ TLS_MEMBERS(INIT) },

static struct route_conf base_routes[2] = {
	{ ROUTE_MEMBERS(INIT, ("10.0.0.0", 0), ("*", 7447), "node-b", 0, 21) },
	{ ROUTE_MEMBERS(INIT, ("*", 0), ("127.0.0.2", 0), NULL, 1, 22) }
};
static char *base_allow[2] = { "node-a", "sha256:AAAA" };
static const struct tunnel_conf base = { TUNNEL_MEMBERS(INIT, INIT_TLS) };

struct member {
	const char	*name;
	size_t		 off;
	size_t		 size;
	enum kind	 kind;
	int		 equal;		/* DIFFERS or SAME */
};

#define MSIZE(type, m)		sizeof(((type *)NULL)->m)
#define ROW(m, k, v, e)							\
	{ #m, offsetof(struct tunnel_conf, m),				\
	    MSIZE(struct tunnel_conf, m), k, e },
#define ROW_TLS_MEMBER(m, k, v, e)					\
	{ "tls." #m, offsetof(struct tunnel_conf, tls.m),		\
	    MSIZE(struct tunnel_conf, tls.m), k, e },
#define ROW_TLS(m)		TLS_MEMBERS(ROW_TLS_MEMBER)
#define ROW_ROUTE(m, k, v, e)						\
	{ "routes[]." #m, offsetof(struct route_conf, m),		\
	    MSIZE(struct route_conf, m), k, e },

static const struct member tunnel_rows[] = {
	TUNNEL_MEMBERS(ROW, ROW_TLS)
};
static const struct member route_rows[] = {
	ROUTE_MEMBERS(ROW_ROUTE, (0, 0), (0, 0), 0, 0, 0)
};
#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))

/* The result of conf_tunnel_equal() both ways round, or -1 if they differ. */
static int
equal_both(const struct tunnel_conf *a, const struct tunnel_conf *b)
{
	int	 ab = conf_tunnel_equal(a, b), ba = conf_tunnel_equal(b, a);

	return (ab == ba ? ab : -1);
}

/* Check that variant ${v} of base, member ${m} changed as ${how}, compares as ${m} says. */
static void
check_variant(const struct member *m, const char *how,
    const struct tunnel_conf *v)
{
	int	 got = equal_both(&base, v);

	test_checks++;
	if (got != m->equal) {
		test_failures++;
		fprintf(stderr, "%s (%s): conf_tunnel_equal says %s, want %s\n",
		    m->name, how, got == 1 ? "equal" : got == 0 ? "unequal" :
		    "equal one way only", m->equal == SAME ? "equal" :
		    "unequal");
	}
}

/*
 * Change the member of kind ${kind} at ${p} in place, variant ${i}; its
 * description in ${how}.  Return 0, or -1 when there is no variant ${i}.
 */
static int
change(void *p, enum kind kind, int i, const char **how)
{
	static char	 other[] = "other";
	char		*s;
	unsigned int	 u;
	size_t		 z;
	struct hostport	*hp = p;

	switch (kind) {
	case K_OPTSTR:
		if (i == 1) {
			memcpy(&s, p, sizeof(s));
			s = s == NULL ? other : NULL;
			memcpy(p, &s, sizeof(s));
			*how = "set or unset";
			return (0);
		}
		/* FALLTHROUGH */
	case K_STR:
		if (i != 0)
			return (-1);
		s = other;
		memcpy(p, &s, sizeof(s));
		*how = "another string";
		return (0);
	case K_INT:
		if (i != 0)
			return (-1);
		memcpy(&u, p, sizeof(u));
		u ^= 1;
		memcpy(p, &u, sizeof(u));
		*how = "another number";
		return (0);
	case K_SIZE:
		if (i != 0)
			return (-1);
		memcpy(&z, p, sizeof(z));
		z--;
		memcpy(p, &z, sizeof(z));
		*how = "a shorter list";
		return (0);
	case K_HOSTPORT:
		if (i == 0) {
			hp->port ^= 1;
			*how = "another port";
		} else if (i == 1) {
			strcpy(hp->host, "127.0.0.9");
			*how = "another host";
		} else
			return (-1);
		return (0);
	case K_ROUTES:
	case K_CAS:
	case K_ALLOW:
		break;		/* changed element by element, below */
	}
	return (-1);
}

/* Every variant of every member of the tunnel itself and of its tls block. */
static void
test_tunnel_members(void)
{
	struct tunnel_conf	 v;
	const struct member	*m;
	const char		*how;
	size_t			 i;
	int			 j;

	for (i = 0; i < NROWS(tunnel_rows); i++) {
		m = &tunnel_rows[i];
		if (m->kind == K_ROUTES || m->kind == K_ALLOW ||
		    m->kind == K_CAS)
			continue;
		for (j = 0; ; j++) {
			v = base;
			if (change((char *)&v + m->off, m->kind, j, &how) != 0)
				break;
			check_variant(m, how, &v);
		}
		CHECK(j > 0);
	}
}

/* Every variant of every member of each route, and of each allow entry. */
static void
test_list_members(void)
{
	static const struct member allow_row = {
		"allow[]", 0, 0, K_ALLOW, DIFFERS
	};
	struct route_conf	 r[2], r2[2];
	char			*a[2];
	struct tunnel_conf	 v, w;
	const struct member	*m;
	const char		*how;
	char			 desc[64];
	size_t			 i, n;
	int			 j;

	for (n = 0; n < 2; n++) {
		for (i = 0; i < NROWS(route_rows); i++) {
			m = &route_rows[i];
			for (j = 0; ; j++) {
				memcpy(r, base_routes, sizeof(r));
				if (change((char *)&r[n] + m->off, m->kind, j,
				    &how) != 0)
					break;
				v = base;
				v.routes = r;
				snprintf(desc, sizeof(desc), "route %zu: %s", n,
				    how);
				check_variant(m, desc, &v);
			}
			CHECK(j > 0);
		}
		memcpy(a, base_allow, sizeof(a));
		a[n] = "node-c";
		v = base;
		v.allow = a;
		snprintf(desc, sizeof(desc), "entry %zu: another name", n);
		check_variant(&allow_row, desc, &v);
	}

	/* Each anchor of a ca list: its file, names and crl count; lines do not. */
	for (n = 0; n < 2; n++) {
		static const struct member ca_row = {
			"tls.cas[]", 0, 0, K_CAS, DIFFERS
		}, ca_line = { "tls.cas[].line", 0, 0, K_CAS, SAME };
		static char	*names2[2] = { "127.1.0.0/16", "*.org-c.example" };
		struct ca_conf	 c[2];

		for (j = 0; j < 6; j++) {
			memcpy(c, base_cas, sizeof(c));
			switch (j) {
			case 0: c[n].file = "/etc/stunneld/org-c.crt"; break;
			case 1: c[n].crl = c[n].crl == NULL ? "x.crl" : NULL;
				break;
			case 2: c[n].names = names2; c[n].nnames = 2; break;
			case 3: c[n].nnames = n == 0 ? 1 : 2;
				c[n].names = base_names; break;
			case 4: c[n].line += 10; break;
			case 5: c[n].crl_line += 10; break;
			}
			v = base;
			v.tls.cas = c;
			snprintf(desc, sizeof(desc), "anchor %zu: variant %d",
			    n, j);
			check_variant(j < 4 ? &ca_row : &ca_line, desc, &v);
		}
	}

	/* A route without a rewrite: its (unused) connect is not compared. */
	memcpy(r, base_routes, sizeof(r));
	r[0].has_connect = 0;
	memcpy(r2, r, sizeof(r2));
	r2[0].connect.port ^= 1;
	w = v = base;
	w.routes = r;
	v.routes = r2;
	CHECK(equal_both(&w, &v) == 1);
}

/* A copy that shares no memory with base compares equal: strings and
 * lists are compared by content. */
static void
test_deep_copy(void)
{
	struct route_conf	 r[2];
	char			*a[2], *s[14], *names[2];
	struct ca_conf		 cas[2];
	struct tunnel_conf	 v = base;
	size_t			 i;

	CHECK(equal_both(&base, &base) == 1);
	memcpy(r, base_routes, sizeof(r));
	r[0].peer = s[0] = strdup(base_routes[0].peer);
	v.routes = r;
	a[0] = s[1] = strdup(base_allow[0]);
	a[1] = s[2] = strdup(base_allow[1]);
	v.allow = a;
	v.name = s[3] = strdup(base.name);
	v.socks_user = s[4] = strdup(base.socks_user);
	v.socks_pass = s[5] = strdup(base.socks_pass);
	v.tls.cert = s[6] = strdup(base.tls.cert);
	v.tls.key = s[7] = strdup(base.tls.key);
	v.tls.ca = s[8] = strdup(base.tls.ca);
	v.tls.priority = s[9] = strdup(base.tls.priority);
	memcpy(cas, base_cas, sizeof(cas));
	cas[0].file = s[10] = strdup(base_cas[0].file);
	cas[0].crl = s[11] = strdup(base_cas[0].crl);
	names[0] = s[12] = strdup(base_names[0]);
	names[1] = s[13] = strdup(base_names[1]);
	cas[0].names = names;
	v.tls.cas = cas;
	for (i = 0; i < 14; i++)
		if (s[i] == NULL) {
			perror("strdup");
			exit(99);
		}
	CHECK(equal_both(&base, &v) == 1);
	for (i = 0; i < 14; i++)
		free(s[i]);
}

/* Each table lists each member once: no two rows share a byte. */
static void
test_table(const struct member *rows, size_t n, const char *what)
{
	size_t	 i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			test_checks++;
			if (rows[i].off < rows[j].off + rows[j].size &&
			    rows[j].off < rows[i].off + rows[i].size) {
				test_failures++;
				fprintf(stderr, "%s: %s and %s overlap: a member "
				    "listed twice?\n", what, rows[i].name,
				    rows[j].name);
			}
		}
}

int
main(void)
{
	test_table(tunnel_rows, NROWS(tunnel_rows), "struct tunnel_conf");
	test_table(route_rows, NROWS(route_rows), "struct route_conf");
	test_deep_copy();
	test_tunnel_members();
	test_list_members();
	TEST_DONE();
}
