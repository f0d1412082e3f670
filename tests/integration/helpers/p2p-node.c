/*
 * p2p-node: a small peer-to-peer service that stands in for multichaind
 * in the mesh test.  libc only, one poll loop.
 *
 *	p2p-node -n NAME -l HOST:PORT [-x PROXY_HOST:PORT] -s STATUS_FILE
 *	    [-i INTERVAL_MS] -p PEER=HOST:PORT [-p PEER=HOST:PORT]...
 *
 * Without -x it dials each peer's address directly, as a node whose
 * command line has no -proxy does (the transparent-mode test: the kernel
 * redirects those connections to stunneld).  Hosts are numeric IPv4 or
 * IPv6 ("[::1]:7447"); an IPv6 listener takes IPv6 only.
 *
 * It listens on -l (loopback: its stunneld's tls tunnel forwards there)
 * and keeps one outgoing link to each -p peer, dialled through the SOCKS5
 * proxy -x with exactly what multichaind sends: greeting 05 01 00, then
 * CONNECT 05 01 00 03 LEN HOST PORT with the peer's advertised address as
 * text, and waits as multichaind does: 5 s for the TCP connection to the
 * proxy (its -timeout), then 20 s for each of the two replies; the
 * CONNECT goes out only once the method reply is in.  A failed or broken
 * link is dialled again after a short back-off (250 ms, doubling up to
 * 2 s; multichaind's own schedule is in etc/examples/multichain/README.md).
 *
 * Frames (integers big-endian):
 *	'H' N NAME			hello: the first frame on a link,
 *					names the sender
 *	'M' SEQ4 LEN2 PAYLOAD CSUM4	a message; PAYLOAD is a function of
 *					SEQ, CSUM is FNV-1a of what precedes it
 *	'A' SEQ4			the receiver's ack of message SEQ
 * Every INTERVAL_MS (default 20) a message goes out on each link that is
 * up.  SEQ counts per peer across links, never reused.  The receiver
 * checks the checksum, the payload and the order (on a link, SEQ goes up
 * by one; a new link starts above anything seen from that sender) and
 * acks; the sender checks that acks come back in order.  Any violation
 * counts as corrupt (and closes the link).  Messages that were unacked
 * when their link died count as lost (in flight), not corrupt.
 *
 * Every 100 ms (and on SIGTERM/SIGINT, before exiting) the counters are
 * written to STATUS_FILE (atomically, by rename), one line per peer:
 *	out PEER sent N acked N lost N corrupt N reconnects N fails N
 *	    up 0|1 up_since MS down_since MS link_acked N link_first_ack MS
 *	    last_ack MS
 *	in PEER recv N corrupt N late N links N open N last_recv MS
 * MS are milliseconds since the epoch (0: never).  "reconnects" counts the
 * links established after the first; "fails" the attempts that did not
 * get a link; "late" messages that arrived on an old link after a newer
 * link of the same sender had delivered later ones.  Events (links up and
 * down, with the reason) are logged on stderr.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PEERS	8
#define MAX_IN		32
#define OUT_CAP		(1024 * 1024)	/* stop producing above this backlog */
#define PROXY_TIMEOUT	5000		/* ms, multichaind's -timeout */
#define SOCKS_TIMEOUT	20000		/* ms, per reply, as multichaind */
#define BACKOFF_MIN	250
#define BACKOFF_MAX	2000

struct buf {
	uint8_t		*p;
	size_t		 len, cap;
};

enum lstate { L_IDLE, L_CONNECTING, L_GREETING, L_REQUEST, L_UP };

struct peer {
	char		 name[64];
	char		 host[64];
	uint16_t	 port;
	struct sockaddr_storage addr;	/* direct mode: where it is */
	socklen_t	 addrlen;
	int		 fd;
	enum lstate	 st;
	struct buf	 in, out;
	long long	 next_try, deadline, next_send, backoff;
	uint32_t	 next_seq;	/* next message to send */
	uint32_t	 expect_ack;	/* oldest unacked message of this link */
	unsigned long long sent, acked, lost, corrupt, reconnects, fails, links;
	unsigned long long link_acked;
	long long	 up_since, link_first_ack, last_ack, down_since;
	char		 last_why[128];	/* the last failure logged */
};

struct sender {
	char		 name[64];
	unsigned long long recv, corrupt, late, links;
	uint32_t	 max_seq;
	int		 have_max;
	long long	 last_recv;
};

struct inlink {
	int		 fd;
	struct buf	 in, out;
	struct sender	*from;		/* NULL until the hello */
	uint32_t	 expect;	/* next seq on this link */
	int		 got_first;
};

static const char	*me = "?";
static const char	*status_path;
static struct peer	 peers[MAX_PEERS];
static int		 npeers;
static struct sender	 senders[MAX_PEERS * 2];
static int		 nsenders;
static struct inlink	 ins[MAX_IN];
static char		 proxy_host[64];
static uint16_t		 proxy_port;
static int		 interval = 20;
static volatile sig_atomic_t stop;

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void logmsg(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
logmsg(const char *fmt, ...)
{
	va_list ap;
	long long t = wall_ms();

	fprintf(stderr, "%lld.%03lld p2p-node %s: ", t / 1000, t % 1000, me);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void
fatal(const char *what)
{
	logmsg("%s: %s", what, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: p2p-node -n NAME -l HOST:PORT [-x HOST:PORT] "
	    "-s STATUS_FILE [-i MS] -p PEER=HOST:PORT...\n");
	exit(2);
}

/* Split "HOST:PORT" or "[V6]:PORT" (numeric hosts) into its parts. */
static void
split(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *c = strrchr(s, ':');
	char *end;
	long v;
	int br = s[0] == '[';

	if (c == NULL || (size_t)(c - s) >= hostlen ||
	    (br && (c - s < 2 || c[-1] != ']')))
		usage();
	memcpy(host, s + br, (size_t)(c - s - 2 * br));
	host[c - s - 2 * br] = '\0';
	v = strtol(c + 1, &end, 10);
	if (*end != '\0' || v <= 0 || v > 65535)
		usage();
	*port = (uint16_t)v;
}

static void
buf_add(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + len)
			cap *= 2;
		if ((b->p = realloc(b->p, cap)) == NULL)
			fatal("realloc");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void
buf_drop(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;

	while (len-- > 0) {
		h ^= *p++;
		h *= 16777619u;
	}
	return (h);
}

static size_t
payload_len(uint32_t seq)
{
	return (32 + (seq * 37u) % 993u);
}

static uint8_t
payload_byte(uint32_t seq, size_t i)
{
	uint32_t x = seq * 2654435761u + (uint32_t)i * 40503u;

	return ((uint8_t)(x >> 13 ^ x >> 5));
}

/* Write what we can of ${b} to ${fd}; -1 on a broken connection. */
static int
flush(int fd, struct buf *b)
{
	ssize_t n;

	while (b->len > 0) {
		n = send(fd, b->p, b->len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return (0);
			return (-1);
		}
		buf_drop(b, (size_t)n);
	}
	return (0);
}

/* Read what is there into ${b}; 0 EOF, -1 error, 1 data or nothing. */
static int
fill(int fd, struct buf *b, int *err)
{
	uint8_t tmp[65536];
	ssize_t n;

	for (;;) {
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n == 0)
			return (0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return (1);
			*err = errno;
			return (-1);
		}
		buf_add(b, tmp, (size_t)n);
	}
}

/* The numeric ${host}:${port} as a socket address; -1 if not numeric. */
static int
sockaddr_of(const char *host, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints, *ai;
	char serv[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof(serv), "%u", port);
	if (getaddrinfo(host, serv, &hints, &ai) != 0)
		return (-1);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return (0);
}

static void
nonblock(int fd)
{
	int one = 1;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* --- outgoing links --------------------------------------------------- */

static void
link_down(struct peer *p, const char *why)
{
	long long now = mono_ms();

	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	p->in.len = p->out.len = 0;
	if (p->st == L_UP) {
		uint32_t unacked = p->next_seq - p->expect_ack;

		p->lost += unacked;
		p->down_since = wall_ms();
		logmsg("link to %s down after %llu acks, %u in flight lost: %s",
		    p->name, p->link_acked, unacked, why);
	} else {
		/* Each new reason is logged, a repeated one now and then. */
		p->fails++;
		if (strcmp(p->last_why, why) != 0 || p->fails % 20 == 0)
			logmsg("dial %s failed (%llu failures): %s", p->name,
			    p->fails, why);
		snprintf(p->last_why, sizeof(p->last_why), "%s", why);
	}
	p->st = L_IDLE;
	p->up_since = 0;
	p->next_try = now + p->backoff;
	p->backoff = p->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : p->backoff * 2;
}

static void
link_dial(struct peer *p)
{
	struct sockaddr_in sin;

	if (proxy_host[0] == '\0') {
		/* direct: no SOCKS, the link is up once connected */
		if ((p->fd = socket(p->addr.ss_family, SOCK_STREAM, 0)) == -1)
			fatal("socket");
		nonblock(p->fd);
		p->deadline = mono_ms() + PROXY_TIMEOUT;
		p->st = L_CONNECTING;
		if (connect(p->fd, (struct sockaddr *)&p->addr, p->addrlen) ==
		    -1 && errno != EINPROGRESS)
			link_down(p, strerror(errno));
		return;
	}
	if ((p->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	nonblock(p->fd);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(proxy_port);
	if (inet_pton(AF_INET, proxy_host, &sin.sin_addr) != 1) {
		errno = EINVAL;
		fatal("proxy address");
	}
	p->deadline = mono_ms() + PROXY_TIMEOUT;
	p->st = L_CONNECTING;
	if (connect(p->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		link_down(p, strerror(errno));
		return;
	}
}

static void
link_up(struct peer *p)
{
	uint8_t h[2 + 64];
	size_t n = strlen(me);

	p->st = L_UP;
	p->links++;
	if (p->links > 1)
		p->reconnects++;
	p->backoff = BACKOFF_MIN;
	p->up_since = wall_ms();
	p->link_acked = 0;
	p->link_first_ack = 0;
	p->expect_ack = p->next_seq;
	p->next_send = mono_ms();
	h[0] = 'H';
	h[1] = (uint8_t)n;
	memcpy(h + 2, me, n);
	buf_add(&p->out, h, 2 + n);
	p->last_why[0] = '\0';
	logmsg("link to %s up (link %llu, from seq %u)", p->name, p->links,
	    p->next_seq);
}

static void
send_message(struct peer *p)
{
	uint8_t m[1 + 4 + 2 + 1024 + 4];
	size_t len = payload_len(p->next_seq), i;

	m[0] = 'M';
	put32(m + 1, p->next_seq);
	m[5] = (uint8_t)(len >> 8);
	m[6] = (uint8_t)len;
	for (i = 0; i < len; i++)
		m[7 + i] = payload_byte(p->next_seq, i);
	put32(m + 7 + len, fnv1a(m, 7 + len));
	buf_add(&p->out, m, 7 + len + 4);
	p->next_seq++;
	p->sent++;
}

/* Handle the bytes received on an outgoing link. */
static void
link_input(struct peer *p)
{
	char why[64];

	if (p->st == L_GREETING) {
		if (p->in.len < 2)
			return;
		if (p->in.p[0] != 5 || p->in.p[1] != 0) {
			snprintf(why, sizeof(why), "SOCKS method %02x %02x",
			    p->in.p[0], p->in.p[1]);
			link_down(p, why);
			return;
		}
		buf_drop(&p->in, 2);
		{
			uint8_t r[5 + 64 + 2];
			size_t hl = strlen(p->host);

			r[0] = 5; r[1] = 1; r[2] = 0; r[3] = 3;
			r[4] = (uint8_t)hl;
			memcpy(r + 5, p->host, hl);
			r[5 + hl] = (uint8_t)(p->port >> 8);
			r[6 + hl] = (uint8_t)p->port;
			buf_add(&p->out, r, 7 + hl);
		}
		p->st = L_REQUEST;
		p->deadline = mono_ms() + SOCKS_TIMEOUT;
	}
	if (p->st == L_REQUEST) {
		size_t need;

		if (p->in.len < 5)
			return;
		if (p->in.p[0] != 5 || p->in.p[1] != 0) {
			snprintf(why, sizeof(why), "SOCKS reply 0x%02x",
			    p->in.p[1]);
			link_down(p, why);
			return;
		}
		switch (p->in.p[3]) {
		case 1: need = 4 + 4 + 2; break;
		case 4: need = 4 + 16 + 2; break;
		case 3: need = 4 + 1 + p->in.p[4] + 2; break;
		default:
			link_down(p, "SOCKS reply with a bad address type");
			return;
		}
		if (p->in.len < need)
			return;
		buf_drop(&p->in, need);
		link_up(p);
	}
	if (p->st != L_UP)
		return;
	while (p->in.len >= 5) {
		uint32_t seq;

		if (p->in.p[0] != 'A') {
			p->corrupt++;
			snprintf(why, sizeof(why), "corrupt: frame type 0x%02x",
			    p->in.p[0]);
			link_down(p, why);
			return;
		}
		seq = get32(p->in.p + 1);
		buf_drop(&p->in, 5);
		if (seq != p->expect_ack ||
		    (uint32_t)(p->next_seq - seq) == 0) {
			p->corrupt++;
			snprintf(why, sizeof(why),
			    "corrupt: ack %u, expected %u", seq, p->expect_ack);
			link_down(p, why);
			return;
		}
		p->expect_ack++;
		p->acked++;
		p->link_acked++;
		p->last_ack = wall_ms();
		if (p->link_first_ack == 0)
			p->link_first_ack = p->last_ack;
	}
}

/* --- incoming links --------------------------------------------------- */

static struct sender *
sender_get(const char *name)
{
	int i;

	for (i = 0; i < nsenders; i++)
		if (strcmp(senders[i].name, name) == 0)
			return (&senders[i]);
	if (nsenders == (int)(sizeof(senders) / sizeof(senders[0])))
		return (NULL);
	snprintf(senders[nsenders].name, sizeof(senders[0].name), "%s", name);
	return (&senders[nsenders++]);
}

static void
in_close(struct inlink *l, const char *why)
{
	if (l->from != NULL)
		logmsg("inbound link from %s closed: %s", l->from->name, why);
	close(l->fd);
	l->fd = -1;
	l->in.len = l->out.len = 0;
	l->from = NULL;
}

static void
in_corrupt(struct inlink *l, const char *why)
{
	if (l->from != NULL)
		l->from->corrupt++;
	else {
		struct sender *s = sender_get("?");

		if (s != NULL)
			s->corrupt++;
	}
	in_close(l, why);
}

static void
in_input(struct inlink *l)
{
	char why[96];

	for (;;) {
		if (l->from == NULL) {
			char name[64];

			if (l->in.len < 2)
				return;
			if (l->in.p[0] != 'H' || l->in.p[1] == 0 ||
			    l->in.p[1] >= sizeof(name)) {
				in_corrupt(l, "corrupt: no hello");
				return;
			}
			if (l->in.len < 2u + l->in.p[1])
				return;
			memcpy(name, l->in.p + 2, l->in.p[1]);
			name[l->in.p[1]] = '\0';
			buf_drop(&l->in, 2u + l->in.p[1]);
			if ((l->from = sender_get(name)) == NULL) {
				in_close(l, "too many senders");
				return;
			}
			l->from->links++;
			logmsg("inbound link from %s", name);
			continue;
		}
		{
			uint32_t seq, sum;
			size_t len, i;
			uint8_t ack[5];
			struct sender *s = l->from;

			if (l->in.len < 7)
				return;
			if (l->in.p[0] != 'M') {
				snprintf(why, sizeof(why),
				    "corrupt: frame type 0x%02x", l->in.p[0]);
				in_corrupt(l, why);
				return;
			}
			seq = get32(l->in.p + 1);
			len = (size_t)l->in.p[5] << 8 | l->in.p[6];
			if (len != payload_len(seq)) {
				snprintf(why, sizeof(why),
				    "corrupt: seq %u length %zu", seq, len);
				in_corrupt(l, why);
				return;
			}
			if (l->in.len < 7 + len + 4)
				return;
			sum = get32(l->in.p + 7 + len);
			if (sum != fnv1a(l->in.p, 7 + len)) {
				snprintf(why, sizeof(why),
				    "corrupt: seq %u bad checksum", seq);
				in_corrupt(l, why);
				return;
			}
			for (i = 0; i < len; i++)
				if (l->in.p[7 + i] != payload_byte(seq, i))
					break;
			if (i < len) {
				snprintf(why, sizeof(why),
				    "corrupt: seq %u payload byte %zu", seq, i);
				in_corrupt(l, why);
				return;
			}
			if (l->got_first && seq != l->expect) {
				snprintf(why, sizeof(why),
				    "corrupt: seq %u on a link that expects %u",
				    seq, l->expect);
				in_corrupt(l, why);
				return;
			}
			if (!l->got_first && s->have_max &&
			    (int32_t)(seq - s->max_seq) <= 0) {
				snprintf(why, sizeof(why), "corrupt: new link "
				    "starts at seq %u, seen %u already", seq,
				    s->max_seq);
				in_corrupt(l, why);
				return;
			}
			buf_drop(&l->in, 7 + len + 4);
			l->got_first = 1;
			l->expect = seq + 1;
			if (s->have_max && (int32_t)(seq - s->max_seq) <= 0)
				s->late++;	/* an older link, overtaken */
			else {
				s->max_seq = seq;
				s->have_max = 1;
			}
			s->recv++;
			s->last_recv = wall_ms();
			ack[0] = 'A';
			put32(ack + 1, seq);
			buf_add(&l->out, ack, sizeof(ack));
		}
	}
}

/* --- status ------------------------------------------------------------ */

static void
write_status(void)
{
	char tmp[4096];
	FILE *f;
	int i, j, open_;

	snprintf(tmp, sizeof(tmp), "%s.tmp", status_path);
	if ((f = fopen(tmp, "w")) == NULL)
		fatal(tmp);
	for (i = 0; i < npeers; i++) {
		struct peer *p = &peers[i];

		fprintf(f, "out %s sent %llu acked %llu lost %llu corrupt %llu "
		    "reconnects %llu fails %llu up %d up_since %lld "
		    "down_since %lld link_acked %llu link_first_ack %lld "
		    "last_ack %lld\n",
		    p->name, p->sent, p->acked, p->lost, p->corrupt,
		    p->reconnects, p->fails, p->st == L_UP, p->up_since,
		    p->down_since, p->link_acked, p->link_first_ack,
		    p->last_ack);
	}
	for (i = 0; i < nsenders; i++) {
		struct sender *s = &senders[i];

		for (open_ = 0, j = 0; j < MAX_IN; j++)
			if (ins[j].fd != -1 && ins[j].from == s)
				open_++;
		fprintf(f, "in %s recv %llu corrupt %llu late %llu links %llu "
		    "open %d last_recv %lld\n", s->name, s->recv, s->corrupt,
		    s->late, s->links, open_, s->last_recv);
	}
	if (fclose(f) != 0 || rename(tmp, status_path) == -1)
		fatal(status_path);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	struct pollfd pfd[1 + MAX_PEERS + MAX_IN];
	struct peer *pmap[1 + MAX_PEERS + MAX_IN];
	struct inlink *imap[1 + MAX_PEERS + MAX_IN];
	struct sockaddr_storage lss;
	socklen_t lsslen;
	struct sigaction sa;
	char lhost[64];
	uint16_t lport = 0;
	long long next_status = 0;
	int c, i, lfd, one = 1;

	lhost[0] = '\0';
	while ((c = getopt(argc, argv, "n:l:x:s:i:p:")) != -1) {
		switch (c) {
		case 'n':
			me = optarg;
			if (strlen(me) == 0 || strlen(me) >= 64)
				usage();
			break;
		case 'l':
			split(optarg, lhost, sizeof(lhost), &lport);
			break;
		case 'x':
			split(optarg, proxy_host, sizeof(proxy_host),
			    &proxy_port);
			break;
		case 's':
			status_path = optarg;
			break;
		case 'i':
			interval = atoi(optarg);
			if (interval <= 0)
				usage();
			break;
		case 'p': {
			struct peer *p;
			char *eq = strchr(optarg, '=');

			if (npeers == MAX_PEERS || eq == NULL ||
			    (size_t)(eq - optarg) >= sizeof(p->name))
				usage();
			p = &peers[npeers++];
			memcpy(p->name, optarg, (size_t)(eq - optarg));
			p->name[eq - optarg] = '\0';
			split(eq + 1, p->host, sizeof(p->host), &p->port);
			if (sockaddr_of(p->host, p->port, &p->addr,
			    &p->addrlen) != 0)
				usage();
			p->fd = -1;
			p->backoff = BACKOFF_MIN;
			break;
		}
		default:
			usage();
		}
	}
	if (lhost[0] == '\0' || status_path == NULL)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < MAX_IN; i++)
		ins[i].fd = -1;
	if (sockaddr_of(lhost, lport, &lss, &lsslen) != 0)
		usage();
	if ((lfd = socket(lss.ss_family, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* IPv6 only, as multichaind's (bitcoind's) IPv6 listener: its
	 * IPv4 one is another socket, here another p2p-node */
	if (lss.ss_family == AF_INET6)
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&lss, lsslen) == -1)
		fatal("bind");
	if (listen(lfd, 64) == -1)
		fatal("listen");
	nonblock(lfd);
	logmsg("listening on %s:%u, %d peers %s %s:%u", lhost, lport, npeers,
	    proxy_host[0] != '\0' ? "via" : "dialled directly, not via",
	    proxy_host, proxy_port);

	while (!stop) {
		long long now = mono_ms(), wake = now + 100;
		int n = 0, timeout;

		/* Timers: dialling, SOCKS deadlines, messages, status. */
		for (i = 0; i < npeers; i++) {
			struct peer *p = &peers[i];

			if (p->st == L_IDLE && now >= p->next_try)
				link_dial(p);
			if (p->st != L_IDLE && p->st != L_UP &&
			    now >= p->deadline)
				link_down(p, p->st == L_CONNECTING ?
				    "proxy connect timeout" : "SOCKS timeout");
			if (p->st == L_UP && now >= p->next_send) {
				if (p->out.len < OUT_CAP)
					send_message(p);
				p->next_send += interval;
				if (p->next_send < now)	/* we were stalled */
					p->next_send = now + interval;
			}
			if (p->st == L_IDLE && p->next_try < wake)
				wake = p->next_try;
			if (p->st == L_UP && p->next_send < wake)
				wake = p->next_send;
			if (p->st != L_IDLE && p->st != L_UP &&
			    p->deadline < wake)
				wake = p->deadline;
		}
		if (now >= next_status) {
			write_status();
			next_status = now + 100;
		}
		if (next_status < wake)
			wake = next_status;

		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		pmap[n] = NULL;
		imap[n++] = NULL;
		for (i = 0; i < npeers; i++) {
			struct peer *p = &peers[i];

			if (p->fd == -1)
				continue;
			if (p->st != L_CONNECTING && p->out.len > 0 &&
			    flush(p->fd, &p->out) == -1) {
				link_down(p, strerror(errno));
				continue;
			}
			pfd[n].fd = p->fd;
			pfd[n].events = POLLIN;
			if (p->st == L_CONNECTING || p->out.len > 0)
				pfd[n].events |= POLLOUT;
			pmap[n] = p;
			imap[n++] = NULL;
		}
		for (i = 0; i < MAX_IN; i++) {
			struct inlink *l = &ins[i];

			if (l->fd == -1)
				continue;
			if (l->out.len > 0 && flush(l->fd, &l->out) == -1) {
				in_close(l, strerror(errno));
				continue;
			}
			pfd[n].fd = l->fd;
			pfd[n].events = POLLIN;
			if (l->out.len > 0)
				pfd[n].events |= POLLOUT;
			pmap[n] = NULL;
			imap[n++] = l;
		}
		timeout = (int)(wake - mono_ms());
		if (timeout < 0)
			timeout = 0;
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (c = 0; c < n; c++) {
			int err = 0, r;

			if (pfd[c].revents == 0)
				continue;
			if (c == 0) {
				int fd;

				while ((fd = accept(lfd, NULL, NULL)) != -1) {
					for (i = 0; i < MAX_IN; i++)
						if (ins[i].fd == -1)
							break;
					if (i == MAX_IN) {
						logmsg("too many inbound links");
						close(fd);
						continue;
					}
					nonblock(fd);
					ins[i].fd = fd;
					ins[i].from = NULL;
					ins[i].got_first = 0;
				}
				continue;
			}
			if (pmap[c] != NULL) {
				struct peer *p = pmap[c];

				if (p->fd != pfd[c].fd)
					continue;
				if (p->st == L_CONNECTING) {
					socklen_t el = sizeof(err);
					uint8_t g[3] = { 5, 1, 0 };

					if (!(pfd[c].revents &
					    (POLLOUT | POLLERR | POLLHUP)))
						continue;
					getsockopt(p->fd, SOL_SOCKET, SO_ERROR,
					    &err, &el);
					if (err != 0) {
						link_down(p, strerror(err));
						continue;
					}
					if (proxy_host[0] == '\0') {
						link_up(p);
						if (flush(p->fd, &p->out) == -1)
							link_down(p,
							    strerror(errno));
						continue;
					}
					buf_add(&p->out, g, sizeof(g));
					p->st = L_GREETING;
					p->deadline = mono_ms() +
					    SOCKS_TIMEOUT;
					if (flush(p->fd, &p->out) == -1)
						link_down(p, strerror(errno));
					continue;
				}
				r = fill(p->fd, &p->in, &err);
				link_input(p);
				if (p->fd == -1)
					continue;
				if (r == 0)
					link_down(p, "closed by the proxy");
				else if (r == -1)
					link_down(p, strerror(err));
				else if (p->out.len > 0 &&
				    flush(p->fd, &p->out) == -1)
					link_down(p, strerror(errno));
				continue;
			}
			if (imap[c] != NULL) {
				struct inlink *l = imap[c];

				r = fill(l->fd, &l->in, &err);
				in_input(l);
				if (l->fd == -1)
					continue;
				if (l->out.len > 0 &&
				    flush(l->fd, &l->out) == -1) {
					in_close(l, strerror(errno));
					continue;
				}
				if (r == 0)
					in_close(l, "closed by the peer");
				else if (r == -1)
					in_close(l, strerror(err));
			}
		}
	}
	write_status();
	logmsg("stopped");
	return (0);
}
