#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "runtime/cli/cli_filter.h"

static char *words_[8];

/* A filter list of the given words (NULL-terminated). */
static struct strv filters(const char *first, ...)
{
	struct strv s = {words_, 0};
	va_list ap;

	va_start(ap, first);
	for (const char *w = first; w && s.n < 7; w = va_arg(ap, const char *))
		words_[s.n++] = (char *)w;
	va_end(ap);
	words_[s.n] = NULL;
	return s;
}

static void test_check(void **state)
{
	static const char *const keys[] = {"name", "label", NULL};
	struct strv f = filters("name=a", "label=x=y", NULL);
	struct berr e;

	(void)state;
	assert_int_equal(flt_check(&f, keys, &e), 0);
	f = filters("name=a", "colour=red", NULL);
	assert_int_equal(flt_check(&f, keys, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid filter 'colour'");
	f = filters("names=a", NULL); /* a key is whole */
	assert_int_equal(flt_check(&f, keys, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid filter 'names'");
	f = filters("name", NULL);
	assert_int_equal(flt_check(&f, keys, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "bad format of filter"));
}

static bool equals(const char *v, void *ctx)
{
	return strcmp(v, ctx) == 0;
}

static void test_pass_and_or(void **state)
{
	struct strv f = filters("name=a", "name=b", "id=1", NULL);

	(void)state;
	/* values of one key: any; no filter of a key: pass */
	assert_true(flt_pass(&f, "name", equals, "a"));
	assert_true(flt_pass(&f, "name", equals, "b"));
	assert_false(flt_pass(&f, "name", equals, "c"));
	assert_true(flt_pass(&f, "label", equals, "anything"));
	assert_true(flt_has(&f, "id"));
	assert_false(flt_has(&f, "i"));
}

static void test_label(void **state)
{
	char *labels[] = {"tier=front", "empty=", "flag", NULL};

	(void)state;
	assert_true(flt_label_match("tier", labels));
	assert_true(flt_label_match("tier=front", labels));
	assert_false(flt_label_match("tier=back", labels));
	assert_false(flt_label_match("tie", labels));
	assert_true(flt_label_match("empty=", labels));
	assert_true(flt_label_match("flag", labels));
	assert_false(flt_label_match("tier", NULL));
}

static void test_regex_bool_port(void **state)
{
	(void)state;
	assert_true(flt_regex_match("web", "my-web-1"));
	assert_true(flt_regex_match("^/web$", "web"));
	assert_true(flt_regex_match("^web$", "web"));
	assert_false(flt_regex_match("^/web$", "web2"));
	assert_false(flt_regex_match("(", "web")); /* bad expression: nothing */
	assert_int_equal(flt_bool("true"), 1);
	assert_int_equal(flt_bool("0"), 0);
	assert_int_equal(flt_bool("yes"), -1);
	assert_true(flt_port_match("80", 80, false));
	assert_true(flt_port_match("80", 80, true));
	assert_true(flt_port_match("80/udp", 80, true));
	assert_false(flt_port_match("80/udp", 80, false));
	assert_true(flt_port_match("8000-8080/tcp", 8042, false));
	assert_false(flt_port_match("8000-8080", 8081, false));
	assert_false(flt_port_match("http", 80, false));
	assert_false(flt_port_match("80x", 80, false));
}

static void test_lines(void **state)
{
	char text[] = "a=1\nb=2\nc=3\n", *v[3];

	(void)state;
	flt_lines(text, v, 3); /* room for two and the NULL */
	assert_string_equal(v[0], "a=1");
	assert_string_equal(v[1], "b=2");
	assert_null(v[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check), cmocka_unit_test(test_pass_and_or),
	    cmocka_unit_test(test_label), cmocka_unit_test(test_regex_bool_port),
	    cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
