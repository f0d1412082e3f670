/*
 * http.h: a small, strict HTTP/1.x request parser and response head
 * writer, for the two read-only endpoints of metrics_http.c.  Pure: bytes
 * in, a verdict out; never an fd, never an allocation.
 *
 * Why not a library: what is needed is one request line and a few
 * headers, no body, no keep-alive, no chunking.  The embeddable parsers
 * that fit (llhttp, picohttpparser) accept far more than that (bodies,
 * obs-fold, absolute-form, bare LF), so the strictness would still be
 * ours to write on top; this is the same few hundred lines, fuzzed and
 * unit-tested like the SOCKS5 parser, with no vendored code to keep.
 *
 * What is accepted (RFC 9110/9112, narrowed):
 *   request-line = method SP origin-form SP "HTTP/1." DIGIT CRLF
 *   header-field = token ":" OWS *( VCHAR / SP / HTAB / obs-text ) CRLF
 *   then an empty line (CRLF).  Lines end in CRLF only.  HTTP/1.1 needs
 *   exactly one Host.  No body: Content-Length other than 0, or any
 *   Transfer-Encoding, is refused.  The whole head is at most
 *   HTTP_REQUEST_MAX bytes.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_REQUEST_MAX	4096	/* bytes of request head */
#define HTTP_METHOD_MAX		16	/* longer: 501, NUL included */
#define HTTP_TARGET_MAX		256	/* longer: 414, NUL included */
#define HTTP_HEADERS_MAX	32	/* more: 431 */

/* http_parse()'s verdicts that are not an HTTP status code. */
#define HTTP_MORE	0	/* a prefix of a valid request: read on */
#define HTTP_DONE	1	/* a complete request in struct http_request */

struct http_request {
	char	method[HTTP_METHOD_MAX];
	char	path[HTTP_TARGET_MAX];	/* the target up to '?' */
	char	query[HTTP_TARGET_MAX];	/* after '?'; "" if none */
	int	minor;			/* HTTP/1.${minor} */
	size_t	len;			/* bytes of the head, final CRLF included */
};

/**
 * http_parse(buf, len, req): read the request head at the start of the
 * ${len} bytes of ${buf}.  Return HTTP_DONE with ${req} filled in,
 * HTTP_MORE if ${buf} is a valid beginning of one (and shorter than
 * HTTP_REQUEST_MAX), or the status code to refuse it with: 400
 * (malformed), 413 (a body), 414 (target too long), 431 (head too large,
 * too many headers), 501 (method too long), 505 (not HTTP/1.x).
 */
int	http_parse(const uint8_t *buf, size_t len, struct http_request *req);

/** http_reason(status): the reason phrase of ${status} ("Not Found"). */
const char	*http_reason(int status);

/**
 * http_head(buf, len, status, ctype, clen, allow): write the head of a
 * response with ${status}, Content-Type ${ctype}, Content-Length ${clen}
 * and, if ${allow} is not NULL, an Allow header, ending the connection
 * (Connection: close).  Return its length, or 0 if it does not fit.
 */
size_t	http_head(char *buf, size_t len, int status, const char *ctype,
	    size_t clen, const char *allow);

#endif /* !HTTP_H */
