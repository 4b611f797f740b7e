/* oci_spec.c - spec (a default config.json, as `runc spec` writes) and
 * features (what this runtime implements, as `runc features`). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_rt.h"
#include "runtime/lib/file.h"
#include "runtime/sandbox/caps.h"

static const char default_spec[] =
#include "oci_default_spec.inc"
    ;

struct spec_opts {
	const char *bundle;
	bool rootless;
};

static const struct flg spec_flags[] = {
    FLG_STRING('b', "bundle", OF(struct spec_opts, bundle), "Write config.json in `DIR`"),
    FLG_BOOL(0, "rootless", OF(struct spec_opts, rootless), "Refused: berth runs as root"),
    FLG_END,
};
static const struct flg_cmd spec_cmd = {.path = "spec", .usage = "[OPTIONS]",
					.flags = spec_flags,
					.desc = "Write a default config.json (refuses to overwrite)"};

int oci_cmd_spec(struct oci_ctx *x, int argc, char **argv)
{
	struct spec_opts o = {0};
	struct flg_out a;
	char path[4200];
	int fd, r = oci_flags(x, &spec_cmd, &o, argc, argv, &a);

	if (r != 0)
		return oci_exit(r);
	if (o.rootless) {
		oci_log(x, "error", "spec --rootless: rootless containers are not supported");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/config.json", o.bundle ? o.bundle : ".");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		oci_log(x, "error", errno == EEXIST ? "File %s exists. Remove it first"
						    : "create %s: %s", path, strerror(errno));
		return 1;
	}
	r = write_all(fd, default_spec, strlen(default_spec));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		oci_log(x, "error", "write %s: %s", path, strerror(-r));
		unlink(path);
		return 1;
	}
	return 0;
}

static json_t *str_array(const char *const *v)
{
	json_t *a = json_array();

	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *cap_names(void)
{
	json_t *a = json_array();
	char name[64];

	for (int c = 0; c <= CAPS_LAST; c++) {
		snprintf(name, sizeof(name), "CAP_%s", caps_name(c));
		json_array_append_new(a, json_string(name));
	}
	return a;
}

static json_t *linux_features(void)
{
	static const char *const ns[] = {"cgroup", "ipc",  "mount", "network", "pid",
					 "time",   "user", "uts",   NULL};
	static const char *const actions[] = {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
					      "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
					      "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
					      "SCMP_ACT_TRAP", NULL};
	static const char *const ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					  "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
					  "SCMP_CMP_NE", NULL};
	static const char *const archs[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
					    NULL};

	return json_pack("{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o}, s:{s:b}, "
			 "s:{s:b}}",
			 "namespaces", str_array(ns), "capabilities", cap_names(), "cgroup", "v1",
			 0, "v2", 1, "systemd", 0, "systemdUser", 0, "seccomp", "enabled", 1,
			 "actions", str_array(actions), "operators", str_array(ops), "archs",
			 str_array(archs), "apparmor", "enabled", 0, "selinux", "enabled", 0);
}

int oci_cmd_features(struct oci_ctx *x, int argc, char **argv)
{
	static const char *const hooks[] = {"prestart",	     "createRuntime", "createContainer",
					    "startContainer", "poststart",     "poststop",
					    NULL};
	static const char *const opts[] = {
	    "async", "atime", "bind", "dev", "diratime", "dirsync", "exec", "lazytime", "mand",
	    "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime",
	    "nosuid", "private", "rbind", "relatime", "rprivate", "rshared", "rslave",
	    "runbindable", "ro", "rw", "shared", "slave", "strictatime", "suid", "sync",
	    "unbindable", NULL};
	static const struct flg_cmd cmd = {.path = "features", .usage = "",
					   .desc = "Print what this runtime supports"};
	struct flg_out a;
	json_t *j;
	char *text;
	int r = oci_flags(x, &cmd, NULL, argc, argv, &a);

	if (r != 0)
		return oci_exit(r);
	j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s}}", "ociVersionMin", "1.0.0",
		      "ociVersionMax", "1.1.0", "hooks", str_array(hooks), "mountOptions",
		      str_array(opts), "linux", linux_features(), "annotations",
		      "org.opencontainers.runc.version", "berth");
	text = j ? json_dumps(j, JSON_INDENT(4)) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(j);
	return text ? 0 : 1;
}
