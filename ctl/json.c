/*
 * json.c: a tiny streaming JSON writer (RFC 8259) into a FILE *.  It does
 * not build a tree: every call writes at once, and a stack of one flag per
 * nesting level says whether a comma is due before the next member.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

/* Write the comma a new value or key needs, if any; 0 if ${j} accepts one. */
static int
json_sep(struct json *j)
{
	if (j->error)
		return (-1);
	if (j->after_key) {
		j->after_key = 0;
		return (0);
	}
	if (j->depth == 0 && j->nonempty[0]) {
		/* A second top-level value. */
		j->error = 1;
		return (-1);
	}
	if (j->nonempty[j->depth])
		putc(',', j->f);
	j->nonempty[j->depth] = 1;
	return (0);
}

/* Open a container with ${c}. */
static void
json_open(struct json *j, int c)
{
	if (json_sep(j) != 0)
		return;
	if (j->depth >= JSON_DEPTH_MAX) {
		j->error = 1;
		return;
	}
	putc(c, j->f);
	j->depth++;
	j->nonempty[j->depth] = 0;
}

/* Close the innermost container with ${c}. */
static void
json_close(struct json *j, int c)
{
	if (j->error)
		return;
	if (j->depth == 0 || j->after_key) {
		j->error = 1;
		return;
	}
	putc(c, j->f);
	j->depth--;
}

/*
 * Length of the valid UTF-8 sequence at ${s} (1..4), or 0 if ${s} does not
 * start one (stray continuation byte, overlong form, surrogate, beyond
 * U+10FFFF, truncated).
 */
static int
json_utf8_len(const unsigned char *s)
{
	unsigned char	c = s[0];

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		return ((s[1] & 0xc0) == 0x80 ? 2 : 0);
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return (0);
		if (c == 0xe0 && s[1] < 0xa0)		/* overlong */
			return (0);
		if (c == 0xed && s[1] >= 0xa0)		/* surrogate */
			return (0);
		return (3);
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return (0);
		if (c == 0xf0 && s[1] < 0x90)		/* overlong */
			return (0);
		if (c == 0xf4 && s[1] >= 0x90)		/* > U+10FFFF */
			return (0);
		return (4);
	}
	return (0);
}

/* Write ${s} quoted and escaped. */
static void
json_quote(FILE *f, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 n;

	putc('"', f);
	while (*p != '\0') {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
				break;
			}
			/* The NUL terminator stops json_utf8_len() early. */
			if ((n = json_utf8_len(p)) == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(p, 1, (size_t)n, f);
			p += n;
			continue;
		}
		p++;
	}
	putc('"', f);
}

/**
 * json_init(j, f): start an empty document written to ${f}.
 */
void
json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->nonempty[0] = 0;
	j->after_key = 0;
	j->error = 0;
}

/**
 * json_object_begin(j): open an object ("{").
 */
void
json_object_begin(struct json *j)
{
	json_open(j, '{');
}

/**
 * json_object_end(j): close the innermost object ("}").
 */
void
json_object_end(struct json *j)
{
	json_close(j, '}');
}

/**
 * json_array_begin(j): open an array ("[").
 */
void
json_array_begin(struct json *j)
{
	json_open(j, '[');
}

/**
 * json_array_end(j): close the innermost array ("]").
 */
void
json_array_end(struct json *j)
{
	json_close(j, ']');
}

/**
 * json_key(j, key): write the member name ${key} of the innermost object;
 * the next value written is its value.
 */
void
json_key(struct json *j, const char *key)
{
	if (j->after_key || j->depth == 0) {
		j->error = 1;
		return;
	}
	if (json_sep(j) != 0)
		return;
	json_quote(j->f, key);
	putc(':', j->f);
	j->after_key = 1;
}

/**
 * json_string(j, s): write ${s} as a JSON string, or null if ${s} is NULL.
 * '"', '\\' and control characters are escaped (\n, \t, ... or \u00XX);
 * bytes that are not valid UTF-8 become U+FFFD, so the output stays valid
 * whatever ${s} holds.
 */
void
json_string(struct json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	if (json_sep(j) != 0)
		return;
	json_quote(j->f, s);
}

/**
 * json_int(j, v): write the signed integer ${v}.
 */
void
json_int(struct json *j, int64_t v)
{
	if (json_sep(j) != 0)
		return;
	fprintf(j->f, "%" PRId64, v);
}

/**
 * json_uint(j, v): write the unsigned integer ${v}.
 */
void
json_uint(struct json *j, uint64_t v)
{
	if (json_sep(j) != 0)
		return;
	fprintf(j->f, "%" PRIu64, v);
}

/**
 * json_bool(j, v): write true if ${v} is non-zero, false if not.
 */
void
json_bool(struct json *j, int v)
{
	if (json_sep(j) != 0)
		return;
	fputs(v ? "true" : "false", j->f);
}

/**
 * json_null(j): write null.
 */
void
json_null(struct json *j)
{
	if (json_sep(j) != 0)
		return;
	fputs("null", j->f);
}

/**
 * json_finish(j): end the document with a newline; return 0 if it is
 * complete (every container closed, no misuse) and was written without a
 * stream error, -1 if not.
 */
int
json_finish(struct json *j)
{
	if (j->error || j->depth != 0 || j->after_key || !j->nonempty[0])
		return (-1);
	putc('\n', j->f);
	if (ferror(j->f))
		return (-1);
	return (0);
}
