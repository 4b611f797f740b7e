#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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

/* tmpl_print with stdout and stderr caught: its exit status. */
static int print_caught(const char *t, json_t *rows, const struct tmpl_header *h, char *out,
			char *err, size_t size)
{
	FILE *saved_out = stdout, *saved_err = stderr;
	FILE *o = fmemopen(out, size, "w"), *e = fmemopen(err, size, "w");
	int rc;

	memset(out, 0, size);
	memset(err, 0, size);
	stdout = o;
	stderr = e;
	rc = tmpl_print(t, rows, h);
	fflush(o);
	fflush(e);
	stdout = saved_out;
	stderr = saved_err;
	fclose(o);
	fclose(e);
	return rc;
}

/* The table header names each column by its field's title. */
static void test_table_header(void **state)
{
	static const struct tmpl_header h[] = { { "ID", "IMAGE ID" }, { "Tag", "TAG" },
						{ NULL, NULL } };
	json_t *rows = json_pack("[{s:s, s:s}]", "ID", "0123456789ab", "Tag", "latest");
	char out[256], err[256];

	assert_int_equal(print_caught("table {{.ID}}\\t{{.Tag}}", rows, h, out, err, 256), 0);
	assert_string_equal(out, "IMAGE ID       TAG\n0123456789ab   latest\n");
	assert_string_equal(err, "");
	json_decref(rows);
}

/* Every verb's --format: a line per row; a failing template is reported
 * once, "berth: template: ...", with exit status 1. */
static void test_print_rows_and_errors(void **state)
{
	json_t *rows = json_pack("[{s:s}, {s:s}]", "Name", "a", "Name", "b");
	char out[256], err[256];

	assert_int_equal(print_caught("{{.Name}}!", rows, NULL, out, err, 256), 0);
	assert_string_equal(out, "a!\nb!\n");
	assert_int_equal(print_caught("{{.Nope}}", rows, NULL, out, err, 256), 1);
	assert_string_equal(out, "");
	assert_string_equal(err, "berth: template: can't evaluate field Nope in \"{{.Nope}}\"\n");
	assert_int_equal(print_caught("table {{.Name", rows, NULL, out, err, 256), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "berth: template: unclosed action"));
	json_decref(rows);
}

/* --format json: each row as one line of JSON; "table" alone or no
 * format is the verb's own table. */
static void test_json_and_choose(void **state)
{
	json_t *rows = json_pack("[{s:s, s:i}, {s:s, s:i}]", "Name", "a", "N", 1, "Name", "b", "N", 2);
	char out[256], err[256];

	(void)state;
	assert_int_equal(print_caught("json", rows, NULL, out, err, 256), 0);
	assert_string_equal(out, "{\"Name\":\"a\",\"N\":1}\n{\"Name\":\"b\",\"N\":2}\n");
	assert_string_equal(tmpl_choose(NULL, "table {{.X}}"), "table {{.X}}");
	assert_string_equal(tmpl_choose("table", "table {{.X}}"), "table {{.X}}");
	assert_string_equal(tmpl_choose("", "table {{.X}}"), "table {{.X}}");
	assert_string_equal(tmpl_choose("{{.Y}}", "table {{.X}}"), "{{.Y}}");
	json_decref(rows);
}

static void test_tabulate(void **state)
{
	char *rows[] = {"REPOSITORY\tTAG\tIMAGE ID", "busybox\tlatest\t0123456789ab",
			"a-much-longer-name\t1\tx"};
	char *out = tmpl_tabulate(rows, 3);

	assert_non_null(out);
	assert_string_equal(out, "REPOSITORY           TAG       IMAGE ID\n"
				 "busybox              latest    0123456789ab\n"
				 "a-much-longer-name   1         x\n");
	free(out);
}

/* Columns are as wide as their characters, not their UTF-8 bytes:
 * Docker's truncated commands end in "…". */
static void test_tabulate_utf8(void **state)
{
	char *rows[] = {"COMMAND\tSERVICE", "\"sh -c echo a very l…\"\tb", "\"sleep 1\"\ta"};
	char *out = tmpl_tabulate(rows, 3);

	(void)state;
	assert_non_null(out);
	assert_string_equal(out, "COMMAND                  SERVICE\n"
				 "\"sh -c echo a very l…\"   b\n"
				 "\"sleep 1\"                a\n");
	free(out);
}

/* A map's missing key is "<no value>", as Go's templates print it; a
 * struct's missing field stays an error. */
static void test_missing_map_key(void **state)
{
	json_t *o = json_pack("{s:{s:{s:s}}, s:{s:s, s:{s:{}}}}", "Config", "Labels", "a", "1",
			      "HostConfig", "Dns", "x", "LogConfig", "Config");
	int rc;
	char *s = render("{{.Config.Labels.a}}|{{.Config.Labels.nope}}|"
			 "{{.HostConfig.LogConfig.Config.max-size}}", o, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_string_equal(s, "1|<no value>|<no value>");
	free(s);
	s = render("{{.Config.Nope}}", o, &rc);
	assert_true(rc < 0);
	free(s);
	s = render("{{.Config.Labels.a.b}}", o, &rc);
	assert_true(rc < 0);
	free(s);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tabulate),
	    cmocka_unit_test(test_tabulate_utf8),
		cmocka_unit_test(test_fields_and_escapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_table_header),
		cmocka_unit_test(test_print_rows_and_errors),
		cmocka_unit_test(test_json_and_choose),
		cmocka_unit_test(test_missing_map_key),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
