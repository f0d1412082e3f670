/*
 * proto.h: the one wire protocol of stunneld, spoken on the control socket
 * (stunnelctl <-> supervisor) and on each worker's socketpair (supervisor
 * <-> worker).  Both ends run on one host, so integers are in host byte
 * order; every structure below has fixed-size fields only.
 *
 * A frame is a struct proto_hdr followed by hdr.len payload bytes.  A
 * receiver checks the version and that len fits the type (exactly the
 * structure's size, or at most PROTO_MAX_PAYLOAD for text) before it reads
 * the payload; a bad frame on the control socket closes that client.
 *
 * A request gets either one REP_OK / REP_FAIL, or any number of REP_TUNNEL
 * / REP_CONN frames closed by REP_END.  Replies carry the request's seq.
 *
 * History (never renumber a type; bump PROTO_VERSION on any layout change):
 *	1	first version.
 *	2	proto_stats: crl_next_update, crls, crl_flags.
 *	3	proto_tunnel: mode[16], for "redirect".
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION		3
#define PROTO_MAX_PAYLOAD	8192	/* larger frames are refused */
#define PROTO_NAME_MAX		64	/* tunnel names, NUL included */
#define PROTO_ADDR_MAX		272	/* "[host]:port" with a 255-byte host */
#define PROTO_IDENT_MAX		256	/* peer identity / certificate subject */

struct proto_hdr {
	uint32_t	len;		/* payload bytes after this header */
	uint16_t	type;		/* enum proto_type */
	uint16_t	version;	/* PROTO_VERSION */
	uint32_t	seq;		/* chosen by the requester, echoed */
};

enum proto_type {
	/* Requests, stunnelctl -> supervisor: 1..99. */
	PROTO_REQ_STATUS	= 1,	/* followed by a tunnel name or nothing */
	PROTO_REQ_CONNECTIONS	= 2,	/* followed by a tunnel name or nothing */
	PROTO_REQ_RELOAD_CERTS	= 3,	/* followed by a tunnel name or nothing */
	PROTO_REQ_RELOAD	= 4,	/* nothing follows */
	PROTO_REQ_STOP		= 5,	/* nothing follows */

	/* Replies, supervisor -> stunnelctl (and worker -> supervisor): 100..199. */
	PROTO_REP_OK		= 100,	/* followed by a message (text, may be empty) */
	PROTO_REP_FAIL		= 101,	/* followed by a message (text) */
	PROTO_REP_TUNNEL	= 102,	/* followed by struct proto_tunnel */
	PROTO_REP_CONN		= 103,	/* followed by struct proto_conn */
	PROTO_REP_END		= 104,	/* nothing follows */

	/* Supervisor <-> worker only: 200..299. */
	PROTO_IPC_STATS		= 200,	/* request: nothing; reply: PROTO_IPC_STATS_REP */
	PROTO_IPC_STATS_REP	= 201,	/* followed by struct proto_stats */
	PROTO_IPC_CONNS		= 202,	/* request: nothing; reply: REP_CONN... REP_END */
	PROTO_IPC_RELOAD_CERTS	= 203,	/* request: nothing; reply: REP_OK or REP_FAIL */
	PROTO_IPC_SETTINGS	= 204	/* followed by struct proto_settings; no reply */
};

/* Text fields are NUL-terminated within their size; a receiver forces it. */

/* A worker's counters and credentials. */
struct proto_stats {
	uint64_t	connections_active;
	uint64_t	connections_total;
	uint64_t	bytes_in;		/* read from the plaintext side */
	uint64_t	bytes_out;		/* written to the plaintext side */
	uint64_t	handshakes_failed;
	uint64_t	socks_refused;
	int64_t		cert_not_after;		/* unix time; 0: unknown */
	int64_t		certs_loaded_at;	/* unix time */
	int64_t		crl_next_update;	/* unix time, the earliest of the
						 * CRLs; 0: none has one */
	uint32_t	crls;			/* CRLs loaded; 0: no crl file */
	uint32_t	crl_flags;		/* PROTO_CRL_* */
	char		cert_subject[PROTO_IDENT_MAX];
};

#define PROTO_CRL_STRICT	0x01	/* crl_strict: peers a CRL past its
					 * next update covers are refused */

/* The global settings a reload passes to the workers it keeps running. */
struct proto_settings {
	int32_t		log_level;		/* LOG_ERR .. LOG_DEBUG, -v included */
	uint32_t	shutdown_timeout;	/* seconds */
};

#define PROTO_TUNNEL_STALE	0x01	/* the worker did not answer: counters unknown */

struct proto_tunnel {
	char		name[PROTO_NAME_MAX];
	char		mode[16];		/* "socks" | "tls" | "redirect" */
	char		listen[PROTO_ADDR_MAX];
	char		state[16];		/* "running" | "restarting" | "failed" | "stopping" */
	int64_t		pid;			/* 0: no worker */
	uint32_t	restarts;
	uint32_t	flags;			/* PROTO_TUNNEL_* */
	uint32_t	max_connections;	/* all workers together */
	uint32_t	workers;		/* worker processes */
	struct proto_stats stats;
};

struct proto_conn {
	char		tunnel[PROTO_NAME_MAX];
	char		client[PROTO_ADDR_MAX];
	char		destination[PROTO_ADDR_MAX];
	char		peer[PROTO_IDENT_MAX];	/* empty: not known yet */
	char		state[16];		/* "relay", "tls-handshake", ... */
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	int64_t		started;		/* unix time */
};

/**
 * proto_payload_ok(type, len): 1 if ${len} payload bytes are right for a
 * frame of ${type}, 0 if not (unknown type, wrong size, too long).
 */
int	proto_payload_ok(uint16_t type, uint32_t len);

/**
 * proto_frame(out, outlen, type, seq, payload, len): write a frame of
 * ${type} with ${len} bytes of ${payload} into ${out}; return its length,
 * or 0 if it does not fit ${outlen} or is not a valid frame.
 */
size_t	proto_frame(uint8_t *out, size_t outlen, uint16_t type, uint32_t seq,
	    const void *payload, uint32_t len);

/**
 * proto_parse(buf, len, hdr, payload): if ${buf} starts with a complete
 * frame, fill ${hdr}, point ${payload} at its payload and return the frame
 * length; return 0 if more bytes are needed, -1 if the frame is invalid
 * (wrong version, unknown type, bad length).
 */
long	proto_parse(const uint8_t *buf, size_t len, struct proto_hdr *hdr,
	    const uint8_t **payload);

/** proto_text(dst, dstlen, src, len): copy ${len} bytes of text into a NUL-terminated ${dst}. */
void	proto_text(char *dst, size_t dstlen, const void *src, size_t len);

#endif /* !PROTO_H */
