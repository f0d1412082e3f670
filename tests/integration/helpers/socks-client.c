/*
 * socks-client: a SOCKS5 client for the integration tests that sends
 * exactly what multichaind sends, and checks the data that comes back.
 * libc only.
 *
 *	socks-client -p PROXY_HOST:PORT -d HOST:PORT [--atyp 1|3|4]
 *	    [--cmd N] [--user U --pass P] [--methods HEX]
 *	    [--send-bytes N [--expect-after-eof M]] [--hold SECS]
 *	    [--hold-until FILE] [--ping N [--interval MS] [--until FILE]]
 *	    [--late-shut] [--timeout SECS]
 *	socks-client -p HOST:PORT --raw HEX [--raw HEX]... [--timeout SECS]
 *	socks-client -p HOST:PORT --direct [--send-bytes N ...] [--hold SECS]
 *
 * By default it sends the greeting 05 01 00 (no authentication), expects
 * 05 00, then CONNECT (05 01 00 03 LEN HOST PORT) with the destination
 * host as text, as multichaind does.  With --user/--pass it offers only
 * method 02 and does RFC 1929.  --methods replaces the offered methods.
 * --hold SECS, or --hold-until FILE (until FILE exists), keeps the link
 * silent after the reply before anything else is done; tests that need a
 * link held while they look at the daemon use --hold-until, which ends on
 * their signal rather than on a clock.
 *
 * Lines printed on stdout (tests match them whole):
 *	method 0xNN		the method the server chose
 *	auth 0xNN		the RFC 1929 status
 *	closed | not closed	after a refused method or auth: whether the
 *				server closed the connection within 5 s
 *	reply 0xNN		the SOCKS reply code (whole reply read)
 *	truncated reply 0xNN	the server closed inside the reply
 *	sent N received M match | mismatch at OFFSET | expected E
 *				--send-bytes: N pattern bytes sent (then
 *				shutdown of our writing side), the stream read
 *				until EOF must be the first N + M pattern bytes
 *	ping N ok | ping mismatch at I | ping closed at I
 *				--ping: N round trips of 64 pattern bytes,
 *				one every --interval MS (default 100); with
 *				--until FILE it goes on past N until FILE
 *				exists, then reports how many it did
 *	recv HEX		--raw: what came back after each chunk
 *	eof | open		--raw: whether the server closed at the end
 *				(before the deadline)
 *
 * Exit: 0 success; 2 the server refused (method FF, auth failure, reply
 * other than 0x00); 1 anything else (I/O error, timeout, protocol error,
 * data mismatch).  Every wait is bounded by --timeout (default 60 s).
 *
 * The pattern: byte i of a stream is byte (i % 8) of splitmix64(i / 8)
 * (pattern_byte() in common.c).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

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
#define MAX_RAW		16

static long long	 deadline;	/* ms, CLOCK_MONOTONIC */
static int		 timeout_s = 60;

/* Milliseconds left before the deadline, at least 0. */
static int
left_ms(void)
{
	long long l = deadline - now_ms();

	return (l < 0 ? 0 : (int)l);
}

/* Decode hex text ${s} (spaces allowed) into ${buf}; return the length. */
static size_t
unhex(const char *s, uint8_t *buf, size_t len)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			diex("bad hex");
		if (hi == -1)
			hi = v;
		else {
			if (n == len)
				diex("hex too long");
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi != -1)
		diex("odd number of hex digits");
	return (n);
}

/* Connect to ${spec} within the deadline; return the (blocking) fd. */
static int
dial(const char *spec)
{
	char host[256], port[32];
	struct addrinfo hints, *res;
	struct pollfd pfd;
	int fd, rc, err, one = 1;
	socklen_t elen = sizeof(err);

	split_hostport(spec, host, sizeof(host), port, sizeof(port));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "socks-client: %s: %s\n", spec,
		    gai_strerror(rc));
		exit(1);
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl");
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			die("connect");
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, left_ms()) == 0)
			diex("timeout connecting");
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			die("getsockopt");
		if (err != 0) {
			errno = err;
			die("connect");
		}
	}
	freeaddrinfo(res);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (fd);
}

/* Write all of ${buf} within the deadline. */
static void
send_all(int fd, const uint8_t *buf, size_t len)
{
	struct pollfd pfd;
	ssize_t n;

	while (len > 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, left_ms()) == 0)
			diex("timeout writing");
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die("write");
		}
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * Read up to ${len} bytes, waiting at most ${ms} for the first one.
 * Return the count, 0 on EOF, -1 on timeout; exit on error.
 */
static ssize_t
recv_some(int fd, uint8_t *buf, size_t len, int ms)
{
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) == 0)
			return (-1);
		if ((n = read(fd, buf, len)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				return (0);
			die("read");
		}
		return (n);
	}
}

/* Read exactly ${len} bytes; return how many arrived before EOF. */
static size_t
recv_exact(int fd, uint8_t *buf, size_t len, const char *what)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv_some(fd, buf + got, len - got, left_ms());
		if (n == -1) {
			fprintf(stderr, "socks-client: timeout reading %s\n",
			    what);
			exit(1);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (got);
}

/* After a refusal: print whether the server closes within 5 s. */
static void
report_close(int fd)
{
	uint8_t buf[256];
	long long end = now_ms() + 5000;
	ssize_t n;

	for (;;) {
		long long l = end - now_ms();

		n = recv_some(fd, buf, sizeof(buf), l < 0 ? 0 : (int)l);
		if (n == 0) {
			printf("closed\n");
			return;
		}
		if (n == -1) {
			printf("not closed\n");
			return;
		}
	}
}

/*
 * --raw: send each chunk, print what comes back (waiting for the first
 * byte up to the deadline, then until the line is quiet for 300 ms), and
 * finally whether the server closed before the deadline.
 */
static int
do_raw(int fd, char **chunks, int nchunks)
{
	uint8_t buf[IO_CHUNK], out[IO_CHUNK];
	size_t len, i;
	ssize_t n;
	int c, eof = 0;

	for (c = 0; c < nchunks && !eof; c++) {
		len = unhex(chunks[c], out, sizeof(out));
		send_all(fd, out, len);
		printf("recv ");
		n = recv_some(fd, buf, sizeof(buf), left_ms());
		while (n > 0) {
			for (i = 0; i < (size_t)n; i++)
				printf("%02x", buf[i]);
			n = recv_some(fd, buf, sizeof(buf), 300);
		}
		printf("\n");
		if (n == 0)
			eof = 1;
	}
	if (!eof) {
		/*
		 * Wait for the close up to the deadline: a daemon closes
		 * after its reply on its own time, and "open" is only for
		 * one that never does.
		 */
		while ((n = recv_some(fd, buf, sizeof(buf), left_ms())) > 0)
			;
		eof = n == 0;
	}
	printf("%s\n", eof ? "eof" : "open");
	return (0);
}

/* Method negotiation and, if chosen, RFC 1929; exit on refusal. */
static void
do_greeting(int fd, const char *methods, const char *user, const char *pass)
{
	uint8_t msg[3 + 255], rep[2];
	size_t n, ul, pl;

	msg[0] = 5;
	if (methods != NULL) {
		n = unhex(methods, msg + 2, 255);
		msg[1] = (uint8_t)n;
	} else {
		msg[1] = 1;
		msg[2] = user != NULL ? 2 : 0;
		n = 1;
	}
	send_all(fd, msg, 2 + n);
	if (recv_exact(fd, rep, 2, "method reply") != 2)
		diex("server closed during method negotiation");
	if (rep[0] != 5) {
		printf("bad version 0x%02x\n", rep[0]);
		exit(1);
	}
	printf("method 0x%02x\n", rep[1]);
	if (rep[1] == 0xff) {
		report_close(fd);
		exit(2);
	}
	if (rep[1] == 0)
		return;
	if (rep[1] != 2 || user == NULL)
		diex("server chose a method we did not offer");

	ul = strlen(user);
	pl = strlen(pass);
	if (ul > 255 || pl > 255)
		diex("username or password too long");
	{
		uint8_t a[3 + 255 + 255];

		a[0] = 1;
		a[1] = (uint8_t)ul;
		memcpy(a + 2, user, ul);
		a[2 + ul] = (uint8_t)pl;
		memcpy(a + 3 + ul, pass, pl);
		send_all(fd, a, 3 + ul + pl);
	}
	if (recv_exact(fd, rep, 2, "auth reply") != 2)
		diex("server closed during authentication");
	printf("auth 0x%02x\n", rep[1]);
	if (rep[0] != 1) {
		printf("bad auth version 0x%02x\n", rep[0]);
		exit(1);
	}
	if (rep[1] != 0) {
		report_close(fd);
		exit(2);
	}
}

/* Send the request for ${dest}; return the reply code (exit on EOF). */
static int
do_request(int fd, const char *dest, int cmd, int atyp)
{
	char host[256], port[32];
	uint8_t req[4 + 1 + 255 + 2], rep[4 + 1 + 255 + 2];
	size_t n = 0, hl, alen, got;
	unsigned long p;

	split_hostport(dest, host, sizeof(host), port, sizeof(port));
	p = strtoul(port, NULL, 10);
	if (p > 65535)
		diex("bad port");
	req[n++] = 5;
	req[n++] = (uint8_t)cmd;
	req[n++] = 0;
	req[n++] = (uint8_t)atyp;
	switch (atyp) {
	case 1:
		if (inet_pton(AF_INET, host, req + n) != 1)
			diex("--atyp 1 needs an IPv4 address");
		n += 4;
		break;
	case 4:
		if (inet_pton(AF_INET6, host, req + n) != 1)
			diex("--atyp 4 needs an IPv6 address");
		n += 16;
		break;
	case 3:
		hl = strlen(host);
		if (hl == 0 || hl > 255)
			diex("bad host length");
		req[n++] = (uint8_t)hl;
		memcpy(req + n, host, hl);
		n += hl;
		break;
	default:
		diex("--atyp must be 1, 3 or 4 (use --raw for others)");
	}
	req[n++] = (uint8_t)(p >> 8);
	req[n++] = (uint8_t)p;
	send_all(fd, req, n);

	got = recv_exact(fd, rep, 4, "reply");
	if (got < 2)
		diex("server closed without a reply");
	if (got < 4) {
		printf("truncated reply 0x%02x\n", rep[1]);
		exit(1);
	}
	if (rep[0] != 5) {
		printf("bad reply version 0x%02x\n", rep[0]);
		exit(1);
	}
	switch (rep[3]) {
	case 1:
		alen = 4 + 2;
		break;
	case 4:
		alen = 16 + 2;
		break;
	case 3:
		if (recv_exact(fd, rep + 4, 1, "reply") != 1) {
			printf("truncated reply 0x%02x\n", rep[1]);
			exit(1);
		}
		alen = (size_t)rep[4] + 2;
		break;
	default:
		printf("bad reply atyp 0x%02x\n", rep[3]);
		exit(1);
	}
	if (recv_exact(fd, rep + 5, alen, "reply") != alen) {
		printf("truncated reply 0x%02x\n", rep[1]);
		exit(1);
	}
	printf("reply 0x%02x\n", rep[1]);
	return (rep[1]);
}

/*
 * Full duplex: send ${nsend} pattern bytes, shut down writing, read until
 * EOF; the stream read must be the first ${nsend} + ${after} pattern
 * bytes.  Return 0 if it is.
 */
/*
 * A long-lived link with steady traffic: ${n} round trips (or until
 * ${until} exists), each 64 pattern bytes sent and the same 64 read back.
 */
static int
do_ping(int fd, uint64_t n, unsigned int interval_ms, const char *until)
{
	uint8_t out[64], in[64];
	uint64_t i, off = 0;
	size_t got, k;
	ssize_t r;
	struct timespec ts;

	ts.tv_sec = interval_ms / 1000;
	ts.tv_nsec = (long)(interval_ms % 1000) * 1000000L;
	for (i = 0; i < n || (until != NULL && access(until, F_OK) != 0);
	    i++) {
		if (now_ms() > deadline) {
			printf("ping timeout at %llu\n", (unsigned long long)i);
			return (1);
		}
		for (k = 0; k < sizeof(out); k++)
			out[k] = pattern_byte(off + k);
		if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out)) {
			printf("ping closed at %llu\n", (unsigned long long)i);
			return (1);
		}
		for (got = 0; got < sizeof(in); got += (size_t)r) {
			r = read(fd, in + got, sizeof(in) - got);
			if (r <= 0) {
				printf("ping closed at %llu\n",
				    (unsigned long long)i);
				return (1);
			}
		}
		if (memcmp(in, out, sizeof(in)) != 0) {
			printf("ping mismatch at %llu\n",
			    (unsigned long long)i);
			return (1);
		}
		off += sizeof(out);
		nanosleep(&ts, NULL);
	}
	printf("ping %llu ok\n", (unsigned long long)i);
	return (0);
}

static int	late_shut;	/* --late-shut: shut down writing only once
				 * everything sent has come back */

static int
do_data(int fd, uint64_t nsend, uint64_t after)
{
	uint8_t out[IO_CHUNK], in[IO_CHUNK];
	uint64_t sent = 0, got = 0, expect = nsend + after;
	uint64_t bad = UINT64_MAX;
	size_t outlen = 0, outoff = 0, i;
	int wr_done = 0, rd_eof = 0;
	struct pollfd pfd;
	ssize_t n;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl");
	if (nsend == 0) {
		shutdown(fd, SHUT_WR);
		wr_done = 1;
	}
	while (!rd_eof) {
		pfd.fd = fd;
		pfd.events = (short)(POLLIN | (wr_done ? 0 : POLLOUT));
		if (poll(&pfd, 1, left_ms()) == 0) {
			printf("sent %llu received %llu timeout\n",
			    (unsigned long long)sent, (unsigned long long)got);
			return (1);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, in, sizeof(in));
			if (n == -1 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "socks-client: read: %s\n",
				    strerror(errno));
				rd_eof = 1;
			} else if (n == 0)
				rd_eof = 1;
			else if (n > 0) {
				for (i = 0; i < (size_t)n && bad == UINT64_MAX;
				    i++)
					if (in[i] != pattern_byte(got + i))
						bad = got + i;
				got += (uint64_t)n;
				if (late_shut && wr_done && got >= nsend) {
					shutdown(fd, SHUT_WR);
					late_shut = 0;
				}
			}
		}
		if (!wr_done && (pfd.revents & (POLLOUT | POLLERR))) {
			if (outoff == outlen) {
				uint64_t k = nsend - sent;

				outlen = k < IO_CHUNK ? (size_t)k : IO_CHUNK;
				for (i = 0; i < outlen; i++)
					out[i] = pattern_byte(sent + i);
				outoff = 0;
			}
			n = write(fd, out + outoff, outlen - outoff);
			if (n == -1 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "socks-client: write: %s\n",
				    strerror(errno));
				wr_done = 1;
			} else if (n > 0) {
				outoff += (size_t)n;
				sent += (uint64_t)n;
				if (sent == nsend) {
					if (!late_shut)
						shutdown(fd, SHUT_WR);
					wr_done = 1;
				}
			}
		}
	}
	printf("sent %llu received %llu ", (unsigned long long)sent,
	    (unsigned long long)got);
	if (bad != UINT64_MAX) {
		printf("mismatch at %llu\n", (unsigned long long)bad);
		return (1);
	}
	if (sent != nsend || got != expect) {
		printf("expected %llu\n", (unsigned long long)expect);
		return (1);
	}
	printf("match\n");
	return (0);
}

/* --hold-until: wait, silent, until ${path} exists (bounded by --timeout). */
static void
hold_until(const char *path)
{
	struct timespec ts = { 0, 20 * 1000000L };

	while (access(path, F_OK) != 0) {
		if (now_ms() > deadline)
			diex("timeout holding");
		nanosleep(&ts, NULL);
	}
}

/* Print usage and exit 1. */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: socks-client -p PROXY_HOST:PORT -d HOST:PORT [--atyp 1|3|4]\n"
	    "           [--cmd N] [--user U --pass P] [--methods HEX]\n"
	    "           [--send-bytes N [--expect-after-eof M]] [--hold SECS]\n"
	    "           [--hold-until FILE] [--ping N [--interval MS]\n"
	    "           [--until FILE]] [--late-shut] [--timeout SECS]\n"
	    "       socks-client -p HOST:PORT --raw HEX [--raw HEX]...\n"
	    "       socks-client -p HOST:PORT --direct [--send-bytes N ...]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char *proxy = NULL, *dest = NULL, *user = NULL, *pass = NULL;
	const char *methods = NULL;
	char *raw[MAX_RAW];
	int nraw = 0, atyp = 3, cmd = 1, direct = 0, i, fd, rep;
	int data = 0;
	uint64_t nsend = 0, after = 0, hold = 0, nping = 0, interval = 100;
	const char *until = NULL, *hold_file = NULL;

	helper_name = "socks-client";
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];
		int more = i + 1 < argc;

		if (strcmp(o, "-p") == 0 && more)
			proxy = argv[++i];
		else if (strcmp(o, "-d") == 0 && more)
			dest = argv[++i];
		else if (strcmp(o, "--atyp") == 0 && more)
			atyp = (int)parse_num(argv[++i]);
		else if (strcmp(o, "--cmd") == 0 && more)
			cmd = (int)parse_num(argv[++i]);
		else if (strcmp(o, "--user") == 0 && more)
			user = argv[++i];
		else if (strcmp(o, "--pass") == 0 && more)
			pass = argv[++i];
		else if (strcmp(o, "--methods") == 0 && more)
			methods = argv[++i];
		else if (strcmp(o, "--raw") == 0 && more && nraw < MAX_RAW)
			raw[nraw++] = argv[++i];
		else if (strcmp(o, "--direct") == 0)
			direct = 1;
		else if (strcmp(o, "--send-bytes") == 0 && more) {
			nsend = parse_num(argv[++i]);
			data = 1;
		} else if (strcmp(o, "--expect-after-eof") == 0 && more)
			after = parse_num(argv[++i]);
		else if (strcmp(o, "--ping") == 0 && more)
			nping = parse_num(argv[++i]);
		else if (strcmp(o, "--interval") == 0 && more)
			interval = parse_num(argv[++i]);
		else if (strcmp(o, "--until") == 0 && more)
			until = argv[++i];
		else if (strcmp(o, "--late-shut") == 0)
			late_shut = 1;
		else if (strcmp(o, "--hold") == 0 && more)
			hold = parse_num(argv[++i]);
		else if (strcmp(o, "--hold-until") == 0 && more)
			hold_file = argv[++i];
		else if (strcmp(o, "--timeout") == 0 && more)
			timeout_s = (int)parse_num(argv[++i]);
		else
			usage();
	}
	if (proxy == NULL || (dest == NULL && nraw == 0 && !direct) ||
	    (user == NULL) != (pass == NULL) || cmd < 0 || cmd > 255 ||
	    (after > 0 && !data))
		usage();
	deadline = now_ms() + (long long)timeout_s * 1000;

	fd = dial(proxy);
	if (nraw > 0)
		return (do_raw(fd, raw, nraw));
	if (fcntl(fd, F_SETFL, 0) == -1)
		die("fcntl");
	if (!direct) {
		do_greeting(fd, methods, user, pass);
		if ((rep = do_request(fd, dest, cmd, atyp)) != 0)
			return (2);
	}
	if (hold > 0)
		sleep((unsigned int)hold);
	if (hold_file != NULL)
		hold_until(hold_file);
	if (nping > 0 || until != NULL)
		return (do_ping(fd, nping, (unsigned int)interval, until));
	if (data)
		return (do_data(fd, nsend, after));
	return (0);
}
