#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cli/flags.h"
#include "runtime/lib/merge.h"

struct opts {
	bool detach, interactive, tty, rm;
	const char *name, *hostname;
	int timeout;
	int64_t interval;
	struct strv env, publish;
};

#define O(f) struct opts, f
static const struct flg flags[] = {
	FLG_BOOL('d', "detach", O(detach), "Run in the background"),
	FLG_STRINGS('e', "env", O(env), "Set environment variables"),
	FLG_DURATION(0, "health-interval", O(interval), "Time between checks"),
	FLG_STRING('h', "hostname", O(hostname), "Container host name"),
	FLG_BOOL('i', "interactive", O(interactive), "Keep STDIN open"),
	FLG_STRING(0, "name", O(name), "Assign a `NAME`"),
	FLG_STRING(0, "net", O(name), NULL),
	FLG_STRINGS('p', "publish", O(publish), "Publish ports"),
	FLG_BOOL(0, "rm", O(rm), "Remove when it exits"),
	FLG_INT(0, "stop-timeout", O(timeout), "Timeout (in seconds)"),
	FLG_BOOL('t', "tty", O(tty), "Allocate a pseudo-TTY"),
	FLG_END,
};

static const struct flg_cmd run = {
	.path = "run",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.desc = "Create and start a container",
	.flags = flags,
	.min_args = 1,
	.max_args = -1,
	.stop_at_operand = true,
};

/* the same table, flags and operands in any order, no -h of its own */
static const struct flg logs_flags[] = {
	FLG_BOOL('f', "follow", O(detach), "Follow log output"),
	FLG_STRING('n', "tail", O(name), "Number of lines"),
	FLG_END,
};

static const struct flg_cmd logs = {
	.path = "logs",
	.usage = "[OPTIONS] CONTAINER",
	.desc = "Show a container's output",
	.flags = logs_flags,
	.min_args = 1,
	.max_args = 1,
};

static int parse(const struct flg_cmd *c, struct opts *o, struct flg_out *out, struct berr *e,
		 char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(o, 0, sizeof(*o));
	return flg_parse(c, o, argc, argv, out, e);
}

static void free_opts(struct opts *o)
{
	strv_free(&o->env);
	strv_free(&o->publish);
}

static void test_long_forms(void **state)
{
	char *argv[] = { "run", "--name=web", "--stop-timeout", "5", "--rm", "--detach=false",
			 "--health-interval", "1m30s", "busybox", NULL };
	struct flg_out out;
	struct opts o;
	struct berr e;

	assert_int_equal(parse(&run, &o, &out, &e, argv), 0);
	assert_string_equal(o.name, "web");
	assert_int_equal(o.timeout, 5);
	assert_true(o.rm);
	assert_false(o.detach);
	assert_int_equal(o.interval, 90000000000ll);
	assert_int_equal(out.argc, 1);
	assert_string_equal(out.argv[0], "busybox");
	assert_null(out.argv[1]); /* the tail of argv */
	assert_true(flg_given(&run, &out, "detach"));
	assert_true(flg_given(&run, &out, "name"));
	assert_false(flg_given(&run, &out, "tty"));
	free_opts(&o);
}

static void test_short_forms(void **state)
{
	char *argv[] = { "run", "-dit", "-p80:80", "-p", "81:81", "-eK=V", "-e=A=B", "-dp",
			 "82:82", "-h", "box", "busybox", NULL };
	struct flg_out out;
	struct opts o;
	struct berr e;

	assert_int_equal(parse(&run, &o, &out, &e, argv), 0);
	assert_true(o.detach && o.interactive && o.tty);
	assert_int_equal(o.publish.n, 3);
	assert_string_equal(o.publish.v[0], "80:80");
	assert_string_equal(o.publish.v[1], "81:81");
	assert_string_equal(o.publish.v[2], "82:82");
	assert_int_equal(o.env.n, 2);
	assert_string_equal(o.env.v[0], "K=V");
	assert_string_equal(o.env.v[1], "A=B");
	assert_string_equal(o.hostname, "box");
	assert_int_equal(out.argc, 1);
	free_opts(&o);
}

/* run takes a command: the flags end at the image; "--" ends them too. */
static void test_operands_and_command(void **state)
{
	char *argv[] = { "run", "-t", "busybox", "sh", "-c", "--rm", NULL };
	char *argv2[] = { "run", "--", "-weird", "-d", NULL };
	char *argv3[] = { "run", "-", NULL };
	struct flg_out out;
	struct opts o;
	struct berr e;

	assert_int_equal(parse(&run, &o, &out, &e, argv), 0);
	assert_true(o.tty);
	assert_false(o.rm);
	assert_int_equal(out.argc, 4);
	assert_ptr_equal(out.argv, argv + 2);
	assert_string_equal(out.argv[0], "busybox");
	assert_string_equal(out.argv[2], "-c");
	assert_string_equal(out.argv[3], "--rm");
	assert_null(out.argv[4]);
	assert_int_equal(parse(&run, &o, &out, &e, argv2), 0);
	assert_false(o.detach);
	assert_int_equal(out.argc, 2);
	assert_string_equal(out.argv[0], "-weird");
	assert_int_equal(parse(&run, &o, &out, &e, argv3), 0);
	assert_int_equal(out.argc, 1);
	assert_string_equal(out.argv[0], "-");
}

/* Without a command, flags may follow the operands (logs web -f). */
static void test_interspersed(void **state)
{
	char *argv[] = { "logs", "web", "-f", "--tail", "3", NULL };
	struct flg_out out;
	struct opts o;
	struct berr e;

	assert_int_equal(parse(&logs, &o, &out, &e, argv), 0);
	assert_true(o.detach);
	assert_string_equal(o.name, "3");
	assert_int_equal(out.argc, 1);
	assert_ptr_equal(out.argv, argv + 1);
	/* the operands first, then the flags' words, each in their order */
	assert_string_equal(argv[1], "web");
	assert_string_equal(argv[2], "-f");
	assert_string_equal(argv[3], "--tail");
	assert_string_equal(argv[4], "3");
	assert_null(argv[5]);
}

/* "--" ends the flags; the words after it are operands too. */
static void test_interspersed_dashdash(void **state)
{
	char *argv[] = { "logs", "-f", "a", "--tail", "3", "b", "--", "-c", NULL };
	char *want[] = { "logs", "a", "b", "-c", "-f", "--tail", "3", "--", NULL };
	struct flg_cmd c = logs;
	struct flg_out out;
	struct opts o;
	struct berr e;

	c.max_args = -1;
	assert_int_equal(parse(&c, &o, &out, &e, argv), 0);
	assert_int_equal(out.argc, 3);
	for (int i = 0; want[i]; i++)
		assert_string_equal(argv[i], want[i]);
}

static void expect_error(const struct flg_cmd *c, char **argv, int code, const char *msg)
{
	struct flg_out out;
	struct opts o;
	struct berr e;

	assert_int_equal(parse(c, &o, &out, &e, argv), code);
	assert_string_equal(e.msg, msg);
	free_opts(&o);
}

static void test_flag_errors(void **state)
{
	expect_error(&run, (char *[]){ "run", "--foo", "x", NULL }, -EINVAL, "unknown flag: --foo");
	expect_error(&run, (char *[]){ "run", "--foo=1", "x", NULL }, -EINVAL,
		     "unknown flag: --foo");
	expect_error(&run, (char *[]){ "run", "-z", "x", NULL }, -EINVAL,
		     "unknown shorthand flag: 'z' in -z");
	expect_error(&run, (char *[]){ "run", "-dz", "x", NULL }, -EINVAL,
		     "unknown shorthand flag: 'z' in -dz");
	expect_error(&run, (char *[]){ "run", "--name", NULL }, -EINVAL,
		     "flag needs an argument: --name");
	expect_error(&run, (char *[]){ "run", "-dp", NULL }, -EINVAL,
		     "flag needs an argument: 'p' in -dp");
	expect_error(&run, (char *[]){ "run", "---x", "x", NULL }, -EINVAL,
		     "bad flag syntax: ---x");
	expect_error(&run, (char *[]){ "run", "--stop-timeout", "soon", "x", NULL }, -EINVAL,
		     "invalid argument \"soon\" for \"--stop-timeout\" flag: invalid syntax");
	expect_error(&run, (char *[]){ "run", "--stop-timeout=99999999999", "x", NULL }, -EINVAL,
		     "invalid argument \"99999999999\" for \"--stop-timeout\" flag: value out of "
		     "range");
	expect_error(&run, (char *[]){ "run", "--rm=maybe", "x", NULL }, -EINVAL,
		     "invalid argument \"maybe\" for \"--rm\" flag: invalid syntax");
	expect_error(&run, (char *[]){ "run", "-d=no", "x", NULL }, -EINVAL,
		     "invalid argument \"no\" for \"-d, --detach\" flag: invalid syntax");
}

static void test_duration_error(void **state)
{
	char *argv[] = { "run", "--health-interval", "5x", "x", NULL };
	struct flg_out out;
	struct opts o;
	struct berr e;

	assert_int_equal(parse(&run, &o, &out, &e, argv), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid argument \"5x\" for \"--health-interval\" flag"));
}

static void test_operand_counts(void **state)
{
	struct flg_cmd c = logs;

	expect_error(&run, (char *[]){ "run", "-d", NULL }, -E2BIG,
		     "\"run\" requires at least 1 argument.");
	expect_error(&logs, (char *[]){ "logs", NULL }, -E2BIG,
		     "\"logs\" requires exactly 1 argument.");
	expect_error(&logs, (char *[]){ "logs", "a", "b", NULL }, -E2BIG,
		     "\"logs\" requires exactly 1 argument.");
	c.min_args = 0;
	c.max_args = 0;
	expect_error(&c, (char *[]){ "logs", "a", NULL }, -E2BIG,
		     "\"logs\" accepts no arguments.");
	c.max_args = 2;
	expect_error(&c, (char *[]){ "logs", "a", "b", "c", NULL }, -E2BIG,
		     "\"logs\" requires at most 2 arguments.");
	c.min_args = 1;
	expect_error(&c, (char *[]){ "logs", NULL }, -E2BIG,
		     "\"logs\" requires at least 1 and at most 2 arguments.");
	c.min_args = 2;
	c.max_args = -1;
	expect_error(&c, (char *[]){ "logs", "a", NULL }, -E2BIG,
		     "\"logs\" requires at least 2 arguments.");
}

static void test_help(void **state)
{
	struct flg_out out;
	struct opts o;
	struct berr e;

	assert_int_equal(parse(&run, &o, &out, &e, (char *[]){ "run", "--help", NULL }),
			 FLG_HELP);
	/* run has -h (hostname); logs does not: -h asks for help there */
	assert_int_equal(parse(&run, &o, &out, &e, (char *[]){ "run", "-h", NULL }), -EINVAL);
	assert_int_equal(parse(&logs, &o, &out, &e, (char *[]){ "logs", "-fh", NULL }), FLG_HELP);
	assert_true(flg_is_help(&logs, "-h"));
	assert_false(flg_is_help(&run, "-h"));
	assert_true(flg_is_help(&run, "--help"));
	/* after the command, --help belongs to the command */
	assert_int_equal(parse(&run, &o, &out, &e, (char *[]){ "run", "img", "--help", NULL }), 0);
}

static void test_help_text(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	flg_help(&run, f);
	fclose(f);
	assert_non_null(strstr(text, "\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
					 "Create and start a container\n\nOptions:\n"));
	/* pflag's columns: the help three spaces after the longest left part */
	assert_non_null(
		strstr(text, "\n  -d, --detach                     Run in the background\n"));
	assert_non_null(strstr(text, "\n      --health-interval duration   Time between checks\n"));
	assert_non_null(strstr(text, "\n  -e, --env list   "));
	assert_non_null(strstr(text, "\n      --name NAME    "));
	assert_non_null(strstr(text, "Assign a NAME\n"));
	assert_null(strstr(text, "--net "));
	free(text);
}

static void test_subcommands(void **state)
{
	static const struct flg_cmd ls = { .path = "volume ls", .usage = "[OPTIONS]",
					   .desc = "List volumes", .aliases = "list l" };
	static const struct flg_cmd rm = { .path = "volume rm", .usage = "VOLUME...",
					   .desc = "Remove volumes", .hidden = true };
	static const struct flg_cmd *const cmds[] = { &ls, &rm, NULL };
	static const struct flg_cmd vol = { .path = "volume", .usage = "COMMAND",
					    .desc = "Manage volumes", .cmds = cmds };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_ptr_equal(flg_find_cmd(&vol, "ls"), &ls);
	assert_ptr_equal(flg_find_cmd(&vol, "list"), &ls);
	assert_ptr_equal(flg_find_cmd(&vol, "l"), &ls);
	assert_ptr_equal(flg_find_cmd(&vol, "rm"), &rm);
	assert_null(flg_find_cmd(&vol, "lis"));
	f = open_memstream(&text, &len);
	flg_help(&vol, f);
	flg_help(&ls, f);
	fclose(f);
	assert_non_null(strstr(text, "Commands:\n  ls          List volumes\n\nRun 'berth volume "
				     "COMMAND --help' for more information on a command.\n"));
	assert_null(strstr(text, "Remove volumes"));
	assert_non_null(strstr(text, "Aliases:\n  berth volume ls, berth volume list, berth "
				     "volume l\n"));
	free(text);
}

/* Flags described for --help only: parsed, stored nowhere. */
static void test_doc_only(void **state)
{
	static const struct flg doc[] = {
		FLG_DOC(FLG_T_INT, 't', "time", "Seconds to wait"),
		FLG_END,
	};
	static const struct flg_cmd c = { .path = "restart", .usage = "CONTAINER...",
					  .desc = "Restart", .flags = doc, .max_args = -1 };
	char *argv[] = { "restart", "-t", "5", "web", NULL };
	struct flg_out out;
	struct berr e;

	assert_int_equal(flg_parse(&c, NULL, 4, argv, &out, &e), 0);
	assert_int_equal(out.argc, 1);
	assert_true(flg_given(&c, &out, "time"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_forms),	   cmocka_unit_test(test_short_forms),
		cmocka_unit_test(test_operands_and_command), cmocka_unit_test(test_interspersed),
		cmocka_unit_test(test_interspersed_dashdash),
		cmocka_unit_test(test_flag_errors),	   cmocka_unit_test(test_duration_error),
		cmocka_unit_test(test_operand_counts),	   cmocka_unit_test(test_help),
		cmocka_unit_test(test_help_text),	   cmocka_unit_test(test_subcommands),
		cmocka_unit_test(test_doc_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
