/*
 * output.h: collect the daemon's reply frames and render them, as text an
 * operator reads at a glance, as one JSON document (--json) or as
 * Prometheus text (metrics).  No fd and no clock: the caller passes the
 * FILE * and "now", so the unit test gets exact, repeatable output.
 *
 * Text conventions:
 *   - byte counts are shown in binary units with one decimal below 10
 *     ("512", "1.5K", "12M"); the detail view adds the exact count;
 *   - "-" means "none" or "not known" (no worker pid, no certificate
 *     expiry, no peer identity yet);
 *   - a stale tunnel (PROTO_TUNNEL_STALE: its worker did not answer, so
 *     its counters and credentials are unknown) shows "?" in those columns
 *     and its state with a "?" appended ("running?"); a footnote under the
 *     table says so.  In JSON the unknown values are null and "stale" is
 *     true; in Prometheus output their samples are left out;
 *   - a certificate that has expired shows "expired" in CERT-DAYS;
 *   - control characters coming from the daemon are shown as '?'.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "proto.h"

#define OUTPUT_REPLY_MAX	(1 << 20)	/* records per reply */

/* Everything the daemon answered to one request. */
struct ctl_reply {
	uint16_t		 type;		/* 0, then REP_OK/FAIL/END */
	char			 message[PROTO_MAX_PAYLOAD + 1]; /* OK/FAIL */
	struct proto_tunnel	*tunnels;	/* REP_TUNNEL records */
	size_t			 ntunnels;
	size_t			 tunnels_cap;
	struct proto_conn	*conns;		/* REP_CONN records */
	size_t			 nconns;
	size_t			 conns_cap;
};

/**
 * output_reply_init(rep): make ${rep} an empty reply.
 */
void	output_reply_init(struct ctl_reply *rep);

/**
 * output_reply_add(rep, reqtype, seq, hdr, payload, errbuf, errlen): add
 * the frame ${hdr} + ${payload} (already checked by proto_parse()) that
 * answers a request of ${reqtype} sent with ${seq}.  Text fields of
 * records are forced NUL-terminated.  A REP_FAIL with seq 0 (the daemon
 * refusing the request frame itself) is taken too.  Return 1 if the reply
 * is complete, 0 if more frames are due, -1 on a frame that does not
 * belong (another seq, a type this request cannot get, too many records)
 * or when out of memory, with the reason in ${errbuf}.
 */
int	output_reply_add(struct ctl_reply *rep, uint16_t reqtype, uint32_t seq,
	    const struct proto_hdr *hdr, const uint8_t *payload, char *errbuf,
	    size_t errlen);

/**
 * output_reply_free(rep): free the records of ${rep} (not ${rep} itself);
 * ${rep} is empty afterwards.
 */
void	output_reply_free(struct ctl_reply *rep);

/**
 * output_status(f, t, n, now): print the ${n} tunnels ${t} as a table with
 * the columns TUNNEL MODE LISTEN STATE CONNS TOTAL BYTES-IN BYTES-OUT
 * FAILED (handshakes) CERT-DAYS (whole days from ${now} to the
 * certificate's expiry), then a line for each tunnel whose CRL is past
 * its next update.
 */
void	output_status(FILE *f, const struct proto_tunnel *t, size_t n,
	    time_t now);

/**
 * output_status_detail(f, t, now): print every detail of the tunnel ${t},
 * one "key: value" line each.
 */
void	output_status_detail(FILE *f, const struct proto_tunnel *t, time_t now);

/**
 * output_status_json(f, t, n, now): print the ${n} tunnels ${t} as the
 * document {"tunnels":[...]} of SPEC.md, plus "stale" and
 * "max_connections"; unknown values are null.  Return 0, or -1 if writing
 * failed.
 */
int	output_status_json(FILE *f, const struct proto_tunnel *t, size_t n,
	    time_t now);

/**
 * output_connections(f, c, n, now): print the ${n} connections ${c} as a
 * table with the columns CLIENT DESTINATION PEER IN OUT AGE TUNNEL STATE.
 */
void	output_connections(FILE *f, const struct proto_conn *c, size_t n,
	    time_t now);

/**
 * output_connections_json(f, c, n, now): print the ${n} connections ${c}
 * as {"connections":[...]}.  Return 0, or -1 if writing failed.
 */
int	output_connections_json(FILE *f, const struct proto_conn *c, size_t n,
	    time_t now);

/**
 * output_check_json(f, t, n, now, days, nproblems): the same verdict as
 * {"ok":bool,"days":N,"problems":[{"tunnel","problem","message"}...]},
 * "problem" being check_kind_name()'s; the number of problems goes in
 * ${nproblems}.  Return 0, or -1 if writing failed.
 */
int	output_check_json(FILE *f, const struct proto_tunnel *t, size_t n,
	    time_t now, int days, size_t *nproblems);

/**
 * output_result_json(f, ok, msg): print {"ok":true,"message":${msg}} or,
 * if ${ok} is 0, {"ok":false,"error":${msg}}.  Return 0, or -1 if writing
 * failed.
 */
int	output_result_json(FILE *f, int ok, const char *msg);

/**
 * output_bytes(buf, len, v): write ${v} bytes in short human form ("512",
 * "1.5K", "12M", "3.0G") into ${buf}; return ${buf}.
 */
char	*output_bytes(char *buf, size_t len, uint64_t v);

/**
 * output_age(buf, len, secs): write the duration ${secs} as its two
 * largest units ("42s", "5m12s", "3h4m", "3d4h") into ${buf}; negative
 * durations count as 0.  Return ${buf}.
 */
char	*output_age(char *buf, size_t len, int64_t secs);

#endif /* !OUTPUT_H */
