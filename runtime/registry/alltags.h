/* alltags.h - `docker pull -a` and `docker push -a`: every tag of one
 * repository. Pull: the registry's tag list (GET /v2/NAME/tags/list, and
 * the pages its Link headers name, as Docker's client follows them), each
 * tag pulled in turn (pull.h) with Docker's lines per tag, then one
 * "Status: ... for NAME" and the repository's full name. Push: every tag
 * of the store naming that repository (push.h), under one "The push
 * refers to repository" line. A name with a tag or digest is refused as
 * Docker refuses it. Runs in the CLI process, never in PID 1.
 */
#ifndef BERTH_REG_ALLTAGS_H
#define BERTH_REG_ALLTAGS_H

#include <stdio.h>

#include "pull.h"
#include "runtime/lib/err.h"

BERR_MUST int reg_pull_all(const char *root, const char *name, const struct reg_pull_opts *o,
			   struct berr *e);
BERR_MUST int reg_push_all(const char *root, const char *name, FILE *out, struct berr *e);

#endif
