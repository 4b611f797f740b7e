#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/lib/duration.h"

#define NS 1ll
#define US 1000ll
#define MS 1000000ll
#define S 1000000000ll
#define M (60 * S)
#define H (60 * M)

static void dur_ok(const char *s, int64_t want)
{
	struct berr e;
	int64_t ns = -12345;

	if (duration_parse(s, &ns, &e) != 0)
		fail_msg("%s: %s", s, e.msg);
	if (ns != want)
		fail_msg("%s: got %lld, want %lld", s, (long long)ns, (long long)want);
}

static void dur_bad(const char *s)
{
	struct berr e;
	char want[128];
	int64_t ns = 0;

	if (duration_parse(s, &ns, &e) != -EINVAL)
		fail_msg("\"%s\" parsed as %lld", s, (long long)ns);
	snprintf(want, sizeof(want), "time: invalid duration \"%s\"", s);
	assert_string_equal(e.msg, want);
}

/* What `--health-interval` and HEALTHCHECK --interval are given. */
static void test_docker_forms(void **state)
{
	dur_ok("30s", 30 * S);
	dur_ok("0", 0);
	dur_ok("500ms", 500 * MS);
	dur_ok("300ms", 300 * MS);
	dur_ok("1m30s", 90 * S);
	dur_ok("1h2m3s", 3723 * S);
	dur_ok("1h2m3.5s", 3723 * S + 500 * MS);
	dur_ok("1.5h", 5400 * S);
	dur_ok("1.5s", 1500 * MS);
	dur_ok("2h45m", 9900 * S);
	dur_ok("100us", 100 * US);
	dur_ok("10ns", 10);
	dur_ok(".5s", 500 * MS);
}

/* Go's time.ParseDuration accepts these (its own test table). */
static void test_go_grammar(void **state)
{
	dur_ok("-5s", -5 * S);
	dur_ok("+5s", 5 * S);
	dur_ok("-0", 0);
	dur_ok("+0", 0);
	dur_ok("5.0s", 5 * S);
	dur_ok("5.s", 5 * S);
	dur_ok("1.004s", S + 4 * MS);
	dur_ok("100.00100s", 100 * S + MS);
	dur_ok("11us", 11 * US);
	dur_ok("12\xc2\xb5s", 12 * US); /* U+00B5 */
	dur_ok("12\xce\xbcs", 12 * US); /* U+03BC */
	dur_ok("15m", 15 * M);
	dur_ok("10.5s4m", 4 * M + 10 * S + 500 * MS);
	dur_ok("-2m3.4s", -(2 * M + 3 * S + 400 * MS));
	dur_ok("1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS);
	dur_ok("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS);
	dur_ok("9007199254740993ns", (1ll << 53) + 1); /* exact: no float on the way */
	dur_ok("0.3333333333333333333h", 20 * M);
	dur_ok("0.100000000000000000000h", 6 * M);
	dur_ok("0.830103483285477580700h", 49 * M + 48 * S + 372539827);
}

static void test_limits(void **state)
{
	dur_ok("9223372036854775807ns", INT64_MAX);
	dur_ok("9223372036854775.807us", INT64_MAX);
	dur_ok("9223372036s854ms775us807ns", INT64_MAX);
	dur_ok("-9223372036854775808ns", INT64_MIN);
	dur_ok("-9223372036854775.808us", INT64_MIN);
	dur_ok("-2562047h47m16.854775808s", INT64_MIN);
	dur_bad("9223372036854775808ns");
	dur_bad("9223372036854775810ns");
	dur_bad("-9223372036854775809ns");
	dur_bad("9223372036854775.808us");
	dur_bad("9223372036s854ms775us808ns");
	dur_bad("3000000h");
	dur_bad("99999999999999999999s");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "30", "10", "3", "-", "+", "s", ".", "-.", ".s", "+.s", "5x", "1d", "3d",
		"1.s5", "--1s", "1e3s", "1 s", "5 s", " 1s", "1s ", "1hm", "1.5.5s", "0x10s",
		"\xc2\xb5s", "\x85\x85", "\xff" "ff", "1sec", "1S",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		dur_bad(bad[i]);
}

static void format_is(int64_t ns, const char *want)
{
	char buf[64];

	duration_format(ns, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	format_is(0, "0s");
	format_is(30 * S, "30s");
	format_is(300 * MS, "300ms");
	format_is(90 * S, "1m30s");
	format_is(H + 1500 * MS, "1h0m1.5s");
	format_is(250 * US, "250\xc2\xb5s");
	format_is(7, "7ns");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_forms), cmocka_unit_test(test_go_grammar),
		cmocka_unit_test(test_limits),	     cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
