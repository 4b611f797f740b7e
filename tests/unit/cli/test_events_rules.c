/* `berth events`' pure half: Docker's --since/--until forms, the
 * supervisor's event lines, --filter's rules and Docker's output forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cli/cli_events_rules.h"

#define S 1000000000ll

static int64_t t(const char *s)
{
	int64_t ns = -1;

	if (evf_parse_time(s, 1000 * S, &ns) != 0)
		fail_msg("%s did not parse", s);
	return ns;
}

static void test_times(void **state)
{
	int64_t ns;

	(void)state;
	assert_int_equal(t("1700000000"), 1700000000 * S);
	assert_int_equal(t("1700000000.25"), 1700000000 * S + 250000000);
	assert_int_equal(t("0"), 0);
	assert_int_equal(t("2026-12-05"), 1796428800 * S);
	assert_int_equal(t("2026-12-05T21:00:00Z"), (1796428800 + 21 * 3600) * S);
	assert_int_equal(t("2026-12-05T21:00"), (1796428800 + 21 * 3600) * S);
	assert_int_equal(t("2026-12-05T21:00:00.5+01:00"), (1796428800 + 20 * 3600) * S + S / 2);
	assert_int_equal(t("1970-01-01T00:00:01-00:30"), 1801 * S);
	assert_int_equal(t("2000-02-29T00:00:00Z"), 951782400 * S); /* a leap day */
	assert_int_equal(t("10s"), 990 * S);			 /* durations: before now */
	assert_int_equal(t("1m30s"), 910 * S);
	assert_int_equal(t("0s"), 1000 * S);
	for (const char *bad[] = { "", "yesterday", "12x", "2026-13-01", "2026-12-05T25:00",
				   "2026-12-05 21:00", "1.", "-5s", "2026-12-05T21:00Zjunk", NULL },
	     **b = bad;
	     *b; b++) {
		if (evf_parse_time(*b, 1000 * S, &ns) != -EINVAL)
			fail_msg("'%s' parsed", *b);
	}
}

static void test_line_and_text(void **state)
{
	char line[] = "1796504400000000001 container 'health_status: healthy' abc123 name=web "
		      "image=busybox 'com.x=a b'";
	char text[512];
	struct evf_event ev;
	char bad1[] = "x container start id", bad2[] = "1 container start";

	(void)state;
	assert_int_equal(evf_parse_line(line, &ev), 0);
	assert_int_equal(ev.ns, 1796504400000000001ll);
	assert_string_equal(ev.action, "health_status: healthy");
	assert_string_equal(evf_attr(&ev, "com.x"), "a b");
	assert_null(evf_attr(&ev, "nam"));
	evf_text(&ev, text, sizeof(text));
	assert_string_equal(text, "2026-12-05T21:00:00.000000001Z container health_status: healthy "
				  "abc123 (com.x=a b, image=busybox, name=web)");
	assert_int_equal(evf_parse_line(bad1, &ev), -EINVAL);
	assert_int_equal(evf_parse_line(bad2, &ev), -EINVAL);
}

static void test_json(void **state)
{
	char line[] = "2000000000 container die abc exitCode=3 image=busybox";
	char vline[] = "5 volume create v1 driver=local";
	struct evf_event ev;
	json_t *j;

	(void)state;
	assert_int_equal(evf_parse_line(line, &ev), 0);
	j = evf_json(&ev, false);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "die");
	assert_string_equal(json_string_value(json_object_get(j, "from")), "busybox");
	assert_int_equal(json_integer_value(json_object_get(j, "time")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "timeNano")), 2000000000);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(j, "Actor"), "Attributes"), "exitCode")),
			    "3");
	json_decref(j);
	j = evf_json(&ev, true);
	assert_non_null(json_object_get(j, "TimeNano"));
	assert_non_null(json_object_get(j, "ID"));
	json_decref(j);
	assert_int_equal(evf_parse_line(vline, &ev), 0);
	j = evf_json(&ev, false);
	assert_null(json_object_get(j, "status")); /* only containers have the old fields */
	assert_string_equal(json_string_value(json_object_get(j, "Type")), "volume");
	json_decref(j);
}

static bool matches(const char *event, int n, ...)
{
	char line[512], *f[8];
	struct evf_event ev;
	va_list ap;

	snprintf(line, sizeof(line), "%s", event);
	assert_int_equal(evf_parse_line(line, &ev), 0);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		f[i] = va_arg(ap, char *);
		assert_int_equal(evf_filter_check(f[i]), 0);
	}
	va_end(ap);
	return evf_match(&ev, f, n);
}

static void test_filters(void **state)
{
	const char *start = "1 container start 0123abcd name=web image=busybox tier=db";
	const char *health = "1 container 'health_status: unhealthy' 0123abcd name=web image=b";
	const char *tag = "1 image tag sha256:ff name=busybox:x";

	(void)state;
	assert_true(matches(start, 0));
	assert_true(matches(start, 1, "type=container"));
	assert_false(matches(start, 1, "type=image"));
	assert_true(matches(start, 2, "type=image", "type=container")); /* one key: or */
	assert_false(matches(start, 2, "type=container", "event=die")); /* keys: and */
	assert_true(matches(start, 3, "event=die", "event=start", "container=web"));
	assert_true(matches(start, 1, "container=0123"));		/* an ID prefix */
	assert_false(matches(start, 1, "container=we"));		/* a name: whole */
	assert_true(matches(start, 1, "image=busybox"));
	assert_true(matches(start, 1, "label=tier"));
	assert_true(matches(start, 1, "label=tier=db"));
	assert_false(matches(start, 1, "label=tier=web"));
	assert_true(matches(health, 1, "event=health_status"));
	assert_true(matches(health, 1, "event=health_status: unhealthy"));
	assert_false(matches(health, 1, "event=health"));
	assert_true(matches(tag, 1, "image=busybox:x"));
	assert_true(matches(tag, 1, "image=sha256:ff"));
	assert_false(matches(tag, 1, "container=busybox:x"));
	assert_int_equal(evf_filter_check("colour=red"), -EINVAL);
	assert_int_equal(evf_filter_check("type"), -EINVAL);
	assert_int_equal(evf_filter_check("type="), -EINVAL);
	assert_int_equal(evf_filter_check("=x"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_line_and_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
