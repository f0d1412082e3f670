/*
 * worker.h: the process serving one tunnel: its listener, its event loop
 * and its connections.  Forked by the supervisor; exits when told to stop
 * and its connections have finished, or when the supervisor goes away.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stdint.h>

#include "stunneld.h"

struct room;

/**
 * worker_run(conf, tc, index, listen_fd, ipc_fd, ticket_key): serve
 * tunnel ${tc} as its worker ${index} (0 .. tc->workers - 1; worker 0
 * logs the warnings about the tunnel's CRL and before its certificate
 * expires) on ${listen_fd} in this (freshly forked) process until
 * stopped, issuing session tickets under ${ticket_key}
 * (CREDS_TICKET_KEY_LEN bytes) and telling its siblings through ${room}
 * (NULL: it has none) whether it has room; the supervisor end of ${ipc_fd}
 * closing means the supervisor died.  Return the process exit status.
 */
int	worker_run(const struct sd_conf *conf, const struct tunnel_conf *tc,
	    unsigned int index, int listen_fd, int ipc_fd,
	    const uint8_t *ticket_key, struct room *room);

#endif /* !WORKER_H */
