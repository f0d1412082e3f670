/*
 * resolve.h: name resolution off the event loop.  getaddrinfo() runs in
 * helper threads; results come back to the loop through an ev_async, so
 * the loop never blocks on DNS.
 */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <netdb.h>
#include <stdint.h>

#include <ev.h>

struct resolver;
struct resolve_req;

/* Called in the loop; ${res} belongs to the callee (freeaddrinfo). */
typedef void resolve_cb(void *arg, int gai_err, struct addrinfo *res);

/** resolve_new(loop): a resolver delivering results in ${loop}; threads start on first use. */
struct resolver		*resolve_new(struct ev_loop *loop);

/**
 * resolve_start(r, host, port, cb, arg): look up ${host} (TCP, any
 * family) and call ${cb}(${arg}, err, res) later in the loop, unless
 * cancelled first.  Return the request, or NULL if out of memory.
 */
struct resolve_req	*resolve_start(struct resolver *r, const char *host,
			    uint16_t port, resolve_cb *cb, void *arg);

/** resolve_cancel(req): the callback of ${req} will not be called. */
void			 resolve_cancel(struct resolve_req *req);

/**
 * resolve_free(r): stop ${r}; no callback of it is called again and its
 * requests are freed (cancelled or not).  A helper thread busy in
 * getaddrinfo() finishes its lookup first, and the last one to end frees
 * the rest.  NULL is a no-op.
 */
void			 resolve_free(struct resolver *r);

#endif /* !RESOLVE_H */
