/*
 * control.h: the control socket (stunnelctl's side of the daemon) and the
 * requests it serves, fanned out to the workers over their channels.  A
 * worker that does not answer in time is reported as stale; it never
 * holds up a reply.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <sys/types.h>

#include "proto.h"

struct control;
struct supervisor;
struct tunnel_rt;

/**
 * control_open(path, uid, gid, err, errlen): create the UNIX socket at
 * ${path}, mode 0600, owned by ${uid}:${gid} (-1: leave as is), replacing
 * a stale one but not a live one.  Return the control object (not yet
 * attached to a loop), or NULL with the reason in ${err}.
 */
struct control	*control_open(const char *path, uid_t uid, gid_t gid,
		    char *err, size_t errlen);

/** control_start(ctl, sv): serve requests on the loop of ${sv}. */
void		 control_start(struct control *ctl, struct supervisor *sv);

/**
 * control_close(ctl): drop every client, write the log lines the rate
 * limit still holds, close and unlink the socket; NULL is a no-op.
 */
void		 control_close(struct control *ctl);

/**
 * control_forget(ctl): in a forked child: close our fds without touching
 * the socket file, and drop the held log lines (the parent writes them).
 */
void		 control_forget(struct control *ctl);

/** control_worker_frame(ctl, t, hdr, payload): a frame from ${t}'s worker. */
void		 control_worker_frame(struct control *ctl, struct tunnel_rt *t,
		    const struct proto_hdr *hdr, const uint8_t *payload);

/** control_worker_gone(ctl, t): ${t}'s worker ended; its answers will not come. */
void		 control_worker_gone(struct control *ctl, struct tunnel_rt *t);

/**
 * control_reload_certs(ctl, name): SIGUSR1, SIGHUP, or a changed file:
 * reload the certificates of tunnel ${name} ("": every tunnel) in its
 * workers and log the outcome.
 */
void		 control_reload_certs(struct control *ctl, const char *name);

#endif /* !CONTROL_H */
