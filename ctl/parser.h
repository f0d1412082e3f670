/*
 * parser.h: stunnelctl's command line -> struct ctl_request.  Pure: the
 * environment comes in as arguments, nothing is printed, nothing global
 * is touched (no getopt), so the unit test can call it over and over.
 *
 * The commands live in one table in parser.c (relayctl's token table,
 * flattened: stunnelctl has one level of keywords); a new command is one
 * row there plus, if it talks to the daemon, its PROTO_REQ_* type.
 */
#ifndef PARSER_H
#define PARSER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "proto.h"

#define PARSER_DAYS_MAX	CHECK_DAYS_MAX	/* check --days */

enum ctl_action {
	CTL_HELP,		/* -h, --help: usage on stdout */
	CTL_VERSION,		/* -V, --version */
	CTL_STATUS,		/* status [TUNNEL] */
	CTL_CONNECTIONS,	/* connections [TUNNEL] */
	CTL_METRICS,		/* metrics: REQ_STATUS shown as Prometheus */
	CTL_CHECK,		/* check [--days N]: REQ_STATUS as a verdict */
	CTL_RELOAD_CERTS,	/* reload-certs [TUNNEL] */
	CTL_RELOAD,		/* reload */
	CTL_STOP,		/* stop */
	CTL_CERT		/* cert ...: offline PKI (cert.c), argc/argv */
};

enum parser_result {
	PARSER_OK,		/* ${req} is complete */
	PARSER_USAGE,		/* print err and the usage, exit 2 */
	PARSER_UNSUPPORTED	/* known, not available: print err, exit 2 */
};

struct ctl_request {
	enum ctl_action	 action;
	const char	*command;	/* NULL for help/version */
	uint16_t	 type;		/* PROTO_REQ_*; 0: no daemon request */
	char		 tunnel[PROTO_NAME_MAX];	/* "": every tunnel */
	uint32_t	 tunnel_len;	/* payload bytes: strlen(tunnel) */
	const char	*socket;	/* control socket path */
	int		 json;		/* --json */
	int		 days;		/* check --days N; 0 if not given */
	int		 argc;		/* after a command that parses */
	char *const	*argv;		/* its own arguments ("cert") */
	char		 err[256];	/* the reason, when not PARSER_OK */
};

/**
 * parser_parse(argc, argv, envsock, req): parse
 * "[-s SOCKET] [--json] [-h|--help] [-V|--version] COMMAND [TUNNEL]" from
 * ${argv}[1..${argc}-1] into ${req}.  Options may come before or after the
 * command ("--" ends them), except after a command that takes the rest
 * of the line as its own arguments (cert), which get into ${req}->argv.
 * "--days N" (0..PARSER_DAYS_MAX) goes with check only.
 * The socket is -s if given, else ${envsock}
 * (STUNNELCTL_SOCKET) if not NULL or empty, else SD_DEFAULT_CONTROL.
 * ${req}->socket points into ${argv}, at ${envsock} or at a constant.
 * -h and -V win over a missing or bad command.  Return PARSER_OK, or
 * PARSER_USAGE / PARSER_UNSUPPORTED with ${req}->err set.
 */
enum parser_result	parser_parse(int argc, char *const argv[],
			    const char *envsock, struct ctl_request *req);

/**
 * parser_timeout(s, secs): parse the STUNNELCTL_TIMEOUT value ${s} (whole
 * seconds, 1..86400) into ${secs}; NULL or "" gives the default of 30.
 * Return 0, or -1 if ${s} is not such a number.
 */
int	parser_timeout(const char *s, int *secs);

/**
 * parser_usage(f, full): print the usage to ${f}: with ${full}, the whole
 * help built from the command table; without, the synopsis and the
 * command names (after a usage error).
 */
void	parser_usage(FILE *f, int full);

#endif /* !PARSER_H */
