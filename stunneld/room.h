/*
 * room.h: which workers of a tunnel have room for another connection, in
 * a page the supervisor maps before it forks them and that they share.
 * A full worker leaves new connections to a sibling that has room and
 * refuses them only when none has: not after a time, which a loaded
 * machine can overrun.  Only the supervisor maps, counts and unmaps it;
 * each worker writes its own slot and reads the others'.
 */
#ifndef ROOM_H
#define ROOM_H

struct room;

/** room_new(nworkers): a table for ${nworkers} workers, all full until they start; NULL on failure. */
struct room	*room_new(unsigned int nworkers);

/** room_ref(r): one more holder of ${r}; return ${r}. */
struct room	*room_ref(struct room *r);

/** room_unref(r): drop a hold on ${r} (NULL: nothing); unmapped after the last. */
void		 room_unref(struct room *r);

/** room_set(r, worker, has_room): publish whether ${worker} of ${r} takes new connections. */
void		 room_set(struct room *r, unsigned int worker, int has_room);

/** room_elsewhere(r, worker): 1 if a worker of ${r} other than ${worker} has room. */
int		 room_elsewhere(const struct room *r, unsigned int worker);

#endif /* !ROOM_H */
