#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "runtime/sandbox/userns.h"

static void test_parse_and_format(void **state)
{
	struct sb_idmap m;
	char text[UNS_MAP_TEXT];
	struct berr e;

	(void)state;
	assert_int_equal(uns_map_parse("0:100000:65536", &m, &e), 0);
	assert_int_equal(m.inside, 0);
	assert_int_equal(m.outside, 100000);
	assert_int_equal(m.count, 65536);
	uns_map_format(&m, text);
	assert_string_equal(text, "0:100000:65536");
	assert_int_equal(uns_map_parse("4294967294:0:1", &m, &e), 0);
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[][2] = {
	    {"", "want CONTAINER-ID:HOST-ID:SIZE"},
	    {"0:100000", "want CONTAINER-ID:HOST-ID:SIZE"},
	    {"0:100000:65536:1", "want CONTAINER-ID:HOST-ID:SIZE"},
	    {"-1:0:1", "want CONTAINER-ID:HOST-ID:SIZE"},
	    {"0: 1:1", "want CONTAINER-ID:HOST-ID:SIZE"},
	    {"0:1:x", "want CONTAINER-ID:HOST-ID:SIZE"},
	    {"0:4294967296:1", "want CONTAINER-ID:HOST-ID:SIZE"},
	    {"0:1:0", "size must be at least 1"},
	    {"0:4294967295:1", "range ends past"},
	    {"4294967000:0:1000", "range ends past"},
	};
	struct sb_idmap m;
	struct berr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(uns_map_parse(bad[i][0], &m, &e), -EINVAL);
		if (!strstr(e.msg, bad[i][1]))
			fail_msg("%s: %s", bad[i][0], e.msg);
	}
}

static void test_check_overlaps(void **state)
{
	struct sb_idmap ok[] = {{0, 100000, 1000}, {1000, 300000, 64536}};
	struct sb_idmap in[] = {{0, 100000, 1000}, {999, 300000, 10}};
	struct sb_idmap out[] = {{0, 100000, 1000}, {5000, 100999, 10}};
	struct berr e;

	(void)state;
	assert_int_equal(uns_map_check(ok, 2, "uid map", &e), 0);
	assert_int_equal(uns_map_check(in, 2, "uid map", &e), -EINVAL);
	assert_string_equal(e.msg, "uid map[1]: overlaps uid map[0]");
	assert_int_equal(uns_map_check(out, 2, "linux.gidMappings", &e), -EINVAL);
	assert_string_equal(e.msg, "linux.gidMappings[1]: overlaps linux.gidMappings[0]");
	assert_int_equal(uns_map_check(ok, 0, "uid map", &e), -EINVAL);
	assert_int_equal(uns_map_check(ok, UNS_MAP_MAX + 1, "uid map", &e), -EINVAL);
}

static void test_host_id(void **state)
{
	struct sb_idmap m[] = {{0, 100000, 1000}, {1000, 300000, 10}};
	uint32_t h;

	(void)state;
	assert_true(uns_map_host(m, 2, 0, &h));
	assert_int_equal(h, 100000);
	assert_true(uns_map_host(m, 2, 999, &h));
	assert_int_equal(h, 100999);
	assert_true(uns_map_host(m, 2, 1005, &h));
	assert_int_equal(h, 300005);
	assert_false(uns_map_host(m, 2, 1010, &h));
	assert_false(uns_map_host(m, 0, 0, &h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_format),
	    cmocka_unit_test(test_parse_refuses),
	    cmocka_unit_test(test_check_overlaps),
	    cmocka_unit_test(test_host_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
