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

#include "runtime/cli/cli_compose.h"
#include "runtime/cli/cli_ctr.h"
#include "runtime/cli/cli_volume.h"
#include "runtime/cli/client.h"
#include "runtime/image/build.h"
#include "runtime/cli/img_cli.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/selfexe.h"
#include "runtime/cli/sandbox_cli.h"
#include "runtime/lib/util.h"
#include "version.h"
#include "init/boot/init.h"
#include "init/boot/modules.h"

struct cli_verb {
	const char *name;
	const char *usage;
	const char *help;
	int (*local)(const char *root, int argc, char **argv); /* NULL: ask the supervisor */
};

static int cmd_help(const char *root, int argc, char **argv);
static int cmd_version(const char *root, int argc, char **argv);
static int cmd_daemon(const char *root, int argc, char **argv);
static int cmd_init(const char *root, int argc, char **argv);
static int cmd_modules(const char *root, int argc, char **argv);
static int cmd_console(const char *root, int argc, char **argv);

static const struct cli_verb verbs[] = {
	{ "run", "run [OPTIONS] IMAGE [CMD...]", "Create and start a container", cli_run },
	{ "create", "create [OPTIONS] IMAGE [CMD...]", "Create a container", cli_run },
	{ "start", "start CONTAINER...", "Start containers", NULL },
	{ "stop", "stop [-t SECONDS] CONTAINER...", "Stop containers (SIGTERM, then SIGKILL)",
	  cli_stop },
	{ "restart", "restart [-t SECONDS] CONTAINER...", "Restart containers", NULL },
	{ "kill", "kill [-s SIGNAL] CONTAINER...", "Send a signal to containers", NULL },
	{ "rm", "rm [-f] [-v] CONTAINER...", "Remove containers (-v: and their anonymous volumes)", cli_rm },
	{ "attach", "attach CONTAINER", "Attach to a running container's stdio (its terminal with -t)",
	  cli_attach },
	{ "wait", "wait CONTAINER", "Wait for a container to exit; print its exit code", NULL },
	{ "exec", "exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...",
	  "Run a command in a running container", cli_exec },
	{ "top", "top CONTAINER", "Show a container's processes", cli_top },
	{ "stats", "stats [--no-stream] [CONTAINER...]", "Show CPU, memory and pids use",
	  cli_stats },
	{ "ps", "ps [-a] [-q] [--no-trunc] [--format T]", "List containers", cli_ps },
	{ "logs", "logs [-f] [-t] [--tail N] CONTAINER", "Show a container's output", cli_logs },
	{ "inspect", "inspect [-f TEMPLATE] CONTAINER...", "Show a container's details",
	  cli_inspect },
	{ "port", "port CONTAINER", "List a container's published ports", cli_port },
	{ "compose", "compose [-f FILE] [-p NAME] up|down|ps|restart|config",
	  "Run the services of a Compose file", cli_compose },
	{ "boot", "boot", "Show the boot timeline (milestones of PID 1)", NULL },
	{ "poweroff", "poweroff", "Stop everything and power the appliance off", NULL },
	{ "reboot", "reboot", "Stop everything and reboot", NULL },
	{ "halt", "halt", "Stop everything and halt", NULL },
	{ "ping", "ping", "Check that the supervisor answers", NULL },
	{ "info", "info", "Show containers, images, the host and the data disk", cli_info },
	{ "volume", "volume create|ls|inspect|rm", "Manage volumes", cli_volume },
	{ "version", "version", "Show berth's version", cmd_version },
	{ "help", "help", "Show this help", cmd_help },
	{ "daemon", "daemon --root DIR", "Run the supervisor on an ordinary host", cmd_daemon },
	{ "init", "init", "Boot the appliance (what /sbin/init does)", cmd_init },
	{ "modules", "modules --dir DIR NAME...",
	  "Print the module files NAME needs, dependencies first", cmd_modules },
	{ "console", "console", "A prompt that takes only berth commands", cmd_console },
	{ "images", "images [-q] [--format T]", "List images", img_cmd_images },
	{ "import", "import TARBALL|- NAME[:TAG]", "Create an image from a rootfs tarball", img_cmd_import },
	{ "load", "load [-i FILE|DIR]", "Load images (OCI layout/archive, docker-archive)", img_cmd_load },
	{ "tag", "tag SOURCE TARGET", "Add a tag to an image", img_cmd_tag },
	{ "rmi", "rmi [-f] IMAGE...", "Remove images", img_cmd_rmi },
	{ "history", "history [--no-trunc] IMAGE", "Show the history of an image", img_cmd_history },
	{ "image", "image inspect|history|ls|rm|tag|load|build", "Manage images", img_cmd_image },
	{ "save", "save [-o FILE] IMAGE...", "Save images to an oci-archive", img_cmd_save },
	{ "builder", "builder prune", "Remove the build cache", bld_cmd_builder },
	{ "commit", "commit [-m MSG] CONTAINER [REPO[:TAG]]", "Create an image from a container's changes", bld_cmd_commit },
	{ "build", "build [-t NAME[:TAG]] [-f FILE] [--build-arg K=V] [--no-cache] CONTEXT", "Build an image from a Containerfile", bld_cmd_build },
	{ "sandbox-run", "sandbox-run [OPTIONS] -- CMD", "Run CMD in a sandbox (debug/test)", cmd_sandbox_run },
};

static int cmd_help(const char *root, int argc, char **argv)
{
	(void)root;
	(void)argc;
	(void)argv;
	printf("Usage: berth [--root DIR] COMMAND [ARG...]\n\n"
	       "A tiny container appliance: PID 1 and a Docker-like CLI in one binary.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		printf("  %-28s %s\n", verbs[i].usage, verbs[i].help);
	printf("\nOptions:\n"
	       "  --root DIR                   Talk to `berth daemon --root DIR` (or set "
	       "BERTH_ROOT)\n"
	       "  -v, --version                Show the version\n");
	return 0;
}

static int cmd_version(const char *root, int argc, char **argv)
{
	(void)root;
	(void)argc;
	(void)argv;
	printf("berth version %s\n", BERTH_VERSION);
	return 0;
}

static int cmd_daemon(const char *root, int argc, char **argv)
{
	if (*root)
		setenv("BERTH_ROOT", root, 1);
	return daemon_main(argc, argv);
}

static int cmd_init(const char *root, int argc, char **argv)
{
	(void)root;
	return init_main(argc, argv);
}

/* Used by build.sh to copy a distribution kernel's modules into the image
 * with the same resolver PID 1 uses to load them. */
static int cmd_modules(const char *root, int argc, char **argv)
{
	const char *dir = NULL;
	struct mod_db db;
	struct berr e;
	int *order, count = 0, rc = 0, i = 1;

	(void)root;
	if (argc > 2 && strcmp(argv[1], "--dir") == 0) {
		dir = argv[2];
		i = 3;
	}
	if (!dir || i >= argc) {
		fprintf(stderr, "usage: berth modules --dir DIR NAME...\n");
		return 2;
	}
	if (mod_db_load(&db, dir, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	order = calloc(db.count + 1, sizeof(int));
	for (; order && i < argc; i++) {
		if (mod_resolve(&db, argv[i], order, &count, db.count, &e) < 0) {
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
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	}
	return NULL;
}

static int dispatch(const char *root, int argc, char **argv)
{
	const struct cli_verb *v = find_verb(argv[0]);

	if (!v) {
		fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth help'.\n",
			argv[0]);
		return 1;
	}
	if (v->local)
		return v->local(root, argc, argv);
	return client_call(root, argc, argv);
}

/* berth.console=restricted: read lines, run only berth commands. */
static int cmd_console(const char *root, int argc, char **argv)
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
	const char *root = getenv("BERTH_ROOT");
	int i = 1;

	if (getpid() == 1 || strcmp(base, "init") == 0)
		return init_main(argc, argv);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			root = argv[++i];
		} else if (strncmp(argv[i], "--root=", 7) == 0) {
			root = argv[i] + 7;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
			return cmd_version("", 0, NULL);
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return cmd_help("", 0, NULL);
		} else {
			fprintf(stderr, "berth: unknown flag: %s\nSee 'berth help'.\n", argv[i]);
			return 1;
		}
	}
	if (i >= argc) {
		cmd_help("", 0, NULL);
		return 1;
	}
	/* Processes that start or enter containers run from a sealed copy of
	 * berth, so nothing in a container can reach the binary on disk
	 * (CVE-2019-5736). init does it itself, after mounting /proc. */
	if (strcmp(argv[i], "daemon") == 0 || strcmp(argv[i], "exec") == 0) {
		struct berr e;
		if (selfexe_seal(argv, &e) < 0)
			fprintf(stderr, "berth: warning: %s\n", e.msg);
	}
	return dispatch(root ? root : "", argc - i, argv + i);
}
