/*
 * cert.c: "stunnelctl cert": the network's small PKI, offline.
 *
 *	cert ca [-d DIR] [--cn NAME] [--days N] [--permit CIDR|DNS]...
 *	    [--exclude CIDR|DNS]... [--force]
 *	cert issue NAME [-d DIR] [--cn CN] [--ip ADDR]... [--dns NAME]...
 *	    [--days N | --not-after TIME] [--valid-from YYYY-MM-DD]
 *	    [--out OUTDIR] [--force]
 *	cert revoke NAME|FILE [-d DIR]
 *	cert crl [-d DIR] [--days N]
 *	cert show FILE
 *	cert pin FILE
 *	cert trust CAFILE [--crl CRLFILE] [CAFILE [--crl CRLFILE]]...
 *
 * A CA is a directory holding ca.key (0600), ca.crt and ca.crl.  Keys are
 * ECDSA P-256, signatures SHA-256, serials 16 random bytes.  A node's
 * identity (SPEC.md) is its SANs, so "issue" always puts its name (NAME,
 * or --cn) in a DNS SAN next to the CN.  The SPKI pin is the one the daemon
 * compares (verify_ident_from_crt() in stunneld/verify.c).
 *
 * Files are created with O_EXCL, so nothing is ever overwritten by
 * accident; with --force, and always for the CRL, they are written to a
 * temporary file in the same directory and renamed over the old one, so a
 * daemon reloading at that moment reads either the old or the new file.
 *
 * A CA may be held to X.509 name constraints (--permit, --exclude: a
 * critical nameConstraints extension), which OpenSSL, GnuTLS and the
 * daemon all enforce; "issue" refuses a certificate its CA may not vouch
 * for, and "trust" turns the permitted subtrees of each organisation's
 * CA into the "names" of the daemon's "ca" list.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "cert.h"
#include "nameconstraint.h"
#include "verify.h"
#include "verify_gnutls.h"

#define CERT_EXIT_FAIL		1
#define CERT_EXIT_USAGE		2

#define CERT_DAY		86400
#define CERT_CA_DAYS		3650
#define CERT_NODE_DAYS		365
#define CERT_CRL_DAYS		365
#define CERT_MAX_DAYS		36500
#define CERT_CA_CN		"stunneld network CA"
#define CERT_SERIAL_LEN		16
#define CERT_SERIAL_MAX		64	/* RFC 5280 allows 20; be lenient */
#define CERT_CN_MAX		64	/* X.520 ub-common-name */
#define CERT_MAX_SANS		(VERIFY_MAX_NAMES - 1)	/* + the name */
#define CERT_CRLNUM_MAX		32
#define CERT_NC_MAX		64	/* --permit and --exclude each */

/* Options, as bits: which a subcommand takes. */
#define OPT_DIR		0x01
#define OPT_CN		0x02
#define OPT_DAYS	0x04
#define OPT_FORCE	0x08
#define OPT_IP		0x10
#define OPT_DNS		0x20
#define OPT_FROM	0x40
#define OPT_OUT		0x80
#define OPT_CRLURI	0x100
#define OPT_NOTAFTER	0x200
#define OPT_PERMIT	0x400
#define OPT_EXCLUDE	0x800

struct cert_args {
	const char	 *dir;		/* -d DIR, default "." */
	const char	 *out;		/* --out OUTDIR, default dir */
	const char	 *cn;		/* --cn */
	const char	 *from;		/* --valid-from YYYY-MM-DD */
	const char	 *notafter;	/* --not-after RFC 3339 time */
	const char	 *crluri;	/* --crl-uri URI: where the CRL is published */
	const char	 *pos;		/* the positional argument */
	const char	**ips;		/* --ip, nips of them */
	const char	**dns;		/* --dns, ndns of them */
	const char	**permit;	/* --permit, npermit of them */
	const char	**exclude;	/* --exclude, nexclude of them */
	size_t		  nips;
	size_t		  ndns;
	size_t		  npermit;
	size_t		  nexclude;
	long		  days;		/* 0: the subcommand's default */
	int		  force;
	int		  help;
};

/* The CA in a directory: its certificate and, when needed, its key. */
struct cert_ca {
	gnutls_x509_crt_t	 crt;
	gnutls_x509_privkey_t	 key;
	gnutls_privkey_t	 pk;
	char			 crtpath[PATH_MAX];
	char			 keypath[PATH_MAX];
	char			 crlpath[PATH_MAX];
};

static int	cert_ca(const struct cert_args *);
static int	cert_issue(const struct cert_args *);
static int	cert_revoke(const struct cert_args *);
static int	cert_crl(const struct cert_args *);
static int	cert_show(const struct cert_args *);
static int	cert_pin(const struct cert_args *);
static int	cert_trust(int, char *const []);

static const struct cert_cmd {
	const char	*name;
	int		 opts;		/* OPT_* it takes */
	int		 npos;		/* positional arguments: 0 or 1 */
	int		(*run)(const struct cert_args *);
	const char	*usage;
} cert_cmds[] = {
	{ "ca", OPT_DIR | OPT_CN | OPT_DAYS | OPT_FORCE | OPT_PERMIT |
	    OPT_EXCLUDE, 0, cert_ca,
	    "ca [-d DIR] [--cn NAME] [--days N] [--permit CIDR|DNS]...\n"
	    "                 [--exclude CIDR|DNS]... [--force]" },
	{ "issue", OPT_DIR | OPT_CN | OPT_DAYS | OPT_FORCE | OPT_IP | OPT_DNS |
	    OPT_FROM | OPT_OUT | OPT_CRLURI | OPT_NOTAFTER, 1, cert_issue,
	    "issue NAME [-d DIR] [--cn CN] [--ip ADDR]... [--dns NAME]...\n"
	    "                 [--days N | --not-after TIME] "
	    "[--valid-from YYYY-MM-DD]\n"
	    "                 [--crl-uri URI] [--out OUTDIR] [--force]" },
	{ "revoke", OPT_DIR, 1, cert_revoke, "revoke NAME|FILE [-d DIR]" },
	{ "crl", OPT_DIR | OPT_DAYS, 0, cert_crl, "crl [-d DIR] [--days N]" },
	{ "show", 0, 1, cert_show, "show FILE" },
	{ "pin", 0, 1, cert_pin, "pin FILE" },
	/* takes its own words: several files, each with its --crl */
	{ "trust", 0, -1, NULL,
	    "trust CAFILE [--crl CRLFILE] [CAFILE [--crl CRLFILE]]..." },
};

#define CERT_NCMDS	(sizeof(cert_cmds) / sizeof(cert_cmds[0]))

/* The options: name, bit, whether a value follows. */
static const struct cert_opt {
	const char	*name;
	int		 bit;
} cert_opts[] = {
	{ "-d", OPT_DIR }, { "--dir", OPT_DIR }, { "--cn", OPT_CN },
	{ "--days", OPT_DAYS }, { "--force", OPT_FORCE }, { "--ip", OPT_IP },
	{ "--dns", OPT_DNS }, { "--valid-from", OPT_FROM },
	{ "--out", OPT_OUT }, { "--crl-uri", OPT_CRLURI },
	{ "--not-after", OPT_NOTAFTER }, { "--permit", OPT_PERMIT },
	{ "--exclude", OPT_EXCLUDE },
};

#define CERT_NOPTS	(sizeof(cert_opts) / sizeof(cert_opts[0]))

/* Print the usage of ${cmd} (NULL: of every subcommand) to ${f}. */
static void
cert_usage(FILE *f, const struct cert_cmd *cmd)
{
	size_t	i;

	for (i = 0; i < CERT_NCMDS; i++) {
		if (cmd != NULL && cmd != &cert_cmds[i])
			continue;
		fprintf(f, "%s stunnelctl cert %s\n",
		    (i == 0 || cmd != NULL) ? "usage:" : "      ",
		    cert_cmds[i].usage);
	}
}

/* Print "stunnelctl: cert CMD: MSG" and the usage; return the usage exit. */
static int cert_usage_error(const struct cert_cmd *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int
cert_usage_error(const struct cert_cmd *cmd, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		warnx("cert %s: %s", cmd->name, msg);
	else
		warnx("cert: %s", msg);
	cert_usage(stderr, cmd);
	return (CERT_EXIT_USAGE);
}

/* Report the GnuTLS error ${ret} about ${what}; return -1. */
static int
cert_gnutls_error(const char *what, const char *doing, int ret)
{

	warnx("%s: %s: %s", what, doing, gnutls_strerror(ret));
	return (-1);
}

/* 1 if ${s} is a host name (letters, digits, '-', '_', dots; "*." first ok). */
static int
cert_valid_dns(const char *s)
{
	size_t	len = strlen(s), i, label = 0;

	if (len == 0 || len > 253)
		return (0);
	if (s[0] == '*' && s[1] == '.' && s[2] != '\0')
		s += 2;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return (0);
			label = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return (0);
		if (s[i] == '-' && label == 0)
			return (0);
		if (++label > 63)
			return (0);
	}
	return (label > 0);
}

/* Parse a whole decimal number from ${s} in [${min}, ${max}]; -1 if not. */
static long
cert_number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	if (s[0] < '0' || s[0] > '9')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	return (v);
}

/* Parse "YYYY-MM-DD" (a real date, 1970..9999) into ${t}, 00:00:00 UTC. */
static int
cert_parse_date(const char *s, time_t *t)
{
	struct tm	tm, back;
	size_t		i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return (-1);
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return (-1);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31)
		return (-1);
	back = tm;
	/* timegm(3) normalises 2021-02-30 to 2021-03-02: refuse that. */
	if ((*t = timegm(&back)) == (time_t)-1 ||
	    back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon)
		return (-1);
	return (0);
}

/* The ${n} decimal digits at ${s} as a number; -1 if one is not a digit. */
static int
cert_digits(const char *s, size_t n)
{
	size_t	i;
	int	v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

/*
 * Parse an RFC 3339 time, "YYYY-MM-DDTHH:MM:SSZ" or with an offset
 * "+HH:MM" / "-HH:MM" instead of "Z", into ${t}.  A certificate's times
 * are whole seconds, so a fraction is refused rather than rounded.
 */
static int
cert_parse_time(const char *s, time_t *t)
{
	char	day[11];
	int	hh, mm, ss, oh, om, off = 0;

	if (strlen(s) < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return (-1);
	memcpy(day, s, 10);
	day[10] = '\0';
	if (cert_parse_date(day, t) == -1 ||
	    (hh = cert_digits(s + 11, 2)) < 0 || hh > 23 ||
	    (mm = cert_digits(s + 14, 2)) < 0 || mm > 59 ||
	    (ss = cert_digits(s + 17, 2)) < 0 || ss > 59)
		return (-1);
	s += 19;
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		off = 0;
	else if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 &&
	    s[3] == ':' && (oh = cert_digits(s + 1, 2)) >= 0 && oh <= 23 &&
	    (om = cert_digits(s + 4, 2)) >= 0 && om <= 59)
		off = (s[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	else
		return (-1);
	*t += (time_t)hh * 3600 + mm * 60 + ss - off;
	return (0);
}

/*
 * Parse the ${argc} words of ${argv} after "cert CMD" into ${a} for ${cmd}.
 * Return 0, or the usage exit status after printing why.
 */
static int
cert_parse(const struct cert_cmd *cmd, int argc, char *const argv[],
    struct cert_args *a)
{
	const struct cert_opt	*o;
	const char		*arg, *val, *eq;
	size_t			 i, nlen;
	int			 k, opts = 1;

	memset(a, 0, sizeof(*a));
	if ((a->ips = calloc((size_t)argc + 1, sizeof(*a->ips))) == NULL ||
	    (a->dns = calloc((size_t)argc + 1, sizeof(*a->dns))) == NULL ||
	    (a->permit = calloc((size_t)argc + 1, sizeof(*a->permit))) ==
	    NULL ||
	    (a->exclude = calloc((size_t)argc + 1, sizeof(*a->exclude))) ==
	    NULL)
		err(CERT_EXIT_FAIL, "calloc");
	for (k = 0; k < argc; k++) {
		arg = argv[k];
		if (!opts || arg[0] != '-' || arg[1] == '\0') {
			if (a->pos != NULL || cmd->npos == 0)
				return (cert_usage_error(cmd,
				    "unexpected argument: %s", arg));
			a->pos = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			opts = 0;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			a->help = 1;
			return (0);
		}
		/* "--opt=value", "--opt value", "-dDIR", "-d DIR". */
		val = NULL;
		if (arg[1] != '-' && arg[1] == 'd' && arg[2] != '\0') {
			nlen = 2;
			val = arg + 2;
		} else if ((eq = strchr(arg, '=')) != NULL && arg[1] == '-') {
			nlen = (size_t)(eq - arg);
			val = eq + 1;
		} else
			nlen = strlen(arg);
		for (i = 0, o = NULL; i < CERT_NOPTS; i++)
			if (strlen(cert_opts[i].name) == nlen &&
			    strncmp(cert_opts[i].name, arg, nlen) == 0)
				o = &cert_opts[i];
		if (o == NULL || (o->bit & cmd->opts) == 0)
			return (cert_usage_error(cmd, "unknown option: %s",
			    arg));
		if (o->bit == OPT_FORCE) {
			if (val != NULL)
				return (cert_usage_error(cmd,
				    "option %s takes no value", o->name));
			a->force = 1;
			continue;
		}
		if (val == NULL) {
			if (k + 1 >= argc)
				return (cert_usage_error(cmd,
				    "option %s needs an argument", o->name));
			val = argv[++k];
		}
		switch (o->bit) {
		case OPT_DIR:
			a->dir = val;
			break;
		case OPT_OUT:
			a->out = val;
			break;
		case OPT_CN:
			a->cn = val;
			break;
		case OPT_FROM:
			a->from = val;
			break;
		case OPT_NOTAFTER:
			a->notafter = val;
			break;
		case OPT_CRLURI:
			if (strncmp(val, "http://", 7) != 0 &&
			    strncmp(val, "https://", 8) != 0 &&
			    strncmp(val, "file://", 7) != 0)
				return (cert_usage_error(cmd, "--crl-uri: not "
				    "an http://, https:// or file:// URI: %s",
				    val));
			a->crluri = val;
			break;
		case OPT_DAYS:
			if ((a->days = cert_number(val, 1, CERT_MAX_DAYS)) < 0)
				return (cert_usage_error(cmd, "--days: not a "
				    "number of days from 1 to %d: %s",
				    CERT_MAX_DAYS, val));
			break;
		case OPT_IP:
			a->ips[a->nips++] = val;
			break;
		case OPT_DNS:
			a->dns[a->ndns++] = val;
			break;
		case OPT_PERMIT:
			a->permit[a->npermit++] = val;
			break;
		case OPT_EXCLUDE:
			a->exclude[a->nexclude++] = val;
			break;
		}
	}
	if (cmd->npos > 0 && a->pos == NULL)
		return (cert_usage_error(cmd, "missing %s",
		    strcmp(cmd->name, "issue") == 0 ? "NAME" :
		    strcmp(cmd->name, "revoke") == 0 ? "NAME or FILE" : "FILE"));
	if (a->pos != NULL && a->pos[0] == '\0')
		return (cert_usage_error(cmd, "empty argument"));
	if (a->dir == NULL)
		a->dir = ".";
	if (a->out == NULL)
		a->out = a->dir;
	if (a->dir[0] == '\0' || a->out[0] == '\0')
		return (cert_usage_error(cmd, "empty directory"));
	return (0);
}

/* Format ${dir}/${name}${ext} into ${buf}; -1 (reported) if too long. */
static int
cert_path(char *buf, size_t len, const char *dir, const char *name,
    const char *ext)
{
	int	r;

	r = snprintf(buf, len, "%s%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", name, ext);
	if (r < 0 || (size_t)r >= len) {
		warnx("%s: path too long", dir);
		return (-1);
	}
	return (0);
}

/* Make directory ${dir} (one level) unless it exists; -1 if impossible. */
static int
cert_mkdir(const char *dir)
{
	struct stat	sb;

	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			warnx("%s: not a directory", dir);
			return (-1);
		}
		return (0);
	}
	if (errno != ENOENT || mkdir(dir, 0755) == -1) {
		warn("%s", dir);
		return (-1);
	}
	return (0);
}

/* 1 if ${path} exists (even as a dangling link); -1 (reported) if unknown. */
static int
cert_exists(const char *path)
{
	struct stat	sb;

	if (lstat(path, &sb) == 0)
		return (1);
	if (errno == ENOENT)
		return (0);
	warn("%s", path);
	return (-1);
}

/* Write ${len} bytes of ${data} to ${fd}; 0, or -1 with errno. */
static int
cert_write_all(int fd, const unsigned char *data, size_t len)
{
	ssize_t	nw;

	while (len > 0) {
		if ((nw = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		data += nw;
		len -= (size_t)nw;
	}
	return (0);
}

/*
 * Write ${d} to ${path} with ${mode}: a new file (O_EXCL), or with
 * ${replace} a temporary file renamed over ${path}.  0, or -1 (reported).
 */
static int
cert_write(const char *path, const gnutls_datum_t *d, mode_t mode, int replace)
{
	char	tmp[PATH_MAX];
	int	fd, serrno;

	if (replace) {
		if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
		    (int)sizeof(tmp)) {
			warnx("%s: path too long", path);
			goto err0;
		}
		/* mkstemp(3) makes it 0600: never more open than ${mode}. */
		if ((fd = mkstemp(tmp)) == -1) {
			warn("%s", tmp);
			goto err0;
		}
	} else {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, mode)) == -1) {
			if (errno == EEXIST)
				warnx("%s: already exists (--force replaces it)",
				    path);
			else
				warn("%s", path);
			goto err0;
		}
		snprintf(tmp, sizeof(tmp), "%s", path);
	}
	/* Exactly ${mode}, whatever the umask. */
	if (fchmod(fd, mode) == -1 || cert_write_all(fd, d->data, d->size) ||
	    fsync(fd) == -1) {
		serrno = errno;
		close(fd);
		unlink(tmp);
		errno = serrno;
		warn("%s", tmp);
		goto err0;
	}
	if (close(fd) == -1) {
		warn("%s", tmp);
		fd = -1;
		goto err1;
	}
	fd = -1;
	if (replace && rename(tmp, path) == -1) {
		warn("%s", path);
		goto err1;
	}

	/* Success! */
	return (0);

err1:
	if (fd != -1)
		close(fd);
	unlink(tmp);
err0:
	/* Failure! */
	return (-1);
}

/* Read ${path} into ${d} (gnutls_free it); 0, or -1 (reported). */
static int
cert_load(const char *path, gnutls_datum_t *d)
{
	struct stat	sb;
	int		ret;

	if (stat(path, &sb) == -1) {
		warn("%s", path);
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		warnx("%s: not a regular file", path);
		return (-1);
	}
	if ((ret = gnutls_load_file(path, d)) < 0) {
		/* gnutls_load_file() keeps errno from fopen/read. */
		if (errno != 0)
			warn("%s", path);
		else
			warnx("%s: %s", path, gnutls_strerror(ret));
		return (-1);
	}
	return (0);
}

/* Import the certificate in ${path} (PEM, else DER) into a new ${crt}. */
static int
cert_load_crt(const char *path, gnutls_x509_crt_t *crt)
{
	gnutls_datum_t	d;
	int		ret;

	if (cert_load(path, &d) == -1)
		goto err0;
	if ((ret = gnutls_x509_crt_init(crt)) < 0) {
		cert_gnutls_error(path, "gnutls_x509_crt_init", ret);
		goto err1;
	}
	if ((ret = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_PEM)) < 0 &&
	    (ret = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER)) < 0) {
		warnx("%s: not a certificate (PEM or DER): %s", path,
		    gnutls_strerror(ret));
		goto err2;
	}
	gnutls_free(d.data);

	/* Success! */
	return (0);

err2:
	gnutls_x509_crt_deinit(*crt);
err1:
	gnutls_free(d.data);
err0:
	/* Failure! */
	return (-1);
}

/* Import the CRL in ${path} (PEM, else DER) into a new ${crl}. */
static int
cert_load_crl(const char *path, gnutls_x509_crl_t *crl)
{
	gnutls_datum_t	d;
	int		ret;

	if (cert_load(path, &d) == -1)
		goto err0;
	if ((ret = gnutls_x509_crl_init(crl)) < 0) {
		cert_gnutls_error(path, "gnutls_x509_crl_init", ret);
		goto err1;
	}
	if ((ret = gnutls_x509_crl_import(*crl, &d, GNUTLS_X509_FMT_PEM)) < 0 &&
	    (ret = gnutls_x509_crl_import(*crl, &d, GNUTLS_X509_FMT_DER)) < 0) {
		warnx("%s: not a CRL (PEM or DER): %s", path,
		    gnutls_strerror(ret));
		goto err2;
	}
	gnutls_free(d.data);

	/* Success! */
	return (0);

err2:
	gnutls_x509_crl_deinit(*crl);
err1:
	gnutls_free(d.data);
err0:
	/* Failure! */
	return (-1);
}

/* Free what cert_ca_load() or cert_ca() put into ${ca}. */
static void
cert_ca_free(struct cert_ca *ca)
{

	if (ca->pk != NULL)
		gnutls_privkey_deinit(ca->pk);
	if (ca->key != NULL)
		gnutls_x509_privkey_deinit(ca->key);
	if (ca->crt != NULL)
		gnutls_x509_crt_deinit(ca->crt);
	ca->pk = NULL;
	ca->key = NULL;
	ca->crt = NULL;
}

/* Wrap the key of ${ca} into the abstract key GnuTLS signs with. */
static int
cert_ca_privkey(struct cert_ca *ca)
{
	int	ret;

	if ((ret = gnutls_privkey_init(&ca->pk)) < 0)
		return (cert_gnutls_error(ca->keypath, "gnutls_privkey_init",
		    ret));
	if ((ret = gnutls_privkey_import_x509(ca->pk, ca->key, 0)) < 0)
		return (cert_gnutls_error(ca->keypath, "cannot use the key",
		    ret));
	return (0);
}

/*
 * Load the CA of directory ${dir} into ${ca}: ca.crt, which must be a CA
 * certificate, and ca.key, which must match it.  0, or -1 (reported).
 */
static int
cert_ca_load(struct cert_ca *ca, const char *dir)
{
	gnutls_datum_t	d;
	unsigned char	id1[64], id2[64];
	size_t		len1 = sizeof(id1), len2 = sizeof(id2);
	int		ret;

	memset(ca, 0, sizeof(*ca));
	if (cert_path(ca->crtpath, sizeof(ca->crtpath), dir, "ca", ".crt") ||
	    cert_path(ca->keypath, sizeof(ca->keypath), dir, "ca", ".key") ||
	    cert_path(ca->crlpath, sizeof(ca->crlpath), dir, "ca", ".crl"))
		goto err0;
	if (cert_load_crt(ca->crtpath, &ca->crt) == -1)
		goto err0;
	if (gnutls_x509_crt_get_ca_status(ca->crt, NULL) <= 0) {
		warnx("%s: not a CA certificate", ca->crtpath);
		goto err1;
	}
	if (cert_load(ca->keypath, &d) == -1)
		goto err1;
	if ((ret = gnutls_x509_privkey_init(&ca->key)) < 0) {
		cert_gnutls_error(ca->keypath, "gnutls_x509_privkey_init", ret);
		goto err2;
	}
	if ((ret = gnutls_x509_privkey_import2(ca->key, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		warnx("%s: not a usable private key: %s", ca->keypath,
		    gnutls_strerror(ret));
		goto err2;
	}
	gnutls_free(d.data);
	d.data = NULL;
	if ((ret = gnutls_x509_crt_get_key_id(ca->crt, GNUTLS_KEYID_USE_SHA256,
	    id1, &len1)) < 0 || (ret = gnutls_x509_privkey_get_key_id(ca->key,
	    GNUTLS_KEYID_USE_SHA256, id2, &len2)) < 0) {
		cert_gnutls_error(ca->keypath, "key id", ret);
		goto err1;
	}
	if (len1 != len2 || memcmp(id1, id2, len1) != 0) {
		warnx("%s: key does not match %s", ca->keypath, ca->crtpath);
		goto err1;
	}
	if (cert_ca_privkey(ca) == -1)
		goto err1;

	/* Success! */
	return (0);

err2:
	gnutls_free(d.data);
err1:
	cert_ca_free(ca);
err0:
	/* Failure! */
	return (-1);
}

/* A new ECDSA P-256 key in ${key}; 0, or -1 (reported about ${what}). */
static int
cert_genkey(gnutls_x509_privkey_t *key, const char *what)
{
	int	ret;

	if ((ret = gnutls_x509_privkey_init(key)) < 0)
		return (cert_gnutls_error(what, "gnutls_x509_privkey_init",
		    ret));
	if ((ret = gnutls_x509_privkey_generate2(*key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0)) < 0) {
		gnutls_x509_privkey_deinit(*key);
		*key = NULL;
		return (cert_gnutls_error(what, "cannot generate a key", ret));
	}
	return (0);
}

/*
 * Fill the fields ${crt} shares whether CA or node: version 3, a random
 * positive serial, CN ${cn}, validity from ${from} to ${until}, the
 * public half of ${key} and its subject key identifier.
 */
static int
cert_crt_common(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
    const char *cn, time_t from, time_t until, const char *what)
{
	unsigned char	serial[CERT_SERIAL_LEN], kid[64];
	size_t		klen = sizeof(kid);
	int		ret;

	if ((ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
		return (cert_gnutls_error(what, "gnutls_rnd", ret));
	/* Positive, and DER-minimal: the first byte is 0x01..0x7f. */
	serial[0] &= 0x7f;
	if (serial[0] == 0)
		serial[0] = 0x01;
	if ((ret = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (ret = gnutls_x509_crt_set_serial(crt, serial,
	    sizeof(serial))) < 0 ||
	    (ret = gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned int)strlen(cn))) < 0 ||
	    (ret = gnutls_x509_crt_set_activation_time(crt, from)) < 0 ||
	    (ret = gnutls_x509_crt_set_expiration_time(crt, until)) < 0 ||
	    (ret = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (ret = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, kid,
	    &klen)) < 0 ||
	    (ret = gnutls_x509_crt_set_subject_key_id(crt, kid, klen)) < 0)
		return (cert_gnutls_error(what, "cannot build the certificate",
		    ret));
	return (0);
}

/* Format ${t} as ISO 8601 UTC into ${buf}; return ${buf}. */
static char *
cert_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return (buf);
}

/* Format ${len} bytes of ${b} as upper-case hex into ${buf}; return it. */
static char *
cert_hex(const unsigned char *b, size_t len, char *buf, size_t buflen)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < buflen; i++)
		snprintf(buf + 2 * i, 3, "%02X", b[i]);
	return (buf);
}

/* Format the CRL number ${num} (${len} bytes) in decimal, or hex if long. */
static char *
cert_crlnum_str(const unsigned char *num, size_t len, char *buf,
    size_t buflen)
{
	unsigned long long	v = 0;
	size_t			i, skip = 0;

	while (skip < len && num[skip] == 0)
		skip++;
	if (len - skip > sizeof(v)) {
		if (buflen > 2) {
			snprintf(buf, buflen, "0x");
			cert_hex(num + skip, len - skip, buf + 2, buflen - 2);
		}
		return (buf);
	}
	for (i = skip; i < len; i++)
		v = v << 8 | num[i];
	snprintf(buf, buflen, "%llu", v);
	return (buf);
}

/* Print the SANs of ${crt} as "DNS:a, IP:b" (or "none") to stdout. */
static void
cert_print_sans(gnutls_x509_crt_t crt)
{
	unsigned char	buf[1024];
	char		ip[INET6_ADDRSTRLEN];
	size_t		size;
	unsigned int	seq, critical;
	int		type, n = 0;

	for (seq = 0;; seq++) {
		size = sizeof(buf) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf,
		    &size, &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || (type < 0 &&
		    type != GNUTLS_E_SHORT_MEMORY_BUFFER))
			break;
		printf("%s", n++ > 0 ? ", " : "");
		if (type == GNUTLS_SAN_DNSNAME)
			printf("DNS:%.*s", (int)size, (const char *)buf);
		else if (type == GNUTLS_SAN_IPADDRESS && ((size == 4 &&
		    inet_ntop(AF_INET, buf, ip, sizeof(ip)) != NULL) ||
		    (size == 16 && inet_ntop(AF_INET6, buf, ip,
		    sizeof(ip)) != NULL)))
			printf("IP:%s", ip);
		else if (type == GNUTLS_SAN_RFC822NAME)
			printf("email:%.*s", (int)size, (const char *)buf);
		else if (type == GNUTLS_SAN_URI)
			printf("URI:%.*s", (int)size, (const char *)buf);
		else
			printf("(other)");
	}
	printf("%s\n", n == 0 ? "none" : "");
}

/* A certificate's name constraints, as far as the daemon reads them. */
struct cert_nc {
	int				 present;	/* has the extension */
	int				 critical;
	struct nameconstraint_subtree	 permit[CERT_NC_MAX];
	struct nameconstraint_subtree	 exclude[CERT_NC_MAX];
	size_t				 npermit;
	size_t				 nexclude;
	size_t				 nother;	/* e-mail, URI, DN, ... */
};

/*
 * Read the name constraints of ${crt} into ${nc}; 0, or -1 (reported as
 * about ${what}) if they cannot be read or are more than CERT_NC_MAX.
 */
static int
cert_nc_read(gnutls_x509_crt_t crt, struct cert_nc *nc, const char *what)
{
	gnutls_x509_name_constraints_t	 gnc;
	struct nameconstraint_subtree	*st;
	gnutls_datum_t			 name;
	unsigned int			 i, type, crit = 0;
	size_t				*n;
	int				 ret, pass, rc = -1;

	memset(nc, 0, sizeof(*nc));
	if ((ret = gnutls_x509_name_constraints_init(&gnc)) < 0)
		return (cert_gnutls_error(what, "name constraints", ret));
	ret = gnutls_x509_crt_get_name_constraints(crt, gnc, 0, &crit);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		rc = 0;
		goto out;
	}
	if (ret < 0) {
		cert_gnutls_error(what, "cannot read its name constraints", ret);
		goto out;
	}
	nc->present = 1;
	nc->critical = crit != 0;
	for (pass = 0; pass < 2; pass++)
		for (i = 0;; i++) {
			ret = pass == 0 ?
			    gnutls_x509_name_constraints_get_permitted(gnc, i,
			    &type, &name) :
			    gnutls_x509_name_constraints_get_excluded(gnc, i,
			    &type, &name);
			if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				break;
			if (ret < 0) {
				cert_gnutls_error(what, "name constraints",
				    ret);
				goto out;
			}
			if (type != GNUTLS_SAN_IPADDRESS &&
			    type != GNUTLS_SAN_DNSNAME) {
				nc->nother++;
				continue;
			}
			n = pass == 0 ? &nc->npermit : &nc->nexclude;
			if (*n >= CERT_NC_MAX) {
				warnx("%s: more than %d name constraints", what,
				    CERT_NC_MAX);
				goto out;
			}
			st = pass == 0 ? &nc->permit[*n] : &nc->exclude[*n];
			if ((type == GNUTLS_SAN_IPADDRESS ?
			    nameconstraint_from_ip(name.data, name.size, st) :
			    nameconstraint_from_dns((const char *)name.data,
			    name.size, st)) != 0) {
				warnx("%s: an unreadable name constraint", what);
				goto out;
			}
			(*n)++;
		}
	rc = 0;
out:
	gnutls_x509_name_constraints_deinit(gnc);
	return (rc);
}

/* Print the ${n} subtrees ${st} as "a, b" (or "none") to stdout. */
static void
cert_print_subtrees(const struct nameconstraint_subtree *st, size_t n)
{
	char	buf[NAMECONSTRAINT_STRLEN];
	size_t	i;

	for (i = 0; i < n; i++)
		printf("%s%s", i > 0 ? ", " : "",
		    nameconstraint_str(&st[i], buf, sizeof(buf)));
	printf("%s\n", n == 0 ? "none" : "");
}

/* Print what an operator wants to know about ${crt} to stdout. */
static void
cert_print_crt(gnutls_x509_crt_t crt)
{
	struct cert_ident	id;
	struct cert_nc		nc;
	gnutls_datum_t		dn;
	unsigned char		serial[CERT_SERIAL_MAX];
	char			hex[2 * CERT_SERIAL_MAX + 1], t[32];
	char			who[VERIFY_MAX_NAMES * 8 + 512];
	size_t			slen = sizeof(serial);
	time_t			nb, na, now = time(NULL);

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
		printf("subject:     %s\n", (const char *)dn.data);
		gnutls_free(dn.data);
	} else
		printf("subject:     ?\n");
	if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) == 0) {
		printf("issuer:      %s\n", (const char *)dn.data);
		gnutls_free(dn.data);
	} else
		printf("issuer:      ?\n");
	if (gnutls_x509_crt_get_serial(crt, serial, &slen) == 0)
		printf("serial:      %s\n", cert_hex(serial, slen, hex,
		    sizeof(hex)));
	else
		printf("serial:      ?\n");
	printf("CA:          %s\n",
	    gnutls_x509_crt_get_ca_status(crt, NULL) > 0 ? "yes" : "no");
	printf("SANs:        ");
	cert_print_sans(crt);
	if (cert_nc_read(crt, &nc, "certificate") == 0 && nc.present) {
		printf("permitted:   ");
		cert_print_subtrees(nc.permit, nc.npermit);
		printf("excluded:    ");
		cert_print_subtrees(nc.exclude, nc.nexclude);
		if (nc.nother > 0)
			printf("             (and %zu constraint%s on other "
			    "kinds of name)\n", nc.nother,
			    nc.nother == 1 ? "" : "s");
		if (!nc.critical)
			printf("             (nameConstraints not critical)\n");
	}
	nb = gnutls_x509_crt_get_activation_time(crt);
	na = gnutls_x509_crt_get_expiration_time(crt);
	printf("not before:  %s\n", cert_time(nb, t, sizeof(t)));
	printf("not after:   %s\n", cert_time(na, t, sizeof(t)));
	if (na == (time_t)-1)
		printf("days left:   ?\n");
	else if (na < now)
		printf("days left:   expired\n");
	else
		printf("days left:   %lld%s\n", (long long)((na - now) / CERT_DAY),
		    nb != (time_t)-1 && nb > now ? " (not yet valid)" : "");
	if (verify_ident_from_crt(crt, &id) == 0) {
		if (id.n > 0)
			printf("identity:    %s%s\n",
			    verify_ident_str(&id, who, sizeof(who)),
			    id.from_cn ? " (common name: no SANs)" : "");
		printf("pin:         %s\n", id.pin[0] != '\0' ? id.pin : "?");
	} else
		printf("identity:    none\npin:         ?\n");
}

/* Print what an operator wants to know about ${crl} to stdout. */
static void
cert_print_crl(gnutls_x509_crl_t crl)
{
	gnutls_x509_crl_iter_t	 iter = NULL;
	gnutls_datum_t		 dn;
	unsigned char		 serial[CERT_SERIAL_MAX], num[CERT_CRLNUM_MAX];
	char			 hex[2 * CERT_SERIAL_MAX + 3], t[32];
	size_t			 slen, nlen = sizeof(num);
	time_t			 rt;
	unsigned int		 crit;
	int			 n = 0, ret;

	if (gnutls_x509_crl_get_issuer_dn3(crl, &dn, 0) == 0) {
		printf("issuer:      %s\n", (const char *)dn.data);
		gnutls_free(dn.data);
	} else
		printf("issuer:      ?\n");
	if (gnutls_x509_crl_get_number(crl, num, &nlen, &crit) == 0)
		printf("CRL number:  %s\n", cert_crlnum_str(num, nlen, hex,
		    sizeof(hex)));
	printf("this update: %s\n",
	    cert_time(gnutls_x509_crl_get_this_update(crl), t, sizeof(t)));
	rt = gnutls_x509_crl_get_next_update(crl);
	printf("next update: %s%s\n", cert_time(rt, t, sizeof(t)),
	    rt != (time_t)-1 && rt < time(NULL) ? " (out of date)" : "");
	for (;;) {
		slen = sizeof(serial);
		ret = gnutls_x509_crl_iter_crt_serial(crl, &iter, serial, &slen,
		    &rt);
		if (ret < 0)
			break;
		printf("%s %s  %s\n", n++ == 0 ? "revoked:    " : "            ",
		    cert_hex(serial, slen, hex, sizeof(hex)),
		    cert_time(rt, t, sizeof(t)));
	}
	gnutls_x509_crl_iter_deinit(iter);
	if (n == 0)
		printf("revoked:     none\n");
}

/*
 * Print the certificate exported as ${d}: parsed again, since GnuTLS reads
 * some extensions (the SANs) of a certificate only when importing it.
 */
static void
cert_print_exported(const gnutls_datum_t *d)
{
	gnutls_x509_crt_t	crt;

	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, d, GNUTLS_X509_FMT_PEM) == 0)
		cert_print_crt(crt);
	gnutls_x509_crt_deinit(crt);
}

/*
 * Build and sign a CRL for ${ca} holding the ${n} entries (serial, length,
 * time) of ${old} (may be NULL) plus ${serial} (may be NULL) if not there
 * yet, numbered ${num} (${numlen} bytes), its next update ${days} days
 * from now; export it as PEM into ${out}.  Set ${*dup} when ${serial} was
 * already in ${old}.
 */
static int
cert_crl_build(struct cert_ca *ca, gnutls_x509_crl_t old,
    const unsigned char *serial, size_t seriallen, const unsigned char *num,
    size_t numlen, long days, gnutls_datum_t *out, int *dup, size_t *count)
{
	gnutls_x509_crl_t	 crl;
	gnutls_x509_crl_iter_t	 iter = NULL;
	unsigned char		 s[CERT_SERIAL_MAX], kid[64];
	size_t			 slen, klen = sizeof(kid);
	unsigned int		 crit;
	time_t			 now = time(NULL), rt;
	int			 ret;

	*dup = 0;
	*count = 0;
	if ((ret = gnutls_x509_crl_init(&crl)) < 0) {
		cert_gnutls_error(ca->crlpath, "gnutls_x509_crl_init", ret);
		goto err0;
	}
	while (old != NULL) {
		slen = sizeof(s);
		ret = gnutls_x509_crl_iter_crt_serial(old, &iter, s, &slen,
		    &rt);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0) {
			cert_gnutls_error(ca->crlpath, "reading an entry", ret);
			goto err1;
		}
		if (serial != NULL && slen == seriallen &&
		    memcmp(s, serial, slen) == 0)
			*dup = 1;
		if ((ret = gnutls_x509_crl_set_crt_serial(crl, s, slen,
		    rt)) < 0) {
			cert_gnutls_error(ca->crlpath, "copying an entry", ret);
			goto err1;
		}
		(*count)++;
	}
	if (serial != NULL && !*dup) {
		if ((ret = gnutls_x509_crl_set_crt_serial(crl, serial,
		    seriallen, now)) < 0) {
			cert_gnutls_error(ca->crlpath, "adding the entry", ret);
			goto err1;
		}
		(*count)++;
	}
	/* The CA's key id as it states it, else as GnuTLS computes it. */
	if (gnutls_x509_crt_get_subject_key_id(ca->crt, kid, &klen,
	    &crit) < 0) {
		klen = sizeof(kid);
		if ((ret = gnutls_x509_crt_get_key_id(ca->crt,
		    GNUTLS_KEYID_USE_SHA1, kid, &klen)) < 0) {
			cert_gnutls_error(ca->crtpath, "key id", ret);
			goto err1;
		}
	}
	if ((ret = gnutls_x509_crl_set_version(crl, 2)) < 0 ||
	    (ret = gnutls_x509_crl_set_this_update(crl, now)) < 0 ||
	    (ret = gnutls_x509_crl_set_next_update(crl,
	    now + (time_t)days * CERT_DAY)) < 0 ||
	    (ret = gnutls_x509_crl_set_number(crl, num, numlen)) < 0 ||
	    (ret = gnutls_x509_crl_set_authority_key_id(crl, kid, klen)) < 0 ||
	    (ret = gnutls_x509_crl_privkey_sign(crl, ca->crt, ca->pk,
	    GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (ret = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, out)) < 0) {
		cert_gnutls_error(ca->crlpath, "cannot make the CRL", ret);
		goto err1;
	}
	gnutls_x509_crl_iter_deinit(iter);
	gnutls_x509_crl_deinit(crl);

	/* Success! */
	return (0);

err1:
	gnutls_x509_crl_iter_deinit(iter);
	gnutls_x509_crl_deinit(crl);
err0:
	/* Failure! */
	return (-1);
}

/*
 * "cert ca" --permit and --exclude into the critical nameConstraints of
 * ${crt}.  Return 0, or CERT_EXIT_USAGE / CERT_EXIT_FAIL once it has
 * said what is wrong.
 */
static int
cert_ca_constraints(const struct cert_args *a, gnutls_x509_crt_t crt,
    const char *what)
{
	struct nameconstraint_subtree	 st;
	gnutls_x509_name_constraints_t	 nc;
	gnutls_datum_t			 d;
	uint8_t				 der[32];
	char				 err[512];
	const char			*val;
	size_t				 i, len;
	int				 ret, ex, rc = CERT_EXIT_FAIL;

	if (a->npermit == 0 && a->nexclude == 0)
		return (0);
	if (a->npermit > CERT_NC_MAX || a->nexclude > CERT_NC_MAX) {
		warnx("cert ca: at most %d --permit and %d --exclude",
		    CERT_NC_MAX, CERT_NC_MAX);
		return (CERT_EXIT_USAGE);
	}
	if ((ret = gnutls_x509_name_constraints_init(&nc)) < 0) {
		cert_gnutls_error(what, "name constraints", ret);
		return (CERT_EXIT_FAIL);
	}
	for (ex = 0; ex < 2; ex++)
		for (i = 0; i < (ex ? a->nexclude : a->npermit); i++) {
			val = ex ? a->exclude[i] : a->permit[i];
			if (nameconstraint_parse(val, &st, err,
			    sizeof(err)) != 0) {
				warnx("cert ca: --%s %s", ex ? "exclude" :
				    "permit", err);
				rc = CERT_EXIT_USAGE;
				goto out;
			}
			if (st.is_ip) {
				nameconstraint_to_ip(&st, der, &len);
				d.data = der;
				d.size = (unsigned int)len;
			} else {
				d.data = (unsigned char *)st.dns;
				d.size = (unsigned int)strlen(st.dns);
			}
			ret = (ex ? gnutls_x509_name_constraints_add_excluded :
			    gnutls_x509_name_constraints_add_permitted)(nc,
			    st.is_ip ? GNUTLS_SAN_IPADDRESS :
			    GNUTLS_SAN_DNSNAME, &d);
			if (ret < 0) {
				cert_gnutls_error(what, val, ret);
				goto out;
			}
		}
	/* Critical (RFC 5280 says it MUST be): a verifier that cannot
	 * read it must refuse the chain, not ignore the limits. */
	if ((ret = gnutls_x509_crt_set_name_constraints(crt, nc, 1)) < 0) {
		cert_gnutls_error(what, "cannot set the name constraints", ret);
		goto out;
	}
	rc = 0;
out:
	gnutls_x509_name_constraints_deinit(nc);
	return (rc);
}

/* "cert ca": a new CA key, self-signed certificate and empty CRL. */
static int
cert_ca(const struct cert_args *a)
{
	struct cert_ca		 ca;
	gnutls_datum_t		 dkey = { NULL, 0 }, dcrt = { NULL, 0 };
	gnutls_datum_t		 dcrl = { NULL, 0 };
	const unsigned char	 one = 1;
	const char		*cn = a->cn != NULL ? a->cn : CERT_CA_CN;
	const char		*paths[3] = { ca.keypath, ca.crtpath,
				    ca.crlpath };
	size_t			 count, i;
	int			 ret, dup, rc = CERT_EXIT_FAIL;

	memset(&ca, 0, sizeof(ca));
	if (strlen(cn) == 0 || strlen(cn) > CERT_CN_MAX) {
		warnx("cert ca: --cn must have 1 to %d characters",
		    CERT_CN_MAX);
		return (CERT_EXIT_USAGE);
	}
	/* Usage errors before anything is made. */
	for (i = 0; i < a->npermit + a->nexclude; i++) {
		struct nameconstraint_subtree	st;
		char				err[512];

		if (nameconstraint_parse(i < a->npermit ? a->permit[i] :
		    a->exclude[i - a->npermit], &st, err, sizeof(err)) != 0) {
			warnx("cert ca: --%s %s", i < a->npermit ? "permit" :
			    "exclude", err);
			return (CERT_EXIT_USAGE);
		}
	}
	if (cert_mkdir(a->dir) == -1 ||
	    cert_path(ca.crtpath, sizeof(ca.crtpath), a->dir, "ca", ".crt") ||
	    cert_path(ca.keypath, sizeof(ca.keypath), a->dir, "ca", ".key") ||
	    cert_path(ca.crlpath, sizeof(ca.crlpath), a->dir, "ca", ".crl"))
		goto out;
	/* Check all three first: write none rather than some. */
	for (i = 0; i < 3 && !a->force; i++) {
		if ((ret = cert_exists(paths[i])) == -1)
			goto out;
		if (ret == 1) {
			warnx("%s: already exists (--force replaces the CA)",
			    paths[i]);
			goto out;
		}
	}

	if (cert_genkey(&ca.key, ca.keypath) == -1)
		goto out;
	if ((ret = gnutls_x509_crt_init(&ca.crt)) < 0) {
		cert_gnutls_error(ca.crtpath, "gnutls_x509_crt_init", ret);
		goto out;
	}
	if (cert_crt_common(ca.crt, ca.key, cn, time(NULL), time(NULL) +
	    (time_t)(a->days > 0 ? a->days : CERT_CA_DAYS) * CERT_DAY,
	    ca.crtpath) == -1)
		goto out;
	if (cert_ca_privkey(&ca) == -1)
		goto out;
	if ((ret = cert_ca_constraints(a, ca.crt, ca.crtpath)) != 0) {
		rc = ret;
		goto out;
	}
	if ((ret = gnutls_x509_crt_set_basic_constraints(ca.crt, 1, -1)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_usage(ca.crt,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0 ||
	    (ret = gnutls_x509_crt_privkey_sign(ca.crt, ca.crt, ca.pk,
	    GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (ret = gnutls_x509_crt_export2(ca.crt, GNUTLS_X509_FMT_PEM,
	    &dcrt)) < 0 ||
	    (ret = gnutls_x509_privkey_export2_pkcs8(ca.key,
	    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &dkey)) < 0) {
		cert_gnutls_error(ca.crtpath, "cannot make the CA certificate",
		    ret);
		goto out;
	}
	if (cert_crl_build(&ca, NULL, NULL, 0, &one, 1, CERT_CRL_DAYS, &dcrl,
	    &dup, &count) == -1)
		goto out;

	/* The key first: a certificate without its key is useless. */
	if (cert_write(ca.keypath, &dkey, 0600, a->force) == -1)
		goto out;
	if (cert_write(ca.crtpath, &dcrt, 0644, a->force) == -1) {
		if (!a->force)
			unlink(ca.keypath);
		goto out;
	}
	if (cert_write(ca.crlpath, &dcrl, 0644, a->force) == -1) {
		if (!a->force) {
			unlink(ca.crtpath);
			unlink(ca.keypath);
		}
		goto out;
	}
	printf("wrote %s (private key, mode 0600)\n"
	    "wrote %s (CA certificate: give it to every node as tls.ca)\n"
	    "wrote %s (empty CRL: give it to every node as tls.crl)\n",
	    ca.keypath, ca.crtpath, ca.crlpath);
	cert_print_exported(&dcrt);
	rc = 0;
out:
	gnutls_free(dkey.data);
	gnutls_free(dcrt.data);
	gnutls_free(dcrl.data);
	cert_ca_free(&ca);
	return (rc);
}

/* The subject alternative names of a node certificate, without repeats. */
struct cert_sans {
	const char	*dns[VERIFY_MAX_NAMES];
	size_t		 ndns;
	unsigned char	 ip[VERIFY_MAX_NAMES][16];
	size_t		 iplen[VERIFY_MAX_NAMES];
	size_t		 nip;
};

/*
 * "cert issue" NAME, --cn, --dns and --ip: into ${sans}, the common name
 * ${cn} first (a DNS SAN beside the CN), then each --dns and --ip once.
 * Return 0, or CERT_EXIT_USAGE once it has said what is wrong.
 */
static int
cert_issue_sans(const struct cert_args *a, const char *cn,
    struct cert_sans *sans)
{
	const char	*name = a->pos;
	size_t		 i, j;

	if (!cert_valid_dns(name) || name[0] == '.' || name[0] == '*' ||
	    strlen(name) > CERT_CN_MAX) {
		warnx("cert issue: %s: NAME must be a host name of up to %d "
		    "characters (letters, digits, '-', '_', '.')", name,
		    CERT_CN_MAX);
		return (CERT_EXIT_USAGE);
	}
	if (!cert_valid_dns(cn) || strlen(cn) > CERT_CN_MAX) {
		warnx("cert issue: --cn %s: not a host name of up to %d "
		    "characters", cn, CERT_CN_MAX);
		return (CERT_EXIT_USAGE);
	}
	if (a->nips + a->ndns > CERT_MAX_SANS) {
		warnx("cert issue: at most %d --ip and --dns", CERT_MAX_SANS);
		return (CERT_EXIT_USAGE);
	}
	sans->ndns = sans->nip = 0;
	sans->dns[sans->ndns++] = cn;
	for (i = 0; i < a->ndns; i++) {
		if (!cert_valid_dns(a->dns[i])) {
			warnx("cert issue: --dns %s: not a host name",
			    a->dns[i]);
			return (CERT_EXIT_USAGE);
		}
		for (j = 0; j < sans->ndns; j++)
			if (strcasecmp(sans->dns[j], a->dns[i]) == 0)
				break;
		if (j == sans->ndns)
			sans->dns[sans->ndns++] = a->dns[i];
	}
	for (i = 0; i < a->nips; i++) {
		unsigned char	*ip = sans->ip[sans->nip];
		size_t		*iplen = &sans->iplen[sans->nip];

		if (inet_pton(AF_INET, a->ips[i], ip) == 1)
			*iplen = 4;
		else if (inet_pton(AF_INET6, a->ips[i], ip) == 1)
			*iplen = 16;
		else {
			warnx("cert issue: --ip %s: not an IPv4 or IPv6 "
			    "address", a->ips[i]);
			return (CERT_EXIT_USAGE);
		}
		for (j = 0; j < sans->nip; j++)
			if (sans->iplen[j] == *iplen &&
			    memcmp(sans->ip[j], ip, *iplen) == 0)
				break;
		if (j == sans->nip)
			sans->nip++;
	}
	return (0);
}

/*
 * "cert issue" --valid-from, --days and --not-after: the validity in
 * ${from} (from now if not given) and ${until}.  Return 0, or
 * CERT_EXIT_USAGE once it has said what is wrong.
 */
static int
cert_issue_validity(const struct cert_args *a, time_t *from, time_t *until)
{
	*from = time(NULL);
	*until = 0;
	if (a->from != NULL && cert_parse_date(a->from, from) == -1) {
		warnx("cert issue: --valid-from %s: not a date YYYY-MM-DD",
		    a->from);
		return (CERT_EXIT_USAGE);
	}
	if (a->notafter != NULL && a->days > 0) {
		warnx("cert issue: --days and --not-after exclude each other");
		return (CERT_EXIT_USAGE);
	}
	if (a->notafter != NULL && cert_parse_time(a->notafter, until) == -1) {
		warnx("cert issue: --not-after %s: not an RFC 3339 time "
		    "YYYY-MM-DDTHH:MM:SSZ (or +HH:MM for Z)", a->notafter);
		return (CERT_EXIT_USAGE);
	}
	if (a->notafter != NULL && *until <= *from) {
		warnx("cert issue: --not-after %s: not after the start of "
		    "validity", a->notafter);
		return (CERT_EXIT_USAGE);
	}
	if (a->notafter == NULL)
		*until = *from +
		    (time_t)(a->days > 0 ? a->days : CERT_NODE_DAYS) * CERT_DAY;
	return (0);
}

/*
 * "cert issue": the paths of the new key and certificate in --out, made
 * if need be; without --force neither may exist yet.  Return 0, or -1
 * once it has said why not.
 */
static int
cert_issue_paths(const struct cert_args *a, char *keypath, char *crtpath)
{
	const char	*path[2];
	size_t		 i;
	int		 ret;

	if (cert_mkdir(a->out) == -1 ||
	    cert_path(keypath, PATH_MAX, a->out, a->pos, ".key") ||
	    cert_path(crtpath, PATH_MAX, a->out, a->pos, ".crt"))
		return (-1);
	if (a->force)
		return (0);
	path[0] = keypath;
	path[1] = crtpath;
	for (i = 0; i < 2; i++)
		if ((ret = cert_exists(path[i])) != 0) {
			if (ret == 1)
				warnx("%s: already exists (--force makes a "
				    "new key and certificate)", path[i]);
			return (-1);
		}
	return (0);
}

/*
 * "cert issue": fill ${crt} for ${key}, named ${cn} and ${sans}, valid
 * from ${from} to ${until}, for TLS servers and clients, with the CRL
 * URI ${crluri} (NULL: none), and sign it with ${ca}.  Return 0, or -1
 * once it has said why not (GnuTLS errors name ${crtpath}).
 */
static int
cert_issue_sign(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
    struct cert_ca *ca, const char *cn, const struct cert_sans *sans,
    time_t from, time_t until, const char *crluri, const char *crtpath)
{
	unsigned char	 kid[64];
	size_t		 klen, i;
	unsigned int	 crit;
	int		 ret;

	if (cert_crt_common(crt, key, cn, from, until, crtpath) == -1)
		return (-1);
	for (i = 0; i < sans->ndns; i++)
		if ((ret = gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_DNSNAME, sans->dns[i],
		    (unsigned int)strlen(sans->dns[i]),
		    GNUTLS_FSAN_APPEND)) < 0) {
			cert_gnutls_error(crtpath, sans->dns[i], ret);
			return (-1);
		}
	for (i = 0; i < sans->nip; i++)
		if ((ret = gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_IPADDRESS, sans->ip[i],
		    (unsigned int)sans->iplen[i], GNUTLS_FSAN_APPEND)) < 0) {
			cert_gnutls_error(crtpath, "IP address", ret);
			return (-1);
		}
	/* The authority key id: the CA's subject key id, else its key's. */
	klen = sizeof(kid);
	if (gnutls_x509_crt_get_subject_key_id(ca->crt, kid, &klen,
	    &crit) < 0) {
		klen = sizeof(kid);
		if ((ret = gnutls_x509_crt_get_key_id(ca->crt,
		    GNUTLS_KEYID_USE_SHA1, kid, &klen)) < 0) {
			cert_gnutls_error(ca->crtpath, "key id", ret);
			return (-1);
		}
	}
	if ((ret = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0 ||
	    (ret = gnutls_x509_crt_set_authority_key_id(crt, kid, klen)) < 0 ||
	    /* tells other TLS tools where revocations are published; the
	     * daemons themselves read the crl file of their configuration */
	    (crluri != NULL && (ret = gnutls_x509_crt_set_crl_dist_points(
	    crt, GNUTLS_SAN_URI, crluri, 0)) < 0) ||
	    (ret = gnutls_x509_crt_privkey_sign(crt, ca->crt, ca->pk,
	    GNUTLS_DIG_SHA256, 0)) < 0) {
		cert_gnutls_error(crtpath, "cannot make the certificate", ret);
		return (-1);
	}
	return (0);
}

/*
 * "cert issue": -1 (reported) if the CA ${ca} may not vouch for one of
 * the names ${sans} of node ${name} by its name constraints, since every
 * peer would refuse the certificate; else 0.
 */
static int
cert_issue_in_scope(struct cert_ca *ca, const char *name,
    const struct cert_sans *sans)
{
	struct cert_ident	 id;
	char			 reason[1024];
	size_t			 i, j;

	memset(&id, 0, sizeof(id));
	for (i = 0; i < sans->ndns && id.n < VERIFY_MAX_NAMES; i++, id.n++) {
		for (j = 0; sans->dns[i][j] != '\0' &&
		    j < sizeof(id.ent[0].name) - 1; j++)
			id.ent[id.n].name[j] = (char)tolower(
			    (unsigned char)sans->dns[i][j]);
		id.ent[id.n].name[j] = '\0';
	}
	for (i = 0; i < sans->nip && id.n < VERIFY_MAX_NAMES; i++, id.n++) {
		if (inet_ntop(sans->iplen[i] == 4 ? AF_INET : AF_INET6,
		    sans->ip[i], id.ent[id.n].name,
		    sizeof(id.ent[id.n].name)) == NULL)
			return (-1);
		id.ent[id.n].is_ip = 1;
	}
	if (verify_ca_constraints(ca->crt, &id, reason, sizeof(reason)) == 0)
		return (0);
	warnx("cert issue: %s: %s", name, reason);
	return (-1);
}

/* "cert issue": a node key and certificate signed by the CA. */
static int
cert_issue(const struct cert_args *a)
{
	struct cert_ca		 ca;
	struct cert_sans	 sans;
	gnutls_x509_crt_t	 crt = NULL;
	gnutls_x509_privkey_t	 key = NULL;
	gnutls_datum_t		 dkey = { NULL, 0 }, dcrt = { NULL, 0 };
	const char		*cn = a->cn != NULL ? a->cn : a->pos;
	char			 keypath[PATH_MAX], crtpath[PATH_MAX];
	time_t			 from, until;
	int			 ret, rc = CERT_EXIT_FAIL;

	memset(&ca, 0, sizeof(ca));
	/* Usage errors first. */
	if ((ret = cert_issue_sans(a, cn, &sans)) != 0 ||
	    (ret = cert_issue_validity(a, &from, &until)) != 0)
		return (ret);

	if (cert_issue_paths(a, keypath, crtpath) == -1 ||
	    cert_ca_load(&ca, a->dir) == -1)
		goto out;
	if (cert_issue_in_scope(&ca, a->pos, &sans) == -1) {
		rc = CERT_EXIT_USAGE;
		goto out;
	}
	if (cert_genkey(&key, keypath) == -1)
		goto out;
	if ((ret = gnutls_x509_crt_init(&crt)) < 0) {
		cert_gnutls_error(crtpath, "gnutls_x509_crt_init", ret);
		goto out;
	}
	if (cert_issue_sign(crt, key, &ca, cn, &sans, from, until, a->crluri,
	    crtpath) == -1)
		goto out;
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
	    &dcrt)) < 0 ||
	    (ret = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &dkey)) < 0) {
		cert_gnutls_error(crtpath, "cannot make the certificate", ret);
		goto out;
	}
	if (gnutls_x509_crt_get_expiration_time(crt) >
	    gnutls_x509_crt_get_expiration_time(ca.crt))
		warnx("warning: %s outlives the CA certificate %s", crtpath,
		    ca.crtpath);

	if (cert_write(keypath, &dkey, 0600, a->force) == -1)
		goto out;
	if (cert_write(crtpath, &dcrt, 0644, a->force) == -1) {
		if (!a->force)
			unlink(keypath);
		goto out;
	}
	printf("wrote %s (private key, mode 0600)\nwrote %s\n", keypath,
	    crtpath);
	cert_print_exported(&dcrt);
	rc = 0;
out:
	gnutls_free(dkey.data);
	gnutls_free(dcrt.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	cert_ca_free(&ca);
	return (rc);
}

/*
 * The CRL number after the ${*len} bytes of ${num} (big-endian, as in the
 * CRL), in place: leading zeros dropped, one added, a 0x00 prepended if
 * the top bit is set, so that it stays positive.  -1 if too long.
 */
static int
cert_crlnum_next(unsigned char *num, size_t *len)
{
	size_t	n = *len, i;

	while (n > 0 && num[0] == 0) {
		memmove(num, num + 1, n - 1);
		n--;
	}
	for (i = n; i > 0; i--)
		if (++num[i - 1] != 0)
			break;
	if (i == 0) {
		/* Carried out of the top byte (or n was 0). */
		if (n + 1 > CERT_CRLNUM_MAX - 1)
			return (-1);
		memmove(num + 1, num, n);
		num[0] = 1;
		n++;
	}
	if (num[0] & 0x80) {
		if (n + 1 > CERT_CRLNUM_MAX)
			return (-1);
		memmove(num + 1, num, n);
		num[0] = 0;
		n++;
	}
	*len = n;
	return (0);
}

/*
 * The CRL of ${ca} so far into ${*old}, which must be signed by it (NULL
 * if there is none yet: a new one starts), and the number the next one
 * gets into ${num} (CERT_CRLNUM_MAX bytes) and ${*nlen}.  A CRL past its
 * next update is read all the same: renewing it is the point.  0, or -1
 * (reported).
 */
static int
cert_crl_next(struct cert_ca *ca, gnutls_x509_crl_t *old, unsigned char *num,
    size_t *nlen)
{
	unsigned int	 status = 0, crit;
	int		 ret;

	*old = NULL;
	num[0] = 0;
	*nlen = 1;
	if ((ret = cert_exists(ca->crlpath)) == -1)
		return (-1);
	if (ret == 1) {
		if (cert_load_crl(ca->crlpath, old) == -1)
			return (-1);
		if ((ret = gnutls_x509_crl_verify(*old, &ca->crt, 1,
		    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
		    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status)) < 0) {
			cert_gnutls_error(ca->crlpath, "cannot verify", ret);
			goto err1;
		}
		/* GnuTLS flags a CRL past its next update (or one made before
		 * the CA) despite DISABLE_TIME_CHECKS: only the signature
		 * counts here. */
		status &= ~(unsigned int)(GNUTLS_CERT_EXPIRED |
		    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
		    GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE |
		    GNUTLS_CERT_NOT_ACTIVATED);
		if (status == GNUTLS_CERT_INVALID)
			status = 0;
		if (status != 0) {
			warnx("%s: not signed by this CA (%s)", ca->crlpath,
			    ca->crtpath);
			goto err1;
		}
		*nlen = CERT_CRLNUM_MAX - 2;
		if (gnutls_x509_crl_get_number(*old, num, nlen, &crit) < 0) {
			num[0] = 0;
			*nlen = 1;
		}
	}
	if (cert_crlnum_next(num, nlen) == -1) {
		warnx("%s: CRL number too large", ca->crlpath);
		goto err1;
	}

	/* Success! */
	return (0);

err1:
	if (*old != NULL)
		gnutls_x509_crl_deinit(*old);
	*old = NULL;
	/* Failure! */
	return (-1);
}

/* "cert revoke": add a certificate's serial to the CA's CRL. */
static int
cert_revoke(const struct cert_args *a)
{
	struct cert_ca		 ca;
	gnutls_x509_crt_t	 crt = NULL;
	gnutls_x509_crl_t	 old = NULL;
	gnutls_datum_t		 dcrl = { NULL, 0 }, dn = { NULL, 0 };
	unsigned char		 serial[CERT_SERIAL_MAX], num[CERT_CRLNUM_MAX];
	char			 path[PATH_MAX], hex[2 * CERT_SERIAL_MAX + 1];
	char			 numhex[2 * CERT_CRLNUM_MAX + 3];
	size_t			 slen = sizeof(serial), nlen, count, plen;
	unsigned int		 status = 0;
	int			 ret, dup, rc = CERT_EXIT_FAIL;

	memset(&ca, 0, sizeof(ca));
	plen = strlen(a->pos);
	if (strchr(a->pos, '/') != NULL || (plen > 4 &&
	    strcmp(a->pos + plen - 4, ".crt") == 0)) {
		if (snprintf(path, sizeof(path), "%s", a->pos) >=
		    (int)sizeof(path)) {
			warnx("%s: path too long", a->pos);
			goto out;
		}
	} else if (cert_path(path, sizeof(path), a->dir, a->pos, ".crt"))
		goto out;

	if (cert_ca_load(&ca, a->dir) == -1 || cert_load_crt(path, &crt) == -1)
		goto out;
	if (gnutls_x509_crt_equals(crt, ca.crt)) {
		warnx("%s: this is the CA certificate itself: make a new CA "
		    "instead", path);
		goto out;
	}
	/* Issued by this CA: its signature checks, expired or not. */
	if ((ret = gnutls_x509_crt_verify(crt, &ca.crt, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status)) < 0) {
		cert_gnutls_error(path, "cannot verify", ret);
		goto out;
	}
	if (status != 0) {
		warnx("%s: not issued by this CA (%s)", path, ca.crtpath);
		goto out;
	}
	if ((ret = gnutls_x509_crt_get_serial(crt, serial, &slen)) < 0) {
		cert_gnutls_error(path, "serial", ret);
		goto out;
	}

	if (cert_crl_next(&ca, &old, num, &nlen) == -1 ||
	    cert_crl_build(&ca, old, serial, slen, num, nlen, CERT_CRL_DAYS,
	    &dcrl, &dup, &count) == -1 ||
	    cert_write(ca.crlpath, &dcrl, 0644, 1) == -1)
		goto out;

	cert_hex(serial, slen, hex, sizeof(hex));
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
		dn.data = NULL;
	printf("%s serial %s (%s, %s)\n", dup ? "already revoked:" : "revoked",
	    hex, path, dn.data != NULL ? (const char *)dn.data : "?");
	printf("wrote %s: CRL number %s, %zu revoked certificate%s\n",
	    ca.crlpath, cert_crlnum_str(num, nlen, numhex, sizeof(numhex)),
	    count,
	    count == 1 ? "" : "s");
	printf("copy it to every node and run `stunnelctl reload-certs` there "
	    "to apply it\n");
	gnutls_free(dn.data);
	rc = 0;
out:
	gnutls_free(dcrl.data);
	if (old != NULL)
		gnutls_x509_crl_deinit(old);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	cert_ca_free(&ca);
	return (rc);
}

/*
 * "cert crl": the CA's CRL signed again, with the revocations it has and a
 * new next update (--days from now), so that an out-of-date CRL can be
 * renewed without revoking anyone.
 */
static int
cert_crl(const struct cert_args *a)
{
	struct cert_ca		 ca;
	gnutls_x509_crl_t	 old = NULL;
	gnutls_datum_t		 dcrl = { NULL, 0 };
	unsigned char		 num[CERT_CRLNUM_MAX];
	char			 numhex[2 * CERT_CRLNUM_MAX + 3], t[32];
	size_t			 nlen, count;
	long			 days = a->days > 0 ? a->days : CERT_CRL_DAYS;
	int			 dup, rc = CERT_EXIT_FAIL;

	if (cert_ca_load(&ca, a->dir) == -1)
		return (CERT_EXIT_FAIL);
	if (cert_crl_next(&ca, &old, num, &nlen) == -1 ||
	    cert_crl_build(&ca, old, NULL, 0, num, nlen, days, &dcrl, &dup,
	    &count) == -1 ||
	    cert_write(ca.crlpath, &dcrl, 0644, 1) == -1)
		goto out;
	printf("wrote %s: CRL number %s, %zu revoked certificate%s, next "
	    "update %s\n", ca.crlpath, cert_crlnum_str(num, nlen, numhex,
	    sizeof(numhex)), count, count == 1 ? "" : "s",
	    cert_time(time(NULL) + (time_t)days * CERT_DAY, t, sizeof(t)));
	printf("copy it to every node and run `stunnelctl reload-certs` there "
	    "to apply it\n");
	rc = 0;
out:
	gnutls_free(dcrl.data);
	if (old != NULL)
		gnutls_x509_crl_deinit(old);
	cert_ca_free(&ca);
	return (rc);
}

/* "cert show": a certificate's or a CRL's fields. */
static int
cert_show(const struct cert_args *a)
{
	gnutls_x509_crt_t	crt;
	gnutls_x509_crl_t	crl;
	gnutls_datum_t		d;
	int			is_crl;

	if (cert_load(a->pos, &d) == -1)
		return (CERT_EXIT_FAIL);
	/* PEM says which; DER: a certificate unless it parses as a CRL. */
	is_crl = memmem(d.data, d.size, "-----BEGIN X509 CRL", 19) != NULL;
	if (!is_crl && memmem(d.data, d.size, "-----BEGIN", 10) == NULL &&
	    gnutls_x509_crl_init(&crl) == 0) {
		is_crl = gnutls_x509_crl_import(crl, &d,
		    GNUTLS_X509_FMT_DER) == 0;
		gnutls_x509_crl_deinit(crl);
	}
	gnutls_free(d.data);
	if (is_crl) {
		if (cert_load_crl(a->pos, &crl) == -1)
			return (CERT_EXIT_FAIL);
		cert_print_crl(crl);
		gnutls_x509_crl_deinit(crl);
		return (0);
	}
	if (cert_load_crt(a->pos, &crt) == -1)
		return (CERT_EXIT_FAIL);
	cert_print_crt(crt);
	gnutls_x509_crt_deinit(crt);
	return (0);
}

/* "cert pin": the sha256 pin of a certificate's public key, alone. */
static int
cert_pin(const struct cert_args *a)
{
	struct cert_ident	id;
	gnutls_x509_crt_t	crt;
	int			rc = 0;

	if (cert_load_crt(a->pos, &crt) == -1)
		return (CERT_EXIT_FAIL);
	if (verify_ident_from_crt(crt, &id) == -1 || id.pin[0] == '\0') {
		warnx("%s: cannot compute the key's pin", a->pos);
		rc = CERT_EXIT_FAIL;
	} else
		printf("%s\n", id.pin);
	gnutls_x509_crt_deinit(crt);
	return (rc);
}

/* "cert trust": one CA file, the CRL named for it (may be NULL). */
struct cert_trust_ent {
	const char	*file;
	const char	*crl;
};

/* Print ${s} as a libconfig string (quoted, '"' and '\' escaped). */
static void
cert_print_quoted(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

/*
 * Load the one CA certificate of ${path} into ${crt}, and check that
 * ${crl} (may be NULL) is signed by it.  0, or -1 (reported).
 */
static int
cert_trust_load(const char *path, const char *crlpath, gnutls_x509_crt_t *crt)
{
	gnutls_x509_crt_t	*list = NULL;
	gnutls_x509_crl_t	 crl;
	gnutls_datum_t		 d;
	unsigned int		 n = 0, i, status = 0;
	int			 ret;

	if (cert_load(path, &d) == -1)
		return (-1);
	ret = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM,
	    0);
	gnutls_free(d.data);
	if (ret < 0 || n == 0) {
		/* DER: one certificate. */
		if (cert_load_crt(path, crt) == -1)
			return (-1);
	} else {
		for (i = 1; i < n; i++)
			gnutls_x509_crt_deinit(list[i]);
		*crt = list[0];
		gnutls_free(list);
		if (n > 1) {
			warnx("%s: holds %u certificates: give each CA a file "
			    "of its own (its names are its own)", path, n);
			goto err;
		}
	}
	if (gnutls_x509_crt_get_ca_status(*crt, NULL) <= 0) {
		warnx("%s: not a CA certificate", path);
		goto err;
	}
	if (crlpath == NULL)
		return (0);
	if (cert_load_crl(crlpath, &crl) == -1)
		goto err;
	ret = gnutls_x509_crl_verify(crl, crt, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status);
	gnutls_x509_crl_deinit(crl);
	/* Only the signature counts: an old CRL is renewed, not refused. */
	status &= ~(unsigned int)(GNUTLS_CERT_EXPIRED |
	    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
	    GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE |
	    GNUTLS_CERT_NOT_ACTIVATED);
	if (status == GNUTLS_CERT_INVALID)
		status = 0;
	if (ret < 0 || status != 0) {
		warnx("%s: not signed by the CA of %s", crlpath, path);
		goto err;
	}
	return (0);

err:
	gnutls_x509_crt_deinit(*crt);
	*crt = NULL;
	return (-1);
}

/* Print the "ca" list entry of ${e}, whose certificate is ${crt}. */
static void
cert_trust_print(const struct cert_trust_ent *e, gnutls_x509_crt_t crt,
    const struct cert_nc *nc, int last)
{
	struct cert_ident	 id;
	gnutls_datum_t		 dn;
	char			 buf[NAMECONSTRAINT_STRLEN];
	size_t			 i, n = 0;
	int			 dns = 0, all = 0;

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
		dn.data = NULL;
	if (verify_ident_from_crt(crt, &id) != 0)
		id.pin[0] = '\0';
	printf("  # %s, %s\n", dn.data != NULL ? (const char *)dn.data : "?",
	    id.pin);
	gnutls_free(dn.data);
	for (i = 0; i < nc->npermit; i++) {
		if (!nc->permit[i].is_ip)
			dns = 1;
		if (!nc->permit[i].is_ip && nc->permit[i].dns[0] == '\0')
			all = 1;
	}
	if (nc->npermit == 0 || all)
		printf("  # it permits %s: no names, so it may vouch for any "
		    "name;\n  # add names = [ ... ] to scope it\n",
		    nc->present ? "every name" : "(no nameConstraints)");
	else if (!dns)
		printf("  # it permits no DNS subtree: host names it vouches "
		    "for (allow, peer)\n  # do not count here unless added to "
		    "names\n");
	if (nc->nexclude > 0) {
		printf("  # excluded by its nameConstraints (enforced from "
		    "the certificate): ");
		for (i = 0; i < nc->nexclude; i++)
			printf("%s%s", i > 0 ? ", " : "",
			    nameconstraint_str(&nc->exclude[i], buf,
			    sizeof(buf)));
		printf("\n");
	}
	printf("  { file = ");
	cert_print_quoted(e->file);
	printf(";");
	if (nc->npermit > 0 && !all) {
		printf(" names = [");
		for (i = 0; i < nc->npermit; i++) {
			const struct nameconstraint_subtree *st =
			    &nc->permit[i];

			/* nameConstraints "x" is x and every name below
			 * it; in names that is "x" and ".x". */
			printf("%s ", n++ > 0 ? "," : "");
			if (st->is_ip || st->dns[0] == '.')
				cert_print_quoted(nameconstraint_str(st, buf,
				    sizeof(buf)));
			else {
				cert_print_quoted(st->dns);
				snprintf(buf, sizeof(buf), ".%s", st->dns);
				printf(", ");
				cert_print_quoted(buf);
			}
		}
		printf(" ];");
	}
	if (e->crl != NULL) {
		printf(" crl = ");
		cert_print_quoted(e->crl);
		printf(";");
	}
	printf(" }%s\n", last ? "" : ",");
}

/*
 * "cert trust CAFILE [--crl CRLFILE] ...": the "ca" list of the network
 * for the tls block of every node: one entry per CA certificate, its
 * names the permitted subtrees of its nameConstraints, each --crl for
 * the CA file before it.
 */
static int
cert_trust(int argc, char *const argv[])
{
	const struct cert_cmd	*cmd = &cert_cmds[CERT_NCMDS - 1];
	struct cert_trust_ent	*ents;
	struct cert_nc		*ncs;
	gnutls_x509_crt_t	*crts;
	size_t			 n = 0, i;
	int			 k, rc = CERT_EXIT_FAIL, opts = 1;

	if ((ents = calloc((size_t)argc + 1, sizeof(*ents))) == NULL ||
	    (crts = calloc((size_t)argc + 1, sizeof(*crts))) == NULL ||
	    (ncs = calloc((size_t)argc + 1, sizeof(*ncs))) == NULL)
		err(CERT_EXIT_FAIL, "calloc");
	for (k = 0; k < argc; k++) {
		const char	*arg = argv[k], *val = NULL;

		if (opts && (strcmp(arg, "-h") == 0 ||
		    strcmp(arg, "--help") == 0)) {
			cert_usage(stdout, cmd);
			rc = 0;
			goto out;
		}
		if (opts && strcmp(arg, "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && strncmp(arg, "--crl=", 6) == 0)
			val = arg + 6;
		else if (opts && strcmp(arg, "--crl") == 0) {
			if (k + 1 >= argc) {
				rc = cert_usage_error(cmd, "option --crl "
				    "needs an argument");
				goto out;
			}
			val = argv[++k];
		} else if (opts && arg[0] == '-' && arg[1] != '\0') {
			rc = cert_usage_error(cmd, "unknown option: %s", arg);
			goto out;
		}
		if (val != NULL) {
			if (n == 0 || ents[n - 1].crl != NULL) {
				rc = cert_usage_error(cmd, "--crl %s: each "
				    "--crl follows the CA file it is for", val);
				goto out;
			}
			if (val[0] == '\0') {
				rc = cert_usage_error(cmd, "empty argument");
				goto out;
			}
			ents[n - 1].crl = val;
			continue;
		}
		if (arg[0] == '\0') {
			rc = cert_usage_error(cmd, "empty argument");
			goto out;
		}
		ents[n++].file = arg;
	}
	if (n == 0) {
		rc = cert_usage_error(cmd, "missing CAFILE");
		goto out;
	}
	/* Everything checked before anything is printed. */
	for (i = 0; i < n; i++)
		if (cert_trust_load(ents[i].file, ents[i].crl,
		    &crts[i]) == -1 ||
		    cert_nc_read(crts[i], &ncs[i], ents[i].file) == -1)
			goto out;
	printf("# The network's trust anchors (stunnelctl cert trust), for "
	    "the tls block\n# of every node, in place of a single ca = "
	    "\"FILE\";  paths are taken\n# from the directory of the "
	    "configuration file.\nca = (\n");
	for (i = 0; i < n; i++)
		cert_trust_print(&ents[i], crts[i], &ncs[i], i + 1 == n);
	printf(");\n");
	rc = 0;
out:
	for (i = 0; i < n; i++)
		if (crts[i] != NULL)
			gnutls_x509_crt_deinit(crts[i]);
	free(ents);
	free(crts);
	free(ncs);
	return (rc);
}

/**
 * cert_main(argc, argv): run "stunnelctl cert ${argv}[0] ${argv}[1] ...",
 * the ${argc} words after "cert": ca, issue, revoke, crl, show, pin or
 * trust and their options.  Messages go to stdout, failures to stderr as
 * "stunnelctl: FILE: reason".  Return the exit status: 0 done, 1 failure,
 * 2 usage error.
 */
int
cert_main(int argc, char *const argv[])
{
	const struct cert_cmd	*cmd = NULL;
	struct cert_args	 a;
	size_t			 i;
	int			 rc;

	if (argc < 1)
		return (cert_usage_error(NULL, "missing ca, issue, revoke, "
		    "crl, show, pin or trust"));
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		cert_usage(stdout, NULL);
		return (fflush(stdout) == 0 ? 0 : CERT_EXIT_FAIL);
	}
	for (i = 0; i < CERT_NCMDS; i++)
		if (strcmp(cert_cmds[i].name, argv[0]) == 0)
			cmd = &cert_cmds[i];
	if (cmd == NULL)
		return (cert_usage_error(NULL, "unknown subcommand: %s (ca, "
		    "issue, revoke, crl, show, pin or trust)", argv[0]));

	memset(&a, 0, sizeof(a));
	if (cmd->run == NULL)
		rc = cert_trust(argc - 1, argv + 1);
	else if ((rc = cert_parse(cmd, argc - 1, argv + 1, &a)) != 0)
		goto out;
	else if (a.help) {
		cert_usage(stdout, cmd);
		rc = 0;
	} else
		rc = cmd->run(&a);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("stdout");
		rc = CERT_EXIT_FAIL;
	}
out:
	free(a.ips);
	free(a.dns);
	free(a.permit);
	free(a.exclude);
	return (rc);
}
