/* image_write.c - new images in the store: import a rootfs tarball, tag,
 * and the builder's layers and images; see image.h. */
#include "image_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layer.h"
#include "layer_rules.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"

/* ---------------------------------------------------------------- import */

static time_t build_time(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	return sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
}

int img_import(const char *root, const char *tarball, const char *ref, char id[DG_STR_LEN],
	       struct berr *e)
{
	_cleanup_json_ json_t *config = NULL, *layers = NULL;
	_cleanup_fd_ int in = -1;
	char norm[256], tmp[PATH_MAX], final[PATH_MAX], diffid[DG_STR_LEN], when[32];
	struct store st;
	uint64_t size = 0;
	bool created;
	int tee = -1, r;

	if (lr_ref_normalize(ref, norm, sizeof(norm)) < 0)
		return berr_msg(e, EINVAL, "invalid reference format: \"%s\"", ref);
	if (strcmp(tarball, "-") == 0) {
		in = dup(0);
	} else {
		in = open(tarball, O_RDONLY | O_CLOEXEC);
	}
	if (in < 0)
		return berr_set(e, errno, "open %s", tarball);
	r = store_open(&st, root, true, e);
	if (r < 0)
		goto out;
	/* The uncompressed tar becomes the layer blob, so digest == diff_id. */
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%d-XXXXXX", st.blobs, (int)getpid());
	tee = mkostemp(tmp, O_CLOEXEC);
	if (tee < 0) {
		r = berr_set(e, errno, "create blob");
		goto out;
	}
	r = layer_unpack(st.layers, in, NULL, tee, diffid, &created, e);
	if (r < 0) {
		berr_wrap(e, "import %s", tarball);
		goto out;
	}
	if (created) {
		snprintf(final, sizeof(final), "%s/%s", st.layers, dg_hex(diffid));
		if (store_remember(&st, final) < 0) {
			r = berr_set(e, ENOMEM, "import");
			goto out;
		}
	}
	size = lseek(tee, 0, SEEK_CUR);
	if (fchmod(tee, 0644) < 0 || fsync(tee) < 0) {
		r = berr_set(e, errno, "write layer blob");
		goto out;
	}
	blob_path(&st, diffid, final, sizeof(final));
	if (access(final, F_OK) < 0) {
		if (rename(tmp, final) < 0) {
			r = berr_set(e, errno, "store layer blob");
			goto out;
		}
		if (store_remember(&st, final) < 0) {
			r = berr_set(e, ENOMEM, "import");
			goto out;
		}
	}
	iso_time(build_time(), when, sizeof(when));
	config =
	    json_pack("{s:s, s:s, s:s, s:{}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "architecture",
		      "amd64", "os", "linux", "created", when, "config", "rootfs", "type", "layers",
		      "diff_ids", diffid, "history", "created", when, "created_by", "berth import");
	layers = json_pack("[{s:s, s:s, s:I}]", "mediaType", MT_LAYER, "digest", diffid, "size",
			   (json_int_t)size);
	if (!config || !layers) {
		r = berr_set(e, ENOMEM, "import");
		goto out;
	}
	{
		_cleanup_free_ char *cfg = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
		r = cfg ? store_commit_image(&st, cfg, strlen(cfg), layers, norm, id, NULL, e)
			: berr_set(e, ENOMEM, "encode config");
	}
	if (r == 0)
		r = store_save_index(&st, e);
out:
	if (tee >= 0) {
		close(tee);
		unlink(tmp);
	}
	store_close(&st, r < 0);
	return r;
}

/* ---------------------------------------------------------------- tag */

int img_tag(const char *root, const char *source, const char *target, struct berr *e)
{
	char norm[256];
	struct store st;
	struct found f;
	json_t *desc;
	int r;

	if (lr_ref_normalize(target, norm, sizeof(norm)) < 0)
		return berr_msg(e, EINVAL, "invalid reference format: \"%s\"", target);
	r = store_open(&st, root, true, e);
	if (r == 0)
		r = store_find(&st, source, &f, e);
	if (r == 0) {
		desc = json_incref(f.desc);
		r = index_set(json_object_get(st.index, "manifests"), desc, norm);
		json_decref(desc);
		if (r < 0)
			r = berr_set(e, -r, "tag");
	}
	if (r == 0)
		r = store_save_index(&st, e);
	store_close(&st, r < 0);
	return r;
}

/* ---------------------------------------------------------------- builder */

int img_add_layer(const char *root, const char *tar_path, json_t **desc, struct berr *e)
{
	_cleanup_fd_ int fd = open(tar_path, O_RDONLY | O_CLOEXEC);
	char digest[DG_STR_LEN];
	struct store st;
	uint64_t size = 0;
	int r;

	*desc = NULL;
	if (fd < 0)
		return berr_set(e, errno, "open %s", tar_path);
	r = store_open(&st, root, true, e);
	if (r == 0)
		r = store_add_blob_fd(&st, fd, NULL, digest, &size, e);
	if (r == 0)
		r = store_unpack_layer(&st, digest, digest, e);
	if (r == 0) {
		*desc = json_pack("{s:s, s:s, s:I}", "mediaType", MT_LAYER, "digest", digest,
				  "size", (json_int_t)size);
		if (!*desc)
			r = berr_set(e, ENOMEM, "layer");
	}
	store_close(&st, r < 0);
	return r;
}

int img_create(const char *root, const char *config, size_t len, json_t *layers,
	       const char *ref, char id[DG_STR_LEN], struct berr *e)
{
	char norm[256] = "";
	struct store st;
	int r;

	if (ref && lr_ref_normalize(ref, norm, sizeof(norm)) < 0)
		return berr_msg(e, EINVAL, "invalid reference format: \"%s\"", ref);
	r = store_open(&st, root, true, e);
	if (r == 0)
		r = store_commit_image(&st, config, len, layers, ref ? norm : NULL, id, NULL, e);
	if (r == 0)
		r = store_save_index(&st, e);
	store_close(&st, r < 0);
	return r;
}
