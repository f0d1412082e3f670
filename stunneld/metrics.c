/*
 * metrics.c: the counters of a status reply in the Prometheus text
 * exposition format 0.0.4.  The one producer of that text: "stunnelctl
 * metrics" prints it from the records it got over the control socket,
 * the daemon's GET /metrics (metrics_http.c) from the same records it
 * gathered itself, so the two have the same series.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "proto.h"

/* What one metric family samples, per tunnel. */
enum metrics_kind {
	M_UP,		/* stunneld_up, no labels */
	M_INFO,		/* {tunnel,mode,listen} 1 */
	M_RUNNING,
	M_STALE,
	M_RESTARTS,
	M_ACTIVE,
	M_TOTAL,
	M_BYTES,	/* two samples: direction="in" and "out" */
	M_HANDSHAKES,
	M_HS_REASON,	/* one sample per enum proto_hs_reason */
	M_REFUSED,
	M_CERT_EXPIRY,
	M_CERTS_LOADED,
	M_CRL_NEXT_UPDATE
};

/* The reason label of each enum proto_hs_reason, in its order. */
static const char *const metrics_hs_reasons[PROTO_HS_REASONS] = {
	"protocol", "verify", "alert", "closed", "timeout", "throttled",
	"overload"
};

static const struct metrics_family {
	const char	*name;
	const char	*type;
	enum metrics_kind	 metric;
	const char	*help;
} metrics_families[] = {
	{ "stunneld_up", "gauge", M_UP,
	    "Whether the stunneld daemon answered (on its control socket or metrics_listen)." },
	{ "stunneld_tunnel_info", "gauge", M_INFO,
	    "A configured tunnel, its mode and listen address (always 1)." },
	{ "stunneld_tunnel_running", "gauge", M_RUNNING,
	    "Whether the tunnel's state is running (1) or not (0)." },
	{ "stunneld_tunnel_stale", "gauge", M_STALE,
	    "Whether the tunnel's worker did not answer, so its counters "
	    "are unknown." },
	{ "stunneld_worker_restarts_total", "counter", M_RESTARTS,
	    "Times the tunnel's worker process was restarted." },
	{ "stunneld_connections_active", "gauge", M_ACTIVE,
	    "Open connections of the tunnel." },
	{ "stunneld_connections_total", "counter", M_TOTAL,
	    "Connections accepted by the tunnel." },
	{ "stunneld_bytes_total", "counter", M_BYTES,
	    "Plaintext bytes read (in) and written (out) by the tunnel." },
	{ "stunneld_handshakes_failed_total", "counter", M_HANDSHAKES,
	    "Failed TLS handshakes and peer identity checks of the "
	    "tunnel." },
	{ "stunneld_handshake_failures_total", "counter", M_HS_REASON,
	    "Failed TLS handshakes of the tunnel by reason: verify (the "
	    "peer refused by us), alert (we refused by the peer), protocol, "
	    "closed, timeout, throttled, overload." },
	{ "stunneld_socks_refused_total", "counter", M_REFUSED,
	    "SOCKS requests the tunnel refused." },
	{ "stunneld_cert_expiry_timestamp_seconds", "gauge", M_CERT_EXPIRY,
	    "Unix time when the tunnel's certificate expires." },
	{ "stunneld_certs_loaded_timestamp_seconds", "gauge", M_CERTS_LOADED,
	    "Unix time when the tunnel's credentials were last loaded." },
	{ "stunneld_crl_next_update_timestamp_seconds", "gauge",
	    M_CRL_NEXT_UPDATE,
	    "Unix time of the next update of the tunnel's CRL (the earliest "
	    "of several); from then on the CRL is out of date." },
};

/* Write ${s} as a Prometheus label value: \\, \" and \n escaped. */
static void
metrics_label(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			putc(*s, f);
	}
	putc('"', f);
}

/* Start a sample of ${name} labelled with ${t}'s name ("name{tunnel=..."). */
static void
metrics_sample(FILE *f, const char *name, const struct proto_tunnel *t)
{
	fprintf(f, "%s{tunnel=", name);
	metrics_label(f, t->name);
}

/* Print the samples of family ${fam} for tunnel ${t}. */
static void
metrics_tunnel(FILE *f, const struct metrics_family *fam,
    const struct proto_tunnel *t)
{
	const struct proto_stats	*s = &t->stats;
	uint64_t			 v;
	size_t				 k;
	int				 stale;

	stale = (t->flags & PROTO_TUNNEL_STALE) != 0;
	switch (fam->metric) {
	case M_UP:
		return;
	case M_INFO:
		metrics_sample(f, fam->name, t);
		fputs(",mode=", f);
		metrics_label(f, t->mode);
		fputs(",listen=", f);
		metrics_label(f, t->listen);
		fputs("} 1\n", f);
		return;
	case M_RUNNING:
		v = (strcmp(t->state, "running") == 0);
		break;
	case M_STALE:
		v = (stale != 0);
		break;
	case M_RESTARTS:
		v = t->restarts;
		break;
	case M_BYTES:
		if (stale)
			return;
		metrics_sample(f, fam->name, t);
		fprintf(f, ",direction=\"in\"} %" PRIu64 "\n", s->bytes_in);
		metrics_sample(f, fam->name, t);
		fprintf(f, ",direction=\"out\"} %" PRIu64 "\n", s->bytes_out);
		return;
	case M_HS_REASON:
		if (stale)
			return;
		for (k = 0; k < PROTO_HS_REASONS; k++) {
			metrics_sample(f, fam->name, t);
			fprintf(f, ",reason=\"%s\"} %" PRIu64 "\n",
			    metrics_hs_reasons[k], s->handshakes_failed_by[k]);
		}
		return;
	case M_ACTIVE:
		v = s->connections_active;
		goto stats;
	case M_TOTAL:
		v = s->connections_total;
		goto stats;
	case M_HANDSHAKES:
		v = s->handshakes_failed;
		goto stats;
	case M_REFUSED:
		v = s->socks_refused;
		goto stats;
	case M_CERT_EXPIRY:
		if (s->cert_not_after <= 0)
			return;
		v = (uint64_t)s->cert_not_after;
		goto stats;
	case M_CERTS_LOADED:
		if (s->certs_loaded_at <= 0)
			return;
		v = (uint64_t)s->certs_loaded_at;
		goto stats;
	case M_CRL_NEXT_UPDATE:
		if (s->crls == 0 || s->crl_next_update <= 0)
			return;
		v = (uint64_t)s->crl_next_update;
		goto stats;
	default:
		return;
	}
	goto print;

stats:
	/* The worker's numbers: unknown, so left out, when stale. */
	if (stale)
		return;
print:
	metrics_sample(f, fam->name, t);
	fprintf(f, "} %" PRIu64 "\n", v);
}

/**
 * metrics_write(f, t, n): print the ${n} tunnels ${t} in the Prometheus
 * text exposition format 0.0.4: each family once, with its # HELP and
 * # TYPE lines before its samples.
 */
void
metrics_write(FILE *f, const struct proto_tunnel *t, size_t n)
{
	const struct metrics_family	*fam;
	size_t			 i, k;

	for (k = 0; k < sizeof(metrics_families) / sizeof(metrics_families[0]); k++) {
		fam = &metrics_families[k];
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name,
		    fam->help, fam->name, fam->type);
		if (fam->metric == M_UP) {
			fprintf(f, "%s 1\n", fam->name);
			continue;
		}
		for (i = 0; i < n; i++)
			metrics_tunnel(f, fam, &t[i]);
	}
}
