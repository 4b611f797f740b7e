#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "init/supervisor/control.h"
#include "runtime/lib/proto.h"

static void test_split_quoting(void **state)
{
	char line[] = "run  -e 'A=b c' \"x \\\"y\\\"\" back\\ slash ''\t end";
	char *argv[16];
	struct berr e;

	assert_int_equal(proto_split(line, argv, 15, &e), 7);
	assert_string_equal(argv[0], "run");
	assert_string_equal(argv[1], "-e");
	assert_string_equal(argv[2], "A=b c");
	assert_string_equal(argv[3], "x \"y\"");
	assert_string_equal(argv[4], "back slash");
	assert_string_equal(argv[5], "");
	assert_string_equal(argv[6], "end");
	assert_null(argv[7]);
}

static void test_split_errors(void **state)
{
	char *argv[4];
	struct berr e;
	char unterminated[] = "ps 'oops";
	char control[] = "ps \x01\x02";
	char toomany[] = "a b c d e";
	char trailing[] = "ps \\";

	assert_int_equal(proto_split(unterminated, argv, 3, &e), -22);
	assert_non_null(strstr(e.msg, "unterminated"));
	assert_int_equal(proto_split(control, argv, 3, &e), -22);
	assert_non_null(strstr(e.msg, "control byte 0x01"));
	assert_int_equal(proto_split(toomany, argv, 3, &e), -7);
	assert_int_equal(proto_split(trailing, argv, 3, &e), -22);
}

static void test_round_trip(void **state)
{
	char *in[] = { "run", "--name", "web", "sh", "-c", "echo 'hi' \"there\" $HOME; exit 3",
		       "", "@notreply", "tab\there", NULL };
	char buf[PROTO_LINE_MAX + 1];
	struct proto_request req;
	struct berr e;
	int len = proto_format_request(buf, sizeof(buf), "/run/berth/reply/12-ab", 9, in, &e);

	assert_true(len > 0);
	assert_int_equal(buf[len - 1], '\n');
	assert_int_equal(proto_parse_request(buf, &req, &e), 0);
	assert_string_equal(req.reply, "/run/berth/reply/12-ab");
	assert_int_equal(req.argc, 9);
	for (int i = 0; i < 9; i++)
		assert_string_equal(req.argv[i], in[i]);
}

static void test_format_limits(void **state)
{
	static char big[5000];
	char *in[] = { "run", big, NULL };
	char *ctl[] = { "run", "a\nb", NULL };
	char buf[PROTO_LINE_MAX + 1];
	struct berr e;

	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(proto_format_request(buf, sizeof(buf), NULL, 2, in, &e), -7);
	assert_non_null(strstr(e.msg, "4096"));
	assert_int_equal(proto_format_request(buf, sizeof(buf), NULL, 2, ctl, &e), -22);
}

static void test_request_without_reply(void **state)
{
	char line[] = "ps -a";
	struct proto_request req;
	struct berr e;
	char empty[] = "   ";
	char bad[] = "@ ps";

	assert_int_equal(proto_parse_request(line, &req, &e), 0);
	assert_null(req.reply);
	assert_int_equal(req.argc, 2);
	assert_int_equal(proto_parse_request(empty, &req, &e), 0);
	assert_int_equal(req.argc, 0);
	assert_int_equal(proto_parse_request(bad, &req, &e), -22);
}

static void test_status_line(void **state)
{
	int code = -1;

	assert_int_equal(proto_status_line("@status 0\n", &code), 1);
	assert_int_equal(code, 0);
	assert_int_equal(proto_status_line("@status 125\n", &code), 1);
	assert_int_equal(code, 125);
	assert_int_equal(proto_status_line("@status 300\n", &code), 0);
	assert_int_equal(proto_status_line("@status x\n", &code), 0);
	assert_int_equal(proto_status_line("status 1\n", &code), 0);
	assert_int_equal(proto_status_line("@status 1 trailing\n", &code), 0);
}

static void test_reply_path_rules(void **state)
{
	const char *dir = "/run/berth/reply";

	assert_true(ctl_reply_path_ok(dir, "/run/berth/reply/123-abc"));
	assert_false(ctl_reply_path_ok(dir, "/run/berth/reply/"));
	assert_false(ctl_reply_path_ok(dir, "/run/berth/reply/../control"));
	assert_false(ctl_reply_path_ok(dir, "/run/berth/reply/a/b"));
	assert_false(ctl_reply_path_ok(dir, "/run/berth/replyx/a"));
	assert_false(ctl_reply_path_ok(dir, "/etc/passwd"));
	assert_false(ctl_reply_path_ok(dir, "/run/berth/reply/.."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_quoting),	  cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_round_trip),	  cmocka_unit_test(test_format_limits),
		cmocka_unit_test(test_request_without_reply), cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_reply_path_rules),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
