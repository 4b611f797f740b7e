// sources: runtime/template.c runtime/err.c
// libs: -ljansson
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/template.h"

static char *render(const char *t, json_t *o, int *rc)
{
	char *out = NULL;
	size_t len = 0;
	struct berr e;

	*rc = tmpl_render(t, o, &out, &len, &e);
	return out;
}

static void test_fields_and_escapes(void **state)
{
	json_t *o = json_pack("{s:s, s:i, s:b, s:{s:i, s:s}}", "ID", "abc123", "Size", 42, "Ok", 1,
			      "State", "Pid", 77, "Status", "running");
	int rc;
	char *s = render("{{.ID}}\\t{{ .Size }}|{{.State.Pid}}\\n{{.Ok}}", o, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(s, "abc123\t42|77\ntrue");
	free(s);
	s = render("{{json .State}}", o, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(s, "\"Pid\":77"));
	free(s);
	s = render("plain text", o, &rc);
	assert_string_equal(s, "plain text");
	free(s);
	json_decref(o);
}

static void test_errors(void **state)
{
	json_t *o = json_pack("{s:s}", "ID", "x");
	int rc;
	char *s;

	s = render("{{.Nope}}", o, &rc);
	assert_int_equal(rc, -22);
	free(s);
	s = render("{{.ID", o, &rc);
	assert_int_equal(rc, -22);
	free(s);
	s = render("{{range .}}", o, &rc);
	assert_int_equal(rc, -22);
	free(s);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_and_escapes),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
