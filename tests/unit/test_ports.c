// sources: runtime/ports.c runtime/err.c
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/ports.h"

static void parse_ok(const char *spec, const char *ip, unsigned host, unsigned ctr, bool udp)
{
	struct port_map p, q;
	struct berr e;
	char buf[64];

	if (port_parse(spec, &p, &e) != 0)
		fail_msg("%s: %s", spec, e.msg);
	assert_string_equal(p.ip, ip);
	assert_int_equal(p.host, host);
	assert_int_equal(p.ctr, ctr);
	assert_int_equal(p.udp, udp);
	/* the canonical form reads back the same */
	port_spec(&p, buf, sizeof(buf));
	assert_int_equal(port_parse(buf, &q, &e), 0);
	assert_memory_equal(&p, &q, sizeof(p));
}

static void test_forms(void **state)
{
	char buf[64];
	struct port_map p;
	struct berr e;

	parse_ok("8080:80", "0.0.0.0", 8080, 80, false);
	parse_ok("8080:80/tcp", "0.0.0.0", 8080, 80, false);
	parse_ok("53:5353/udp", "0.0.0.0", 53, 5353, true);
	parse_ok("127.0.0.1:8080:80", "127.0.0.1", 8080, 80, false);
	parse_ok("10.0.2.15:65535:1/udp", "10.0.2.15", 65535, 1, true);
	port_parse("127.0.0.1:8080:80", &p, &e);
	port_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:8080->80/tcp");
	port_spec(&p, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:8080:80/tcp");
}

static void test_errors(void **state)
{
	const struct {
		const char *spec, *want;
	} bad[] = {
		{ "80", "want [IP:]HOSTPORT:CTRPORT[/udp]" },
		{ "80/udp", "want [IP:]HOSTPORT:CTRPORT" },
		{ "8080:80/sctp", "protocol must be tcp or udp" },
		{ "8080:80/", "protocol must be tcp or udp" },
		{ ":80", "bad host port" },
		{ "8080:", "bad container port" },
		{ "0:80", "bad host port" },
		{ "65536:80", "bad host port" },
		{ "8080:99999", "bad container port" },
		{ "80a:80", "bad host port" },
		{ "-1:80", "bad host port" },
		{ "1.2.3:8080:80", "bad host IP \"1.2.3\"" },
		{ ":8080:80", "bad host IP" },
		{ "::1:8080:80", "bad host IP" },
	};
	struct port_map p;
	struct berr e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(port_parse(bad[i].spec, &p, &e), -EINVAL);
		if (!strstr(e.msg, bad[i].want) || !strstr(e.msg, bad[i].spec))
			fail_msg("%s: got \"%s\"", bad[i].spec, e.msg);
	}
}

static void test_conflicts(void **state)
{
	struct port_map a, b;
	struct berr e;

	port_parse("8080:80", &a, &e);
	port_parse("127.0.0.1:8080:81", &b, &e);
	assert_true(port_conflict(&a, &b));
	port_parse("8080:80/udp", &b, &e);
	assert_false(port_conflict(&a, &b));
	port_parse("127.0.0.1:8080:80", &a, &e);
	port_parse("127.0.0.2:8080:80", &b, &e);
	assert_false(port_conflict(&a, &b));
	port_parse("8081:80", &b, &e);
	assert_false(port_conflict(&a, &b));
}

static void test_rules(void **state)
{
	struct port_map m[2];
	struct berr e;
	char buf[1024], small[40];

	port_parse("8080:80", &m[0], &e);
	port_parse("127.0.0.1:53:53/udp", &m[1], &e);
	assert_int_equal(port_rules(m, 2, "172.17.0.2", "berth0", true, buf, sizeof(buf), &e), 0);
	assert_string_equal(
		buf,
		"*nat\n"
		"-A BERTH ! -i berth0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n"
		"-A BERTH -d 127.0.0.1/32 ! -i berth0 -p udp -m udp --dport 53 -j DNAT "
		"--to-destination 172.17.0.2:53\n"
		"COMMIT\n"
		"*filter\n"
		"-A BERTH-FORWARD -d 172.17.0.2/32 ! -i berth0 -o berth0 -p tcp -m tcp --dport 80 -j ACCEPT\n"
		"-A BERTH-FORWARD -d 172.17.0.2/32 ! -i berth0 -o berth0 -p udp -m udp --dport 53 -j ACCEPT\n"
		"COMMIT\n");
	assert_int_equal(port_rules(m, 1, "172.17.0.2", "berth0", false, buf, sizeof(buf), &e), 0);
	assert_non_null(strstr(buf, "-D BERTH ! -i berth0 -p tcp"));
	assert_null(strstr(buf, "-A "));
	assert_int_equal(port_rules(m, 2, "172.17.0.2", "berth0", true, small, sizeof(small), &e),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
