/* ctr_root.h - a container's root filesystem as the CLI reaches it (cp,
 * export): the running process's root (/proc/PID/root, with its volumes),
 * or for a container that does not run, its overlay (image layers plus
 * its own upper layer) mounted in a private mount namespace of the
 * calling process, which is gone when the process ends.
 *
 * Risky work (outside input): call from the CLI, never from PID 1; the
 * private mount namespace is the calling process's from then on.
 */
#ifndef BERTH_CTR_ROOT_H
#define BERTH_CTR_ROOT_H

#include "container.h"
#include "runtime/lib/err.h"

/* An O_PATH directory fd of c's root in *fd. */
BERR_MUST int ctr_root_open(const char *root, const struct ctr_config *c, const struct ctr_state *s,
			    int *fd, struct berr *e);

#endif
