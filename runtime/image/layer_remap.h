/* layer_remap.h - a layer's remapped copy for a user namespace where the
 * layer's filesystem takes no idmapped mounts (tmpfs before Linux 6.3):
 * Docker's userns-remap keeps such copies of its layers too.
 *
 * ROOT/var/lib/berth/remap/<uid>.<gid>/<layer dir name>/ is the tree of
 * the layer with every owner moved through the maps (<uid>.<gid>: the
 * host ids of container root, as Docker names its remapped roots), made
 * once (in a temporary directory, renamed into place) and reused. Modes,
 * times, symlinks, device nodes (overlayfs whiteouts) and extended
 * attributes (the opaque marker) are kept; hard links become copies.
 * Runs in the CLI, never in PID 1.
 */
#ifndef BERTH_LAYER_REMAP_H
#define BERTH_LAYER_REMAP_H

#include <stddef.h>

#include "runtime/lib/err.h"
#include "runtime/sandbox/sandbox.h"

struct layer_maps {
	const struct sb_idmap *uid, *gid;
	int nuid, ngid;
};

/* The copy of the layer at src (made now when missing) in out. */
BERR_MUST int layer_remap(const char *root, const char *src, const struct layer_maps *m, char *out,
			  size_t size, struct berr *e);

/* Remove the copies under base/remap (base: ROOT/var/lib/berth) of layers
 * no longer in layers (or the baked store's ro_base/layers; "" when none),
 * and the temporary trees of copies whose CLI is gone. Called by image
 * removals and prunes, with the store locked. */
void layer_remap_sweep(const char *base, const char *layers, const char *ro_base);

#endif
