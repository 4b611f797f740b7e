/* cli_groups.h - Docker's management commands over the verbs: `berth
 * container SUB` (ls, ps, list = ps; prune; the others are the verbs of
 * the same name) and `berth system SUB` (df, prune, info, events). */
#ifndef BERTH_CLI_GROUPS_H
#define BERTH_CLI_GROUPS_H

#include "flags.h"

extern const struct flg_cmd cli_container_cmd, cli_system_cmd;

/* How a group runs a top-level verb: main.c's dispatch (its words start
 * with the verb's name). */
typedef int (*cli_dispatch_fn)(const char *root, int argc, char **argv);

/* argv[0] is the group's name ("container" or "system"). */
int cli_group(const char *root, int argc, char **argv, cli_dispatch_fn dispatch);

#endif
