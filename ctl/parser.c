/*
 * parser.c: stunnelctl's command line -> struct ctl_request, from one
 * table of commands (relayctl's parser.c token table, one level deep).
 * Options are scanned by hand rather than with getopt_long(3): getopt
 * keeps global state and prints its own messages, and this parser must
 * be pure so that the unit test can run it many times.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "proto.h"
#include "stunneld.h"

#define PARSER_TIMEOUT_DEFAULT	30
#define PARSER_TIMEOUT_MAX	86400

enum parser_arg {
	ARG_NONE,		/* nothing after the command */
	ARG_TUNNEL,		/* an optional tunnel name */
	ARG_ANY			/* all the rest, options too: the command
				   runs offline (cert.c), no daemon request */
};

static const struct parser_cmd {
	const char	*name;
	enum ctl_action	 action;
	uint16_t	 type;		/* PROTO_REQ_*; 0: not yet (or ARG_ANY) */
	enum parser_arg	 arg;
	int		 json;		/* --json applies */
	const char	*args;		/* for the usage */
	const char	*help;
} parser_cmds[] = {
	{ "status", CTL_STATUS, PROTO_REQ_STATUS, ARG_TUNNEL, 1,
	    "[TUNNEL]", "one line per tunnel (or every detail of one)" },
	{ "connections", CTL_CONNECTIONS, PROTO_REQ_CONNECTIONS, ARG_TUNNEL, 1,
	    "[TUNNEL]", "the open connections" },
	{ "metrics", CTL_METRICS, PROTO_REQ_STATUS, ARG_NONE, 0,
	    "", "the counters in Prometheus text format" },
	{ "check", CTL_CHECK, PROTO_REQ_STATUS, ARG_NONE, 1,
	    "[--days N]", "exit 0 if all is well, else 1 and the problems" },
	{ "reload-certs", CTL_RELOAD_CERTS, PROTO_REQ_RELOAD_CERTS, ARG_TUNNEL,
	    1, "[TUNNEL]", "re-read certificate, key, CA and CRL files" },
	{ "reload", CTL_RELOAD, PROTO_REQ_RELOAD, ARG_NONE, 1,
	    "", "re-read the configuration file" },
	{ "stop", CTL_STOP, PROTO_REQ_STOP, ARG_NONE, 1,
	    "", "stop the daemon gracefully" },
	{ "cert", CTL_CERT, 0, ARG_ANY, 0,
	    "ca|issue|revoke|crl|show|pin ...",
	    "the network's PKI, offline (stunnelctl cert -h)" },
};

#define PARSER_NCMDS	(sizeof(parser_cmds) / sizeof(parser_cmds[0]))

/* Fill ${req}->err from ${fmt} and return ${res}. */
static enum parser_result parser_fail(struct ctl_request *, enum parser_result,
    const char *, ...) __attribute__((format(printf, 3, 4)));
static enum parser_result
parser_fail(struct ctl_request *req, enum parser_result res, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(req->err, sizeof(req->err), fmt, ap);
	va_end(ap);
	return (res);
}

/* The table row named ${name}, or NULL. */
static const struct parser_cmd *
parser_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < PARSER_NCMDS; i++)
		if (strcmp(parser_cmds[i].name, name) == 0)
			return (&parser_cmds[i]);
	return (NULL);
}

/* Parse the whole number of days ${s} (0..PARSER_DAYS_MAX); -1 if not one. */
static int
parser_days(const char *s, int *days)
{
	char	*end;
	long	 v;

	if (s[0] < '0' || s[0] > '9')
		return (-1);
	v = strtol(s, &end, 10);
	if (*end != '\0' || v > PARSER_DAYS_MAX)
		return (-1);
	*days = (int)v;
	return (0);
}

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
enum parser_result
parser_parse(int argc, char *const argv[], const char *envsock,
    struct ctl_request *req)
{
	const struct parser_cmd	*cmd;
	const char		*pos[3];	/* command + 2 more */
	const char		*a, *sock = NULL, *days = NULL;
	size_t			 npos = 0, len;
	int			 i, help = 0, version = 0, opts = 1;

	memset(req, 0, sizeof(*req));
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!opts || a[0] != '-' || a[1] == '\0') {
			if (npos < sizeof(pos) / sizeof(pos[0]))
				pos[npos] = a;
			npos++;
			/* The rest of the line belongs to ARG_ANY. */
			if (npos == 1 && (cmd = parser_lookup(a)) != NULL &&
			    cmd->arg == ARG_ANY) {
				req->argc = argc - i - 1;
				req->argv = argv + i + 1;
				break;
			}
			continue;
		}
		if (strcmp(a, "--") == 0)
			opts = 0;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			help = 1;
		else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)
			version = 1;
		else if (strcmp(a, "--json") == 0)
			req->json = 1;
		else if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc)
				return (parser_fail(req, PARSER_USAGE,
				    "option %s needs an argument", a));
			sock = argv[++i];
		} else if (strcmp(a, "--days") == 0) {
			if (i + 1 >= argc)
				return (parser_fail(req, PARSER_USAGE,
				    "option %s needs an argument", a));
			days = argv[++i];
		} else if (strncmp(a, "--days=", 7) == 0)
			days = a + 7;
		else if (strncmp(a, "-s", 2) == 0)
			sock = a + 2;
		else if (strncmp(a, "--socket=", 9) == 0)
			sock = a + 9;
		else
			return (parser_fail(req, PARSER_USAGE,
			    "unknown option: %s", a));
	}

	if (help) {
		req->action = CTL_HELP;
		return (PARSER_OK);
	}
	if (version) {
		req->action = CTL_VERSION;
		return (PARSER_OK);
	}

	if (sock != NULL && sock[0] == '\0')
		return (parser_fail(req, PARSER_USAGE, "empty socket path"));
	if (sock == NULL)
		sock = (envsock != NULL && envsock[0] != '\0') ? envsock :
		    SD_DEFAULT_CONTROL;
	if (strlen(sock) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return (parser_fail(req, PARSER_USAGE,
		    "socket path too long: %s", sock));
	req->socket = sock;

	if (npos == 0)
		return (parser_fail(req, PARSER_USAGE, "missing command"));
	if ((cmd = parser_lookup(pos[0])) == NULL)
		return (parser_fail(req, PARSER_USAGE, "unknown command: %s",
		    pos[0]));
	req->action = cmd->action;
	req->command = cmd->name;
	if (cmd->type == 0 && cmd->arg != ARG_ANY)
		return (parser_fail(req, PARSER_UNSUPPORTED,
		    "%s: not implemented yet", cmd->name));
	req->type = cmd->type;
	if (req->json && !cmd->json)
		return (parser_fail(req, PARSER_USAGE,
		    "%s: --json does not apply", cmd->name));
	if (days != NULL && cmd->action != CTL_CHECK)
		return (parser_fail(req, PARSER_USAGE,
		    "%s: --days does not apply", cmd->name));
	if (days != NULL && parser_days(days, &req->days) != 0)
		return (parser_fail(req, PARSER_USAGE,
		    "--days: not a number of days from 0 to %d: %s",
		    PARSER_DAYS_MAX, days));

	switch (cmd->arg) {
	case ARG_NONE:
		if (npos > 1)
			return (parser_fail(req, PARSER_USAGE,
			    "%s: unexpected argument: %s", cmd->name, pos[1]));
		break;
	case ARG_TUNNEL:
		if (npos > 2)
			return (parser_fail(req, PARSER_USAGE,
			    "%s: unexpected argument: %s", cmd->name, pos[2]));
		if (npos < 2)
			break;
		len = strlen(pos[1]);
		if (len == 0)
			return (parser_fail(req, PARSER_USAGE,
			    "%s: empty tunnel name", cmd->name));
		if (len >= PROTO_NAME_MAX)
			return (parser_fail(req, PARSER_USAGE,
			    "%s: tunnel name longer than %d bytes", cmd->name,
			    PROTO_NAME_MAX - 1));
		memcpy(req->tunnel, pos[1], len + 1);
		req->tunnel_len = (uint32_t)len;
		break;
	case ARG_ANY:
		break;
	}
	return (PARSER_OK);
}

/**
 * parser_timeout(s, secs): parse the STUNNELCTL_TIMEOUT value ${s} (whole
 * seconds, 1..86400) into ${secs}; NULL or "" gives the default of 30.
 * Return 0, or -1 if ${s} is not such a number.
 */
int
parser_timeout(const char *s, int *secs)
{
	char	*end;
	long	 v;

	if (s == NULL || s[0] == '\0') {
		*secs = PARSER_TIMEOUT_DEFAULT;
		return (0);
	}
	if (s[0] < '0' || s[0] > '9')
		return (-1);
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > PARSER_TIMEOUT_MAX)
		return (-1);
	*secs = (int)v;
	return (0);
}

/**
 * parser_usage(f, full): print the usage to ${f}: with ${full}, the whole
 * help built from the command table; without, the synopsis and the
 * command names (after a usage error).
 */
void
parser_usage(FILE *f, int full)
{
	char	buf[64];
	size_t	i;

	fputs("usage: stunnelctl [-s SOCKET] [--json] COMMAND [TUNNEL]\n", f);
	if (!full) {
		fputs("commands:", f);
		for (i = 0; i < PARSER_NCMDS; i++)
			fprintf(f, " %s", parser_cmds[i].name);
		fputs(" (stunnelctl -h: details)\n", f);
		return;
	}
	fprintf(f,
	    "       stunnelctl -h | -V\n"
	    "options:\n"
	    "  -s SOCKET      control socket (default: $STUNNELCTL_SOCKET, "
	    "else\n"
	    "                 %s)\n"
	    "  --json         print one JSON document\n"
	    "  -h, --help     print this help\n"
	    "  -V, --version  print the version\n"
	    "commands:\n", SD_DEFAULT_CONTROL);
	for (i = 0; i < PARSER_NCMDS; i++) {
		snprintf(buf, sizeof(buf), "%s%s%s", parser_cmds[i].name,
		    parser_cmds[i].args[0] != '\0' ? " " : "",
		    parser_cmds[i].args);
		if (strlen(buf) < 23)
			fprintf(f, "  %-22s %s\n", buf, parser_cmds[i].help);
		else
			fprintf(f, "  %s\n  %-22s %s\n", buf, "",
			    parser_cmds[i].help);
	}
	fputs("environment: STUNNELCTL_SOCKET (socket), STUNNELCTL_TIMEOUT "
	    "(seconds, default 30)\n"
	    "exit status: 0 done (check: all is well), 1 the daemon refused or "
	    "failed\n"
	    "             (check: a problem), 2 usage error, 3 no daemon "
	    "answers at\n"
	    "             the socket\n", f);
}
