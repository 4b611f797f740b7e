/* sandbox_cli.h - `berth sandbox-run`, the sandbox test driver. */
#ifndef BERTH_SANDBOX_CLI_H
#define BERTH_SANDBOX_CLI_H

int cmd_sandbox_run(const char *root, int argc, char **argv);

#endif
