/* cli_groups.c - `berth container ...` and `berth system ...` (cli_groups.h). */
#include "cli_groups.h"

#include <stdio.h>
#include <string.h>

#include "cli_prune.h"
#include "runtime/lib/util.h"

/* A subcommand: its own run (a flags.c subcommand), or a top-level verb. */
struct group_sub {
	const char *name, *verb, *desc;
	const struct flg_cmd *own;
};

static const struct group_sub container_subs[] = {
    {"attach", "attach", "Attach to a running container", NULL},
    {"commit", "commit", "Create a new image from a container's changes", NULL},
    {"cp", "cp", "Copy files/folders between a container and the local filesystem", NULL},
    {"create", "create", "Create a new container", NULL},
    {"diff", "diff", "Inspect changes to files or directories on a container's filesystem", NULL},
    {"exec", "exec", "Execute a command in a running container", NULL},
    {"export", "export", "Export a container's filesystem as a tar archive", NULL},
    {"inspect", "inspect", "Display detailed information on one or more containers", NULL},
    {"kill", "kill", "Kill one or more running containers", NULL},
    {"logs", "logs", "Fetch the logs of a container", NULL},
    {"ls", "ps", "List containers", NULL},
    {"list", "ps", NULL, NULL},
    {"ps", "ps", NULL, NULL},
    {"pause", "pause", "Pause all processes within one or more containers", NULL},
    {"port", "port", "List port mappings or a specific mapping for the container", NULL},
    {"prune", NULL, "Remove all stopped containers", &cli_container_prune_cmd},
    {"rename", "rename", "Rename a container", NULL},
    {"restart", "restart", "Restart one or more containers", NULL},
    {"rm", "rm", "Remove one or more containers", NULL},
    {"remove", "rm", NULL, NULL},
    {"run", "run", "Create and run a new container from an image", NULL},
    {"start", "start", "Start one or more stopped containers", NULL},
    {"stats", "stats", "Display a live stream of container(s) resource usage statistics", NULL},
    {"stop", "stop", "Stop one or more running containers", NULL},
    {"top", "top", "Display the running processes of a container", NULL},
    {"unpause", "unpause", "Unpause all processes within one or more containers", NULL},
    {"update", "update", "Update configuration of one or more containers", NULL},
    {"wait", "wait", "Block until one or more containers stop, then print their exit codes", NULL},
    {NULL, NULL, NULL, NULL},
};

static const struct group_sub system_subs[] = {
    {"df", NULL, "Show disk usage", &cli_system_df_cmd},
    {"events", "events", "Get real time events from the server", NULL},
    {"info", "info", "Display system-wide information", NULL},
    {"prune", NULL, "Remove unused data", &cli_system_prune_cmd},
    {NULL, NULL, NULL, NULL},
};

const struct flg_cmd cli_container_cmd = {
    .path = "container",
    .usage = "COMMAND",
    .desc = "Manage containers",
    .max_args = -1,
};

const struct flg_cmd cli_system_cmd = {
    .path = "system",
    .usage = "COMMAND",
    .desc = "Manage berth",
    .max_args = -1,
};

/* The group's help: its subcommands (aliases left out) as Commands. */
static void group_help(const struct flg_cmd *c, const struct group_sub *subs, FILE *to)
{
	struct flg_cmd list[40], with = *c;
	const struct flg_cmd *ptrs[41];
	int n = 0;

	for (const struct group_sub *s = subs; s->name && n < 40; s++) {
		if (!s->desc)
			continue;
		list[n] = (struct flg_cmd){.path = s->name, .desc = s->desc};
		ptrs[n] = &list[n];
		n++;
	}
	ptrs[n] = NULL;
	with.cmds = ptrs;
	flg_help(&with, to);
}

int cli_group(const char *root, int argc, char **argv, cli_dispatch_fn dispatch)
{
	bool system = strcmp(argv[0], "system") == 0;
	const struct flg_cmd *c = system ? &cli_system_cmd : &cli_container_cmd;
	const struct group_sub *subs = system ? system_subs : container_subs;

	if (argc > 1 && flg_is_help(c, argv[1])) {
		group_help(c, subs, stdout);
		return 0;
	}
	for (const struct group_sub *s = argc > 1 ? subs : NULL; s && s->name; s++) {
		if (strcmp(s->name, argv[1]) != 0)
			continue;
		if (s->own)
			return s->own->run((void *)root, argc - 1, argv + 1);
		argv[1] = (char *)s->verb;
		return dispatch(root, argc - 1, argv + 1);
	}
	if (argc > 1)
		fprintf(stderr, "berth: unknown %s command \"%s\"\n", argv[0], argv[1]);
	group_help(c, subs, stderr);
	return 1;
}
