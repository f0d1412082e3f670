/*
 * ipc.h: a framed, non-blocking channel on a stream socket, driven by the
 * loop.  The supervisor uses one per worker socketpair and one per
 * control-socket client; a worker uses one for its socketpair.  Frames
 * are those of proto.h; output is queued and written when the socket can
 * take it, so a slow peer never blocks the loop.
 */
#ifndef IPC_H
#define IPC_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "proto.h"

struct ipc;

/* A complete, length-checked frame arrived. */
typedef void	ipc_frame_cb(struct ipc *, const struct proto_hdr *,
		    const uint8_t *payload, void *arg);
/* Why a channel ended; ipc_close_cb's ${why} is the same in words. */
enum ipc_end {
	IPC_END_NONE,		/* it has not */
	IPC_END_CLOSED,		/* "closed by peer" */
	IPC_END_READ,		/* "read failed" */
	IPC_END_WRITE,		/* "write failed" */
	IPC_END_INVALID		/* "invalid frame": not a frame of proto.h */
};

/* The peer closed, the socket failed, or it sent an invalid frame
 * (${why} says which in words, ipc_end() as an enum ipc_end); the
 * channel must now be freed by the callee. */
typedef void	ipc_close_cb(struct ipc *, const char *why, void *arg);

/**
 * ipc_new(loop, fd, on_frame, on_close, arg): a channel on the connected
 * ${fd} (made non-blocking; owned by the channel from now on).  Return
 * NULL on failure (${fd} is then closed).
 */
struct ipc	*ipc_new(struct ev_loop *loop, int fd, ipc_frame_cb *on_frame,
		    ipc_close_cb *on_close, void *arg);

/**
 * ipc_send(c, type, seq, payload, len): queue one frame.  Return 0, or -1
 * if the frame is invalid or the peer is so far behind that the queue is
 * full (the frame is dropped).
 */
int		 ipc_send(struct ipc *c, uint16_t type, uint32_t seq,
		    const void *payload, uint32_t len);

/** ipc_send_text(c, type, seq, text): ipc_send() of a NUL-terminated ${text}, cut to fit. */
int		 ipc_send_text(struct ipc *c, uint16_t type, uint32_t seq,
		    const char *text);

/** ipc_pending(c): bytes queued and not yet written. */
size_t		 ipc_pending(const struct ipc *c);

/**
 * ipc_send_last(c, type, seq, text): try once, without waiting, to send a
 * frame carrying ${text} even on a channel that failed (to explain why a
 * client is being dropped).
 */
void		 ipc_send_last(struct ipc *c, uint16_t type, uint32_t seq,
		    const char *text);

/**
 * ipc_flush_sync(c, ms): write what is queued, waiting up to ${ms}
 * milliseconds; for the last words before the process exits.
 */
void		 ipc_flush_sync(struct ipc *c, int ms);

/** ipc_end(c): why ${c} ended, IPC_END_NONE while it has not. */
enum ipc_end	 ipc_end(const struct ipc *c);

/** ipc_free(c): stop, close and free ${c} (also from its callbacks); NULL is a no-op. */
void		 ipc_free(struct ipc *c);

#endif /* !IPC_H */
