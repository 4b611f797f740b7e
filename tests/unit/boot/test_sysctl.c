#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/boot/sysctl.h"
#include "runtime/lib/file.h"

static void test_parse_lines(void **state)
{
	struct sysctl_entry ent;
	struct berr e;
	char l1[] = "net.ipv4.ip_forward=1\n";
	char l2[] = "  net.bridge.bridge-nf-call-iptables   =   1  \n";
	char l3[] = "# a comment\n";
	char l4[] = "; another\n";
	char l5[] = "   \n";
	char l6[] = "no equals sign here\n";
	char l7[] = "-net.ipv4.conf.all.rp_filter = 0\n";
	char l8[] = " = 5\n";
	char l9[] = "kernel.a b = 1\n";
	char l10[] = "net/ipv4/conf/eth0.100/rp_filter = 2\n";
	char l11[] = "kernel.msg = hello world\n";

	assert_int_equal(sysctl_parse_line(l1, &ent, &e), 1);
	assert_string_equal(ent.key, "net.ipv4.ip_forward");
	assert_string_equal(ent.value, "1");
	assert_false(ent.ignore_failure);
	assert_int_equal(sysctl_parse_line(l2, &ent, &e), 1);
	assert_string_equal(ent.key, "net.bridge.bridge-nf-call-iptables");
	assert_string_equal(ent.value, "1");
	assert_int_equal(sysctl_parse_line(l3, &ent, &e), 0);
	assert_int_equal(sysctl_parse_line(l4, &ent, &e), 0);
	assert_int_equal(sysctl_parse_line(l5, &ent, &e), 0);
	assert_int_equal(sysctl_parse_line(l6, &ent, &e), -22);
	assert_non_null(strstr(e.msg, "key = value"));
	assert_int_equal(sysctl_parse_line(l7, &ent, &e), 1);
	assert_true(ent.ignore_failure);
	assert_string_equal(ent.key, "net.ipv4.conf.all.rp_filter");
	assert_int_equal(sysctl_parse_line(l8, &ent, &e), -22);
	assert_int_equal(sysctl_parse_line(l9, &ent, &e), -22);
	assert_int_equal(sysctl_parse_line(l10, &ent, &e), 1);
	assert_int_equal(sysctl_parse_line(l11, &ent, &e), 1);
	assert_string_equal(ent.value, "hello world");
}

static void test_key_path(void **state)
{
	char buf[256];

	assert_int_equal(sysctl_key_path("/proc/sys", "net.ipv4.ip_forward", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/sys/net/ipv4/ip_forward");
	/* with slashes, dots stay (VLAN interface names) */
	assert_int_equal(sysctl_key_path("/proc/sys", "net/ipv4/conf/eth0.100/rp_filter", buf,
					 sizeof(buf)),
			 0);
	assert_string_equal(buf, "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
	assert_int_equal(sysctl_key_path("/proc/sys", "a.b", buf, 8), -36);
}

/* A fake /proc/sys in a temp dir; net/bridge appears only once the
 * br_netfilter hook "loads the module". */
struct fixture {
	char root[64], confdir[128], proc[128];
	int loads;
	int reports;
	char last[1024];
};

static void mkfile(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int fake_load(void *ctx)
{
	struct fixture *fx = ctx;
	char p[256];

	fx->loads++;
	snprintf(p, sizeof(p), "%s/net/bridge", fx->proc);
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/net/bridge/bridge-nf-call-iptables", fx->proc);
	mkfile(p, "0\n");
	snprintf(p, sizeof(p), "%s/net/bridge/bridge-nf-call-ip6tables", fx->proc);
	mkfile(p, "0\n");
	return 0;
}

static void fake_report(void *ctx, const char *msg)
{
	struct fixture *fx = ctx;
	fx->reports++;
	snprintf(fx->last, sizeof(fx->last), "%s", msg);
}

static void read_into(const char *path, char *buf, size_t n)
{
	assert_true(read_file(path, buf, n) >= 0);
}

static void test_apply_dir(void **state)
{
	struct fixture fx = { 0 };
	struct sysctl_hooks hooks = { fake_load, fake_report, &fx };
	struct sysctl_stats st;
	char p[256], v[64];

	strcpy(fx.root, "/tmp/berth-sysctl-XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	snprintf(fx.confdir, sizeof(fx.confdir), "%s/sysctl.d", fx.root);
	snprintf(fx.proc, sizeof(fx.proc), "%s/proc", fx.root);
	snprintf(p, sizeof(p), "%s/net/ipv4", fx.proc);
	assert_int_equal(mkdir_p(p, 0755), 0);
	assert_int_equal(mkdir_p(fx.confdir, 0755), 0);
	snprintf(p, sizeof(p), "%s/net/ipv4/ip_forward", fx.proc);
	mkfile(p, "0\n");
	snprintf(p, sizeof(p), "%s/10-a.conf", fx.confdir);
	mkfile(p, "# forward\nnet.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables=1\n"
		  "garbage line\nnet.ipv4.no_such_key = 3\n-net.ipv4.also_missing = 1\n");
	snprintf(p, sizeof(p), "%s/20-b.conf", fx.confdir);
	mkfile(p, "net.bridge.bridge-nf-call-ip6tables = 1\n");
	snprintf(p, sizeof(p), "%s/README", fx.confdir);
	mkfile(p, "net.ipv4.ip_forward = 7\n"); /* not *.conf: ignored */

	sysctl_apply_dir(fx.confdir, fx.proc, &hooks, &st);
	assert_int_equal(st.applied, 3);
	assert_int_equal(st.bad_lines, 1);
	assert_int_equal(st.failed, 1); /* no_such_key; the '-' one is quiet */
	assert_int_equal(fx.loads, 1);	/* br_netfilter loaded once */
	assert_int_equal(fx.reports, 2);
	assert_non_null(strstr(fx.last, "net.ipv4.no_such_key"));
	snprintf(p, sizeof(p), "%s/net/ipv4/ip_forward", fx.proc);
	read_into(p, v, sizeof(v));
	assert_string_equal(v, "1\n");
	snprintf(p, sizeof(p), "%s/net/bridge/bridge-nf-call-iptables", fx.proc);
	read_into(p, v, sizeof(v));
	assert_string_equal(v, "1\n");
	snprintf(p, sizeof(p), "%s/net/bridge/bridge-nf-call-ip6tables", fx.proc);
	read_into(p, v, sizeof(v));
	assert_string_equal(v, "1\n");
	snprintf(p, sizeof(p), "rm -rf %s", fx.root);
	assert_int_equal(system(p), 0);
}

static void test_missing_dir_is_quiet(void **state)
{
	struct fixture fx = { 0 };
	struct sysctl_hooks hooks = { fake_load, fake_report, &fx };
	struct sysctl_stats st;

	sysctl_apply_dir("/nonexistent/sysctl.d", "/proc/sys", &hooks, &st);
	assert_int_equal(st.applied, 0);
	assert_int_equal(fx.reports, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_lines),
		cmocka_unit_test(test_key_path),
		cmocka_unit_test(test_apply_dir),
		cmocka_unit_test(test_missing_dir_is_quiet),
	};
	return cmocka_run_group_tests_name("sysctl", tests, NULL, NULL);
}
