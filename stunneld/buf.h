/*
 * buf.h: byte buffers that hold memory only while they hold bytes, so an
 * idle connection costs none.  Empty blocks wait in a small per-process
 * free list, so a busy link does not call malloc for every burst.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>

/* One read or write system call moves up to this much: the plaintext of
 * four full TLS records, or three and most of a fourth on the wire. */
#define BUF_SIZE	65536

struct buf {
	size_t		off;
	size_t		len;
	uint8_t		*data;		/* BUF_SIZE bytes, or NULL when empty */
};

/**
 * buf_room(b): make ${b} ready to take bytes at data + off + len and
 * return how many fit (0 if full or out of memory).
 */
size_t	buf_room(struct buf *b);

/** buf_settle(b): give ${b}'s memory back if it holds no bytes. */
void	buf_settle(struct buf *b);

/** buf_put(b, data, len): append ${len} bytes; return 0, or -1 if they do not fit. */
int	buf_put(struct buf *b, const void *data, size_t len);

/** buf_consume(b, len): drop ${len} bytes from the front of ${b}. */
void	buf_consume(struct buf *b, size_t len);

/** buf_drop(b): drop every byte of ${b} and give its memory back. */
void	buf_drop(struct buf *b);

#endif /* BUF_H */
