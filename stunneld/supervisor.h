/*
 * supervisor.h: the parent process.  It binds every listener, keeps one
 * worker per tunnel alive (restarting with back-off) and turns signals
 * into stops and reloads.
 */
#ifndef SUPERVISOR_H
#define SUPERVISOR_H

#include <stdio.h>

#include "stunneld.h"

/**
 * supervisor_listen(conf, fds, errfp): bind and listen on every tunnel's
 * address, in tunnel order, into ${fds} (conf->ntunnels entries).  Report
 * failures to ${errfp} as "FILE:LINE: message" and return -1 (closing
 * what was opened), or 0.
 */
int	supervisor_listen(const struct sd_conf *conf, int *fds, FILE *errfp);

/**
 * supervisor_run(conf, fds): fork the workers and run until stopped by
 * SIGTERM or SIGINT.  Return the exit status for the daemon.
 */
int	supervisor_run(const struct sd_conf *conf, int *fds);

#endif /* !SUPERVISOR_H */
