/* cli_cp.h - the verbs that read or write a container's files: cp (both
 * directions, and tar streams through "-"), export and diff. They work
 * on running and stopped containers alike (runtime/container/ctr_root.h)
 * and resolve every path inside the container's root
 * (runtime/container/copy.h). */
#ifndef BERTH_CLI_CP_H
#define BERTH_CLI_CP_H

#include "flags.h"

extern const struct flg_cmd cli_cp_cmd, cli_export_cmd, cli_diff_cmd;

int cli_cp(const char *root, int argc, char **argv);
int cli_export(const char *root, int argc, char **argv);
int cli_diff(const char *root, int argc, char **argv);

#endif
