/* image_read.c - reading the image store: resolve an image for a
 * container, list the images, and what the builder reads; see image.h. */
#include "image_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "runtime/lib/signame.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"

/* ---------------------------------------------------------------- resolve */

static char **strv_from_array(json_t *a)
{
	size_t i, n = json_array_size(a);
	char **v;
	json_t *s;

	if (!json_is_array(a))
		return NULL;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	json_array_foreach(a, i, s)
	{
		v[i] = strdup(json_is_string(s) ? json_string_value(s) : "");
		if (!v[i]) {
			strv_freev(v);
			return NULL;
		}
	}
	return v;
}

static char **strv_from_keys(json_t *o)
{
	size_t n = json_object_size(o), i = 0;
	const char *k;
	json_t *val;
	char **v;

	if (!json_is_object(o))
		return NULL;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	json_object_foreach(o, k, val)
	{
		(void)val;
		if (!(v[i++] = strdup(k))) {
			strv_freev(v);
			return NULL;
		}
	}
	return v;
}

static char *str_or_null(json_t *s)
{
	const char *v = json_string_value(s);
	return v && *v ? strdup(v) : NULL;
}

/* -ENOMEM when the health check could not be kept. */
static int parse_img_config(json_t *cfg, struct img_config *c)
{
	json_t *o = json_object_get(cfg, "config");

	c->entrypoint = strv_from_array(json_object_get(o, "Entrypoint"));
	c->cmd = strv_from_array(json_object_get(o, "Cmd"));
	c->env = strv_from_array(json_object_get(o, "Env"));
	c->working_dir = str_or_null(json_object_get(o, "WorkingDir"));
	c->user = str_or_null(json_object_get(o, "User"));
	c->exposed_ports = strv_from_keys(json_object_get(o, "ExposedPorts"));
	c->volumes = strv_from_keys(json_object_get(o, "Volumes"));
	c->stop_signal = sig_parse(json_string_value(json_object_get(o, "StopSignal")) ?: "");
	return hc_from_json(json_object_get(o, "Healthcheck"), &c->healthcheck);
}

void img_info_free(struct img_info *info)
{
	struct img_config *c = &info->config;

	strv_freev(info->layers);
	strv_freev(c->entrypoint);
	strv_freev(c->cmd);
	strv_freev(c->env);
	free(c->working_dir);
	free(c->user);
	strv_freev(c->exposed_ports);
	strv_freev(c->volumes);
	hc_config_free(&c->healthcheck);
	memset(info, 0, sizeof(*info));
}

static int fill_info(const struct store *st, const struct found *f, struct img_info *out,
		     struct berr *e)
{
	_cleanup_json_ json_t *cfg = NULL;
	json_t *diffs, *d;
	size_t i;
	int r;

	r = store_read_json(st, f->id, &cfg, e);
	if (r < 0)
		return r;
	diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(diffs))
		return berr_msg(e, EINVAL, "image %s: config has no rootfs.diff_ids", f->id);
	snprintf(out->id, sizeof(out->id), "%s", f->id);
	snprintf(out->ref, sizeof(out->ref), "%s", f->ref);
	out->pulled = json_integer_value(json_object_get(f->desc, "berth.pulled"));
	out->layers = calloc(json_array_size(diffs) + 1, sizeof(char *));
	if (!out->layers)
		return berr_set(e, ENOMEM, "resolve");
	json_array_foreach(diffs, i, d)
	{
		const char *id = json_string_value(d);
		char path[PATH_MAX];
		struct stat sb;

		if (!dg_valid(id))
			return berr_msg(e, EINVAL, "image %s: invalid diff_id", f->id);
		layer_path(st, id, path, sizeof(path));
		if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			return berr_msg(e, ENOENT, "image %s: layer %s is missing from %s", f->id,
					id, st->layers);
		if (!(out->layers[i] = strdup(path)))
			return berr_set(e, ENOMEM, "resolve");
		out->nlayers++;
	}
	if (parse_img_config(cfg, &out->config) < 0)
		return berr_set(e, ENOMEM, "resolve");
	return 0;
}

int img_resolve(const char *root, const char *ref_or_id, struct img_info *out, struct berr *e)
{
	struct store st;
	struct found f;
	int r;

	memset(out, 0, sizeof(*out));
	r = store_open(&st, root, false, e);
	if (r == 0)
		r = store_find(&st, ref_or_id, &f, e);
	if (r == 0)
		r = fill_info(&st, &f, out, e);
	store_close(&st, false);
	if (r < 0)
		img_info_free(out);
	return r;
}

/* ---------------------------------------------------------------- list */

static int64_t parse_created(const char *s)
{
	struct tm tm = {0};

	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static int cmp_created(const void *a, const void *b)
{
	const struct img_summary *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return strcmp(x->ref, y->ref);
}

/* The labels as "KEY=VALUE" lines, as many as fit. */
static void summary_labels(struct img_summary *s, json_t *labels)
{
	size_t len = 0;
	const char *k;
	json_t *v;

	json_object_foreach(labels, k, v) {
		int n = snprintf(s->labels + len, sizeof(s->labels) - len, "%s=%s\n", k,
				 json_is_string(v) ? json_string_value(v) : "");
		if (n < 0 || (size_t)n >= sizeof(s->labels) - len) {
			s->labels[len] = '\0';
			break;
		}
		len += n;
	}
}

/* Docker's SIZE: the layers' unpacked sizes, each layer walked once
 * (memo: diff_id -> size); a layer not unpacked counts its blob. */
static uint64_t unpacked_size(const struct store *st, json_t *cfg, json_t *m, json_t *memo)
{
	json_t *diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), *d;
	uint64_t size = 0;
	size_t i;

	json_array_foreach(diffs, i, d) {
		const char *id = json_string_value(d);
		json_t *known = id ? json_object_get(memo, id) : NULL;
		char path[PATH_MAX];
		int64_t one = 0;

		if (!known) {
			if (id)
				layer_path(st, id, path, sizeof(path));
			one = id && dg_valid(id) ? layer_size(path) : -1;
			if (one < 0)
				one = json_integer_value(json_object_get(
				    json_array_get(json_object_get(m, "layers"), i), "size"));
			if (id)
				json_object_set_new(memo, id, known = json_integer(one));
		}
		size += (uint64_t)(known ? json_integer_value(known) : one);
	}
	return size;
}

static int list_images(const char *root, bool unpacked, struct img_summary **out, size_t *n,
		       struct berr *e)
{
	_cleanup_json_ json_t *memo = json_object();
	struct img_summary *list = NULL;
	struct store st;
	json_t *d, *manifests;
	size_t i, k = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = store_open(&st, root, false, e);
	if (r < 0)
		goto out;
	manifests = json_object_get(st.index, "manifests");
	list = calloc(json_array_size(manifests) + 1, sizeof(*list));
	if (!list) {
		r = berr_set(e, ENOMEM, "list");
		goto out;
	}
	json_array_foreach(manifests, i, d)
	{
		_cleanup_json_ json_t *m = NULL, *cfg = NULL;
		struct img_summary *s = &list[k];
		json_t *l;
		size_t j;

		r = manifest_config(&st, desc_digest(d), s->id, &m, e);
		if (r == 0)
			r = store_read_json(&st, s->id, &cfg, e);
		if (r < 0)
			goto out;
		snprintf(s->ref, sizeof(s->ref), "%s", desc_ref(d) ? desc_ref(d) : "");
		s->baked = desc_baked(d);
		snprintf(s->digest, sizeof(s->digest), "%s", desc_digest(d) ? desc_digest(d) : "");
		summary_labels(s, json_object_get(json_object_get(cfg, "config"), "Labels"));
		s->created = parse_created(json_string_value(json_object_get(cfg, "created")));
		json_array_foreach(json_object_get(m, "layers"), j, l) s->size +=
		    json_integer_value(json_object_get(l, "size"));
		if (unpacked)
			s->size = unpacked_size(&st, cfg, m, memo);
		k++;
	}
	qsort(list, k, sizeof(*list), cmp_created);
	*out = steal_ptr(&list);
	*n = k;
out:
	free(list);
	store_close(&st, false);
	return r;
}

int img_list(const char *root, struct img_summary **out, size_t *n, struct berr *e)
{
	return list_images(root, false, out, n, e);
}

int img_list_unpacked(const char *root, struct img_summary **out, size_t *n, struct berr *e)
{
	return list_images(root, true, out, n, e);
}

/* ---------------------------------------------------------------- builder */

int img_read(const char *root, const char *ref, char id[DG_STR_LEN], char **config,
	     json_t **layers, struct berr *e)
{
	_cleanup_json_ json_t *m = NULL;
	char path[PATH_MAX];
	struct store st;
	struct found f;
	size_t len;
	int r;

	*config = NULL;
	*layers = NULL;
	r = store_open(&st, root, false, e);
	if (r == 0)
		r = store_find(&st, ref, &f, e);
	if (r == 0)
		r = manifest_config(&st, desc_digest(f.desc), id, &m, e);
	if (r == 0) {
		blob_path(&st, id, path, sizeof(path));
		r = read_verified(NULL, path, id, config, &len, e);
	}
	if (r == 0) {
		*layers = json_deep_copy(json_object_get(m, "layers"));
		if (!json_is_array(*layers))
			r = berr_msg(e, EINVAL, "image %s: manifest has no layers", id);
	}
	if (r < 0) {
		free(*config);
		*config = NULL;
		json_decref(*layers);
		*layers = NULL;
	}
	store_close(&st, false);
	return r;
}

bool img_layers_present(const char *root, json_t *layers, json_t *diff_ids)
{
	struct store st;
	struct berr e;
	json_t *l;
	size_t i;
	bool ok = true;

	if (store_paths(&st, root, &e) < 0 || json_array_size(layers) != json_array_size(diff_ids))
		return false;
	json_array_foreach(layers, i, l)
	{
		const char *d = desc_digest(l), *diff = json_string_value(json_array_get(diff_ids, i));
		char p[PATH_MAX];
		struct stat sb;

		if (!dg_valid(d) || !dg_valid(diff)) {
			ok = false;
			break;
		}
		blob_path(&st, d, p, sizeof(p));
		if (access(p, F_OK) < 0) {
			ok = false;
			break;
		}
		layer_path(&st, diff, p, sizeof(p));
		if (lstat(p, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			ok = false;
			break;
		}
	}
	return ok;
}

int img_store_dir(const char *root, char *out, size_t size, struct berr *e)
{
	struct store st;
	int r = store_paths(&st, root, e);

	if (r == 0)
		snprintf(out, size, "%s", st.base);
	return r;
}

bool img_blob_present(const char *root, const char *digest)
{
	struct store st;
	struct berr e;

	return dg_valid(digest) && store_paths(&st, root, &e) == 0 && blob_exists(&st, digest);
}

int img_manifest(const char *root, const char *ref, char **data, size_t *len,
		 char digest[DG_STR_LEN], struct berr *e)
{
	char path[PATH_MAX];
	struct store st;
	struct found f;
	int r;

	*data = NULL;
	r = store_open(&st, root, false, e);
	if (r == 0)
		r = store_find(&st, ref, &f, e);
	if (r == 0) {
		snprintf(digest, DG_STR_LEN, "%s", desc_digest(f.desc));
		blob_path(&st, digest, path, sizeof(path));
		r = read_verified(NULL, path, digest, data, len, e);
	}
	store_close(&st, false);
	return r;
}

int img_blob_path(const char *root, const char *digest, char *out, size_t size, struct berr *e)
{
	struct store st;
	int r = store_paths(&st, root, e);

	if (r == 0 && !dg_valid(digest))
		r = berr_msg(e, EINVAL, "invalid digest \"%s\"", digest);
	if (r == 0)
		blob_path(&st, digest, out, size);
	return r;
}
