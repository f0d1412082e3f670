/*
 * socks-load: many SOCKS5 connections from one process, with a barrier
 * between opening them and using them, so that a test can look at the
 * daemon while every one of them is open, whatever the machine's speed.
 * libc only.
 *
 *	socks-load -p PROXY_HOST:PORT -d HOST:PORT -n N --go FILE
 *	    [--send-bytes SIZE] [--parallel P] [--timeout SECS]
 *
 * Phase 1: open N connections to the proxy, at most P (default 50) of
 * them still in their SOCKS exchange at a time, each sending what
 * multichaind sends (05 01 00, then CONNECT 05 01 00 03 LEN HOST PORT)
 * and reading the whole reply.  When every connection has its reply, print
 *	ready OK of N in MS ms
 * where OK counts the 0x00 replies.  Each other outcome is printed on
 * stderr (the first 10 of them).
 * Phase 2: hold every open connection, doing nothing, until FILE exists.
 * A connection that the far end closes or writes to meanwhile fails.
 * Phase 3: every connection sends SIZE (default 1 MiB) pattern bytes,
 * shuts down its writing side and reads until EOF; the echo must be the
 * same bytes.  Then print
 *	echoed MATCHED of N in MS ms
 *
 * Each phase has --timeout SECS (default 300) before the connections
 * still in it fail.  Exit 0 if all N matched, else 1.  The pattern is
 * pattern_byte() of common.c, as socks-client sends it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define IO_CHUNK	65536
#define MAX_REPORTED	10

enum load_state {
	LOAD_DIALING,		/* non-blocking connect under way */
	LOAD_GREETING,		/* greeting sent, method reply awaited */
	LOAD_REQUEST,		/* CONNECT sent, reply awaited */
	LOAD_HOLDING,		/* reply 0x00: open, idle until the go file */
	LOAD_ECHOING,		/* sending the pattern, reading the echo */
	LOAD_MATCHED,		/* echo complete and equal: closed */
	LOAD_FAILED		/* closed, reported */
};

struct load_conn {
	int		 fd;
	enum load_state	 state;
	uint8_t		 reply[4 + 1 + 255 + 2];
	size_t		 reply_len;	/* bytes of the SOCKS reply read */
	size_t		 sent;		/* pattern bytes written */
	size_t		 received;	/* pattern bytes read back and checked */
	int		 shut;		/* our writing side is shut down */
};

static struct load_conn	*conns;
static size_t		 nconns;
static const uint8_t	*pattern;	/* the SIZE bytes every link sends */
static size_t		 size = 1048576;
static uint8_t		 request[4 + 1 + 255 + 2];
static size_t		 request_len;
static struct addrinfo	*proxy;
static int		 reported;

/* Close connection ${i} as failed, saying why (the first few only). */
static void
conn_fail(size_t i, const char *why, int err)
{
	struct load_conn *c = &conns[i];

	if (reported++ < MAX_REPORTED)
		fprintf(stderr, "socks-load: connection %zu: %s%s%s\n", i, why,
		    err ? ": " : "", err ? strerror(err) : "");
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->state = LOAD_FAILED;
}

/* Start connection ${i}: a non-blocking connect to the proxy. */
static void
conn_dial(size_t i)
{
	struct load_conn *c = &conns[i];
	int one = 1;

	c->state = LOAD_DIALING;
	c->fd = socket(proxy->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		conn_fail(i, "socket", errno);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, proxy->ai_addr, proxy->ai_addrlen) == -1 &&
	    errno != EINPROGRESS)
		conn_fail(i, "connect", errno);
}

/*
 * Write ${len} bytes at once or fail: the SOCKS messages are a few bytes
 * on a fresh socket, so a short write means something is badly wrong.
 */
static int
conn_write_msg(size_t i, const uint8_t *msg, size_t len)
{
	ssize_t n;

	n = write(conns[i].fd, msg, len);
	if (n == (ssize_t)len)
		return (0);
	conn_fail(i, "write", n == -1 ? errno : 0);
	return (-1);
}

/* The length of a complete SOCKS reply starting with ${r}, 0 if unknown yet. */
static size_t
reply_size(const uint8_t *r, size_t have)
{
	if (have < 5)
		return (0);
	switch (r[3]) {
	case 1:
		return (4 + 4 + 2);
	case 3:
		return (4 + 1 + (size_t)r[4] + 2);
	case 4:
		return (4 + 16 + 2);
	default:
		return (SIZE_MAX);
	}
}

/* Phase 1: advance connection ${i} through its SOCKS exchange. */
static void
conn_socks(size_t i, short revents)
{
	struct load_conn *c = &conns[i];
	static const uint8_t greeting[] = { 5, 1, 0 };
	size_t want;
	ssize_t n;
	int err;
	socklen_t elen = sizeof(err);

	if (c->state == LOAD_DIALING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			err = errno;
		if (err != 0) {
			conn_fail(i, "connect", err);
			return;
		}
		if (conn_write_msg(i, greeting, sizeof(greeting)) == 0)
			c->state = LOAD_GREETING;
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (c->state == LOAD_GREETING) {
		n = read(c->fd, c->reply + c->reply_len, 2 - c->reply_len);
		if (n <= 0) {
			if (n == -1 && errno == EAGAIN)
				return;
			conn_fail(i, "closed during method negotiation",
			    n == -1 ? errno : 0);
			return;
		}
		if ((c->reply_len += (size_t)n) < 2)
			return;
		if (c->reply[0] != 5 || c->reply[1] != 0) {
			conn_fail(i, "method refused", 0);
			return;
		}
		c->reply_len = 0;
		if (conn_write_msg(i, request, request_len) == 0)
			c->state = LOAD_REQUEST;
		return;
	}
	want = reply_size(c->reply, c->reply_len);
	if (want == SIZE_MAX || want > sizeof(c->reply)) {
		conn_fail(i, "malformed reply", 0);
		return;
	}
	n = read(c->fd, c->reply + c->reply_len,
	    (want ? want : 5) - c->reply_len);
	if (n <= 0) {
		if (n == -1 && errno == EAGAIN)
			return;
		conn_fail(i, "closed during the SOCKS reply",
		    n == -1 ? errno : 0);
		return;
	}
	c->reply_len += (size_t)n;
	want = reply_size(c->reply, c->reply_len);
	if (want == 0 || c->reply_len < want)
		return;
	if (c->reply[1] != 0) {
		char why[32];

		snprintf(why, sizeof(why), "reply 0x%02x", c->reply[1]);
		conn_fail(i, why, 0);
		return;
	}
	c->state = LOAD_HOLDING;
}

/* Phase 3: write what connection ${i} can, read and check what came back. */
static void
conn_echo(size_t i, short revents)
{
	struct load_conn *c = &conns[i];
	uint8_t buf[IO_CHUNK];
	size_t len;
	ssize_t n;

	if ((revents & POLLOUT) && c->sent < size) {
		len = size - c->sent < IO_CHUNK ? size - c->sent : IO_CHUNK;
		n = write(c->fd, pattern + c->sent, len);
		if (n == -1 && errno != EAGAIN) {
			conn_fail(i, "write", errno);
			return;
		}
		if (n > 0)
			c->sent += (size_t)n;
	}
	if (c->sent == size && !c->shut) {
		if (shutdown(c->fd, SHUT_WR) == -1) {
			conn_fail(i, "shutdown", errno);
			return;
		}
		c->shut = 1;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = read(c->fd, buf, sizeof(buf));
	if (n == -1) {
		if (errno != EAGAIN)
			conn_fail(i, "read", errno);
		return;
	}
	if (n == 0) {
		if (c->received != size) {
			char why[64];

			snprintf(why, sizeof(why), "EOF after %zu of %zu bytes",
			    c->received, size);
			conn_fail(i, why, 0);
			return;
		}
		close(c->fd);
		c->fd = -1;
		c->state = LOAD_MATCHED;
		return;
	}
	if ((size_t)n > size - c->received ||
	    memcmp(buf, pattern + c->received, (size_t)n) != 0) {
		conn_fail(i, "echo differs from what was sent", 0);
		return;
	}
	c->received += (size_t)n;
}

/* Whether a connection in ${state} belongs to the phase that starts at ${from}. */
static int
in_phase(enum load_state state, enum load_state from)
{
	if (from == LOAD_DIALING)
		return (state < LOAD_HOLDING);
	return (state == from);
}

/*
 * Run one phase: poll every connection in state ${from} (in phase 1, in
 * any state before LOAD_HOLDING) until none is left or ${deadline} passes;
 * those still there then fail.  In phase 2, ${go} is the file whose
 * existence ends the phase.  Return how many reached ${to}.
 */
static size_t
run_phase(enum load_state from, enum load_state to, size_t parallel,
    const char *go, long long deadline)
{
	struct pollfd *pfd;
	size_t *idx, i, np, next = 0, active, done;
	struct stat st;
	int ms;

	if ((pfd = calloc(nconns, sizeof(*pfd))) == NULL ||
	    (idx = calloc(nconns, sizeof(*idx))) == NULL)
		die("calloc");
	for (;;) {
		/* Phase 1 keeps at most ${parallel} exchanges under way. */
		if (from == LOAD_DIALING) {
			for (active = 0, i = 0; i < next; i++)
				if (conns[i].state < LOAD_HOLDING)
					active++;
			while (next < nconns && active < parallel) {
				conn_dial(next++);
				active++;
			}
		}
		np = 0;
		for (i = 0; i < nconns; i++) {
			struct load_conn *c = &conns[i];

			if (c->fd == -1 || !in_phase(c->state, from))
				continue;
			pfd[np].fd = c->fd;
			pfd[np].events = c->state == LOAD_DIALING ? POLLOUT :
			    c->state == LOAD_ECHOING && c->sent < size ?
			    POLLIN | POLLOUT : POLLIN;
			idx[np++] = i;
		}
		if (from == LOAD_HOLDING && stat(go, &st) == 0)
			break;
		if (np == 0 && (from != LOAD_DIALING || next == nconns) &&
		    from != LOAD_HOLDING)
			break;
		if (now_ms() >= deadline) {
			for (i = 0; i < np; i++)
				conn_fail(idx[i], from == LOAD_HOLDING ?
				    "the go file never appeared" :
				    "timed out", 0);
			break;
		}
		ms = from == LOAD_HOLDING ? 50 : 1000;
		if (poll(pfd, np, ms) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < np; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (from == LOAD_HOLDING)
				conn_fail(idx[i], "closed or written to while"
				    " held", 0);
			else if (from == LOAD_DIALING)
				conn_socks(idx[i], pfd[i].revents);
			else
				conn_echo(idx[i], pfd[i].revents);
		}
	}
	free(pfd);
	free(idx);
	for (done = 0, i = 0; i < nconns; i++)
		if (conns[i].state == to)
			done++;
	return (done);
}

/* Encode CONNECT to ${dest} as multichaind does: ATYP 3, the host as text. */
static void
make_request(const char *dest)
{
	char host[256], port[32];
	uint64_t p;
	size_t hl;

	split_hostport(dest, host, sizeof(host), port, sizeof(port));
	if ((p = parse_num(port)) == 0 || p > 65535 ||
	    (hl = strlen(host)) == 0 || hl > 255)
		diex("bad destination");
	request[0] = 5;
	request[1] = 1;
	request[2] = 0;
	request[3] = 3;
	request[4] = (uint8_t)hl;
	memcpy(request + 5, host, hl);
	request[5 + hl] = (uint8_t)(p >> 8);
	request[6 + hl] = (uint8_t)p;
	request_len = 7 + hl;
}

static void
usage(void)
{
	fprintf(stderr, "usage: socks-load -p PROXY -d HOST:PORT -n N --go FILE"
	    " [--send-bytes SIZE] [--parallel P] [--timeout SECS]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *proxy_spec = NULL, *dest = NULL, *go = NULL;
	char host[256], port[32];
	struct addrinfo hints;
	uint8_t *pat;
	size_t parallel = 50, ready, matched, i;
	long long timeout_ms = 300000, t0, t1;
	int a, rc;

	helper_name = "socks-load";
	for (a = 1; a < argc; a++) {
		const char *opt = argv[a];

		if (a + 1 >= argc)
			usage();
		if (strcmp(opt, "-p") == 0)
			proxy_spec = argv[++a];
		else if (strcmp(opt, "-d") == 0)
			dest = argv[++a];
		else if (strcmp(opt, "-n") == 0)
			nconns = (size_t)parse_num(argv[++a]);
		else if (strcmp(opt, "--go") == 0)
			go = argv[++a];
		else if (strcmp(opt, "--send-bytes") == 0)
			size = (size_t)parse_num(argv[++a]);
		else if (strcmp(opt, "--parallel") == 0)
			parallel = (size_t)parse_num(argv[++a]);
		else if (strcmp(opt, "--timeout") == 0)
			timeout_ms = (long long)parse_num(argv[++a]) * 1000;
		else
			usage();
	}
	if (proxy_spec == NULL || dest == NULL || go == NULL || nconns == 0 ||
	    parallel == 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	make_request(dest);
	split_hostport(proxy_spec, host, sizeof(host), port, sizeof(port));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &proxy)) != 0) {
		fprintf(stderr, "socks-load: %s: %s\n", proxy_spec,
		    gai_strerror(rc));
		exit(1);
	}
	if ((pat = malloc(size ? size : 1)) == NULL ||
	    (conns = calloc(nconns, sizeof(*conns))) == NULL)
		die("malloc");
	for (i = 0; i < size; i++)
		pat[i] = pattern_byte(i);
	pattern = pat;
	for (i = 0; i < nconns; i++)
		conns[i].fd = -1;

	t0 = now_ms();
	ready = run_phase(LOAD_DIALING, LOAD_HOLDING, parallel, NULL,
	    t0 + timeout_ms);
	printf("ready %zu of %zu in %lld ms\n", ready, nconns, now_ms() - t0);
	(void)run_phase(LOAD_HOLDING, LOAD_HOLDING, 0, go,
	    now_ms() + timeout_ms);
	for (i = 0; i < nconns; i++)
		if (conns[i].state == LOAD_HOLDING)
			conns[i].state = LOAD_ECHOING;
	t1 = now_ms();
	matched = run_phase(LOAD_ECHOING, LOAD_MATCHED, 0, NULL,
	    t1 + timeout_ms);
	printf("echoed %zu of %zu in %lld ms\n", matched, nconns,
	    now_ms() - t1);
	freeaddrinfo(proxy);
	free(pat);
	free(conns);
	return (matched == nconns ? 0 : 1);
}
