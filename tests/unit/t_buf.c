/*
 * t_buf.c: the buffers of buf.c: memory only while they hold bytes,
 * blocks reused from the free list, appends that fit or are refused
 * whole, bytes kept in order when the buffer moves them to its front.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "test.h"

static uint8_t	 pattern[BUF_SIZE];	/* pattern[i] = i * 7 + 3 */

/* Whether ${b} holds exactly pattern[from .. from + len). */
static int
holds(const struct buf *b, size_t from, size_t len)
{
	return (b->len == len && b->data != NULL &&
	    memcmp(b->data + b->off, pattern + from, len) == 0);
}

/* An empty buffer holds no memory until bytes go in, and again after. */
static void
test_empty(void)
{
	struct buf	 b = { 0, 0, NULL };

	buf_settle(&b);
	CHECK(b.data == NULL);
	CHECK(buf_room(&b) == BUF_SIZE);
	CHECK(b.data != NULL && b.off == 0 && b.len == 0);
	buf_settle(&b);		/* still empty: the block goes back */
	CHECK(b.data == NULL && b.off == 0);

	CHECK(buf_put(&b, pattern, 10) == 0);
	CHECK(holds(&b, 0, 10));
	buf_settle(&b);		/* not empty: kept */
	CHECK(holds(&b, 0, 10));
	buf_consume(&b, 4);
	CHECK(b.off == 4 && holds(&b, 4, 6));
	buf_consume(&b, 6);
	CHECK(b.data == NULL && b.len == 0 && b.off == 0);

	CHECK(buf_put(&b, pattern, 100) == 0);
	buf_drop(&b);
	CHECK(b.data == NULL && b.len == 0 && b.off == 0);
	buf_drop(&b);		/* dropping an empty buffer is harmless */
	CHECK(b.data == NULL);
}

/* A block given back is the next one handed out (last in, first out). */
static void
test_reuse(void)
{
	struct buf	 a = { 0, 0, NULL }, b = { 0, 0, NULL };
	uint8_t		*block;

	CHECK(buf_room(&a) == BUF_SIZE);
	block = a.data;
	buf_settle(&a);
	CHECK(buf_room(&b) == BUF_SIZE);
	CHECK(b.data == block);
	buf_drop(&b);
}

/* The free list keeps up to 32 blocks and hands back every one of them:
 * 32 buffers emptied at once cost no malloc when they fill again. */
static void
test_pool(void)
{
	struct buf	 b[32];
	uint8_t		*block[32];
	size_t		 i, j, found;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 32; i++) {
		CHECK(buf_put(&b[i], pattern, 1) == 0);
		block[i] = b[i].data;
	}
	for (i = 0; i < 32; i++)
		for (j = i + 1; j < 32; j++)
			CHECK(block[i] != block[j]);
	for (i = 0; i < 32; i++) {
		buf_consume(&b[i], 1);	/* empty: to the free list */
		CHECK(b[i].data == NULL);
	}
	found = 0;
	for (i = 0; i < 32; i++) {
		CHECK(buf_room(&b[i]) == BUF_SIZE);
		for (j = 0; j < 32; j++)
			if (b[i].data == block[j])
				found++;
	}
	CHECK(found == 32);
	for (i = 0; i < 32; i++)
		buf_drop(&b[i]);
}

/* A buffer takes BUF_SIZE bytes and no more; an append that does not fit
 * is refused whole and leaves the buffer as it was. */
static void
test_full(void)
{
	struct buf	 b = { 0, 0, NULL };

	CHECK(buf_put(&b, pattern, BUF_SIZE + 1) == -1);
	CHECK(b.len == 0);
	CHECK(buf_put(&b, pattern, BUF_SIZE - 1) == 0);
	CHECK(buf_room(&b) == 1);
	CHECK(buf_put(&b, pattern + BUF_SIZE - 1, 2) == -1);
	CHECK(holds(&b, 0, BUF_SIZE - 1));
	CHECK(buf_put(&b, pattern + BUF_SIZE - 1, 1) == 0);
	CHECK(holds(&b, 0, BUF_SIZE));
	CHECK(buf_room(&b) == 0);
	CHECK(buf_put(&b, pattern, 1) == -1);
	CHECK(buf_put(&b, pattern, 0) == 0);
	CHECK(holds(&b, 0, BUF_SIZE));
	buf_drop(&b);
}

/* Bytes consumed from the front make room at the back: buf_room moves
 * what is left to the front once the tail is full, buf_put when the
 * append would not fit behind it; the bytes stay in order. */
static void
test_compact(void)
{
	struct buf	 b = { 0, 0, NULL };
	uint8_t		 want[2010];

	/* buf_room: the tail is full, the front free */
	CHECK(buf_put(&b, pattern, BUF_SIZE) == 0);
	buf_consume(&b, 1000);
	CHECK(b.off == 1000 && b.len == BUF_SIZE - 1000);
	CHECK(buf_room(&b) == 1000);
	CHECK(b.off == 0 && holds(&b, 1000, BUF_SIZE - 1000));

	/* buf_room leaves the bytes where they are while the tail has room */
	buf_consume(&b, BUF_SIZE - 1010);	/* the last 10 bytes are left */
	CHECK(b.off == BUF_SIZE - 1010 && holds(&b, BUF_SIZE - 10, 10));
	CHECK(buf_room(&b) == 1000);
	CHECK(b.off == BUF_SIZE - 1010);

	/* buf_put: 2000 bytes fit only once the 10 have moved to the front */
	memcpy(want, pattern + BUF_SIZE - 10, 10);
	memcpy(want + 10, pattern, 2000);
	CHECK(buf_put(&b, pattern, 2000) == 0);
	CHECK(b.off == 0 && b.len == sizeof(want) &&
	    memcmp(b.data, want, sizeof(want)) == 0);

	/* ... but not BUF_SIZE - 2010 + 1: refused, nothing moved */
	CHECK(buf_put(&b, pattern, BUF_SIZE - sizeof(want) + 1) == -1);
	CHECK(b.off == 0 && b.len == sizeof(want) &&
	    memcmp(b.data, want, sizeof(want)) == 0);

	/* an empty buffer starts again at the front */
	buf_consume(&b, sizeof(want) - 1);
	CHECK(b.len == 1 && b.off == sizeof(want) - 1);
	CHECK(buf_room(&b) == BUF_SIZE - sizeof(want));
	buf_consume(&b, 1);
	CHECK(b.data == NULL);
	CHECK(buf_room(&b) == BUF_SIZE && b.off == 0);
	buf_drop(&b);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	test_empty();
	test_reuse();
	test_pool();
	test_full();
	test_compact();
	TEST_DONE();
}
