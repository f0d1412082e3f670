/*
 * check.c: the verdict of "stunnelctl check": which tunnels of a status
 * reply are not well, and why.  The rules are SPEC.md's ("Health and
 * metrics for orchestrators"); the words are output.c's.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "output.h"
#include "proto.h"

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

	left = output_span(s->cert_not_after, (int64_t)now);
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
