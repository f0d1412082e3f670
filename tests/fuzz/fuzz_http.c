/*
 * fuzz_http.c: libFuzzer target for the metrics endpoint's HTTP request
 * parser, http_parse(), and the response head, http_head().
 *
 * The input is parsed whole and as every prefix, each from an exact-size
 * heap copy.  Invariants, abort() when broken:
 *  - the verdict is HTTP_MORE, HTTP_DONE or one of the statuses http.h
 *    lists, and never HTTP_MORE at HTTP_REQUEST_MAX bytes or more;
 *  - HTTP_MORE over growing prefixes until the deciding byte, then the
 *    same verdict (and request) for every longer prefix;
 *  - on HTTP_DONE: len <= HTTP_REQUEST_MAX, the head ends in CRLF CRLF
 *    at len, method/path/query are NUL-terminated within their fields,
 *    the method is a token, the path starts with '/' and holds no '?',
 *    and request line = method SP path ['?' query] SP "HTTP/1.x";
 *  - http_head() with the statuses and lengths from the input is
 *    well-formed and ends in CRLF CRLF.
 */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "fuzz.h"

#define FUZZ_PREFIX_MAX	(HTTP_REQUEST_MAX + 16)

/* 1 if ${rc} is a verdict http_parse() may give. */
static int
verdict_ok(int rc)
{
	switch (rc) {
	case HTTP_MORE:
	case HTTP_DONE:
	case 400:
	case 413:
	case 414:
	case 431:
	case 501:
	case 505:
		return (1);
	}
	return (0);
}

/* Parse the first ${len} bytes of ${data} from an exact-size copy. */
static int
parse(const uint8_t *data, size_t len, struct http_request *req)
{
	uint8_t	*copy = fuzz_dup(data, len);
	int	 rc;

	rc = http_parse(copy, len, req);
	free(copy);
	FUZZ_CHECK(verdict_ok(rc));
	FUZZ_CHECK(rc != HTTP_MORE || len < HTTP_REQUEST_MAX);
	return (rc);
}

/* The checks of a complete request ${req} read from ${data}. */
static void
check_done(const uint8_t *data, size_t len, const struct http_request *req)
{
	char	line[HTTP_METHOD_MAX + 2 * HTTP_TARGET_MAX + 16];
	size_t	m, n;

	FUZZ_CHECK(req->len >= 4 && req->len <= len &&
	    req->len <= HTTP_REQUEST_MAX);
	FUZZ_CHECK(memcmp(data + req->len - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(memchr(req->method, '\0', sizeof(req->method)) != NULL);
	FUZZ_CHECK(memchr(req->path, '\0', sizeof(req->path)) != NULL);
	FUZZ_CHECK(memchr(req->query, '\0', sizeof(req->query)) != NULL);
	m = strlen(req->method);
	FUZZ_CHECK(m > 0 && strcspn(req->method, " \t\r\n:/\"(),;<=>?@[]{}")
	    == m);
	FUZZ_CHECK(req->path[0] == '/' && strchr(req->path, '?') == NULL);
	FUZZ_CHECK(req->minor >= 0 && req->minor <= 9);
	n = (size_t)snprintf(line, sizeof(line), "%s %s%s%s HTTP/1.%d\r\n",
	    req->method, req->path, req->query[0] != '\0' ? "?" : "",
	    req->query, req->minor);
	/* "?" with an empty query reads back as no query at all */
	if (n <= len && memcmp(data, line, n) != 0) {
		n = (size_t)snprintf(line, sizeof(line), "%s %s? HTTP/1.%d\r\n",
		    req->method, req->path, req->minor);
		FUZZ_CHECK(req->query[0] == '\0' && n <= len &&
		    memcmp(data, line, n) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct http_request	 whole, r, first;
	char			 head[512];
	size_t			 k, max, hl;
	int			 rc, wrc, frc = HTTP_MORE, decided = 0;

	wrc = parse(data, len, &whole);
	if (wrc == HTTP_DONE)
		check_done(data, len, &whole);

	max = len < FUZZ_PREFIX_MAX ? len : FUZZ_PREFIX_MAX;
	for (k = 0; k <= max; k++) {
		rc = parse(data, k, &r);
		if (decided) {
			FUZZ_CHECK(rc == frc);
			if (rc == HTTP_DONE)
				FUZZ_CHECK(memcmp(&r, &first, sizeof(r)) == 0);
			continue;
		}
		if (rc == HTTP_MORE)
			continue;
		decided = 1;
		frc = rc;
		first = r;
		if (rc == HTTP_DONE)
			FUZZ_CHECK(r.len == k);
	}
	if (decided)
		FUZZ_CHECK(frc == wrc);
	else if (max == len)
		FUZZ_CHECK(wrc == HTTP_MORE);

	/* A response head from the first bytes: well-formed or none. */
	if (len >= 3) {
		hl = http_head(head, sizeof(head), 100 + data[0] % 500,
		    "text/plain; version=0.0.4", (size_t)data[1] << 8 | data[2],
		    data[0] & 1 ? "GET" : NULL);
		FUZZ_CHECK(hl > 0 && hl == strlen(head));
		FUZZ_CHECK(memcmp(head, "HTTP/1.1 ", 9) == 0);
		FUZZ_CHECK(memcmp(head + hl - 4, "\r\n\r\n", 4) == 0);
	}
	return (0);
}
