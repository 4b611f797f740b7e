/* cli_manage.h - the verbs that change a container in place: pause,
 * unpause, rename, update. The CLI checks the flags and converts the
 * values; the supervisor (init/supervisor/ctr_manage.c) does the change,
 * live through the cgroup files while it runs. */
#ifndef BERTH_CLI_MANAGE_H
#define BERTH_CLI_MANAGE_H

#include "flags.h"

extern const struct flg_cmd cli_pause_cmd, cli_unpause_cmd, cli_rename_cmd, cli_update_cmd;

int cli_pause(const char *root, int argc, char **argv); /* pause and unpause */
int cli_rename(const char *root, int argc, char **argv);
int cli_update(const char *root, int argc, char **argv);

#endif
