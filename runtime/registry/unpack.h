/* unpack.h - a pull's layers unpacked while they download: a thread per
 * layer reads the bytes fetch.c receives (a socket pair beside the blob's
 * file) and unpacks them (the diff_id checked, layer.h) into the pull's
 * layout directory, DIR/layers/<diff_id hex>; img_load_pulled() then moves
 * those directories into the store instead of unpacking again. When the
 * stream fails (a retried download cut it short), the thread unpacks the
 * blob once it is whole and verified. Anything a thread could not do is
 * simply left for img_load_pulled(), which reports it. Private to
 * runtime/registry/.
 */
#ifndef BERTH_REG_UNPACK_H
#define BERTH_REG_UNPACK_H

#include <stddef.h>

#include "manifest.h"

struct reg_unpacker;

/* An unpacker for the image manifest m with config (its diff_ids) over
 * the layout dir; NULL when it cannot start (no early unpacking). */
struct reg_unpacker *reg_unpack_start(const char *dir, const struct reg_manifest *m,
				      const char *config, size_t clen);
/* Layer i's download begins: the write end of the stream its thread
 * unpacks (the caller closes it at the download's end, or to cut it
 * short), or -1 (no stream: the blob is unpacked once downloaded). */
int reg_unpack_stream(struct reg_unpacker *u, int i);
/* Layer i of the manifest is downloaded and verified. */
void reg_unpack_queue(struct reg_unpacker *u, int i);
/* Wait for the unpacking threads and free u (NULL: nothing). */
void reg_unpack_finish(struct reg_unpacker *u);

#endif
