/*
 * config.h: the libconfig file turned into a struct sd_conf.  All
 * validation happens here; no socket is opened and no TLS object made.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdio.h>

#include "stunneld.h"

/**
 * config_load(path, errfp): read and validate ${path}.  Every problem is
 * written to ${errfp} as one "FILE:LINE: message" line.  Return a new
 * configuration, or NULL if there was any problem.
 */
struct sd_conf	*config_load(const char *path, FILE *errfp);

/**
 * config_free(conf): free ${conf} and everything it owns; NULL is a no-op.
 */
void		 config_free(struct sd_conf *conf);

/**
 * config_find_tunnel(conf, name): the tunnel called ${name}, or NULL.
 */
struct tunnel_conf *config_find_tunnel(struct sd_conf *conf, const char *name);

/**
 * config_tunnel_equal(a, b): 1 if tunnels ${a} and ${b} are defined
 * alike in every setting a worker uses (config lines aside), so a reload
 * can leave the running one alone.
 */
int		 config_tunnel_equal(const struct tunnel_conf *a,
		    const struct tunnel_conf *b);

#endif /* !CONFIG_H */
