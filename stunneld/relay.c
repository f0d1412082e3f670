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

#include "buf.h"
#include "relay.h"
#include "tls.h"

/* Rounds of moves per call, so one busy connection cannot starve the rest. */
#define RELAY_ROUNDS	4

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
	r->plain_drained = 0;
	r->tls_eof = r->tls_shut = 0;
	r->bytes_p2t = r->bytes_t2p = 0;
	r->error = NULL;
}

/** relay_free(r): give back the buffers of ${r} (bytes in them are dropped). */
void
relay_free(struct relay *r)
{
	buf_drop(&r->p2t);
	buf_drop(&r->t2p);
}

/**
 * relay_attach(r, plain_fd, tls): both sides are up: relay between
 * ${plain_fd} and ${tls}, after what is already in the buffers.
 */
void
relay_attach(struct relay *r, int plain_fd, struct tls *tls)
{
	r->plain_fd = plain_fd;
	r->tls = tls;
}

/**
 * relay_drain_plain(r, plain_fd): a refusal (a SOCKS reply): send what is
 * in t2p to ${plain_fd}, then FIN; read and drop what it sends until it
 * ends.  Nothing goes to a TLS side (any is forgotten, not freed).
 */
void
relay_drain_plain(struct relay *r, int plain_fd)
{
	buf_drop(&r->p2t);
	r->tls = NULL;
	r->plain_fd = plain_fd;
	r->plain_discard = 1;
}

/**
 * relay_drain_tls(r, tls): a refusal (a status byte): send what is in p2t
 * to ${tls}, then close_notify; the plain side is gone and nothing more is
 * read from either.
 */
void
relay_drain_tls(struct relay *r, struct tls *tls)
{
	r->plain_fd = -1;
	r->plain_eof = r->plain_shut = 1;
	r->tls_eof = 1;
	r->tls = tls;
}

/** relay_plain_ready(r): the caller's loop saw the plain socket readable. */
void
relay_plain_ready(struct relay *r)
{
	r->plain_drained = 0;
}

/* The RELAY_WANT bit for tls_*() result ${n}: 0 unless TLS_AGAIN_IN/OUT. */
static int
relay_tls_want(ssize_t n)
{
	if (n == TLS_AGAIN_OUT)
		return (RELAY_WANT_TLS_WRITE);
	if (n == TLS_AGAIN_IN)
		return (RELAY_WANT_TLS_READ);
	return (0);
}

/* plain -> p2t.  Return 1 on progress, 0 if blocked, -1 on error. */
static int
relay_read_plain(struct relay *r, int *want)
{
	struct buf		*b = &r->p2t;
	size_t			 space;
	ssize_t			 n;
	uint8_t			 junk[4096];

	if (r->plain_eof)
		return (0);
	if (r->plain_discard) {
		space = sizeof(junk);
		n = read(r->plain_fd, junk, space);
	} else {
		if (r->plain_drained && b->len < BUF_SIZE) {
			/* read it when the loop says there is something */
			*want |= RELAY_WANT_PLAIN_READ;
			return (0);
		}
		if ((space = buf_room(b)) == 0)
			return (0);
		n = read(r->plain_fd, b->data + b->off + b->len, space);
		if (n <= 0)
			buf_settle(b);
	}
	if (n > 0) {
		/* a stream socket that gives less than asked is empty */
		if ((size_t)n < space)
			r->plain_drained = 1;
		if (!r->plain_discard)
			b->len += (size_t)n;
		return (1);
	}
	if (n == 0) {
		r->plain_eof = 1;
		return (1);
	}
	if (errno == EAGAIN || errno == EINTR) {
		if (errno == EAGAIN)
			r->plain_drained = 1;
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

/**
 * relay_read(r): read what the plain side has now into p2t, as
 * relay_pump() would, without passing it on: a protocol spoken before the
 * relay starts (SOCKS) parses it there.  Return 1 if bytes came or the
 * side ended (r->plain_eof), 0 if none are there now (or p2t is full),
 * -1 on an error (r->error).
 */
int
relay_read(struct relay *r)
{
	int	 want = 0, rc;

	/* an empty buffer goes back while waiting for more */
	if ((rc = relay_read_plain(r, &want)) == 0)
		buf_settle(&r->p2t);
	return (rc);
}

/* p2t -> TLS, then close_notify once plain has ended. */
static int
relay_write_tls(struct relay *r, int *want)
{
	struct buf		*b = &r->p2t;
	ssize_t			 n;
	int			 ret, progress = 0;

	if (r->tls == NULL || r->tls_shut)
		return (0);
	if (b->len > 0) {
		/* one record per call; they collect until the flush */
		while (b->len > 0) {
			n = tls_send(r->tls, b->data + b->off, b->len);
			if (relay_tls_want(n) != 0) {
				*want |= relay_tls_want(n);
				break;
			}
			if (n <= 0) {
				r->error = tls_error(r->tls);
				return (-1);
			}
			buf_consume(b, (size_t)n);
			r->bytes_p2t += (uint64_t)n;
			progress = 1;
		}
		return (progress);
	}
	if (!r->plain_eof)
		return (0);
	ret = tls_shutdown(r->tls);
	if (ret == TLS_OK) {
		r->tls_shut = 1;
		return (1);
	}
	if (relay_tls_want(ret) != 0) {
		*want |= relay_tls_want(ret);
		return (0);
	}
	r->error = tls_error(r->tls);
	return (-1);
}

/* TLS -> t2p. */
static int
relay_read_tls(struct relay *r, int *want)
{
	struct buf		*b = &r->t2p;
	size_t			 space;
	ssize_t			 n;
	int			 progress = 0;

	if (r->tls == NULL || r->tls_eof)
		return (0);
	/* records one by one, until the buffer is full or none is left */
	while ((space = buf_room(b)) > 0) {
		n = tls_recv(r->tls, b->data + b->off + b->len, space);
		if (n <= 0)
			buf_settle(b);
		if (n > 0) {
			b->len += (size_t)n;
			progress = 1;
			continue;
		}
		if (n == TLS_CLOSED) {
			r->tls_eof = 1;
			return (1);
		}
		if (relay_tls_want(n) != 0) {
			*want |= relay_tls_want(n);
			return (progress);
		}
		r->error = tls_error(r->tls);
		return (-1);
	}
	return (progress);
}

/* What of t2p the plain socket takes now.  Return the bytes sent, 0 if
 * it takes none now, -1 on error. */
static ssize_t
relay_send_plain(struct relay *r, int *want)
{
	struct buf		*b = &r->t2p;
	ssize_t			 n;

	n = send(r->plain_fd, b->data + b->off, b->len, MSG_NOSIGNAL);
	if (n > 0) {
		buf_consume(b, (size_t)n);
		return (n);
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		*want |= RELAY_WANT_PLAIN_WRITE;
		return (0);
	}
	r->error = strerror(errno);
	return (-1);
}

/**
 * relay_write(r): send what is in t2p to the plain side now, as
 * relay_pump() would, without the FIN: the answers of a protocol spoken
 * before the relay starts (SOCKS).  They are not relayed bytes, so
 * bytes_t2p does not count them.  Return 1 if bytes went, 0 if none
 * could (or t2p is empty), -1 on an error (r->error).
 */
int
relay_write(struct relay *r)
{
	int	 want = 0;
	ssize_t	 n;

	if (r->t2p.len == 0)
		return (0);
	if ((n = relay_send_plain(r, &want)) < 0)
		return (-1);
	return (n > 0);
}

/* t2p -> plain, then FIN once TLS has ended. */
static int
relay_write_plain(struct relay *r, int *want)
{
	struct buf		*b = &r->t2p;
	ssize_t			 n;

	if (r->plain_shut)
		return (0);
	if (b->len > 0) {
		if ((n = relay_send_plain(r, want)) < 0)
			return (-1);
		r->bytes_t2p += (uint64_t)n;
		return (n > 0);
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
			break;
		if (!progress)
			break;
	}
	if (round == RELAY_ROUNDS)
		*want |= RELAY_WANT_AGAIN;
	/* the records of this call go out together */
	if (r->tls != NULL && (rc = tls_flush(r->tls)) != TLS_OK) {
		if (rc == TLS_AGAIN_OUT) {
			*want |= RELAY_WANT_TLS_WRITE;
			return (RELAY_CONTINUE);
		}
		r->error = tls_error(r->tls);
		return (RELAY_ERROR);
	}
	if (r->plain_eof && r->tls_eof && r->plain_shut && r->tls_shut)
		return (RELAY_DONE);
	return (RELAY_CONTINUE);
}
