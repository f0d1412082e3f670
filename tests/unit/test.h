/*
 * test.h: the whole unit-test framework.  CHECK records a failure with
 * its line and goes on; a test binary exits 1 if any CHECK failed, 77 to
 * tell automake it skipped.
 */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(expr) do {						\
	test_checks++;							\
	if (!(expr)) {							\
		test_failures++;					\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #expr);				\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *check_a_ = (a), *check_b_ = (b);			\
	test_checks++;							\
	if (check_a_ == NULL || check_b_ == NULL ||			\
	    strcmp(check_a_, check_b_) != 0) {				\
		test_failures++;					\
		fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", \
		    __FILE__, __LINE__, check_a_ ? check_a_ : "(null)",	\
		    check_b_ ? check_b_ : "(null)");			\
	}								\
} while (0)

#define TEST_DONE() do {						\
	printf("%s: %d checks, %d failed\n", __FILE__, test_checks,	\
	    test_failures);						\
	return (test_failures ? 1 : 0);					\
} while (0)

#endif /* !TEST_H */
