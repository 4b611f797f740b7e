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

#include "runtime/net/network.h"

#define A(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct net_cidr cidr(const char *text)
{
	struct net_cidr c = { 0, 0 };

	assert_int_equal(net_cidr_parse(text, &c), 0);
	return c;
}

static void test_names(void **state)
{
	(void)state;
	assert_true(net_name_valid("front"));
	assert_true(net_name_valid("a"));
	assert_true(net_name_valid("my_net.1-x"));
	assert_false(net_name_valid(""));
	assert_false(net_name_valid("-x"));
	assert_false(net_name_valid("a/b"));
	assert_false(net_name_valid("a b"));
	assert_false(net_name_valid("bridge"));
	assert_false(net_name_valid("host"));
	assert_false(net_name_valid("none"));
	assert_false(net_name_valid("container:x"));
}

static void test_cidr(void **state)
{
	struct net_cidr c, d;

	(void)state;
	c = cidr("172.18.5.9/16");
	assert_int_equal(c.addr, A(172, 18, 0, 0));
	assert_int_equal(c.prefix, 16);
	assert_int_equal(net_cidr_parse("10.0.0.0/31", &c), -EINVAL);
	assert_int_equal(net_cidr_parse("10.0.0.0/0", &c), -EINVAL);
	assert_int_equal(net_cidr_parse("10.0.0.0", &c), -EINVAL);
	assert_int_equal(net_cidr_parse("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(net_cidr_parse("10.0.0/8", &c), -EINVAL);
	assert_int_equal(net_cidr_parse("10.0.0.0/8x", &c), -EINVAL);
	c = cidr("172.16.0.0/12");
	d = cidr("172.18.3.0/24");
	assert_true(net_cidr_overlap(&c, &d) && net_cidr_overlap(&d, &c));
	d = cidr("172.32.0.0/16");
	assert_false(net_cidr_overlap(&c, &d));
}

/* Docker's default pools in order, skipping every used subnet. */
static void test_pool(void **state)
{
	struct net_cidr used[40], out;
	int n = 0;

	(void)state;
	used[n++] = cidr("172.17.0.1/16");
	assert_int_equal(net_pool_pick(used, n, &out), 0);
	assert_int_equal(out.addr, A(172, 18, 0, 0));
	assert_int_equal(out.prefix, 16);
	used[n++] = cidr("172.18.200.0/24"); /* a host route inside it */
	used[n++] = cidr("172.19.0.0/16");
	assert_int_equal(net_pool_pick(used, n, &out), 0);
	assert_int_equal(out.addr, A(172, 20, 0, 0));
	/* 172.16.0.0/12 taken whole: the 192.168 /20s */
	used[n++] = cidr("172.16.0.0/12");
	used[n++] = cidr("192.168.0.0/20");
	assert_int_equal(net_pool_pick(used, n, &out), 0);
	assert_int_equal(out.addr, A(192, 168, 16, 0));
	assert_int_equal(out.prefix, 20);
	used[n++] = cidr("192.168.0.0/16");
	assert_int_equal(net_pool_pick(used, n, &out), -ENOSPC);
}

static void test_def_init(void **state)
{
	struct net_cidr used[2] = { cidr("172.17.0.1/16"), cidr("10.5.0.0/16") };
	struct net_def d;
	struct berr e;

	(void)state;
	assert_int_equal(net_def_init(&d, ID, "front", NULL, NULL, used, 2, &e), 0);
	assert_string_equal(d.bridge, "br-0123456789ab");
	assert_string_equal(d.subnet, "172.18.0.0/16");
	assert_string_equal(d.gateway, "172.18.0.1");
	assert_int_equal(net_def_init(&d, ID, "back", "10.6.7.9/24", "10.6.7.254", used, 2, &e), 0);
	assert_string_equal(d.subnet, "10.6.7.0/24");
	assert_string_equal(d.gateway, "10.6.7.254");
	/* bad input, each with its reason */
	assert_int_equal(net_def_init(&d, ID, "x", "10.5.1.0/24", NULL, used, 2, &e), -EEXIST);
	assert_string_equal(e.msg, "Pool overlaps with other one on this address space");
	assert_int_equal(net_def_init(&d, ID, "x", "10.6.0.0/33", NULL, used, 2, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid CIDR address: 10.6.0.0/33");
	assert_int_equal(net_def_init(&d, ID, "x", "10.6.0.0/24", "10.6.1.1", used, 2, &e), -EINVAL);
	assert_int_equal(net_def_init(&d, ID, "x", "10.6.0.0/24", "10.6.0.0", used, 2, &e), -EINVAL);
	assert_int_equal(net_def_init(&d, ID, "x", "10.6.0.0/24", "10.6.0.255", used, 2, &e),
			 -EINVAL);
	assert_int_equal(net_def_init(&d, ID, "x", "10.6.0.0/24", "nope", used, 2, &e), -EINVAL);
	assert_int_equal(net_def_init(&d, ID, "bridge", NULL, NULL, used, 2, &e), -EINVAL);
}

static void test_rules(void **state)
{
	struct net_def d = { .bridge = "br-0123456789ab", .subnet = "172.18.0.0/16" };
	char buf[2048], small[64];

	(void)state;
	assert_int_equal(net_bridge_rules(&d, true, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "*nat\n"
				 "-A POSTROUTING -s 172.18.0.0/16 ! -o br-0123456789ab -j MASQUERADE\n"
				 "-A POSTROUTING -s 127.0.0.0/8 -o br-0123456789ab -j MASQUERADE\n"
				 "COMMIT\n*filter\n"
				 "-A BERTH-FORWARD -o br-0123456789ab -m conntrack --ctstate "
				 "RELATED,ESTABLISHED -j ACCEPT\n"
				 "-A BERTH-FORWARD -i br-0123456789ab -o br-0123456789ab -j ACCEPT\n"
				 "-A BERTH-FORWARD -i br-0123456789ab ! -o br-0123456789ab -j ACCEPT\n"
				 "COMMIT\n");
	/* internal: nothing leaves, nothing masqueraded; -D takes them out */
	d.internal = true;
	assert_int_equal(net_bridge_rules(&d, false, buf, sizeof(buf)), 0);
	assert_null(strstr(buf, "! -o br-0123456789ab -j"));
	assert_non_null(strstr(buf, "-D BERTH-FORWARD -i br-0123456789ab -o br-0123456789ab"));
	assert_null(strstr(buf, "-A "));
	assert_int_equal(net_bridge_rules(&d, true, small, sizeof(small)), -ENOSPC);
	/* isolation: the default bridge first, each bridge into stage 2 */
	assert_int_equal(net_isolation_rules("berth0", &d, 1, buf, sizeof(buf)), 0);
	assert_string_equal(
		buf, "*filter\n:BERTH-ISOLATION-STAGE-1 - [0:0]\n:BERTH-ISOLATION-STAGE-2 - [0:0]\n"
		     "-A BERTH-ISOLATION-STAGE-1 -i berth0 ! -o berth0 -j BERTH-ISOLATION-STAGE-2\n"
		     "-A BERTH-ISOLATION-STAGE-2 -o berth0 -j DROP\n"
		     "-A BERTH-ISOLATION-STAGE-1 -i br-0123456789ab ! -d 172.18.0.0/16 -j DROP\n"
		     "-A BERTH-ISOLATION-STAGE-1 -o br-0123456789ab ! -s 172.18.0.0/16 -j DROP\n"
		     "-A BERTH-ISOLATION-STAGE-1 -i br-0123456789ab ! -o br-0123456789ab -j "
		     "BERTH-ISOLATION-STAGE-2\n"
		     "-A BERTH-ISOLATION-STAGE-2 -o br-0123456789ab -j DROP\n"
		     "-A BERTH-ISOLATION-STAGE-1 -j RETURN\n-A BERTH-ISOLATION-STAGE-2 -j RETURN\n"
		     "COMMIT\n");
	assert_int_equal(net_isolation_rules("berth0", &d, 1, small, sizeof(small)), -ENOSPC);
}

/* Saved and loaded whole; listed by name; found by ID prefix; removed. */
static void test_store(void **state)
{
	char root[] = "/tmp/berth-net-XXXXXX", path[256];
	struct net_def d, back, *v;
	struct berr e;
	int n;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(net_def_init(&d, ID, "zeta", "10.9.0.0/24", NULL, NULL, 0, &e), 0);
	d.internal = true;
	d.created_ns = 1234567890123456789LL;
	d.nlabels = 1;
	snprintf(d.labels[0], sizeof(d.labels[0]), "team=a=b");
	assert_int_equal(net_save(root, &d, &e), 0);
	assert_int_equal(net_load(root, "zeta", &back, &e), 0);
	assert_memory_equal(&d, &back, sizeof(d));
	memcpy(d.id, "f", 1);
	snprintf(d.bridge, sizeof(d.bridge), "br-%.12s", d.id);
	snprintf(d.name, sizeof(d.name), "alpha");
	assert_int_equal(net_save(root, &d, &e), 0);
	assert_int_equal(net_list(root, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "alpha");
	assert_string_equal(v[1].name, "zeta");
	free(v);
	assert_int_equal(net_find(root, "0123", &back, &e), 0);
	assert_string_equal(back.name, "zeta");
	assert_int_equal(net_find(root, "9", &back, &e), -ENOENT);
	assert_string_equal(e.msg, "network 9 not found");
	assert_int_equal(net_load(root, "ghost", &back, &e), -ENOENT);
	/* a file that is not a definition is refused by name */
	snprintf(path, sizeof(path), "%s/run/berth/network/networks/bad.json", root);
	{
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs("{\"Name\": \"other\"}", f);
		fclose(f);
	}
	assert_int_equal(net_load(root, "bad", &back, &e), -EINVAL);
	assert_int_equal(net_remove(root, "zeta", &e), 0);
	assert_int_equal(net_remove(root, "alpha", &e), 0);
	assert_int_equal(net_remove(root, "zeta", &e), -ENOENT);
	unlink(path);
	assert_int_equal(net_list(root, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	free(v);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	assert_int_equal(system(path), 0);
}

/* PID 1 deletes the link a definition names: only its own br-<ID>. */
static void test_parse_refuses_other_links(void **state)
{
	static const char good[] = "{\"Name\": \"n\", \"Id\": \"" ID "\", \"Bridge\": "
				   "\"br-0123456789ab\", \"Subnet\": \"10.1.0.0/24\", "
				   "\"Gateway\": \"10.1.0.1\"}";
	static const char other[] = "{\"Name\": \"n\", \"Id\": \"" ID "\", \"Bridge\": "
				    "\"eth0\", \"Subnet\": \"10.1.0.0/24\", \"Gateway\": "
				    "\"10.1.0.1\"}";
	struct net_def d;

	(void)state;
	assert_int_equal(net_def_parse(good, strlen(good), "n", &d), 0);
	assert_string_equal(d.bridge, "br-0123456789ab");
	assert_int_equal(net_def_parse(good, strlen(good), "m", &d), -EINVAL);
	assert_int_equal(net_def_parse(other, strlen(other), "n", &d), -EINVAL);
	assert_int_equal(net_def_parse("{", 1, "n", &d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names), cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_pool),  cmocka_unit_test(test_def_init),
		cmocka_unit_test(test_rules), cmocka_unit_test(test_store),
		cmocka_unit_test(test_parse_refuses_other_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
