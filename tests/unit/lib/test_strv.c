#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/strv.h"

/* s as "a|b|c" (its count and NULL end checked), then freed. */
static const char *joined(struct strv *s)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->n; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "|" : "", s->v[i]);
	assert_true(s->n == 0 || s->v[s->n] == NULL);
	strv_free(s);
	return buf;
}

static void test_strv_add(void **state)
{
	struct strv s = { 0 };
	char x[] = "copied";

	assert_int_equal(strv_add(&s, "a"), 0);
	assert_int_equal(strv_add(&s, x), 0);
	x[0] = 'C'; /* strv_add keeps a copy */
	assert_string_equal(joined(&s), "a|copied");
	strv_free(&s); /* twice is fine */
	assert_null(s.v);
	assert_int_equal(s.n, 0);
}

static void test_env_rules(void **state)
{
	struct strv s = { 0 };

	assert_int_equal(env_set(&s, "PATH=/bin"), 0);
	assert_int_equal(env_set(&s, "A=1"), 0);
	assert_int_equal(env_set(&s, "A=2"), 0); /* later wins, same place */
	assert_int_equal(env_set(&s, "AB=3"), 0); /* a longer key is another key */
	assert_int_equal(env_set(&s, "EMPTY="), 0);
	assert_true(env_has(&s, "PATH"));
	assert_true(env_has(&s, "A"));
	assert_false(env_has(&s, "P"));
	assert_string_equal(joined(&s), "PATH=/bin|A=2|AB=3|EMPTY=");
}

static void test_bare_vectors(void **state)
{
	char **v = NULL, **d;
	size_t n = 0;

	assert_int_equal(strv_push(&v, &n, strdup("b")), 0);
	assert_int_equal(strv_push(&v, &n, strdup("c")), 0);
	assert_int_equal(strv_push(&v, &n, strdup("a")), 0);
	assert_int_equal(strv_push(&v, &n, NULL), -ENOMEM); /* a failed strdup */
	assert_int_equal(n, 3);
	assert_null(v[3]);
	strv_sort(v, n);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");
	d = strv_dup(v);
	assert_non_null(d);
	assert_ptr_not_equal(d[0], v[0]);
	assert_string_equal(d[2], "c");
	assert_null(d[3]);
	strv_freev(v);
	strv_freev(d);
	d = strv_dup(NULL); /* an empty vector */
	assert_non_null(d);
	assert_null(d[0]);
	strv_freev(d);
	strv_freev(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strv_add),
		cmocka_unit_test(test_env_rules),
		cmocka_unit_test(test_bare_vectors),
	};
	return cmocka_run_group_tests_name("strv", tests, NULL, NULL);
}
