/* sandbox_cli.h - `berth sandbox-run` and its pure helpers (unit tested). */
#ifndef BERTH_SANDBOX_CLI_H
#define BERTH_SANDBOX_CLI_H

#include <stdint.h>

int cmd_sandbox_run(const char *root, int argc, char **argv);
/* "64m", "1g", "512k", bytes, "-1": 0 or -EINVAL. */
int sbcli_parse_bytes(const char *s, int64_t *out);
/* Docker's --cap-add/--cap-drop arithmetic on base; -EINVAL for unknown names. */
int sbcli_caps(uint64_t base, char **add, int nadd, char **drop, int ndrop, uint64_t *out);

#endif
