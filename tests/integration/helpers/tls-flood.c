/*
 * tls-flood: a bounded flood of unauthenticated TLS handshakes, for the
 * handshake-flood test and "make bench".  GnuTLS, one process, poll().
 *
 *	tls-flood -t HOST:PORT [-b SRC_ADDR] [-c CONCURRENT] [-n COUNT]
 *	    [-s SECS] [--full | --stall] [--priority STRING] [--until FILE]
 *	    [--ready N]
 *
 * It keeps CONCURRENT (default 64) connections to HOST:PORT in flight,
 * each from SRC_ADDR if given, and opens a new one as each ends.  By
 * default every connection sends the same ClientHello (made once by
 * GnuTLS with --priority, default "NORMAL") and waits for the server's
 * first flight: by then the server has made its key share and signed the
 * handshake, and the client has done no cryptography at all, which is
 * what makes a flood cheap for its sender.  With --full each connection
 * runs a GnuTLS handshake without a client certificate to its end (the
 * server refuses it).  With --stall each connection sends its ClientHello
 * but the last byte and then waits: a handshake that holds its place in
 * the server until the server's handshake timeout, and costs the server
 * no cryptography.  Sockets are closed with a reset, so neither end keeps
 * them in TIME_WAIT.
 *
 * It stops after COUNT connections have ended (default: no limit), after
 * SECS seconds (default and at most 30), or once FILE exists, whichever
 * comes first.  It prints "flooding" once N (--ready, default 100)
 * handshakes have been answered (--stall: once N connections are held at
 * once), so a test knows the flood has reached the server, and at the end
 * one line:
 *
 *	flood: answered A refused R errors E in MS ms: H handshakes/s
 *
 * answered: the server sent its flight (--full: the handshake ended with
 * the server's alert or close after it); refused: the server closed or
 * reset before answering (--stall: closed a held connection); errors:
 * connect failures.  H is answered per second.  Exit: 0, or 1 on a setup
 * error or if nothing was answered (--stall: nothing was held).
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

#include <gnutls/gnutls.h>

#include "common.h"

#define FLOOD_MAX_CONC	1024
#define FLOOD_MAX_SECS	30
#define HELLO_MAX	4096

struct slot {
	int			 fd;	/* -1: free */
	int			 connected;
	size_t			 sent;	/* of the ClientHello */
	gnutls_session_t	 session;	/* --full only */
};

static struct sockaddr_storage	 target, source;
static socklen_t		 target_len, source_len;
static int			 full_mode, stall_mode;
static const char		*priority = "NORMAL";
static gnutls_certificate_credentials_t	 cred;
static uint8_t			 hello[HELLO_MAX];
static size_t			 hello_len;
static uint64_t			 answered, refused, errors;
static unsigned int		 held, held_max;	/* --stall */

/* Resolve the numeric "HOST:PORT" (or HOST alone, port 0) ${s} into ${ss}. */
static void
resolve(const char *s, int need_port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo	 hints, *res;
	char		 host[256], port[32];
	int		 rc;

	if (need_port)
		split_hostport(s, host, sizeof(host), port, sizeof(port));
	else {
		snprintf(host, sizeof(host), "%s", s);
		snprintf(port, sizeof(port), "0");
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "tls-flood: %s: %s\n", s, gai_strerror(rc));
		exit(1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

/* GnuTLS's write function while the ClientHello is made: keep it. */
static ssize_t
hello_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	(void)ptr;
	if (len > sizeof(hello) - hello_len)
		len = sizeof(hello) - hello_len;
	memcpy(hello + hello_len, data, len);
	hello_len += len;
	return ((ssize_t)len);
}

/* GnuTLS's read function while the ClientHello is made: nothing yet. */
static ssize_t
hello_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	gnutls_session_t	 s = ptr;

	(void)data;
	(void)len;
	gnutls_transport_set_errno(s, EAGAIN);
	return (-1);
}

/* A client session with --priority and no certificate. */
static gnutls_session_t
session_new(void)
{
	gnutls_session_t	 s;
	const char		*err;

	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0)
		diex("gnutls_init");
	if (gnutls_priority_set_direct(s, priority, &err) < 0) {
		fprintf(stderr, "tls-flood: bad priority at \"%s\"\n", err);
		exit(1);
	}
	if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		diex("gnutls_credentials_set");
	return (s);
}

/* Make the ClientHello every connection sends in the default mode. */
static void
hello_make(void)
{
	gnutls_session_t	 s = session_new();

	gnutls_transport_set_ptr(s, s);
	gnutls_transport_set_push_function(s, hello_push);
	gnutls_transport_set_pull_function(s, hello_pull);
	if (gnutls_handshake(s) != GNUTLS_E_AGAIN || hello_len == 0 ||
	    hello_len == sizeof(hello))
		diex("cannot make a ClientHello");
	gnutls_deinit(s);
}

/* End the connection in ${sl} with a reset; count it under ${counter}. */
static void
slot_end(struct slot *sl, uint64_t *counter)
{
	struct linger	 lg = { 1, 0 };

	if (counter != NULL)
		(*counter)++;
	if (stall_mode && sl->sent == hello_len - 1)
		held--;
	if (sl->session != NULL) {
		gnutls_deinit(sl->session);
		sl->session = NULL;
	}
	setsockopt(sl->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(sl->fd);
	sl->fd = -1;
}

/* Open a new connection in the free ${sl}. */
static void
slot_open(struct slot *sl)
{
	int	 one = 1;

	memset(sl, 0, sizeof(*sl));
	if ((sl->fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK,
	    0)) == -1)
		die("socket");
	setsockopt(sl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (source_len > 0) {
#ifdef IP_BIND_ADDRESS_NO_PORT
		/* the port is picked at connect(), per destination */
		setsockopt(sl->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
#endif
		if (bind(sl->fd, (struct sockaddr *)&source, source_len) == -1)
			die("bind");
	}
	if (connect(sl->fd, (struct sockaddr *)&target, target_len) == 0)
		sl->connected = 1;
	else if (errno != EINPROGRESS) {
		slot_end(sl, &errors);
		return;
	}
	if (full_mode) {
		sl->session = session_new();
		gnutls_transport_set_int(sl->session, sl->fd);
	}
}

/* The events poll() should wait for on ${sl}. */
static short
slot_events(const struct slot *sl)
{
	if (!sl->connected)
		return (POLLOUT);
	if (full_mode)
		return (gnutls_record_get_direction(sl->session) ?
		    POLLOUT : POLLIN);
	return (sl->sent < hello_len - (size_t)stall_mode ? POLLOUT : POLLIN);
}

/* ${sl} is ready: move its handshake on. */
static void
slot_step(struct slot *sl, short revents)
{
	uint8_t		 buf[16384];
	ssize_t		 n;
	socklen_t	 len = sizeof(int);
	int		 err = 0, ret;

	if (!sl->connected) {
		if (getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
		    err != 0) {
			slot_end(sl, &errors);
			return;
		}
		sl->connected = 1;
	}
	if (full_mode) {
		ret = gnutls_handshake(sl->session);
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
			return;
		/* the server refuses a client without a certificate; it
		 * answered if the handshake got past its first flight */
		slot_end(sl, ret == GNUTLS_E_SUCCESS ||
		    ret == GNUTLS_E_FATAL_ALERT_RECEIVED ||
		    gnutls_handshake_get_last_in(sl->session) ==
		    GNUTLS_HANDSHAKE_FINISHED ? &answered : &refused);
		return;
	}
	if (sl->sent < hello_len - (size_t)stall_mode) {
		n = send(sl->fd, hello + sl->sent, hello_len -
		    (size_t)stall_mode - sl->sent, MSG_NOSIGNAL);
		if (n > 0)
			sl->sent += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			slot_end(sl, &refused);
		/* all but the last byte: the server waits for it */
		if (stall_mode && sl->fd != -1 && sl->sent == hello_len - 1) {
			held++;
			if (held > held_max)
				held_max = held;
		}
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = recv(sl->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* a handshake record (22) is the server's flight; anything else
	 * (an alert, EOF, a reset) is a refusal */
	slot_end(sl, n > 0 && buf[0] == 22 ? &answered : &refused);
}

static void
usage(void)
{
	fprintf(stderr, "usage: tls-flood -t HOST:PORT [-b SRC_ADDR] "
	    "[-c CONCURRENT] [-n COUNT] [-s SECS] [--full | --stall]\n"
	    "\t[--priority STRING] [--until FILE] [--ready N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct slot	 slots[FLOOD_MAX_CONC];
	static struct pollfd	 pfd[FLOOD_MAX_CONC];
	static int		 pidx[FLOOD_MAX_CONC];
	const char		*until = NULL;
	uint64_t		 ready = 100;
	struct stat		 st;
	uint64_t		 count = 0;
	long long		 t0, end, elapsed;
	unsigned int		 conc = 64, secs = FLOOD_MAX_SECS, i, np;
	int			 a, have_target = 0;

	helper_name = "tls-flood";
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--full") == 0) {
			full_mode = 1;
			continue;
		}
		if (strcmp(argv[a], "--stall") == 0) {
			stall_mode = 1;
			continue;
		}
		if (a + 1 >= argc)
			usage();
		if (strcmp(argv[a], "-t") == 0) {
			resolve(argv[++a], 1, &target, &target_len);
			have_target = 1;
		} else if (strcmp(argv[a], "-b") == 0)
			resolve(argv[++a], 0, &source, &source_len);
		else if (strcmp(argv[a], "-c") == 0)
			conc = (unsigned int)parse_num(argv[++a]);
		else if (strcmp(argv[a], "-n") == 0)
			count = parse_num(argv[++a]);
		else if (strcmp(argv[a], "-s") == 0)
			secs = (unsigned int)parse_num(argv[++a]);
		else if (strcmp(argv[a], "--priority") == 0)
			priority = argv[++a];
		else if (strcmp(argv[a], "--until") == 0)
			until = argv[++a];
		else if (strcmp(argv[a], "--ready") == 0)
			ready = parse_num(argv[++a]);
		else
			usage();
	}
	if (!have_target || conc < 1 || conc > FLOOD_MAX_CONC || secs < 1 ||
	    (full_mode && stall_mode))
		usage();
	if (secs > FLOOD_MAX_SECS)
		secs = FLOOD_MAX_SECS;
	signal(SIGPIPE, SIG_IGN);
	if (gnutls_global_init() < 0 ||
	    gnutls_certificate_allocate_credentials(&cred) < 0)
		diex("gnutls init");
	if (!full_mode)
		hello_make();

	for (i = 0; i < conc; i++)
		slots[i].fd = -1;
	t0 = now_ms();
	end = t0 + (long long)secs * 1000;
	for (;;) {
		if (now_ms() >= end ||
		    (count > 0 && answered + refused + errors >= count) ||
		    (until != NULL && stat(until, &st) == 0))
			break;
		np = 0;
		for (i = 0; i < conc; i++) {
			if (slots[i].fd == -1 && (count == 0 ||
			    answered + refused + errors + np < count))
				slot_open(&slots[i]);
			if (slots[i].fd == -1)
				continue;
			pfd[np].fd = slots[i].fd;
			pfd[np].events = slot_events(&slots[i]);
			pfd[np].revents = 0;
			pidx[np++] = (int)i;
		}
		if (np == 0)
			continue;
		if (poll(pfd, np, 100) == -1 && errno != EINTR)
			die("poll");
		for (i = 0; i < np; i++)
			if (pfd[i].revents != 0)
				slot_step(&slots[pidx[i]], pfd[i].revents);
		if (ready > 0 && (stall_mode ? held_max : answered) >= ready) {
			printf("flooding\n");
			fflush(stdout);
			ready = 0;
		}
	}
	elapsed = now_ms() - t0;
	for (i = 0; i < conc; i++)
		if (slots[i].fd != -1)
			slot_end(&slots[i], NULL);
	printf("flood: answered %llu refused %llu errors %llu in %lld ms: "
	    "%.0f handshakes/s\n", (unsigned long long)answered,
	    (unsigned long long)refused, (unsigned long long)errors, elapsed,
	    elapsed > 0 ? (double)answered * 1000 / (double)elapsed : 0.);
	gnutls_certificate_free_credentials(cred);
	gnutls_global_deinit();
	return ((stall_mode ? held_max : answered) > 0 ? 0 : 1);
}
