/* compose_expect.h - what the compose unit tests share: parse a text as
 * compose.yaml, and expect exactly one error. Include after cmocka.h. */
#ifndef BERTH_TEST_COMPOSE_EXPECT_H
#define BERTH_TEST_COMPOSE_EXPECT_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "runtime/compose/compose.h"

static int parse(const char *text, struct compose_file *f)
{
	return compose_parse(text, strlen(text), "compose.yaml", f);
}

/* Exactly one error, and it is msg; with first_invalid, the first service
 * is also left out for it. */
static void expect_error_in(const char *text, const char *msg, bool first_invalid)
{
	struct compose_file f;

	assert_int_equal(parse(text, &f), -EINVAL);
	if (f.errors.n != 1 || strcmp(f.errors.v[0], msg) != 0) {
		for (int i = 0; i < f.errors.n; i++)
			print_message("got: %s\n", f.errors.v[i]);
		fail_msg("want: %s", msg);
	}
	if (first_invalid)
		assert_int_equal(f.svc[0].status, COMPOSE_INVALID);
	compose_free(&f);
}

static inline void expect_error(const char *text, const char *msg)
{
	expect_error_in(text, msg, false);
}

#endif
