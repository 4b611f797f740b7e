/* pull.h - `docker pull`: an image from a registry into the image store.
 *
 * The manifest (a list or index: the entry for the platform) and config
 * are fetched and checked against their digests; the layers not in the
 * store already are downloaded (fetch.h) into a directory in the store's
 * base (.pull-PID, swept when its owner is gone) laid out as an OCI image
 * layout, which img_load() then takes in: the store gets the whole image
 * or nothing. For docker.io names the registry-mirrors of daemon.json are
 * tried first, then Docker Hub. Output as Docker's (progress.h).
 *
 * Runs in the CLI process, never in PID 1.
 */
#ifndef BERTH_REG_PULL_H
#define BERTH_REG_PULL_H

#include <stdbool.h>
#include <stdio.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"

struct reg_pull_opts {
	const char *platform; /* "os/arch[/variant]", NULL: linux/amd64 */
	bool quiet;	      /* only the full name at the end */
	FILE *out;	      /* NULL: stdout */
	bool *downloaded;     /* one tag of pull -a: set when the image was
			       * downloaded; no Status line nor name at the end */
};

/* Pull name into the store under root. id gets the image's ID. */
BERR_MUST int reg_pull(const char *root, const char *name, const struct reg_pull_opts *o,
		       char id[DG_STR_LEN], struct berr *e);

#endif
