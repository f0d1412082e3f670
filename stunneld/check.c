/*
 * check.c: the health verdict: which tunnels of a status reply are not
 * well, and why, in words.  The rules are SPEC.md's ("Health and metrics
 * for orchestrators").  "stunnelctl check" and the daemon's GET /healthz
 * both print it with check_print(), so the two never disagree.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "proto.h"
#include "show.h"

/**
 * check_tunnel(t, now, days, kinds): the problems of the tunnel ${t} at
 * ${now}, when its certificate must stay valid for ${days} more days
 * (0: only not be expired), into ${kinds}.  A tunnel not running, or
 * whose worker did not answer, has that one problem: its certificate and
 * CRL are not known.  A CRL past its next update is a problem only with
 * crl_strict (without, peers are still accepted).  Return how many
 * problems, 0 if the tunnel is well.
 */
size_t
check_tunnel(const struct proto_tunnel *t, time_t now, int days,
    enum check_kind kinds[CHECK_PER_TUNNEL])
{
	const struct proto_stats	*s = &t->stats;
	int64_t				 left;
	size_t				 n = 0;

	if (strcmp(t->state, "running") != 0) {
		kinds[n++] = CHECK_NOT_RUNNING;
		return (n);
	}
	/* Nothing it reported is current: saying "well" would be a guess. */
	if (t->flags & PROTO_TUNNEL_STALE) {
		kinds[n++] = CHECK_STALE;
		return (n);
	}

	left = show_span(s->cert_not_after, (int64_t)now);
	if (s->cert_not_after == 0)
		kinds[n++] = CHECK_CERT_UNKNOWN;
	else if (left <= 0)
		kinds[n++] = CHECK_CERT_EXPIRED;
	else if (left < (int64_t)days * 86400)
		kinds[n++] = CHECK_CERT_EXPIRING;

	/* As the worker reckons it: refused from the next update on. */
	if ((s->crl_flags & PROTO_CRL_STRICT) && s->crls > 0 &&
	    s->crl_next_update != 0 && s->crl_next_update <= (int64_t)now)
		kinds[n++] = CHECK_CRL_EXPIRED;
	return (n);
}

/**
 * check_kind_name(kind): the short name of ${kind} for JSON
 * ("not-running", "cert-expiring", ...).
 */
const char *
check_kind_name(enum check_kind kind)
{
	switch (kind) {
	case CHECK_NOT_RUNNING:
		return ("not-running");
	case CHECK_STALE:
		return ("stale");
	case CHECK_CERT_UNKNOWN:
		return ("cert-unknown");
	case CHECK_CERT_EXPIRED:
		return ("cert-expired");
	case CHECK_CERT_EXPIRING:
		return ("cert-expiring");
	case CHECK_CRL_EXPIRED:
		return ("crl-expired");
	}
	return ("unknown");
}

/**
 * check_why(buf, len, t, kind, days): the problem ${kind} of ${t} (found
 * by check_tunnel() with ${days}) in words, into ${buf}.
 */
void
check_why(char *buf, size_t len, const struct proto_tunnel *t,
    enum check_kind kind, int days)
{
	const struct proto_stats	*s = &t->stats;
	char				 text[PROTO_IDENT_MAX], b[32];

	switch (kind) {
	case CHECK_NOT_RUNNING:
		show_clean(text, sizeof(text), t->state[0] != '\0' ? t->state :
		    "-");
		snprintf(buf, len, "not running: %s (%" PRIu32 " restarts)",
		    text, t->restarts);
		return;
	case CHECK_STALE:
		snprintf(buf, len, "the worker did not answer: its certificate "
		    "and CRL are unknown");
		return;
	case CHECK_CERT_UNKNOWN:
		snprintf(buf, len, "the expiry of its certificate is unknown");
		return;
	case CHECK_CERT_EXPIRED:
	case CHECK_CERT_EXPIRING:
		show_clean(text, sizeof(text), s->cert_subject[0] != '\0' ?
		    s->cert_subject : "(no subject)");
		show_time(b, sizeof(b), s->cert_not_after);
		if (kind == CHECK_CERT_EXPIRED)
			snprintf(buf, len, "certificate %s expired %s", text,
			    b);
		else
			snprintf(buf, len, "certificate %s expires %s, within "
			    "%d days", text, b, days);
		return;
	case CHECK_CRL_EXPIRED:
		snprintf(buf, len, "CRL past its next update %s (crl_strict: "
		    "the peers it covers are refused)",
		    show_time(b, sizeof(b), s->crl_next_update));
		return;
	}
	snprintf(buf, len, "unknown problem");
}

/**
 * check_print(f, t, n, now, days): print the verdict of check_tunnel()
 * on the ${n} tunnels ${t}: one line "TUNNEL: why" per problem or, if
 * there is none, the one line "ok: N tunnels running" (with ", every
 * certificate valid N more days" when ${days} > 0).  Return the number of
 * problems.
 */
size_t
check_print(FILE *f, const struct proto_tunnel *t, size_t n, time_t now,
    int days)
{
	enum check_kind	kinds[CHECK_PER_TUNNEL];
	char		name[PROTO_NAME_MAX], why[CHECK_WHY_MAX];
	size_t		i, k, nk, total = 0;

	for (i = 0; i < n; i++) {
		nk = check_tunnel(&t[i], now, days, kinds);
		show_clean(name, sizeof(name), t[i].name);
		for (k = 0; k < nk; k++) {
			check_why(why, sizeof(why), &t[i], kinds[k], days);
			fprintf(f, "%s: %s\n", name, why);
		}
		total += nk;
	}
	if (total == 0) {
		fprintf(f, "ok: %zu tunnel%s running", n, n == 1 ? "" : "s");
		if (days > 0)
			fprintf(f, ", every certificate valid %d more day%s",
			    days, days == 1 ? "" : "s");
		putc('\n', f);
	}
	return (total);
}
