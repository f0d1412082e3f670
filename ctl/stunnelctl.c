/*
 * stunnelctl.c: the control CLI of stunneld.  Parse the command line
 * (parser.c), send one request frame over the UNIX control socket, read
 * the reply frames until REP_OK, REP_FAIL or REP_END (output_reply_add()),
 * and render them (output.c).  "cert ..." talks to no daemon: it is the
 * offline PKI of cert.c.
 *
 * Exit status (SPEC.md): 0 done; 1 the daemon refused or failed, or
 * answered something stunnelctl cannot read, or check found a problem;
 * 2 usage error; 3 no daemon
 * answers at the socket (nothing listens there, or it does not answer
 * within STUNNELCTL_TIMEOUT seconds, default 30).  A socket we may not
 * connect to (EACCES, EPERM) is exit 1: a daemon is there and refuses us.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "check.h"
#include "metrics.h"
#include "output.h"
#include "parser.h"
#include "proto.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"unknown"
#endif

#define CTL_SEQ		1	/* one request per run */

#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_NODAEMON	3

/* Milliseconds left until ${deadline} (CLOCK_MONOTONIC seconds), >= 0. */
static int
ctl_left(const struct timespec *deadline)
{
	struct timespec	now;
	int64_t		ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return (0);
	if (ms > INT32_MAX)
		return (INT32_MAX);
	return ((int)ms);
}

/*
 * Connect to the control socket ${path}, waiting at most ${secs} seconds
 * when its backlog is full.  Exit on failure.
 */
static int
ctl_connect(const char *path, int secs)
{
	struct sockaddr_un	sun;
	struct timeval		tv;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* parser_parse() checked the length. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(EXIT_FAIL, "socket");
	/* On Linux SO_SNDTIMEO also bounds a blocking AF_UNIX connect. */
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EACCES || errno == EPERM)
			errx(EXIT_FAIL, "%s: permission denied (the control "
			    "socket is mode 0600: run as the daemon's user)",
			    path);
		if (errno == EAGAIN || errno == EINPROGRESS)
			errx(EXIT_NODAEMON, "no answer from the daemon at %s",
			    path);
		err(EXIT_NODAEMON, "no daemon at %s", path);
	}
	return (fd);
}

/*
 * Wait until ${fd} is ready for ${events}; exit as "no answer" when
 * ${deadline} passes.  Return 0 when ready, -1 to wait again.
 */
static int
ctl_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd	pfd;
	int		ms;

	pfd.fd = fd;
	pfd.events = events;
	if ((ms = ctl_left(deadline)) == 0)
		errx(EXIT_NODAEMON, "no answer from the daemon");
	if (poll(&pfd, 1, ms) == -1) {
		if (errno == EINTR)
			return (-1);
		err(EXIT_FAIL, "poll");
	}
	return (pfd.revents == 0 ? -1 : 0);
}

/*
 * Send ${len} bytes of ${buf} on ${fd} before ${deadline}; exit on failure.
 * A daemon that closed the connection is no failure yet: it may have
 * said why first (it refuses a client past its limit that way).
 */
static void
ctl_send(int fd, const uint8_t *buf, size_t len,
    const struct timespec *deadline)
{
	ssize_t		nw;

	while (len > 0) {
		if (ctl_wait(fd, POLLOUT, deadline) != 0)
			continue;
		nw = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (nw == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return;		/* ctl_recv() reads what it said */
			err(EXIT_FAIL, "send");
		}
		buf += nw;
		len -= (size_t)nw;
	}
}

/*
 * Read frames from ${fd} into ${rep} until the reply to a request of
 * ${reqtype} is complete or ${deadline} passes; exit on failure.
 */
static void
ctl_recv(int fd, uint16_t reqtype, struct ctl_reply *rep,
    const struct timespec *deadline)
{
	static uint8_t		 buf[2 * (sizeof(struct proto_hdr) +
				    PROTO_MAX_PAYLOAD)];
	struct proto_hdr	 hdr;
	const uint8_t		*payload;
	char			 why[128];
	size_t			 have = 0;
	ssize_t			 nr;
	long			 flen;
	int			 r;

	for (;;) {
		/* Take every complete frame in the buffer. */
		while ((flen = proto_parse(buf, have, &hdr, &payload)) > 0) {
			r = output_reply_add(rep, reqtype, CTL_SEQ, &hdr,
			    payload, why, sizeof(why));
			if (r == -1)
				errx(EXIT_FAIL, "bad reply from the daemon: %s",
				    why);
			memmove(buf, buf + flen, have - (size_t)flen);
			have -= (size_t)flen;
			if (r == 1)
				return;
		}
		if (flen == -1)
			errx(EXIT_FAIL, "bad reply from the daemon: invalid "
			    "frame (type %u, version %u, length %lu)",
			    (unsigned int)hdr.type, (unsigned int)hdr.version,
			    (unsigned long)hdr.len);

		if (ctl_wait(fd, POLLIN, deadline) != 0)
			continue;
		nr = recv(fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
		if (nr == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET)
				errx(EXIT_NODAEMON, "no answer from the daemon "
				    "(connection reset)");
			err(EXIT_FAIL, "recv");
		}
		if (nr == 0)
			errx(EXIT_NODAEMON, "no answer from the daemon (it "
			    "closed the connection%s)", (have > 0 ||
			    rep->ntunnels > 0 || rep->nconns > 0) ?
			    " mid-reply" : "");
		have += (size_t)nr;
	}
}

/* Print ${msg} on stdout with one trailing newline, nothing if empty. */
static void
ctl_message(FILE *f, const char *prefix, const char *msg)
{
	size_t	len = strlen(msg);

	if (len == 0)
		return;
	fprintf(f, "%s%s%s", prefix, msg, msg[len - 1] == '\n' ? "" : "\n");
}

/* Render the reply ${rep} to ${req}; return the exit status. */
static int
ctl_render(const struct ctl_request *req, const struct ctl_reply *rep)
{
	char	msg[PROTO_NAME_MAX + 16];
	time_t	now = time(NULL);
	size_t	i, nprob = 0;
	int	rc = 0;

	if (rep->type == PROTO_REP_FAIL) {
		if (req->json)
			rc = output_result_json(stdout, 0, rep->message);
		ctl_message(stderr, "stunnelctl: ", rep->message[0] != '\0' ?
		    rep->message : "the daemon refused the request");
		return (EXIT_FAIL);
	}
	if (rep->type == PROTO_REP_OK) {
		if (req->json)
			rc = output_result_json(stdout, 1, rep->message);
		else
			ctl_message(stdout, "", rep->message);
		return (rc == 0 ? 0 : EXIT_FAIL);
	}

	/* REP_END: the records are complete. */
	switch (req->action) {
	case CTL_STATUS:
		if (req->tunnel_len > 0 && rep->ntunnels == 0) {
			/* The daemon should have said FAIL; say it for it. */
			snprintf(msg, sizeof(msg), "no tunnel %s", req->tunnel);
			if (req->json)
				(void)output_result_json(stdout, 0, msg);
			warnx("%s", msg);
			return (EXIT_FAIL);
		}
		if (req->json)
			rc = output_status_json(stdout, rep->tunnels,
			    rep->ntunnels, now);
		else if (req->tunnel_len > 0) {
			for (i = 0; i < rep->ntunnels; i++) {
				if (i > 0)
					putchar('\n');
				output_status_detail(stdout, &rep->tunnels[i],
				    now);
			}
		} else
			output_status(stdout, rep->tunnels, rep->ntunnels,
			    now);
		break;
	case CTL_METRICS:
		metrics_write(stdout, rep->tunnels, rep->ntunnels);
		break;
	case CTL_CHECK:
		/* The verdict is the exit status: 1 for any problem. */
		if (req->json)
			rc = output_check_json(stdout, rep->tunnels,
			    rep->ntunnels, now, req->days, &nprob);
		else
			nprob = check_print(stdout, rep->tunnels,
			    rep->ntunnels, now, req->days);
		if (rc == 0 && nprob > 0)
			return (EXIT_FAIL);
		break;
	case CTL_CONNECTIONS:
		if (req->json)
			rc = output_connections_json(stdout, rep->conns,
			    rep->nconns, now);
		else
			output_connections(stdout, rep->conns, rep->nconns,
			    now);
		break;
	default:
		/* output_reply_add() lets END through for lists only. */
		warnx("unexpected end of reply");
		return (EXIT_FAIL);
	}
	return (rc == 0 ? 0 : EXIT_FAIL);
}

int
main(int argc, char *argv[])
{
	struct ctl_request	 req;
	struct ctl_reply	 rep;
	struct timespec		 deadline;
	uint8_t			 frame[sizeof(struct proto_hdr) +
				    PROTO_NAME_MAX];
	size_t			 flen;
	int			 fd, secs, rc;

	switch (parser_parse(argc, argv, getenv("STUNNELCTL_SOCKET"), &req)) {
	case PARSER_OK:
		break;
	case PARSER_USAGE:
		warnx("%s", req.err);
		parser_usage(stderr, 0);
		exit(EXIT_USAGE);
	case PARSER_UNSUPPORTED:
		warnx("%s", req.err);
		exit(EXIT_USAGE);
	}
	if (req.action == CTL_HELP) {
		parser_usage(stdout, 1);
		exit(fflush(stdout) == 0 ? 0 : EXIT_FAIL);
	}
	if (req.action == CTL_VERSION) {
		printf("stunnelctl %s\n", PACKAGE_VERSION);
		exit(fflush(stdout) == 0 ? 0 : EXIT_FAIL);
	}
	if (req.action == CTL_CERT)
		exit(cert_main(req.argc, req.argv));
	if (parser_timeout(getenv("STUNNELCTL_TIMEOUT"), &secs) != 0)
		errx(EXIT_USAGE, "STUNNELCTL_TIMEOUT: not a number of seconds "
		    "from 1 to 86400");

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += secs;

	if ((flen = proto_frame(frame, sizeof(frame), req.type, CTL_SEQ,
	    req.tunnel, req.tunnel_len)) == 0)
		errx(EXIT_FAIL, "cannot build the request frame");
	fd = ctl_connect(req.socket, secs);
	ctl_send(fd, frame, flen, &deadline);

	output_reply_init(&rep);
	ctl_recv(fd, req.type, &rep, &deadline);
	close(fd);

	rc = ctl_render(&req, &rep);
	output_reply_free(&rep);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("stdout");
		rc = EXIT_FAIL;
	}
	return (rc);
}
