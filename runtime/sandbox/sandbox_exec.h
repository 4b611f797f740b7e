/* sandbox_exec.h - the sandbox child's last steps before execve: the
 * environment (the spec's plus Docker's PATH and HOME defaults) and the
 * command found in the container's $PATH. Sandbox-internal. */
#ifndef BERTH_SANDBOX_EXEC_H
#define BERTH_SANDBOX_EXEC_H

#include <stddef.h>

#include "passwd.h"
#include "sandbox.h"
#include "runtime/lib/err.h"

/* The spec's env plus PATH and HOME, in static storage (the child execs
 * right after); NULL with e set when there are too many variables. */
char **sb_build_env(const struct sb_spec *spec, const struct pw_ids *ids, struct berr *e);

/* cmd found as execve wants it in out: a path as given, or the first
 * executable match in env's PATH. Docker's messages; the caller maps
 * ENOENT to 127 and EACCES to 126. */
BERR_MUST int sb_find_exec(const char *cmd, char **env, char *out, size_t size, struct berr *e);

#endif
