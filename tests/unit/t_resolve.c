/*
 * t_resolve.c: the resolver of resolve.c: a lookup's result comes back in
 * the loop, a cancelled one never calls back, and resolve_free() stops
 * the resolver whether its threads never started, wait for work, or are
 * in the middle of lookups (a sanitizer build checks what it frees).
 * Numeric hosts only: no DNS.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <ev.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "test.h"

struct got {
	struct ev_loop	*loop;
	int		 calls;
	int		 err;
	int		 family;
	uint16_t	 port;
	int		 stop_after;	/* ev_break once this many came */
};

/* A result: note it, free it. */
static void
got_cb(void *arg, int err, struct addrinfo *res)
{
	struct got	*g = arg;

	g->calls++;
	g->err = err;
	if (res != NULL) {
		g->family = res->ai_family;
		if (res->ai_family == AF_INET)
			g->port = ntohs(((struct sockaddr_in *)(void *)
			    res->ai_addr)->sin_port);
		freeaddrinfo(res);
	}
	if (g->calls >= g->stop_after)
		ev_break(g->loop, EVBREAK_ALL);
}

/* The bound of a wait for results: a lost callback fails, not hangs. */
static void
bound_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)t;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Run ${loop} until got_cb breaks it, or 30 s pass. */
static void
run_bounded(struct ev_loop *loop)
{
	ev_timer	 bound;

	ev_timer_init(&bound, bound_cb, 30., 0.);
	ev_timer_start(loop, &bound);
	ev_run(loop, 0);
	ev_timer_stop(loop, &bound);
}

/* A numeric lookup comes back in the loop; a cancelled one does not. */
static void
test_lookup(void)
{
	struct ev_loop		*loop = ev_loop_new(0);
	struct resolver		*r;
	struct resolve_req	*req;
	struct got		 g = { loop, 0, -1, 0, 0, 1 }, c = { loop, 0, -1, 0, 0, 1 };

	CHECK((r = resolve_new(loop)) != NULL);
	CHECK((req = resolve_start(r, "127.0.0.1", 7447, got_cb, &c)) != NULL);
	resolve_cancel(req);
	CHECK(resolve_start(r, "127.0.0.1", 7447, got_cb, &g) != NULL);
	run_bounded(loop);
	CHECK(g.calls == 1 && g.err == 0 && g.family == AF_INET &&
	    g.port == 7447);
	CHECK(c.calls == 0);
	resolve_free(r);
	ev_run(loop, EVRUN_NOWAIT);
	CHECK(c.calls == 0 && g.calls == 1);
	ev_loop_destroy(loop);
}

/* Freed before any thread started, and NULL. */
static void
test_free_unused(void)
{
	struct ev_loop	*loop = ev_loop_new(0);

	resolve_free(resolve_new(loop));
	resolve_free(NULL);
	/* the resolver's watcher is gone: the loop has nothing to run */
	CHECK(ev_run(loop, 0) == 0);
	ev_loop_destroy(loop);
}

/* Freed with lookups queued, running and done but not yet delivered:
 * none calls back, and the threads free what they still hold. */
static void
test_free_busy(void)
{
	struct ev_loop	*loop = ev_loop_new(0);
	struct resolver	*r;
	struct got	 g = { loop, 0, -1, 0, 0, 1 };
	int		 i, started = 0;

	CHECK((r = resolve_new(loop)) != NULL);
	for (i = 0; i < 50; i++)
		started += resolve_start(r, "::1", (uint16_t)(1000 + i),
		    got_cb, &g) != NULL;
	CHECK(started == 50);
	resolve_free(r);
	ev_run(loop, EVRUN_NOWAIT);
	CHECK(g.calls == 0);
	ev_loop_destroy(loop);
}

int
main(void)
{
	test_lookup();
	test_free_unused();
	test_free_busy();
	TEST_DONE();
}
