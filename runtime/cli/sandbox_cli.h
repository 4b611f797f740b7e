/* sandbox_cli.h - `berth sandbox-run`, the sandbox test driver. */
#ifndef BERTH_SANDBOX_CLI_H
#define BERTH_SANDBOX_CLI_H

#include "flags.h"

extern const struct flg_cmd cli_sandbox_run_cmd;

int cli_sandbox_run(const char *root, int argc, char **argv);

#endif
