/*
 * metrics_http.h: metrics_listen, the supervisor's HTTP endpoint for
 * orchestrators: GET /metrics (the Prometheus text of "stunnelctl
 * metrics") and GET /healthz (200 or 503 with the text of "stunnelctl
 * check").  It lives on the supervisor's loop, never blocks it, and
 * bounds what a client may cost: METRICS_HTTP_CLIENTS at once, a request
 * head of HTTP_REQUEST_MAX bytes sent within a few seconds, one request
 * per connection.
 */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

#include <stddef.h>

#include <ev.h>

#include "stunneld.h"

#define METRICS_HTTP_CLIENTS	8	/* at once; then the idlest goes */

struct control;
struct metrics_http;

/**
 * metrics_http_open(hp, err, errlen): bind and listen on ${hp}, before
 * privileges are dropped, as the tunnels' listeners are.  Return the
 * server (not yet on a loop), or NULL with the reason in ${err}.
 */
struct metrics_http	*metrics_http_open(const struct hostport *hp,
			    char *err, size_t errlen);

/**
 * metrics_http_start(mh, loop, ctl): serve on ${loop}, asking ${ctl}'s
 * workers for what to answer.
 */
void	metrics_http_start(struct metrics_http *mh, struct ev_loop *loop,
	    struct control *ctl);

/**
 * metrics_http_free(mh): close the listener and every client, without a
 * word to them (a forked worker calls it too, and must not touch what it
 * shares with its parent); NULL is a no-op.
 */
void	metrics_http_free(struct metrics_http *mh);

#endif /* !METRICS_HTTP_H */
