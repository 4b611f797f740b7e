#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "init/boot/cmdline.h"

struct warnings {
	int n;
	char last[512];
};

static void collect(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	w->n++;
	strncpy(w->last, msg, sizeof(w->last) - 1);
}

static void test_defaults(void **state)
{
	struct boot_params p;
	struct warnings w = { 0 };

	cmdline_defaults(&p);
	assert_int_equal(cmdline_parse("console=ttyS0 quiet panic=-1", &p, collect, &w), 0);
	assert_int_equal(p.console, CONSOLE_SHELL);
	assert_int_equal(p.ip_mode, IP_DHCP);
	assert_string_equal(p.bridge_cidr, "172.17.0.1/16");
	assert_string_equal(p.data, "berth-data");
	assert_string_equal(p.compose, "/etc/berth/compose.yaml");
	assert_false(p.debug);
	assert_int_equal(w.n, 0);
}

static void test_static_ip(void **state)
{
	struct boot_params p;
	struct warnings w = { 0 };

	cmdline_defaults(&p);
	cmdline_parse("quiet berth.ip=10.0.2.15/24,10.0.2.2 berth.debug", &p, collect, &w);
	assert_int_equal(p.ip_mode, IP_STATIC);
	assert_string_equal(p.ip_cidr, "10.0.2.15/24");
	assert_string_equal(p.ip_gateway, "10.0.2.2");
	assert_true(p.debug);
	assert_int_equal(w.n, 0);

	cmdline_parse("berth.ip=192.168.1.5/16", &p, collect, &w);
	assert_string_equal(p.ip_cidr, "192.168.1.5/16");
	assert_string_equal(p.ip_gateway, "");
	cmdline_parse("berth.ip=none", &p, collect, &w);
	assert_int_equal(p.ip_mode, IP_NONE);
	assert_int_equal(w.n, 0);
}

static void test_bad_values_warn_and_keep_defaults(void **state)
{
	struct boot_params p;
	struct warnings w = { 0 };

	cmdline_defaults(&p);
	cmdline_parse("berth.ip=10.0.2.300/24", &p, collect, &w);
	assert_int_equal(w.n, 1);
	assert_int_equal(p.ip_mode, IP_DHCP);
	assert_non_null(strstr(w.last, "berth.ip=10.0.2.300/24"));

	cmdline_parse("berth.ip=10.0.2.3/33", &p, collect, &w);
	assert_int_equal(w.n, 2);
	cmdline_parse("berth.bridge=nonsense", &p, collect, &w);
	assert_int_equal(w.n, 3);
	assert_string_equal(p.bridge_cidr, "172.17.0.1/16");
	cmdline_parse("berth.console=fancy", &p, collect, &w);
	assert_int_equal(w.n, 4);
	assert_int_equal(p.console, CONSOLE_SHELL);
	cmdline_parse("berth.watchdog=0 berth.watchdog=abc", &p, collect, &w);
	assert_int_equal(w.n, 6);
	assert_int_equal(p.watchdog, 0);
	cmdline_parse("berth.compose=relative.yaml berth.compose", &p, collect, &w);
	assert_int_equal(w.n, 8);
	assert_non_null(strstr(w.last, "want an absolute path or none"));
	assert_string_equal(p.compose, "/etc/berth/compose.yaml");
	cmdline_parse("berth.update-grace=-1 berth.update-grace=86401 "
		      "berth.update-grace=99999999999999999999 berth.update-grace=5s",
		      &p, collect, &w);
	assert_int_equal(w.n, 12);
	assert_non_null(strstr(w.last, "want seconds (0..86400)"));
	assert_int_equal(p.update_grace, 60);
	cmdline_parse("berth.update-grace=0 berth.watchdog=3600", &p, collect, &w);
	assert_int_equal(w.n, 12);
	assert_int_equal(p.update_grace, 0);
	assert_int_equal(p.watchdog, 3600);
	assert_int_equal(p.update_timeout, 0); /* the mark-good child's default */
	cmdline_parse("berth.update-timeout=0 berth.update-timeout=86401 berth.update-timeout=45",
		      &p, collect, &w);
	assert_int_equal(w.n, 14);
	assert_non_null(strstr(w.last, "want seconds (1..86400)"));
	assert_int_equal(p.update_timeout, 45);
}

static void test_compose_file(void **state)
{
	struct boot_params p;
	struct warnings w = { 0 };

	cmdline_defaults(&p);
	cmdline_parse("berth.compose=none", &p, collect, &w);
	assert_string_equal(p.compose, "none");
	cmdline_parse("berth.compose=/data/compose.yaml", &p, collect, &w);
	assert_string_equal(p.compose, "/data/compose.yaml");
	assert_int_equal(w.n, 0);
}

static void test_unknown_key(void **state)
{
	struct boot_params p;
	struct warnings w = { 0 };

	cmdline_defaults(&p);
	assert_int_equal(cmdline_parse("berth.frobnicate=1 berth.console=restricted", &p, collect,
				       &w),
			 1);
	assert_non_null(strstr(w.last, "unknown kernel parameter berth.frobnicate"));
	assert_int_equal(p.console, CONSOLE_RESTRICTED);
}

static void test_quotes_and_init_args(void **state)
{
	struct boot_params p;
	struct warnings w = { 0 };

	cmdline_defaults(&p);
	cmdline_parse("\"berth.data=my disk\" berth.watchdog=30 -- berth.console=none", &p, collect,
		      &w);
	assert_string_equal(p.data, "my disk");
	assert_int_equal(p.watchdog, 30);
	/* after "--" the words are init's arguments, not parameters */
	assert_int_equal(p.console, CONSOLE_SHELL);
	assert_int_equal(w.n, 0);
	cmdline_parse("berth.bridge=10.10.0.1/24", &p, collect, &w);
	assert_string_equal(p.bridge_cidr, "10.10.0.1/24");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_static_ip),
		cmocka_unit_test(test_bad_values_warn_and_keep_defaults),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_compose_file),
		cmocka_unit_test(test_quotes_and_init_args),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
