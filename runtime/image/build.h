/* build.h - `berth build`: an image from a Containerfile, Docker's
 * classic builder way, in the CLI process (never in PID 1).
 *
 * Each instruction is a step on top of the previous step's image state
 * (config + layers). RUN runs in a sandbox (sb_start: an overlay of the
 * parent's layers and a fresh upper dir, no network); COPY/ADD stage the
 * context's files in a fresh directory; either becomes one layer (overlay
 * whiteouts turn into OCI ones). Other instructions change only the
 * config and add an empty_layer history entry. A step's result is cached
 * under ROOT/var/lib/berth/build-cache keyed by the parent state's ID, the
 * instruction after substitution (with the build args RUN sees) and the
 * digest of the files COPY/ADD read. The final image is stored and tagged
 * only when every step succeeded. With SOURCE_DATE_EPOCH every timestamp
 * (config, history, file mtimes in layers, clamped) is that time, so a
 * build is reproducible.
 */
#ifndef BERTH_BUILD_H
#define BERTH_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"

struct bld_opts {
	const char *root;	/* store root ("" in the appliance) */
	const char *context;	/* build context directory */
	const char *file;	/* Containerfile path */
	const char *file_name;	/* what errors call it */
	char **tags;		/* "name[:tag]", NULL-terminated, may be empty */
	char **build_args;	/* "K=V" */
	size_t nbuild_args;
	bool no_cache;
	bool quiet;
};

BERR_MUST int bld_build(const struct bld_opts *o, char id[DG_STR_LEN], struct berr *e);

struct bld_commit_opts {
	const char *root;
	const char *container;	/* its name, for messages */
	const char *upper;	/* its overlay upper dir */
	const char *image;	/* the image it runs (ID) */
	char **argv, **env;	/* its process: become Cmd (after the image's
				 * Entrypoint when argv starts with it) and Env */
	const char *cwd, *user;
	const char *ref;	/* NULL: untagged */
	const char *comment, *author;
};

/* `docker commit`: the upper dir (whiteouts converted, the runtime's mount
 * points left out) becomes a layer on top of the image's. */
BERR_MUST int bld_commit(const struct bld_commit_opts *o, char id[DG_STR_LEN], struct berr *e);

/* `berth builder prune`: drop the build cache and the blobs and layers
 * only it kept (img_prune_unreferenced); *freed gets the bytes. */
BERR_MUST int bld_prune(const char *root, uint64_t *freed, struct berr *e);

#endif
