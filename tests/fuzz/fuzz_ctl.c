/*
 * fuzz_ctl.c: libFuzzer target for stunnelctl's command line parser,
 * parser_parse() and parser_timeout() (ctl/parser.c).
 *
 * The input is split at NUL bytes into argv[1..] (argv[0] is
 * "stunnelctl"); the first string is also the STUNNELCTL_SOCKET value and
 * the STUNNELCTL_TIMEOUT value.  Each argument gets its own exact-size
 * heap copy.  Invariants, abort() when broken:
 *  - PARSER_OK leaves a request that the client can send: a known
 *    action, a type whose payload proto_payload_ok() takes (tunnel_len
 *    bytes), a NUL-terminated tunnel of tunnel_len bytes, a socket
 *    (unless it is help or version);
 *  - otherwise err holds a NUL-terminated reason;
 *  - check's --days is 0..PARSER_DAYS_MAX, and 0 for every other command;
 *  - parser_timeout() gives 1..86400 on success.
 */
#include <string.h>

#include "parser.h"
#include "proto.h"
#include "fuzz.h"

#define FUZZ_ARGS_MAX	64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct ctl_request req;
	char			*argv[FUZZ_ARGS_MAX + 2];
	const uint8_t		*p = data, *nul;
	enum parser_result	 res;
	size_t			 n;
	int			 argc = 1, i, secs;

	argv[0] = (char *)"stunnelctl";
	while (argc <= FUZZ_ARGS_MAX && p <= data + len) {
		nul = memchr(p, '\0', (size_t)(data + len - p));
		n = nul != NULL ? (size_t)(nul - p) : (size_t)(data + len - p);
		if ((argv[argc] = malloc(n + 1)) == NULL)
			abort();
		memcpy(argv[argc], p, n);
		argv[argc++][n] = '\0';
		if (nul == NULL)
			break;
		p = nul + 1;
	}
	argv[argc] = NULL;

	memset(&req, 0xa5, sizeof(req));
	res = parser_parse(argc, argv, argc > 1 ? argv[1] : NULL, &req);
	FUZZ_CHECK(res == PARSER_OK || res == PARSER_USAGE ||
	    res == PARSER_UNSUPPORTED);
	if (res == PARSER_OK) {
		FUZZ_CHECK(req.action >= CTL_HELP && req.action <= CTL_CERT);
		FUZZ_CHECK(req.socket != NULL || req.action == CTL_HELP ||
		    req.action == CTL_VERSION);
		if (req.type != 0) {
			FUZZ_CHECK(strnlen(req.tunnel, sizeof(req.tunnel)) ==
			    req.tunnel_len);
			FUZZ_CHECK(proto_payload_ok(req.type,
			    req.tunnel_len));
		}
		if (req.action == CTL_CERT)
			FUZZ_CHECK(req.argc >= 0 && req.argc < argc);
		FUZZ_CHECK(req.days >= 0 && req.days <= PARSER_DAYS_MAX);
		FUZZ_CHECK(req.days == 0 || req.action == CTL_CHECK);
	} else
		FUZZ_CHECK(strnlen(req.err, sizeof(req.err)) <
		    sizeof(req.err) && req.err[0] != '\0');

	if (argc > 1 && parser_timeout(argv[1], &secs) == 0)
		FUZZ_CHECK(secs >= 1 && secs <= 86400);

	for (i = 1; i < argc; i++)
		free(argv[i]);
	return (0);
}
