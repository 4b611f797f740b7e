#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "init/boot/modules.h"

/* Shaped like Debian 6.1's modules.dep (depmod output). */
static const char *dep_sample =
	"kernel/net/802/stp.ko: kernel/net/llc/llc.ko\n"
	"kernel/net/llc/llc.ko:\n"
	"kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko\n"
	"kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/802/stp.ko "
	"kernel/net/llc/llc.ko\n"
	"kernel/lib/libcrc32c.ko:\n"
	"kernel/net/netfilter/x_tables.ko:\n"
	"kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko:\n"
	"kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko:\n"
	"kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko "
	"kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"
	"kernel/net/netfilter/nf_nat.ko: kernel/net/netfilter/nf_conntrack.ko "
	"kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko "
	"kernel/lib/libcrc32c.ko\n"
	"kernel/net/netfilter/xt_MASQUERADE.ko: kernel/net/netfilter/nf_nat.ko "
	"kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko "
	"kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/net/netfilter/x_tables.ko "
	"kernel/lib/libcrc32c.ko\n"
	"kernel/drivers/net/veth.ko:\n"
	"kernel/fs/nls/nls-cp437.ko:\n";

static const char *builtin_sample = "kernel/drivers/tty/serial/8250/8250.ko\nkernel/fs/ext4/ext4.ko\n";

static int pos(const struct mod_db *db, const int *order, int count, const char *name)
{
	for (int i = 0; i < count; i++) {
		if (strcmp(db->entries[order[i]].name, name) == 0)
			return i;
	}
	return -1;
}

static void test_parse_and_find(void **state)
{
	struct mod_db db;
	struct berr e;

	assert_int_equal(mod_db_parse(&db, dep_sample, builtin_sample, &e), 0);
	assert_int_equal(db.count, 13);
	assert_true(mod_db_find(&db, "br_netfilter") >= 0);
	assert_true(mod_db_find(&db, "br-netfilter") >= 0); /* '-' == '_' */
	assert_true(mod_db_find(&db, "nls_cp437") >= 0);
	assert_int_equal(mod_db_find(&db, "nope"), -1);
	assert_true(mod_db_is_builtin(&db, "ext4"));
	assert_false(mod_db_is_builtin(&db, "veth"));
	mod_db_free(&db);
}

static void test_resolve_order(void **state)
{
	struct mod_db db;
	struct berr e;
	int order[32], count = 0;

	assert_int_equal(mod_db_parse(&db, dep_sample, NULL, &e), 0);
	assert_int_equal(mod_resolve(&db, "br_netfilter", order, &count, 32, &e), 0);
	assert_int_equal(count, 4);
	assert_true(pos(&db, order, count, "llc") < pos(&db, order, count, "stp"));
	assert_true(pos(&db, order, count, "stp") < pos(&db, order, count, "bridge"));
	assert_int_equal(pos(&db, order, count, "br_netfilter"), 3);

	/* a second module shares dependencies: nothing twice */
	assert_int_equal(mod_resolve(&db, "xt_MASQUERADE", order, &count, 32, &e), 0);
	assert_int_equal(count, 4 + 7);
	assert_true(pos(&db, order, count, "nf_conntrack") < pos(&db, order, count, "nf_nat"));
	assert_true(pos(&db, order, count, "libcrc32c") < pos(&db, order, count, "nf_conntrack"));
	assert_int_equal(pos(&db, order, count, "xt_MASQUERADE"), count - 1);
	assert_int_equal(mod_resolve(&db, "bridge", order, &count, 32, &e), 0);
	assert_int_equal(count, 11);
	mod_db_free(&db);
}

static void test_errors(void **state)
{
	struct mod_db db;
	struct berr e;
	int order[4], count = 0;

	assert_int_equal(mod_db_parse(&db, dep_sample, builtin_sample, &e), 0);
	assert_int_equal(mod_resolve(&db, "missing_mod", order, &count, 4, &e), -2);
	assert_non_null(strstr(e.msg, "missing_mod"));
	/* built in: nothing to load, no error */
	assert_int_equal(mod_resolve(&db, "ext4", order, &count, 4, &e), 0);
	assert_int_equal(count, 0);
	/* capacity */
	assert_int_equal(mod_resolve(&db, "xt_MASQUERADE", order, &count, 4, &e), -7);
	mod_db_free(&db);

	assert_int_equal(mod_db_parse(&db, "a.ko: b.ko\nb.ko: a.ko\n", NULL, &e), 0);
	count = 0;
	assert_int_equal(mod_resolve(&db, "a", order, &count, 4, &e), -40);
	mod_db_free(&db);

	assert_true(mod_db_parse(&db, "a.ko: missing.ko\n", NULL, &e) < 0);
	assert_non_null(strstr(e.msg, "missing.ko"));
	assert_true(mod_db_parse(&db, "no colon here\n", NULL, &e) < 0);
	assert_non_null(strstr(e.msg, "line 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_find),
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("modules", tests, NULL, NULL);
}
