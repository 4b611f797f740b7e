/* push.h - `docker push`: an image of the store to a registry. Each blob
 * (the layers, then the config) is checked with HEAD ("Layer already
 * exists"), mounted from another repository of the same registry that a
 * local tag names ("Mounted from team/app"), or uploaded monolithically
 * (POST, then PUT ?digest=, "Pushed"); then the manifest, its exact bytes,
 * is PUT under the tag. Output as Docker's. Runs in the CLI process.
 */
#ifndef BERTH_REG_PUSH_H
#define BERTH_REG_PUSH_H

#include <stdio.h>

#include "runtime/lib/err.h"

BERR_MUST int reg_push(const char *root, const char *name, FILE *out, struct berr *e);
/* The same without the "The push refers to repository" line (push -a). */
BERR_MUST int reg_push_tag(const char *root, const char *name, FILE *out, struct berr *e);

#endif
