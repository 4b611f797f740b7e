/* cli_run.h - `berth run` and `berth create` (Docker's flags; the image's
 * config merged as Docker merges it; config.json written for PID 1, then
 * short requests), and the same for `berth compose`. */
#ifndef BERTH_CLI_RUN_H
#define BERTH_CLI_RUN_H

#include "flags.h"
#include "runtime/container/container.h"

extern const struct flg_cmd cli_run_cmd, cli_create_cmd;

/* run and create (argv[0] says which); the exit code. */
int cli_run(const char *root, int argc, char **argv);
/* `run -d` for `berth compose`: the new container's ID into id, not stdout. */
int cli_run_id(const char *root, int argc, char **argv, char id[CTR_ID_LEN + 1]);

#endif
