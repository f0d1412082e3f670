/*
 * ipc.c: framed channels over stream sockets.  Input goes into a buffer
 * that holds the largest valid frame; output into a growing buffer with a
 * hard cap.  A callback may free its own channel: the free is deferred
 * until the callback returns.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

#define IPC_INBUF	(sizeof(struct proto_hdr) + PROTO_MAX_PAYLOAD)
#define IPC_OUT_MAX	(16 * 1024 * 1024)

struct ipc {
	struct ev_loop	*loop;
	int		 fd;
	ev_io		 r, w;
	ipc_frame_cb	*on_frame;
	ipc_close_cb	*on_close;
	void		*arg;
	uint8_t		 in[IPC_INBUF];
	size_t		 inlen;
	uint8_t		*out;
	size_t		 outoff, outlen, outcap;
	int		 in_cb;		/* inside a callback */
	int		 dead;		/* freed inside a callback */
	int		 closed;	/* on_close already called */
	enum ipc_end	 end;		/* why, once closed */
	int		 rd_eof;	/* the peer is done sending; flush, then close */
};

static void	ipc_read_cb(struct ev_loop *, ev_io *, int);
static void	ipc_write_cb(struct ev_loop *, ev_io *, int);

/* Really free ${c}. */
static void
ipc_destroy(struct ipc *c)
{
	ev_io_stop(c->loop, &c->r);
	ev_io_stop(c->loop, &c->w);
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c);
}

/* ipc_close_cb's words for each enum ipc_end. */
static const char *const ipc_end_words[] = {
	[IPC_END_NONE] = "not closed",
	[IPC_END_CLOSED] = "closed by peer",
	[IPC_END_READ] = "read failed",
	[IPC_END_WRITE] = "write failed",
	[IPC_END_INVALID] = "invalid frame"
};

/* Tell the owner the channel is over (once), and why.  Called only from
 * our own watchers, so nothing above us on the stack still uses ${c}. */
static void
ipc_fail(struct ipc *c, enum ipc_end end)
{
	ev_io_stop(c->loop, &c->r);
	ev_io_stop(c->loop, &c->w);
	if (!c->closed) {
		c->closed = 1;
		c->end = end;
		c->in_cb++;
		c->on_close(c, ipc_end_words[end], c->arg);
		c->in_cb--;
	}
	if (c->dead)
		ipc_destroy(c);
}

/**
 * ipc_new(loop, fd, on_frame, on_close, arg): a channel on the connected
 * ${fd} (made non-blocking; owned by the channel from now on).  Return
 * NULL on failure (${fd} is then closed).
 */
struct ipc *
ipc_new(struct ev_loop *loop, int fd, ipc_frame_cb *on_frame,
    ipc_close_cb *on_close, void *arg)
{
	struct ipc	*c;
	int		 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return (NULL);
	}
	c->loop = loop;
	c->fd = fd;
	c->on_frame = on_frame;
	c->on_close = on_close;
	c->arg = arg;
	ev_io_init(&c->r, ipc_read_cb, fd, EV_READ);
	ev_io_init(&c->w, ipc_write_cb, fd, EV_WRITE);
	c->r.data = c->w.data = c;
	ev_io_start(loop, &c->r);
	return (c);
}

/* Write what is queued; the write watcher finishes what cannot go now. */
static void
ipc_flush(struct ipc *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(c->loop, &c->w);
			return;
		}
		ipc_fail(c, IPC_END_WRITE);
		return;
	}
	c->outoff = c->outlen = 0;
	ev_io_stop(c->loop, &c->w);
	if (c->rd_eof)
		ipc_fail(c, IPC_END_CLOSED);
}

/**
 * ipc_send(c, type, seq, payload, len): queue one frame.  Return 0, or -1
 * if the frame is invalid or the peer is so far behind that the queue is
 * full (the frame is dropped).
 */
int
ipc_send(struct ipc *c, uint16_t type, uint32_t seq, const void *payload,
    uint32_t len)
{
	size_t	 need = sizeof(struct proto_hdr) + len;
	uint8_t	*p;

	if (c->closed || !proto_payload_ok(type, len))
		return (-1);
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen - c->outoff + need > IPC_OUT_MAX)
		return (-1);
	if (c->outcap - c->outlen < need) {
		if (c->outoff > 0) {
			memmove(c->out, c->out + c->outoff,
			    c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		if (c->outcap - c->outlen < need) {
			size_t	 cap = c->outcap ? c->outcap : 4096;

			while (cap - c->outlen < need)
				cap *= 2;
			if ((p = realloc(c->out, cap)) == NULL)
				return (-1);
			c->out = p;
			c->outcap = cap;
		}
	}
	c->outlen += proto_frame(c->out + c->outlen, c->outcap - c->outlen,
	    type, seq, payload, len);
	/* Written from the write watcher, never from here: a failure must
	 * reach the owner from the loop, not from inside its own call. */
	ev_io_start(c->loop, &c->w);
	return (0);
}

/** ipc_send_text(c, type, seq, text): ipc_send() of a NUL-terminated ${text}, cut to fit. */
int
ipc_send_text(struct ipc *c, uint16_t type, uint32_t seq, const char *text)
{
	size_t	 len = strlen(text);

	if (len > PROTO_MAX_PAYLOAD)
		len = PROTO_MAX_PAYLOAD;
	return (ipc_send(c, type, seq, text, (uint32_t)len));
}

/** ipc_pending(c): bytes queued and not yet written. */
size_t
ipc_pending(const struct ipc *c)
{
	return (c->outlen - c->outoff);
}

/** ipc_end(c): why ${c} ended, IPC_END_NONE while it has not. */
enum ipc_end
ipc_end(const struct ipc *c)
{
	return (c->end);
}

/** ipc_free(c): stop, close and free ${c} (also from its callbacks); NULL is a no-op. */
void
ipc_free(struct ipc *c)
{
	if (c == NULL)
		return;
	if (c->in_cb) {
		/* Close now (a child forked from the callback must not
		 * inherit the fd); free when the callback returns. */
		c->dead = 1;
		c->closed = 1;
		ev_io_stop(c->loop, &c->r);
		ev_io_stop(c->loop, &c->w);
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return;
	}
	ipc_destroy(c);
}

/* The socket can take more output. */
static void
ipc_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	ipc_flush(w->data);
}

/* Input: read, then hand every complete frame to the owner. */
static void
ipc_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc		*c = w->data;
	struct proto_hdr	 hdr;
	const uint8_t		*payload;
	ssize_t			 n;
	long			 flen;
	size_t			 off = 0;

	(void)loop;
	(void)revents;
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == 0) {
		/* A peer that half-closes after its request still gets the
		 * answer already queued: close once it is written. */
		if (c->outoff < c->outlen) {
			c->rd_eof = 1;
			ev_io_stop(c->loop, &c->r);
			return;
		}
		ipc_fail(c, IPC_END_CLOSED);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			ipc_fail(c, IPC_END_READ);
		return;
	}
	c->inlen += (size_t)n;
	c->in_cb++;
	while ((flen = proto_parse(c->in + off, c->inlen - off, &hdr,
	    &payload)) > 0) {
		off += (size_t)flen;
		c->on_frame(c, &hdr, payload, c->arg);
		if (c->dead || c->closed)
			break;
	}
	c->in_cb--;
	if (c->dead) {
		ipc_destroy(c);
		return;
	}
	if (flen < 0 && !c->closed) {
		ipc_fail(c, IPC_END_INVALID);
		return;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

/**
 * ipc_send_last(c, type, seq, text): try once, without waiting, to send a
 * frame carrying ${text} even on a channel that failed (to explain why a
 * client is being dropped).
 */
void
ipc_send_last(struct ipc *c, uint16_t type, uint32_t seq, const char *text)
{
	uint8_t	 buf[sizeof(struct proto_hdr) + 256];
	size_t	 len = strlen(text), n;

	if (len > 256)
		len = 256;
	if ((n = proto_frame(buf, sizeof(buf), type, seq, text,
	    (uint32_t)len)) > 0)
		(void)send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/**
 * ipc_flush_sync(c, ms): write what is queued, waiting up to ${ms}
 * milliseconds; for the last words before the process exits.
 */
void
ipc_flush_sync(struct ipc *c, int ms)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n > 0)
			c->outoff += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN && poll(&pfd, 1, ms) > 0)
			continue;
		else
			break;
	}
}
