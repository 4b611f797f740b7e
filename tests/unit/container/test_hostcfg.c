#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/hostcfg.h"
#include "runtime/sandbox/devices_bpf.h"
#include "runtime/lib/signame.h"

static void expect_err(int r, const struct berr *e, const char *msg)
{
	assert_true(r < 0);
	assert_string_equal(e->msg, msg);
}

static void test_ulimit(void **state)
{
	struct hx_ulimit u;
	struct berr e;

	(void)state;
	assert_int_equal(hx_ulimit_parse("nofile=100:200", &u, &e), 0);
	assert_string_equal(u.name, "nofile");
	assert_int_equal(u.soft, 100);
	assert_int_equal(u.hard, 200);
	assert_int_equal(hx_ulimit_parse("memlock=-1:-1", &u, &e), 0);
	assert_int_equal(u.hard, -1);
	assert_int_equal(hx_ulimit_parse("nproc=50", &u, &e), 0);
	assert_int_equal(u.hard, 50);
	assert_int_equal(hx_ulimit_index("nofile"), 7); /* RLIMIT_NOFILE */
	assert_int_equal(hx_ulimit_index("rttime"), 15); /* RLIMIT_RTTIME */
	expect_err(hx_ulimit_parse("nofile=2:1", &u, &e), &e,
		   "ulimit soft limit must be less than or equal to hard limit: 2 > 1");
	expect_err(hx_ulimit_parse("files=1", &u, &e), &e, "invalid ulimit type: files");
	expect_err(hx_ulimit_parse("nofile", &u, &e), &e, "invalid ulimit argument: nofile");
	expect_err(hx_ulimit_parse("nofile=a", &u, &e), &e, "invalid ulimit value: a");
	expect_err(hx_ulimit_parse("nofile=1:2:3", &u, &e), &e,
		   "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`");
}

/* daemon.json's default-ulimits: added by name, a container's own kept. */
static void test_default_ulimits(void **state)
{
	struct ctr_hostx x = { .nulimits = 1, .ulimits = { { "nofile", 50, 60 } } };
	json_t *d = json_loads("{\"nofile\": {\"Name\": \"nofile\", \"Soft\": 1, \"Hard\": 2},"
			       " \"core\": {\"Soft\": 0, \"Hard\": -1}}", 0, NULL);
	struct berr e;

	(void)state;
	assert_int_equal(hx_ulimits_merge(d, &x, &e), 0);
	assert_int_equal(x.nulimits, 2);
	assert_int_equal(x.ulimits[0].soft, 50); /* the container's */
	assert_string_equal(x.ulimits[1].name, "core"); /* Name defaults to the key */
	assert_int_equal(x.ulimits[1].hard, -1);
	assert_int_equal(hx_ulimits_merge(NULL, &x, &e), 0);
	json_decref(d);
	d = json_loads("{\"nproc\": {\"Name\": \"nproc\", \"Soft\": \"1\", \"Hard\": 2}}", 0, NULL);
	expect_err(hx_ulimits_merge(d, &x, &e), &e,
		   "\"default-ulimits\": nproc: not {\"Name\": ..., \"Soft\": N, \"Hard\": N}");
	json_decref(d);
	d = json_loads("{\"a\": {\"Name\": \"stack\", \"Soft\": 3, \"Hard\": 2}}", 0, NULL);
	expect_err(hx_ulimits_merge(d, &x, &e), &e, "\"default-ulimits\": ulimit soft limit must be "
		   "less than or equal to hard limit: 3 > 2");
	json_decref(d);
	d = json_loads("[1]", 0, NULL);
	expect_err(hx_ulimits_merge(d, &x, &e), &e, "\"default-ulimits\" is not an object");
	json_decref(d);
	assert_int_equal(x.nulimits, 2);
}

static void test_device(void **state)
{
	static const struct {
		const char *in, *host, *ctr, *perms;
	} ok[] = {
		{ "/dev/null", "/dev/null", "/dev/null", "rwm" },
		{ "/dev/null:/dev/mynull", "/dev/null", "/dev/mynull", "rwm" },
		{ "/dev/null:r", "/dev/null", "/dev/null", "r" },
		{ "/dev/null:/dev/x:rw", "/dev/null", "/dev/x", "rw" },
	};
	struct hx_device d;
	struct berr e;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(hx_device_parse(ok[i].in, &d, &e), 0);
		assert_string_equal(d.host, ok[i].host);
		assert_string_equal(d.ctr, ok[i].ctr);
		assert_string_equal(d.perms, ok[i].perms);
		free(d.host);
		free(d.ctr);
	}
	expect_err(hx_device_parse("/dev/null:rwx", &d, &e), &e, "invalid device mode: rwx");
	expect_err(hx_device_parse("null", &d, &e), &e, "bad format for path: null");
	expect_err(hx_device_parse("/dev/a:b:rw", &d, &e), &e, "bad format for path: b");
}

static void test_cgroup_rule(void **state)
{
	static const char *const bad[] = { "c 1:3", "x 1:3 rwm", "c 1 rwm", "c 1:3 rwx",
					   "c a:3 r", "c 1:3 rwmr", "c  1:3 r", "c 1:3 ",
					   "c -1:3 r", "c 99999999999:3 r", "", "a" };
	struct sb_devrule r;
	struct berr e;
	char want[80];

	(void)state;
	assert_int_equal(hx_cgroup_rule_parse("c 1:3 rwm", &r, &e), 0);
	assert_true(r.type == 'c' && r.major == 1 && r.minor == 3 && r.access == 7);
	assert_int_equal(hx_cgroup_rule_parse("a *:* m", &r, &e), 0);
	assert_true(r.type == 'a' && r.major == DEVBPF_ANY && r.minor == DEVBPF_ANY);
	assert_int_equal(r.access, BPF_DEVCG_ACC_MKNOD);
	assert_int_equal(hx_cgroup_rule_parse("b 8:* r", &r, &e), 0);
	assert_true(r.type == 'b' && r.major == 8 && r.minor == DEVBPF_ANY);
	assert_int_equal(r.access, BPF_DEVCG_ACC_READ);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "invalid device cgroup format '%s'", bad[i]);
		expect_err(hx_cgroup_rule_parse(bad[i], &r, &e), &e, want);
	}
}

static void test_checks(void **state)
{
	struct ctr_hostx x = { 0 };
	struct berr e;

	(void)state;
	assert_int_equal(hx_tmpfs_check("/run", &e), 0);
	assert_int_equal(hx_tmpfs_check("/run:rw,exec,size=64k,mode=1770", &e), 0);
	expect_err(hx_tmpfs_check("/run:bind", &e), &e, "invalid tmpfs option \"bind\"");
	expect_err(hx_tmpfs_check("/run:colour=red", &e), &e,
		   "invalid tmpfs option \"colour=red\"");
	expect_err(hx_tmpfs_check("run", &e), &e,
		   "invalid mount path: 'run' mount path must be absolute");
	assert_int_equal(hx_sysctl_check("net.ipv4.ip_forward=1", false, &e), 0);
	assert_int_equal(hx_sysctl_check("kernel.shmmax=1", true, &e), 0);
	assert_int_equal(hx_sysctl_check("fs.mqueue.msg_max=20", false, &e), 0);
	expect_err(hx_sysctl_check("net.ipv4.ip_forward=1", true, &e), &e,
		   "sysctl \"net.ipv4.ip_forward\" is not allowed in the host's network namespace");
	expect_err(hx_sysctl_check("kernel.shmmaxx=1", false, &e), &e,
		   "sysctl 'kernel.shmmaxx=1' is not whitelisted");
	expect_err(hx_sysctl_check("vm.swappiness", false, &e), &e,
		   "sysctl 'vm.swappiness' is not whitelisted");
	assert_int_equal(hx_host_check("db:10.0.0.1", &e), 0);
	assert_int_equal(hx_host_check("db=::1", &e), 0);
	assert_int_equal(hx_host_check("gw:host-gateway", &e), 0);
	expect_err(hx_host_check("db:10.0.0", &e), &e, "invalid IP address in add-host: \"10.0.0\"");
	expect_err(hx_host_check(":1.2.3.4", &e), &e, "bad format for add-host: \":1.2.3.4\"");
	assert_int_equal(hx_dns_check("1.1.1.1", &e), 0);
	expect_err(hx_dns_check("one", &e), &e, "IP address is not correctly formatted: one");
	assert_int_equal(hx_log_opt(&x, "max-size=1k", &e), 0);
	assert_int_equal(hx_log_opt(&x, "max-file=2", &e), 0);
	assert_int_equal(hx_log_size(&x), 1024);
	assert_int_equal(hx_log_files(&x), 2);
	expect_err(hx_log_opt(&x, "max-file=0", &e), &e, "max-file cannot be less than 1");
	expect_err(hx_log_opt(&x, "max-size=big", &e), &e, "invalid size: 'big'");
	expect_err(hx_log_opt(&x, "mode=non-blocking", &e), &e,
		   "unknown log opt 'mode' for json-file log driver");
	x = (struct ctr_hostx){ 0 };
	assert_int_equal(hx_log_size(&x), HX_LOG_SIZE);
	assert_int_equal(hx_log_files(&x), HX_LOG_FILES);
	assert_int_equal(hx_stop_signal(&x), SIGTERM);
	assert_int_equal(sig_parse("usr1"), SIGUSR1);
	assert_int_equal(sig_parse("SIGKILL"), SIGKILL);
	assert_int_equal(sig_parse("10"), 10);
	assert_int_equal(sig_parse("SIGNOPE"), 0);
	assert_string_equal(sig_name(SIGUSR1), "SIGUSR1");
}

static char **v2(const char *a, const char *b)
{
	char **v = calloc(3, sizeof(char *));

	v[0] = strdup(a);
	v[1] = b ? strdup(b) : NULL;
	return v;
}

/* config.json keeps Docker's names and shapes; loading gives it back. */
static void test_json_round_trip(void **state)
{
	struct ctr_hostx x = { 0 }, y;
	json_t *j, *stop;
	struct berr e;
	char *text;

	(void)state;
	x.extra_hosts = v2("db:10.0.0.5", NULL);
	x.dns = v2("10.0.0.53", NULL);
	x.tmpfs = v2("/run:size=64k", "/tmp");
	x.sysctls = v2("net.core.somaxconn=1024", NULL);
	x.cgroup_rules = v2("c 1:3 rwm", "b 8:* r");
	x.ulimits[0] = (struct hx_ulimit){ "nofile", 100, 200 };
	x.nulimits = 1;
	x.devices[0] = (struct hx_device){ strdup("/dev/null"), strdup("/dev/mynull"), "rw" };
	x.ndevices = 1;
	x.init = true;
	x.stop_signal = SIGUSR1;
	assert_int_equal(hx_log_opt(&x, "max-size=1k", &e), 0);
	assert_int_equal(hx_log_opt(&x, "max-file=2", &e), 0);
	j = hx_to_json(&x, &stop);
	text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(strstr(text, "\"Tmpfs\":{\"/run\":\"size=64k\",\"/tmp\":\"\"}"));
	assert_non_null(strstr(text, "\"Ulimits\":[{\"Hard\":200,\"Name\":\"nofile\",\"Soft\":100}]"));
	assert_non_null(strstr(text, "\"Devices\":[{\"CgroupPermissions\":\"rw\",\"PathInContainer\":"
				     "\"/dev/mynull\",\"PathOnHost\":\"/dev/null\"}]"));
	assert_non_null(strstr(text, "\"LogConfig\":{\"Config\":{\"max-file\":\"2\",\"max-size\":"
				     "\"1k\"},\"Type\":\"json-file\"}"));
	assert_non_null(strstr(text, "\"Init\":true"));
	assert_non_null(strstr(text, "\"DeviceCgroupRules\":[\"c 1:3 rwm\",\"b 8:* r\"]"));
	assert_non_null(strstr(text, "\"Sysctls\":{\"net.core.somaxconn\":\"1024\"}"));
	assert_string_equal(json_string_value(stop), "SIGUSR1");
	assert_int_equal(hx_from_json(j, stop, &y, &e), 0);
	assert_string_equal(y.tmpfs[0], "/run:size=64k");
	assert_string_equal(y.tmpfs[1], "/tmp");
	assert_string_equal(y.extra_hosts[0], "db:10.0.0.5");
	assert_string_equal(y.sysctls[0], "net.core.somaxconn=1024");
	assert_string_equal(y.cgroup_rules[1], "b 8:* r");
	assert_int_equal(y.ulimits[0].hard, 200);
	assert_string_equal(y.devices[0].ctr, "/dev/mynull");
	assert_true(y.init);
	assert_int_equal(y.stop_signal, SIGUSR1);
	assert_int_equal(hx_log_files(&y), 2);
	assert_int_equal(hx_log_size(&y), 1024);
	hx_free(&y);
	hx_free(&x);
	free(text);
	json_decref(j);
	json_decref(stop);
	/* an older config.json without them: the defaults */
	assert_int_equal(hx_from_json(NULL, NULL, &y, &e), 0);
	assert_int_equal(hx_stop_signal(&y), SIGTERM);
	assert_null(y.extra_hosts);
	assert_null(y.cgroup_rules);
}

static void test_etc_files(void **state)
{
	struct ctr_hostx x = { 0 };
	char out[512], *text = strdup("127.0.0.1\tlocalhost\n");
	size_t len = strlen(text);

	(void)state;
	x.extra_hosts = v2("db:10.0.0.5", "gw=host-gateway");
	text = hx_hosts_append(&x, "172.17.0.1", text, &len);
	assert_string_equal(text, "127.0.0.1\tlocalhost\n10.0.0.5\tdb\n172.17.0.1\tgw\n");
	assert_int_equal(len, strlen(text));
	free(text);
	hx_resolv(&x, "nameserver 8.8.8.8\nsearch corp\noptions rotate\n", out, sizeof(out));
	assert_string_equal(out, "nameserver 8.8.8.8\nsearch corp\noptions rotate\n");
	x.dns = v2("10.0.0.53", "10.0.0.54");
	x.dns_search = v2("example.org", NULL);
	x.dns_opt = v2("ndots:2", NULL);
	hx_resolv(&x, "nameserver 8.8.8.8\nsearch corp\noptions rotate\n", out, sizeof(out));
	assert_string_equal(out, "nameserver 10.0.0.53\nnameserver 10.0.0.54\nsearch example.org\n"
				 "options ndots:2\n");
	hx_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ulimit),	 cmocka_unit_test(test_default_ulimits),
		cmocka_unit_test(test_device),	 cmocka_unit_test(test_cgroup_rule),
		cmocka_unit_test(test_checks),	 cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_etc_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
