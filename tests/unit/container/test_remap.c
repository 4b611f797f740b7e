/* userns-remap's /etc/subuid parsing and the range a new dockremap
 * entry gets (runtime/container/remap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "runtime/container/remap.h"

static const char subuid[] = "alice:100000:65536\n"
			     "# a comment\n"
			     "dockremap:165536:1000\n"
			     "bob:300000:10\n"
			     "dockremap:400000:500\n"
			     "dockremapx:1:1\n"
			     "broken line\n";

static void test_ranges_in_order(void **state)
{
	struct sb_idmap m[UNS_MAP_MAX];
	struct berr e;
	int n;

	(void)state;
	assert_int_equal(remap_parse_subid(subuid, "dockremap", m, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].inside, 0);
	assert_int_equal(m[0].outside, 165536);
	assert_int_equal(m[0].count, 1000);
	assert_int_equal(m[1].inside, 1000);
	assert_int_equal(m[1].outside, 400000);
	assert_int_equal(m[1].count, 500);
	assert_int_equal(remap_parse_subid(subuid, "carol", m, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(remap_parse_subid("", "alice", m, &n, &e), 0);
	assert_int_equal(n, 0);
}

static void test_overlapping_ranges_refused(void **state)
{
	struct sb_idmap m[UNS_MAP_MAX];
	struct berr e;
	int n;

	(void)state;
	assert_int_equal(remap_parse_subid("x:100000:100\nx:100050:100\n", "x", m, &n, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "overlaps"));
}

static void test_next_start(void **state)
{
	(void)state;
	assert_int_equal(remap_next_start(""), 100000);
	assert_int_equal(remap_next_start("a:1000:10\n"), 100000);
	assert_int_equal(remap_next_start(subuid), 400500);
	assert_int_equal(remap_next_start("a:4294900000:60000\n"), 0); /* no room left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_in_order),
		cmocka_unit_test(test_overlapping_ranges_refused),
		cmocka_unit_test(test_next_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
