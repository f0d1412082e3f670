/*
 * relay.h: the byte pump between a plaintext socket and a TLS session.
 * Two buffers of one TLS record each, one per direction, bound the memory
 * of a connection and give back-pressure: a side is read only while its
 * buffer has room.  A buffer holds memory only while it holds bytes (an
 * idle link costs none); empty blocks wait in a small free list.
 * Half-close travels across: EOF on the plain side becomes close_notify,
 * close_notify becomes shutdown(SHUT_WR).
 */
#ifndef RELAY_H
#define RELAY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_BUFSIZE	16384	/* one TLS record */

struct tls;

struct relay_buf {
	size_t		off;
	size_t		len;
	uint8_t		*data;		/* RELAY_BUFSIZE bytes, or NULL when empty */
};

struct relay {
	int		 plain_fd;
	struct tls	*tls;		/* NULL: no TLS side (refusals) */
	struct relay_buf p2t;		/* plain -> TLS */
	struct relay_buf t2p;		/* TLS -> plain */
	int		 plain_eof;	/* read EOF on plain, or stop reading it */
	int		 plain_discard;	/* read plain and drop it (lingering close) */
	int		 plain_shut;	/* sent FIN to plain */
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

/** relay_free(r): give back the buffers of ${r} (bytes in them are dropped). */
void	relay_free(struct relay *r);

/**
 * relay_buf_room(b): make ${b} ready to take bytes at data + off + len
 * and return how many fit (0 if full or out of memory).
 */
size_t	relay_buf_room(struct relay_buf *b);

/** relay_buf_settle(b): give ${b}'s memory back if it holds no bytes. */
void	relay_buf_settle(struct relay_buf *b);

/**
 * relay_pump(r, want): move bytes as far as possible without blocking;
 * set ${want} to the RELAY_WANT_* events to wait for.
 */
enum relay_status relay_pump(struct relay *r, int *want);

/** relay_buf_put(b, data, len): append ${len} bytes; return 0, or -1 if they do not fit. */
int	relay_buf_put(struct relay_buf *b, const void *data, size_t len);

/** relay_buf_consume(b, len): drop ${len} bytes from the front of ${b}. */
void	relay_buf_consume(struct relay_buf *b, size_t len);

#endif /* !RELAY_H */
