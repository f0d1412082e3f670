/*
 * loadgen: the client side of "make bench".  libc (+ pthreads) only.
 *
 *	loadgen MODE -t HOST:PORT [--socks DEST_HOST:PORT] [options]
 *
 * -t is where loadgen connects: the sink itself (direct), stunnel4's
 * client-mode accept port, or stunneld's socks tunnel.  With --socks it
 * speaks SOCKS5 there first, as multichaind does: greeting 05 01 00, then
 * CONNECT with ATYP 3 holding DEST_HOST as text (an IP literal), and waits
 * for reply 0x00.  The far end is bench/sink.
 *
 * Modes (one result line on stdout, "key=value" words):
 *	bulk -n N -s SECS	N streams from the sink's pattern source, read
 *				for SECS seconds and verified byte by byte;
 *				prints the total MiB/s
 *	connrate -c C -s SECS	C clients in parallel (1: sequential), each in
 *				a loop: connect [+ SOCKS5], send 1 byte, read
 *				it back, close; prints connections/s
 *	pingpong -k K		one connection, K round trips of 64 bytes
 *				(after 200 unmeasured); prints p50/p99 in us
 *	paced -n N -i MS	N connections, one every MS milliseconds
 *				(the next at once if one takes longer): each
 *				connect [+ SOCKS5], 1-byte round trip, close;
 *				prints the connect time p50/p99 in ms (to the
 *				SOCKS reply) and how many failed
 *	idle -n N		open N connections (1-byte round trip on each,
 *				so every hop is up), print "up N", hold them
 *				until SIGTERM/SIGINT or EOF on stdin
 *
 * Exit: 0 success, 1 error or data mismatch, 2 usage.
 */
#include <sys/socket.h>
#include <sys/resource.h>

#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static struct sockaddr_storage	 target;
static socklen_t		 target_len;
static int			 use_socks;
static char			 socks_host[64];
static uint16_t			 socks_port;
static int			 io_timeout_s = 30;

static volatile int		 stop_flag;
static pthread_mutex_t		 mtx = PTHREAD_MUTEX_INITIALIZER;
static int			 errors_printed;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
report_error(const char *what, int err)
{
	pthread_mutex_lock(&mtx);
	if (errors_printed++ < 5)
		fprintf(stderr, "loadgen: %s: %s\n", what,
		    err ? strerror(err) : "unexpected data or EOF");
	pthread_mutex_unlock(&mtx);
}

/* Read exactly ${n} bytes; 0 or -1 (errno set, 0 for EOF). */
static int
read_full(int fd, void *buf, size_t n)
{
	uint8_t	*p = buf;
	ssize_t	 r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r == 0) {
			errno = 0;
			return (-1);
		} else if (errno != EINTR)
			return (-1);
	}
	return (0);
}

static int
write_full(int fd, const void *buf, size_t n)
{
	const uint8_t	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r < 0 && errno != EINTR)
			return (-1);
	}
	return (0);
}

/*
 * Connect to the target, and through SOCKS5 to the destination when
 * asked.  Returns the socket or -1 (error reported).
 */
static int
open_conn(void)
{
	struct timeval	 tv = { io_timeout_s, 0 };
	uint8_t		 req[300], rep[262];
	size_t		 hl, n;
	int		 fd, one = 1;

	if ((fd = socket(target.ss_family, SOCK_STREAM, 0)) < 0) {
		report_error("socket", errno);
		return (-1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Our TIME_WAIT sockets must not stop anyone's listener (with
	 * SO_REUSEADDR) from binding their port later. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&target, target_len) < 0) {
		report_error("connect", errno);
		close(fd);
		return (-1);
	}
	if (!use_socks)
		return (fd);
	/* Not greeting and CONNECT in one write: multichaind sends the
	 * CONNECT only once the method reply is in, so do we. */
	if (write_full(fd, "\x05\x01\x00", 3) < 0 ||
	    read_full(fd, rep, 2) < 0) {
		report_error("socks greeting", errno);
		close(fd);
		return (-1);
	}
	if (rep[0] != 5 || rep[1] != 0) {
		report_error("socks method refused", 0);
		close(fd);
		return (-1);
	}
	hl = strlen(socks_host);
	req[0] = 5; req[1] = 1; req[2] = 0; req[3] = 3;
	req[4] = (uint8_t)hl;
	memcpy(req + 5, socks_host, hl);
	req[5 + hl] = (uint8_t)(socks_port >> 8);
	req[6 + hl] = (uint8_t)(socks_port & 0xff);
	if (write_full(fd, req, 7 + hl) < 0 || read_full(fd, rep, 4) < 0) {
		report_error("socks connect", errno);
		close(fd);
		return (-1);
	}
	if (rep[0] != 5 || rep[1] != 0) {
		pthread_mutex_lock(&mtx);
		if (errors_printed++ < 5)
			fprintf(stderr, "loadgen: socks reply 0x%02x\n", rep[1]);
		pthread_mutex_unlock(&mtx);
		close(fd);
		return (-1);
	}
	switch (rep[3]) {
	case 1:	n = 4 + 2; break;
	case 4:	n = 16 + 2; break;
	case 3:
		if (read_full(fd, rep + 4, 1) < 0) {
			report_error("socks reply", errno);
			close(fd);
			return (-1);
		}
		n = (size_t)rep[4] + 2;
		break;
	default:
		report_error("socks reply address type", 0);
		close(fd);
		return (-1);
	}
	if (read_full(fd, rep + 5, n) < 0) {
		report_error("socks reply", errno);
		close(fd);
		return (-1);
	}
	return (fd);
}

/* One byte there and back on ${fd}; 0 or -1 (reported). */
static int
one_byte_rtt(int fd)
{
	uint8_t	 b = 'x';

	if (write_full(fd, &b, 1) < 0 || read_full(fd, &b, 1) < 0) {
		report_error("1-byte round trip", errno);
		return (-1);
	}
	if (b != 'x') {
		report_error("1-byte round trip", 0);
		return (-1);
	}
	return (0);
}

/* --- bulk ------------------------------------------------------------ */

struct bulk_thr {
	pthread_t	 th;
	int		 fd;
	double		 t_end;
	uint64_t	 bytes;
	int		 bad;
};

static pthread_barrier_t	 bulk_bar;
static double			 bulk_t0;

static void *
bulk_run(void *arg)
{
	struct bulk_thr	*b = arg;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 o;

	if ((buf = malloc(PAT_CHUNK)) == NULL)
		b->bad = 1;
	pthread_barrier_wait(&bulk_bar);
	while (!b->bad) {
		n = read(b->fd, buf, PAT_CHUNK);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			report_error("bulk read", n < 0 ? errno : 0);
			b->bad = 1;
			break;
		}
		o = (size_t)(b->bytes % PAT_PERIOD);
		if (memcmp(buf, pat + o, (size_t)n) != 0) {
			fprintf(stderr, "loadgen: bulk: stream mismatch near "
			    "byte %llu\n", (unsigned long long)b->bytes);
			b->bad = 1;
			break;
		}
		b->bytes += (uint64_t)n;
		if (now() >= b->t_end)
			break;
	}
	b->t_end = now();
	free(buf);
	return (NULL);
}

static int
mode_bulk(int nstreams, double secs)
{
	struct bulk_thr	*b;
	uint64_t	 total = 0;
	double		 t_last = 0;
	int		 i, bad = 0;

	if ((b = calloc((size_t)nstreams, sizeof(*b))) == NULL)
		return (1);
	for (i = 0; i < nstreams; i++) {
		if ((b[i].fd = open_conn()) < 0)
			return (1);
		/* Read one byte of the stream first, so every hop is up
		 * before the clock starts. */
		if (write_full(b[i].fd, "S", 1) < 0) {
			report_error("bulk start", errno);
			return (1);
		}
	}
	for (i = 0; i < nstreams; i++) {
		uint8_t	 c;

		if (read_full(b[i].fd, &c, 1) < 0 || c != pat[0]) {
			report_error("bulk first byte", errno);
			return (1);
		}
		b[i].bytes = 1;
	}
	pthread_barrier_init(&bulk_bar, NULL, (unsigned)nstreams + 1);
	bulk_t0 = now();
	for (i = 0; i < nstreams; i++) {
		b[i].t_end = bulk_t0 + secs;
		pthread_create(&b[i].th, NULL, bulk_run, &b[i]);
	}
	bulk_t0 = now();
	for (i = 0; i < nstreams; i++)
		b[i].t_end = bulk_t0 + secs;
	pthread_barrier_wait(&bulk_bar);
	for (i = 0; i < nstreams; i++) {
		pthread_join(b[i].th, NULL);
		total += b[i].bytes - 1;
		bad |= b[i].bad;
		if (b[i].t_end > t_last)
			t_last = b[i].t_end;
		close(b[i].fd);
	}
	if (bad)
		return (1);
	printf("bulk streams=%d bytes=%llu secs=%.3f mibps=%.1f verified=yes\n",
	    nstreams, (unsigned long long)total, t_last - bulk_t0,
	    (double)total / (t_last - bulk_t0) / 1048576.0);
	return (0);
}

/* --- connrate -------------------------------------------------------- */

struct conn_thr {
	pthread_t	 th;
	double		 t_end;
	unsigned long	 ok, errs;
};

static void *
connrate_run(void *arg)
{
	struct conn_thr	*c = arg;
	int		 fd;

	while (now() < c->t_end) {
		if ((fd = open_conn()) < 0) {
			c->errs++;
			usleep(10000);
			continue;
		}
		if (one_byte_rtt(fd) < 0)
			c->errs++;
		else
			c->ok++;
		close(fd);
	}
	return (NULL);
}

static int
mode_connrate(int conc, double secs)
{
	struct conn_thr	*c;
	unsigned long	 ok = 0, errs = 0;
	double		 t0, t1;
	int		 i;

	if ((c = calloc((size_t)conc, sizeof(*c))) == NULL)
		return (1);
	t0 = now();
	for (i = 0; i < conc; i++) {
		c[i].t_end = t0 + secs;
		pthread_create(&c[i].th, NULL, connrate_run, &c[i]);
	}
	for (i = 0; i < conc; i++) {
		pthread_join(c[i].th, NULL);
		ok += c[i].ok;
		errs += c[i].errs;
	}
	t1 = now();
	printf("connrate conc=%d conns=%lu errors=%lu secs=%.3f rate=%.1f\n",
	    conc, ok, errs, t1 - t0, (double)ok / (t1 - t0));
	return (errs > 0 && ok == 0);
}

/* --- pingpong -------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static int
mode_pingpong(int k)
{
	uint8_t	 out[64], in[64];
	double	*rtt, t;
	int	 fd, i, warm = 200;

	if ((rtt = calloc((size_t)k, sizeof(double))) == NULL ||
	    (fd = open_conn()) < 0)
		return (1);
	for (i = -warm; i < k; i++) {
		memcpy(out, pat + ((size_t)(i + warm) * 64) % PAT_PERIOD, 64);
		out[0] = 'P';	/* never 'S': the sink echoes */
		t = now();
		if (write_full(fd, out, 64) < 0 || read_full(fd, in, 64) < 0) {
			report_error("pingpong", errno);
			return (1);
		}
		if (i >= 0)
			rtt[i] = (now() - t) * 1e6;
		if (memcmp(in, out, 64) != 0) {
			fprintf(stderr, "loadgen: pingpong: mismatch at %d\n", i);
			return (1);
		}
	}
	close(fd);
	qsort(rtt, (size_t)k, sizeof(double), cmp_double);
	printf("pingpong n=%d p50_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n",
	    k, rtt[(size_t)((k - 1) * 0.50)], rtt[(size_t)((k - 1) * 0.99)],
	    rtt[0], rtt[k - 1]);
	return (0);
}

/* --- paced ----------------------------------------------------------- */

static int
mode_paced(int n, int interval_ms)
{
	struct timespec	 ts;
	double		*ct, t, next;
	int		 fd, i, ok = 0, failed = 0;

	if ((ct = calloc((size_t)n, sizeof(double))) == NULL)
		return (1);
	next = now();
	for (i = 0; i < n && !stop_flag; i++) {
		if ((t = next - now()) > 0) {
			ts.tv_sec = (time_t)t;
			ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
		next += interval_ms / 1000.;
		t = now();
		if ((fd = open_conn()) < 0) {
			failed++;
			continue;
		}
		ct[ok] = (now() - t) * 1e3;
		if (one_byte_rtt(fd) < 0)
			failed++;
		else
			ok++;
		close(fd);
	}
	if (ok == 0) {
		printf("paced n=%d ok=0 failed=%d\n", i, failed);
		return (1);
	}
	qsort(ct, (size_t)ok, sizeof(double), cmp_double);
	printf("paced n=%d ok=%d failed=%d p50_ms=%.1f p99_ms=%.1f "
	    "max_ms=%.1f\n", i, ok, failed, ct[(size_t)((ok - 1) * 0.50)],
	    ct[(size_t)((ok - 1) * 0.99)], ct[ok - 1]);
	return (failed > 0);
}

/* --- idle ------------------------------------------------------------ */

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
mode_idle(int n)
{
	struct pollfd	 pfd;
	int		*fds, i;

	if ((fds = calloc((size_t)n, sizeof(int))) == NULL)
		return (1);
	for (i = 0; i < n; i++) {
		if ((fds[i] = open_conn()) < 0 || one_byte_rtt(fds[i]) < 0) {
			fprintf(stderr, "loadgen: idle: connection %d of %d "
			    "failed\n", i + 1, n);
			return (1);
		}
	}
	printf("up %d\n", n);
	fflush(stdout);
	pfd.fd = 0;
	pfd.events = POLLIN;
	while (!stop_flag) {
		if (poll(&pfd, 1, 1000) > 0) {
			char	 c;

			if (read(0, &c, 1) <= 0)
				break;
		}
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return (0);
}

/* --- main ------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen bulk -t HOST:PORT [--socks DEST:PORT] -n N -s SECS\n"
	    "       loadgen connrate -t HOST:PORT [--socks DEST:PORT] -c C -s SECS\n"
	    "       loadgen pingpong -t HOST:PORT [--socks DEST:PORT] -k K\n"
	    "       loadgen paced -t HOST:PORT [--socks DEST:PORT] -n N -i MS\n"
	    "       loadgen idle -t HOST:PORT [--socks DEST:PORT] -n N\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage	 dummy;
	struct sigaction	 sa;
	struct rlimit		 rl;
	const char		*mode, *t = NULL;
	socklen_t		 dl;
	double			 secs = 5;
	int			 i, n = 1, c = 1, k = 10000, ms = 100;

	if (argc < 2)
		usage();
	mode = argv[1];
	for (i = 2; i < argc; i++) {
		const char	*o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (strcmp(o, "-t") == 0)
			t = v;
		else if (strcmp(o, "--socks") == 0) {
			if (parse_addr(v, &dummy, &dl, socks_host,
			    &socks_port) != 0)
				usage();
			use_socks = 1;
		} else if (strcmp(o, "-n") == 0)
			n = atoi(v);
		else if (strcmp(o, "-c") == 0)
			c = atoi(v);
		else if (strcmp(o, "-k") == 0)
			k = atoi(v);
		else if (strcmp(o, "-i") == 0)
			ms = atoi(v);
		else if (strcmp(o, "-s") == 0)
			secs = atof(v);
		else
			usage();
		i++;
	}
	if (t == NULL || parse_addr(t, &target, &target_len, NULL, NULL) != 0 ||
	    n < 1 || c < 1 || k < 1 || ms < 1 || secs <= 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pat_init();
	if (strcmp(mode, "bulk") == 0)
		return (mode_bulk(n, secs));
	if (strcmp(mode, "connrate") == 0)
		return (mode_connrate(c, secs));
	if (strcmp(mode, "pingpong") == 0)
		return (mode_pingpong(k));
	if (strcmp(mode, "paced") == 0)
		return (mode_paced(n, ms));
	if (strcmp(mode, "idle") == 0)
		return (mode_idle(n));
	usage();
	return (2);
}
