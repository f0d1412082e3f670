/*
 * buf.c: the buffers of buf.h and their free list.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_POOL_MAX	32	/* empty blocks kept for reuse */

/* Empty buffer blocks of this process, so a busy link does not malloc. */
static struct {
	uint8_t		*block[BUF_POOL_MAX];
	size_t		 n;
} buf_pool;

/** buf_settle(b): give ${b}'s memory back if it holds no bytes. */
void
buf_settle(struct buf *b)
{
	if (b->data == NULL || b->len > 0)
		return;
	if (buf_pool.n < BUF_POOL_MAX)
		buf_pool.block[buf_pool.n++] = b->data;
	else
		free(b->data);
	b->data = NULL;
	b->off = 0;
}

/**
 * buf_room(b): make ${b} ready to take bytes at data + off + len
 * and return how many fit (0 if full or out of memory).
 */
size_t
buf_room(struct buf *b)
{
	if (b->data == NULL) {
		b->data = buf_pool.n > 0 ? buf_pool.block[--buf_pool.n] :
		    malloc(BUF_SIZE);
		b->off = b->len = 0;
		if (b->data == NULL)
			return (0);
	}
	if (b->len == 0)
		b->off = 0;
	else if (b->off > 0 && b->off + b->len == BUF_SIZE) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	return (BUF_SIZE - b->off - b->len);
}

/** buf_put(b, data, len): append ${len} bytes; return 0, or -1 if they do not fit. */
int
buf_put(struct buf *b, const void *data, size_t len)
{
	if (buf_room(b) < len) {
		if (b->off + b->len + len > BUF_SIZE &&
		    b->len + len <= BUF_SIZE) {
			memmove(b->data, b->data + b->off, b->len);
			b->off = 0;
		} else
			return (-1);
	}
	memcpy(b->data + b->off + b->len, data, len);
	b->len += len;
	return (0);
}

/** buf_consume(b, len): drop ${len} bytes from the front of ${b}. */
void
buf_consume(struct buf *b, size_t len)
{
	b->off += len;
	b->len -= len;
	buf_settle(b);
}

/** buf_drop(b): drop every byte of ${b} and give its memory back. */
void
buf_drop(struct buf *b)
{
	b->off = b->len = 0;
	buf_settle(b);
}
