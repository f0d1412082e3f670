/*
 * output.c: collect the daemon's reply frames, and render tunnels and
 * connections as aligned tables, "key: value" details, JSON documents or
 * Prometheus text.  See output.h for the conventions ("-", "?", units).
 *
 * Tables are printed in two passes over the records, the first to measure
 * each column and the second to print it, so nothing is allocated.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "json.h"
#include "output.h"
#include "proto.h"
#include "show.h"

#define OUT_COLS_MAX	10
#define OUT_CELL_MAX	(PROTO_ADDR_MAX + 16)	/* every field fits */
#define OUT_GAP		"  "		/* between table columns */

/* Force the NUL at the end of the text field ${a}. */
#define OUT_TERM(a)	((a)[sizeof(a) - 1] = '\0')

/* Fills the ${ncols} cells of one table row from record ${rec}. */
typedef void	out_row_fn(const void *rec, time_t now,
		    char cells[][OUT_CELL_MAX]);

struct out_table {
	size_t		 ncols;
	const char	*head[OUT_COLS_MAX];
	int		 right[OUT_COLS_MAX];	/* 1: right-aligned */
	out_row_fn	*row;
};

/**
 * output_reply_init(rep): make ${rep} an empty reply.
 */
void
output_reply_init(struct ctl_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
}

/* Make room for one more record of ${size} bytes in ${*v}; -1 if none. */
static int
out_grow(void **v, size_t *cap, size_t n, size_t size)
{
	void	*nv;
	size_t	 ncap;

	if (n < *cap)
		return (0);
	if (n >= OUTPUT_REPLY_MAX)
		return (-1);
	ncap = (*cap == 0) ? 16 : *cap * 2;
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return (-1);
	*v = nv;
	*cap = ncap;
	return (0);
}

/* 1 if a request of ${reqtype} may be answered with a frame of ${type}. */
static int
out_reply_fits(uint16_t reqtype, uint16_t type)
{
	if (type == PROTO_REP_FAIL)
		return (1);
	switch (reqtype) {
	case PROTO_REQ_STATUS:
		return (type == PROTO_REP_TUNNEL || type == PROTO_REP_END);
	case PROTO_REQ_CONNECTIONS:
		return (type == PROTO_REP_CONN || type == PROTO_REP_END);
	default:
		return (type == PROTO_REP_OK);
	}
}

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
int
output_reply_add(struct ctl_reply *rep, uint16_t reqtype, uint32_t seq,
    const struct proto_hdr *hdr, const uint8_t *payload, char *errbuf,
    size_t errlen)
{
	struct proto_tunnel	*t;
	struct proto_conn	*c;

	if (rep->type != 0) {
		snprintf(errbuf, errlen, "frame after the end of the reply");
		return (-1);
	}
	/* seq 0: the daemon refused the frame itself. */
	if (hdr->seq != seq &&
	    !(hdr->seq == 0 && hdr->type == PROTO_REP_FAIL)) {
		snprintf(errbuf, errlen, "reply to request %" PRIu32
		    ", expected %" PRIu32, hdr->seq, seq);
		return (-1);
	}
	if (!out_reply_fits(reqtype, hdr->type)) {
		snprintf(errbuf, errlen, "unexpected reply type %u to request "
		    "type %u", (unsigned int)hdr->type, (unsigned int)reqtype);
		return (-1);
	}

	switch (hdr->type) {
	case PROTO_REP_OK:
	case PROTO_REP_FAIL:
		proto_text(rep->message, sizeof(rep->message), payload,
		    hdr->len);
		rep->type = hdr->type;
		return (1);
	case PROTO_REP_END:
		rep->type = hdr->type;
		return (1);
	case PROTO_REP_TUNNEL:
		if (out_grow((void **)&rep->tunnels, &rep->tunnels_cap,
		    rep->ntunnels, sizeof(*t)) != 0)
			goto err0;
		t = &rep->tunnels[rep->ntunnels++];
		memcpy(t, payload, sizeof(*t));
		OUT_TERM(t->name);
		OUT_TERM(t->mode);
		OUT_TERM(t->listen);
		OUT_TERM(t->state);
		OUT_TERM(t->stats.cert_subject);
		return (0);
	case PROTO_REP_CONN:
		if (out_grow((void **)&rep->conns, &rep->conns_cap,
		    rep->nconns, sizeof(*c)) != 0)
			goto err0;
		c = &rep->conns[rep->nconns++];
		memcpy(c, payload, sizeof(*c));
		OUT_TERM(c->tunnel);
		OUT_TERM(c->client);
		OUT_TERM(c->destination);
		OUT_TERM(c->peer);
		OUT_TERM(c->state);
		return (0);
	}
	/* out_reply_fits() let nothing else through. */
	snprintf(errbuf, errlen, "unexpected reply type %u",
	    (unsigned int)hdr->type);
	return (-1);

err0:
	snprintf(errbuf, errlen, "reply too large (more than %d records, or "
	    "out of memory)", OUTPUT_REPLY_MAX);
	return (-1);
}

/**
 * output_reply_free(rep): free the records of ${rep} (not ${rep} itself);
 * ${rep} is empty afterwards.
 */
void
output_reply_free(struct ctl_reply *rep)
{
	free(rep->tunnels);
	free(rep->conns);
	output_reply_init(rep);
}

/**
 * output_bytes(buf, len, v): write ${v} bytes in short human form ("512",
 * "1.5K", "12M", "3.0G") into ${buf}; return ${buf}.
 */
char *
output_bytes(char *buf, size_t len, uint64_t v)
{
	static const char	 units[] = "KMGTPE";
	uint64_t		 div = 1024, tenths;
	size_t			 u = 0;

	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64, v);
		return (buf);
	}
	/* Pick the unit that keeps the value, rounded to tenths, < 1024. */
	for (;;) {
		tenths = (v / div) * 10 + ((v % div) * 10 + div / 2) / div;
		if (tenths < 10240 || u == sizeof(units) - 2)
			break;
		div *= 1024;
		u++;
	}
	if (tenths < 100)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", tenths / 10,
		    tenths % 10, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", (tenths + 5) / 10,
		    units[u]);
	return (buf);
}

/**
 * output_age(buf, len, secs): write the duration ${secs} as its two
 * largest units ("42s", "5m12s", "3h4m", "3d4h") into ${buf}; negative
 * durations count as 0.  Return ${buf}.
 */
char *
output_age(char *buf, size_t len, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		snprintf(buf, len, "%" PRId64 "s", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%" PRId64 "m%" PRId64 "s", secs / 60,
		    secs % 60);
	else if (secs < 86400)
		snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", secs / 3600,
		    secs % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", secs / 86400,
		    secs % 86400 / 3600);
	return (buf);
}

/* Print the records ${recs} (${n} of ${size} bytes each) as table ${tb}. */
static void
out_table_print(FILE *f, const struct out_table *tb, const void *recs,
    size_t size, size_t n, time_t now)
{
	char	cells[OUT_COLS_MAX][OUT_CELL_MAX];
	size_t	width[OUT_COLS_MAX];
	size_t	i, col, pass;
	int	w;

	for (col = 0; col < tb->ncols; col++)
		width[col] = strlen(tb->head[col]);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i <= n; i++) {
			/* Row 0 is the header. */
			for (col = 0; col < tb->ncols; col++) {
				if (i == 0)
					snprintf(cells[col], OUT_CELL_MAX,
					    "%s", tb->head[col]);
				else
					cells[col][0] = '\0';
			}
			if (i > 0)
				tb->row((const char *)recs + (i - 1) * size,
				    now, cells);
			for (col = 0; col < tb->ncols; col++) {
				if (pass == 0) {
					if (strlen(cells[col]) > width[col])
						width[col] = strlen(cells[col]);
					continue;
				}
				w = (int)width[col];
				if (col > 0)
					fputs(OUT_GAP, f);
				if (tb->right[col])
					fprintf(f, "%*s", w, cells[col]);
				else if (col + 1 == tb->ncols)
					fputs(cells[col], f);
				else
					fprintf(f, "%-*s", w, cells[col]);
			}
			if (pass == 1)
				putc('\n', f);
		}
	}
}

/* The state of ${t} as shown in tables. */
static void
out_tunnel_state(char *buf, size_t len, const struct proto_tunnel *t)
{
	char	state[sizeof(t->state)];

	show_clean(state, sizeof(state), t->state[0] != '\0' ? t->state : "-");
	snprintf(buf, len, "%s%s", state,
	    (t->flags & PROTO_TUNNEL_STALE) ? "?" : "");
}

/* 1 if ${t} is known to have a CRL past its next update at ${now}. */
static int
out_crl_expired(const struct proto_tunnel *t, time_t now)
{
	const struct proto_stats	*s = &t->stats;

	return (!(t->flags & PROTO_TUNNEL_STALE) && s->crls > 0 &&
	    s->crl_next_update != 0 && s->crl_next_update <= (int64_t)now);
}

/* Fill one status table row from the struct proto_tunnel ${rec}. */
static void
out_status_row(const void *rec, time_t now, char cells[][OUT_CELL_MAX])
{
	const struct proto_tunnel	*t = rec;
	const struct proto_stats	*s = &t->stats;
	size_t				 col;

	show_clean(cells[0], OUT_CELL_MAX, t->name);
	show_clean(cells[1], OUT_CELL_MAX, t->mode);
	show_clean(cells[2], OUT_CELL_MAX, t->listen);
	out_tunnel_state(cells[3], OUT_CELL_MAX, t);
	if (t->flags & PROTO_TUNNEL_STALE) {
		for (col = 4; col < 10; col++)
			snprintf(cells[col], OUT_CELL_MAX, "?");
		return;
	}
	snprintf(cells[4], OUT_CELL_MAX, "%" PRIu64, s->connections_active);
	snprintf(cells[5], OUT_CELL_MAX, "%" PRIu64, s->connections_total);
	output_bytes(cells[6], OUT_CELL_MAX, s->bytes_in);
	output_bytes(cells[7], OUT_CELL_MAX, s->bytes_out);
	snprintf(cells[8], OUT_CELL_MAX, "%" PRIu64, s->handshakes_failed);
	if (s->cert_not_after == 0)
		snprintf(cells[9], OUT_CELL_MAX, "-");
	else if (s->cert_not_after <= (int64_t)now)
		snprintf(cells[9], OUT_CELL_MAX, "expired");
	else
		snprintf(cells[9], OUT_CELL_MAX, "%" PRId64,
		    show_days_left(s->cert_not_after, now));
}

/**
 * output_status(f, t, n, now): print the ${n} tunnels ${t} as a table with
 * the columns TUNNEL MODE LISTEN STATE CONNS TOTAL BYTES-IN BYTES-OUT
 * FAILED (handshakes) CERT-DAYS (whole days from ${now} to the
 * certificate's expiry), then a line for each tunnel whose CRL is past
 * its next update.
 */
void
output_status(FILE *f, const struct proto_tunnel *t, size_t n, time_t now)
{
	static const struct out_table	tb = {
		10,
		{ "TUNNEL", "MODE", "LISTEN", "STATE", "CONNS", "TOTAL",
		    "BYTES-IN", "BYTES-OUT", "FAILED", "CERT-DAYS" },
		{ 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 },
		out_status_row
	};
	char				name[PROTO_NAME_MAX], b[32];
	size_t				i;

	out_table_print(f, &tb, t, sizeof(*t), n, now);
	for (i = 0; i < n; i++) {
		if (t[i].flags & PROTO_TUNNEL_STALE) {
			fputs("?: the worker did not answer; its counters are "
			    "unknown\n", f);
			break;
		}
	}
	/* no column for it: a CRL out of date is rare and needs words */
	for (i = 0; i < n; i++) {
		if (!out_crl_expired(&t[i], now))
			continue;
		show_clean(name, sizeof(name), t[i].name);
		fprintf(f, "%s: CRL past its next update %s (%s)\n", name,
		    show_time(b, sizeof(b), t[i].stats.crl_next_update),
		    (t[i].stats.crl_flags & PROTO_CRL_STRICT) ?
		    "crl_strict: the peers it covers are refused" :
		    "peers still accepted: crl_strict is off");
	}
}

/* Print one "key: value" line of the detail view. */
static void	out_kv(FILE *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void
out_kv(FILE *f, const char *key, const char *fmt, ...)
{
	va_list	ap;
	char	k[32];

	snprintf(k, sizeof(k), "%s:", key);
	fprintf(f, "%-20s", k);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	putc('\n', f);
}

/**
 * output_status_detail(f, t, now): print every detail of the tunnel ${t},
 * one "key: value" line each.
 */
void
output_status_detail(FILE *f, const struct proto_tunnel *t, time_t now)
{
	const struct proto_stats	*s = &t->stats;
	char				 text[PROTO_ADDR_MAX];
	char				 b[32];
	int64_t				 days;
	int				 stale;

	stale = (t->flags & PROTO_TUNNEL_STALE) != 0;
	show_clean(text, sizeof(text), t->name);
	out_kv(f, "name", "%s", text);
	show_clean(text, sizeof(text), t->mode);
	out_kv(f, "mode", "%s", text);
	show_clean(text, sizeof(text), t->listen);
	out_kv(f, "listen", "%s", text);
	show_clean(text, sizeof(text), t->state[0] != '\0' ? t->state : "-");
	out_kv(f, "state", "%s%s", text, stale ?
	    " (stale: the worker did not answer; counters unknown)" : "");
	if (t->pid > 0)
		out_kv(f, "pid", "%" PRId64, t->pid);
	else
		out_kv(f, "pid", "-");
	out_kv(f, "workers", "%" PRIu32, t->workers);
	out_kv(f, "restarts", "%" PRIu32, t->restarts);
	out_kv(f, "max connections", "%" PRIu32, t->max_connections);
	if (stale) {
		out_kv(f, "connections active", "?");
		out_kv(f, "connections total", "?");
		out_kv(f, "bytes in", "?");
		out_kv(f, "bytes out", "?");
		out_kv(f, "handshakes failed", "?");
		out_kv(f, "socks refused", "?");
		out_kv(f, "cert subject", "?");
		out_kv(f, "cert not after", "?");
		out_kv(f, "cert days left", "?");
		out_kv(f, "certs loaded at", "?");
		out_kv(f, "crl next update", "?");
		out_kv(f, "crl strict", "?");
		return;
	}
	out_kv(f, "connections active", "%" PRIu64, s->connections_active);
	out_kv(f, "connections total", "%" PRIu64, s->connections_total);
	out_kv(f, "bytes in", "%" PRIu64 " (%s)", s->bytes_in,
	    output_bytes(b, sizeof(b), s->bytes_in));
	out_kv(f, "bytes out", "%" PRIu64 " (%s)", s->bytes_out,
	    output_bytes(b, sizeof(b), s->bytes_out));
	out_kv(f, "handshakes failed", "%" PRIu64, s->handshakes_failed);
	out_kv(f, "socks refused", "%" PRIu64, s->socks_refused);
	show_clean(text, sizeof(text), s->cert_subject[0] != '\0' ?
	    s->cert_subject : "-");
	out_kv(f, "cert subject", "%s", text);
	if (s->cert_not_after == 0) {
		out_kv(f, "cert not after", "-");
		out_kv(f, "cert days left", "-");
	} else {
		out_kv(f, "cert not after", "%s",
		    show_time(b, sizeof(b), s->cert_not_after));
		days = show_days_left(s->cert_not_after, now);
		out_kv(f, "cert days left", "%" PRId64 "%s", days,
		    s->cert_not_after <= (int64_t)now ? " (expired)" : "");
	}
	if (s->certs_loaded_at == 0)
		out_kv(f, "certs loaded at", "-");
	else
		out_kv(f, "certs loaded at", "%s",
		    show_time(b, sizeof(b), s->certs_loaded_at));
	if (s->crls == 0)
		out_kv(f, "crl next update", "- (no crl)");
	else if (s->crl_next_update == 0)
		out_kv(f, "crl next update", "none given");
	else
		out_kv(f, "crl next update", "%s%s",
		    show_time(b, sizeof(b), s->crl_next_update),
		    out_crl_expired(t, now) ? " (expired)" : "");
	out_kv(f, "crl strict", "%s",
	    (s->crl_flags & PROTO_CRL_STRICT) ? "yes" : "no");
}

/* Write the unix time ${t} in ISO 8601, or null if 0 or ${unknown}. */
static void
out_json_time(struct json *j, int64_t t, int unknown)
{
	char	b[32];

	if (t == 0 || unknown)
		json_null(j);
	else
		json_string(j, show_time(b, sizeof(b), t));
}

/* Write ${v}, or null if ${unknown}. */
static void
out_json_uint(struct json *j, uint64_t v, int unknown)
{
	if (unknown)
		json_null(j);
	else
		json_uint(j, v);
}

/**
 * output_status_json(f, t, n, now): print the ${n} tunnels ${t} as the
 * document {"tunnels":[...]} of SPEC.md, plus "stale" and
 * "max_connections"; unknown values are null.  Return 0, or -1 if writing
 * failed.
 */
int
output_status_json(FILE *f, const struct proto_tunnel *t, size_t n,
    time_t now)
{
	struct json			 j;
	const struct proto_stats	*s;
	size_t				 i;
	int				 stale;

	json_init(&j, f);
	json_object_begin(&j);
	json_key(&j, "tunnels");
	json_array_begin(&j);
	for (i = 0; i < n; i++) {
		s = &t[i].stats;
		stale = (t[i].flags & PROTO_TUNNEL_STALE) != 0;
		json_object_begin(&j);
		json_key(&j, "name");
		json_string(&j, t[i].name);
		json_key(&j, "mode");
		json_string(&j, t[i].mode);
		json_key(&j, "listen");
		json_string(&j, t[i].listen);
		json_key(&j, "state");
		json_string(&j, t[i].state);
		json_key(&j, "stale");
		json_bool(&j, stale);
		json_key(&j, "pid");
		if (t[i].pid > 0)
			json_int(&j, t[i].pid);
		else
			json_null(&j);
		json_key(&j, "workers");
		json_uint(&j, t[i].workers);
		json_key(&j, "restarts");
		json_uint(&j, t[i].restarts);
		json_key(&j, "max_connections");
		json_uint(&j, t[i].max_connections);
		json_key(&j, "connections_active");
		out_json_uint(&j, s->connections_active, stale);
		json_key(&j, "connections_total");
		out_json_uint(&j, s->connections_total, stale);
		json_key(&j, "bytes_in");
		out_json_uint(&j, s->bytes_in, stale);
		json_key(&j, "bytes_out");
		out_json_uint(&j, s->bytes_out, stale);
		json_key(&j, "handshakes_failed");
		out_json_uint(&j, s->handshakes_failed, stale);
		json_key(&j, "socks_refused");
		out_json_uint(&j, s->socks_refused, stale);
		json_key(&j, "cert");
		json_object_begin(&j);
		json_key(&j, "subject");
		json_string(&j, (stale || s->cert_subject[0] == '\0') ? NULL :
		    s->cert_subject);
		json_key(&j, "not_after");
		out_json_time(&j, s->cert_not_after, stale);
		json_key(&j, "days_left");
		if (stale || s->cert_not_after == 0)
			json_null(&j);
		else
			json_int(&j, show_days_left(s->cert_not_after, now));
		json_object_end(&j);
		json_key(&j, "certs_loaded_at");
		out_json_time(&j, s->certs_loaded_at, stale);
		json_key(&j, "crl");
		if (!stale && s->crls == 0)
			json_null(&j);
		else {
			json_object_begin(&j);
			json_key(&j, "next_update");
			out_json_time(&j, s->crl_next_update, stale);
			json_key(&j, "expired");
			if (stale)
				json_null(&j);
			else
				json_bool(&j, out_crl_expired(&t[i], now));
			json_key(&j, "strict");
			if (stale)
				json_null(&j);
			else
				json_bool(&j,
				    (s->crl_flags & PROTO_CRL_STRICT) != 0);
			json_object_end(&j);
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	return (json_finish(&j));
}

/* Fill one connections table row from the struct proto_conn ${rec}. */
static void
out_conn_row(const void *rec, time_t now, char cells[][OUT_CELL_MAX])
{
	const struct proto_conn	*c = rec;

	show_clean(cells[0], OUT_CELL_MAX, c->client);
	show_clean(cells[1], OUT_CELL_MAX, c->destination[0] != '\0' ?
	    c->destination : "-");
	show_clean(cells[2], OUT_CELL_MAX, c->peer[0] != '\0' ? c->peer : "-");
	output_bytes(cells[3], OUT_CELL_MAX, c->bytes_in);
	output_bytes(cells[4], OUT_CELL_MAX, c->bytes_out);
	if (c->started == 0)
		snprintf(cells[5], OUT_CELL_MAX, "-");
	else
		output_age(cells[5], OUT_CELL_MAX,
		    show_span((int64_t)now, c->started));
	show_clean(cells[6], OUT_CELL_MAX, c->tunnel);
	show_clean(cells[7], OUT_CELL_MAX, c->state);
}

/**
 * output_connections(f, c, n, now): print the ${n} connections ${c} as a
 * table with the columns CLIENT DESTINATION PEER IN OUT AGE TUNNEL STATE.
 */
void
output_connections(FILE *f, const struct proto_conn *c, size_t n, time_t now)
{
	static const struct out_table	tb = {
		8,
		{ "CLIENT", "DESTINATION", "PEER", "IN", "OUT", "AGE",
		    "TUNNEL", "STATE" },
		{ 0, 0, 0, 1, 1, 1, 0, 0 },
		out_conn_row
	};

	out_table_print(f, &tb, c, sizeof(*c), n, now);
}

/**
 * output_connections_json(f, c, n, now): print the ${n} connections ${c}
 * as {"connections":[...]}.  Return 0, or -1 if writing failed.
 */
int
output_connections_json(FILE *f, const struct proto_conn *c, size_t n,
    time_t now)
{
	struct json	j;
	size_t		i;
	int64_t		age;

	json_init(&j, f);
	json_object_begin(&j);
	json_key(&j, "connections");
	json_array_begin(&j);
	for (i = 0; i < n; i++) {
		json_object_begin(&j);
		json_key(&j, "tunnel");
		json_string(&j, c[i].tunnel);
		json_key(&j, "client");
		json_string(&j, c[i].client);
		json_key(&j, "destination");
		json_string(&j, c[i].destination[0] != '\0' ?
		    c[i].destination : NULL);
		json_key(&j, "peer");
		json_string(&j, c[i].peer[0] != '\0' ? c[i].peer : NULL);
		json_key(&j, "state");
		json_string(&j, c[i].state);
		json_key(&j, "bytes_in");
		json_uint(&j, c[i].bytes_in);
		json_key(&j, "bytes_out");
		json_uint(&j, c[i].bytes_out);
		json_key(&j, "started");
		out_json_time(&j, c[i].started, 0);
		json_key(&j, "age_seconds");
		if (c[i].started == 0)
			json_null(&j);
		else {
			age = show_span((int64_t)now, c[i].started);
			json_int(&j, age < 0 ? 0 : age);
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	return (json_finish(&j));
}

/**
 * output_check_json(f, t, n, now, days, nproblems): the same verdict as
 * {"ok":bool,"days":N,"problems":[{"tunnel","problem","message"}...]},
 * "problem" being check_kind_name()'s; the number of problems goes in
 * ${nproblems}.  Return 0, or -1 if writing failed.
 */
int
output_check_json(FILE *f, const struct proto_tunnel *t, size_t n,
    time_t now, int days, size_t *nproblems)
{
	struct json	j;
	enum check_kind	kinds[CHECK_PER_TUNNEL];
	char		why[CHECK_WHY_MAX];
	size_t		i, k, nk, total = 0;

	for (i = 0; i < n; i++)
		total += check_tunnel(&t[i], now, days, kinds);
	*nproblems = total;

	json_init(&j, f);
	json_object_begin(&j);
	json_key(&j, "ok");
	json_bool(&j, total == 0);
	json_key(&j, "days");
	json_int(&j, days);
	json_key(&j, "problems");
	json_array_begin(&j);
	for (i = 0; i < n; i++) {
		nk = check_tunnel(&t[i], now, days, kinds);
		for (k = 0; k < nk; k++) {
			check_why(why, sizeof(why), &t[i], kinds[k], days);
			json_object_begin(&j);
			json_key(&j, "tunnel");
			json_string(&j, t[i].name);
			json_key(&j, "problem");
			json_string(&j, check_kind_name(kinds[k]));
			json_key(&j, "message");
			json_string(&j, why);
			json_object_end(&j);
		}
	}
	json_array_end(&j);
	json_object_end(&j);
	return (json_finish(&j));
}

/**
 * output_result_json(f, ok, msg): print {"ok":true,"message":${msg}} or,
 * if ${ok} is 0, {"ok":false,"error":${msg}}.  Return 0, or -1 if writing
 * failed.
 */
int
output_result_json(FILE *f, int ok, const char *msg)
{
	struct json	j;

	json_init(&j, f);
	json_object_begin(&j);
	json_key(&j, "ok");
	json_bool(&j, ok);
	json_key(&j, ok ? "message" : "error");
	json_string(&j, msg);
	json_object_end(&j);
	return (json_finish(&j));
}
