/*
 * dial.h: open one outbound TCP connection without blocking the loop:
 * resolve the name (resolve.h), try each address in turn with a
 * non-blocking connect, from a given loopback source if asked, and report
 * the connected socket or, on failure, the SOCKS reply (RFC 1928) that
 * fits and why in words.  Used by conn.c for both tunnel modes.
 */
#ifndef DIAL_H
#define DIAL_H

#include <netinet/in.h>

#include <stdint.h>

#include "stunneld.h"

struct dial;
struct ev_loop;
struct log_limit;
struct resolver;

enum dial_status {
	DIAL_CONNECTING,	/* the name resolved; connecting to it */
	DIAL_CONNECTED,		/* ${fd} is the caller's */
	DIAL_FAILED		/* ${rep} and ${why} say so */
};

/*
 * After DIAL_CONNECTED or DIAL_FAILED the dial is over and freed: do not
 * cancel it.  ${why} is valid during the call only.
 */
typedef void dial_cb(void *cookie, enum dial_status st, int fd, uint8_t rep,
    const char *why);

/**
 * dial_start(loop, resolver, to, source, mark, mark_required, log_source,
 * who, cb, cookie): connect to ${to} (a name is looked up with
 * ${resolver}), reporting to ${cb}(${cookie}, ...) in ${loop}, never
 * before dial_start() returns.  Each socket gets SO_MARK ${mark} (0:
 * none); one that cannot be marked fails the dial if ${mark_required},
 * else only when the reason is not a missing privilege.
 * With ${source} not NULL and of family AF_INET, an IPv4 loopback address
 * is connected to from ${source} (any port); if that cannot be had it
 * goes on from the default address and logs once through ${log_source},
 * naming ${who}.  Return the dial, or NULL if out of memory.
 */
struct dial	*dial_start(struct ev_loop *loop, struct resolver *resolver,
		    const struct hostport *to, const struct sockaddr_in *source,
		    uint32_t mark, int mark_required,
		    struct log_limit *log_source, const char *who, dial_cb *cb,
		    void *cookie);

/** dial_cancel(d): stop ${d} and free it: its callback is not called again.  NULL is a no-op. */
void		 dial_cancel(struct dial *d);

#endif /* !DIAL_H */
