/*
 * expiry.c: the warnings before the node's own certificate expires.  The
 * certificate is valid through its notAfter second (RFC 5280), so it has
 * expired one second later; a threshold of d days is reached d * 86400
 * seconds before that.
 */
#include <time.h>

#include "expiry.h"

#define EXPIRY_DAY	86400

/* The days before expiry of each warning, in the order they fall due. */
static const int expiry_days[] = { 30, 7, 1, EXPIRY_EXPIRED };

#define EXPIRY_NWARN	(sizeof(expiry_days) / sizeof(expiry_days[0]))

/* When warning ${i} falls due for a certificate valid until ${not_after}. */
static time_t
expiry_at(time_t not_after, unsigned int i)
{
	return (not_after + 1 - (time_t)expiry_days[i] * EXPIRY_DAY);
}

/** expiry_init(e, not_after): no warning given yet for a certificate valid until ${not_after}. */
void
expiry_init(struct expiry *e, time_t not_after)
{
	e->not_after = not_after;
	e->next = 0;
}

/**
 * expiry_due(e, now): the warning due at ${now} that was not given yet:
 * its days before expiry (30, 7 or 1), or EXPIRY_EXPIRED once the
 * certificate has expired; -1 if none.  Only the nearest threshold
 * reached is returned; it and those before it count as given.
 */
int
expiry_due(struct expiry *e, time_t now)
{
	unsigned int	 i, due = EXPIRY_NWARN;

	if (e->not_after <= 0)
		return (-1);
	for (i = e->next; i < EXPIRY_NWARN; i++)
		if (now >= expiry_at(e->not_after, i))
			due = i;
	if (due == EXPIRY_NWARN)
		return (-1);
	e->next = due + 1;
	return (expiry_days[due]);
}

/** expiry_next(e): when the next warning falls due; 0 if none is left. */
time_t
expiry_next(const struct expiry *e)
{
	if (e->not_after <= 0 || e->next >= EXPIRY_NWARN)
		return (0);
	return (expiry_at(e->not_after, e->next));
}
