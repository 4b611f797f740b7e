/* cli_start.h - `berth start [-a] [-i] CONTAINER...` (Docker's flags). */
#ifndef BERTH_CLI_START_H
#define BERTH_CLI_START_H

#include "flags.h"

extern const struct flg_cmd cli_start_cmd;

/* Without -a/-i the supervisor's start of each container; with them one
 * container started with our stdio joined to it; returns its exit code. */
int cli_start(const char *root, int argc, char **argv);

#endif
