/*
 * supervisor.h: the parent process.  It binds every listener, keeps one
 * worker per tunnel alive (restarting with back-off), answers the control
 * socket (control.c) and turns signals into stops and reloads.
 */
#ifndef SUPERVISOR_H
#define SUPERVISOR_H

#include <sys/types.h>

#include <stdio.h>

#include <ev.h>

#include "creds.h"
#include "proto.h"
#include "stunneld.h"

struct control;
struct ipc;
struct watch;

enum tunnel_state {
	TUNNEL_RUNNING,
	TUNNEL_BACKOFF,		/* waiting to restart */
	TUNNEL_FAILED,		/* keeps dying; still retried at the longest back-off */
	TUNNEL_STOPPING,	/* removed or replaced by a reload, or daemon stopping */
	TUNNEL_STOPPED
};

/* One worker of a tunnel as the supervisor runs it (a tunnel with
 * "workers = N" has N of these, next to each other in the list). */
struct tunnel_rt {
	struct tunnel_rt		*next;
	struct supervisor		*sv;
	const struct tunnel_conf	*tc;	/* NULL once retired by a reload */
	char				 name[PROTO_NAME_MAX];
	char				 tag[PROTO_NAME_MAX + 8];	/* "name", or "name#2" of several */
	unsigned int			 worker;	/* 0 .. tc->workers - 1 */
	uint8_t				 ticket_key[CREDS_TICKET_KEY_LEN];	/* the tunnel's */
	struct room			*room;	/* the tunnel's, with several workers */
	enum tunnel_state		 state;
	int				 listen_fd;
	struct ipc			*ipc;	/* the worker's channel; NULL without worker */
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
	struct sd_conf		*conf;		/* the configuration in force */
	const char		*conf_path;
	int			 verbose;	/* -v count, on top of log_level */
	struct tunnel_rt	*tunnels;	/* in configuration order */
	struct tunnel_rt	*retiring;	/* workers draining after a reload */
	struct control		*control;
	struct watch		*watch;		/* reload_on_change */
	int			 stopping;
	ev_signal		 sig_term, sig_int, sig_hup, sig_usr1;
	ev_timer		 kill_timer;
};

/** supervisor_nworkers(conf): how many workers (and listeners) ${conf} has in all. */
size_t	supervisor_nworkers(const struct sd_conf *conf);

/**
 * supervisor_listen(conf, fds, errfp): bind and listen on every tunnel's
 * address, one socket per worker, in tunnel order, into ${fds}
 * (supervisor_nworkers() entries).  Report failures to ${errfp} as
 * "FILE:LINE: message" and return -1 (closing what was opened), or 0.
 */
int	supervisor_listen(const struct sd_conf *conf, int *fds, FILE *errfp);

/**
 * supervisor_run(confp, path, verbose, fds, control): fork the workers and
 * run until stopped.  The supervisor owns *${confp} and replaces it on
 * reload; ${control} (may be NULL) is the open control socket.  Return
 * the exit status for the daemon.
 */
int	supervisor_run(struct sd_conf **confp, const char *path, int verbose,
	    int *fds, struct control *control);

/**
 * supervisor_reload(sv, msg, msglen): re-read the configuration file and
 * apply it: add, remove and restart tunnels whose definition changed,
 * and pass log_level and shutdown_timeout to the workers kept running.
 * On an invalid file, or when what it needs cannot be made, change
 * nothing.  Return 0 or -1, with what happened (or the FILE:LINE
 * problems) in ${msg}.
 */
int	supervisor_reload(struct supervisor *sv, char *msg, size_t msglen);

/** supervisor_stop(sv): close every listener and let the workers drain. */
void	supervisor_stop(struct supervisor *sv);

/** supervisor_state_name(t): "running", "restarting", "failed", ... */
const char *supervisor_state_name(const struct tunnel_rt *t);

/** supervisor_find(sv, name): the first worker of the live tunnel ${name}, or NULL. */
struct tunnel_rt *supervisor_find(struct supervisor *sv, const char *name);

#endif /* !SUPERVISOR_H */
