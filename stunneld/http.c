/*
 * http.c: the strict HTTP/1.x request parser of the metrics endpoint and
 * the head of its responses (see http.h for what is accepted, and why
 * not a library).  The caller keeps the bytes read so far and calls
 * http_parse() on all of them after each read: a head is at most
 * HTTP_REQUEST_MAX bytes, so parsing again from the start costs nothing
 * worth keeping state for, and the parser stays a plain function.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* 1 if ${c} may be in a token (RFC 9110 tchar). */
static int
http_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return (1);
	return (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 1 if ${c} may be in a header line before its CRLF (RFC 9110
 * field-value: VCHAR, SP, HTAB, obs-text; names are stricter, checked
 * once the line is complete). */
static int
http_fieldchar(uint8_t c)
{
	return (c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f));
}

/*
 * The request line at the start of the ${len} bytes of ${p}, byte by
 * byte, so that a prefix gets the verdict of the first byte that
 * decides: 0 with *${end} at the byte after its CRLF, HTTP_MORE, or a
 * status.
 */
static int
http_request_line(const uint8_t *p, size_t len, struct http_request *req,
    size_t *end)
{
	static const char	 version[] = "HTTP/D.D\r\n";
	size_t			 i, m = 0, t = 0, v = 0;
	char			*q;
	uint8_t			 c, major = 0;
	enum { IN_METHOD, IN_TARGET, IN_VERSION } st = IN_METHOD;

	for (i = 0; i < len; i++) {
		c = p[i];
		switch (st) {
		case IN_METHOD:
			if (c == ' ' && m > 0) {
				st = IN_TARGET;
				break;
			}
			if (!http_tchar(c))
				return (400);
			if (m + 1 >= HTTP_METHOD_MAX)
				return (501);	/* longer than any we know */
			req->method[m++] = (char)c;
			break;
		case IN_TARGET:
			/* origin-form only: "*", absolute-form and
			 * authority-form are for proxies and OPTIONS */
			if (t == 0 && c != '/')
				return (400);
			if (c == ' ') {
				st = IN_VERSION;
				break;
			}
			if (c < 0x21 || c > 0x7e)
				return (400);
			if (t + 1 >= HTTP_TARGET_MAX)
				return (414);
			req->path[t++] = (char)c;
			break;
		case IN_VERSION:
			if (version[v] == 'D') {
				if (c < '0' || c > '9')
					return (400);
				if (v == 5)
					major = c;
				else
					req->minor = c - '0';
			} else if (c != (uint8_t)version[v])
				return (400);
			if (++v == sizeof(version) - 1) {
				if (major != '1')
					return (505);
				if ((q = strchr(req->path, '?')) != NULL) {
					*q++ = '\0';
					snprintf(req->query,
					    sizeof(req->query), "%s", q);
				}
				*end = i + 1;
				return (0);
			}
			break;
		}
	}
	return (HTTP_MORE);
}

/* 1 if the ${n} bytes of ${v} are a Content-Length of 0; -1 if not a number. */
static int
http_zero_length(const uint8_t *v, size_t n)
{
	size_t	i;
	int	zero = 1;

	if (n == 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return (-1);
		if (v[i] != '0')
			zero = 0;
	}
	return (zero);
}

/* One header line ${p} (${n} bytes, no CRLF); 0 or a status. */
static int
http_header(const uint8_t *p, size_t n, unsigned int *hosts)
{
	const uint8_t	*v;
	size_t		 k, vn;
	int		 z;

	/* no obs-fold, no space before the colon (RFC 9112 5.1, 5.2) */
	for (k = 0; k < n && http_tchar(p[k]); k++)
		;
	if (k == 0 || k == n || p[k] != ':')
		return (400);
	v = p + k + 1;
	vn = n - k - 1;
	while (vn > 0 && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		vn--;
	}
	while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (k == 4 && strncasecmp((const char *)p, "Host", 4) == 0)
		(*hosts)++;
	else if (k == 14 &&
	    strncasecmp((const char *)p, "Content-Length", 14) == 0) {
		if ((z = http_zero_length(v, vn)) < 0)
			return (400);
		if (z == 0)
			return (413);
	} else if (k == 17 &&
	    strncasecmp((const char *)p, "Transfer-Encoding", 17) == 0)
		return (413);
	return (0);
}

/**
 * http_parse(buf, len, req): read the request head at the start of the
 * ${len} bytes of ${buf}.  Return HTTP_DONE with ${req} filled in,
 * HTTP_MORE if ${buf} is a valid beginning of one (and shorter than
 * HTTP_REQUEST_MAX), or the status code to refuse it with: 400
 * (malformed), 413 (a body), 414 (target too long), 431 (head too large,
 * too many headers), 501 (method too long), 505 (not HTTP/1.x).
 */
int
http_parse(const uint8_t *buf, size_t len, struct http_request *req)
{
	size_t		 pos = 0, i;
	unsigned int	 line = 1, hosts = 0;
	int		 rc;

	memset(req, 0, sizeof(*req));
	/* What lies past the bound cannot change the verdict: a head that
	 * has not ended by then is too large, whatever follows. */
	if (len > HTTP_REQUEST_MAX)
		len = HTTP_REQUEST_MAX;
	if ((rc = http_request_line(buf, len, req, &pos)) != 0)
		return (rc == HTTP_MORE && len == HTTP_REQUEST_MAX ? 431 : rc);
	for (;;) {
		/* Bytes no header may hold end it at once, complete or not:
		 * garbage is answered as soon as it arrives. */
		for (i = pos; i < len && buf[i] != '\r' && buf[i] != '\n'; i++)
			if (!http_fieldchar(buf[i]))
				return (400);
		if (i < len && buf[i] == '\n')
			return (400);		/* a bare LF */
		if (i + 1 >= len)
			return (len == HTTP_REQUEST_MAX ? 431 : HTTP_MORE);
		if (buf[i + 1] != '\n')
			return (400);		/* a bare CR */
		if (i == pos) {
			/* the empty line: the head is complete */
			if (hosts > 1 || (req->minor >= 1 && hosts == 0))
				return (400);
			req->len = i + 2;
			return (HTTP_DONE);
		}
		if (line > HTTP_HEADERS_MAX)
			return (431);
		if ((rc = http_header(buf + pos, i - pos, &hosts)) != 0)
			return (rc);
		pos = i + 2;
		line++;
	}
}

/** http_reason(status): the reason phrase of ${status} ("Not Found"). */
const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return ("OK");
	case 400:
		return ("Bad Request");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 408:
		return ("Request Timeout");
	case 413:
		return ("Content Too Large");
	case 414:
		return ("URI Too Long");
	case 431:
		return ("Request Header Fields Too Large");
	case 500:
		return ("Internal Server Error");
	case 501:
		return ("Not Implemented");
	case 503:
		return ("Service Unavailable");
	case 505:
		return ("HTTP Version Not Supported");
	}
	return ("Error");
}

/**
 * http_head(buf, len, status, ctype, clen, allow): write the head of a
 * response with ${status}, Content-Type ${ctype}, Content-Length ${clen}
 * and, if ${allow} is not NULL, an Allow header, ending the connection
 * (Connection: close).  Return its length, or 0 if it does not fit.
 */
size_t
http_head(char *buf, size_t len, int status, const char *ctype, size_t clen,
    const char *allow)
{
	int	n;

	n = snprintf(buf, len, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s%s%s"
	    "Cache-Control: no-store\r\n"
	    "Connection: close\r\n\r\n",
	    status, http_reason(status), ctype, clen,
	    allow != NULL ? "Allow: " : "", allow != NULL ? allow : "",
	    allow != NULL ? "\r\n" : "");
	if (n < 0 || (size_t)n >= len)
		return (0);
	return ((size_t)n);
}
