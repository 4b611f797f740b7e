/* unpack.h - a pull's layers unpacked while they download: a thread per
 * layer follows the blob's file as fetch.c writes it (reading up to what
 * fetch.c says is there, waiting for more) and unpacks it (the diff_id
 * checked, layer.h) into the pull's layout directory, DIR/layers/<diff_id
 * hex>; img_load_pulled() then moves those directories into the store
 * instead of unpacking again. The download never waits for the unpacking.
 * A blob that starts over (a server that ignored Range) is unpacked
 * again from its start. A layer that fails to unpack is reported (by
 * reg_unpack_check) once its blob is verified: the bytes are the
 * registry's, so the failure is the image's, and the pull stops. Private
 * to runtime/registry/.
 */
#ifndef BERTH_REG_UNPACK_H
#define BERTH_REG_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "runtime/lib/err.h"

struct reg_unpacker;

/* An unpacker for the image manifest m with config (its diff_ids) over
 * the layout dir; NULL when it cannot start (no early unpacking). */
struct reg_unpacker *reg_unpack_start(const char *dir, const struct reg_manifest *m,
				      const char *config, size_t clen);
/* The file of layer i's blob holds its first len bytes (the thread starts
 * with the first call; a smaller len than before: the blob starts over,
 * and the file is truncated after this call). */
void reg_unpack_grew(struct reg_unpacker *u, int i, uint64_t len);
/* Layer i of the manifest is downloaded and verified. */
void reg_unpack_queue(struct reg_unpacker *u, int i);
/* -errno with e filled when a verified layer failed to unpack; 0. */
BERR_MUST int reg_unpack_check(struct reg_unpacker *u, struct berr *e);
/* Wait for the unpacking threads and free u (NULL: nothing); with abort
 * (the pull failed) they stop at their next read, and 0 is returned;
 * otherwise reg_unpack_check's answer once they are done. */
BERR_MUST int reg_unpack_finish(struct reg_unpacker *u, bool abort, struct berr *e);

#endif
