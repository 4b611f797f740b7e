/* push.h - `docker push`: an image of the store to a registry. Each blob
 * (the layers, then the config) is checked with HEAD ("Layer already
 * exists"), mounted from another repository of the same registry that a
 * local tag names ("Mounted from team/app"), or uploaded ("Pushed"): POST,
 * then for a blob up to 4 MiB one PUT ?digest=, for a larger one 4 MiB
 * PATCHes and an empty PUT ?digest=; a PUT or PATCH answered 5xx or 429,
 * or cut off, is tried again with backoff (a PUT on a new upload, a PATCH
 * from where the upload stands). Then the manifest, its exact bytes, is
 * PUT under the tag. Output as Docker's. Runs in the CLI process.
 */
#ifndef BERTH_REG_PUSH_H
#define BERTH_REG_PUSH_H

#include <stdio.h>

#include "runtime/lib/err.h"

BERR_MUST int reg_push(const char *root, const char *name, FILE *out, struct berr *e);
/* The same without the "The push refers to repository" line (push -a). */
BERR_MUST int reg_push_tag(const char *root, const char *name, FILE *out, struct berr *e);

#endif
