#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "runtime/lib/clock.h"

/* Times as Docker writes them: RFC 3339 in UTC. */
static void test_iso_time(void **state)
{
	char text[64];

	iso_time(1700000000, text, sizeof(text));
	assert_string_equal(text, "2023-11-14T22:13:20Z");
	iso_time(0, text, sizeof(text));
	assert_string_equal(text, "1970-01-01T00:00:00Z");
	iso_time_ns(1700000000123456789ll, text, sizeof(text));
	assert_string_equal(text, "2023-11-14T22:13:20.123456789Z");
	iso_time_ns(1700000000000000007ll, text, sizeof(text));
	assert_string_equal(text, "2023-11-14T22:13:20.000000007Z");
	iso_time_ns(0, text, sizeof(text)); /* unset: Go's zero time */
	assert_string_equal(text, "0001-01-01T00:00:00Z");
}

static void test_clocks(void **state)
{
	uint64_t a = now_ns(), b = now_ns();
	int64_t w = wall_ns();

	assert_true(b >= a);
	/* the wall clock is the one time(2) reads */
	assert_true(w / 1000000000 >= (int64_t)time(NULL) - 1);
	assert_true(w / 1000000000 <= (int64_t)time(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_time),
		cmocka_unit_test(test_clocks),
	};
	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
