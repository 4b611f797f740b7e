/* cli_exec.h - exec, top and stats: verbs that act on a running container
 * from the CLI process (as root), with the container's own settings, and
 * read its cgroup; PID 1 is not involved. exec and top are in cli_exec.c,
 * stats in cli_stats.c. */
#ifndef BERTH_CLI_EXEC_H
#define BERTH_CLI_EXEC_H

#include "flags.h"

extern const struct flg_cmd cli_exec_cmd, cli_top_cmd, cli_stats_cmd;

/* `exec [OPTIONS] CONTAINER CMD...`: CMD in the container's namespaces and
 * cgroup (sb_exec), with its user, capabilities and seccomp; its exit code. */
int cli_exec(const char *root, int argc, char **argv);
/* `top CONTAINER`: the processes in the container's pid namespace. */
int cli_top(const char *root, int argc, char **argv);
/* `stats [-a] [--no-stream] [--no-trunc] [--format T] [CONTAINER...]`:
 * Docker's columns from cgroup v2 and the container's /proc/PID/net/dev. */
int cli_stats(const char *root, int argc, char **argv);

#endif
