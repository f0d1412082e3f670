/*
 * proto.c: framing and length checks of the control and IPC protocol.
 * Pure: no fd, no allocation.
 */
#include <string.h>

#include "proto.h"

/**
 * proto_payload_ok(type, len): 1 if ${len} payload bytes are right for a
 * frame of ${type}, 0 if not (unknown type, wrong size, too long).
 */
int
proto_payload_ok(uint16_t type, uint32_t len)
{
	switch (type) {
	case PROTO_REQ_STATUS:
	case PROTO_REQ_CONNECTIONS:
	case PROTO_REQ_RELOAD_CERTS:
		return (len < PROTO_NAME_MAX);
	case PROTO_REQ_RELOAD:
	case PROTO_REQ_STOP:
	case PROTO_REP_END:
	case PROTO_IPC_STATS:
	case PROTO_IPC_CONNS:
	case PROTO_IPC_RELOAD_CERTS:
		return (len == 0);
	case PROTO_REP_OK:
	case PROTO_REP_FAIL:
		return (len <= PROTO_MAX_PAYLOAD);
	case PROTO_REP_TUNNEL:
		return (len == sizeof(struct proto_tunnel));
	case PROTO_REP_CONN:
		return (len == sizeof(struct proto_conn));
	case PROTO_IPC_STATS_REP:
		return (len == sizeof(struct proto_stats));
	case PROTO_IPC_SETTINGS:
		return (len == sizeof(struct proto_settings));
	default:
		return (0);
	}
}

/**
 * proto_frame(out, outlen, type, seq, payload, len): write a frame of
 * ${type} with ${len} bytes of ${payload} into ${out}; return its length,
 * or 0 if it does not fit ${outlen} or is not a valid frame.
 */
size_t
proto_frame(uint8_t *out, size_t outlen, uint16_t type, uint32_t seq,
    const void *payload, uint32_t len)
{
	struct proto_hdr	hdr;

	if (!proto_payload_ok(type, len) || outlen < sizeof(hdr) ||
	    outlen - sizeof(hdr) < len)
		return (0);
	hdr.len = len;
	hdr.type = type;
	hdr.version = PROTO_VERSION;
	hdr.seq = seq;
	memcpy(out, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(out + sizeof(hdr), payload, len);
	return (sizeof(hdr) + len);
}

/**
 * proto_parse(buf, len, hdr, payload): if ${buf} starts with a complete
 * frame, fill ${hdr}, point ${payload} at its payload and return the frame
 * length; return 0 if more bytes are needed, -1 if the frame is invalid
 * (wrong version, unknown type, bad length).
 */
long
proto_parse(const uint8_t *buf, size_t len, struct proto_hdr *hdr,
    const uint8_t **payload)
{
	if (len < sizeof(*hdr))
		return (0);
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->version != PROTO_VERSION ||
	    !proto_payload_ok(hdr->type, hdr->len))
		return (-1);
	if (len - sizeof(*hdr) < hdr->len)
		return (0);
	*payload = buf + sizeof(*hdr);
	return ((long)(sizeof(*hdr) + hdr->len));
}

/** proto_text(dst, dstlen, src, len): copy ${len} bytes of text into a NUL-terminated ${dst}. */
void
proto_text(char *dst, size_t dstlen, const void *src, size_t len)
{
	if (dstlen == 0)
		return;
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}
