/* unpack.h - a pull's layers unpacked while the others still download: a
 * worker thread (two) takes each layer blob as soon as fetch.c has it whole and
 * verified, and unpacks it (its diff_id checked, layer.h) into the pull's
 * layout directory, DIR/layers/<diff_id hex>; img_load_pulled() then moves
 * those directories into the store instead of unpacking again. Anything
 * the worker could not do is simply left for img_load_pulled(), which
 * reports it. Private to runtime/registry/.
 */
#ifndef BERTH_REG_UNPACK_H
#define BERTH_REG_UNPACK_H

#include <stddef.h>

#include "manifest.h"

struct reg_unpacker;

/* Start the worker for the image manifest m with config (its diff_ids)
 * over the layout dir; NULL when it cannot start (no early unpacking). */
struct reg_unpacker *reg_unpack_start(const char *dir, const struct reg_manifest *m,
				      const char *config, size_t clen);
/* Layer i of the manifest is downloaded: unpack it. */
void reg_unpack_queue(struct reg_unpacker *u, int i);
/* Wait for what is queued and free u (NULL: nothing). */
void reg_unpack_finish(struct reg_unpacker *u);

#endif
