/*
 * main.c: options, configuration check, listeners, privileges,
 * daemonising, pid file; then the supervisor takes over.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "control.h"
#include "creds.h"
#include "log.h"
#include "supervisor.h"
#include "tls.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#define DEFAULT_CONF	SYSCONFDIR "/stunneld/stunneld.conf"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stunneld [-c FILE] [-f] [-t] [-v]... [-V]\n"
	    "  -c FILE   configuration file (default: %s)\n"
	    "  -f        stay in the foreground and log to stderr\n"
	    "  -t        check the configuration, certificates and keys; "
	    "start nothing\n"
	    "  -v        more verbose logging (repeatable)\n"
	    "  -V        print the version\n", DEFAULT_CONF);
}

/* Load every tunnel's credentials once, as a start would; 0 if all load. */
static int
check_creds(const struct sd_conf *conf)
{
	struct creds	*c;
	char		 err[1024];
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < conf->ntunnels; i++) {
		if ((c = creds_load(&conf->tunnels[i].tls, conf->file, NULL,
		    err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			bad = 1;
		}
		creds_unref(c);
	}
	return (bad ? -1 : 0);
}

/*
 * Whether SO_MARK is needed (a redirect tunnel, a mark set) and so
 * CAP_NET_ADMIN, the only capability that sets it, must survive the drop
 * to "user": every outgoing socket is made later, by the workers, so it
 * cannot be opened before the drop.
 */
static int
need_mark(const struct sd_conf *conf)
{
	return (conf->mark != 0 && conf_redirect_tunnel(conf) != NULL);
}

/* Keep CAP_NET_ADMIN, and nothing else, across the switch to a user. */
static int
keep_net_admin(void)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[CAP_NET_ADMIN / 32].permitted = 1U << (CAP_NET_ADMIN % 32);
	data[CAP_NET_ADMIN / 32].effective = 1U << (CAP_NET_ADMIN % 32);
	if (syscall(SYS_capset, &hdr, data) != 0) {
		fprintf(stderr, "stunneld: cannot keep CAP_NET_ADMIN for "
		    "\"mark\" of the redirect tunnels: %s\n", strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * With a redirect tunnel, a connection stunneld cannot mark would be
 * redirected back to it: refuse to start rather than fail every dial.
 */
static int
check_mark(const struct sd_conf *conf)
{
	int	 fd, rc;

	if (!need_mark(conf))
		return (0);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (0);	/* the workers will say why */
	rc = setsockopt(fd, SOL_SOCKET, SO_MARK, &conf->mark,
	    sizeof(conf->mark));
	close(fd);
	if (rc == 0)
		return (0);
	fprintf(stderr, "%s:%d: mark 0x%x: cannot set SO_MARK: %s (the "
	    "redirect tunnel \"%s\" needs CAP_NET_ADMIN; see stunneld(8))\n",
	    conf->file, conf->mark_line > 0 ? conf->mark_line :
	    conf_redirect_tunnel(conf)->line, conf->mark, strerror(errno),
	    conf_redirect_tunnel(conf)->name);
	return (-1);
}

/* What -t and a start say about a redirect tunnel without a mark. */
static void
warn_mark(const struct sd_conf *conf)
{
	const struct tunnel_conf	*tc;

	if (conf->mark != 0 || (tc = conf_redirect_tunnel(conf)) == NULL)
		return;
	fprintf(stderr, "%s:%d: warning: redirect tunnel \"%s\" and mark = 0: "
	    "stunneld's own connections are not marked, so the redirect "
	    "rule must leave them alone another way (meta skuid), or they "
	    "loop back into the tunnel\n", conf->file,
	    conf->mark_line > 0 ? conf->mark_line : tc->line, tc->name);
}

/* Drop to user/group after the listeners are bound. */
static int
drop_privileges(const struct sd_conf *conf)
{
	struct passwd	*pw = NULL;
	struct group	*gr;
	gid_t		 gid;
	int		 keep = 0;

	if (conf->user == NULL && conf->group == NULL)
		return (0);
	if (conf->user != NULL && (pw = getpwnam(conf->user)) == NULL) {
		fprintf(stderr, "stunneld: unknown user %s\n", conf->user);
		return (-1);
	}
	gid = pw != NULL ? pw->pw_gid : getgid();
	if (conf->group != NULL) {
		if ((gr = getgrnam(conf->group)) == NULL) {
			fprintf(stderr, "stunneld: unknown group %s\n",
			    conf->group);
			return (-1);
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0) {
		fprintf(stderr, "stunneld: cannot set group %u: %s\n",
		    (unsigned)gid, strerror(errno));
		return (-1);
	}
	/* the permitted set survives setresuid() only with KEEPCAPS */
	if (pw != NULL && pw->pw_uid != 0 && need_mark(conf) &&
	    geteuid() == 0) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
			fprintf(stderr, "stunneld: PR_SET_KEEPCAPS: %s\n",
			    strerror(errno));
			return (-1);
		}
		keep = 1;
	}
	if (pw != NULL && setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		fprintf(stderr, "stunneld: cannot become %s: %s\n", conf->user,
		    strerror(errno));
		return (-1);
	}
	if (keep) {
		(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (keep_net_admin() != 0)
			return (-1);
	}
	if (pw != NULL && pw->pw_uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "stunneld: privileges could not be dropped\n");
		return (-1);
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return (0);
}

/* The owner the control socket gets: the user we will run as. */
static void
control_owner(const struct sd_conf *conf, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (conf->user != NULL && (pw = getpwnam(conf->user)) != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (conf->group != NULL && (gr = getgrnam(conf->group)) != NULL)
		*gid = gr->gr_gid;
}

/* Open the pid file while we may still write where it lives; -1 if not. */
static int
open_pidfile(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		fprintf(stderr, "stunneld: pid file %s: %s\n", path,
		    strerror(errno));
	return (fd);
}

/* Write our pid (after daemon(), so it is the daemon's) and close. */
static void
write_pidfile(int fd, const char *path)
{
	char	 buf[32];
	int	 len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)len) != len)
		log_warn("pid file %s", path);
	close(fd);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_conf	*conf;
	struct control	*ctl;
	char		*pidpath = NULL;
	int		 pidfd = -1;
	const char	*path = DEFAULT_CONF;
	char		 err[512];
	uid_t		 uid;
	gid_t		 gid;
	int		 ch, foreground = 0, check = 0, verbose = 0;
	int		*fds, level, status;

	while ((ch = getopt_long(argc, argv, "c:ftvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("stunneld %s\n", PACKAGE_VERSION);
			return (0);
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (2);
	}

	log_init(1, LOG_INFO);
	tls_global_init(verbose > 2 ? verbose - 2 : 0);
	if ((conf = conf_load(path, stderr)) == NULL)
		return (1);
	if (check_creds(conf) != 0) {
		conf_free(conf);
		return (1);
	}
	warn_mark(conf);
	if (check) {
		fprintf(stderr, "%s: configuration OK\n", path);
		conf_free(conf);
		return (0);
	}

	level = conf->log_level + verbose;
	log_setlevel(level > LOG_DEBUG ? LOG_DEBUG : level);
	if ((fds = calloc(supervisor_nworkers(conf), sizeof(*fds))) == NULL)
		fatal("calloc");
	if (supervisor_listen(conf, fds, stderr) != 0)
		return (1);
	control_owner(conf, &uid, &gid);
	if ((ctl = control_open(conf->control_socket, uid, gid, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "%s: control_socket: %s\n", conf->file, err);
		return (1);
	}
	if (conf->pid_file != NULL) {
		if ((pidpath = strdup(conf->pid_file)) == NULL)
			fatal("strdup");
		if ((pidfd = open_pidfile(pidpath)) < 0) {
			control_close(ctl);
			return (1);
		}
	}
	if (drop_privileges(conf) != 0 ||
	    /* the workers read the files as the user we have become */
	    ((conf->user != NULL || conf->group != NULL) &&
	    check_creds(conf) != 0) || check_mark(conf) != 0) {
		control_close(ctl);
		if (pidpath != NULL)
			unlink(pidpath);
		return (1);
	}
	if (!foreground) {
		if (daemon(0, 0) != 0)
			fatal("daemon");
		log_init(0, log_getlevel());
	}
	signal(SIGPIPE, SIG_IGN);
	if (pidfd >= 0)
		write_pidfile(pidfd, pidpath);
	log_info("stunneld %s started with %s, %zu tunnel%s", PACKAGE_VERSION,
	    path, conf->ntunnels, conf->ntunnels == 1 ? "" : "s");

	status = supervisor_run(&conf, path, verbose, fds, ctl);

	if (pidpath != NULL && unlink(pidpath) != 0)
		log_warn("pid file %s", pidpath);
	free(pidpath);
	free(fds);
	conf_free(conf);
	return (status);
}
