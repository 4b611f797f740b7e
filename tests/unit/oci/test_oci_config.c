/* config.json into the sandbox's spec: real configs (runc's and crun's
 * default specs) parse into the expected mounts, namespaces, caps and
 * limits; each bad field is refused with one error naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "runtime/oci/oci_config.h"
#include "runtime/sandbox/caps.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* runc spec's output, trimmed to what it sets that matters here. */
static const char base[] =
    "{\"ociVersion\":\"1.0.2-dev\","
    "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
    "\"env\":[\"PATH=/usr/bin:/bin\",\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"runc\","
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}],"
    "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
    "{\"type\":\"uts\"},{\"type\":\"mount\"}],"
    "\"maskedPaths\":[\"/proc/kcore\",\"/sys/firmware\"],"
    "\"readonlyPaths\":[\"/proc/sys\"]}}";

/* base with the member at a dotted path ("process.args", "mounts.0")
 * replaced by value (JSON text), or removed when value is NULL. */
static char *patched(const char *path, const char *value)
{
	json_t *root = json_loads(base, 0, NULL), *parent = root;
	char buf[256], *key, *save = NULL, *next;

	snprintf(buf, sizeof(buf), "%s", path);
	key = strtok_r(buf, ".", &save);
	while ((next = strtok_r(NULL, ".", &save))) {
		parent = json_is_array(parent) ? json_array_get(parent, atoi(key))
					       : json_object_get(parent, key);
		key = next;
	}
	assert_non_null(parent);
	if (json_is_array(parent)) {
		assert_non_null(value);
		json_array_set_new(parent, atoi(key), json_loads(value, JSON_DECODE_ANY, NULL));
	} else if (value) {
		json_object_set_new(parent, key, json_loads(value, JSON_DECODE_ANY, NULL));
	} else {
		json_object_del(parent, key);
	}
	char *text = json_dumps(root, 0);
	json_decref(root);
	return text;
}

static int parse(const char *text, struct oci_config *c, struct berr *e)
{
	return oci_config_parse(text, strlen(text), "/bundle", c, e);
}

static void test_runc_default(void **state)
{
	struct oci_config c;
	struct sb_spec s = {0};
	struct berr e;

	(void)state;
	assert_int_equal(parse(base, &c, &e), 0);
	oci_config_spec(&c, &s);
	assert_string_equal(s.argv[0], "sh");
	assert_null(s.argv[1]);
	assert_string_equal(s.env[1], "TERM=xterm");
	assert_string_equal(s.rootfs, "/bundle/rootfs");
	assert_true(s.read_only);
	assert_true(s.tty);
	assert_true(s.no_new_privs);
	assert_string_equal(s.hostname, "runc");
	assert_string_equal(s.user, "0:0");
	assert_true(s.caps == ((1ull << 29) | (1ull << 5) | (1ull << 10)));
	assert_int_equal(s.nrlimits, 1);
	assert_int_equal(s.rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(s.rlimits[0].hard, 1024);
	assert_int_equal(s.namespaces,
			 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
	assert_int_equal(s.njoins, 0);
	assert_int_equal(s.nfsmounts, 3);
	assert_string_equal(s.fsmounts[1].target, "/dev");
	assert_string_equal(s.fsmounts[1].type, "tmpfs");
	assert_int_equal(s.fsmounts[1].flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(s.fsmounts[1].data, "mode=755,size=65536k");
	assert_int_equal(s.fsmounts[2].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	assert_null(s.fsmounts[2].data);
	assert_string_equal(s.masked_paths[1], "/sys/firmware");
	assert_null(s.masked_paths[2]);
	assert_string_equal(s.readonly_paths[0], "/proc/sys");
	assert_false(s.devices_allow_all);
	assert_int_equal(c.nwarnings, 0);
	oci_config_free(&c);
}

static void test_binds_joins_devices(void **state)
{
	struct oci_config c;
	struct berr e;
	char *t;

	(void)state;
	t = patched("mounts.0", "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"vol\","
				"\"options\":[\"rbind\",\"rslave\",\"ro\",\"x-mine\"]}");
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	assert_string_equal(c.mounts[0].source, "/bundle/vol");
	assert_int_equal(c.mounts[0].flags, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(c.mounts[0].propagation, MS_SLAVE | MS_REC);
	assert_null(c.mounts[0].data);
	oci_config_free(&c);

	t = patched("linux.namespaces.1", "{\"type\":\"network\",\"path\":\"/proc/7/ns/net\"}");
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	assert_int_equal(c.njoins, 1);
	assert_int_equal(c.joins[0].type, CLONE_NEWNET);
	assert_string_equal(c.joins[0].path, "/proc/7/ns/net");
	assert_int_equal(c.namespaces & CLONE_NEWNET, 0);
	oci_config_free(&c);

	t = patched("linux.devices", "[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,"
				     "\"minor\":229,\"fileMode\":438,\"uid\":0,\"gid\":0}]");
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	assert_int_equal(c.ndevices, 1);
	assert_int_equal(c.devices[0].type, S_IFCHR);
	assert_int_equal(c.devices[0].major, 10);
	assert_int_equal(c.devices[0].minor, 229);
	assert_int_equal(c.devices[0].mode, 0666);
	oci_config_free(&c);
}

static void test_resources(void **state)
{
	struct oci_config c;
	struct berr e;
	char *t;

	(void)state;
	t = patched("linux.resources",
		    "{\"memory\":{\"limit\":67108864,\"swap\":134217728},"
		    "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\"},"
		    "\"pids\":{\"limit\":64},\"devices\":[{\"allow\":true,\"access\":\"rwm\"}],"
		    "\"blockIO\":{\"weight\":10}}");
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	assert_int_equal(c.limits.memory, 67108864);
	assert_int_equal(c.limits.memory_swap, 134217728);
	assert_int_equal(c.limits.cpu_shares, 512);
	assert_int_equal(c.limits.cpu_quota_us, 50000);
	assert_int_equal(c.limits.cpu_period_us, 100000);
	assert_string_equal(c.limits.cpuset_cpus, "0-1");
	assert_int_equal(c.limits.pids, 64);
	assert_true(c.devices_allow_all);
	assert_int_equal(c.nwarnings, 1);
	assert_non_null(strstr(c.warnings[0], "blockIO"));
	oci_config_free(&c);

	/* unlimited values: -1 memory and quota, 0 pids */
	t = patched("linux.resources", "{\"memory\":{\"limit\":-1,\"swap\":-1},"
				       "\"cpu\":{\"quota\":-1},\"pids\":{\"limit\":0}}");
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	assert_int_equal(c.limits.memory, 0);
	assert_int_equal(c.limits.memory_swap, -1);
	assert_int_equal(c.limits.cpu_quota_us, 0);
	assert_int_equal(c.limits.pids, 0);
	oci_config_free(&c);
}

static void test_warnings(void **state)
{
	struct oci_config c;
	struct berr e;
	char *t = patched("process.apparmorProfile", "\"docker-default\"");

	(void)state;
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	assert_int_equal(c.nwarnings, 1);
	assert_non_null(strstr(c.warnings[0], "apparmorProfile"));
	oci_config_free(&c);
}

struct bad {
	const char *path, *value; /* value NULL: remove */
	const char *error;
};

static const struct bad bad_cases[] = {
    {"ociVersion", NULL, "ociVersion: missing is not 1.x"},
    {"ociVersion", "\"2.0.0\"", "ociVersion: \"2.0.0\" is not 1.x"},
    {"ociVersion", "7", "ociVersion: not a string"},
    {"process", NULL, "process: missing"},
    {"process.args", "\"sh\"", "process.args: not an array"},
    {"process.args", "[\"sh\",5]", "process.args: not an array of strings"},
    {"process.args", "[]", "process.args: no command"},
    {"process.cwd", "\"tmp\"", "process.cwd: must be an absolute path"},
    {"process.cwd", NULL, "process.cwd: must be an absolute path"},
    {"process.terminal", "\"yes\"", "process.terminal: not true or false"},
    {"process.user", "{\"uid\":-1,\"gid\":0}", "process.user: uid and gid must be"},
    {"process.user", "{\"uid\":0,\"gid\":0,\"additionalGids\":[\"x\"]}",
     "process.user.additionalGids[0]: not a gid"},
    {"process.capabilities", "{\"bounding\":[\"CAP_FLY\"]}",
     "process.capabilities.bounding: unknown capability CAP_FLY"},
    {"process.rlimits", "[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]",
     "process.rlimits[0]: unknown type RLIMIT_FOO"},
    {"process.rlimits", "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":9,\"hard\":1}]",
     "process.rlimits[0]: soft 9 is above hard 1"},
    {"process.rlimits", "[{\"type\":\"RLIMIT_NOFILE\"}]",
     "process.rlimits[0]: needs type, soft and hard"},
    {"process.oomScoreAdj", "2000", "process.oomScoreAdj: 2000 is not in -1000..1000"},
    {"process.consoleSize", "{\"height\":70000,\"width\":80}", "process.consoleSize"},
    {"root", NULL, "root.path: missing"},
    {"root", "{\"path\":7}", "root.path: not a string"},
    {"mounts", "{}", "mounts: not an array"},
    {"mounts.0", "{\"destination\":\"proc\",\"type\":\"proc\"}",
     "mounts[0].destination: must be an absolute path"},
    {"mounts.0", "{\"destination\":\"/x\",\"type\":\"bind\"}",
     "mounts[0].source: a bind mount needs a source"},
    {"mounts.0", "{\"destination\":\"/x\"}", "mounts[0].type: missing"},
    {"mounts.0", "{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"idmap\"]}",
     "mounts[0]: idmap needs uidMappings and gidMappings, or a user namespace with maps"},
    {"mounts.0", "{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":[\"ridmap\"]}",
     "mounts[0]: an idmapped mount must be a bind mount"},
    {"mounts.0", "{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/s\","
     "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}",
     "mounts[0]: an idmapped mount needs both uidMappings and gidMappings"},
    {"mounts.0", "{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/s\","
     "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}]}",
     "mounts[0].gidMappings[0]: "},
    {"mounts.0", "{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":\"ro\"}",
     "mounts[0].options: not an array"},
    {"hooks", "{\"prestart\":[{\"path\":\"hook\"}]}",
     "hooks.prestart[0].path: must be an absolute path"},
    {"hooks", "{\"poststop\":[{\"path\":\"/h\",\"timeout\":0}]}",
     "hooks.poststop[0].timeout: must be 1..86400 seconds"},
    {"hooks", "{\"poststart\":{}}", "hooks.poststart: not an array"},
    {"linux", NULL, "linux: missing"},
    {"linux.namespaces.0", "{\"type\":\"user\"}",
     "linux.namespaces: a user namespace needs linux.uidMappings and linux.gidMappings"},
    {"linux.timeOffsets", "{\"monotonic\":{\"secs\":1}}", "linux.timeOffsets: not supported"},
    {"linux.uidMappings", "[{\"containerID\":0,\"hostID\":1000,\"size\":10}]",
     "linux.uidMappings: set, but linux.namespaces has no user namespace"},
    {"linux.uidMappings", "{}", "linux.uidMappings: not an array"},
    {"linux.namespaces.0", "{\"type\":\"ipc\"}", "linux.namespaces[2]: ipc is listed twice"},
    {"linux.namespaces.0", "{\"type\":\"pids\"}", "linux.namespaces[0].type: unknown namespace pids"},
    {"linux.namespaces.4", "{\"type\":\"cgroup\"}",
     "linux.namespaces: a mount namespace is required"},
    {"linux.namespaces.4", "{\"type\":\"mount\",\"path\":\"ns/mnt\"}",
     "linux.namespaces[4].path: must be an absolute path"},
    {"linux.namespaces.0", "{\"type\":\"pid\",\"path\":\"proc/1/ns/pid\"}",
     "linux.namespaces[0].path: must be an absolute path"},
    {"linux.namespaces.3", "{\"type\":\"cgroup\"}", "hostname: needs a new uts namespace"},
    {"linux.devices", "[{\"path\":\"/etc/x\",\"type\":\"c\"}]",
     "linux.devices[0].path: must be under /dev/"},
    {"linux.devices", "[{\"path\":\"/dev/x\",\"type\":\"z\"}]",
     "linux.devices[0].type: must be c, u, b or p"},
    {"linux.devices", "[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":-1}]",
     "linux.devices[0]: major, minor, fileMode, uid or gid out of range"},
    {"linux.resources", "{\"memory\":{\"limit\":2048,\"swap\":1024}}",
     "linux.resources.memory.swap: 1024 is below the limit 2048"},
    {"linux.resources", "{\"memory\":{\"limit\":\"1g\"}}",
     "linux.resources.memory.limit: not an integer"},
    {"linux.resources", "{\"cpu\":{\"shares\":300000}}",
     "linux.resources.cpu.shares: 300000 is not in 0..262144"},
    {"linux.resources", "{\"cpu\":{\"quota\":1000,\"period\":10}}",
     "linux.resources.cpu: quota must be -1 or more, period 1000..1000000"},
    {"linux.resources", "{\"devices\":[{\"access\":\"rwm\"}]}",
     "linux.resources.devices[0].allow: missing"},
    {"linux.resources", "[]", "linux.resources: not an object"},
    {"linux.sysctl", "{\"net/ipv4\":\"1\"}", "linux.sysctl: bad name \"net/ipv4\""},
    {"linux.sysctl", "{\"net.ipv4.ip_forward\":1}", "linux.sysctl.net.ipv4.ip_forward: not a string"},
    {"linux.rootfsPropagation", "\"sideways\"", "linux.rootfsPropagation: unknown value sideways"},
    {"linux.seccomp", "{\"syscalls\":[]}", "linux.seccomp.defaultAction: missing"},
    {"linux.seccomp", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPath\":\"s\"}",
     "linux.seccomp.listenerPath: must be an absolute path"},
    {"linux.seccomp", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerMetadata\":1}",
     "linux.seccomp.listenerMetadata: not a string"},
    {"linux.maskedPaths", "[\"proc/kcore\"]", "linux.maskedPaths: proc/kcore is not an absolute path"},
    {"linux.readonlyPaths", "\"/proc/sys\"", "linux.readonlyPaths: not an array"},
};

/* base with a user namespace and the two maps (JSON text). */
static char *with_userns(const char *uid, const char *gid)
{
	json_t *root = json_loads(base, 0, NULL);
	json_t *lx = json_object_get(root, "linux");
	char *text;

	json_array_append_new(json_object_get(lx, "namespaces"), json_pack("{s:s}", "type", "user"));
	json_object_set_new(lx, "uidMappings", json_loads(uid, 0, NULL));
	json_object_set_new(lx, "gidMappings", json_loads(gid, 0, NULL));
	text = json_dumps(root, 0);
	json_decref(root);
	return text;
}

/* Every type joined by path but network, ipc and uts; a joined user
 * namespace keeps its own maps (the config's are not written). */
static void test_joins(void **state)
{
	json_t *root = json_loads(base, 0, NULL);
	json_t *lx = json_object_get(root, "linux"), *seccomp;
	struct oci_config c;
	struct sb_spec sp = {0};
	struct berr e;
	char *t;

	(void)state;
	json_object_set_new(lx, "namespaces",
			    json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s},"
				      "{s:s},{s:s}]",
				      "type", "user", "path", "/u", "type", "mount", "path", "/m",
				      "type", "pid", "path", "/p", "type", "time", "path", "/t",
				      "type", "cgroup", "path", "/c", "type", "network", "type",
				      "ipc", "type", "uts"));
	json_object_set_new(lx, "uidMappings", json_loads("[{\"containerID\":0,\"hostID\":1,"
							  "\"size\":1}]", 0, NULL));
	seccomp = json_pack("{s:s,s:s,s:s}", "defaultAction", "SCMP_ACT_ALLOW", "listenerPath",
			    "/agent.sock", "listenerMetadata", "m");
	json_object_set_new(lx, "seccomp", seccomp);
	t = json_dumps(root, 0);
	json_decref(root);
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	oci_config_spec(&c, &sp);
	assert_int_equal(sp.njoins, 5);
	assert_int_equal(sp.joins[0].type, CLONE_NEWUSER);
	assert_string_equal(sp.joins[1].path, "/m");
	assert_int_equal(sp.joins[3].type, 0x80); /* CLONE_NEWTIME */
	assert_int_equal(sp.namespaces, CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
	assert_int_equal(sp.nuid_map, 0);
	assert_string_equal(c.listener, "/agent.sock");
	assert_string_equal(c.listener_meta, "m");
	oci_config_free(&c);
}

static void test_userns_maps(void **state)
{
	char *t = with_userns("[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]",
			      "[{\"containerID\":0,\"hostID\":200000,\"size\":1000},"
			      "{\"containerID\":1000,\"hostID\":300000,\"size\":1}]");
	struct oci_config c;
	struct sb_spec sp = { 0 };
	struct berr e;

	(void)state;
	assert_int_equal(parse(t, &c, &e), 0);
	free(t);
	assert_int_equal(c.nwarnings, 0);
	oci_config_spec(&c, &sp);
	assert_true(sp.namespaces & CLONE_NEWUSER);
	assert_int_equal(sp.nuid_map, 1);
	assert_int_equal(sp.uid_map[0].outside, 100000);
	assert_int_equal(sp.uid_map[0].count, 65536);
	assert_int_equal(sp.ngid_map, 2);
	assert_int_equal(sp.gid_map[1].inside, 1000);
	assert_int_equal(sp.gid_map[1].outside, 300000);
	oci_config_free(&c);
}

static void test_userns_bad_maps(void **state)
{
	static const char *const bad[][3] = {
		{ "[{\"containerID\":0,\"hostID\":1,\"size\":0}]", "[]",
		  "linux.uidMappings[0]: size must be at least 1" },
		{ "[{\"containerID\":0,\"hostID\":1}]", "[]",
		  "linux.uidMappings[0]: needs containerID, hostID and size" },
		{ "[{\"containerID\":0,\"hostID\":-5,\"size\":1}]", "[]",
		  "linux.uidMappings[0]: needs containerID, hostID and size" },
		{ "[{\"containerID\":\"0\",\"hostID\":1,\"size\":1}]", "[]",
		  "linux.uidMappings[0].containerID: not an integer" },
		{ "[7]", "[]", "linux.uidMappings[0]: not an object" },
		{ "[{\"containerID\":0,\"hostID\":4294967290,\"size\":10}]", "[]",
		  "linux.uidMappings[0]: range ends past 4294967294" },
		{ "[{\"containerID\":0,\"hostID\":1000,\"size\":10},"
		  "{\"containerID\":10,\"hostID\":1005,\"size\":10}]",
		  "[]", "linux.uidMappings[1]: overlaps linux.uidMappings[0]" },
		{ "[{\"containerID\":0,\"hostID\":1000,\"size\":10}]", "[]",
		  "linux.gidMappings: needs 1 to 16 ranges, not 0" },
	};
	struct oci_config c;
	struct berr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = with_userns(bad[i][0], bad[i][1]);

		assert_int_equal(parse(t, &c, &e), -EINVAL);
		free(t);
		if (!strstr(e.msg, bad[i][2]))
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, bad[i][2], e.msg);
	}
}

static void test_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];
		char *t = patched(b->path, b->value);
		struct oci_config c;
		struct berr e;

		if (parse(t, &c, &e) == 0) {
			fail_msg("%s=%s parsed", b->path, b->value ? b->value : "(removed)");
		} else if (strcmp(e.msg, b->error) != 0 &&
			   strncmp(e.msg, b->error, strlen(b->error)) != 0) {
			fail_msg("%s: got \"%s\", want \"%s\"", b->path, e.msg, b->error);
		}
		assert_null(c.json); /* freed on failure */
		free(t);
	}
}

static void test_not_json(void **state)
{
	struct oci_config c;
	struct berr e;

	(void)state;
	assert_int_equal(parse("{\"ociVersion\": ", &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "line 1"));
	assert_int_equal(parse("[1]", &c, &e), -EINVAL);
	assert_string_equal(e.msg, "not a JSON object");
	assert_int_equal(parse("{\"ociVersion\":\"1.0.0\",\"ociVersion\":\"1.0.0\"}", &c, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "duplicate"));
}

static void test_process_alone(void **state)
{
	struct oci_config c = {0};
	struct oci_process p;
	struct berr e;

	(void)state;
	c.json = json_loads("{\"args\":[\"ps\"],\"cwd\":\"/\",\"terminal\":true,"
			    "\"consoleSize\":{\"height\":24,\"width\":80},"
			    "\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[5,6]}}",
			    0, NULL);
	assert_int_equal(oci_process_parse(&c, c.json, &p, &e), 0);
	assert_string_equal(p.args[0], "ps");
	assert_string_equal(p.user, "1000:100");
	assert_int_equal(p.ngids, 2);
	assert_int_equal(p.gids[1], 6);
	assert_int_equal(p.rows, 24);
	assert_int_equal(p.cols, 80);
	assert_true(p.terminal);
	oci_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runc_default),	cmocka_unit_test(test_binds_joins_devices),
	    cmocka_unit_test(test_resources),	cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_bad_inputs),	cmocka_unit_test(test_not_json),
	    cmocka_unit_test(test_process_alone), cmocka_unit_test(test_userns_maps),
	    cmocka_unit_test(test_joins),
	    cmocka_unit_test(test_userns_bad_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
