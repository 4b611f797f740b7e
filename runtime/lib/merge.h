/* merge.h - how a container's command and environment come from the
 * image's config and the run flags, as Docker does it. Pure libc. */
#ifndef BERTH_MERGE_H
#define BERTH_MERGE_H

#include "strv.h"
#include "err.h"

/* The command: --entrypoint (entrypoint != NULL; "" clears it) replaces
 * the image's ENTRYPOINT and drops its CMD; arguments after the image
 * replace CMD. 0, or -EINVAL when the result is empty ("No command
 * specified"), or -ENOMEM. */
BERR_MUST int merge_argv(const char *entrypoint, char *const *img_entrypoint, char *const *img_cmd,
			 int argc, char *const *argv, struct strv *out);

#endif
