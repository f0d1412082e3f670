/*
 * t_proto.c: frames of the control/IPC protocol: exact lengths per type,
 * version check, partial input, oversized and unknown frames.
 */
#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "test.h"

int
main(void)
{
	uint8_t			 buf[sizeof(struct proto_hdr) + PROTO_MAX_PAYLOAD + 16];
	struct proto_hdr	 hdr;
	struct proto_tunnel	 pt;
	const uint8_t		*payload = NULL;
	char			 text[8];
	size_t			 n, i;

	/* Lengths by type. */
	CHECK(proto_payload_ok(PROTO_REQ_STATUS, 0));
	CHECK(proto_payload_ok(PROTO_REQ_STATUS, PROTO_NAME_MAX - 1));
	CHECK(!proto_payload_ok(PROTO_REQ_STATUS, PROTO_NAME_MAX));
	CHECK(proto_payload_ok(PROTO_REQ_STOP, 0));
	CHECK(!proto_payload_ok(PROTO_REQ_STOP, 1));
	CHECK(proto_payload_ok(PROTO_REP_TUNNEL, sizeof(struct proto_tunnel)));
	CHECK(!proto_payload_ok(PROTO_REP_TUNNEL, sizeof(struct proto_tunnel) - 1));
	CHECK(proto_payload_ok(PROTO_REP_CONN, sizeof(struct proto_conn)));
	CHECK(proto_payload_ok(PROTO_IPC_STATS_REP, sizeof(struct proto_stats)));
	CHECK(proto_payload_ok(PROTO_IPC_SETTINGS, sizeof(struct proto_settings)));
	CHECK(!proto_payload_ok(PROTO_IPC_SETTINGS, 0));
	CHECK(proto_payload_ok(PROTO_REP_FAIL, PROTO_MAX_PAYLOAD));
	CHECK(!proto_payload_ok(PROTO_REP_FAIL, PROTO_MAX_PAYLOAD + 1));
	CHECK(!proto_payload_ok(0, 0));
	CHECK(!proto_payload_ok(99, 0));
	CHECK(!proto_payload_ok(65535, 0));

	/* A round trip, fed one byte at a time. */
	n = proto_frame(buf, sizeof(buf), PROTO_REQ_STATUS, 7, "p2p_out", 7);
	CHECK(n == sizeof(struct proto_hdr) + 7);
	for (i = 0; i < n; i++)
		CHECK(proto_parse(buf, i, &hdr, &payload) == 0);
	CHECK(proto_parse(buf, n, &hdr, &payload) == (long)n);
	CHECK(hdr.type == PROTO_REQ_STATUS && hdr.seq == 7 && hdr.len == 7 &&
	    hdr.version == PROTO_VERSION);
	CHECK(payload == buf + sizeof(struct proto_hdr));
	CHECK(memcmp(payload, "p2p_out", 7) == 0);

	/* Two frames back to back: the first is returned alone. */
	n = proto_frame(buf, sizeof(buf), PROTO_REQ_STOP, 1, NULL, 0);
	CHECK(n == sizeof(struct proto_hdr));
	CHECK(proto_frame(buf + n, sizeof(buf) - n, PROTO_REP_END, 2, NULL,
	    0) == sizeof(struct proto_hdr));
	CHECK(proto_parse(buf, 2 * n, &hdr, &payload) == (long)n);
	CHECK(hdr.type == PROTO_REQ_STOP);

	/* Structures must have exactly their size. */
	memset(&pt, 0, sizeof(pt));
	n = proto_frame(buf, sizeof(buf), PROTO_REP_TUNNEL, 3, &pt, sizeof(pt));
	CHECK(n == sizeof(struct proto_hdr) + sizeof(pt));
	CHECK(proto_frame(buf, sizeof(buf), PROTO_REP_TUNNEL, 3, &pt, 10) == 0);
	/* Does not fit the output buffer. */
	CHECK(proto_frame(buf, 20, PROTO_REP_TUNNEL, 3, &pt, sizeof(pt)) == 0);

	/* Wrong version, unknown type, oversized: invalid before the payload
	 * arrives, so a 10 MiB claim is refused from the header alone. */
	n = proto_frame(buf, sizeof(buf), PROTO_REQ_RELOAD, 1, NULL, 0);
	hdr.len = 0;
	hdr.type = PROTO_REQ_RELOAD;
	hdr.version = PROTO_VERSION + 1;
	hdr.seq = 1;
	memcpy(buf, &hdr, sizeof(hdr));
	CHECK(proto_parse(buf, n, &hdr, &payload) == -1);
	hdr.version = PROTO_VERSION;
	hdr.type = 4242;
	memcpy(buf, &hdr, sizeof(hdr));
	CHECK(proto_parse(buf, n, &hdr, &payload) == -1);
	hdr.type = PROTO_REP_FAIL;
	hdr.len = 10 * 1024 * 1024;
	memcpy(buf, &hdr, sizeof(hdr));
	CHECK(proto_parse(buf, sizeof(hdr), &hdr, &payload) == -1);
	hdr.type = PROTO_REQ_STATUS;
	hdr.len = PROTO_NAME_MAX;
	memcpy(buf, &hdr, sizeof(hdr));
	CHECK(proto_parse(buf, sizeof(hdr), &hdr, &payload) == -1);

	/* Text is cut to fit and always terminated. */
	proto_text(text, sizeof(text), "abcdefghij", 10);
	CHECK_STR(text, "abcdefg");
	proto_text(text, sizeof(text), "ab", 2);
	CHECK_STR(text, "ab");
	proto_text(text, sizeof(text), "", 0);
	CHECK_STR(text, "");

	TEST_DONE();
}
