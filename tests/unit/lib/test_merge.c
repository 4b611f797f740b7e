#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "runtime/lib/merge.h"

static char *img_ep[] = { "/docker-entrypoint.sh", NULL };
static char *img_cmd[] = { "httpd", "-f", NULL };

static void expect(struct strv *s, const char *const *want)
{
	int i = 0;

	for (; want[i]; i++) {
		assert_non_null(s->v);
		assert_string_equal(s->v[i], want[i]);
	}
	assert_int_equal(s->n, i);
	assert_null(s->v[i]);
	strv_free(s);
}

static void test_argv_rules(void **state)
{
	struct strv s = { 0 };
	char *args[] = { "sh", "-c", "id", NULL };

	/* image entrypoint + image cmd */
	assert_int_equal(merge_argv(NULL, img_ep, img_cmd, 0, NULL, &s), 0);
	expect(&s, (const char *[]){ "/docker-entrypoint.sh", "httpd", "-f", NULL });
	/* arguments replace cmd, keep entrypoint */
	assert_int_equal(merge_argv(NULL, img_ep, img_cmd, 3, args, &s), 0);
	expect(&s, (const char *[]){ "/docker-entrypoint.sh", "sh", "-c", "id", NULL });
	/* --entrypoint drops the image's cmd */
	assert_int_equal(merge_argv("echo", img_ep, img_cmd, 0, NULL, &s), 0);
	expect(&s, (const char *[]){ "echo", NULL });
	assert_int_equal(merge_argv("echo", img_ep, img_cmd, 1, args + 2, &s), 0);
	expect(&s, (const char *[]){ "echo", "id", NULL });
	/* --entrypoint "" clears it: arguments alone */
	assert_int_equal(merge_argv("", img_ep, img_cmd, 3, args, &s), 0);
	expect(&s, (const char *[]){ "sh", "-c", "id", NULL });
	/* no entrypoint in the image: cmd alone */
	assert_int_equal(merge_argv(NULL, NULL, img_cmd, 0, NULL, &s), 0);
	expect(&s, (const char *[]){ "httpd", "-f", NULL });
	/* nothing at all */
	assert_int_equal(merge_argv(NULL, NULL, NULL, 0, NULL, &s), -22);
	strv_free(&s);
	assert_int_equal(merge_argv("", img_ep, img_cmd, 0, NULL, &s), -22);
	strv_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_rules),
	};
	return cmocka_run_group_tests_name("merge", tests, NULL, NULL);
}
