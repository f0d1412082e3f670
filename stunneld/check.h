/*
 * check.h: the health verdict over the records of a status reply, and
 * its words, for "stunnelctl check" and GET /healthz alike.  Pure: the
 * records and "now" come in, the problems (or the text) go out, so the
 * unit test can pin every rule.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "proto.h"

enum check_kind {
	CHECK_NOT_RUNNING,	/* its state is not "running" */
	CHECK_STALE,		/* running, but its worker did not answer */
	CHECK_CERT_UNKNOWN,	/* the worker reported no expiry time */
	CHECK_CERT_EXPIRED,	/* not after now */
	CHECK_CERT_EXPIRING,	/* valid for fewer than --days more days */
	CHECK_CRL_EXPIRED	/* crl_strict, and a CRL past its next update */
};

/* The most days a certificate may be asked to stay valid: a hundred years. */
#define CHECK_DAYS_MAX	36500

/* A tunnel has at most one certificate problem and one CRL problem. */
#define CHECK_PER_TUNNEL	2

/* Room for the name, ": " and the longest reason of check_why(). */
#define CHECK_WHY_MAX	(PROTO_IDENT_MAX + 128)

/**
 * check_tunnel(t, now, days, kinds): the problems of the tunnel ${t} at
 * ${now}, when its certificate must stay valid for ${days} more days
 * (0: only not be expired), into ${kinds}.  A tunnel not running, or
 * whose worker did not answer, has that one problem: its certificate and
 * CRL are not known.  A CRL past its next update is a problem only with
 * crl_strict (without, peers are still accepted).  Return how many
 * problems, 0 if the tunnel is well.
 */
size_t	check_tunnel(const struct proto_tunnel *t, time_t now, int days,
	    enum check_kind kinds[CHECK_PER_TUNNEL]);

/**
 * check_kind_name(kind): the short name of ${kind} for JSON
 * ("not-running", "cert-expiring", ...).
 */
const char	*check_kind_name(enum check_kind kind);

/**
 * check_why(buf, len, t, kind, days): the problem ${kind} of ${t} (found
 * by check_tunnel() with ${days}) in words, into ${buf}.
 */
void	check_why(char *buf, size_t len, const struct proto_tunnel *t,
	    enum check_kind kind, int days);

/**
 * check_print(f, t, n, now, days): print the verdict of check_tunnel()
 * on the ${n} tunnels ${t}: one line "TUNNEL: why" per problem or, if
 * there is none, the one line "ok: N tunnels running" (with ", every
 * certificate valid N more days" when ${days} > 0).  Return the number of
 * problems.
 */
size_t	check_print(FILE *f, const struct proto_tunnel *t, size_t n,
	    time_t now, int days);

#endif /* !CHECK_H */
