/*
 * conf.h: the libconfig file turned into a struct sd_conf.  All
 * validation happens here; no socket is opened and no TLS object made.
 */
#ifndef CONF_H
#define CONF_H

#include <stdio.h>

#include "stunneld.h"

/**
 * conf_load(path, errfp): read and validate ${path}.  Every problem is
 * written to ${errfp} as one "FILE:LINE: message" line.  Return a new
 * configuration, or NULL if there was any problem.
 */
struct sd_conf	*conf_load(const char *path, FILE *errfp);

/**
 * conf_free(conf): free ${conf} and everything it owns; NULL is a no-op.
 */
void		 conf_free(struct sd_conf *conf);

/**
 * conf_find_tunnel(conf, name): the tunnel called ${name}, or NULL.
 */
struct tunnel_conf *conf_find_tunnel(struct sd_conf *conf, const char *name);

/**
 * conf_redirect_tunnel(conf): the first redirect tunnel of ${conf}, or
 * NULL if it has none (then SO_MARK is a courtesy, not a need).
 */
const struct tunnel_conf *conf_redirect_tunnel(const struct sd_conf *conf);

/**
 * conf_tunnel_equal(a, b): 1 if tunnels ${a} and ${b} are defined
 * alike in every setting a worker uses (config lines aside), so a reload
 * can leave the running one alone.
 */
int		 conf_tunnel_equal(const struct tunnel_conf *a,
		    const struct tunnel_conf *b);

#endif /* !CONF_H */
