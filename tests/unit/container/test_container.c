#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "runtime/container/container.h"
#include "runtime/lib/file.h"

static char root[64];

static int setup(void **state)
{
	char dir[256];

	strcpy(root, "/tmp/berth-ctr-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/run/berth/containers", root);
	return mkdir_p(dir, 0700);
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_ids_and_names(void **state)
{
	char a[65], b[65], name[64];

	ctr_new_id(a);
	ctr_new_id(b);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	assert_string_not_equal(a, b);
	ctr_new_name(name, sizeof(name));
	assert_true(ctr_name_valid(name));
	assert_true(ctr_name_valid("web-1.a_b"));
	assert_false(ctr_name_valid("-web"));
	assert_false(ctr_name_valid("a"));
	assert_false(ctr_name_valid("bad name"));
	assert_false(ctr_name_valid("x/y"));
}

static void test_config_round_trip(void **state)
{
	char *layers[] = { "/l/1", "/l/2", NULL };
	char *argv[] = { "sh", "-c", "echo 'hi there'", NULL };
	char *env[] = { "A=1", "PATH=/bin", NULL };
	struct ctr_mount m[] = {
		{ .source = "/srv", .target = "/data", .read_only = true },
		{ .source = "/v/x/_data", .target = "/x", .name = "x1", .anonymous = true,
		  .nocopy = true },
	};
	char *labels[] = { "x=a=b", "com.docker.compose.project=shop", "empty=", NULL };
	struct ctr_config c = { 0 }, d;
	char dir[512];
	struct berr e;

	ctr_new_id(c.id);
	strcpy(c.name, "web");
	c.image = "busybox";
	c.image_id = "sha256:abc";
	c.layers = layers;
	c.argv = argv;
	c.env = env;
	c.cwd = "/tmp";
	c.user = "nobody";
	c.hostname = "h1";
	c.read_only = true;
	c.caps = 0xa80425fbull;
	c.mounts = m;
	c.nmounts = 2;
	c.limits.memory = 32 << 20;
	c.limits.pids = 20;
	c.limits.cpu_quota_us = 50000;
	c.limits.cpu_period_us = 100000;
	c.restart = "no";
	c.network = "none";
	c.stop_timeout = 7;
	c.created_ns = 1234567890123456789ll;
	c.labels = labels;
	ctr_dir(root, c.id, dir, sizeof(dir));
	assert_int_equal(mkdir_p(dir, 0700), 0);
	assert_int_equal(ctr_config_save(root, &c, &e), 0);
	assert_int_equal(ctr_config_load(root, c.id, &d, &e), 0);
	assert_string_equal(d.name, "web");
	assert_string_equal(d.argv[2], "echo 'hi there'");
	assert_null(d.argv[3]);
	assert_string_equal(d.layers[1], "/l/2");
	assert_string_equal(d.env[1], "PATH=/bin");
	assert_string_equal(d.user, "nobody");
	assert_true(d.read_only);
	assert_int_equal(d.caps, 0xa80425fbull);
	assert_int_equal(d.nmounts, 2);
	assert_string_equal(d.mounts[0].target, "/data");
	assert_null(d.mounts[0].name);
	assert_false(d.mounts[0].anonymous);
	assert_string_equal(d.mounts[1].name, "x1");
	assert_string_equal(d.mounts[1].source, "/v/x/_data");
	assert_true(d.mounts[1].anonymous);
	assert_true(d.mounts[1].nocopy);
	assert_false(d.mounts[1].read_only);
	assert_true(d.mounts[0].read_only);
	assert_int_equal(d.limits.memory, 32 << 20);
	assert_int_equal(d.limits.pids, 20);
	assert_int_equal(d.stop_timeout, 7);
	assert_int_equal(d.created_ns, 1234567890123456789ll);
	/* labels come back (in key order), values with '=' intact */
	assert_non_null(d.labels);
	assert_string_equal(d.labels[0], "com.docker.compose.project=shop");
	assert_string_equal(d.labels[1], "empty=");
	assert_string_equal(d.labels[2], "x=a=b");
	assert_null(d.labels[3]);
	ctr_config_free(&d);
	/* a config naming another container is refused */
	assert_true(ctr_config_load(root, "0000000000000000000000000000000000000000000000000000000000000000", &d, &e) < 0);
}

static void test_state_and_status_text(void **state)
{
	struct ctr_state s = { .status = CTR_EXITED, .exit_code = 137, .oom_killed = true,
			       .started_ns = 1000000000ll, .finished_ns = 5000000000ll,
			       .restart_count = 2 };
	struct ctr_state t;
	struct berr e;
	char id[65], dir[512], text[128];

	ctr_new_id(id);
	ctr_dir(root, id, dir, sizeof(dir));
	assert_int_equal(mkdir_p(dir, 0700), 0);
	assert_int_equal(ctr_state_save(root, id, &s, &e), 0);
	assert_int_equal(ctr_state_load(root, id, &t, &e), 0);
	assert_int_equal(t.status, CTR_EXITED);
	assert_int_equal(t.exit_code, 137);
	assert_true(t.oom_killed);
	assert_int_equal(t.restart_count, 2);
	ctr_status_text(&t, 65000000000ll, text, sizeof(text));
	assert_string_equal(text, "Exited (137) About a minute ago");
	t.status = CTR_RUNNING;
	ctr_status_text(&t, 4000000000ll, text, sizeof(text));
	assert_string_equal(text, "Up 3 seconds");
}

/* Restart and health state survive the file; ps wording as Docker's. */
static void test_restart_and_health_state(void **state)
{
	static struct hc_state h = { .status = HC_UNHEALTHY, .failing_streak = 3, .nlog = 2 };
	struct ctr_state s = { .status = CTR_RESTARTING, .exit_code = 1, .restart_count = 4,
			       .started_ns = 1000000000ll, .finished_ns = 2000000000ll,
			       .manual_stop = true, .health = &h };
	static struct hc_state back;
	char *test[] = { "CMD-SHELL", "exit 1", NULL };
	struct ctr_config c = { 0 }, d;
	char *argv[] = { "true", NULL }, *layers[] = { "/l", NULL }, *env[] = { NULL };
	struct ctr_state t;
	struct berr e;
	char id[65], dir[512], text[128];

	h.log[0] = (struct hc_result){ 1700000000123456789ll, 1700000000223456789ll, 1, "no\n" };
	h.log[1] = (struct hc_result){ 1700000001000000000ll, 1700000002000000000ll, -1, "slow" };
	ctr_new_id(id);
	ctr_dir(root, id, dir, sizeof(dir));
	assert_int_equal(mkdir_p(dir, 0700), 0);
	assert_int_equal(ctr_state_save(root, id, &s, &e), 0);
	assert_int_equal(ctr_state_load(root, id, &t, &e), 0);
	assert_int_equal(t.status, CTR_RESTARTING);
	assert_true(t.manual_stop);
	assert_int_equal(t.restart_count, 4);
	ctr_status_text(&t, 5000000000ll, text, sizeof(text));
	assert_string_equal(text, "Restarting (1) 3 seconds ago");
	assert_int_equal(ctr_health_load(root, id, &back, &e), 0);
	assert_int_equal(back.status, HC_UNHEALTHY);
	assert_int_equal(back.failing_streak, 3);
	assert_int_equal(back.nlog, 2);
	assert_int_equal(back.log[0].start_ns, 1700000000123456789ll);
	assert_int_equal(back.log[1].end_ns, 1700000002000000000ll);
	assert_int_equal(back.log[1].exit_code, -1);
	assert_string_equal(back.log[0].output, "no\n");
	/* ps: health after "Up" */
	t.status = CTR_RUNNING;
	t.health = &back;
	ctr_status_text(&t, 6000000000ll, text, sizeof(text));
	assert_string_equal(text, "Up 5 seconds (unhealthy)");
	back.status = HC_STARTING;
	ctr_status_text(&t, 6000000000ll, text, sizeof(text));
	assert_string_equal(text, "Up 5 seconds (health: starting)");
	/* the check in config.json */
	ctr_new_id(c.id);
	strcpy(c.name, "hc");
	c.argv = argv;
	c.layers = layers;
	c.env = env;
	c.health = (struct hc_config){ .test = test, .interval = 2000000000ll, .retries = 5 };
	ctr_dir(root, c.id, dir, sizeof(dir));
	assert_int_equal(mkdir_p(dir, 0700), 0);
	assert_int_equal(ctr_config_save(root, &c, &e), 0);
	assert_int_equal(ctr_config_load(root, c.id, &d, &e), 0);
	assert_string_equal(d.health.test[1], "exit 1");
	assert_int_equal(d.health.interval, 2000000000ll);
	assert_int_equal(d.health.retries, 5);
	ctr_config_free(&d);
}

static void test_lookup(void **state)
{
	const char *ids[] = { "abc123aaaa", "abd456bbbb", "web000cccc" };
	const char *names[] = { "web", "db", "abc" };

	assert_int_equal(ctr_lookup("db", ids, names, 3), 1);
	assert_int_equal(ctr_lookup("/db", ids, names, 3), 1);
	/* a name wins over an ID prefix ("abc" is a name and a prefix) */
	assert_int_equal(ctr_lookup("abc", ids, names, 3), 2);
	/* an exact ID, a unique prefix, an ambiguous prefix */
	assert_int_equal(ctr_lookup("abd456bbbb", ids, names, 3), 1);
	assert_int_equal(ctr_lookup("web0", ids, names, 3), 2);
	assert_int_equal(ctr_lookup("ab", ids, names, 3), -EEXIST);
	assert_int_equal(ctr_lookup("zzz", ids, names, 3), -ENOENT);
	assert_int_equal(ctr_lookup("", ids, names, 3), -ENOENT);
	assert_int_equal(ctr_lookup("web", ids, names, 0), -ENOENT);
}

/* A check's output is the bytes it printed: what is not UTF-8 (a stray
 * byte, a character cut at HC_OUTPUT_MAX) becomes U+FFFD, as Docker writes
 * it, and the entry is kept through state.json (jansson refused the whole
 * entry before, so it vanished from inspect). */
static void test_health_output_not_utf8(void **state)
{
	static struct hc_state h = { .status = HC_UNHEALTHY, .nlog = 2 }, back;
	struct ctr_state s = { .status = CTR_RUNNING, .health = &h };
	struct berr e;
	char id[65], dir[512];

	strcpy(h.log[0].output, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xff\xc0\xaf\xed\xa0\x80 ok");
	strcpy(h.log[1].output, "cut \xe2\x9c");
	ctr_new_id(id);
	ctr_dir(root, id, dir, sizeof(dir));
	assert_int_equal(mkdir_p(dir, 0700), 0);
	assert_int_equal(ctr_state_save(root, id, &s, &e), 0);
	assert_int_equal(ctr_health_load(root, id, &back, &e), 0);
	assert_int_equal(back.nlog, 2);
	assert_string_equal(back.log[0].output,
			    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok");
	assert_string_equal(back.log[1].output, "cut \xef\xbf\xbd\xef\xbf\xbd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_names),
		cmocka_unit_test(test_config_round_trip),
		cmocka_unit_test(test_state_and_status_text),
		cmocka_unit_test(test_restart_and_health_state),
		cmocka_unit_test(test_health_output_not_utf8),
		cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests_name("container", tests, setup, teardown);
}
