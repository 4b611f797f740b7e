#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "runtime/sandbox/caps.h"
#include "runtime/sandbox/cgroup.h"

static void test_cap_names(void **state)
{
	uint64_t m;

	assert_int_equal(sb_cap_parse("NET_ADMIN", &m), 0);
	assert_int_equal(m, 1ull << 12);
	assert_int_equal(sb_cap_parse("CAP_SYS_ADMIN", &m), 0);
	assert_int_equal(m, 1ull << 21);
	assert_int_equal(sb_cap_parse("cap_net_raw", &m), 0);
	assert_int_equal(m, 1ull << 13);
	assert_int_equal(sb_cap_parse("CHECKPOINT_RESTORE", &m), 0);
	assert_int_equal(m, 1ull << 40);
	assert_int_equal(sb_cap_parse("ALL", &m), 0);
	assert_int_equal(m, CAPS_ALL);
	assert_int_equal(sb_cap_parse("NET_ADMINX", &m), -EINVAL);
	assert_int_equal(sb_cap_parse("", &m), -EINVAL);
	assert_int_equal(sb_cap_parse("CAP_", &m), -EINVAL);
	assert_int_equal(sb_cap_parse(NULL, &m), -EINVAL);
	assert_string_equal(caps_name(27), "MKNOD");
	assert_null(caps_name(41));
}

static void test_default_caps_are_dockers_14(void **state)
{
	uint64_t d = sb_default_caps();

	assert_int_equal(__builtin_popcountll(d), 14);
	assert_int_equal(d, 0xa80425fbull);
	assert_true(caps_has(d, 27));  /* MKNOD */
	assert_false(caps_has(d, 21)); /* SYS_ADMIN */
}

static void test_cap_add_drop(void **state)
{
	char *add[] = {"SYS_ADMIN"}, *drop[] = {"NET_RAW"}, *all[] = {"ALL"};
	char *bad[] = {"NOPE"};
	uint64_t d = sb_default_caps(), out;

	assert_int_equal(caps_compute(d, add, 1, drop, 1, &out), 0);
	assert_int_equal(out, (d | 1ull << 21) & ~(1ull << 13));
	assert_int_equal(caps_compute(d, drop, 1, all, 1, &out), 0);
	assert_int_equal(out, 1ull << 13);
	assert_int_equal(caps_compute(d, all, 1, drop, 1, &out), 0);
	assert_int_equal(out, CAPS_ALL & ~(1ull << 13));
	assert_int_equal(caps_compute(d, bad, 1, NULL, 0, &out), -EINVAL);
	assert_int_equal(caps_compute(d, NULL, 0, bad, 1, &out), -EINVAL);
}

static void test_shares_to_weight(void **state)
{
	assert_int_equal(cg_shares_to_weight(0), 0);
	assert_int_equal(cg_shares_to_weight(2), 1);
	assert_int_equal(cg_shares_to_weight(1024), 39);
	assert_int_equal(cg_shares_to_weight(512), 20);
	assert_int_equal(cg_shares_to_weight(262144), 10000);
	assert_int_equal(cg_shares_to_weight(1), 1);
	assert_int_equal(cg_shares_to_weight(1000000), 10000);
}

static void test_swap_math(void **state)
{
	int64_t s;

	assert_int_equal(cg_swap_max(0, 0, &s), 0);
	assert_int_equal(s, CG_UNSET);
	/* Memory only: swap as much again (Docker's default). */
	assert_int_equal(cg_swap_max(100, 0, &s), 0);
	assert_int_equal(s, 100);
	assert_int_equal(cg_swap_max(100, 300, &s), 0);
	assert_int_equal(s, 200);
	assert_int_equal(cg_swap_max(100, 100, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(cg_swap_max(100, -1, &s), 0);
	assert_int_equal(s, CG_MAX);
	assert_int_equal(cg_swap_max(100, 50, &s), -EINVAL);
	assert_int_equal(cg_swap_max(0, 300, &s), -EINVAL);
	assert_int_equal(cg_swap_max(100, -5, &s), -EINVAL);
}

static void test_parse_bytes(void **state)
{
	int64_t v;

	assert_int_equal(cg_parse_bytes("1048576", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(cg_parse_bytes("64m", &v), 0);
	assert_int_equal(v, 64ll << 20);
	assert_int_equal(cg_parse_bytes("1g", &v), 0);
	assert_int_equal(v, 1ll << 30);
	assert_int_equal(cg_parse_bytes("512K", &v), 0);
	assert_int_equal(v, 512ll << 10);
	assert_int_equal(cg_parse_bytes("1.5g", &v), 0);
	assert_int_equal(v, 3ll << 29);
	assert_int_equal(cg_parse_bytes("2mb", &v), 0);
	assert_int_equal(v, 2ll << 20);
	assert_int_equal(cg_parse_bytes("-1", &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(cg_parse_bytes("12x", &v), -EINVAL);
	assert_int_equal(cg_parse_bytes("", &v), -EINVAL);
	assert_int_equal(cg_parse_bytes("m", &v), -EINVAL);
	assert_int_equal(cg_parse_bytes("-3", &v), -EINVAL);
	assert_int_equal(cg_parse_bytes("1mm", &v), -EINVAL);
	/* more than int64 holds, and strtod's NaN: refused, not undefined */
	assert_int_equal(cg_parse_bytes("1e30m", &v), -ERANGE);
	assert_int_equal(cg_parse_bytes("9223372036854775808", &v), -ERANGE);
	assert_int_equal(cg_parse_bytes("nan", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cap_names),	 cmocka_unit_test(test_default_caps_are_dockers_14),
	    cmocka_unit_test(test_cap_add_drop), cmocka_unit_test(test_shares_to_weight),
	    cmocka_unit_test(test_swap_math),	 cmocka_unit_test(test_parse_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
