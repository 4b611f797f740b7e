/* selfexe.h - run berth from a sealed memfd copy of itself (CVE-2019-5736).
 *
 * A process that enters a container while it still runs the berth image
 * (sb_start's and sb_exec's children until their execve) has /proc/self/exe
 * pointing at berth; a program in the container could exec it through a
 * "#!/proc/self/exe" script and then write to it via /proc/PID/exe. When
 * the process runs from a sealed memfd instead, that leads only to an
 * anonymous copy that cannot be written, and the file on disk is never
 * reachable. The children are also non-dumpable until execve.
 *
 * Callers: every process that calls sb_start()/sb_exec() should call
 * selfexe_seal() first thing (the supervisor once at startup).
 */
#ifndef BERTH_SELFEXE_H
#define BERTH_SELFEXE_H

#include <stdbool.h>

#include "err.h"

/* Is /proc/self/exe a memfd with write seals? */
bool selfexe_is_sealed(void);

/* Unless already sealed: copy /proc/self/exe into a memfd, seal it and
 * re-exec it with the same argv and environment. Returns only on failure
 * (-errno, with e filled), and then the caller carries on unprotected. */
BERR_MUST int selfexe_seal(char **argv, struct berr *e);

#endif
