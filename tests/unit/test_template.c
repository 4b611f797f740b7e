// sources: runtime/lib/template.c runtime/image/layer_rules.c runtime/lib/err.c
// libs: -ljansson
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/template.h"

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
	s = render("plain text \\x", o, &rc);
	assert_string_equal(s, "plain text \\x");
	free(s);
	json_decref(o);
}

static void test_errors(void **state)
{
	json_t *o = json_pack("{s:s}", "ID", "x");
	int rc;
	char *s;

	s = render("x {{.Nope}}", o, &rc);
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

/* The table header names each column by its field's title. */
static void test_table_header(void **state)
{
	static const struct tmpl_header h[] = { { "ID", "IMAGE ID" }, { "Tag", "TAG" },
						{ NULL, NULL } };
	json_t *rows = json_pack("[{s:s, s:s}]", "ID", "0123456789ab", "Tag", "latest");
	struct berr e;
	char buf[256] = { 0 };
	FILE *saved = stdout;
	FILE *mem = fmemopen(buf, sizeof(buf), "w");

	stdout = mem;
	assert_int_equal(tmpl_print_list("table {{.ID}}\\t{{.Tag}}", rows, h, &e), 0);
	fflush(mem);
	stdout = saved;
	fclose(mem);
	assert_string_equal(buf, "IMAGE ID       TAG\n0123456789ab   latest\n");
	json_decref(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_and_escapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_table_header),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
