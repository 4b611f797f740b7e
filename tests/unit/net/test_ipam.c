#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/net/ipam.h"
#include "runtime/lib/util.h"

#define A(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static void id_of(int n, char id[65])
{
	snprintf(id, 65, "%064x", n);
}

static uint32_t alloc_ok(struct ipam *p, int n)
{
	struct berr e;
	char id[65];
	uint32_t a = 0;

	id_of(n, id);
	assert_int_equal(ipam_alloc(p, id, &a, &e), 0);
	return a;
}

static void test_order_skips_network_gateway_broadcast(void **state)
{
	struct ipam p;
	struct berr e;
	char id[65];
	uint32_t a;

	assert_int_equal(ipam_init(&p, "172.17.0.1/16", &e), 0);
	assert_int_equal(alloc_ok(&p, 1), A(172, 17, 0, 2));
	assert_int_equal(alloc_ok(&p, 2), A(172, 17, 0, 3));
	/* the same container keeps its address */
	assert_int_equal(alloc_ok(&p, 1), A(172, 17, 0, 2));
	ipam_free(&p);
	/* a gateway that is not .1: the address below it is handed out too */
	assert_int_equal(ipam_init(&p, "10.9.0.2/29", &e), 0);
	assert_int_equal(alloc_ok(&p, 1), A(10, 9, 0, 1));
	assert_int_equal(alloc_ok(&p, 2), A(10, 9, 0, 3));
	for (int i = 3; i <= 5; i++)
		alloc_ok(&p, i);
	/* .0 network, .2 gateway, .7 broadcast: 5 hosts, all taken */
	id_of(7, id);
	assert_int_equal(ipam_alloc(&p, id, &a, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "no free address left in 10.9.0.0/29"));
	for (int i = 0; i < p.n; i++) {
		assert_int_not_equal(p.v[i].addr, A(10, 9, 0, 0));
		assert_int_not_equal(p.v[i].addr, A(10, 9, 0, 2));
		assert_int_not_equal(p.v[i].addr, A(10, 9, 0, 7));
	}
	ipam_free(&p);
}

static void test_no_duplicates_release_reuse(void **state)
{
	struct ipam p;
	struct berr e;
	char id[65];

	assert_int_equal(ipam_init(&p, "172.17.0.1/16", &e), 0);
	/* past the first /24: 172.17.0.255 and 172.17.1.0 are hosts in a /16 */
	for (int i = 1; i <= 600; i++)
		alloc_ok(&p, i);
	for (int i = 1; i < p.n; i++)
		assert_true(p.v[i - 1].addr < p.v[i].addr);
	assert_int_equal(ipam_lookup(&p, (id_of(600, id), id)), A(172, 17, 2, 89));
	id_of(10, id);
	assert_int_equal(ipam_release(&p, id), 0);
	assert_int_equal(ipam_release(&p, id), -ENOENT);
	assert_int_equal(ipam_lookup(&p, id), 0);
	/* the freed address goes to the next one asking */
	assert_int_equal(alloc_ok(&p, 1000), A(172, 17, 0, 11));
	assert_int_equal(alloc_ok(&p, 1001), A(172, 17, 2, 90));
	ipam_free(&p);
}

static void test_exhaustion_then_release(void **state)
{
	struct ipam p;
	struct berr e;
	char id[65];
	uint32_t a;

	assert_int_equal(ipam_init(&p, "192.168.5.1/24", &e), 0);
	for (int i = 1; i <= 253; i++)
		alloc_ok(&p, i);
	id_of(254, id);
	assert_int_equal(ipam_alloc(&p, id, &a, &e), -ENOSPC);
	assert_int_equal(p.n, 253);
	id_of(100, id);
	assert_int_equal(ipam_release(&p, id), 0);
	assert_int_equal(alloc_ok(&p, 254), A(192, 168, 5, 101));
	ipam_free(&p);
}

static void test_bad_subnets(void **state)
{
	struct ipam p;
	struct berr e;
	const char *bad[] = { "172.17.0.1", "172.17.0.1/", "172.17.0.1/31", "172.17.0.1/0",
			      "172.17.0/16", "172.17.0.0/16", "172.17.255.255/16", "x/8",
			      "172.17.0.1/16x" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(ipam_init(&p, bad[i], &e), -EINVAL);
		assert_non_null(strstr(e.msg, bad[i]));
	}
}

static void test_persistence_round_trip(void **state)
{
	char dir[] = "/tmp/berth-ipam-XXXXXX", path[64], cmd[96], id[65];
	struct ipam p, q;
	struct berr e;
	_cleanup_free_ char *t1 = NULL, *t2 = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ipam", dir);
	assert_int_equal(ipam_init(&p, "172.17.0.1/16", &e), 0);
	/* a missing file is an empty table */
	assert_int_equal(ipam_load(&p, path, &e), 0);
	assert_int_equal(p.n, 0);
	for (int i = 1; i <= 5; i++)
		alloc_ok(&p, i);
	id_of(3, id);
	assert_int_equal(ipam_release(&p, id), 0);
	assert_int_equal(ipam_save(&p, path, &e), 0);
	assert_int_equal(ipam_init(&q, "172.17.0.1/16", &e), 0);
	assert_int_equal(ipam_load(&q, path, &e), 0);
	t1 = ipam_format(&p);
	t2 = ipam_format(&q);
	assert_string_equal(t1, t2);
	assert_non_null(strstr(t1, "subnet 172.17.0.1/16\n172.17.0.2 "));
	/* no duplicate after a restart: the hole is filled, then new ones */
	assert_int_equal(alloc_ok(&q, 6), A(172, 17, 0, 4));
	assert_int_equal(alloc_ok(&q, 7), A(172, 17, 0, 7));
	ipam_free(&p);
	ipam_free(&q);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void expect_bad(const char *text, const char *want)
{
	struct ipam p;
	struct berr e;

	assert_int_equal(ipam_init(&p, "172.17.0.1/16", &e), 0);
	assert_int_equal(ipam_parse(&p, text, &e), -EINVAL);
	if (!strstr(e.msg, want))
		fail_msg("\"%s\" not in \"%s\"", want, e.msg);
	assert_int_equal(p.n, 0);
	ipam_free(&p);
}

static void test_bad_state_refused(void **state)
{
	char good[200], dup[300], twice[300], id1[65], id2[65];

	id_of(1, id1);
	id_of(2, id2);
	snprintf(good, sizeof(good), "subnet 172.17.0.1/16\n172.17.0.2 %s\n", id1);
	snprintf(dup, sizeof(dup), "%s172.17.0.2 %s\n", good, id2);
	snprintf(twice, sizeof(twice), "%s172.17.0.3 %s\n", good, id1);
	expect_bad("", "empty; want \"subnet 172.17.0.1/16\"");
	expect_bad("subnet 10.0.0.1/8\n", "line 1: want \"subnet 172.17.0.1/16\"");
	expect_bad(dup, "line 3: 172.17.0.2 is handed out twice");
	expect_bad(twice, "line 3: container 000000000000 holds two addresses");
	expect_bad("subnet 172.17.0.1/16\n172.17.0.1 x\n", "line 2: \"172.17.0.1\" is no host");
	expect_bad("subnet 172.17.0.1/16\n10.0.0.5 x\n", "line 2: \"10.0.0.5\" is no host");
	expect_bad("subnet 172.17.0.1/16\n172.17.255.255 x\n", "is no host address");
	expect_bad("subnet 172.17.0.1/16\n172.17.0.9 abc\n", "line 2: want a 64-hex container ID");
	expect_bad("subnet 172.17.0.1/16\ngarbage\n", "line 2: want \"ADDRESS ID\"");
}

/* --ip: the address asked for, refused outside the subnet, on the
 * gateway and when another holds it; the old one given up. */
static void test_take(void **state)
{
	struct ipam p;
	struct berr e;
	uint32_t a;
	char x[65], y[65];

	(void)state;
	id_of(1, x);
	id_of(2, y);
	assert_int_equal(ipam_init(&p, "10.88.0.1/24", &e), 0);
	assert_int_equal(ipam_take(&p, x, "10.88.0.50", &a, &e), 0);
	assert_int_equal(a, A(10, 88, 0, 50));
	assert_int_equal(ipam_take(&p, y, "10.88.0.50", &a, &e), -EADDRINUSE);
	assert_string_equal(e.msg, "Address already in use: 10.88.0.50");
	assert_int_equal(ipam_take(&p, y, "10.88.1.5", &a, &e), -EINVAL);
	assert_int_equal(ipam_take(&p, y, "10.88.0.1", &a, &e), -EINVAL);
	assert_int_equal(ipam_take(&p, y, "10.88.0.255", &a, &e), -EINVAL);
	assert_int_equal(ipam_take(&p, y, "bogus", &a, &e), -EINVAL);
	/* x moves: 50 is free again, the lowest free is still .2 */
	assert_int_equal(ipam_take(&p, x, "10.88.0.60", &a, &e), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(ipam_lookup(&p, x), A(10, 88, 0, 60));
	assert_int_equal(ipam_take(&p, y, "10.88.0.50", &a, &e), 0);
	assert_int_equal(alloc_ok(&p, 3), A(10, 88, 0, 2));
	ipam_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_skips_network_gateway_broadcast),
		cmocka_unit_test(test_no_duplicates_release_reuse),
		cmocka_unit_test(test_exhaustion_then_release),
		cmocka_unit_test(test_bad_subnets),
		cmocka_unit_test(test_persistence_round_trip),
		cmocka_unit_test(test_bad_state_refused),
		cmocka_unit_test(test_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
