/* image.h - the image store: an OCI image layout plus unpacked layers.
 *
 * Under ROOT ("" in the appliance, the --root DIR of the CLI):
 *   ROOT/var/lib/berth/images/   OCI layout: oci-layout, index.json,
 *                                blobs/sha256/<hex>; index entries carry
 *                                org.opencontainers.image.ref.name "name:tag"
 *   ROOT/var/lib/berth/layers/<diffid-hex>/   each layer unpacked once,
 *                                read-only, for overlay lowerdirs
 *   ROOT/var/lib/berth/images.lock            flock: writers exclusive
 *   ROOT/var/lib/berth-baked/    the baked store, when it has an
 *                                images/index.json (the appliance with a
 *                                data disk: the initramfs's images, bound
 *                                read-only; /data/berth/store is then
 *                                ROOT/var/lib/berth). Read-only: every
 *                                operation sees its images after the
 *                                store's own (a tag of the store shadows
 *                                the same tag there); reads fall back to
 *                                its blobs and layers; writes and removals
 *                                touch only the store (a pull or load
 *                                copies even the blobs it has); removing
 *                                one of its images fails with -EROFS.
 * An image's ID is its config blob's digest ("sha256:<hex>"), as Docker's.
 * Every blob taken from outside is verified against its digest; an
 * operation that fails adds nothing (new blobs and layers are rolled back,
 * index.json is replaced atomically at the end).
 *
 * Reading archives and unpacking layers is risky work: call these from the
 * CLI or a forked child, not from PID 1 itself (docs/architecture.md,
 * "Rules for PID 1").
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"
#include "runtime/container/health.h"

struct img_config {			 /* from the image config's "config" */
	char **entrypoint, **cmd, **env; /* NULL-terminated, may be NULL */
	char *working_dir, *user;	 /* may be NULL */
	char **exposed_ports;		 /* "80/tcp", ... */
	char **volumes;
	struct hc_config healthcheck;	 /* "Healthcheck" (HEALTHCHECK); test NULL = none */
	int stop_signal;		 /* "StopSignal" (STOPSIGNAL); 0 = none or not a signal */
};

struct img_info {
	char id[72];   /* "sha256:<64hex>" */
	char ref[256]; /* "name:tag" it was found by, or "" */
	char **layers; /* NULL-terminated absolute paths of unpacked layer dirs, lowest first */
	int nlayers;
	struct img_config config;
	int64_t pulled; /* when a pull last got it under ref (unix time), or 0 */
};

/* Find an image by name, name:tag, full or short (>= 4 hex) ID, with or
 * without "sha256:". Not found: -ENOENT, "No such image: REF". */
BERR_MUST int img_resolve(const char *root, const char *ref_or_id, struct img_info *out,
			  struct berr *e);
void img_info_free(struct img_info *info);

/* One layer from a rootfs tarball (plain or gzip; path "-" is stdin):
 * like `docker import`. id gets the new image's ID. */
BERR_MUST int img_import(const char *root, const char *tarball, const char *ref,
			 char id[DG_STR_LEN], struct berr *e);

/* Called once per tag loaded (ref "" for an untagged image). */
typedef void (*img_loaded_fn)(const char *ref, const char *id, void *ctx);

/* Load images from an OCI layout directory, an oci-archive tar or a
 * docker-archive tar (`docker save`), plain or gzip; path "-" is stdin. */
BERR_MUST int img_load(const char *root, const char *path, img_loaded_fn loaded, void *ctx,
		       struct berr *e);

/* img_load of a pull's OCI layout: dir is in the store's directory
 * (img_store_dir), its layer blobs checked against their digests as they
 * streamed, its layers maybe unpacked then (dir/layers/<diff_id hex>,
 * diff_id checked): renamed into the store, not copied. The blobs are
 * synced before the index names the image; the layers unpacked during the
 * pull are not, and are listed as such (image_unsynced.c): after a crash
 * they are unpacked again from their blobs. */
BERR_MUST int img_load_pulled(const char *root, const char *dir, img_loaded_fn loaded, void *ctx,
			      struct berr *e);
/* After img_load_pulled: a detached process syncs the filesystem and
 * takes the pull's layers off the list (returns at once). */
void img_settle_pulled(const char *root);
/* Before any container starts (the supervisor): layers left unsynced by
 * an earlier boot are unpacked again from their blobs, in a child (up to
 * 300 s waited for). One access(2) when there are none. */
void img_repair_unsynced(const char *root);

/* The name ref (as the store keeps it) was just pulled and found up to
 * date: its pull time (img_info.pulled) is now. */
BERR_MUST int img_mark_pulled(const char *root, const char *ref, struct berr *e);

/* Add the tag target ("name" = "name:latest") to the image source. */
BERR_MUST int img_tag(const char *root, const char *source, const char *target, struct berr *e);

/* Asked before an image goes away; true keeps it ("in use"). */
typedef bool (*img_in_use_fn)(const char *image_id, void *ctx);
/* Told what happened: action "Untagged" (what = ref) or "Deleted" (what =
 * image ID). */
typedef void (*img_report_fn)(const char *action, const char *what, void *ctx);

/* `docker rmi`: by ref, remove that tag; when no tag is left (or by ID),
 * remove the image's manifest and config blobs and the layers no other
 * image uses. An ID with several tags needs force. An image in_use is
 * refused (with force: only untagged). */
BERR_MUST int img_remove(const char *root, const char *ref_or_id, bool force, img_in_use_fn in_use,
			 img_report_fn report, void *ctx, struct berr *e);

struct img_summary {
	char id[DG_STR_LEN];
	char ref[256];	 /* "name:tag", or "" when untagged */
	int64_t created; /* seconds since the epoch, 0 unknown */
	uint64_t size;	 /* sum of the layer blob sizes (img_list_unpacked: unpacked) */
	char digest[DG_STR_LEN]; /* its manifest's digest */
	char labels[1024];	 /* the config's Labels, "KEY=VALUE" lines (cut at 1 KiB) */
	bool baked;		 /* from the baked store: read-only, never removed */
};

/* All images (one row per tag), newest first. *out is malloc'd. */
BERR_MUST int img_list(const char *root, struct img_summary **out, size_t *n, struct berr *e);
/* The same with size as Docker's SIZE: the files of the unpacked layers
 * (apparent sizes, a hard-linked file once), which walks every layer. */
BERR_MUST int img_list_unpacked(const char *root, struct img_summary **out, size_t *n,
				struct berr *e);

/* For the builder (build.c) and image inspection. */

/* An image's config blob (its exact bytes, malloc'd) and its manifest's
 * layer descriptors (a JSON array, new reference). */
BERR_MUST int img_read(const char *root, const char *ref, char id[DG_STR_LEN], char **config,
		       json_t **layers, struct berr *e);

/* Add an uncompressed layer tar to the store (blob, and unpacked under
 * layers/<diff_id>); *desc gets its manifest descriptor (its digest is
 * also its diff_id). Nothing is left on failure. */
BERR_MUST int img_add_layer(const char *root, const char *tar_path, json_t **desc, struct berr *e);

/* Store config (exact bytes: their digest is the ID) and a manifest over
 * layers; point ref (may be NULL: untagged) at it. */
BERR_MUST int img_create(const char *root, const char *config, size_t len, json_t *layers,
			 const char *ref, char id[DG_STR_LEN], struct berr *e);

/* Whether every layer blob and its unpacked directory is in the store. */
bool img_layers_present(const char *root, json_t *layers, json_t *diff_ids);

/* `docker save` as an oci-archive: a tar of an OCI image layout
 * (oci-layout, index.json whose entries carry
 * org.opencontainers.image.ref.name "name:tag" when saved by name, and
 * blobs/sha256/) holding the given images, written to out_fd. */
BERR_MUST int img_save(const char *root, char *const *refs, int nrefs, int out_fd, struct berr *e);

/* Delete every blob and unpacked layer no image in the index uses (what
 * builds left for their cache, half-loaded leftovers); *freed gets the
 * bytes. Holds the store lock; a build running at the same time may lose
 * layers it has not committed yet. */
BERR_MUST int img_prune_unreferenced(const char *root, uint64_t *freed, struct berr *e);
/* Remove the user namespaces' remapped layer copies whose layer is gone
 * (layer_remap.h; also done by img_remove and img_prune_unreferenced). */
BERR_MUST int img_sweep_remapped(const char *root, struct berr *e);

/* Whether the store has the blob digest (a pull skips such layers:
 * "Already exists"). */
bool img_blob_present(const char *root, const char *digest);

/* The exact bytes of the manifest ref points at (malloc'd, verified
 * against its digest, which digest gets): for `push`. */
BERR_MUST int img_manifest(const char *root, const char *ref, char **data, size_t *len,
			   char digest[DG_STR_LEN], struct berr *e);

/* Where the store keeps blob digest (it may not exist). */
BERR_MUST int img_blob_path(const char *root, const char *digest, char *out, size_t size,
			    struct berr *e);

/* ROOT/var/lib/berth (absolute). */
BERR_MUST int img_store_dir(const char *root, char *out, size_t size, struct berr *e);

#endif
