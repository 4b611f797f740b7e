#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/health.h"

#define S 1000000000ll
#define MS 1000000ll

static char *test_shell[] = { "CMD-SHELL", "curl -f localhost || exit 1", NULL };
static char *test_cmd[] = { "CMD", "/bin/check", "-q", NULL };
static char *test_none[] = { "NONE", NULL };

static void test_argv_and_defaults(void **state)
{
	struct hc_config h = { .test = test_shell };
	char *argv[8];
	struct berr e;

	assert_true(hc_enabled(&h));
	assert_int_equal(hc_argv(&h, argv, 8, &e), 0);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[1], "-c");
	assert_string_equal(argv[2], "curl -f localhost || exit 1");
	assert_null(argv[3]);
	h.test = test_cmd;
	assert_int_equal(hc_argv(&h, argv, 8, &e), 0);
	assert_string_equal(argv[0], "/bin/check");
	assert_string_equal(argv[1], "-q");
	assert_null(argv[2]);
	assert_int_equal(hc_interval(&h), 30 * S);
	assert_int_equal(hc_timeout(&h), 30 * S);
	assert_int_equal(hc_retries(&h), 3);
	h.test = test_none;
	assert_false(hc_enabled(&h));
	h.test = NULL;
	assert_false(hc_enabled(&h));
	char *weird[] = { "BOGUS", "x", NULL };
	h.test = weird;
	assert_int_equal(hc_argv(&h, argv, 8, &e), -EINVAL);
	char *empty[] = { "CMD", NULL };
	h.test = empty;
	assert_int_equal(hc_argv(&h, argv, 8, &e), -EINVAL);
	h = (struct hc_config){ .test = test_cmd, .interval = 500 };
	assert_int_equal(hc_validate(&h, &e), -EINVAL);
	assert_string_equal(e.msg, "Interval in Healthcheck cannot be less than 1ms");
	h = (struct hc_config){ .test = test_cmd, .retries = -1 };
	assert_int_equal(hc_validate(&h, &e), -EINVAL);
	h = (struct hc_config){ .test = test_cmd, .timeout = MS };
	assert_int_equal(hc_validate(&h, &e), 0);
}

/* Docker's merge: the user's fields win, the image fills the rest. */
static void test_merge(void **state)
{
	struct hc_config image = { .test = test_shell, .interval = 5 * S, .timeout = 2 * S,
				   .start_period = 10 * S, .retries = 7 };
	struct hc_config user = { .interval = 1 * S };

	assert_int_equal(hc_merge(&user, &image), 0);
	assert_string_equal(user.test[0], "CMD-SHELL");
	assert_int_equal(user.interval, 1 * S);
	assert_int_equal(user.timeout, 2 * S);
	assert_int_equal(user.start_period, 10 * S);
	assert_int_equal(user.retries, 7);
	hc_config_free(&user);
	assert_int_equal(hc_config_copy(&user, &(struct hc_config){ .test = test_cmd, .retries = 1 }),
			 0);
	assert_int_equal(hc_merge(&user, &image), 0);
	assert_string_equal(user.test[1], "/bin/check");
	assert_int_equal(user.retries, 1);
	assert_int_equal(user.interval, 5 * S);
	hc_config_free(&user);
}

static void test_json(void **state)
{
	struct hc_config h = { .test = test_cmd, .interval = 3 * S, .timeout = S, .retries = 2 }, back;
	json_t *j = hc_to_json(&h);

	assert_int_equal(hc_from_json(j, &back), 0);
	json_decref(j);
	assert_string_equal(back.test[0], "CMD");
	assert_string_equal(back.test[2], "-q");
	assert_null(back.test[3]);
	assert_int_equal(back.interval, 3 * S);
	assert_int_equal(back.timeout, S);
	assert_int_equal(back.retries, 2);
	hc_config_free(&back);
	/* wrong types are ignored, not trusted */
	j = json_loads("{\"Test\": [1, \"x\"], \"Interval\": \"5s\", \"Retries\": []}", 0, NULL);
	assert_int_equal(hc_from_json(j, &back), 0);
	assert_string_equal(back.test[0], "");
	assert_int_equal(back.interval, 0);
	assert_int_equal(back.retries, 0);
	hc_config_free(&back);
	json_decref(j);
	assert_int_equal(hc_from_json(NULL, &back), 0);
	assert_null(back.test);
}

static struct hc_result res(int64_t start, int code)
{
	struct hc_result r = { .start_ns = start, .end_ns = start + MS, .exit_code = code };
	snprintf(r.output, sizeof(r.output), "run at %lld", (long long)start);
	return r;
}

static void test_record(void **state)
{
	struct hc_config h = { .test = test_cmd, .retries = 2 };
	struct hc_state s = { 0 };
	struct hc_result r;

	hc_begin(&s);
	assert_int_equal(s.status, HC_STARTING);
	r = res(1 * S, 1);
	assert_false(hc_record(&s, &h, 0, &r)); /* one failure of two */
	assert_int_equal(s.failing_streak, 1);
	r = res(2 * S, 0);
	assert_true(hc_record(&s, &h, 0, &r));
	assert_int_equal(s.status, HC_HEALTHY);
	assert_int_equal(s.failing_streak, 0);
	r = res(3 * S, 1);
	assert_false(hc_record(&s, &h, 0, &r));
	assert_int_equal(s.status, HC_HEALTHY);
	r = res(4 * S, -1); /* a timeout is a failure */
	assert_true(hc_record(&s, &h, 0, &r));
	assert_int_equal(s.status, HC_UNHEALTHY);
	assert_int_equal(s.failing_streak, 2);
	/* the last five, oldest first */
	r = res(5 * S, 1);
	hc_record(&s, &h, 0, &r);
	r = res(6 * S, 0);
	assert_true(hc_record(&s, &h, 0, &r));
	assert_int_equal(s.nlog, 5);
	assert_int_equal(s.log[0].start_ns, 2 * S);
	assert_int_equal(s.log[4].start_ns, 6 * S);
	assert_string_equal(s.log[4].output, "run at 6000000000");
	assert_string_equal(hc_status_name(s.status), "healthy");
	assert_int_equal(hc_status_parse("unhealthy"), HC_UNHEALTHY);
	assert_int_equal(hc_status_parse("bogus"), -1);
}

/* Failures in the start period do not count until the first success. */
static void test_start_period(void **state)
{
	struct hc_config h = { .test = test_cmd, .retries = 1, .start_period = 10 * S };
	struct hc_state s = { 0 };
	struct hc_result r;
	int64_t started = 100 * S;

	hc_begin(&s);
	r = res(started + 5 * S, 1);
	assert_false(hc_record(&s, &h, started, &r));
	assert_int_equal(s.status, HC_STARTING);
	assert_int_equal(s.failing_streak, 0);
	r = res(started + 11 * S, 1);
	assert_true(hc_record(&s, &h, started, &r));
	assert_int_equal(s.status, HC_UNHEALTHY);
	/* once healthy, the start period no longer shields */
	hc_begin(&s);
	r = res(started + 1 * S, 0);
	hc_record(&s, &h, started, &r);
	r = res(started + 2 * S, 1);
	assert_true(hc_record(&s, &h, started, &r));
	assert_int_equal(s.status, HC_UNHEALTHY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_and_defaults),
		cmocka_unit_test(test_merge),	   cmocka_unit_test(test_json),
		cmocka_unit_test(test_record),	   cmocka_unit_test(test_start_period),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
