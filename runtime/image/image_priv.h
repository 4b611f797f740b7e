/* image_priv.h - what the pieces of the image store share; not a
 * contract outside runtime/image/ (image.h is that).
 *
 * image.c is the store: every operation opens it (store_open: the lock,
 * index.json loaded), works on it and closes it (store_close: after a
 * failure, what the operation created is removed again). The index
 * changes in memory only until store_save_index. The operations of
 * image.h live in image_read.c, image_write.c, image_load.c, image_save.c
 * and image_gc.c.
 */
#ifndef BERTH_IMAGE_PRIV_H
#define BERTH_IMAGE_PRIV_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "runtime/lib/err.h"

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define ANN_REF "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD "io.containerd.image.name"
#define JSON_MAX (16u << 20)

struct store {
	char base[PATH_MAX]; /* ROOT/var/lib/berth */
	char images[PATH_MAX];
	char blobs[PATH_MAX];
	char layers[PATH_MAX];
	/* The baked store (ROOT/var/lib/berth-baked, read-only; "" when there
	 * is none): its index entries are merged into index marked baked
	 * (desc_baked), and reads fall back to its blobs and layers. */
	char ro_base[PATH_MAX];
	int lock_fd;
	bool adopt; /* img_load_pulled: blobs are renamed in, not copied */
	bool lazy;	  /* and its unpacked layers are adopted unsynced */
	json_t *unsynced; /* those layers (image_unsynced.c) */
	json_t *index;
	/* What this operation created, removed again on failure. */
	char **made;
	size_t nmade;
};

static inline void json_decref_p(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(json_decref_p)))

/* ---------------------------------------------------------------- store (image.c) */

BERR_MUST int store_paths(struct store *st, const char *root, struct berr *e);
BERR_MUST int store_open(struct store *st, const char *root, bool write, struct berr *e);
/* Remember a path this operation created (removed again on failure). */
BERR_MUST int store_remember(struct store *st, const char *path);
void store_close(struct store *st, bool failed);
BERR_MUST int store_save_index(struct store *st, struct berr *e);

/* Where to read a blob or unpacked layer: this store's, else the baked
 * store's, else (absent) this store's path. */
void blob_path(const struct store *st, const char *digest, char *out, size_t size);
void layer_path(const struct store *st, const char *diff_id, char *out, size_t size);
/* The apparent size of an unpacked layer's files (not directories; a
 * hard-linked file once), or -1 when dir cannot be walked (image_size.c). */
int64_t layer_size(const char *dir);
/* Where to write or delete a blob: always this store. */
void blob_path_rw(const struct store *st, const char *digest, char *out, size_t size);
/* Whether this store (not the baked one) has the blob. */
bool blob_exists(const struct store *st, const char *digest);
BERR_MUST int open_source_file(const char *beneath, const char *path);
BERR_MUST int read_verified(const char *beneath, const char *path, const char *digest, char **data,
			    size_t *len, struct berr *e);
BERR_MUST int parse_json(const char *data, size_t len, const char *what, json_t **out,
			 struct berr *e);
BERR_MUST int store_read_json(const struct store *st, const char *digest, json_t **out,
			      struct berr *e);
BERR_MUST int store_add_blob_fd(struct store *st, int fd, const char *expected,
				char digest[DG_STR_LEN], uint64_t *size, struct berr *e);
BERR_MUST int store_add_blob_mem(struct store *st, const char *data, size_t len,
				 char digest[DG_STR_LEN], struct berr *e);
BERR_MUST int store_unpack_layer(struct store *st, const char *blob, const char *diff_id,
				 struct berr *e);

/* ---------------------------------------------------------------- index (image.c) */

const char *desc_ref(json_t *desc);
const char *desc_digest(json_t *desc);
/* Whether an index entry comes from the baked store. */
bool desc_baked(json_t *desc);
void index_untag(json_t *manifests, const char *ref);
BERR_MUST int index_set(json_t *manifests, json_t *desc, const char *ref);
void index_stamp_pulled(json_t *manifests, const char *ref);
BERR_MUST int manifest_config(const struct store *st, const char *mdigest, char id[DG_STR_LEN],
			      json_t **manifest, struct berr *e);

struct found {
	json_t *desc; /* borrowed from the index */
	char id[DG_STR_LEN];
	char ref[256];
};

BERR_MUST int store_find(const struct store *st, const char *arg, struct found *f, struct berr *e);
BERR_MUST int store_commit_image(struct store *st, const char *cfg, size_t cfglen,
				 json_t *layer_descs, const char *ref, char id[DG_STR_LEN],
				 json_t **manifest_desc, struct berr *e);

/* ---------------------------------------------------------------- unsynced layers (image_unsynced.c) */

#define UNSYNCED_BOOT_LEN 40
/* This boot's id (/proc/sys/kernel/random/boot_id); false without one. */
bool unsynced_boot(char id[UNSYNCED_BOOT_LEN]);
/* Layer diff_id, unpacked from blob, is in the store unsynced. */
BERR_MUST int unsynced_note(struct store *st, const char *diff_id, const char *blob);
/* What unsynced_note noted, written durably (before the index). */
BERR_MUST int unsynced_commit(struct store *st, struct berr *e);
/* In store_open, the lock held (write: exclusively): layers of an earlier
 * boot unpacked again. */
void unsynced_check(struct store *st, bool write);

/* ---------------------------------------------------------------- sets (image_gc.c) */

/* Add key to a JSON object used as a set of digests. */
BERR_MUST int set_add(json_t *set, const char *key);

#endif
