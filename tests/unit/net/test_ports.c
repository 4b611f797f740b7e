#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/net/ports.h"

static void parse_ok(const char *spec, const char *ip, unsigned host, unsigned host_end,
		     unsigned ctr, unsigned ctr_end, bool udp)
{
	struct port_map p, q;
	struct berr e;
	char buf[64];

	if (port_parse(spec, &p, &e) != 0)
		fail_msg("%s: %s", spec, e.msg);
	assert_string_equal(p.ip, ip);
	assert_int_equal(p.host, host);
	assert_int_equal(p.host_end, host_end);
	assert_int_equal(p.ctr, ctr);
	assert_int_equal(p.ctr_end, ctr_end);
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

	parse_ok("8080:80", "0.0.0.0", 8080, 8080, 80, 80, false);
	parse_ok("8080:80/tcp", "0.0.0.0", 8080, 8080, 80, 80, false);
	parse_ok("53:5353/udp", "0.0.0.0", 53, 53, 5353, 5353, true);
	parse_ok("127.0.0.1:8080:80", "127.0.0.1", 8080, 8080, 80, 80, false);
	parse_ok("10.0.2.15:65535:1/udp", "10.0.2.15", 65535, 65535, 1, 1, true);
	/* a container port alone, or an empty host port: any ephemeral one */
	parse_ok("80", "0.0.0.0", 0, 0, 80, 80, false);
	parse_ok("80/udp", "0.0.0.0", 0, 0, 80, 80, true);
	parse_ok(":80", "0.0.0.0", 0, 0, 80, 80, false);
	parse_ok("127.0.0.1::80", "127.0.0.1", 0, 0, 80, 80, false);
	parse_ok("::80", "0.0.0.0", 0, 0, 80, 80, false);
	parse_ok(":8080:80", "0.0.0.0", 8080, 8080, 80, 80, false);
	/* ranges */
	parse_ok("8000-8002:80-82", "0.0.0.0", 8000, 8002, 80, 82, false);
	parse_ok("127.0.0.1:8000-8001:80-81/udp", "127.0.0.1", 8000, 8001, 80, 81, true);
	parse_ok("8000-8010:80", "0.0.0.0", 8000, 8010, 80, 80, false);
	parse_ok("80-81", "0.0.0.0", 0, 0, 80, 81, false);
	parse_ok("8080-8080:80-80", "0.0.0.0", 8080, 8080, 80, 80, false);
	assert_int_equal(port_parse("127.0.0.1:8080:80", &p, &e), 0);
	port_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:8080->80/tcp");
	port_spec(&p, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:8080:80/tcp");
	assert_int_equal(port_parse("8000-8002:80-82/udp", &p, &e), 0);
	port_spec(&p, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:8000-8002:80-82/udp");
	assert_int_equal(port_parse("80", &p, &e), 0);
	port_spec(&p, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0::80/tcp");
}

static void test_errors(void **state)
{
	const struct {
		const char *spec, *want;
	} bad[] = {
		{ "8080:80/sctp", "protocol must be tcp or udp" },
		{ "8080:80/", "protocol must be tcp or udp" },
		{ "80/", "protocol must be tcp or udp" },
		{ "", "bad container port" },
		{ "8080:", "bad container port" },
		{ "0:80", "bad host port" },
		{ "65536:80", "bad host port" },
		{ "8080:99999", "bad container port" },
		{ "80a:80", "bad host port" },
		{ "-1:80", "bad host port" },
		{ "1.2.3:8080:80", "bad host IP \"1.2.3\"" },
		{ "::1:8080:80", "bad host IP \"::1\"" },
		{ "a:b:c:d", "bad host IP" },
		/* ranges */
		{ "8002-8000:80", "bad host port" },
		{ "8000-:80", "bad host port" },
		{ "-8000:80", "bad host port" },
		{ "8000-8001-8002:80", "bad host port" },
		{ "8000:82-80", "bad container port" },
		{ "8000:80-", "bad container port" },
		{ "8000:0-2", "bad container port" },
		{ "8000-8001:80-82",
		  "invalid ranges specified for container and host Ports: 80-82 and 8000-8001" },
		{ "8000:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8000" },
		{ "127.0.0.1:8000-8003:80-81/udp",
		  "invalid ranges specified for container and host Ports: 80-81 and 8000-8003" },
	};
	struct port_map p;
	struct berr e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(port_parse(bad[i].spec, &p, &e), -EINVAL);
		if (!strstr(e.msg, bad[i].want) || !strstr(e.msg, bad[i].spec))
			fail_msg("%s: got \"%s\"", bad[i].spec, e.msg);
	}
}

static void test_expand(void **state)
{
	struct port_map p, v[PORTS_MAX];
	struct berr e;
	char buf[64];
	int n;

	assert_int_equal(port_parse("127.0.0.1:8000-8002:80-82/udp", &p, &e), 0);
	assert_int_equal(port_expand(&p, v, PORTS_MAX, &n, &e), 0);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		char want[64];
		snprintf(want, sizeof(want), "127.0.0.1:%d:%d/udp", 8000 + i, 80 + i);
		port_spec(&v[i], buf, sizeof(buf));
		assert_string_equal(buf, want);
	}
	/* container range, no host port: each one ephemeral */
	assert_int_equal(port_parse("80-81", &p, &e), 0);
	assert_int_equal(port_expand(&p, v, PORTS_MAX, &n, &e), 0);
	assert_int_equal(n, 2);
	port_spec(&v[1], buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0::81/tcp");
	/* a host range for one container port stays a range */
	assert_int_equal(port_parse("8000-8010:80", &p, &e), 0);
	assert_int_equal(port_expand(&p, v, PORTS_MAX, &n, &e), 0);
	assert_int_equal(n, 1);
	port_spec(&v[0], buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:8000-8010:80/tcp");
	/* too many */
	assert_int_equal(port_parse("1000-1100:1000-1100", &p, &e), 0);
	assert_int_equal(port_expand(&p, v, PORTS_MAX, &n, &e), -E2BIG);
	assert_non_null(strstr(e.msg, "too many published ports"));
}

static void test_conflicts(void **state)
{
	struct port_map a, b;
	struct berr e;

	assert_int_equal(port_parse("8080:80", &a, &e), 0);
	assert_int_equal(port_parse("127.0.0.1:8080:81", &b, &e), 0);
	assert_true(port_conflict(&a, &b));
	assert_int_equal(port_parse("8080:80/udp", &b, &e), 0);
	assert_false(port_conflict(&a, &b));
	assert_int_equal(port_parse("127.0.0.1:8080:80", &a, &e), 0);
	assert_int_equal(port_parse("127.0.0.2:8080:80", &b, &e), 0);
	assert_false(port_conflict(&a, &b));
	assert_int_equal(port_parse("8081:80", &b, &e), 0);
	assert_false(port_conflict(&a, &b));
	/* ranges overlap */
	assert_int_equal(port_parse("8000-8010:80", &a, &e), 0);
	assert_int_equal(port_parse("8010:90", &b, &e), 0);
	assert_true(port_conflict(&a, &b));
	assert_int_equal(port_parse("8011:90", &b, &e), 0);
	assert_false(port_conflict(&a, &b));
	/* an ephemeral one is not yet any port */
	assert_int_equal(port_parse("80", &b, &e), 0);
	assert_false(port_conflict(&a, &b));
}

static void test_pick(void **state)
{
	struct port_map taken[3], p;
	struct berr e;
	uint16_t last = 0;

	assert_int_equal(port_parse("8000:80", &taken[0], &e), 0);
	assert_int_equal(port_parse("32768:80", &taken[1], &e), 0);
	assert_int_equal(port_parse("127.0.0.1:32770:80/udp", &taken[2], &e), 0);
	/* fixed: its own port, unless taken */
	assert_int_equal(port_parse("8001:80", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 3, 32768, 32771, &last, &e), 0);
	assert_int_equal(p.host, 8001);
	assert_int_equal(port_parse("127.0.0.1:8000:80", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 3, 32768, 32771, &last, &e), -EADDRINUSE);
	assert_string_equal(e.msg, "Bind for 127.0.0.1:8000 failed: port is already allocated");
	/* a host range: its first free port */
	assert_int_equal(port_parse("7999-8002:80", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 1, 32768, 32771, &last, &e), 0);
	assert_int_equal(p.host, 7999);
	assert_int_equal(p.host_end, 7999);
	assert_int_equal(port_parse("8000-8000:80", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 1, 32768, 32771, &last, &e), -EADDRINUSE);
	/* ephemeral: the next free one after the last, wrapping round */
	assert_int_equal(port_parse("80", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 3, 32768, 32771, &last, &e), 0);
	assert_int_equal(p.host, 32769);
	assert_int_equal(last, 32769);
	assert_int_equal(port_parse("80", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 3, 32768, 32771, &last, &e), 0);
	assert_int_equal(p.host, 32770); /* 32770 is taken for udp only */
	assert_int_equal(port_parse("80/udp", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 3, 32768, 32771, &last, &e), 0);
	assert_int_equal(p.host, 32771);
	assert_int_equal(port_parse("80/udp", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 3, 32768, 32771, &last, &e), 0);
	assert_int_equal(p.host, 32768); /* wrapped; 32768 is taken for tcp only */
	/* all taken */
	last = 0;
	assert_int_equal(port_parse("127.0.0.1::80/udp", &p, &e), 0);
	assert_int_equal(port_pick(&p, taken, 3, 32770, 32770, &last, &e), -EADDRINUSE);
	assert_string_equal(e.msg, "Bind for 127.0.0.1:80/udp failed: all ports are allocated");
}

static void test_rules(void **state)
{
	struct port_map m[2];
	struct berr e;
	char buf[2048], small[40];

	assert_int_equal(port_parse("8080:80", &m[0], &e), 0);
	assert_int_equal(port_parse("127.0.0.1:53:53/udp", &m[1], &e), 0);
	assert_int_equal(port_rules(m, 2, "172.17.0.2", "berth0", true, buf, sizeof(buf), &e), 0);
	assert_string_equal(
		buf,
		"*nat\n"
		"-A BERTH -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n"
		"-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 "
		"-j MASQUERADE\n"
		"-A BERTH -d 127.0.0.1/32 -p udp -m udp --dport 53 -j DNAT "
		"--to-destination 172.17.0.2:53\n"
		"-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p udp -m udp --dport 53 "
		"-j MASQUERADE\n"
		"COMMIT\n"
		"*filter\n"
		"-A BERTH-FORWARD -d 172.17.0.2/32 ! -i berth0 -o berth0 -p tcp -m tcp --dport 80 -j ACCEPT\n"
		"-A BERTH-FORWARD -d 172.17.0.2/32 ! -i berth0 -o berth0 -p udp -m udp --dport 53 -j ACCEPT\n"
		"COMMIT\n");
	assert_int_equal(port_rules(m, 1, "172.17.0.2", "berth0", false, buf, sizeof(buf), &e), 0);
	assert_non_null(strstr(buf, "-D BERTH -p tcp"));
	assert_non_null(strstr(buf, "-D POSTROUTING -s 172.17.0.2/32"));
	assert_null(strstr(buf, "-A "));
	assert_int_equal(port_rules(m, 2, "172.17.0.2", "berth0", true, small, sizeof(small), &e),
			 -ENOSPC);
}

static void test_list(void **state)
{
	struct port_map v[4];
	char buf[64];

	assert_int_equal(port_list_parse("0.0.0.0:8080:80/tcp,127.0.0.1:32768:53/udp,junk", v, 4), 2);
	port_spec(&v[1], buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:32768:53/udp");
	assert_int_equal(port_list_parse("", v, 4), 0);
	assert_int_equal(port_list_parse(NULL, v, 4), 0);
	assert_int_equal(port_list_parse("1:1,2:2,3:3", v, 2), 2);
}

static void test_list_format(void **state)
{
	struct port_map v[8];
	char buf[256], small[20];
	int n = port_list_parse("0.0.0.0:8000:80/tcp,0.0.0.0:8001:81/tcp,0.0.0.0:8002:82/tcp,"
				"127.0.0.1:8003:83/tcp,127.0.0.1:8004:84/udp,0.0.0.0:9000:90/tcp,"
				"0.0.0.0:9002:91/tcp",
				v, 8);

	assert_int_equal(n, 7);
	port_list_format(v, n, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:8000-8002->80-82/tcp, 127.0.0.1:8003->83/tcp, "
				 "127.0.0.1:8004->84/udp, 0.0.0.0:9000->90/tcp, 0.0.0.0:9002->91/tcp");
	port_list_format(v, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	port_list_format(v, n, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_list_rules(void **state)
{
	const char *picked = "0.0.0.0:8080:80/tcp,127.0.0.1:53:53/udp";
	struct port_map m[2];
	struct berr e;
	char buf[2048], want[2048], small[40];

	/* none: 0, nothing written */
	strcpy(buf, "x");
	assert_int_equal(port_list_rules("", "172.17.0.2", "berth0", true, buf, sizeof(buf), &e),
			 0);
	assert_int_equal(port_list_rules(NULL, "172.17.0.2", "berth0", true, buf, sizeof(buf), &e),
			 0);
	assert_string_equal(buf, "x");
	/* the state's list: the rules of its maps, one transaction */
	assert_int_equal(port_list_parse(picked, m, 2), 2);
	assert_int_equal(port_rules(m, 2, "172.17.0.2", "berth0", false, want, sizeof(want), &e),
			 0);
	assert_int_equal(
	    port_list_rules(picked, "172.17.0.2", "berth0", false, buf, sizeof(buf), &e), 2);
	assert_string_equal(buf, want);
	assert_int_equal(
	    port_list_rules(picked, "172.17.0.2", "berth0", true, small, sizeof(small), &e),
	    -ENOSPC);
}

static void test_ephemeral_range(void **state)
{
	uint16_t lo, hi;

	port_ephemeral_range("1024\t65000\n", &lo, &hi);
	assert_int_equal(lo, 1024);
	assert_int_equal(hi, 65000);
	port_ephemeral_range("40000 40000", &lo, &hi);
	assert_int_equal(lo, 40000);
	assert_int_equal(hi, 40000);
	/* anything else: the kernel's default */
	const char *bad[] = {NULL, "", "junk", "0 10", "10 5", "5 70000", "12345"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lo = hi = 1;
		port_ephemeral_range(bad[i], &lo, &hi);
		assert_int_equal(lo, 32768);
		assert_int_equal(hi, 60999);
	}
}

static void test_pick_list(void **state)
{
	char *mixed[] = {"8080:80", "53", NULL}, *ranges[] = {"8000-8001:80", "8000-8001:81", NULL};
	char *busy[] = {"8080:80", NULL}, *eph[] = {"80", NULL}, *udp[] = {"53:53/udp", NULL};
	char *bad[] = {"8080:80", "80:x", NULL};
	const char *held[] = {"0.0.0.0:8080:80/tcp", "0.0.0.0:40000:1/tcp,0.0.0.0:40001:2/tcp"};
	char out[PORTS_TEXT_MAX], small[24];
	uint16_t last = 0;
	struct berr e;

	/* nothing published */
	assert_int_equal(port_pick_list(NULL, held, 2, 40000, 40010, &last, out, sizeof(out), &e),
			 0);
	assert_string_equal(out, "");
	/* a fixed port and an ephemeral one, held ports skipped (each list's every item) */
	assert_int_equal(
	    port_pick_list(mixed, held + 1, 1, 40000, 40010, &last, out, sizeof(out), &e), 0);
	assert_string_equal(out, "0.0.0.0:8080:80/tcp,0.0.0.0:40002:53/tcp");
	assert_int_equal(last, 40002);
	last = 0;
	assert_int_equal(
	    port_pick_list(eph, held + 1, 1, 40000, 40010, &last, out, sizeof(out), &e), 0);
	assert_string_equal(out, "0.0.0.0:40002:80/tcp");
	/* its own picks count: two ranges share two ports */
	assert_int_equal(port_pick_list(ranges, NULL, 0, 40000, 40010, &last, out, sizeof(out), &e),
			 0);
	assert_string_equal(out, "0.0.0.0:8000:80/tcp,0.0.0.0:8001:81/tcp");
	/* held by a running container: Docker's message, nothing picked */
	assert_int_equal(port_pick_list(busy, held, 2, 40000, 40010, &last, out, sizeof(out), &e),
			 -EADDRINUSE);
	assert_string_equal(e.msg, "Bind for 0.0.0.0:8080 failed: port is already allocated");
	assert_string_equal(out, "");
	/* tcp and udp do not clash */
	assert_int_equal(port_pick_list(udp, (const char *[]){"0.0.0.0:53:53/tcp"}, 1, 40000, 40010,
					&last, out, sizeof(out), &e),
			 0);
	assert_string_equal(out, "0.0.0.0:53:53/udp");
	/* a bad spec, or no room to record: nothing picked */
	assert_int_equal(port_pick_list(bad, NULL, 0, 40000, 40010, &last, out, sizeof(out), &e),
			 -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(
	    port_pick_list(mixed, NULL, 0, 40000, 40010, &last, small, sizeof(small), &e), -ENOSPC);
	assert_string_equal(small, "");
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_format),
		cmocka_unit_test(test_list_rules),
		cmocka_unit_test(test_ephemeral_range),
		cmocka_unit_test(test_pick_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
