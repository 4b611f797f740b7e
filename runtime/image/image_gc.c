/* image_gc.c - removing images (`docker rmi`) and collecting the blobs
 * and layers no image uses any more; see image.h. */
#include "image_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "layer_remap.h"

/* ---------------------------------------------------------------- remove */

int set_add(json_t *set, const char *key)
{
	return key ? json_object_set_new(set, key, json_true()) : 0;
}

/* Blobs and layers of one image: manifest, config, layer blobs go to
 * blobs; diff_ids go to layers. A set that misses one (out of memory) is
 * an error: the keep sets must be whole. */
static int image_parts(const struct store *st, const char *mdigest, json_t *blobs, json_t *layers,
		       struct berr *e)
{
	_cleanup_json_ json_t *m = NULL, *cfg = NULL;
	char id[DG_STR_LEN];
	json_t *l;
	size_t i;
	int r, bad;

	bad = set_add(blobs, mdigest) < 0;
	r = manifest_config(st, mdigest, id, &m, e);
	if (r < 0)
		return r;
	bad |= set_add(blobs, id) < 0;
	json_array_foreach(json_object_get(m, "layers"), i, l) bad |= set_add(blobs, desc_digest(l)) < 0;
	r = store_read_json(st, id, &cfg, e);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), i, l)
	    bad |= set_add(layers, json_string_value(l)) < 0;
	return bad ? berr_set(e, ENOMEM, "image %s", mdigest) : 0;
}

/* Delete what the removed manifests used and no remaining image uses.
 * The index is already saved: a crash here leaves only garbage. */
static void store_gc(struct store *st, json_t *gone)
{
	_cleanup_json_ json_t *kb = json_object(), *kl = json_object();
	_cleanup_json_ json_t *db = json_object(), *dl = json_object();
	json_t *d, *v;
	const char *k;
	size_t i;
	struct berr e;

	json_array_foreach(json_object_get(st->index, "manifests"), i, d)
	{
		/* the baked store has its own copies of what its images use */
		if (!desc_baked(d) && image_parts(st, desc_digest(d), kb, kl, &e) < 0)
			return; /* unsure what is in use: keep everything */
	}
	json_array_foreach(gone, i, d) image_parts(st, json_string_value(d), db, dl, &e);
	json_object_foreach(db, k, v)
	{
		char p[PATH_MAX];
		if (json_object_get(kb, k) || !dg_valid(k))
			continue;
		blob_path_rw(st, k, p, sizeof(p));
		unlink(p);
	}
	json_object_foreach(dl, k, v)
	{
		char p[PATH_MAX], t[PATH_MAX];
		if (json_object_get(kl, k) || !dg_valid(k))
			continue;
		snprintf(p, sizeof(p), "%s/%s", st->layers, dg_hex(k));
		snprintf(t, sizeof(t), "%s/.rm-%d-%s", st->layers, (int)getpid(), dg_hex(k));
		if (rename(p, t) == 0)
			layer_rmtree_garbage(t);
	}
}

int img_remove(const char *root, const char *arg, bool force, img_in_use_fn in_use,
	       img_report_fn report, void *ctx, struct berr *e)
{
	_cleanup_json_ json_t *gone = json_array(), *untagged = json_array();
	json_t *manifests, *d;
	struct store st;
	struct found f;
	size_t i, tags = 0;
	bool delete_image = true, baked = false;
	int r;

	r = store_open(&st, root, true, e);
	if (r == 0)
		r = store_find(&st, arg, &f, e);
	if (r < 0)
		goto out;
	manifests = json_object_get(st.index, "manifests");
	/* Every index entry of this image (by config ID). */
	json_array_foreach(manifests, i, d)
	{
		char id[DG_STR_LEN];
		if (manifest_config(&st, desc_digest(d), id, NULL, e) == 0 && !strcmp(id, f.id)) {
			tags += desc_ref(d) != NULL;
			baked |= desc_baked(d);
		}
	}
	if (desc_baked(f.desc) || (baked && (!f.ref[0] || tags < 2))) {
		r = berr_msg(e, EROFS,
			     "conflict: unable to remove %s - image %.12s is baked into the "
			     "appliance (read-only)",
			     arg, dg_hex(f.id));
		goto out;
	}
	if (f.ref[0] && tags > 1) {
		delete_image = false;
	} else if (!f.ref[0] && tags > 1 && !force) {
		r = berr_msg(e, EBUSY,
			     "conflict: unable to delete %.12s (must be forced) - image is "
			     "referenced in multiple repositories",
			     dg_hex(f.id));
		goto out;
	}
	if (delete_image && in_use && in_use(f.id, ctx)) {
		if (!force || !f.ref[0]) {
			r = berr_msg(e, EBUSY,
				     "conflict: unable to remove %s (must%s be forced) - "
				     "image %.12s is being used by a container",
				     arg, f.ref[0] ? "" : " not", dg_hex(f.id));
			goto out;
		}
		delete_image = false;
	}
	if (!delete_image) {
		index_untag(manifests, f.ref);
		json_array_append_new(untagged, json_string(f.ref));
		/* Still tagged through another manifest of the same image: no
		 * <none> entry for it. */
		for (i = 0; tags > 1 && i < json_array_size(manifests); i++) {
			char id[DG_STR_LEN];
			d = json_array_get(manifests, i);
			if (desc_ref(d) || manifest_config(&st, desc_digest(d), id, NULL, e) < 0 ||
			    strcmp(id, f.id))
				continue;
			json_array_append_new(gone, json_string(desc_digest(d)));
			json_array_remove(manifests, i);
			i--;
		}
	} else {
		for (i = 0; i < json_array_size(manifests); i++) {
			char id[DG_STR_LEN];
			d = json_array_get(manifests, i);
			if (manifest_config(&st, desc_digest(d), id, NULL, e) < 0 ||
			    strcmp(id, f.id))
				continue;
			if (desc_ref(d))
				json_array_append_new(untagged, json_string(desc_ref(d)));
			json_array_append_new(gone, json_string(desc_digest(d)));
			json_array_remove(manifests, i);
			i--;
		}
	}
	r = store_save_index(&st, e);
	if (r < 0)
		goto out;
	if (json_array_size(gone) > 0) {
		store_gc(&st, gone);
		layer_remap_sweep(st.base, st.layers, st.ro_base);
	}
	json_array_foreach(untagged, i, d) if (report)
	    report("Untagged", json_string_value(d), ctx);
	if (delete_image && report)
		report("Deleted", f.id, ctx);
out:
	store_close(&st, false);
	return r;
}

/* ---------------------------------------------------------------- prune */

static uint64_t tree_size(const char *path)
{
	char cmd_path[PATH_MAX];
	struct stat sb;
	uint64_t total = 0;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &sb) < 0)
		return 0;
	if (!S_ISDIR(sb.st_mode))
		return S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(cmd_path, sizeof(cmd_path), "%s/%s", path, de->d_name);
		total += tree_size(cmd_path);
	}
	if (d)
		closedir(d);
	return total;
}

int img_sweep_remapped(const char *root, struct berr *e)
{
	struct store st;
	int r = store_open(&st, root, true, e);

	if (r == 0)
		layer_remap_sweep(st.base, st.layers, st.ro_base);
	store_close(&st, false);
	return r;
}

int img_prune_unreferenced(const char *root, uint64_t *freed, struct berr *e)
{
	_cleanup_json_ json_t *kb = json_object(), *kl = json_object();
	const char *dirs[2];
	struct store st;
	json_t *d;
	size_t i;
	int r;

	*freed = 0;
	r = store_open(&st, root, true, e);
	if (r < 0)
		goto out;
	json_array_foreach(json_object_get(st.index, "manifests"), i, d)
	{
		r = desc_baked(d) ? 0 : image_parts(&st, desc_digest(d), kb, kl, e);
		if (r < 0)
			goto out; /* unsure what is in use: keep everything */
	}
	dirs[0] = st.blobs;
	dirs[1] = st.layers;
	for (int k = 0; k < 2; k++) {
		DIR *dir = opendir(dirs[k]);
		struct dirent *de;

		while (dir && (de = readdir(dir))) {
			char digest[DG_STR_LEN], p[PATH_MAX], t[PATH_MAX];

			snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
			if (strlen(de->d_name) != DG_HEX_LEN || !dg_valid(digest) ||
			    json_object_get(k ? kl : kb, digest))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dirs[k], de->d_name);
			*freed += tree_size(p);
			if (k == 0) {
				unlink(p);
			} else {
				snprintf(t, sizeof(t), "%s/.rm-%d-%s", st.layers, (int)getpid(),
					 de->d_name);
				if (rename(p, t) == 0)
					layer_rmtree_garbage(t);
			}
		}
		if (dir)
			closedir(dir);
	}
	layer_remap_sweep(st.base, st.layers, st.ro_base);
out:
	store_close(&st, false);
	return r;
}
