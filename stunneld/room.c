/*
 * room.c: which workers of a tunnel have room for another connection
 * (see room.h).
 */
#include <sys/mman.h>

#include <stdlib.h>

#include "room.h"
#include "stunneld.h"

/* The shared page: one slot per worker, written by that worker only. */
struct room_page {
	int		 has_room[SD_WORKERS_MAX];
};

/* The supervisor's handle: the holds are its own, not shared. */
struct room {
	struct room_page	*page;
	unsigned int		 nworkers;
	unsigned int		 refs;
};

/** room_new(nworkers): a table for ${nworkers} workers, all full until they start; NULL on failure. */
struct room *
room_new(unsigned int nworkers)
{
	struct room	*r;

	if (nworkers == 0 || nworkers > SD_WORKERS_MAX ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->page = mmap(NULL, sizeof(*r->page), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->page == MAP_FAILED) {
		free(r);
		return (NULL);
	}
	r->nworkers = nworkers;
	r->refs = 1;
	return (r);
}

/** room_ref(r): one more holder of ${r}; return ${r}. */
struct room *
room_ref(struct room *r)
{
	r->refs++;
	return (r);
}

/** room_unref(r): drop a hold on ${r} (NULL: nothing); unmapped after the last. */
void
room_unref(struct room *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	munmap(r->page, sizeof(*r->page));
	free(r);
}

/** room_set(r, worker, has_room): publish whether ${worker} of ${r} takes new connections. */
void
room_set(struct room *r, unsigned int worker, int has_room)
{
	if (r != NULL && worker < r->nworkers)
		__atomic_store_n(&r->page->has_room[worker], has_room != 0,
		    __ATOMIC_RELAXED);
}

/** room_elsewhere(r, worker): 1 if a worker of ${r} other than ${worker} has room. */
int
room_elsewhere(const struct room *r, unsigned int worker)
{
	unsigned int	 i;

	if (r == NULL)
		return (0);
	for (i = 0; i < r->nworkers; i++)
		if (i != worker && __atomic_load_n(&r->page->has_room[i],
		    __ATOMIC_RELAXED))
			return (1);
	return (0);
}
