/*
 * json.h: a tiny streaming JSON writer into a FILE *: objects, arrays,
 * keys, strings, integers, booleans and null.  Commas and colons are
 * placed by the writer (a small depth stack remembers whether a container
 * already holds a member), so callers only say what comes next.  The
 * output is compact (no spaces) and always valid UTF-8.
 */
#ifndef JSON_H
#define JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX	16	/* deeper nesting is an error */

struct json {
	FILE		*f;
	int		 depth;		/* open containers */
	unsigned char	 nonempty[JSON_DEPTH_MAX + 1];	/* per level */
	int		 after_key;	/* a value is due */
	int		 error;		/* misuse or too deep; sticky */
};

/** json_init(j, f): start an empty document written to ${f}. */
void	json_init(struct json *j, FILE *f);

/** json_object_begin(j): open an object ("{"). */
void	json_object_begin(struct json *j);

/** json_object_end(j): close the innermost object ("}"). */
void	json_object_end(struct json *j);

/** json_array_begin(j): open an array ("["). */
void	json_array_begin(struct json *j);

/** json_array_end(j): close the innermost array ("]"). */
void	json_array_end(struct json *j);

/**
 * json_key(j, key): write the member name ${key} of the innermost object;
 * the next value written is its value.
 */
void	json_key(struct json *j, const char *key);

/**
 * json_string(j, s): write ${s} as a JSON string, or null if ${s} is NULL.
 * '"', '\\' and control characters are escaped (\n, \t, ... or \u00XX);
 * bytes that are not valid UTF-8 become U+FFFD, so the output stays valid
 * whatever ${s} holds.
 */
void	json_string(struct json *j, const char *s);

/** json_int(j, v): write the signed integer ${v}. */
void	json_int(struct json *j, int64_t v);

/** json_uint(j, v): write the unsigned integer ${v}. */
void	json_uint(struct json *j, uint64_t v);

/** json_bool(j, v): write true if ${v} is non-zero, false if not. */
void	json_bool(struct json *j, int v);

/** json_null(j): write null. */
void	json_null(struct json *j);

/**
 * json_finish(j): end the document with a newline; return 0 if it is
 * complete (every container closed, no misuse) and was written without a
 * stream error, -1 if not.
 */
int	json_finish(struct json *j);

#endif /* !JSON_H */
