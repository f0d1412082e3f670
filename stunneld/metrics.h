/*
 * metrics.h: the counters of a status reply as Prometheus text, for
 * "stunnelctl metrics" and GET /metrics alike.  Pure: the records come
 * in, the text goes to the FILE * given.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "proto.h"

/* The Content-Type of what metrics_write() prints. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/**
 * metrics_write(f, t, n): print the ${n} tunnels ${t} in the Prometheus
 * text exposition format 0.0.4: each family once, with its # HELP and
 * # TYPE lines before its samples.
 */
void	metrics_write(FILE *f, const struct proto_tunnel *t, size_t n);

#endif /* !METRICS_H */
