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
	assert_string_equal(err, "berth: template parsing error: template: :1:2: executing \"\" at "
				 "<.Nope>: can't evaluate field Nope in type struct\n");
	assert_int_equal(print_caught("table {{.Name", rows, NULL, out, err, 256), 1);
	assert_string_equal(out, "");
	assert_string_equal(err, "berth: template parsing error: template: :1: unclosed action\n");
	/* a row that fails after others rendered: nothing partial on stdout */
	json_array_append_new(rows, json_pack("{s:i}", "Other", 1));
	assert_int_equal(print_caught("{{.Name}}", rows, NULL, out, err, 256), 1);
	assert_string_equal(out, "");
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
			 "{{.HostConfig.LogConfig.Config.x}}|"
			 "{{index .HostConfig.LogConfig.Config \"max-size\"}}|", o, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_string_equal(s, "1|<no value>|<no value>||");
	free(s);
	s = render("{{.Config.Nope}}", o, &rc);
	assert_true(rc < 0);
	free(s);
	s = render("{{.Config.Labels.a.b}}", o, &rc);
	assert_true(rc < 0);
	free(s);
	json_decref(o);
}

/* The data the table tests run on: a container as inspect shows it, with
 * a ps row's Labels string. */
static json_t *sample(void)
{
	json_error_t je;
	json_t *o = json_loads(
	    "{\"Names\":\"web\",\"ID\":\"abc\",\"N\":3,\"F\":1.5,\"E\":\"\",\"B\":false,"
	    "\"Z\":0,\"Nil\":null,\"Labels\":\"a=1,com.example.x=y\","
	    "\"Mounts\":[{\"Source\":\"/a\",\"RW\":true},{\"Source\":\"/b\",\"RW\":false}],"
	    "\"Config\":{\"Labels\":{\"k\":\"v\",\"com.example\":\"w\"},"
	    "\"Cmd\":[\"sh\",\"-c\",\"x y\"],\"Env\":[]},"
	    "\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\","
	    "\"HostPort\":\"8080\"}]}}}",
	    0, &je);

	assert_non_null(o);
	return o;
}

struct tcase {
	const char *tmpl, *want; /* want: the output, or with err the message's end */
	bool err;
};

static void run_cases(const struct tcase *c, size_t n)
{
	json_t *o = sample();

	for (size_t i = 0; i < n; i++) {
		int rc;
		char *s = render(c[i].tmpl, o, &rc);
		struct berr e;
		char *out = NULL;
		size_t len = 0;

		if (c[i].err) {
			rc = tmpl_render(c[i].tmpl, o, &out, &len, &e);
			if (rc != -22 || strlen(e.msg) < strlen(c[i].want) ||
			    strcmp(e.msg + strlen(e.msg) - strlen(c[i].want), c[i].want) != 0)
				fail_msg("%s: rc %d, \"%s\", want \"...%s\"", c[i].tmpl, rc, e.msg,
					 c[i].want);
		} else if (rc != 0 || strcmp(s ? s : "", c[i].want) != 0) {
			fail_msg("%s: rc %d, \"%s\", want \"%s\"", c[i].tmpl, rc, s ? s : "(null)",
				 c[i].want);
		}
		free(out);
		free(s);
	}
	json_decref(o);
}

/* Pipelines, variables, if/else if/else, with, range, break/continue,
 * comments and trim markers, with Go's semantics. */
static void test_actions(void **state)
{
	static const struct tcase c[] = {
	    {"{{.Names | upper}}", "WEB", false},
	    {"{{.Names | printf \"%s!\" | upper}}", "WEB!", false},
	    {"{{(index .Mounts 1).Source}}", "/b", false},
	    {"{{range .Mounts}}{{.Source}},{{end}}", "/a,/b,", false},
	    {"{{range $i, $e := .Mounts}}{{$i}}={{$e.Source}} {{end}}", "0=/a 1=/b ", false},
	    {"{{range $m := .Mounts}}{{$m.RW}}{{end}}", "truefalse", false},
	    {"{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "com.example=w;k=v;", false},
	    {"{{range .Config.Env}}x{{else}}none{{end}}", "none", false},
	    {"{{range .Nil}}x{{else}}nil{{end}}", "nil", false},
	    {"{{range .Mounts}}{{if .RW}}{{continue}}{{end}}{{.Source}}{{end}}", "/b", false},
	    {"{{range .Mounts}}{{.Source}}{{break}}{{end}}", "/a", false},
	    {"{{if .E}}a{{else if .Z}}b{{else if .N}}c{{else}}d{{end}}", "c", false},
	    {"{{if .Config.Env}}y{{else}}n{{end}}{{if .Config.Cmd}}y{{end}}", "ny", false},
	    {"{{if .Nil}}y{{else}}n{{end}}{{if .B}}y{{else}}n{{end}}", "nn", false},
	    {"{{with .Config}}{{.Cmd}}{{end}}", "[sh -c x y]", false},
	    {"{{with .E}}x{{else}}empty{{end}}", "empty", false},
	    {"{{with .E}}x{{else with .Names}}{{.}}{{end}}", "web", false},
	    {"{{$x := .N}}{{$x}} {{$.ID}} {{with .Config}}{{$.Names}}{{end}}", "3 abc web", false},
	    {"{{$x := 1}}{{if .N}}{{$x = 2}}{{end}}{{$x}}", "2", false},
	    {"{{with $v := .Names}}{{$v}}{{end}}", "web", false},
	    {"a  {{- .N -}}  b", "a3b", false},
	    {"a {{/* a comment */}}b{{- /* trimmed */ -}} c", "a bc", false},
	    {"{{\"x\\ty\\u00e9\"}}|{{`r\\d`}}|{{'a'}}|{{-1}}|{{0x10}}|{{true}}", "x\ty\xc3\xa9|r\\d|97|-1|16|true", false},
	    {"{{.Config.Labels}} {{.Config.Cmd}} {{.Mounts}}", "map[com.example:w k:v] [sh -c x y] [map[RW:true Source:/a] map[RW:false Source:/b]]", false},
	    {"{{.Config.Labels.nope}}|{{.Nil}}", "<no value>|<no value>", false},
	    {"{{.Label \"com.example.x\"}}|{{.Label \"a\"}}|{{.Label \"no\"}}", "y|1|", false},
	    {"{{with .Config}}{{.Label \"com.example\"}}{{end}}", "w", false},
	    {"{{\"com.example.x\" | .Label}}", "y", false},
	    {"{{1.5}} {{1e6}} {{0.25}} {{1234567.0}} {{.F}}", "1.5 1e+06 0.25 1.234567e+06 1.5", false},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

/* Syntax errors: "template: :LINE: ..." as Go words them. */
static void test_parse_errors(void **state)
{
	static const struct tcase c[] = {
	    {"{{.Names", "template: :1: unclosed action", true},
	    {"{{if .N}}x", "template: :1: unexpected EOF", true},
	    {"x\n{{end}}", "template: :2: unexpected {{end}}", true},
	    {"{{else}}", "unexpected {{else}}", true},
	    {"{{nope .X}}", "template: :1: function \"nope\" not defined", true},
	    {"{{$y}}", "undefined variable \"$y\"", true},
	    {"{{if .N}}{{$v := 1}}{{end}}{{$v}}", "undefined variable \"$v\"", true},
	    {"{{break}}", "{{break}} outside {{range}}", true},
	    {"{{(.N}}", "unclosed left paren", true},
	    {"{{.N)}}", "unexpected right paren", true},
	    {"{{\"abc}}", "unterminated quoted string", true},
	    {"{{/* x }}", "unclosed comment", true},
	    {"{{/* x */ }}", "comment ends before closing delimiter", true},
	    {"{{}}", "missing value for command", true},
	    {"{{.N | 3}}", "non executable command in pipeline stage 2", true},
	    {"{{3.x}}", "bad number syntax: \"3.x\"", true},
	    {"{{true.X}}", "unexpected . after term \"true\"", true},
	    {"{{range $a, $b, $c := .M}}{{end}}", "too many declarations in range", true},
	    {"{{$a, $b := .M}}", "too many declarations in command", true},
	    {"{{template \"x\"}}", "{{template}} is not supported", true},
	    {"{{.N #}}", "unexpected \"#\" in operand", true},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

/* Execution errors: "template: :LINE:COL: executing "" at <NODE>: ...". */
static void test_exec_errors(void **state)
{
	static const struct tcase c[] = {
	    {"{{.Nope}}", ":1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type struct", true},
	    {"x\n  {{.Names.X}}", ":2:4: executing \"\" at <.Names.X>: can't evaluate field X in type string", true},
	    {"{{.Nil.X}}", "nil pointer evaluating interface {}.X", true},
	    {"{{.N 1}}", "N has arguments but cannot be invoked as function", true},
	    {"{{.Label}}", "wrong number of args for Label: want 1 got 0", true},
	    {"{{3 | printf \"%d\" | .N}}", "<.N>: N has arguments but cannot be invoked as function", true},
	    {"{{$x := 1}}{{$x 2}}", "can't give argument to non-function $x", true},
	    {"{{nil}}", "nil is not a command", true},
	    {"{{range .Names}}{{end}}", "<.Names>: range can't iterate over web", true},
	    {"{{range .N}}{{end}}", "range can't iterate over 3", true},
	    /* few steps, no output, but 5 lists of a million strings made */
	    {"{{$s := printf \"%1000000s\" \"\"}}{{range split \"abcde\" \"\"}}{{$t := split $s \"\"}}{{end}}",
	     "at <split $s \"\">: the template does too much work", true},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

/* Go's functions: printf (verbs, widths, Go's complaints), print,
 * println, len, index, the comparisons, and, or, not. */
static void test_go_functions(void **state)
{
	static const struct tcase c[] = {
	    {"{{printf \"%s|%d|%v|%q|%-6s|%5d|%05d|%x|%X|%t|%c|%6.2f|%%\" .Names .N .F .Names .ID .N .N 255 255 .B 65 .F}}",
	     "web|3|1.5|\"web\"|abc   |    3|00003|ff|FF|false|A|  1.50|%", false},
	    {"{{printf \"%v %v %v %v %s\" .Config.Cmd .Config.Labels .Nil true .Config.Cmd}}",
	     "[sh -c x y] map[com.example:w k:v] <nil> true [sh -c x y]", false},
	    {"{{printf \"%-8s|%8s|%.2s\" .Names .Names .Names}}", "web     |     web|we", false},
	    {"{{printf \"%d %s\"}}|{{printf \"%d\" .Names}}|{{printf \"%s\" .N}}|{{printf \"x\" 1 \"a\"}}",
	     "%!d(MISSING) %!s(MISSING)|%!d(string=web)|%!s(int=3)|x%!(EXTRA int=1, string=a)", false},
	    {"{{print .N .N \"a\" .N \"b\" \"c\"}}|{{println .N \"x\"}}|{{print}}", "3 3a3bc|3 x\n|", false},
	    {"{{len .Names}} {{len .Mounts}} {{len .Config.Labels}} {{len .Config.Env}}", "3 2 2 0", false},
	    {"{{index .Config.Labels \"com.example\"}}|{{index .Config.Labels \"nope\"}}|{{index .Mounts 1 \"Source\"}}",
	     "w||/b", false},
	    {"{{(index .NetworkSettings.Ports \"80/tcp\" 0).HostPort}} {{index .NetworkSettings.Ports \"81/tcp\"}}",
	     "8080 []", false},
	    {"{{index .Mounts}}", "[map[RW:true Source:/a] map[RW:false Source:/b]]", false},
	    {"{{eq .N 3}} {{eq .Names \"x\" \"web\"}} {{ne .Names \"web\"}} {{eq .Nil .N}} {{eq .B false}}",
	     "true true false false true", false},
	    {"{{lt .N 4}} {{le .N 3}} {{gt .N 3}} {{ge .N 3}} {{lt \"a\" \"b\"}} {{gt .F 1.25}}",
	     "true true false true true true", false},
	    {"{{and .N .Names}}|{{and .N .E .Names}}|{{or .E .Z .Names}}|{{or .E .Z}}|{{not .N}}|{{not .E}}",
	     "web||web|0|false|true", false},
	    {"{{and .E .Nope}}{{or .N .Nope}}", "3", false},
	    {"{{if and (eq .N 3) (not .B)}}yes{{end}}", "yes", false},
	    {"{{printf \"%s\" 1 2 | len}}", "25", false},
	    {"{{index .Mounts 5}}", "<index .Mounts 5>: error calling index: index out of range: 5", true},
	    {"{{index .Nil 1}}", "error calling index: index of untyped nil", true},
	    {"{{index .Names 1}}", "error calling index: can't index item of type string", true},
	    {"{{len .N}}", "<len .N>: error calling len: len of type int", true},
	    {"{{eq .N 3.0}}", "error calling eq: incompatible types for comparison", true},
	    {"{{lt .B true}}", "error calling lt: invalid type for comparison", true},
	    {"{{eq .N}}", "error calling eq: missing argument for comparison", true},
	    {"{{ne 1}}", "wrong number of args for ne: want 2 got 1", true},
	    {"{{printf}}", "wrong number of args for printf: want at least 1 got 0", true},
	    {"{{printf .N}}", "wrong type for value; expected string; got int", true},
	    {"{{printf \"%999999999d\" 1}}", "error calling printf: width or precision too large", true},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

/* Docker's functions: json, join, split, lower, upper, title, truncate,
 * pad. */
static void test_docker_functions(void **state)
{
	static const struct tcase c[] = {
	    {"{{json .Config.Labels}}|{{json .Names}}|{{json .Nil}}|{{json .Config.Env}}",
	     "{\"k\":\"v\",\"com.example\":\"w\"}|\"web\"|null|[]", false},
	    {"{{join .Config.Cmd \" \"}}|{{join .Config.Env \",\"}}", "sh -c x y|", false},
	    {"{{split \"a:b:c\" \":\"}}|{{len (split \"a,\" \",\")}}|{{len (split \"\" \",\")}}|{{split \"ab\" \"\"}}",
	     "[a b c]|2|1|[a b]", false},
	    {"{{index (split .Labels \",\") 1}}", "com.example.x=y", false},
	    {"{{lower \"ABC d\"}}|{{upper .Names}}|{{title \"hello wide-world x_y\"}}",
	     "abc d|WEB|Hello Wide-World X_y", false},
	    {"{{truncate .Names 2}}|{{truncate .Names 9}}|[{{pad .Names 2 1}}]|[{{pad .E 2 1}}]",
	     "we|web|[  web ]|[]", false},
	    {"{{.Names | truncate 2}}", "<truncate 2>: wrong type for value; expected string; got int", true},
	    {"{{upper .N}}", "<upper .N>: wrong type for value; expected string; got int", true},
	    {"{{upper .Nil}}", "invalid value; expected string", true},
	    {"{{join .Names \",\"}}", "wrong type for value; expected []string; got string", true},
	    {"{{join .Mounts \",\"}}", "expected []string; got []interface {}", true},
	    {"{{upper \"a\" \"b\"}}", "wrong number of args for upper: want 1 got 2", true},
	    {"{{pad .Names -1 0}}", "error calling pad: -1 out of range", true},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

/* A table's header row is the template run on the titles with Docker's
 * header functions: upper, json, ... give back the title; pad pads it. */
static void test_table_header_functions(void **state)
{
	static const struct tmpl_header h[] = { { "Names", "NAMES" }, { NULL, NULL } };
	json_t *rows = json_pack("[{s:s, s:s, s:s}]", "Names", "web", "Image", "busybox", "Labels",
				 "x=1");
	char out[256], err[256];

	(void)state;
	assert_int_equal(print_caught("table {{.Names | upper}}\\t{{json .Image}}\\t{{pad .Names 1 0}}",
				      rows, h, out, err, 256), 0);
	assert_string_equal(out, "NAMES     IMAGE        NAMES\n"
				 "WEB       \"busybox\"    web\n");
	/* the header stops where Docker's does: .Label is no field of it */
	assert_int_equal(print_caught("table {{.Names}}\\t{{.Label \"x\"}}", rows, h, out, err, 256), 0);
	assert_string_equal(out, "NAMES     \nweb       1\n");
	/* no rows: the header alone */
	json_array_clear(rows);
	assert_int_equal(print_caught("table {{.Names}}\\t{{.Image}}", rows, h, out, err, 256), 0);
	assert_string_equal(out, "NAMES     IMAGE\n");
	json_decref(rows);
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
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_exec_errors),
		cmocka_unit_test(test_table_header_functions),
		cmocka_unit_test(test_go_functions),
		cmocka_unit_test(test_docker_functions),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
