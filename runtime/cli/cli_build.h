/* cli_build.h - the build verbs of the CLI (flags and output over
 * build.h). Each has the verbs[] `local` signature of main.c and returns
 * the exit code. */
#ifndef BERTH_CLI_BUILD_H
#define BERTH_CLI_BUILD_H

#include "flags.h"

/* The verbs' flags, Usage and help (flags.h), for main.c's verb table. */
extern const struct flg_cmd bld_commit_cmd, bld_builder_cmd, bld_build_cmd;

/* `berth commit [-m MSG] [-a AUTHOR] CONTAINER [REPO[:TAG]]`. */
int bld_cmd_commit(const char *root, int argc, char **argv);

/* `berth builder prune`: drop the build cache and the layers only it kept. */
int bld_cmd_builder(const char *root, int argc, char **argv);

/* `berth build ...` (the verbs[] signature of main.c). */
int bld_cmd_build(const char *root, int argc, char **argv);

#endif
