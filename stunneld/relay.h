/*
 * relay.h: the byte pump between a plaintext socket and a TLS session.
 * One buffer per direction (buf.h) bounds the memory of a connection and
 * gives back-pressure: a side is read only while its buffer has room.
 * Half-close travels across: EOF on the plain side becomes close_notify,
 * close_notify becomes shutdown(SHUT_WR).
 */
#ifndef RELAY_H
#define RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct tls;

struct relay {
	int		 plain_fd;
	struct tls	*tls;		/* NULL: no TLS side (refusals) */
	struct buf	 p2t;		/* plain -> TLS */
	struct buf	 t2p;		/* TLS -> plain */
	int		 plain_eof;	/* read EOF on plain, or stop reading it */
	int		 plain_discard;	/* read plain and drop it (lingering close) */
	int		 plain_shut;	/* sent FIN to plain */
	int		 plain_drained;	/* plain found empty since it was last
					 * reported readable */
	int		 tls_eof;	/* peer ended TLS, or stop reading it */
	int		 tls_shut;	/* sent close_notify */
	uint64_t	 bytes_p2t;
	uint64_t	 bytes_t2p;
	const char	*error;		/* why RELAY_ERROR */
};

/* What relay_pump() waits for. */
#define RELAY_WANT_PLAIN_READ	0x01
#define RELAY_WANT_PLAIN_WRITE	0x02
#define RELAY_WANT_TLS_READ	0x04
#define RELAY_WANT_TLS_WRITE	0x08
#define RELAY_WANT_AGAIN	0x10	/* more to do at once (fairness cap) */

enum relay_status {
	RELAY_CONTINUE,
	RELAY_DONE,		/* both directions ended and flushed */
	RELAY_ERROR		/* see relay->error */
};

/** relay_init(r, plain_fd, tls): an empty relay between ${plain_fd} and ${tls}. */
void	relay_init(struct relay *r, int plain_fd, struct tls *tls);

/**
 * relay_attach(r, plain_fd, tls): both sides are up: relay between
 * ${plain_fd} and ${tls}, after what is already in the buffers.
 */
void	relay_attach(struct relay *r, int plain_fd, struct tls *tls);

/**
 * relay_drain_plain(r, plain_fd): a refusal (a SOCKS reply): send what is
 * in t2p to ${plain_fd}, then FIN; read and drop what it sends until it
 * ends.  Nothing goes to a TLS side (any is forgotten, not freed).
 */
void	relay_drain_plain(struct relay *r, int plain_fd);

/**
 * relay_drain_tls(r, tls): a refusal (a status byte): send what is in p2t
 * to ${tls}, then close_notify; the plain side is gone and nothing more is
 * read from either.
 */
void	relay_drain_tls(struct relay *r, struct tls *tls);

/**
 * relay_plain_ready(r): the caller's loop saw the plain socket readable.
 * After a read finds it empty, it is read again only after this.
 */
void	relay_plain_ready(struct relay *r);

/**
 * relay_read(r): read what the plain side has now into p2t, as
 * relay_pump() would, without passing it on: a protocol spoken before the
 * relay starts (SOCKS) parses it there.  Return 1 if bytes came or the
 * side ended (r->plain_eof), 0 if none are there now (or p2t is full),
 * -1 on an error (r->error).
 */
int	relay_read(struct relay *r);

/**
 * relay_write(r): send what is in t2p to the plain side now, as
 * relay_pump() would, without the FIN: the answers of a protocol spoken
 * before the relay starts (SOCKS).  They are not relayed bytes, so
 * bytes_t2p does not count them.  Return 1 if bytes went, 0 if none
 * could (or t2p is empty), -1 on an error (r->error).
 */
int	relay_write(struct relay *r);

/** relay_free(r): give back the buffers of ${r} (bytes in them are dropped). */
void	relay_free(struct relay *r);

/**
 * relay_pump(r, want): move bytes as far as possible without blocking;
 * set ${want} to the RELAY_WANT_* events to wait for.
 */
enum relay_status relay_pump(struct relay *r, int *want);


#endif /* !RELAY_H */
