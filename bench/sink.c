/*
 * sink: the far end of every bench path.  One thread, epoll, libc only.
 *
 *	sink -l HOST:PORT
 *
 * The first byte a client sends picks what the connection is:
 *	'S'	source: the sink sends the pattern (bench.h) from offset 0
 *		as fast as the path takes it, until the client goes away;
 *		anything the client sends after 'S' is read and dropped
 *	other	echo: that byte and everything after it is sent back
 * On EOF from the client the sink closes once its echo buffer is empty.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4 */
#endif
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "bench.h"

#define ECHO_BUF	65536

struct sconn {
	int		 fd;
	int		 mode;		/* 0 unknown, 'S' source, 'E' echo */
	uint64_t	 off;		/* source: bytes sent */
	size_t		 len, pos;	/* echo: buffered bytes, sent of them */
	int		 eof;
	uint8_t		 buf[ECHO_BUF];
};

static int	 ep;

static void
sc_close(struct sconn *c)
{
	close(c->fd);
	free(c);
}

static void
sc_want(struct sconn *c, uint32_t ev)
{
	struct epoll_event	 e;

	e.events = ev;
	e.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* Source: write until the socket is full.  0 keep, -1 close. */
static int
sc_source(struct sconn *c)
{
	ssize_t	 n;
	size_t	 o;

	for (;;) {
		o = (size_t)(c->off % PAT_PERIOD);
		n = write(c->fd, pat + o, PAT_CHUNK);
		if (n > 0) {
			c->off += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		if (n < 0 && errno == EINTR)
			continue;
		return (-1);
	}
}

/* Echo: flush the buffer, then read more.  0 keep, -1 close. */
static int
sc_echo(struct sconn *c)
{
	ssize_t	 n;

	for (;;) {
		while (c->pos < c->len) {
			n = write(c->fd, c->buf + c->pos, c->len - c->pos);
			if (n > 0) {
				c->pos += (size_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				sc_want(c, EPOLLOUT);
				return (0);
			}
			if (n < 0 && errno == EINTR)
				continue;
			return (-1);
		}
		c->pos = c->len = 0;
		if (c->eof)
			return (-1);
		n = read(c->fd, c->buf, sizeof(c->buf));
		if (n > 0) {
			c->len = (size_t)n;
			continue;
		}
		if (n == 0) {
			c->eof = 1;
			return (-1);
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			sc_want(c, EPOLLIN | EPOLLRDHUP);
			return (0);
		}
		if (errno == EINTR)
			continue;
		return (-1);
	}
}

static int
sc_event(struct sconn *c, uint32_t ev)
{
	uint8_t	 drop[4096];
	ssize_t	 n;

	if (c->mode == 0) {
		n = read(c->fd, c->buf, sizeof(c->buf));
		if (n == 0)
			return (-1);
		if (n < 0)
			return ((errno == EAGAIN || errno == EINTR) ? 0 : -1);
		if (c->buf[0] == 'S') {
			c->mode = 'S';
			sc_want(c, EPOLLIN | EPOLLOUT);
			return (sc_source(c));
		}
		c->mode = 'E';
		c->len = (size_t)n;
		c->pos = 0;
		return (sc_echo(c));
	}
	if (c->mode == 'S') {
		if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
			n = read(c->fd, drop, sizeof(drop));
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR))
				return (-1);
		}
		return (sc_source(c));
	}
	return (sc_echo(c));
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct epoll_event	 e, evs[256];
	struct sconn		*c;
	int			 lfd, fd, one = 1, n, i;

	if (argc != 3 || strcmp(argv[1], "-l") != 0 ||
	    parse_addr(argv[2], &ss, &sl, NULL, NULL) != 0) {
		fprintf(stderr, "usage: sink -l HOST:PORT\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	pat_init();
	if ((lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(lfd, 4096) < 0) {
		perror("sink: listen");
		return (1);
	}
	if ((ep = epoll_create1(0)) < 0) {
		perror("sink: epoll_create1");
		return (1);
	}
	e.events = EPOLLIN;
	e.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("sink: epoll_wait");
			return (1);
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					if ((c = calloc(1, sizeof(*c))) == NULL) {
						close(fd);
						continue;
					}
					c->fd = fd;
					e.events = EPOLLIN | EPOLLRDHUP;
					e.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
				}
				continue;
			}
			c = evs[i].data.ptr;
			if (sc_event(c, evs[i].events) < 0)
				sc_close(c);
		}
	}
}
