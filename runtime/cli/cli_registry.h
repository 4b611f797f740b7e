/* cli_registry.h - `berth pull|push|login|logout|search`: the registry verbs, run in the
 * CLI process (runtime/registry/). Each has the verbs[] `local` signature
 * of main.c and returns the exit code: 0, 1 for a failure (one line on
 * stderr, "Error response from daemon: ..." as Docker's), 125 for a usage
 * error. */
#ifndef BERTH_CLI_REGISTRY_H
#define BERTH_CLI_REGISTRY_H

#include "flags.h"

extern const struct flg_cmd reg_pull_cmd, reg_push_cmd, reg_login_cmd, reg_logout_cmd, reg_search_cmd;

int reg_cmd_pull(const char *root, int argc, char **argv);
int reg_cmd_push(const char *root, int argc, char **argv);
int reg_cmd_login(const char *root, int argc, char **argv);
int reg_cmd_logout(const char *root, int argc, char **argv);
int reg_cmd_search(const char *root, int argc, char **argv);

#endif
