/*
 * t_http.c: the HTTP request parser of the metrics endpoint.  Every
 * request is fed as each of its prefixes, from a heap copy of exactly
 * that length (ASan sees a read past ${len}): the verdict must be
 * HTTP_MORE until the byte that decides, then the same verdict for every
 * longer prefix; garbage is refused as soon as it shows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "test.h"

/* http_parse() on the first ${len} bytes of ${s}, from an exact copy. */
static int
parse_n(const char *s, size_t len, struct http_request *req)
{
	uint8_t	*copy;
	int	 rc;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, s, len);
	rc = http_parse(copy, len, req);
	free(copy);
	return (rc);
}

/*
 * The verdict on the whole of ${s}, checking that every prefix before
 * the deciding byte is HTTP_MORE and every one from it has that verdict;
 * ${decided} (if not NULL) gets the length of the shortest such prefix.
 */
static int
parse_all(const char *s, struct http_request *req, size_t *decided)
{
	struct http_request	 r;
	size_t			 len = strlen(s), i, at = len;
	int			 final, rc;

	final = parse_n(s, len, req);
	for (i = 0; i < len; i++) {
		rc = parse_n(s, i, &r);
		if (rc != HTTP_MORE && at == len)
			at = i;
		if (at < len && rc != final) {
			fprintf(stderr, "prefix %zu of \"%s\": %d, whole: %d\n",
			    i, s, rc, final);
			test_failures++;
			break;
		}
	}
	if (decided != NULL)
		*decided = at;
	return (final);
}

static void
test_good(void)
{
	struct http_request	 req;
	const char		*s;

	s = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\n\r\n";
	CHECK(parse_all(s, &req, NULL) == HTTP_DONE);
	CHECK_STR(req.method, "GET");
	CHECK_STR(req.path, "/metrics");
	CHECK_STR(req.query, "");
	CHECK(req.minor == 1);
	CHECK(req.len == strlen(s));

	/* what Prometheus 2 sends */
	s = "GET /metrics HTTP/1.1\r\nHost: localhost:9464\r\n"
	    "User-Agent: Prometheus/2.42.0\r\nAccept: application/openmetrics-"
	    "text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
	    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
	    "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: "
	    "10\r\n\r\n";
	CHECK(parse_all(s, &req, NULL) == HTTP_DONE);
	CHECK_STR(req.path, "/metrics");

	/* a query, HTTP/1.0 without Host, OWS, empty value, Content-Length 0 */
	s = "GET /healthz?days=7 HTTP/1.0\r\nX-A:\t v \t\r\nX-B:\r\n"
	    "Content-Length: 00\r\n\r\n";
	CHECK(parse_all(s, &req, NULL) == HTTP_DONE);
	CHECK_STR(req.path, "/healthz");
	CHECK_STR(req.query, "days=7");
	CHECK(req.minor == 0);

	/* other methods parse; the server answers them 405 */
	CHECK(parse_all("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &req,
	    NULL) == HTTP_DONE);
	CHECK_STR(req.method, "POST");
	CHECK(parse_all("get / HTTP/1.1\r\nhost: x\r\n\r\n", &req, NULL) ==
	    HTTP_DONE);
	CHECK_STR(req.method, "get");

	/* what follows the head is not ours to judge */
	s = "GET / HTTP/1.1\r\nHost: x\r\n\r\n\x01\x02garbage";
	CHECK(parse_n(s, strlen(s), &req) == HTTP_DONE);
	CHECK(req.len == strlen("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	/* obs-text in a value */
	CHECK(parse_all("GET / HTTP/1.1\r\nHost: x\r\nX: \xc3\xa9\r\n\r\n",
	    &req, NULL) == HTTP_DONE);
}

static void
test_bad(void)
{
	static const struct {
		const char	*s;
		int		 status;
	} cases[] = {
		{ "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\nHost: x\n\n", 400 },		/* bare LF */
		{ "GET / HTTP/1.1\r\nHost: x\r\n\n", 400 },
		{ "GET / HTTP/1.1\rHost: x\r\n\r\n", 400 },	/* bare CR */
		{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400 },
		{ "GET /  HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /\r\n\r\n", 400 },			/* HTTP/0.9 */
		{ "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET http://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400 },
		{ "GET / http/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505 },
		{ "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ " GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /\t HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\n\r\n", 400 },		/* no Host */
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nX: a\x7f\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		    400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n",
		    400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
		    413 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		    "\r\n", 413 },
		{ "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\nHost: x\r\n\r\n", 501 },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400 },  /* TLS */
		{ "\x05\x01\x00", 400 },			/* SOCKS5 */
	};
	struct http_request	 req;
	size_t			 i, at;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse_all(cases[i].s, &req, NULL) != cases[i].status) {
			fprintf(stderr, "case %zu: not %d\n", i,
			    cases[i].status);
			test_failures++;
		}
		test_checks++;
	}
	/* a NUL is refused where it stands */
	CHECK(parse_n("GET / HTTP/1.1\r\nHost: x\0\r\n\r\n", 27, &req) == 400);
	CHECK(parse_n("GET /\0", 6, &req) == 400);

	/* garbage is refused at its first byte, not after 4 KiB */
	CHECK(parse_all("\x16\x03\x01", &req, &at) == 400 && at == 1);
	CHECK(parse_all("GET / HTTP/1.1\r\nHost: x\r\nX: \x01", &req, &at) ==
	    400 && at == strlen("GET / HTTP/1.1\r\nHost: x\r\nX: \x01"));
}

static void
test_limits(void)
{
	struct http_request	 req;
	char			*s, *p;
	size_t			 i, at;

	if ((s = malloc(3 * HTTP_REQUEST_MAX)) == NULL)
		abort();

	/* the longest target, and one byte more */
	p = s + sprintf(s, "GET /");
	for (i = 0; i < HTTP_TARGET_MAX - 2; i++)
		*p++ = 'a';
	sprintf(p, " HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK(parse_all(s, &req, NULL) == HTTP_DONE);
	CHECK(strlen(req.path) == HTTP_TARGET_MAX - 1);
	p = s + sprintf(s, "GET /");
	for (i = 0; i < HTTP_TARGET_MAX - 1; i++)
		*p++ = 'a';
	sprintf(p, " HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK(parse_all(s, &req, NULL) == 414);
	/* a request line that never ends is refused before 4 KiB */
	memset(s, 'a', 2 * HTTP_REQUEST_MAX);
	memcpy(s, "GET /", 5);
	s[2 * HTTP_REQUEST_MAX] = '\0';
	CHECK(parse_all(s, &req, &at) == 414 && at < 512);

	/* the longest method, and one byte more */
	CHECK(parse_all("ABCDEFGHIJKLMNO / HTTP/1.1\r\nHost: x\r\n\r\n", &req,
	    NULL) == HTTP_DONE);

	/* HTTP_HEADERS_MAX headers, and one more */
	p = s + sprintf(s, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 1; i < HTTP_HEADERS_MAX; i++)
		p += sprintf(p, "X-%zu: y\r\n", i);
	sprintf(p, "\r\n");
	CHECK(parse_all(s, &req, NULL) == HTTP_DONE);
	sprintf(p, "X-last: y\r\n\r\n");
	CHECK(parse_all(s, &req, NULL) == 431);

	/* a head of exactly HTTP_REQUEST_MAX bytes, and one byte more */
	p = s + sprintf(s, "GET / HTTP/1.1\r\nHost: x\r\nX: ");
	i = HTTP_REQUEST_MAX - (size_t)(p - s) - 4;
	memset(p, 'v', i);
	sprintf(p + i, "\r\n\r\n");
	CHECK(strlen(s) == HTTP_REQUEST_MAX);
	CHECK(parse_all(s, &req, NULL) == HTTP_DONE);
	memset(p, 'v', i + 1);
	sprintf(p + i + 1, "\r\n\r\n");
	CHECK(parse_all(s, &req, &at) == 431 && at == HTTP_REQUEST_MAX);
	/* a long header that has not ended yet */
	memset(p, 'v', 2 * HTTP_REQUEST_MAX);
	p[2 * HTTP_REQUEST_MAX] = '\0';
	CHECK(parse_n(s, HTTP_REQUEST_MAX - 1, &req) == HTTP_MORE);
	CHECK(parse_n(s, HTTP_REQUEST_MAX, &req) == 431);
	free(s);
}

static void
test_head(void)
{
	char	buf[512];
	size_t	n;

	n = http_head(buf, sizeof(buf), 405, "text/plain; charset=utf-8", 19,
	    "GET");
	CHECK(n == strlen(buf));
	CHECK_STR(buf, "HTTP/1.1 405 Method Not Allowed\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 19\r\nAllow: GET\r\n"
	    "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
	n = http_head(buf, sizeof(buf), 200, "text/plain", 0, NULL);
	CHECK_STR(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 0\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n\r\n");
	CHECK(http_head(buf, 20, 200, "text/plain", 0, NULL) == 0);
	CHECK_STR(http_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_reason(404), "Not Found");
	CHECK_STR(http_reason(599), "Error");
}

int
main(void)
{
	test_good();
	test_bad();
	test_limits();
	test_head();
	TEST_DONE();
}
