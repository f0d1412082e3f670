/*
 * fuzz.h: what every libFuzzer target in tests/fuzz/ shares.  A target
 * defines LLVMFuzzerTestOneInput(); FUZZ_CHECK(expr) turns a broken
 * invariant into abort(), which libFuzzer reports as a crash and saves
 * the input for, like any sanitizer finding.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(expr) do {						\
	if (!(expr)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #expr);				\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/*
 * A heap copy of ${len} bytes of ${data}, exactly that long, so ASan
 * reports a parser that reads one byte past what it was given (libFuzzer's
 * own buffer is exact too, but a prefix of it is not).
 */
static inline uint8_t *
fuzz_dup(const uint8_t *data, size_t len)
{
	uint8_t	*p;

	if ((p = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(p, data, len);
	return (p);
}

#endif /* !FUZZ_H */
