#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "runtime/container/update.h"
#include "runtime/sandbox/cgroup.h"

static void test_parse_and_merge(void **state)
{
	struct sb_limits l = {.memory = 1,
			      .memory_swap = 2,
			      .cpu_quota_us = 3,
			      .cpu_period_us = 4,
			      .cpu_shares = 5,
			      .pids = 6};
	struct ctr_update u;

	(void)state;
	ctr_update_init(&u);
	assert_int_equal(ctr_update_parse(&u, "memory=33554432"), 0);
	assert_int_equal(ctr_update_parse(&u, "pids=0"), 0);
	assert_int_equal(ctr_update_parse(&u, "restart=always"), 0);
	assert_string_equal(u.restart, "always");
	ctr_update_merge(&l, &u);
	/* what was asked changes, the rest stays */
	assert_int_equal(l.memory, 33554432);
	assert_int_equal(l.pids, 0);
	assert_int_equal(l.memory_swap, 2);
	assert_int_equal(l.cpu_quota_us, 3);
	assert_int_equal(l.cpu_period_us, 4);
	assert_int_equal(l.cpu_shares, 5);
}

static void test_refused(void **state)
{
	struct ctr_update u;

	(void)state;
	ctr_update_init(&u);
	assert_int_equal(ctr_update_parse(&u, "memory"), -EINVAL);
	assert_int_equal(ctr_update_parse(&u, "memory="), -EINVAL);
	assert_int_equal(ctr_update_parse(&u, "memory=1g"), -EINVAL);
	assert_int_equal(ctr_update_parse(&u, "mem=1"), -EINVAL);
	assert_int_equal(ctr_update_parse(&u, "memoryx=1"), -EINVAL);
	assert_int_equal(ctr_update_parse(&u, "pids=99999999999999999999"), -EINVAL);
	assert_int_equal(ctr_update_parse(&u, "=1"), -EINVAL);
	/* below -1 are CG_MAX and CG_UNSET: never a value (found by fuzz_update) */
	assert_int_equal(ctr_update_parse(&u, "pids=-2"), -EINVAL);
	assert_int_equal(ctr_update_parse(&u, "memory-swap=-1"), 0);
	assert_true(u.set.memory == CG_UNSET && u.set.pids == CG_UNSET && !u.restart);
	assert_int_equal(u.set.memory_swap, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_merge),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
