#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/container/restart.h"

static void parse_ok(const char *spec, enum rp_kind kind, int max)
{
	struct rp_policy p;
	struct berr e;

	if (rp_parse(spec, &p, &e) != 0)
		fail_msg("%s: %s", spec, e.msg);
	assert_int_equal(p.kind, kind);
	assert_int_equal(p.max_retries, max);
}

static void parse_bad(const char *spec, const char *msg)
{
	struct rp_policy p;
	struct berr e;

	assert_int_equal(rp_parse(spec, &p, &e), -EINVAL);
	if (!strstr(e.msg, msg))
		fail_msg("%s: got \"%s\", want \"%s\"", spec, e.msg, msg);
}

static void test_parse(void **state)
{
	parse_ok(NULL, RP_NO, 0);
	parse_ok("", RP_NO, 0);
	parse_ok("no", RP_NO, 0);
	parse_ok("always", RP_ALWAYS, 0);
	parse_ok("unless-stopped", RP_UNLESS_STOPPED, 0);
	parse_ok("on-failure", RP_ON_FAILURE, 0);
	parse_ok("on-failure:3", RP_ON_FAILURE, 3);
	parse_ok("on-failure:0", RP_ON_FAILURE, 0);
	parse_ok("always:", RP_ALWAYS, 0);
	parse_bad("sometimes", "invalid restart policy: unknown policy 'sometimes'");
	parse_bad("on-failure:x", "maximum retry count must be an integer");
	parse_bad("on-failure:-1", "maximum retry count cannot be negative");
	parse_bad("always:2", "can only be used with 'on-failure'");
	parse_bad("no:-2", "can only be used with 'on-failure' and cannot be negative");
	parse_bad(":3", "no policy provided before colon");
	assert_string_equal(rp_name(RP_UNLESS_STOPPED), "unless-stopped");
	assert_string_equal(rp_name(RP_ON_FAILURE), "on-failure");
}

/* 100 ms doubling per restart, capped at 1 min. */
static void test_schedule(void **state)
{
	struct rp_policy p = { RP_ALWAYS, 0 };
	struct rp_track t = { 0 };
	uint64_t d, want = 100;

	for (int i = 0; i < 20; i++) {
		assert_true(rp_decide(&p, &t, true, 5, false, &d));
		assert_int_equal(d, want);
		want = want * 2 > 60000 ? 60000 : want * 2;
	}
	assert_int_equal(t.count, 20);
	/* 100 200 400 ... 51200 then the cap */
	t = (struct rp_track){ 0 };
	for (int i = 0; i < 10; i++)
		rp_decide(&p, &t, true, 0, false, &d);
	assert_int_equal(d, 51200);
	rp_decide(&p, &t, true, 0, false, &d);
	assert_int_equal(d, 60000);
}

/* A run of 10 s or more starts the schedule again; 9.999 s does not. */
static void test_reset_after_10s(void **state)
{
	struct rp_policy p = { RP_ALWAYS, 0 };
	struct rp_track t = { 0 };
	uint64_t d;

	for (int i = 0; i < 5; i++)
		rp_decide(&p, &t, true, 10, false, &d);
	assert_int_equal(d, 1600);
	assert_true(rp_decide(&p, &t, false, 9999, false, &d));
	assert_int_equal(d, 3200);
	assert_true(rp_decide(&p, &t, false, 10000, false, &d));
	assert_int_equal(d, 100);
	assert_true(rp_decide(&p, &t, true, 50, false, &d));
	assert_int_equal(d, 200);
}

static void test_on_failure_counts(void **state)
{
	struct rp_policy p = { RP_ON_FAILURE, 3 };
	struct rp_track t = { 0 };
	uint64_t d;

	/* exit 0 is not a failure: no restart, and nothing counted */
	assert_false(rp_decide(&p, &t, false, 10, false, &d));
	assert_int_equal(t.count, 0);
	for (int i = 0; i < 3; i++)
		assert_true(rp_decide(&p, &t, true, 10, false, &d));
	assert_int_equal(t.count, 3);
	assert_false(rp_decide(&p, &t, true, 10, false, &d));
	/* no limit */
	p.max_retries = 0;
	for (int i = 0; i < 50; i++)
		assert_true(rp_decide(&p, &t, true, 10, false, &d));
}

static void test_manual_and_no(void **state)
{
	struct rp_policy no = { RP_NO, 0 }, always = { RP_ALWAYS, 0 },
			 unless = { RP_UNLESS_STOPPED, 0 }, onf = { RP_ON_FAILURE, 0 };
	struct rp_track t = { 0 };
	uint64_t d;

	assert_false(rp_decide(&no, &t, true, 10, false, &d));
	assert_false(rp_decide(&always, &t, true, 10, true, &d));
	assert_false(rp_decide(&unless, &t, false, 10, true, &d));
	assert_false(rp_decide(&onf, &t, true, 10, true, &d));
	assert_true(rp_decide(&unless, &t, false, 10, false, &d)); /* exit 0 too */
	assert_int_equal(t.count, 1);
	/* at supervisor start */
	assert_true(rp_start_at_boot(&always, false));
	assert_true(rp_start_at_boot(&always, true));
	assert_true(rp_start_at_boot(&unless, false));
	assert_false(rp_start_at_boot(&unless, true));
	assert_false(rp_start_at_boot(&onf, false));
	assert_false(rp_start_at_boot(&no, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_reset_after_10s),
		cmocka_unit_test(test_on_failure_counts),
		cmocka_unit_test(test_manual_and_no),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
