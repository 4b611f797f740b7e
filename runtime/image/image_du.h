/* image_du.h - the image store's disk use as `docker system df` counts
 * it: each image's layers (unpacked sizes, as img_list_unpacked), the part
 * of them other images share, every layer once in the total, and the
 * build cache (its records and the layers only they hold). Read-only: the
 * store is opened shared and nothing is written. */
#ifndef BERTH_IMAGE_DU_H
#define BERTH_IMAGE_DU_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"

struct img_du_image {
	char id[DG_STR_LEN];
	uint64_t size;	 /* all its layers */
	uint64_t shared; /* its layers that another image also has */
};

struct img_du {
	struct img_du_image *images; /* one per image ID */
	size_t nimages;
	uint64_t layers;      /* every image layer once: Docker's Images SIZE */
	int cache_records;    /* build cache entries */
	uint64_t cache_bytes; /* their files and the layers no image has */
};

BERR_MUST int img_du(const char *root, struct img_du *du, struct berr *e);
void img_du_free(struct img_du *du);

#endif
