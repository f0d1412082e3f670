/*
 * echo-server: the far target of the integration tests.  A poll(2) loop,
 * non-blocking sockets, any number of clients.  libc only.
 *
 *	echo-server [-l HOST:PORT] [--http] [--after-eof N] [--count-file F]
 *	    [--no-accept | --silent] [--pidfile F]
 *	echo-server --gen N
 *
 * Default: echo every byte back.  When the client shuts down its writing
 * side, everything still queued is flushed, then --after-eof N more bytes
 * of the test pattern (continuing at the offset where the echo stopped),
 * then the connection is closed.
 *
 * --http: one HTTP/1.1 request per connection.  POST answers 200 with the
 * request body (Content-Length both ways; "Expect: 100-continue" is
 * honoured); GET /N answers N bytes of the pattern from offset 0.
 *
 * --count-file F: append one line per accepted connection to F (created
 * empty at start), so a test can prove the target never saw a connection.
 *
 * --no-accept: listen with backlog 0, fill that backlog with our own
 * connections and never accept: a further connect(2) to the address gets
 * no SYN-ACK and hangs until the caller's own timeout.  Exits 1 if the
 * kernel does not behave that way.
 *
 * --silent: accept, read and discard, never write (a TCP service that
 * never answers a TLS ClientHello).
 *
 * --gen N: write N pattern bytes to stdout and exit (to make the expected
 * output of a test).
 *
 * "listening HOST:PORT" is printed on stdout, and the pid file written,
 * once the socket is bound.  SIGTERM ends the process.
 *
 * The pattern: byte i of a stream is byte (i % 8) of splitmix64(i / 8)
 * (pattern_byte() in common.c).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common.h"

#define MAX_CONNS	1024
#define IO_CHUNK	65536
#define OUT_HIGH	(256 * 1024)	/* stop reading above this much queued */
#define HDR_MAX		16384
#define BODY_MAX	((uint64_t)1 << 30)

enum conn_kind {
	K_ECHO,
	K_HTTP,
	K_SILENT
};

enum http_state {
	H_HEADERS,
	H_BODY,
	H_RESPOND
};

struct conn {
	int		 fd;
	enum conn_kind	 kind;
	int		 rd_eof;	/* the client shut down writing */
	int		 closing;	/* no more output will be queued */
	uint64_t	 nin;		/* bytes read */
	char		*out;		/* queued output: out[outoff..outlen) */
	size_t		 outoff, outlen, outcap;
	uint64_t	 gen_left;	/* pattern bytes still to generate */
	uint64_t	 gen_off;	/* stream offset of the next one */
	/* --http */
	enum http_state	 hstate;
	char		 hdr[HDR_MAX + 1];
	size_t		 hdrlen;
	char		*body;
	uint64_t	 bodylen, bodygot;
};

static struct conn	*conns[MAX_CONNS];
static size_t		 nconns;
static uint64_t		 after_eof;
static const char	*count_file;

/* Fill ${buf} with ${n} pattern bytes starting at stream offset ${off}. */
static void
pattern_fill(uint8_t *buf, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = pattern_byte(off + i);
}

/* Make ${fd} non-blocking. */
static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		die("fcntl");
}

/* Bind and listen on ${spec}; store the address in ${ss}. */
static int
open_listener(const char *spec, int backlog, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	char host[256], port[32];
	struct addrinfo hints, *res;
	int fd, one = 1, rc;

	split_hostport(spec, host, sizeof(host), port, sizeof(port));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "echo-server: %s: %s\n", spec, gai_strerror(rc));
		exit(1);
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		die("setsockopt");
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		die("bind");
	if (listen(fd, backlog) == -1)
		die("listen");
	freeaddrinfo(res);
	*sslen = sizeof(*ss);
	if (getsockname(fd, (struct sockaddr *)ss, sslen) == -1)
		die("getsockname");
	return (fd);
}

/* Format ${sa} as HOST:PORT or [HOST]:PORT. */
static void
addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(s4->sin_port));
	}
}

/*
 * Fill the accept queue of the listener at ${ss} (backlog 0) with our own
 * connections until one connect(2) stays pending; keep them open forever.
 */
static void
fill_backlog(const struct sockaddr_storage *ss, socklen_t sslen)
{
	int i, fd, err;
	socklen_t elen;
	struct pollfd pfd;

	for (i = 0; i < 16; i++) {
		if ((fd = socket(ss->ss_family, SOCK_STREAM, 0)) == -1)
			die("socket");
		set_nonblock(fd);
		if (connect(fd, (const struct sockaddr *)ss, sslen) == 0)
			continue;	/* queued; keep fd open */
		if (errno != EINPROGRESS)
			die("connect to self");
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 500) == 0) {
			/* This one hangs: the queue is full. */
			close(fd);
			return;
		}
		elen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 ||
		    err != 0)
			diex("connect to self failed");
		/* Established and queued; keep it. */
	}
	diex("--no-accept: the accept queue never filled up");
}

/* Append ${n} bytes to the output queue of ${c}. */
static void
out_append(struct conn *c, const void *p, size_t n)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n > c->outcap) {
		if (c->outoff > 0) {
			memmove(c->out, c->out + c->outoff,
			    c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		if (c->outlen + n > c->outcap) {
			size_t ncap = c->outcap ? c->outcap : IO_CHUNK;

			while (ncap < c->outlen + n)
				ncap *= 2;
			if ((c->out = realloc(c->out, ncap)) == NULL)
				die("realloc");
			c->outcap = ncap;
		}
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

/* Close and free ${c}, slot ${i}. */
static void
conn_free(size_t i)
{
	struct conn *c = conns[i];

	close(c->fd);
	free(c->out);
	free(c->body);
	free(c);
	conns[i] = conns[--nconns];
}

/* Record an accepted connection in the count file. */
static void
count_conn(const struct sockaddr *sa)
{
	char line[128], a[80];
	int fd;

	if (count_file == NULL)
		return;
	addr_str(sa, a, sizeof(a));
	snprintf(line, sizeof(line), "accepted %s\n", a);
	if ((fd = open(count_file, O_WRONLY | O_APPEND | O_CREAT, 0644)) == -1)
		die(count_file);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		die("write count file");
	close(fd);
}

/* Case-insensitive search of header ${name} in ${hdr}; its value or NULL. */
static const char *
http_header(const char *hdr, const char *name)
{
	const char *p = hdr;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return (p);
		}
	}
	return (NULL);
}

/* Queue a complete response with ${len} body bytes to follow. */
static void
http_respond_head(struct conn *c, const char *status, uint64_t len)
{
	char h[256];

	snprintf(h, sizeof(h), "HTTP/1.1 %s\r\nContent-Type: "
	    "application/octet-stream\r\nContent-Length: %llu\r\n"
	    "Connection: close\r\n\r\n", status, (unsigned long long)len);
	out_append(c, h, strlen(h));
}

/* The headers of ${c} are complete: decide what to answer. */
static void
http_headers_done(struct conn *c, size_t hdrend)
{
	char method[16], path[1024];
	const char *v;
	size_t extra = c->hdrlen - hdrend;

	c->hdr[hdrend - 2] = '\0';	/* keep the last header's "\r\n" */
	if (sscanf(c->hdr, "%15s %1023s", method, path) != 2) {
		http_respond_head(c, "400 Bad Request", 0);
		c->closing = 1;
		return;
	}
	if (strcmp(method, "GET") == 0 && path[0] == '/' &&
	    isdigit((unsigned char)path[1])) {
		c->gen_left = parse_num(path + 1);
		c->gen_off = 0;
		http_respond_head(c, "200 OK", c->gen_left);
		c->hstate = H_RESPOND;
		c->closing = 1;
		return;
	}
	if (strcmp(method, "POST") != 0) {
		http_respond_head(c, "404 Not Found", 0);
		c->closing = 1;
		return;
	}
	if ((v = http_header(c->hdr, "Content-Length")) == NULL ||
	    !isdigit((unsigned char)*v) ||
	    (c->bodylen = strtoull(v, NULL, 10)) > BODY_MAX) {
		http_respond_head(c, "411 Length Required", 0);
		c->closing = 1;
		return;
	}
	if ((v = http_header(c->hdr, "Expect")) != NULL &&
	    strncasecmp(v, "100-continue", 12) == 0 && extra == 0) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		out_append(c, cont, sizeof(cont) - 1);
	}
	if ((c->body = malloc(c->bodylen ? c->bodylen : 1)) == NULL)
		die("malloc");
	if (extra > c->bodylen)
		extra = c->bodylen;
	memcpy(c->body, c->hdr + hdrend, extra);
	c->bodygot = extra;
	c->hstate = H_BODY;
}

/* The whole POST body of ${c} is in: queue the answer. */
static void
http_body_done(struct conn *c)
{
	http_respond_head(c, "200 OK", c->bodylen);
	out_append(c, c->body, c->bodylen);
	free(c->body);
	c->body = NULL;
	c->hstate = H_RESPOND;
	c->closing = 1;
}

/* Bytes ${buf}[0..n) arrived on ${c}. */
static void
on_data(struct conn *c, const char *buf, size_t n)
{
	char *e;

	c->nin += n;
	switch (c->kind) {
	case K_SILENT:
		return;
	case K_ECHO:
		out_append(c, buf, n);
		return;
	case K_HTTP:
		break;
	}
	if (c->hstate == H_HEADERS) {
		size_t take = HDR_MAX - c->hdrlen;

		if (n > take) {
			/* Only possible once the headers are too long. */
			http_respond_head(c, "431 Too Large", 0);
			c->closing = 1;
			c->hstate = H_RESPOND;
			return;
		}
		memcpy(c->hdr + c->hdrlen, buf, n);
		c->hdrlen += n;
		c->hdr[c->hdrlen] = '\0';
		if ((e = strstr(c->hdr, "\r\n\r\n")) != NULL)
			http_headers_done(c, (size_t)(e - c->hdr) + 4);
		else if (c->hdrlen == HDR_MAX) {
			http_respond_head(c, "431 Too Large", 0);
			c->closing = 1;
			c->hstate = H_RESPOND;
		}
		if (c->hstate == H_BODY && c->bodygot == c->bodylen)
			http_body_done(c);
		return;
	}
	if (c->hstate == H_BODY) {
		uint64_t room = c->bodylen - c->bodygot;

		if (n > room)
			n = (size_t)room;
		memcpy(c->body + c->bodygot, buf, n);
		c->bodygot += n;
		if (c->bodygot == c->bodylen)
			http_body_done(c);
	}
	/* H_RESPOND: ignore anything further. */
}

/* Whether ${c} wants to read now. */
static int
conn_wants_read(const struct conn *c)
{
	if (c->rd_eof)
		return (0);
	if (c->kind == K_ECHO && c->outlen - c->outoff >= OUT_HIGH)
		return (0);
	return (1);
}

/* Whether ${c} has output pending (queued or to generate). */
static int
conn_wants_write(const struct conn *c)
{
	return (c->outlen > c->outoff || c->gen_left > 0);
}

/* Service the read side of ${c}; return -1 if it must be dropped. */
static int
conn_read(struct conn *c)
{
	char buf[IO_CHUNK];
	ssize_t n;

	n = read(c->fd, buf, sizeof(buf));
	if (n == -1)
		return (errno == EAGAIN || errno == EINTR ? 0 : -1);
	if (n == 0) {
		c->rd_eof = 1;
		if (c->kind == K_ECHO) {
			c->gen_left = after_eof;
			c->gen_off = c->nin;
			c->closing = 1;
		} else if (c->kind == K_SILENT)
			return (-1);
		else if (c->hstate != H_RESPOND)
			return (-1);	/* request cut short */
		return (0);
	}
	on_data(c, buf, (size_t)n);
	return (0);
}

/* Service the write side of ${c}; return -1 if it must be dropped. */
static int
conn_write(struct conn *c)
{
	uint8_t gen[IO_CHUNK];
	ssize_t n;

	if (c->outlen == c->outoff && c->gen_left > 0) {
		size_t k = c->gen_left < IO_CHUNK ? (size_t)c->gen_left :
		    IO_CHUNK;

		pattern_fill(gen, k, c->gen_off);
		c->gen_off += k;
		c->gen_left -= k;
		out_append(c, gen, k);
	}
	if (c->outlen == c->outoff)
		return (0);
	n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
	if (n == -1)
		return (errno == EAGAIN || errno == EINTR ? 0 : -1);
	c->outoff += (size_t)n;
	return (0);
}

/* Accept every pending connection on ${lfd}. */
static void
accept_all(int lfd, enum conn_kind kind)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct conn *c;
	int fd, one = 1;

	for (;;) {
		sslen = sizeof(ss);
		fd = accept(lfd, (struct sockaddr *)&ss, &sslen);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE) {
				fprintf(stderr, "echo-server: out of fds\n");
				return;
			}
			die("accept");
		}
		count_conn((struct sockaddr *)&ss);
		if (nconns == MAX_CONNS) {
			fprintf(stderr, "echo-server: too many clients\n");
			close(fd);
			continue;
		}
		set_nonblock(fd);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL)
			die("calloc");
		c->fd = fd;
		c->kind = kind;
		c->hstate = H_HEADERS;
		conns[nconns++] = c;
	}
}

/* Print usage and exit 2. */
static void
usage(void)
{
	fprintf(stderr, "usage: echo-server [-l HOST:PORT] [--http] "
	    "[--after-eof N] [--count-file F]\n"
	    "           [--no-accept | --silent] [--pidfile F]\n"
	    "       echo-server --gen N\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *listen_spec = "127.0.0.1:0", *pidfile = NULL;
	enum conn_kind kind = K_ECHO;
	int no_accept = 0, lfd, i, fd;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct pollfd pfd[MAX_CONNS + 1];
	char a[80];
	size_t k;

	helper_name = "echo-server";
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "-l") == 0 && i + 1 < argc)
			listen_spec = argv[++i];
		else if (strcmp(o, "--http") == 0)
			kind = K_HTTP;
		else if (strcmp(o, "--silent") == 0)
			kind = K_SILENT;
		else if (strcmp(o, "--no-accept") == 0)
			no_accept = 1;
		else if (strcmp(o, "--after-eof") == 0 && i + 1 < argc)
			after_eof = parse_num(argv[++i]);
		else if (strcmp(o, "--count-file") == 0 && i + 1 < argc)
			count_file = argv[++i];
		else if (strcmp(o, "--pidfile") == 0 && i + 1 < argc)
			pidfile = argv[++i];
		else if (strcmp(o, "--gen") == 0 && i + 1 < argc) {
			uint64_t n = parse_num(argv[++i]), off = 0;
			uint8_t buf[IO_CHUNK];

			while (off < n) {
				k = n - off < IO_CHUNK ? (size_t)(n - off) :
				    IO_CHUNK;
				pattern_fill(buf, k, off);
				if (fwrite(buf, 1, k, stdout) != k)
					die("stdout");
				off += k;
			}
			return (fflush(stdout) == 0 ? 0 : 1);
		} else
			usage();
	}

	if (count_file != NULL) {
		if ((fd = open(count_file, O_WRONLY | O_APPEND | O_CREAT,
		    0644)) == -1)
			die(count_file);
		close(fd);
	}
	lfd = open_listener(listen_spec, no_accept ? 0 : 128, &ss, &sslen);
	if (no_accept)
		fill_backlog(&ss, sslen);
	set_nonblock(lfd);
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");

		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
		    fclose(f) != 0)
			die(pidfile);
	}
	addr_str((struct sockaddr *)&ss, a, sizeof(a));
	printf("listening %s\n", a);
	fflush(stdout);

	if (no_accept) {
		/* Never accept; wait for SIGTERM. */
		for (;;)
			pause();
	}

	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = nconns < MAX_CONNS ? POLLIN : 0;
		for (k = 0; k < nconns; k++) {
			pfd[k + 1].fd = conns[k]->fd;
			pfd[k + 1].events = (short)((conn_wants_read(conns[k]) ?
			    POLLIN : 0) | (conn_wants_write(conns[k]) ?
			    POLLOUT : 0));
			pfd[k + 1].revents = 0;
		}
		if (poll(pfd, nconns + 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* Walk backwards: conn_free() moves the last slot down. */
		for (k = nconns; k > 0; k--) {
			struct conn *c = conns[k - 1];
			short re = pfd[k].revents;
			int drop = 0;

			if (re & (POLLIN | POLLHUP | POLLERR))
				if (conn_wants_read(c) && conn_read(c) == -1)
					drop = 1;
			if (!drop && (re & (POLLOUT | POLLERR)))
				if (conn_wants_write(c) && conn_write(c) == -1)
					drop = 1;
			if (!drop && (re & POLLERR) && !conn_wants_read(c) &&
			    !conn_wants_write(c))
				drop = 1;
			if (!drop && c->closing && !conn_wants_write(c)) {
				/* All answered: end our side, then close. */
				shutdown(c->fd, SHUT_WR);
				drop = 1;
			}
			if (drop)
				conn_free(k - 1);
		}
		if (pfd[0].revents & POLLIN)
			accept_all(lfd, kind);
	}
	/* NOTREACHED */
}
