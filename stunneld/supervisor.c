/*
 * supervisor.c: relayd's parent, hitch's master.  One struct tunnel_rt
 * per tunnel holds its listener, its worker's pid and its restart
 * back-off.  Signals are loop events; the work they start runs here.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "log.h"
#include "supervisor.h"
#include "worker.h"

#define BACKOFF_FIRST	1.0	/* seconds before the first restart */
#define BACKOFF_MAX	60.0
#define STABLE_AFTER	30.0	/* a worker up this long resets the back-off */
#define FAILED_AFTER	5	/* quick deaths in a row: tunnel is "failed" */

enum tunnel_state {
	TUNNEL_RUNNING,
	TUNNEL_BACKOFF,		/* waiting to restart */
	TUNNEL_FAILED,		/* keeps dying; still retried at BACKOFF_MAX */
	TUNNEL_STOPPED
};

struct tunnel_rt {
	struct supervisor		*sv;
	const struct tunnel_conf	*tc;
	enum tunnel_state		 state;
	int				 listen_fd;
	int				 ipc_fd;	/* our end; -1 without worker */
	pid_t				 pid;
	ev_child			 child_w;
	ev_timer			 restart_w;
	ev_tstamp			 started;
	double				 backoff;
	unsigned int			 restarts;
	unsigned int			 quick_deaths;
};

struct supervisor {
	struct ev_loop		*loop;
	const struct sd_conf	*conf;
	struct tunnel_rt	*t;
	size_t			 nt;
	int			 stopping;
	ev_signal		 sig_term, sig_int, sig_hup, sig_usr1;
	ev_timer		 kill_timer;
};

static void	supervisor_spawn(struct tunnel_rt *);

/* Open one listening socket for ${tc}; -1 with the reason in ${err}. */
static int
supervisor_listen_one(const struct tunnel_conf *tc, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res = NULL;
	char		 port[8], where[ADDR_STRLEN];
	int		 fd = -1, one = 1, gai;

	addr_format_hp(&tc->listen, where, sizeof(where));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", tc->listen.port);
	if ((gai = getaddrinfo(tc->listen.host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s: %s", where,
		    gai_strerror(gai));
		return (-1);
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0)
		goto fail;
	freeaddrinfo(res);
	return (fd);

fail:
	snprintf(err, errlen, "listen %s: %s", where, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return (-1);
}

/**
 * supervisor_listen(conf, fds, errfp): bind and listen on every tunnel's
 * address, in tunnel order, into ${fds} (conf->ntunnels entries).  Report
 * failures to ${errfp} as "FILE:LINE: message" and return -1 (closing
 * what was opened), or 0.
 */
int
supervisor_listen(const struct sd_conf *conf, int *fds, FILE *errfp)
{
	char	 err[512];
	size_t	 i;
	int	 bad = 0;

	for (i = 0; i < conf->ntunnels; i++) {
		fds[i] = supervisor_listen_one(&conf->tunnels[i], err,
		    sizeof(err));
		if (fds[i] < 0) {
			fprintf(errfp, "%s:%d: tunnel %s: %s\n", conf->file,
			    conf->tunnels[i].listen_line,
			    conf->tunnels[i].name, err);
			bad = 1;
		}
	}
	if (!bad)
		return (0);
	for (i = 0; i < conf->ntunnels; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return (-1);
}

/* In a new child: forget every watcher and fd of the supervisor. */
static void
supervisor_forget(struct supervisor *sv, struct tunnel_rt *keep)
{
	size_t	 i;

	ev_signal_stop(sv->loop, &sv->sig_term);
	ev_signal_stop(sv->loop, &sv->sig_int);
	ev_signal_stop(sv->loop, &sv->sig_hup);
	ev_signal_stop(sv->loop, &sv->sig_usr1);
	ev_timer_stop(sv->loop, &sv->kill_timer);
	for (i = 0; i < sv->nt; i++) {
		struct tunnel_rt *t = &sv->t[i];

		ev_child_stop(sv->loop, &t->child_w);
		ev_timer_stop(sv->loop, &t->restart_w);
		if (t == keep)
			continue;
		if (t->listen_fd >= 0)
			close(t->listen_fd);
		if (t->ipc_fd >= 0)
			close(t->ipc_fd);
	}
	ev_loop_fork(sv->loop);
}

/* Put into words why a worker ended. */
static void
supervisor_death_str(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
}

/* Every worker has ended during a stop: we are done. */
static void
supervisor_check_stopped(struct supervisor *sv)
{
	size_t	 i;

	for (i = 0; i < sv->nt; i++)
		if (sv->t[i].pid > 0)
			return;
	ev_timer_stop(sv->loop, &sv->kill_timer);
	ev_break(sv->loop, EVBREAK_ALL);
}

/* A worker ended: log why, then restart it after its back-off. */
static void
supervisor_child_cb(struct ev_loop *loop, ev_child *cw, int revents)
{
	struct tunnel_rt	*t = cw->data;
	struct supervisor	*sv = t->sv;
	char			 why[128];
	ev_tstamp		 lived = ev_now(loop) - t->started;

	(void)revents;
	ev_child_stop(loop, cw);
	supervisor_death_str(cw->rstatus, why, sizeof(why));
	t->pid = 0;
	if (t->ipc_fd >= 0) {
		close(t->ipc_fd);
		t->ipc_fd = -1;
	}
	if (sv->stopping) {
		log_info("worker %s %s", t->tc->name, why);
		t->state = TUNNEL_STOPPED;
		supervisor_check_stopped(sv);
		return;
	}
	if (lived >= STABLE_AFTER) {
		t->backoff = BACKOFF_FIRST;
		t->quick_deaths = 0;
	} else {
		t->quick_deaths++;
	}
	t->state = t->quick_deaths >= FAILED_AFTER ? TUNNEL_FAILED :
	    TUNNEL_BACKOFF;
	log_warnx("worker %s (pid %d) %s after %.1fs; restarting in %.0fs%s",
	    t->tc->name, (int)cw->rpid, why, lived, t->backoff,
	    t->state == TUNNEL_FAILED ? " (tunnel marked failed)" : "");
	ev_timer_set(&t->restart_w, t->backoff, 0.);
	ev_timer_start(loop, &t->restart_w);
	t->backoff = t->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : t->backoff * 2;
}

/* The back-off has passed. */
static void
supervisor_restart_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct tunnel_rt	*t = tw->data;

	(void)loop;
	(void)revents;
	t->restarts++;
	supervisor_spawn(t);
}

/* Fork the worker of ${t}. */
static void
supervisor_spawn(struct tunnel_rt *t)
{
	struct supervisor	*sv = t->sv;
	int			 sp[2];
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		log_warn("worker %s: socketpair", t->tc->name);
		goto retry;
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("worker %s: fork", t->tc->name);
		close(sp[0]);
		close(sp[1]);
		goto retry;
	case 0:
		close(sp[0]);
		supervisor_forget(sv, t);
		_exit(worker_run(sv->conf, t->tc, t->listen_fd, sp[1]));
	default:
		break;
	}
	close(sp[1]);
	t->ipc_fd = sp[0];
	t->pid = pid;
	t->started = ev_now(sv->loop);
	if (t->state != TUNNEL_FAILED)
		t->state = TUNNEL_RUNNING;
	ev_child_set(&t->child_w, pid, 0);
	ev_child_start(sv->loop, &t->child_w);
	log_info("worker %s started, pid %d", t->tc->name, (int)pid);
	return;

retry:
	ev_timer_set(&t->restart_w, t->backoff, 0.);
	ev_timer_start(sv->loop, &t->restart_w);
}

/* Stop: workers close their listeners and drain; we wait for them. */
static void
supervisor_stop(struct supervisor *sv)
{
	size_t	 i;

	if (sv->stopping)
		return;
	sv->stopping = 1;
	log_info("stopping");
	for (i = 0; i < sv->nt; i++) {
		struct tunnel_rt *t = &sv->t[i];

		ev_timer_stop(sv->loop, &t->restart_w);
		if (t->listen_fd >= 0) {
			close(t->listen_fd);
			t->listen_fd = -1;
		}
		if (t->pid > 0)
			kill(t->pid, SIGTERM);
		else
			t->state = TUNNEL_STOPPED;
	}
	/* workers give up at shutdown_timeout; this is the backstop */
	ev_timer_set(&sv->kill_timer, sv->conf->shutdown_timeout + 2.0, 0.);
	ev_timer_start(sv->loop, &sv->kill_timer);
	supervisor_check_stopped(sv);
}

/* A worker ignored its stop: kill it. */
static void
supervisor_kill_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct supervisor	*sv = tw->data;
	size_t			 i;

	(void)loop;
	(void)revents;
	for (i = 0; i < sv->nt; i++)
		if (sv->t[i].pid > 0) {
			log_warnx("worker %s did not stop in time; killing it",
			    sv->t[i].tc->name);
			kill(sv->t[i].pid, SIGKILL);
		}
}

/* Signals, as loop events. */
static void
supervisor_signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct supervisor	*sv = s->data;
	size_t			 i;

	(void)loop;
	(void)revents;
	switch (s->signum) {
	case SIGTERM:
	case SIGINT:
		supervisor_stop(sv);
		break;
	case SIGUSR1:
		log_info("SIGUSR1: reloading certificates");
		for (i = 0; i < sv->nt; i++)
			if (sv->t[i].pid > 0)
				kill(sv->t[i].pid, SIGUSR1);
		break;
	case SIGHUP:
		log_warnx("SIGHUP: configuration reload is not supported "
		    "yet; restart the daemon to apply changes");
		break;
	}
}

/**
 * supervisor_run(conf, fds): fork the workers and run until stopped by
 * SIGTERM or SIGINT.  Return the exit status for the daemon.
 */
int
supervisor_run(const struct sd_conf *conf, int *fds)
{
	struct supervisor	 sv;
	char			 where[ADDR_STRLEN];
	size_t			 i;

	memset(&sv, 0, sizeof(sv));
	sv.loop = EV_DEFAULT;
	sv.conf = conf;
	sv.nt = conf->ntunnels;
	if ((sv.t = calloc(sv.nt, sizeof(*sv.t))) == NULL)
		fatal("calloc");
	ev_signal_init(&sv.sig_term, supervisor_signal_cb, SIGTERM);
	ev_signal_init(&sv.sig_int, supervisor_signal_cb, SIGINT);
	ev_signal_init(&sv.sig_hup, supervisor_signal_cb, SIGHUP);
	ev_signal_init(&sv.sig_usr1, supervisor_signal_cb, SIGUSR1);
	sv.sig_term.data = sv.sig_int.data = sv.sig_hup.data =
	    sv.sig_usr1.data = &sv;
	ev_signal_start(sv.loop, &sv.sig_term);
	ev_signal_start(sv.loop, &sv.sig_int);
	ev_signal_start(sv.loop, &sv.sig_hup);
	ev_signal_start(sv.loop, &sv.sig_usr1);
	ev_timer_init(&sv.kill_timer, supervisor_kill_cb, 0., 0.);
	sv.kill_timer.data = &sv;

	for (i = 0; i < sv.nt; i++) {
		struct tunnel_rt *t = &sv.t[i];

		t->sv = &sv;
		t->tc = &conf->tunnels[i];
		t->listen_fd = fds[i];
		t->ipc_fd = -1;
		t->backoff = BACKOFF_FIRST;
		ev_child_init(&t->child_w, supervisor_child_cb, 0, 0);
		t->child_w.data = t;
		ev_timer_init(&t->restart_w, supervisor_restart_cb, 0., 0.);
		t->restart_w.data = t;
		if (t->tc->mode == TUNNEL_SOCKS)
			log_info("tunnel %s: socks on %s, %zu route%s%s",
			    t->tc->name, addr_format_hp(&t->tc->listen, where,
			    sizeof(where)), t->tc->nroutes,
			    t->tc->nroutes == 1 ? "" : "s",
			    t->tc->nroutes == 0 ?
			    " (peers must prove the destination)" : "");
		else {
			char	 to[ADDR_STRLEN];

			log_info("tunnel %s: tls on %s -> %s, %zu allow "
			    "entr%s", t->tc->name, addr_format_hp(&t->tc->listen,
			    where, sizeof(where)), addr_format_hp(&t->tc->connect,
			    to, sizeof(to)), t->tc->nallow,
			    t->tc->nallow == 1 ? "y" : "ies");
		}
		supervisor_spawn(t);
	}
	ev_run(sv.loop, 0);

	log_info("stopped");
	free(sv.t);
	return (0);
}
