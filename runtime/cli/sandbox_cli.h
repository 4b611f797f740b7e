/* sandbox_cli.h - `berth sandbox-run`, the sandbox's test and debug driver:
 * a command in a sandbox (sb_start) without the supervisor. Hidden from
 * `berth help`; the host and appliance sandbox tests use it. */
#ifndef BERTH_SANDBOX_CLI_H
#define BERTH_SANDBOX_CLI_H

#include "flags.h"

extern const struct flg_cmd cli_sandbox_run_cmd;

int cli_sandbox_run(const char *root, int argc, char **argv);

#endif
