/* image_du.c - the store's disk use for `system df` (image_du.h). */
#include "image_du.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "image_priv.h"
#include "runtime/lib/util.h"

/* layers: diff_id -> [size, users]; a layer's unpacked size is walked
 * once (its blob's size when it is not unpacked). */
static json_t *layer_entry(const struct store *st, json_t *layers, const char *diff_id,
			   json_t *blob)
{
	json_t *l = json_object_get(layers, diff_id);
	char path[PATH_MAX];
	int64_t size;

	if (l)
		return l;
	layer_path(st, diff_id, path, sizeof(path));
	size = dg_valid(diff_id) ? layer_size(path) : -1;
	if (size < 0)
		size = json_integer_value(json_object_get(blob, "size"));
	l = json_pack("[I, i]", (json_int_t)size, 0);
	return json_object_set_new(layers, diff_id, l) == 0 ? l : NULL;
}

static int64_t entry_size(json_t *l)
{
	return json_integer_value(json_array_get(l, 0));
}

/* The diff_ids of an image config (JSON text or object). */
static json_t *diff_ids(json_t *cfg)
{
	return json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
}

/* Each image once: its layers counted, their users counted. */
static int du_images(const struct store *st, struct img_du *du, json_t *layers, json_t *owners,
		     struct berr *e)
{
	json_t *manifests = json_object_get(st->index, "manifests"), *d;
	size_t i;

	du->images = calloc(json_array_size(manifests) + 1, sizeof(*du->images));
	if (!du->images)
		return berr_set(e, ENOMEM, "system df");
	json_array_foreach(manifests, i, d) {
		_cleanup_json_ json_t *m = NULL, *cfg = NULL;
		struct img_du_image *img = &du->images[du->nimages];
		json_t *id, *owned;
		size_t k;

		if (manifest_config(st, desc_digest(d), img->id, &m, e) < 0)
			return -e->code;
		if (json_object_get(owners, img->id)) /* another tag of an image seen */
			continue;
		owned = json_array();
		if (json_object_set_new(owners, img->id, owned) < 0 || !owned)
			return berr_set(e, ENOMEM, "system df");
		if (store_read_json(st, img->id, &cfg, e) < 0)
			return -e->code;
		json_array_foreach(diff_ids(cfg), k, id) {
			json_t *l = !json_is_string(id) ? NULL :
				    layer_entry(st, layers, json_string_value(id),
						json_array_get(json_object_get(m, "layers"), k));

			if (!json_is_string(id))
				continue;
			if (!l)
				return berr_set(e, ENOMEM, "system df");
			img->size += entry_size(l);
			json_array_append(owned, l);
			json_array_set_new(l, 1, json_integer(json_integer_value(json_array_get(l, 1)) + 1));
		}
		du->nimages++;
	}
	return 0;
}

/* The build cache's records: the files and the layers no image has. */
static void du_cache(const struct store *st, struct img_du *du, json_t *layers)
{
	char dir[PATH_MAX + 16], path[PATH_MAX * 2];
	struct dirent *ent;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/build-cache", st->base);
	dp = opendir(dir);
	while (dp && (ent = readdir(dp))) {
		_cleanup_json_ json_t *rec = NULL, *cfg = NULL;
		struct stat sb;
		json_t *id;
		size_t k;

		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (ent->d_name[0] == '.' || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		du->cache_records++;
		du->cache_bytes += sb.st_size;
		rec = json_load_file(path, 0, NULL);
		cfg = json_loads(json_string_value(json_object_get(rec, "config")) ?: "", 0, NULL);
		json_array_foreach(diff_ids(cfg), k, id) {
			const char *did = json_string_value(id);
			json_t *l;

			if (!did || json_object_get(layers, did))
				continue;
			l = layer_entry(st, layers, did,
					json_array_get(json_object_get(rec, "layers"), k));
			du->cache_bytes += l ? entry_size(l) : 0;
		}
	}
	if (dp)
		closedir(dp);
}

int img_du(const char *root, struct img_du *du, struct berr *e)
{
	_cleanup_json_ json_t *layers = json_object(), *owners = json_object();
	const char *k;
	json_t *l;
	struct store st;
	int r;

	memset(du, 0, sizeof(*du));
	if (!layers || !owners)
		return berr_set(e, ENOMEM, "system df");
	r = store_open(&st, root, false, e);
	if (r < 0)
		return r;
	r = du_images(&st, du, layers, owners, e);
	json_object_foreach(layers, k, l)
		du->layers += entry_size(l);
	for (size_t i = 0; r == 0 && i < du->nimages; i++) {
		json_t *owned = json_object_get(owners, du->images[i].id);
		size_t j;

		json_array_foreach(owned, j, l) {
			if (json_integer_value(json_array_get(l, 1)) > 1)
				du->images[i].shared += entry_size(l);
		}
	}
	if (r == 0)
		du_cache(&st, du, layers);
	store_close(&st, false);
	if (r < 0)
		img_du_free(du);
	return r;
}

void img_du_free(struct img_du *du)
{
	free(du->images);
	du->images = NULL;
	du->nimages = 0;
}
