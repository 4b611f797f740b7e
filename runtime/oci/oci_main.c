/* oci_main.c - runc's command line: global flags, then a verb. */
#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oci_rt.h"
#include "runtime/lib/log.h"
#include "runtime/lib/selfexe.h"
#include "runtime/lib/util.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "dev"
#endif

struct global_opts {
	const char *root, *log, *log_format, *criu, *rootless;
	bool debug, systemd_cgroup, version;
};

#define G(f) struct global_opts, f
static const struct flg global_flags[] = {
    FLG_STRING(0, "root", G(root), "Keep the containers' state under `DIR` (default "
				   OCI_DEFAULT_ROOT ")"),
    FLG_STRING(0, "log", G(log), "Write the log to `FILE` as well"),
    FLG_STRING(0, "log-format", G(log_format), "text or json"),
    FLG_BOOL(0, "debug", G(debug), "Log debug messages"),
    FLG_BOOL(0, "systemd-cgroup", G(systemd_cgroup), "Refused: berth manages cgroupfs paths"),
    FLG_STRING(0, "criu", G(criu), "Accepted; checkpoint/restore is not supported"),
    FLG_STRING(0, "rootless", G(rootless), "Accepted; berth runs as root only"),
    FLG_BOOL('v', "version", G(version), "Print the version"),
    FLG_END,
};

struct oci_verb {
	const char *name, *desc;
	int (*run)(struct oci_ctx *x, int argc, char **argv);
	bool seal; /* enters a container: run from a sealed copy (selfexe.h) */
};

static const struct oci_verb verbs[] = {
    {"create", "Create a container", oci_cmd_create, true},
    {"start", "Start a created container", oci_cmd_start, false},
    {"run", "Create and start a container", oci_cmd_run, true},
    {"state", "Print a container's state", oci_cmd_state, false},
    {"list", "List containers", oci_cmd_list, false},
    {"kill", "Signal a container", oci_cmd_kill, false},
    {"delete", "Delete a container", oci_cmd_delete, false},
    {"exec", "Run a process in a container", oci_cmd_exec, true},
    {"ps", "List a container's processes", oci_cmd_ps, false},
    {"pause", "Freeze a container", oci_cmd_pause, false},
    {"resume", "Thaw a container", oci_cmd_resume, false},
    {"update", "Change a container's limits", oci_cmd_update, false},
    {"spec", "Write a default config.json", oci_cmd_spec, false},
    {"features", "Print what this runtime supports (JSON)", oci_cmd_features, false},
    {"events", "Print a container's stats and OOM kills (JSON)", oci_cmd_events, false},
};

static const struct flg_cmd oci_cmd = {
    .path = "oci", .usage = "[GLOBAL OPTIONS] COMMAND [OPTIONS] CONTAINER-ID",
    .desc = "An OCI runtime with runc's command line", .flags = global_flags, .max_args = -1,
    .stop_at_operand = true};

int oci_flags(struct oci_ctx *x, const struct flg_cmd *c, void *opts, int argc, char **argv,
	      struct flg_out *out)
{
	struct berr e;
	int r = flg_parse(c, opts, argc, argv, out, &e);

	if (r == FLG_HELP) {
		flg_help(c, stdout);
		return -1;
	}
	if (r < 0) {
		oci_log(x, "error", "%s: %s", c->path, e.msg);
		return 1;
	}
	return 0;
}

static void help(void)
{
	flg_help(&oci_cmd, stdout);
	printf("\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		printf("  %-9s %s\n", verbs[i].name, verbs[i].desc);
}

static int dispatch(struct oci_ctx *x, int argc, char **argv)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		struct berr e;

		if (strcmp(verbs[i].name, argv[0]) != 0)
			continue;
		if (verbs[i].seal && selfexe_seal(x->argv0, &e) < 0)
			oci_log(x, "warning", "run unsealed: %s", e.msg);
		return verbs[i].run(x, argc, argv);
	}
	oci_log(x, "error", "unknown command \"%s\" (see --help)", argv[0]);
	return 1;
}

static bool flag_is(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

bool oci_invoked(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	size_t n = strlen(base);

	if (strcmp(base, "runc") == 0 || (n > 5 && strcmp(base + n - 5, "-runc") == 0))
		return true;
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (flag_is(argv[i], "--log") || flag_is(argv[i], "--log-format") ||
		    flag_is(argv[i], "--systemd-cgroup"))
			return true;
		if (strcmp(argv[i], "--root") == 0)
			i++; /* its value */
	}
	return false;
}

int oci_main(int argc, char **argv, char **full_argv)
{
	struct global_opts g = {0};
	struct oci_ctx x = {.root = OCI_DEFAULT_ROOT, .argv0 = full_argv};
	char *words[argc + 1];
	struct flg_out a;
	int r;

	memcpy(words, argv, sizeof(char *) * argc);
	words[argc] = NULL;
	r = oci_flags(&x, &oci_cmd, &g, argc, words, &a);
	if (r != 0)
		return oci_exit(r);
	x.root = g.root ? g.root : OCI_DEFAULT_ROOT;
	x.log_path = g.log;
	x.log_json = g.log_format && strcmp(g.log_format, "json") == 0;
	x.debug = g.debug;
	log_set_debug(g.debug);
	if (g.version) {
		printf("berth version %s\nspec: 1.0.2\n", BERTH_VERSION);
		return 0;
	}
	if (g.log_format && !x.log_json && strcmp(g.log_format, "text") != 0) {
		oci_log(&x, "error", "invalid log-format: %s", g.log_format);
		return 1;
	}
	if (g.systemd_cgroup) {
		oci_log(&x, "error", "--systemd-cgroup is not supported: berth manages cgroupfs "
				     "paths (set SystemdCgroup = false / cgroup_manager = \"cgroupfs\")");
		return 1;
	}
	if (a.argc == 0) {
		help();
		return 0;
	}
	return dispatch(&x, a.argc, a.argv);
}
