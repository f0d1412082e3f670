/*
 * watch.h: reload_on_change.  The supervisor watches the directories of
 * every tunnel's certificate, key, CA and CRL file with inotify and, once
 * the writes have settled, asks for a reload-certs of the tunnels that
 * use a file that changed.
 *
 * A file is known by the (directory, name) pairs a change can come
 * through: the path as configured, each symbolic link met on the way to
 * the file (so that renaming a new "..data" link over the old one, as
 * Kubernetes does, is seen), and the file it finally is (so that a write
 * in place is seen).  The map from those pairs to tunnels is pure data
 * (watch_map_*); watch_resolve() fills it from the file system; watch_*
 * runs the inotify descriptor in the supervisor's loop.
 */
#ifndef WATCH_H
#define WATCH_H

#include <stddef.h>

#include <ev.h>

#include "stunneld.h"

#define WATCH_SETTLE	0.5	/* seconds without an event before the reload */

/* One (directory, name) through which ${file} of ${tunnel} can change. */
struct watch_entry {
	char	*dir;		/* absolute, without a trailing '/' but "/" itself */
	char	*name;
	char	*file;		/* the path as configured, for the log */
	char	*tunnel;
};

struct watch_map;

/** watch_map_new(): an empty map, or NULL when out of memory. */
struct watch_map	*watch_map_new(void);

/** watch_map_free(m): free ${m}; NULL is a no-op. */
void		 watch_map_free(struct watch_map *m);

/**
 * watch_map_add(m, dir, name, file, tunnel): record that a change of
 * ${name} in ${dir} is a change of ${file} of ${tunnel}; a pair already
 * recorded for that tunnel is not recorded twice.  0, or -1 when out of
 * memory.
 */
int		 watch_map_add(struct watch_map *m, const char *dir,
		    const char *name, const char *file, const char *tunnel);

/** watch_map_count(m): how many entries ${m} holds. */
size_t		 watch_map_count(const struct watch_map *m);

/** watch_map_entry(m, i): entry ${i} of ${m}, in the order they were added. */
const struct watch_entry *watch_map_entry(const struct watch_map *m, size_t i);

/**
 * watch_map_match(m, dir, name, from): the index of the first entry at or
 * after ${from} for ${name} in ${dir}, or watch_map_count(m) if none.
 */
size_t		 watch_map_match(const struct watch_map *m, const char *dir,
		    const char *name, size_t from);

/**
 * watch_map_dirs(m, dirs): the distinct directories of ${m}'s entries
 * into ${dirs} (watch_map_count(m) slots at least; the strings are ${m}'s),
 * in the order they first appear; return how many.
 */
size_t		 watch_map_dirs(const struct watch_map *m, const char **dirs);

/**
 * watch_split(path, dir, dirlen, name, namelen): split the absolute
 * ${path} into its directory ("/" for a file at the root) and its last
 * component.  0, or -1 if ${path} is not absolute, ends in '/', or does
 * not fit.
 */
int		 watch_split(const char *path, char *dir, size_t dirlen,
		    char *name, size_t namelen);

/**
 * watch_resolve(m, path, tunnel): record in ${m} every (directory, name)
 * through which the file at the absolute ${path} can change: each
 * component of the path that is a symbolic link, and those of the paths
 * the links lead to, and the file they end at.  A component that does not
 * exist ends the walk there (its directory is watched, so that its
 * creation is seen).  0, or -1 when out of memory or ${path} is not
 * absolute.
 */
int		 watch_resolve(struct watch_map *m, const char *path,
		    const char *tunnel);

struct watch;

/**
 * watch_new(loop, cb, arg): a watcher on ${loop}, not watching anything
 * yet, that calls ${cb}(${arg}, tunnel) once for each tunnel whose files
 * changed, WATCH_SETTLE after the last change.  NULL when out of memory.
 */
struct watch	*watch_new(struct ev_loop *loop,
		    void (*cb)(void *arg, const char *tunnel), void *arg);

/**
 * watch_set(w, conf): watch the files of ${conf}'s tunnels from now on,
 * or none if its reload_on_change is off.  ${conf} must outlive the next
 * watch_set() or watch_free().  A directory that cannot be watched is
 * logged and skipped.
 */
void		 watch_set(struct watch *w, const struct sd_conf *conf);

/**
 * watch_forget(w): in a forked child: stop and free ${w} without touching
 * the watches the parent still holds; NULL is a no-op.
 */
void		 watch_forget(struct watch *w);

/** watch_free(w): stop watching and free ${w}; NULL is a no-op. */
void		 watch_free(struct watch *w);

#endif /* !WATCH_H */
