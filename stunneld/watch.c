/*
 * watch.c: reload_on_change (see watch.h).  Directories are watched, not
 * files: a renewer that renames a new file over the old one, or swaps a
 * "..data" link, replaces the inode a watch on the file would hold, and
 * the change would be missed.  A change is acted upon once WATCH_SETTLE
 * has passed without another, so that a key and a certificate written one
 * after the other make one reload, and the links are followed again
 * afterwards, since a swap moves the file they end at.
 *
 * This runs in the supervisor, which sandbox.c does not confine; the
 * workers it forks close the descriptor (watch_forget()) and make none of
 * these calls, so their allow-list has no inotify call.  A filter for the
 * supervisor would need inotify_init1, inotify_add_watch and
 * inotify_rm_watch, and read on the descriptor.
 */
#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "log.h"
#include "watch.h"

#define WATCH_LINKS_MAX	40	/* links followed for one path, as the kernel does */
#define WATCH_READS_MAX	64	/* reads of the queue per wake-up: others' turn */
#define WATCH_MASK	(IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_CREATE | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watch_map {
	struct watch_entry	*e;
	size_t			 n, cap;
};

/* A watched directory and its inotify watch descriptor. */
struct watch_dir {
	char	*dir;
	int	 wd;
};

/* A tunnel to reload when the writes settle, and the file that changed. */
struct watch_pending {
	char	*tunnel;
	char	*file;
};

struct watch {
	struct ev_loop		*loop;
	void			(*cb)(void *, const char *);
	void			*arg;
	const struct sd_conf	*conf;		/* whose files; NULL: none */
	int			 fd;		/* inotify; -1 while off */
	ev_io			 io;
	ev_timer		 settle;
	struct watch_map	*map;
	struct watch_dir	*dirs;
	size_t			 ndirs;
	struct watch_pending	*pending;
	size_t			 npending, cappending;
};

/** watch_map_new(): an empty map, or NULL when out of memory. */
struct watch_map *
watch_map_new(void)
{
	return (calloc(1, sizeof(struct watch_map)));
}

/* Free the strings of ${e}. */
static void
watch_entry_clear(struct watch_entry *e)
{
	free(e->dir);
	free(e->name);
	free(e->file);
	free(e->tunnel);
}

/** watch_map_free(m): free ${m}; NULL is a no-op. */
void
watch_map_free(struct watch_map *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		watch_entry_clear(&m->e[i]);
	free(m->e);
	free(m);
}

/**
 * watch_map_add(m, dir, name, file, tunnel): record that a change of
 * ${name} in ${dir} is a change of ${file} of ${tunnel}; a pair already
 * recorded for that tunnel is not recorded twice.  0, or -1 when out of
 * memory.
 */
int
watch_map_add(struct watch_map *m, const char *dir, const char *name,
    const char *file, const char *tunnel)
{
	struct watch_entry	*e;
	size_t			 i, cap;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].dir, dir) == 0 &&
		    strcmp(m->e[i].name, name) == 0 &&
		    strcmp(m->e[i].tunnel, tunnel) == 0)
			return (0);
	if (m->n == m->cap) {
		cap = m->cap ? m->cap * 2 : 16;
		if ((e = reallocarray(m->e, cap, sizeof(*e))) == NULL)
			goto err0;
		m->e = e;
		m->cap = cap;
	}
	e = &m->e[m->n];
	e->dir = strdup(dir);
	e->name = strdup(name);
	e->file = strdup(file);
	e->tunnel = strdup(tunnel);
	if (e->dir == NULL || e->name == NULL || e->file == NULL ||
	    e->tunnel == NULL)
		goto err1;
	m->n++;

	/* Success! */
	return (0);

err1:
	watch_entry_clear(e);
err0:
	/* Failure! */
	return (-1);
}

/** watch_map_count(m): how many entries ${m} holds. */
size_t
watch_map_count(const struct watch_map *m)
{
	return (m->n);
}

/** watch_map_entry(m, i): entry ${i} of ${m}, in the order they were added. */
const struct watch_entry *
watch_map_entry(const struct watch_map *m, size_t i)
{
	return (&m->e[i]);
}

/**
 * watch_map_match(m, dir, name, from): the index of the first entry at or
 * after ${from} for ${name} in ${dir}, or watch_map_count(m) if none.
 */
size_t
watch_map_match(const struct watch_map *m, const char *dir, const char *name,
    size_t from)
{
	size_t	 i;

	for (i = from; i < m->n; i++)
		if (strcmp(m->e[i].name, name) == 0 &&
		    strcmp(m->e[i].dir, dir) == 0)
			break;
	return (i);
}

/**
 * watch_map_dirs(m, dirs): the distinct directories of ${m}'s entries
 * into ${dirs} (watch_map_count(m) slots at least; the strings are ${m}'s),
 * in the order they first appear; return how many.
 */
size_t
watch_map_dirs(const struct watch_map *m, const char **dirs)
{
	size_t	 i, j, n = 0;

	for (i = 0; i < m->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(dirs[j], m->e[i].dir) == 0)
				break;
		if (j == n)
			dirs[n++] = m->e[i].dir;
	}
	return (n);
}

/**
 * watch_split(path, dir, dirlen, name, namelen): split the absolute
 * ${path} into its directory ("/" for a file at the root) and its last
 * component.  0, or -1 if ${path} is not absolute, ends in '/', or does
 * not fit.
 */
int
watch_split(const char *path, char *dir, size_t dirlen, char *name,
    size_t namelen)
{
	const char	*slash = strrchr(path, '/');
	size_t		 dl;

	if (path[0] != '/' || slash[1] == '\0')
		return (-1);
	dl = slash == path ? 1 : (size_t)(slash - path);
	if (dl >= dirlen || strlen(slash + 1) >= namelen)
		return (-1);
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	snprintf(name, namelen, "%s", slash + 1);
	return (0);
}

/*
 * Take the first component of ${rest} (leading '/'s skipped) into
 * ${comp}; move ${rest} past it.  0, or -1 if there is none or it does
 * not fit.
 */
static int
watch_next_comp(const char **rest, char *comp, size_t complen)
{
	const char	*p = *rest;
	size_t		 len;

	while (*p == '/')
		p++;
	if ((len = strcspn(p, "/")) == 0 || len >= complen)
		return (-1);
	memcpy(comp, p, len);
	comp[len] = '\0';
	*rest = p + len;
	return (0);
}

/**
 * watch_resolve(m, path, tunnel): record in ${m} every (directory, name)
 * through which the file at the absolute ${path} can change: each
 * component of the path that is a symbolic link, and those of the paths
 * the links lead to, and the file they end at.  A component that does not
 * exist ends the walk there (its directory is watched, so that its
 * creation is seen).  0, or -1 when out of memory or ${path} is not
 * absolute.
 *
 * The components are walked as the kernel does: cur is the physical
 * directory reached so far ("" for the root), rest what is left to walk,
 * with a link's target put in front of it.
 */
int
watch_resolve(struct watch_map *m, const char *path, const char *tunnel)
{
	char		 cur[PATH_MAX], comp[NAME_MAX + 1], next[PATH_MAX];
	char		 target[PATH_MAX], buf[2][2 * PATH_MAX];
	const char	*rest, *dir, *p;
	struct stat	 st;
	ssize_t		 tl;
	unsigned int	 links = 0, b = 0;

	if (path[0] != '/')
		return (-1);
	cur[0] = '\0';
	rest = path;
	while (watch_next_comp(&rest, comp, sizeof(comp)) == 0) {
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if ((p = strrchr(cur, '/')) != NULL)
				cur[p - cur] = '\0';
			continue;
		}
		dir = cur[0] != '\0' ? cur : "/";
		if ((size_t)snprintf(next, sizeof(next), "%s/%s", cur, comp) >=
		    sizeof(next))
			return (0);	/* no file has such a name */
		if (lstat(next, &st) != 0) {
			/* its creation is what would change it */
			return (watch_map_add(m, dir, comp, path, tunnel));
		}
		if (S_ISLNK(st.st_mode)) {
			if (watch_map_add(m, dir, comp, path, tunnel) != 0)
				return (-1);
			if (++links > WATCH_LINKS_MAX ||
			    (tl = readlink(next, target, sizeof(target) - 1)) <= 0)
				return (0);	/* opening it fails too */
			target[tl] = '\0';
			/* the link's target, then what followed the link */
			if ((size_t)snprintf(buf[b], sizeof(buf[b]), "%s/%s",
			    target, rest) >= sizeof(buf[b]))
				return (0);
			rest = buf[b];
			b ^= 1;
			if (target[0] == '/')
				cur[0] = '\0';
			continue;
		}
		if (*(rest + strspn(rest, "/")) == '\0')
			return (watch_map_add(m, dir, comp, path, tunnel));
		memcpy(cur, next, strlen(next) + 1);
	}
	return (0);
}

/* Stop watching ${w}'s directories, in this process only if ${forget}. */
static void
watch_drop_dirs(struct watch *w, int forget)
{
	size_t	 i;

	for (i = 0; i < w->ndirs; i++) {
		if (!forget && w->fd >= 0)
			(void)inotify_rm_watch(w->fd, w->dirs[i].wd);
		free(w->dirs[i].dir);
	}
	free(w->dirs);
	w->dirs = NULL;
	w->ndirs = 0;
	watch_map_free(w->map);
	w->map = NULL;
}

/* Forget the tunnels waiting for the writes to settle. */
static void
watch_drop_pending(struct watch *w)
{
	size_t	 i;

	for (i = 0; i < w->npending; i++) {
		free(w->pending[i].tunnel);
		free(w->pending[i].file);
	}
	w->npending = 0;
}

/* Whether ${wd} is one of the descriptors ${dirs}[0 .. n - 1]. */
static int
watch_has_wd(const struct watch_dir *dirs, size_t n, int wd)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (dirs[i].wd == wd)
			return (1);
	return (0);
}

/*
 * Follow the paths of w->conf again and watch the directories they lead
 * to now.  The new watches are added before the old ones go, so that no
 * change falls between the two.  On failure, the old ones stay.
 */
static void
watch_rebuild(struct watch *w)
{
	const struct tunnel_conf *tc;
	struct watch_map	*m;
	struct watch_dir	*dirs = NULL;
	const char		**names = NULL;
	const char		*files[4];
	size_t			 i, j, n, nd = 0;
	int			 wd;

	if ((m = watch_map_new()) == NULL)
		goto nomem;
	for (i = 0; i < w->conf->ntunnels; i++) {
		tc = &w->conf->tunnels[i];
		files[0] = tc->tls.cert;
		files[1] = tc->tls.key;
		files[2] = tc->tls.ca;
		files[3] = tc->tls.crl;
		for (j = 0; j < 4; j++)
			if (files[j] != NULL &&
			    watch_resolve(m, files[j], tc->name) != 0)
				goto nomem;
	}
	if ((n = watch_map_count(m)) > 0 &&
	    ((names = calloc(n, sizeof(*names))) == NULL ||
	    (dirs = calloc(n, sizeof(*dirs))) == NULL))
		goto nomem;
	n = watch_map_dirs(m, names);
	for (i = 0; i < n; i++) {
		if ((wd = inotify_add_watch(w->fd, names[i], WATCH_MASK)) < 0) {
			log_warn("reload_on_change: cannot watch %s", names[i]);
			continue;
		}
		if ((dirs[nd].dir = strdup(names[i])) == NULL) {
			if (!watch_has_wd(w->dirs, w->ndirs, wd))
				(void)inotify_rm_watch(w->fd, wd);
			goto nomem;
		}
		dirs[nd++].wd = wd;
	}
	for (i = 0; i < w->ndirs; i++)
		if (!watch_has_wd(dirs, nd, w->dirs[i].wd))
			(void)inotify_rm_watch(w->fd, w->dirs[i].wd);
	/* the kernel's watches are the new set's now */
	for (i = 0; i < w->ndirs; i++)
		free(w->dirs[i].dir);
	free(w->dirs);
	watch_map_free(w->map);
	w->dirs = dirs;
	w->ndirs = nd;
	w->map = m;
	free(names);
	log_debug("reload_on_change: %zu director%s watched for %zu "
	    "file path%s", nd, nd == 1 ? "y" : "ies", watch_map_count(m),
	    watch_map_count(m) == 1 ? "" : "s");
	return;

nomem:
	log_warnx("reload_on_change: out of memory: the watched files stay "
	    "as they were");
	if (dirs != NULL)
		for (i = 0; i < nd; i++) {
			if (!watch_has_wd(w->dirs, w->ndirs, dirs[i].wd))
				(void)inotify_rm_watch(w->fd, dirs[i].wd);
			free(dirs[i].dir);
		}
	free(dirs);
	free(names);
	watch_map_free(m);
}

/* ${tunnel} is to be reloaded for ${file} when the writes settle. */
static void
watch_pend(struct watch *w, const char *tunnel, const char *file)
{
	struct watch_pending	*p;
	size_t			 i, cap;

	ev_timer_again(w->loop, &w->settle);
	for (i = 0; i < w->npending; i++)
		if (strcmp(w->pending[i].tunnel, tunnel) == 0)
			return;
	if (w->npending == w->cappending) {
		cap = w->cappending ? w->cappending * 2 : 8;
		if ((p = reallocarray(w->pending, cap, sizeof(*p))) == NULL)
			goto nomem;
		w->pending = p;
		w->cappending = cap;
	}
	p = &w->pending[w->npending];
	p->tunnel = strdup(tunnel);
	p->file = strdup(file);
	if (p->tunnel == NULL || p->file == NULL) {
		free(p->tunnel);
		free(p->file);
		goto nomem;
	}
	w->npending++;
	return;

nomem:
	log_warnx("reload_on_change: out of memory: %s changed, but tunnel "
	    "%s is not reloaded", file, tunnel);
}

/* One event from the inotify queue. */
static void
watch_event(struct watch *w, const struct inotify_event *ev)
{
	size_t	 i, k;

	if (ev->mask & IN_Q_OVERFLOW) {
		/* changes were lost: any file may have changed */
		log_warnx("reload_on_change: the event queue overflowed: "
		    "reloading every tunnel");
		for (i = 0; i < w->conf->ntunnels; i++)
			watch_pend(w, w->conf->tunnels[i].name,
			    "(a file of the tunnel)");
		return;
	}
	for (i = 0; i < w->ndirs; i++) {
		if (w->dirs[i].wd != ev->wd)
			continue;
		if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
			/* a directory on the way went: follow the paths
			 * again once things settle */
			log_debug("reload_on_change: %s went away",
			    w->dirs[i].dir);
			ev_timer_again(w->loop, &w->settle);
			continue;
		}
		if (ev->len == 0)
			continue;
		for (k = watch_map_match(w->map, w->dirs[i].dir, ev->name, 0);
		    k < watch_map_count(w->map);
		    k = watch_map_match(w->map, w->dirs[i].dir, ev->name,
		    k + 1)) {
			log_debug("reload_on_change: %s/%s: event 0x%x",
			    w->dirs[i].dir, ev->name, (unsigned int)ev->mask);
			watch_pend(w, w->map->e[k].tunnel, w->map->e[k].file);
		}
	}
}

/* The inotify descriptor is readable. */
static void
watch_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct watch			*w = io->data;
	char				 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ev;
	ssize_t				 n, off;
	int				 reads;

	(void)loop;
	(void)revents;
	for (reads = 0; reads < WATCH_READS_MAX; reads++) {
		if ((n = read(w->fd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("reload_on_change: read");
			return;
		}
		for (off = 0; off + (ssize_t)sizeof(*ev) <= n;
		    off += (ssize_t)sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			watch_event(w, ev);
		}
		if (n == 0)
			return;
	}
}

/* The writes have settled: reload, then follow the links again. */
static void
watch_settle_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct watch	*w = tw->data;
	size_t		 i;

	(void)revents;
	ev_timer_stop(loop, tw);
	if (w->conf != NULL && w->fd >= 0)
		watch_rebuild(w);
	for (i = 0; i < w->npending; i++) {
		log_info("%s changed: reloading the certificates of tunnel %s",
		    w->pending[i].file, w->pending[i].tunnel);
		w->cb(w->arg, w->pending[i].tunnel);
	}
	watch_drop_pending(w);
}

/**
 * watch_new(loop, cb, arg): a watcher on ${loop}, not watching anything
 * yet, that calls ${cb}(${arg}, tunnel) once for each tunnel whose files
 * changed, WATCH_SETTLE after the last change.  NULL when out of memory.
 */
struct watch *
watch_new(struct ev_loop *loop, void (*cb)(void *, const char *), void *arg)
{
	struct watch	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (NULL);
	w->loop = loop;
	w->cb = cb;
	w->arg = arg;
	w->fd = -1;
	ev_init(&w->io, watch_read_cb);
	w->io.data = w;
	ev_timer_init(&w->settle, watch_settle_cb, 0., WATCH_SETTLE);
	w->settle.data = w;
	return (w);
}

/* Stop ${w}: no watch, no descriptor, nothing pending; see watch_drop_dirs(). */
static void
watch_off(struct watch *w, int forget)
{
	ev_io_stop(w->loop, &w->io);
	ev_timer_stop(w->loop, &w->settle);
	watch_drop_dirs(w, forget);
	watch_drop_pending(w);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/**
 * watch_set(w, conf): watch the files of ${conf}'s tunnels from now on,
 * or none if its reload_on_change is off.  ${conf} must outlive the next
 * watch_set() or watch_free().  A directory that cannot be watched is
 * logged and skipped.
 */
void
watch_set(struct watch *w, const struct sd_conf *conf)
{
	if (w == NULL)
		return;
	w->conf = conf;
	if (!conf->reload_on_change) {
		if (w->fd >= 0)
			log_info("reload_on_change is off: certificate files "
			    "are no longer watched");
		watch_off(w, 0);
		return;
	}
	if (w->fd < 0) {
		if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
			log_warn("reload_on_change: inotify_init1 (changed "
			    "certificate files need reload-certs)");
			return;
		}
		ev_io_set(&w->io, w->fd, EV_READ);
		ev_io_start(w->loop, &w->io);
	}
	watch_rebuild(w);
}

/**
 * watch_forget(w): in a forked child: stop and free ${w} without touching
 * the watches the parent still holds; NULL is a no-op.
 */
void
watch_forget(struct watch *w)
{
	if (w == NULL)
		return;
	watch_off(w, 1);
	free(w->pending);
	free(w);
}

/** watch_free(w): stop watching and free ${w}; NULL is a no-op. */
void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	watch_off(w, 0);
	free(w->pending);
	free(w);
}
