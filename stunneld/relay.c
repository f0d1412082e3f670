/*
 * relay.c: the full-duplex pump.  Each call makes every move that is
 * possible now and reports which events would allow the next ones; the
 * caller arms exactly those watchers.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"
#include "tls.h"

/* Rounds of moves per call, so one busy connection cannot starve the rest. */
#define RELAY_ROUNDS	16

/** relay_init(r, plain_fd, tls): an empty relay between ${plain_fd} and ${tls}. */
void
relay_init(struct relay *r, int plain_fd, struct tls *tls)
{
	r->plain_fd = plain_fd;
	r->tls = tls;
	r->p2t.off = r->p2t.len = 0;
	r->t2p.off = r->t2p.len = 0;
	r->p2t.data = r->t2p.data = NULL;
	r->plain_eof = r->plain_discard = r->plain_shut = 0;
	r->tls_eof = r->tls_shut = 0;
	r->bytes_p2t = r->bytes_t2p = 0;
	r->error = NULL;
}

#define RELAY_POOL_MAX	64	/* empty blocks kept for reuse */

/* Empty buffer blocks of this process, so a busy link does not malloc. */
static struct {
	uint8_t		*block[RELAY_POOL_MAX];
	size_t		 n;
} relay_pool;

/** relay_buf_settle(b): give ${b}'s memory back if it holds no bytes. */
void
relay_buf_settle(struct relay_buf *b)
{
	if (b->data == NULL || b->len > 0)
		return;
	if (relay_pool.n < RELAY_POOL_MAX)
		relay_pool.block[relay_pool.n++] = b->data;
	else
		free(b->data);
	b->data = NULL;
	b->off = 0;
}

/**
 * relay_buf_room(b): make ${b} ready to take bytes at data + off + len
 * and return how many fit (0 if full or out of memory).
 */
size_t
relay_buf_room(struct relay_buf *b)
{
	if (b->data == NULL) {
		b->data = relay_pool.n > 0 ? relay_pool.block[--relay_pool.n] :
		    malloc(RELAY_BUFSIZE);
		b->off = b->len = 0;
		if (b->data == NULL)
			return (0);
	}
	if (b->len == 0)
		b->off = 0;
	else if (b->off > 0 && b->off + b->len == RELAY_BUFSIZE) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	return (RELAY_BUFSIZE - b->off - b->len);
}

/** relay_free(r): give back the buffers of ${r} (bytes in them are dropped). */
void
relay_free(struct relay *r)
{
	r->p2t.len = r->t2p.len = 0;
	relay_buf_settle(&r->p2t);
	relay_buf_settle(&r->t2p);
}

/** relay_buf_put(b, data, len): append ${len} bytes; return 0, or -1 if they do not fit. */
int
relay_buf_put(struct relay_buf *b, const void *data, size_t len)
{
	if (relay_buf_room(b) < len) {
		if (b->off + b->len + len > RELAY_BUFSIZE &&
		    b->len + len <= RELAY_BUFSIZE) {
			memmove(b->data, b->data + b->off, b->len);
			b->off = 0;
		} else
			return (-1);
	}
	memcpy(b->data + b->off + b->len, data, len);
	b->len += len;
	return (0);
}

/** relay_buf_consume(b, len): drop ${len} bytes from the front of ${b}. */
void
relay_buf_consume(struct relay_buf *b, size_t len)
{
	b->off += len;
	b->len -= len;
	relay_buf_settle(b);
}

/* The TLS direction GnuTLS is waiting for, as a RELAY_WANT bit. */
static int
relay_tls_want(struct relay *r)
{
	return (tls_want_write(r->tls) ? RELAY_WANT_TLS_WRITE :
	    RELAY_WANT_TLS_READ);
}

/* plain -> p2t.  Return 1 on progress, 0 if blocked, -1 on error. */
static int
relay_read_plain(struct relay *r, int *want)
{
	struct relay_buf	*b = &r->p2t;
	size_t			 space;
	ssize_t			 n;
	uint8_t			 junk[4096];

	if (r->plain_eof)
		return (0);
	if (r->plain_discard)
		n = read(r->plain_fd, junk, sizeof(junk));
	else {
		if ((space = relay_buf_room(b)) == 0)
			return (0);
		n = read(r->plain_fd, b->data + b->off + b->len, space);
		if (n <= 0)
			relay_buf_settle(b);
	}
	if (n > 0) {
		if (!r->plain_discard)
			b->len += (size_t)n;
		return (1);
	}
	if (n == 0) {
		r->plain_eof = 1;
		return (1);
	}
	if (errno == EAGAIN || errno == EINTR) {
		*want |= RELAY_WANT_PLAIN_READ;
		return (0);
	}
	if (r->plain_discard && (errno == ECONNRESET || errno == EPIPE)) {
		r->plain_eof = 1;
		return (1);
	}
	r->error = strerror(errno);
	return (-1);
}

/* p2t -> TLS, then close_notify once plain has ended. */
static int
relay_write_tls(struct relay *r, int *want)
{
	struct relay_buf	*b = &r->p2t;
	ssize_t			 n;
	int			 ret;

	if (r->tls == NULL || r->tls_shut)
		return (0);
	if (b->len > 0) {
		n = tls_send(r->tls, b->data + b->off, b->len);
		if (n > 0) {
			relay_buf_consume(b, (size_t)n);
			r->bytes_p2t += (uint64_t)n;
			return (1);
		}
		if (n == TLS_AGAIN) {
			*want |= relay_tls_want(r);
			return (0);
		}
		r->error = tls_error(r->tls);
		return (-1);
	}
	if (!r->plain_eof)
		return (0);
	ret = tls_shutdown(r->tls);
	if (ret == TLS_OK) {
		r->tls_shut = 1;
		return (1);
	}
	if (ret == TLS_AGAIN) {
		*want |= relay_tls_want(r);
		return (0);
	}
	r->error = tls_error(r->tls);
	return (-1);
}

/* TLS -> t2p. */
static int
relay_read_tls(struct relay *r, int *want)
{
	struct relay_buf	*b = &r->t2p;
	size_t			 space;
	ssize_t			 n;

	if (r->tls == NULL || r->tls_eof)
		return (0);
	if ((space = relay_buf_room(b)) == 0)
		return (0);
	n = tls_recv(r->tls, b->data + b->off + b->len, space);
	if (n <= 0)
		relay_buf_settle(b);
	if (n > 0) {
		b->len += (size_t)n;
		return (1);
	}
	if (n == TLS_CLOSED) {
		r->tls_eof = 1;
		return (1);
	}
	if (n == TLS_AGAIN) {
		*want |= relay_tls_want(r);
		return (0);
	}
	r->error = tls_error(r->tls);
	return (-1);
}

/* t2p -> plain, then FIN once TLS has ended. */
static int
relay_write_plain(struct relay *r, int *want)
{
	struct relay_buf	*b = &r->t2p;
	ssize_t			 n;

	if (r->plain_shut)
		return (0);
	if (b->len > 0) {
		n = send(r->plain_fd, b->data + b->off, b->len, MSG_NOSIGNAL);
		if (n > 0) {
			relay_buf_consume(b, (size_t)n);
			r->bytes_t2p += (uint64_t)n;
			return (1);
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			*want |= RELAY_WANT_PLAIN_WRITE;
			return (0);
		}
		r->error = strerror(errno);
		return (-1);
	}
	if (!r->tls_eof)
		return (0);
	if (shutdown(r->plain_fd, SHUT_WR) != 0 && errno != ENOTCONN) {
		r->error = strerror(errno);
		return (-1);
	}
	r->plain_shut = 1;
	return (1);
}

/**
 * relay_pump(r, want): move bytes as far as possible without blocking;
 * set ${want} to the RELAY_WANT_* events to wait for.
 */
enum relay_status
relay_pump(struct relay *r, int *want)
{
	int	 round, progress, rc;

	if (r->tls == NULL)
		r->tls_eof = r->tls_shut = 1;
	for (round = 0; round < RELAY_ROUNDS; round++) {
		*want = 0;
		progress = 0;
		if ((rc = relay_read_plain(r, want)) < 0)
			return (RELAY_ERROR);
		progress |= rc;
		if ((rc = relay_write_tls(r, want)) < 0)
			return (RELAY_ERROR);
		progress |= rc;
		if ((rc = relay_read_tls(r, want)) < 0)
			return (RELAY_ERROR);
		progress |= rc;
		if ((rc = relay_write_plain(r, want)) < 0)
			return (RELAY_ERROR);
		progress |= rc;
		if (r->plain_eof && r->tls_eof && r->plain_shut && r->tls_shut)
			return (RELAY_DONE);
		if (!progress)
			return (RELAY_CONTINUE);
	}
	*want |= RELAY_WANT_AGAIN;
	return (RELAY_CONTINUE);
}
