/*
 * expiry.h: when to warn that the node's own certificate runs out: 30, 7
 * and 1 days before its notAfter, and once it has passed.  Pure: the
 * worker keeps the timer and writes the log lines.
 */
#ifndef EXPIRY_H
#define EXPIRY_H

#include <time.h>

#define EXPIRY_EXPIRED	0	/* expiry_due(): the certificate has expired */

struct expiry {
	time_t		 not_after;	/* the certificate's last valid second */
	unsigned int	 next;		/* the first warning not yet given */
};

/** expiry_init(e, not_after): no warning given yet for a certificate valid until ${not_after}. */
void	expiry_init(struct expiry *e, time_t not_after);

/**
 * expiry_due(e, now): the warning due at ${now} that was not given yet:
 * its days before expiry (30, 7 or 1), or EXPIRY_EXPIRED once the
 * certificate has expired; -1 if none.  Only the nearest threshold
 * reached is returned (a certificate loaded 6 days before its end gets
 * the 7-day warning, not also the 30-day one); it and those before it
 * count as given.
 */
int	expiry_due(struct expiry *e, time_t now);

/** expiry_next(e): when the next warning falls due; 0 if none is left. */
time_t	expiry_next(const struct expiry *e);

#endif /* !EXPIRY_H */
