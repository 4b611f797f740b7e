/* digest.h - sha256 (nettle) for blobs and layer diff_ids.
 *
 * Digests are carried as "sha256:<64 lower hex>" strings (72 bytes with
 * the NUL are enough).
 */
#ifndef BERTH_DIGEST_H
#define BERTH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DG_HEX_LEN 64
#define DG_STR_LEN 72 /* "sha256:" + 64 hex + NUL, rounded */

struct dg_ctx {
	uint64_t state[16]; /* opaque room for nettle's sha256_ctx */
};

void dg_init(struct dg_ctx *c);
void dg_update(struct dg_ctx *c, const void *data, size_t len);
/* Write "sha256:<hex>" into out (DG_STR_LEN bytes). */
void dg_final(struct dg_ctx *c, char out[DG_STR_LEN]);

/* Digest a whole buffer. */
void dg_buffer(const void *data, size_t len, char out[DG_STR_LEN]);
/* Digest what fd holds from its current offset to EOF; *size gets the
 * byte count when non-NULL. 0 or -errno. */
BERR_MUST int dg_fd(int fd, char out[DG_STR_LEN], uint64_t *size, struct berr *e);

/* True for "sha256:" followed by exactly 64 lower hex digits. */
bool dg_valid(const char *digest);
/* The hex part of a valid digest. */
static inline const char *dg_hex(const char *digest)
{
	return digest + 7;
}

#endif
