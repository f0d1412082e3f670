/*
 * fuzz_proto.c: libFuzzer target for the control/IPC frame decoder
 * (proto_parse(), proto_payload_ok(), proto_frame(), proto_text() in
 * stunneld/proto.c) and for what stunnelctl does with the frames it
 * reads: output_reply_add() and every renderer in ctl/output.c, and the
 * check_print() and metrics_write() the daemon's HTTP endpoint shares.
 *
 * The input is a byte stream of frames ({uint32 len, uint16 type,
 * uint16 version, uint32 seq} in host order, then len bytes), decoded the
 * way ipc.c and stunnelctl.c loop over their input buffers.  Invariants,
 * abort() when broken:
 *  - proto_parse() returns 0, -1 or 12 + hdr.len <= the bytes it got, and
 *    -1 exactly when the header is bad (version, type, length), 0 exactly
 *    when the header or the payload is incomplete;
 *  - a frame it accepts is built again byte for byte by proto_frame(),
 *    which refuses a buffer one byte short;
 *  - every proper prefix of an accepted frame gives 0;
 *  - proto_text() always leaves a NUL-terminated string within dstlen.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "check.h"
#include "metrics.h"
#include "output.h"
#include "fuzz.h"

#define FUZZ_NOW	((time_t)1700000000)

static FILE	*devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = fopen("/dev/null", "w")) == NULL) {
		perror("/dev/null");
		abort();
	}
	return (0);
}

/* The verdict proto_parse() owes ${len} bytes at ${buf}, worked out apart. */
static long
expect(const uint8_t *buf, size_t len)
{
	struct proto_hdr	 h;

	if (len < sizeof(h))
		return (0);
	memcpy(&h, buf, sizeof(h));
	if (h.version != PROTO_VERSION || !proto_payload_ok(h.type, h.len))
		return (-1);
	if (h.len > PROTO_MAX_PAYLOAD + 1024)	/* no type is this long */
		abort();
	if (len - sizeof(h) < h.len)
		return (0);
	return ((long)(sizeof(h) + h.len));
}

/* proto_text() into an exact-size heap buffer of ${dstlen} bytes. */
static void
check_text(const uint8_t *src, size_t len, size_t dstlen)
{
	char	*dst;
	size_t	 n;

	if ((dst = malloc(dstlen > 0 ? dstlen : 1)) == NULL)
		abort();
	memset(dst, 'x', dstlen > 0 ? dstlen : 1);
	proto_text(dst, dstlen, src, len);
	if (dstlen > 0) {
		n = strnlen(dst, dstlen);
		FUZZ_CHECK(n < dstlen);
		FUZZ_CHECK(n <= len);
		FUZZ_CHECK(memcmp(dst, src, n) == 0);
	}
	free(dst);
}

/* Check one frame of ${flen} bytes at ${buf}, accepted by proto_parse(). */
static void
check_frame(const uint8_t *buf, long flen, const struct proto_hdr *hdr,
    const uint8_t *payload)
{
	struct proto_hdr	 h;
	const uint8_t		*p;
	uint8_t			*out, *copy;
	size_t			 k;

	FUZZ_CHECK(flen == (long)(sizeof(*hdr) + hdr->len));
	FUZZ_CHECK(payload == buf + sizeof(*hdr));
	FUZZ_CHECK(hdr->version == PROTO_VERSION);
	FUZZ_CHECK(hdr->len <= PROTO_MAX_PAYLOAD);
	FUZZ_CHECK(proto_payload_ok(hdr->type, hdr->len));

	/* proto_frame() builds the very same bytes, and needs them all. */
	if ((out = malloc((size_t)flen)) == NULL)
		abort();
	FUZZ_CHECK(proto_frame(out, (size_t)flen, hdr->type, hdr->seq,
	    payload, hdr->len) == (size_t)flen);
	FUZZ_CHECK(memcmp(out, buf, (size_t)flen) == 0);
	FUZZ_CHECK(proto_frame(out, (size_t)flen - 1, hdr->type, hdr->seq,
	    payload, hdr->len) == 0);
	free(out);

	/* Any proper prefix is "more bytes needed". */
	for (k = 0; k < (size_t)flen; k++) {
		if (k > 64 && k + 1 < (size_t)flen)
			continue;	/* the first ones and the last suffice */
		copy = fuzz_dup(buf, k);
		FUZZ_CHECK(proto_parse(copy, k, &h, &p) == 0);
		free(copy);
	}

	/* As control.c and stunnelctl take text payloads. */
	check_text(payload, hdr->len, PROTO_NAME_MAX);
	check_text(payload, hdr->len, PROTO_MAX_PAYLOAD + 1);
	check_text(payload, hdr->len, hdr->len);
	check_text(payload, hdr->len, 1);
	check_text(payload, hdr->len, 0);
}

/* Feed the accepted frames to a stunnelctl reply to ${reqtype}; render it. */
static void
ctl_replies(const uint8_t *data, size_t len, uint16_t reqtype)
{
	static struct ctl_reply	 rep;	/* 8 KiB message: keep off the stack */
	struct proto_hdr	 hdr;
	const uint8_t		*payload;
	char			 err[256];
	size_t			 off = 0;
	long			 flen;
	uint32_t		 seq = 0;
	int			 rc = 0, first = 1;

	output_reply_init(&rep);
	while ((flen = proto_parse(data + off, len - off, &hdr,
	    &payload)) > 0) {
		if (first)
			seq = hdr.seq;	/* so most replies belong */
		first = 0;
		err[0] = '\0';
		rc = output_reply_add(&rep, reqtype, seq, &hdr, payload, err,
		    sizeof(err));
		FUZZ_CHECK(rc == -1 || rc == 0 || rc == 1);
		if (rc == -1)
			FUZZ_CHECK(err[0] != '\0');
		if (rc != 0)
			break;
		off += (size_t)flen;
	}
	FUZZ_CHECK(strnlen(rep.message, sizeof(rep.message)) <
	    sizeof(rep.message));
	if (rc == 1) {
		FUZZ_CHECK(rep.type == PROTO_REP_OK ||
		    rep.type == PROTO_REP_FAIL || rep.type == PROTO_REP_END);
		output_status(devnull, rep.tunnels, rep.ntunnels, FUZZ_NOW);
		if (rep.ntunnels > 0)
			output_status_detail(devnull, rep.tunnels, FUZZ_NOW);
		output_status_json(devnull, rep.tunnels, rep.ntunnels,
		    FUZZ_NOW);
		metrics_write(devnull, rep.tunnels, rep.ntunnels);
		check_print(devnull, rep.tunnels, rep.ntunnels, FUZZ_NOW, 30);
		output_connections(devnull, rep.conns, rep.nconns, FUZZ_NOW);
		output_connections_json(devnull, rep.conns, rep.nconns,
		    FUZZ_NOW);
		output_result_json(devnull, rep.type == PROTO_REP_OK,
		    rep.message);
	}
	output_reply_free(&rep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint16_t	 reqtypes[] = {
		PROTO_REQ_STATUS, PROTO_REQ_CONNECTIONS, PROTO_REQ_RELOAD
	};
	struct proto_hdr	 hdr;
	const uint8_t		*payload;
	uint8_t			*copy;
	size_t			 off = 0, i;
	long			 flen, want;

	/* The receive loop of ipc.c and stunnelctl.c. */
	for (;;) {
		copy = fuzz_dup(data + off, len - off);
		payload = NULL;
		flen = proto_parse(copy, len - off, &hdr, &payload);
		want = expect(copy, len - off);
		FUZZ_CHECK(flen == want);
		if (flen > 0) {
			FUZZ_CHECK((size_t)flen <= len - off);
			check_frame(copy, flen, &hdr, payload);
		}
		free(copy);
		if (flen <= 0)
			break;
		off += (size_t)flen;
	}

	for (i = 0; i < sizeof(reqtypes) / sizeof(reqtypes[0]); i++)
		ctl_replies(data, len, reqtypes[i]);
	return (0);
}
