/* main.c - the multi-call entry point.
 *
 * As PID 1, or when called "init", berth boots the appliance. Otherwise the
 * first word picks a verb: local ones (help, version, daemon, modules,
 * console) run here; the rest go to the supervisor over the control FIFO.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cli/cli_attach.h"
#include "runtime/cli/cli_build.h"
#include "runtime/cli/cli_compose.h"
#include "runtime/cli/cli_cp.h"
#include "runtime/cli/cli_ctr.h"
#include "runtime/cli/cli_events.h"
#include "runtime/cli/cli_exec.h"
#include "runtime/cli/cli_groups.h"
#include "runtime/cli/cli_manage.h"
#include "runtime/cli/cli_registry.h"
#include "runtime/cli/cli_run.h"
#include "runtime/cli/cli_start.h"
#include "runtime/cli/cli_volume.h"
#include "runtime/cli/cli_network.h"
#include "runtime/cli/client.h"
#include "runtime/cli/flags.h"
#include "runtime/cli/img_cli.h"
#include "runtime/cli/sandbox_cli.h"
#include "runtime/container/hostcfg.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/selfexe.h"
#include "runtime/lib/util.h"
#include "runtime/oci/oci.h"
#include "runtime/update/update.h"
#include "version.h"
#include "init/boot/init.h"
#include "init/boot/modules.h"

/* A verb: its flg_cmd (name, Usage line, description, flags: `berth help`
 * and `berth VERB --help` print them) and what runs it. */
struct cli_verb {
	const struct flg_cmd *cmd;
	int (*local)(const char *root, int argc, char **argv); /* NULL: ask the supervisor */
};

static int cli_help(const char *root, int argc, char **argv);

/* `update` is two commands: Docker's (a container's limits and restart
 * policy) and the appliance's A/B slots (`update apply|status|rollback`,
 * runtime/update). A first word that names an update subcommand goes to
 * the latter; a container with such a name is reached with `container
 * update`. */
static int update_dispatch(const char *root, int argc, char **argv)
{
	if (argc > 1 && flg_find_cmd(&upd_cmd, argv[1]))
		return upd_main(root, argc, argv);
	return cli_update(root, argc, argv);
}
static int cli_version(const char *root, int argc, char **argv);
static int cli_daemon(const char *root, int argc, char **argv);
static int cli_init(const char *root, int argc, char **argv);
static int cli_modules(const char *root, int argc, char **argv);
static int cli_console(const char *root, int argc, char **argv);
static int cli_groups(const char *root, int argc, char **argv);

/* The help of a verb that parses its words itself, or whose words go to
 * the supervisor as they are. */
#define CMD(name, use, text, ...)                                                                  \
	(&(const struct flg_cmd){ .path = (name), .usage = (use), .desc = (text), .max_args = -1,  \
				  __VA_ARGS__ })

static const struct flg restart_flags[] = {
	FLG_DOC(FLG_T_INT, 't', "time", "Seconds to wait before killing the container"),
	FLG_END,
};

static const struct flg kill_flags[] = {
	FLG_DOC(FLG_T_STRING, 's', "signal",
		"Signal to send to the container: a name, with or without SIG, or a number "
		"(default KILL)"),
	FLG_END,
};

static const struct flg daemon_flags[] = {
	FLG_DOC(FLG_T_STRING, 0, "bridge", "The bridge's `ADDR/PREFIX` (dockerd's --bip)"),
	FLG_DOC(FLG_T_BOOL, 0, "debug", "Log debug messages"),
	FLG_DOC(FLG_T_STRING, 0, "root", "Keep everything under `DIR` (required; or BERTH_ROOT)"),
	FLG_END,
};

struct modules_opts {
	const char *dir;
};

#define MOD(f) struct modules_opts, f
static const struct flg modules_flags[] = {
	FLG_STRING(0, "dir", MOD(dir), "The kernel's modules directory"),
	FLG_END,
};

static const struct flg_cmd modules_cmd = {
	.path = "modules",
	.usage = "--dir DIR NAME...",
	.desc = "Print the module files NAME needs, dependencies first",
	.flags = modules_flags,
	.min_args = 1,
	.max_args = -1,
	.args_status = 2,
};

static const struct cli_verb verbs[] = {
	{ &cli_run_cmd, cli_run },
	{ &cli_create_cmd, cli_run },
	{ &cli_start_cmd, cli_start },
	{ &cli_stop_cmd, cli_stop },
	{ CMD("restart", "[OPTIONS] CONTAINER [CONTAINER...]", "Restart containers",
	      .flags = restart_flags),
	  NULL },
	{ CMD("kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Send a signal to containers",
	      .flags = kill_flags),
	  NULL },
	{ &cli_rm_cmd, cli_rm },
	{ &cli_attach_cmd, cli_attach },
	{ CMD("wait", "CONTAINER", "Wait for a container to exit; print its exit code"), NULL },
	{ &cli_exec_cmd, cli_exec },
	{ &cli_top_cmd, cli_top },
	{ &cli_stats_cmd, cli_stats },
	{ &cli_ps_cmd, cli_ps },
	{ &cli_logs_cmd, cli_logs },
	{ &cli_inspect_cmd, cli_inspect },
	{ &cli_port_cmd, cli_port },
	{ &cli_pause_cmd, cli_pause },
	{ &cli_unpause_cmd, cli_pause },
	{ &cli_rename_cmd, cli_rename },
	{ &cli_update_cmd, update_dispatch },
	{ &cli_cp_cmd, cli_cp },
	{ &cli_diff_cmd, cli_diff },
	{ &cli_export_cmd, cli_export },
	{ &cli_container_cmd, cli_groups },
	{ &cli_system_cmd, cli_groups },
	{ &cli_compose_cmd, cli_compose },
	{ &cli_events_cmd, cli_events },
	{ CMD("boot", "", "Show the boot timeline (milestones of PID 1)"), NULL },
	{ CMD("poweroff", "", "Stop everything and power the appliance off"), NULL },
	{ CMD("reboot", "", "Stop everything and reboot"), NULL },
	{ CMD("halt", "", "Stop everything and halt"), NULL },
	{ CMD("ping", "", "Check that the supervisor answers"), NULL },
	{ &cli_info_cmd, cli_info },
	{ &cli_volume_cmd, cli_volume },
	{ &cli_network_cmd, cli_network },
	{ CMD("version", "", "Show the berth version information (client and server)"),
	  cli_version },
	{ CMD("help", "", "Show this help"), cli_help },
	{ CMD("daemon", "--root DIR [OPTIONS]", "Run the supervisor on an ordinary host",
	      .flags = daemon_flags),
	  cli_daemon },
	{ CMD("init", "", "Boot the appliance (what /sbin/init does)"), cli_init },
	{ &modules_cmd, cli_modules },
	{ CMD("console", "", "A prompt that takes only berth commands"), cli_console },
	{ &img_images_cmd, img_cmd_images },
	{ &img_import_cmd, img_cmd_import },
	{ &img_load_cmd, img_cmd_load },
	{ &img_tag_cmd, img_cmd_tag },
	{ &img_rmi_cmd, img_cmd_rmi },
	{ &img_history_cmd, img_cmd_history },
	{ &img_image_cmd, img_cmd_image },
	{ &img_save_cmd, img_cmd_save },
	{ &bld_builder_cmd, bld_cmd_builder },
	{ &bld_commit_cmd, bld_cmd_commit },
	{ &bld_build_cmd, bld_cmd_build },
	{ &reg_pull_cmd, reg_cmd_pull },
	{ &reg_push_cmd, reg_cmd_push },
	{ &reg_login_cmd, reg_cmd_login },
	{ &reg_logout_cmd, reg_cmd_logout },
	{ &reg_search_cmd, reg_cmd_search },
	{ &cli_sandbox_run_cmd, cli_sandbox_run }, /* hidden: a test driver */
	/* hidden: PID 1 faults (refused unless booted with berth.debug) */
	{ CMD("debug-fault", "[SEGV|BUS|ABRT|FPE|ILL]", "Make PID 1 fault (tests)", .hidden = true),
	  NULL },
	{ CMD("oci", "[GLOBAL OPTIONS] COMMAND CONTAINER-ID",
	      "The OCI runtime (runc's command line; also as argv[0] \"runc\")"),
	  NULL }, /* dispatched in main() */
};

struct main_opts {
	const char *root;
	bool version;
};

#define M(f) struct main_opts, f
static const struct flg main_flags[] = {
	FLG_STRING(0, "root", M(root),
		   "Talk to the daemon run with --root `DIR` (or set BERTH_ROOT), not to PID 1"),
	FLG_BOOL('v', "version", M(version), "Show the version"),
	FLG_END,
};

/* berth itself: the global options, then a verb. */
static const struct flg_cmd berth_cmd = {
	.path = "",
	.usage = "[OPTIONS] COMMAND [ARG...]",
	.desc = "A tiny container appliance: PID 1 and a Docker-like CLI in one binary.",
	.flags = main_flags,
	.max_args = -1,
	.stop_at_operand = true,
};

/* Docker's help, with the verbs of the table as its commands. */
static void print_help(FILE *to)
{
	const struct flg_cmd *cmds[ARRAY_SIZE(verbs) + 1];
	struct flg_cmd c = berth_cmd;

	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		cmds[i] = verbs[i].cmd;
	cmds[ARRAY_SIZE(verbs)] = NULL;
	c.cmds = cmds;
	flg_help(&c, to);
}

static int cli_help(const char *root, int argc, char **argv)
{
	(void)root;
	(void)argc;
	(void)argv;
	print_help(stdout);
	return 0;
}

/* `docker version`'s layout: the client, then what the supervisor says
 * of itself ("berth VERSION (MODE, pid N)"); without one, its error line
 * and exit 1, as docker without a daemon. */
static int cli_version(const char *root, int argc, char **argv)
{
	char *ask[] = { "version", NULL }, ver[128] = "", mode[32] = "", *out = NULL;
	int pid = 0, r;

	(void)argc;
	(void)argv;
	printf("Client:\n Version:           %s\n OS/Arch:           linux/amd64\n\n",
	       BERTH_VERSION);
	fflush(stdout);
	r = client_ask(root, 1, ask, 5000, &out);
	if (r != 0) {
		free(out);
		return 1;
	}
	if (!out || sscanf(out, "berth %127s (%31[^,], pid %d)", ver, mode, &pid) != 3) {
		fprintf(stderr, "berth: the server's version reply \"%s\" is not understood\n",
			out ? out : "");
		free(out);
		return 1;
	}
	printf("Server:\n Engine:\n  Version:          %s\n  Mode:             %s (pid %d)\n",
	       ver, mode, pid);
	free(out);
	return 0;
}

static int cli_daemon(const char *root, int argc, char **argv)
{
	if (*root)
		setenv("BERTH_ROOT", root, 1);
	return daemon_main(argc, argv);
}

static int cli_init(const char *root, int argc, char **argv)
{
	(void)root;
	return init_main(argc, argv);
}

/* Used by build.sh to copy a distribution kernel's modules into the image
 * with the same resolver PID 1 uses to load them. */
static int cli_modules(const char *root, int argc, char **argv)
{
	struct modules_opts o = { 0 };
	struct flg_out a;
	struct mod_db db;
	struct berr e;
	int *order, count = 0, rc = 0;

	(void)root;
	if (flg_verb(&modules_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (!o.dir) {
		fprintf(stderr,
			"berth: \"modules\" needs --dir DIR\nSee 'berth modules --help'.\n");
		return 2;
	}
	if (mod_db_load(&db, o.dir, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	order = calloc(db.count + 1, sizeof(int));
	for (int i = 0; order && i < a.argc; i++) {
		if (mod_resolve(&db, a.argv[i], order, &count, db.count, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			rc = 1;
		}
	}
	for (int k = 0; order && k < count; k++)
		printf("%s\n", db.entries[order[k]].path);
	free(order);
	mod_db_free(&db);
	return rc;
}

static const struct cli_verb *find_verb(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(verbs[i].cmd->path, name) == 0)
			return &verbs[i];
	}
	return NULL;
}

static int dispatch(const char *root, int argc, char **argv)
{
	const struct cli_verb *v = find_verb(argv[0]);

	if (!v) {
		fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'.\n",
			argv[0]);
		return 1;
	}
	/* (a group lists its subcommands itself) */
	if (argc > 1 && v->local != cli_groups && flg_is_help(v->cmd, argv[1])) {
		flg_help(v->cmd, stdout);
		return 0;
	}
	if (v->local)
		return v->local(root, argc, argv);
	return client_call(root, argc, argv);
}

/* `berth container ...`, `berth system ...`: Docker's management commands
 * over the verbs of this table. */
static int cli_groups(const char *root, int argc, char **argv)
{
	return cli_group(root, argc, argv, dispatch);
}

/* berth.console=restricted: read lines, run only berth commands. */
static int cli_console(const char *root, int argc, char **argv)
{
	char line[PROTO_LINE_MAX];

	(void)argc;
	(void)argv;
	printf("berth console: type berth commands ('help' lists them; Ctrl-D ends)\n");
	for (;;) {
		char *words[PROTO_ARGS_MAX + 1];
		struct berr e;
		int n, off = 0;
		pid_t pid;

		printf("berth> ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 0;
		n = proto_split(line, words, PROTO_ARGS_MAX, &e);
		if (n < 0) {
			printf("berth: %s\n", e.msg);
			continue;
		}
		if (n > 0 && strcmp(words[0], "berth") == 0)
			off = 1;
		if (n - off <= 0)
			continue;
		if (strcmp(words[off], "console") == 0 || strcmp(words[off], "init") == 0 ||
		    strcmp(words[off], "daemon") == 0) {
			printf("berth: \"%s\" is not available here\n", words[off]);
			continue;
		}
		pid = fork();
		if (pid == 0)
			_exit(dispatch(root, n - off, words + off));
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	const char *base = basename(argv[0]);
	struct main_opts o = { .root = getenv("BERTH_ROOT") };
	char *words[argc + 1];
	struct flg_out a;
	struct berr e;
	int r;

	/* --init: a container's init, PID 1 of its pid namespace */
	if (strcmp(base, "docker-init") == 0)
		return hx_init_main(argc, argv);
	if (getpid() == 1 || strcmp(base, "init") == 0)
		return init_main(argc, argv);
	/* the OCI runtime personality: runc's command line */
	if (oci_invoked(argc, argv))
		return oci_main(argc, argv, argv);
	if (argc > 1 && strcmp(argv[1], "oci") == 0)
		return oci_main(argc - 1, argv + 1, argv);
	/* parsed in a copy: argv stays whole for selfexe_seal() */
	memcpy(words, argv, sizeof(words));
	r = flg_parse(&berth_cmd, &o, argc, words, &a, &e);
	if (r == FLG_HELP)
		return cli_help("", 0, NULL);
	if (r < 0) {
		/* the CLI's own error: 125, as docker's */
		fprintf(stderr, "berth: %s\nSee 'berth --help'.\n", e.msg);
		return 125;
	}
	if (o.version) {
		printf("berth version %s\n", BERTH_VERSION);
		return 0;
	}
	if (a.argc == 0) { /* as docker: the usage on stderr, exit 0 */
		print_help(stderr);
		return 0;
	}
	/* Processes that start or enter containers run from a sealed copy of
	 * berth, so nothing in a container can reach the binary on disk
	 * (CVE-2019-5736). init does it itself, after mounting /proc. */
	if (strcmp(a.argv[0], "daemon") == 0 || strcmp(a.argv[0], "exec") == 0) {
		if (selfexe_seal(argv, &e) < 0)
			fprintf(stderr, "berth: warning: %s\n", e.msg);
	}
	return dispatch(o.root ? o.root : "", a.argc, a.argv);
}
