/*
 * dial.c: resolve, then try each address until one connects.  The socket
 * is the dial's until it connects; then it is handed to the caller and
 * the dial frees itself.  Failures found while starting (a numeric
 * address refused at once, no memory for the lookup) are delivered from
 * the loop like the others, so the caller never hears back before
 * dial_start() has returned its handle.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "dial.h"
#include "log.h"
#include "resolve.h"
#include "socks5.h"

struct dial {
	struct ev_loop		*loop;
	struct resolve_req	*rq;		/* the lookup running, or NULL */
	struct addrinfo		*ai_list, *ai_next;	/* NULL: numeric */
	struct hostport		 to;
	struct sockaddr_in	 source;	/* family 0: the default */
	uint32_t		 mark;		/* SO_MARK, 0: none */
	int			 mark_required;
	struct log_limit	*log_source;
	char			 who[ADDR_STRLEN];
	int			 fd;		/* the address being tried */
	ev_io			 w;		/* fd writable: connect ended */
	int			 starting;	/* in dial_start() */
	int			 failed;	/* reported from the loop: */
	uint8_t			 rep;
	char			 why[256];
	dial_cb			*cb;
	void			*cookie;
};

static int	dial_next(struct dial *, int);

/* Map a connect errno to the SOCKS reply RFC 1928 has for it. */
static uint8_t
dial_errno_rep(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return (SOCKS5_REP_CONN_REFUSED);
	case ENETUNREACH:
		return (SOCKS5_REP_NET_UNREACHABLE);
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		return (SOCKS5_REP_HOST_UNREACHABLE);
	case ETIMEDOUT:
		return (SOCKS5_REP_TTL_EXPIRED);
	default:
		return (SOCKS5_REP_GENERAL_FAILURE);
	}
}

/* Close the socket being tried, if any. */
static void
dial_close_fd(struct dial *d)
{
	ev_io_stop(d->loop, &d->w);
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}

/* The dial is over: free it, then report ${st} (the caller may free all). */
static void
dial_end(struct dial *d, enum dial_status st, int fd, uint8_t rep,
    const char *why)
{
	dial_cb		*cb = d->cb;
	void		*cookie = d->cookie;
	char		 buf[sizeof(d->why)];

	snprintf(buf, sizeof(buf), "%s", why != NULL ? why : "");
	if (st == DIAL_CONNECTED)
		d->fd = -1;		/* the caller's now */
	dial_cancel(d);
	cb(cookie, st, fd, rep, buf);
}

/* No address connects: report ${rep} and ${why}, from the loop. */
static void
dial_fail(struct dial *d, uint8_t rep, const char *why)
{
	dial_close_fd(d);
	if (!d->starting) {
		dial_end(d, DIAL_FAILED, -1, rep, why);
		return;
	}
	d->failed = 1;
	d->rep = rep;
	snprintf(d->why, sizeof(d->why), "%s", why);
	/* a watcher need not be started to be fed */
	ev_feed_event(d->loop, &d->w, EV_CUSTOM);
}

/* The socket being tried is writable (or a failure is due). */
static void
dial_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dial	*d = w->data;
	int		 err = 0;
	socklen_t	 len = sizeof(err);

	(void)loop;
	(void)revents;
	if (d->failed) {
		dial_end(d, DIAL_FAILED, -1, d->rep, d->why);
		return;
	}
	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		dial_next(d, err);
		return;
	}
	dial_end(d, DIAL_CONNECTED, d->fd, 0, NULL);
}

/*
 * A peer's connection to a loopback target comes from its own loopback
 * address (addr_loopback_for()): a node such as multichaind that tells
 * peers apart by address:port would otherwise see every peer as
 * 127.0.0.1 and drop all but one as duplicates.  If that address cannot
 * be had, the connection goes on from the default one.
 */
static void
dial_bind_source(struct dial *d, const struct sockaddr *to)
{
	const struct sockaddr_in *to4 = (const struct sockaddr_in *)to;
	int	 one = 1;

	if (d->source.sin_family != AF_INET || to->sa_family != AF_INET ||
	    (ntohl(to4->sin_addr.s_addr) >> 24) != 127)
		return;
	/* the port is chosen at connect(), per destination: no shortage */
	(void)setsockopt(d->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	if (bind(d->fd, (const struct sockaddr *)&d->source,
	    sizeof(d->source)) != 0)
		log_limited(d->log_source, LOG_WARNING, errno,
		    "%s: cannot connect from its loopback address %s", d->who,
		    inet_ntoa(d->source.sin_addr));
}

/*
 * Mark the socket being tried (SO_MARK), so that the NAT rules of a
 * redirect tunnel leave stunneld's own connections alone.  Return 0, or
 * -1 if it cannot be marked and must not be used unmarked (it would be
 * redirected back to stunneld).  Without CAP_NET_ADMIN the mark cannot
 * be set: a configuration with no redirect tunnel needs none, and goes
 * on unmarked.
 */
static int
dial_mark(struct dial *d)
{
	if (d->mark == 0 || setsockopt(d->fd, SOL_SOCKET, SO_MARK, &d->mark,
	    sizeof(d->mark)) == 0)
		return (0);
	if (!d->mark_required && errno == EPERM)
		return (0);
	return (-1);
}

/*
 * The next address to try into ${ss}/${sslen} (or ${sa}): 0, or -1 with
 * none left.  A numeric destination has one address, tried once.
 */
static int
dial_addr(struct dial *d, struct sockaddr_storage *ss, socklen_t *sslen,
    const struct sockaddr **sa)
{
	if (d->ai_list == NULL) {
		if (addr_numeric(d->to.host, d->to.port, ss, sslen) != 0)
			return (-1);
		*sa = (const struct sockaddr *)ss;
		return (0);
	}
	if (d->ai_next == NULL)
		return (-1);
	*sa = d->ai_next->ai_addr;
	*sslen = d->ai_next->ai_addrlen;
	d->ai_next = d->ai_next->ai_next;
	return (0);
}

/*
 * Try the next address; ${last_err} is why the previous one failed.
 * Return 0 while trying, or -1 if the dial has ended (and may be freed).
 */
static int
dial_next(struct dial *d, int last_err)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const struct sockaddr	*sa;

	for (;;) {
		dial_close_fd(d);
		/* a numeric destination has had its one try */
		if (d->ai_list == NULL && last_err != 0)
			break;
		if (dial_addr(d, &ss, &sslen, &sa) != 0) {
			if (d->ai_list == NULL) {
				dial_fail(d, SOCKS5_REP_HOST_UNREACHABLE,
				    "not an address");
				return (-1);
			}
			break;
		}
		d->fd = socket(sa->sa_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (d->fd < 0) {
			last_err = errno;
			continue;
		}
		if (dial_mark(d) != 0) {
			char	 why[128];

			snprintf(why, sizeof(why), "cannot set SO_MARK 0x%x "
			    "(stunneld needs CAP_NET_ADMIN): %s", d->mark,
			    strerror(errno));
			dial_fail(d, SOCKS5_REP_GENERAL_FAILURE, why);
			return (-1);
		}
		dial_bind_source(d, sa);
		/* connected at once or not, the loop reports it writable */
		if (connect(d->fd, sa, sslen) == 0 || errno == EINPROGRESS) {
			ev_io_set(&d->w, d->fd, EV_WRITE);
			ev_io_start(d->loop, &d->w);
			return (0);
		}
		last_err = errno;
	}
	dial_fail(d, dial_errno_rep(last_err), strerror(last_err));
	return (-1);
}

/* Name resolution finished (in loop context). */
static void
dial_resolved(void *arg, int gai_err, struct addrinfo *res)
{
	struct dial	*d = arg;
	dial_cb		*cb = d->cb;
	void		*cookie = d->cookie;

	d->rq = NULL;
	if (gai_err != 0) {
		dial_fail(d, SOCKS5_REP_HOST_UNREACHABLE,
		    gai_strerror(gai_err));
		return;
	}
	d->ai_list = d->ai_next = res;
	if (dial_next(d, EHOSTUNREACH) == 0)
		cb(cookie, DIAL_CONNECTING, -1, 0, NULL);
}

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
struct dial *
dial_start(struct ev_loop *loop, struct resolver *resolver,
    const struct hostport *to, const struct sockaddr_in *source,
    uint32_t mark, int mark_required, struct log_limit *log_source,
    const char *who, dial_cb *cb, void *cookie)
{
	struct dial	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	d->loop = loop;
	d->to = *to;
	if (source != NULL)
		d->source = *source;
	d->mark = mark;
	d->mark_required = mark_required;
	d->log_source = log_source;
	snprintf(d->who, sizeof(d->who), "%s", who);
	d->fd = -1;
	d->cb = cb;
	d->cookie = cookie;
	ev_io_init(&d->w, dial_io_cb, -1, EV_WRITE);
	d->w.data = d;
	d->starting = 1;
	if (addr_is_numeric(to->host))
		(void)dial_next(d, 0);
	else if ((d->rq = resolve_start(resolver, to->host, to->port,
	    dial_resolved, d)) == NULL)
		dial_fail(d, SOCKS5_REP_GENERAL_FAILURE,
		    "cannot start name resolution");
	d->starting = 0;
	return (d);
}

/** dial_cancel(d): stop ${d} and free it: its callback is not called again.  NULL is a no-op. */
void
dial_cancel(struct dial *d)
{
	if (d == NULL)
		return;
	/* stop even an inactive watcher: that also clears a fed event */
	ev_io_stop(d->loop, &d->w);
	if (d->fd >= 0)
		close(d->fd);
	if (d->rq != NULL)
		resolve_cancel(d->rq);
	if (d->ai_list != NULL)
		freeaddrinfo(d->ai_list);
	free(d);
}
