/*
 * worker.h: the process serving one tunnel: its listener, its event loop
 * and its connections.  Forked by the supervisor; exits when told to stop
 * and its connections have finished, or when the supervisor goes away.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stdint.h>
#include <time.h>

#include <ev.h>

#include "log.h"
#include "expiry.h"
#include "stunneld.h"

struct conn;
struct room;
struct creds;
struct ipc;
struct resolver;
struct throttle;
struct tls_cache;

struct worker {
	struct ev_loop		*loop;
	const struct sd_conf	*conf;
	const struct tunnel_conf *tc;
	unsigned int		 index;		/* 0 .. tc->workers - 1 */
	struct room		*room;		/* which siblings have room */
	int			 listen_fd;
	const uint8_t		*ticket_key;	/* the tunnel's, for creds_load() */
	unsigned int		 shutdown_timeout;	/* conf's, or a reload's */
	struct ipc		*ipc;		/* to the supervisor */
	ev_io			 accept_w;
	ev_timer		 accept_pause;
	ev_timer		 drain_timer;
	ev_signal		 sig_term;
	ev_signal		 sig_int;
	ev_signal		 sig_usr1;
	ev_signal		 sig_hup;
	ev_periodic		 crl_timer;	/* worker 0: the next CRL warning */
	int			 crl_warned;	/* since the credentials were loaded */
	struct creds		*creds;
	time_t			 certs_loaded_at;
	struct expiry		 expiry;	/* which of those warnings are given */
	ev_periodic		 expiry_w;	/* the next one */
	struct resolver		*resolver;
	struct tls_cache	*tls_cache;	/* sessions to resume, by destination */
	struct throttle		*throttle;	/* tls mode: handshakes per address */
	struct conn		*conns;
	unsigned int		 nconns;
	int			 draining;
	unsigned int		 yield_queued;	/* waiting when we last yielded */
	uint64_t		 conns_total;
	uint64_t		 handshakes_failed;
	uint64_t		 socks_refused;
	/* the lines a flood of connections could repeat */
	struct log_limit	 log_accept;
	struct log_limit	 log_pause;	/* accept, out of descriptors */
	struct log_limit	 log_overflow;
	struct log_limit	 log_nomem;
	struct log_limit	 log_throttled;
	struct log_limit	 log_source;
	struct log_limit	 log_evicted;
	uint64_t		 bytes_in;	/* from the plaintext side */
	uint64_t		 bytes_out;	/* to the plaintext side */
};

/**
 * worker_run(conf, tc, index, listen_fd, ipc_fd, ticket_key): serve
 * tunnel ${tc} as its worker ${index} (0 .. tc->workers - 1; worker 0
 * logs the warnings about the tunnel's CRL and before its certificate
 * expires) on ${listen_fd} in this (freshly forked) process until
 * stopped, issuing session tickets under ${ticket_key}
 * (CREDS_TICKET_KEY_LEN bytes) and telling its siblings through ${room}
 * (NULL: it has none) whether it has room; the supervisor end of ${ipc_fd}
 * closing means the supervisor died.  Return the process exit status.
 */
int	worker_run(const struct sd_conf *conf, const struct tunnel_conf *tc,
	    unsigned int index, int listen_fd, int ipc_fd,
	    const uint8_t *ticket_key, struct room *room);

/** worker_conn_done(w): a connection of ${w} has closed. */
void	worker_conn_done(struct worker *w);

#endif /* !WORKER_H */
