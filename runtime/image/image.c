/* image.c - the image store; see image.h. */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "layer.h"
#include "layer_rules.h"
#include "runtime/lib/util.h"

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
	int lock_fd;
	json_t *index;
	/* What this operation created, removed again on failure. */
	char **made;
	size_t nmade;
};

static void json_decref_p(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(json_decref_p)))

/* ---------------------------------------------------------------- store */

static int store_paths(struct store *st, const char *root, struct berr *e)
{
	char cwd[PATH_MAX] = "";

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	if (root && *root && root[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return berr_set(e, errno, "getcwd");
	if (snprintf(st->base, sizeof(st->base), "%s%s%s/var/lib/berth", cwd, *cwd ? "/" : "",
		     root ? root : "") >= (int)sizeof(st->base) - 64)
		return berr_msg(e, ENAMETOOLONG, "root path too long");
	snprintf(st->images, sizeof(st->images), "%s/images", st->base);
	snprintf(st->blobs, sizeof(st->blobs), "%s/images/blobs/sha256", st->base);
	snprintf(st->layers, sizeof(st->layers), "%s/layers", st->base);
	return 0;
}

static int store_load_index(struct store *st, struct berr *e)
{
	char path[PATH_MAX];
	json_error_t je;

	snprintf(path, sizeof(path), "%s/index.json", st->images);
	st->index = json_load_file(path, 0, &je);
	if (!st->index) {
		if (access(path, F_OK) == 0)
			return berr_msg(e, EINVAL, "%s: %s", path, je.text);
		st->index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX,
				      "manifests");
	}
	if (!st->index || !json_is_array(json_object_get(st->index, "manifests")))
		return berr_msg(e, EINVAL, "%s: no manifests array", path);
	return 0;
}

/* Remove what writers that died left behind: temp blobs (.tmp-*), half
 * unpacked or half removed layers (.tmp-*, .rm-*), unpacked archives
 * (.load-*), write_file_atomic's NAME.tmp.PID. Only called with the lock held exclusively, so no
 * live writer owns them. */
static void store_sweep(const struct store *st)
{
	const char *dirs[] = {st->blobs, st->layers, st->base, st->images};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char p[PATH_MAX];

			if (strncmp(de->d_name, ".tmp-", 5) && strncmp(de->d_name, ".rm-", 4) &&
			    strncmp(de->d_name, ".load-", 6) && !strstr(de->d_name, ".tmp."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dirs[i], de->d_name);
			layer_rmtree(p);
		}
		if (d)
			closedir(d);
	}
}

/* Open the store: writers create it and take the lock exclusively; readers
 * share it (and find an empty store when there is none). */
static int store_open(struct store *st, const char *root, bool write, struct berr *e)
{
	char path[PATH_MAX];
	int r;

	r = store_paths(st, root, e);
	if (r < 0)
		return r;
	if (write) {
		if ((r = mkdir_p(st->blobs, 0700)) < 0 || (r = mkdir_p(st->layers, 0700)) < 0)
			return berr_set(e, -r, "create image store in %s", st->base);
	}
	snprintf(path, sizeof(path), "%s/images.lock", st->base);
	st->lock_fd = open(path, (write ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0600);
	if (st->lock_fd < 0 && (write || errno != ENOENT))
		return berr_set(e, errno, "open %s", path);
	if (st->lock_fd >= 0 && flock(st->lock_fd, write ? LOCK_EX : LOCK_SH) < 0)
		return berr_set(e, errno, "lock %s", path);
	if (write) {
		store_sweep(st);
		snprintf(path, sizeof(path), "%s/oci-layout", st->images);
		if (access(path, F_OK) < 0) {
			static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
			r = write_file_atomic(path, layout, sizeof(layout) - 1, 0644);
			if (r < 0)
				return berr_set(e, -r, "write %s", path);
		}
	}
	return store_load_index(st, e);
}

static int store_remember(struct store *st, const char *path)
{
	char **n = realloc(st->made, (st->nmade + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	st->made = n;
	st->made[st->nmade] = strdup(path);
	if (!st->made[st->nmade])
		return -ENOMEM;
	st->nmade++;
	return 0;
}

/* Close the store; on failure undo what this operation created. */
static void store_close(struct store *st, bool failed)
{
	for (size_t i = st->nmade; i-- > 0;) {
		if (failed)
			layer_rmtree(st->made[i]);
		free(st->made[i]);
	}
	free(st->made);
	st->made = NULL;
	st->nmade = 0;
	if (st->index)
		json_decref(st->index);
	st->index = NULL;
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

static int store_save_index(struct store *st, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_free_ char *s = json_dumps(st->index, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int r;

	if (!s)
		return berr_set(e, ENOMEM, "encode index.json");
	snprintf(path, sizeof(path), "%s/index.json", st->images);
	r = write_file_atomic(path, s, strlen(s), 0644);
	if (r < 0)
		return berr_set(e, -r, "write %s", path);
	return 0;
}

static void blob_path(const struct store *st, const char *digest, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", st->blobs, dg_hex(digest));
}

static bool blob_exists(const struct store *st, const char *digest)
{
	char p[PATH_MAX];

	blob_path(st, digest, p, sizeof(p));
	return access(p, F_OK) == 0;
}

/* Open path for reading. With beneath set (a source directory, maybe an
 * unpacked archive holding symlinks), path must lie inside it and is
 * resolved by the kernel without leaving it (openat2 RESOLVE_BENEATH). */
static int open_beneath(const char *beneath, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	size_t n;
	int dfd, fd;

	if (!beneath)
		return open(path, O_RDONLY | O_CLOEXEC);
	n = strlen(beneath);
	if (strncmp(path, beneath, n) != 0 || path[n] != '/') {
		errno = EINVAL;
		return -1;
	}
	dfd = open(beneath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	fd = syscall(SYS_openat2, dfd, path + n + 1, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) /* before Linux 5.6: no symlinks at all */
		fd = openat(dfd, path + n + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	close(dfd);
	return fd;
}

/* Read a blob into memory and check its digest (when given). */
static int read_verified(const char *beneath, const char *path, const char *digest, char **data,
			 size_t *len, struct berr *e)
{
	_cleanup_fd_ int fd = open_beneath(beneath, path);
	char got[DG_STR_LEN];
	struct stat sb;
	char *buf;
	size_t n = 0;

	if (fd < 0)
		return berr_set(e, errno, "blob %s", digest ? digest : path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > JSON_MAX)
		return berr_msg(e, EINVAL, "blob %s: not a regular file of at most 16 MiB",
				digest ? digest : path);
	buf = malloc(sb.st_size + 1);
	if (!buf)
		return berr_set(e, ENOMEM, "read blob");
	while (n < (size_t)sb.st_size) {
		ssize_t k = read(fd, buf + n, sb.st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			free(buf);
			return berr_set(e, k < 0 ? errno : EIO, "read blob %s",
					digest ? digest : path);
		}
		n += k;
	}
	buf[n] = '\0';
	dg_buffer(buf, n, got);
	if (digest && strcmp(got, digest) != 0) {
		free(buf);
		return berr_msg(e, EINVAL, "blob %s is corrupt: its content has digest %s", digest,
				got);
	}
	*data = buf;
	*len = n;
	return 0;
}

static int parse_json(const char *data, size_t len, const char *what, json_t **out, struct berr *e)
{
	json_error_t je;

	*out = json_loadb(data, len, 0, &je);
	if (!*out || !json_is_object(*out))
		return berr_msg(e, EINVAL, "%s: invalid JSON: %s", what,
				*out ? "not an object" : je.text);
	return 0;
}

/* Read and parse a blob of this store (verified again: cheap, and a
 * damaged store says so). */
static int store_read_json(const struct store *st, const char *digest, json_t **out, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	if (!dg_valid(digest))
		return berr_msg(e, EINVAL, "invalid digest \"%s\"", digest ? digest : "");
	blob_path(st, digest, path, sizeof(path));
	r = read_verified(NULL, path, digest, &data, &len, e);
	if (r < 0)
		return r;
	return parse_json(data, len, digest, out, e);
}

/* Copy fd into the store as a blob; verify against expected when given.
 * digest gets the blob's digest, size its length. */
static int store_add_blob_fd(struct store *st, int fd, const char *expected,
			     char digest[DG_STR_LEN], uint64_t *size, struct berr *e)
{
	char tmp[PATH_MAX], final[PATH_MAX], buf[65536];
	struct dg_ctx c;
	uint64_t total = 0;
	int out, r = 0;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-%d-XXXXXX", st->blobs, (int)getpid());
	out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0)
		return berr_set(e, errno, "create blob");
	dg_init(&c);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = berr_set(e, errno, "read");
			break;
		}
		if (n == 0)
			break;
		dg_update(&c, buf, n);
		total += n;
		if ((r = write_all(out, buf, n)) < 0) {
			r = berr_set(e, -r, "write blob");
			break;
		}
	}
	dg_final(&c, digest);
	if (r == 0 && expected && strcmp(expected, digest) != 0)
		r = berr_msg(e, EINVAL, "blob %s is corrupt: its content has digest %s", expected,
			     digest);
	if (r == 0 && (fchmod(out, 0644) < 0 || fsync(out) < 0))
		r = berr_set(e, errno, "write blob");
	close(out);
	if (r == 0) {
		blob_path(st, digest, final, sizeof(final));
		if (access(final, F_OK) == 0) {
			unlink(tmp);
		} else if (rename(tmp, final) < 0 || store_remember(st, final) < 0) {
			r = berr_set(e, errno ? errno : ENOMEM, "store blob %s", digest);
		}
	}
	if (r < 0)
		unlink(tmp);
	else if (size)
		*size = total;
	return r;
}

static int store_add_blob_mem(struct store *st, const char *data, size_t len,
			      char digest[DG_STR_LEN], struct berr *e)
{
	char final[PATH_MAX];
	int r;

	dg_buffer(data, len, digest);
	blob_path(st, digest, final, sizeof(final));
	if (access(final, F_OK) == 0)
		return 0;
	r = write_file_atomic(final, data, len, 0644);
	if (r < 0)
		return berr_set(e, -r, "store blob %s", digest);
	if (store_remember(st, final) < 0)
		return berr_set(e, ENOMEM, "store blob");
	return 0;
}

/* Unpack a stored layer blob, checking its diff_id. */
static int store_unpack_layer(struct store *st, const char *blob, const char *diff_id,
			      struct berr *e)
{
	char path[PATH_MAX], got[DG_STR_LEN];
	_cleanup_fd_ int fd = -1;
	bool created;
	int r;

	if (!dg_valid(diff_id))
		return berr_msg(e, EINVAL, "invalid diff_id \"%s\"", diff_id);
	blob_path(st, blob, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_set(e, errno, "open layer %s", blob);
	r = layer_unpack(st->layers, fd, diff_id, -1, got, &created, e);
	if (r < 0)
		return berr_wrap(e, "layer %s", blob);
	if (created) {
		snprintf(path, sizeof(path), "%s/%s", st->layers, dg_hex(diff_id));
		if (store_remember(st, path) < 0)
			return berr_set(e, ENOMEM, "layer");
	}
	return 0;
}

/* ---------------------------------------------------------------- index */

static const char *desc_ref(json_t *desc)
{
	return json_string_value(json_object_get(json_object_get(desc, "annotations"), ANN_REF));
}

static const char *desc_digest(json_t *desc)
{
	return json_string_value(json_object_get(desc, "digest"));
}

static size_t index_count_digest(json_t *manifests, const char *digest)
{
	size_t i, n = 0;
	json_t *d;

	json_array_foreach(manifests, i, d)
	{
		const char *dd = desc_digest(d);
		n += dd && strcmp(dd, digest) == 0;
	}
	return n;
}

/* Drop the tag ref from the index. The manifest it named stays, untagged,
 * when nothing else names it (Docker's <none> image). */
static void index_untag(json_t *manifests, const char *ref)
{
	for (size_t i = 0; i < json_array_size(manifests); i++) {
		json_t *d = json_array_get(manifests, i);
		const char *r = desc_ref(d);

		if (!r || strcmp(r, ref) != 0)
			continue;
		if (index_count_digest(manifests, desc_digest(d)) > 1) {
			json_array_remove(manifests, i);
			i--;
		} else {
			json_object_del(d, "annotations");
		}
	}
}

/* Point ref at the manifest described by desc (copied). */
static int index_set(json_t *manifests, json_t *desc, const char *ref)
{
	json_t *n = json_deep_copy(desc);
	const char *digest = desc_digest(desc);

	if (!n)
		return -ENOMEM;
	json_object_del(n, "annotations");
	if (ref && *ref) {
		index_untag(manifests, ref);
		json_object_set_new(n, "annotations", json_pack("{s:s}", ANN_REF, ref));
	}
	/* An untagged entry for the same manifest is now redundant. */
	for (size_t i = 0; i < json_array_size(manifests); i++) {
		json_t *d = json_array_get(manifests, i);
		const char *dd = desc_digest(d);

		if (dd && strcmp(dd, digest) == 0 && !desc_ref(d)) {
			json_array_remove(manifests, i);
			i--;
		}
	}
	if (!(ref && *ref) && index_count_digest(manifests, digest) > 0) {
		json_decref(n);
		return 0;
	}
	return json_array_append_new(manifests, n) < 0 ? -ENOMEM : 0;
}

/* The config digest (image ID) of a manifest in the store. */
static int manifest_config(const struct store *st, const char *mdigest, char id[DG_STR_LEN],
			   json_t **manifest, struct berr *e)
{
	json_t *m = NULL;
	const char *cd;
	int r;

	r = store_read_json(st, mdigest, &m, e);
	if (r < 0)
		return r;
	cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	if (!dg_valid(cd)) {
		json_decref(m);
		return berr_msg(e, EINVAL, "manifest %s: no valid config digest", mdigest);
	}
	snprintf(id, DG_STR_LEN, "%s", cd);
	if (manifest)
		*manifest = m;
	else
		json_decref(m);
	return 0;
}

struct found {
	json_t *desc; /* borrowed from the index */
	char id[DG_STR_LEN];
	char ref[256];
};

/* Find an image: full ID, then ref, then ID prefix (Docker's order). */
static int store_find(const struct store *st, const char *arg, struct found *f, struct berr *e)
{
	json_t *manifests = json_object_get(st->index, "manifests"), *d;
	char norm[256] = "";
	const char *prefix = arg;
	size_t i, matches = 0;
	bool id_like = lr_looks_like_id(arg);

	memset(f, 0, sizeof(*f));
	if (lr_ref_normalize(arg, norm, sizeof(norm)) == 0 && !dg_valid(arg)) {
		json_array_foreach(manifests, i, d)
		{
			const char *r = desc_ref(d);
			if (r && strcmp(r, norm) == 0) {
				f->desc = d;
				snprintf(f->ref, sizeof(f->ref), "%s", norm);
				return manifest_config(st, desc_digest(d), f->id, NULL, e);
			}
		}
	}
	if (!id_like)
		return berr_msg(e, ENOENT, "No such image: %s", arg);
	if (strncmp(prefix, "sha256:", 7) == 0)
		prefix += 7;
	json_array_foreach(manifests, i, d)
	{
		char id[DG_STR_LEN];

		if (manifest_config(st, desc_digest(d), id, NULL, e) < 0)
			continue;
		if (strncmp(dg_hex(id), prefix, strlen(prefix)) != 0)
			continue;
		if (matches && strcmp(id, f->id) == 0)
			continue;
		if (matches++)
			return berr_msg(e, EINVAL, "ID prefix %s matches more than one image", arg);
		f->desc = d;
		snprintf(f->id, sizeof(f->id), "%s", id);
	}
	if (!matches)
		return berr_msg(e, ENOENT, "No such image: %s", arg);
	return 0;
}

/* ---------------------------------------------------------------- resolve */

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

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
			strv_free(v);
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
			strv_free(v);
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

static void parse_img_config(json_t *cfg, struct img_config *c)
{
	json_t *o = json_object_get(cfg, "config");

	c->entrypoint = strv_from_array(json_object_get(o, "Entrypoint"));
	c->cmd = strv_from_array(json_object_get(o, "Cmd"));
	c->env = strv_from_array(json_object_get(o, "Env"));
	c->working_dir = str_or_null(json_object_get(o, "WorkingDir"));
	c->user = str_or_null(json_object_get(o, "User"));
	c->exposed_ports = strv_from_keys(json_object_get(o, "ExposedPorts"));
	c->volumes = strv_from_keys(json_object_get(o, "Volumes"));
	hc_from_json(json_object_get(o, "Healthcheck"), &c->healthcheck);
}

void img_info_free(struct img_info *info)
{
	struct img_config *c = &info->config;

	strv_free(info->layers);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->working_dir);
	free(c->user);
	strv_free(c->exposed_ports);
	strv_free(c->volumes);
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
		snprintf(path, sizeof(path), "%s/%s", st->layers, dg_hex(id));
		if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			return berr_msg(e, ENOENT, "image %s: layer %s is missing from %s", f->id,
					id, st->layers);
		if (!(out->layers[i] = strdup(path)))
			return berr_set(e, ENOMEM, "resolve");
		out->nlayers++;
	}
	parse_img_config(cfg, &out->config);
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

/* ---------------------------------------------------------------- import */

static void iso_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static time_t build_time(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	return sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
}

/* Add the config (its exact bytes: they are the image ID) and a manifest
 * for the given layers; point ref at them, or hand the manifest's
 * descriptor back in *manifest_desc. */
static int store_commit_image(struct store *st, const char *cfg, size_t cfglen, json_t *layer_descs,
			      const char *ref, char id[DG_STR_LEN], json_t **manifest_desc,
			      struct berr *e)
{
	_cleanup_free_ char *man = NULL;
	_cleanup_json_ json_t *m = NULL, *desc = NULL;
	char mdigest[DG_STR_LEN];
	int r;

	r = store_add_blob_mem(st, cfg, cfglen, id, e);
	if (r < 0)
		return r;
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
		      MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", id, "size",
		      (json_int_t)cfglen, "layers", layer_descs);
	man = m ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!man)
		return berr_set(e, ENOMEM, "encode manifest");
	r = store_add_blob_mem(st, man, strlen(man), mdigest, e);
	if (r < 0)
		return r;
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", MT_MANIFEST, "digest", mdigest, "size",
			 (json_int_t)strlen(man));
	if (!desc)
		return berr_set(e, ENOMEM, "manifest");
	if (manifest_desc) {
		*manifest_desc = json_incref(desc);
		return 0;
	}
	if (index_set(json_object_get(st->index, "manifests"), desc, ref) < 0)
		return berr_set(e, ENOMEM, "index");
	return 0;
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
		store_remember(&st, final);
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
		store_remember(&st, final);
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

/* ---------------------------------------------------------------- load */

/* What a load will add to the index once everything is in place. */
static int pending_add(json_t *pending, const char *ref, const char *id, json_t *desc)
{
	return json_array_append_new(
	    pending, json_pack("{s:s, s:s, s:O}", "ref", ref, "id", id, "desc", desc));
}

static void src_blob_path(const char *srcdir, const char *digest, char *out, size_t size)
{
	snprintf(out, size, "%s/blobs/sha256/%s", srcdir, dg_hex(digest));
}

static int read_src_json(const char *srcdir, const char *digest, char **data, size_t *len,
			 json_t **out, struct berr *e)
{
	char path[PATH_MAX];
	int r;

	if (!dg_valid(digest))
		return berr_msg(e, EINVAL, "invalid digest \"%s\"", digest ? digest : "");
	src_blob_path(srcdir, digest, path, sizeof(path));
	r = read_verified(srcdir, path, digest, data, len, e);
	if (r < 0)
		return r;
	r = parse_json(*data, *len, digest, out, e);
	if (r < 0) {
		free(*data);
		*data = NULL;
	}
	return r;
}

/* Copy a layer blob from the source (verified against digest when given)
 * and unpack it, checking diff_id. digest_out gets the blob's digest. */
static int load_layer(struct store *st, const char *srcdir, const char *path, const char *digest,
		      const char *diff_id, char digest_out[DG_STR_LEN], uint64_t *size,
		      struct berr *e)
{
	_cleanup_fd_ int fd = -1;
	struct stat sb;
	int r;

	if (digest && blob_exists(st, digest)) {
		char p[PATH_MAX];
		blob_path(st, digest, p, sizeof(p));
		snprintf(digest_out, DG_STR_LEN, "%s", digest);
		if (stat(p, &sb) == 0)
			*size = sb.st_size;
	} else {
		fd = open_beneath(srcdir, path);
		if (fd < 0)
			return berr_set(e, errno, "layer %s", digest ? digest : path);
		r = store_add_blob_fd(st, fd, digest, digest_out, size, e);
		if (r < 0)
			return r;
	}
	return store_unpack_layer(st, digest_out, diff_id, e);
}

static bool is_gzip_blob(const struct store *st, const char *digest)
{
	char p[PATH_MAX];
	unsigned char m[2] = {0};
	_cleanup_fd_ int fd = -1;

	blob_path(st, digest, p, sizeof(p));
	fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, m, 2) == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

static int load_oci_manifest(struct store *st, const char *srcdir, json_t *desc, const char *ref,
			     json_t *pending, int depth, struct berr *e)
{
	const char *digest = desc_digest(desc);
	_cleanup_free_ char *mdata = NULL, *cdata = NULL;
	_cleanup_json_ json_t *m = NULL, *cfg = NULL, *mdesc = NULL;
	json_t *diffs, *layers, *l, *children;
	char cid[DG_STR_LEN], mdigest[DG_STR_LEN];
	const char *cd;
	size_t mlen, clen, i;
	int r;

	r = read_src_json(srcdir, digest, &mdata, &mlen, &m, e);
	if (r < 0)
		return r;
	children = json_object_get(m, "manifests");
	if (json_is_array(children)) { /* an index: take linux/amd64 */
		json_t *c;
		if (depth > 2)
			return berr_msg(e, EINVAL, "index %s: nested too deep", digest);
		json_array_foreach(children, i, c)
		{
			json_t *p = json_object_get(c, "platform");
			const char *os = json_string_value(json_object_get(p, "os"));
			const char *arch = json_string_value(json_object_get(p, "architecture"));
			if (!p || (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64")))
				return load_oci_manifest(st, srcdir, c, ref, pending, depth + 1, e);
		}
		return berr_msg(e, ENOENT, "index %s has no linux/amd64 image", digest);
	}
	cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	r = read_src_json(srcdir, cd, &cdata, &clen, &cfg, e);
	if (r < 0)
		return r;
	diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	layers = json_object_get(m, "layers");
	if (!json_is_array(diffs) || !json_is_array(layers) ||
	    json_array_size(diffs) != json_array_size(layers))
		return berr_msg(e, EINVAL, "manifest %s: layers do not match the config's diff_ids",
				digest);
	json_array_foreach(layers, i, l)
	{
		const char *ld = desc_digest(l);
		char path[PATH_MAX], got[DG_STR_LEN];
		uint64_t size;

		if (!dg_valid(ld))
			return berr_msg(e, EINVAL, "manifest %s: invalid layer digest", digest);
		src_blob_path(srcdir, ld, path, sizeof(path));
		r = load_layer(st, srcdir, path, ld, json_string_value(json_array_get(diffs, i)),
			       got, &size, e);
		if (r < 0)
			return r;
	}
	if ((r = store_add_blob_mem(st, cdata, clen, cid, e)) < 0 ||
	    (r = store_add_blob_mem(st, mdata, mlen, mdigest, e)) < 0)
		return r;
	mdesc = json_pack("{s:s, s:s, s:I}", "mediaType", MT_MANIFEST, "digest", mdigest, "size",
			  (json_int_t)mlen);
	if (!mdesc || pending_add(pending, ref, cid, mdesc) < 0)
		return berr_set(e, ENOMEM, "load");
	return 0;
}

static int load_oci(struct store *st, const char *srcdir, json_t *pending, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	_cleanup_json_ json_t *index = NULL;
	json_t *d, *manifests;
	size_t len, i;
	int r;

	snprintf(path, sizeof(path), "%s/index.json", srcdir);
	r = read_verified(srcdir, path, NULL, &data, &len, e);
	if (r == 0)
		r = parse_json(data, len, "index.json", &index, e);
	if (r < 0)
		return r;
	manifests = json_object_get(index, "manifests");
	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return berr_msg(e, EINVAL, "index.json lists no manifests");
	json_array_foreach(manifests, i, d)
	{
		json_t *ann = json_object_get(d, "annotations");
		const char *name = json_string_value(json_object_get(ann, ANN_CONTAINERD));
		char ref[256] = "";

		if (!name)
			name = json_string_value(json_object_get(ann, ANN_REF));
		if (name && lr_ref_normalize(name, ref, sizeof(ref)) < 0)
			return berr_msg(e, EINVAL, "invalid reference format: \"%s\"", name);
		r = load_oci_manifest(st, srcdir, d, ref, pending, 0, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A docker-archive member path: clean, relative, inside srcdir. When it
 * names its content (blobs/sha256/<hex> or <hex>.json), *expected gets
 * that digest. */
static int docker_member(const char *srcdir, const char *name, char *path, size_t size,
			 char expected[DG_STR_LEN], struct berr *e)
{
	char clean[PATH_MAX];
	const char *base;

	expected[0] = '\0';
	if (!name || lr_clean_path(name, clean, sizeof(clean)) < 0 || !*clean)
		return berr_msg(e, EINVAL, "manifest.json: bad path \"%s\"", name ? name : "");
	snprintf(path, size, "%s/%s", srcdir, clean);
	base = strrchr(clean, '/');
	base = base ? base + 1 : clean;
	if (strspn(base, "0123456789abcdef") == DG_HEX_LEN &&
	    (base[DG_HEX_LEN] == '\0' || strcmp(base + DG_HEX_LEN, ".json") == 0) &&
	    (base == clean || strncmp(clean, "blobs/sha256/", 13) == 0))
		snprintf(expected, DG_STR_LEN, "sha256:%.64s", base);
	return 0;
}

static int load_docker_one(struct store *st, const char *srcdir, json_t *item, json_t *pending,
			   struct berr *e)
{
	json_t *tags = json_object_get(item, "RepoTags"), *layers = json_object_get(item, "Layers");
	json_t *diffs, *l;
	_cleanup_free_ char *cdata = NULL;
	_cleanup_json_ json_t *cfg = NULL, *descs = json_array(), *mdesc = NULL;
	char path[PATH_MAX], expected[DG_STR_LEN], id[DG_STR_LEN];
	size_t clen, i;
	int r;

	r = docker_member(srcdir, json_string_value(json_object_get(item, "Config")), path,
			  sizeof(path), expected, e);
	if (r == 0)
		r = read_verified(srcdir, path, *expected ? expected : NULL, &cdata, &clen, e);
	if (r == 0)
		r = parse_json(cdata, clen, "image config", &cfg, e);
	if (r < 0)
		return r;
	diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(diffs) || !json_is_array(layers) ||
	    json_array_size(diffs) != json_array_size(layers))
		return berr_msg(e, EINVAL,
				"manifest.json: Layers do not match the config's diff_ids");
	json_array_foreach(layers, i, l)
	{
		char digest[DG_STR_LEN];
		uint64_t size = 0;

		r = docker_member(srcdir, json_string_value(l), path, sizeof(path), expected, e);
		if (r == 0)
			r = load_layer(st, srcdir, path, *expected ? expected : NULL,
				       json_string_value(json_array_get(diffs, i)), digest, &size,
				       e);
		if (r < 0)
			return r;
		if (json_array_append_new(
			descs, json_pack("{s:s, s:s, s:I}", "mediaType",
					 is_gzip_blob(st, digest) ? MT_LAYER_GZ : MT_LAYER,
					 "digest", digest, "size", (json_int_t)size)) < 0)
			return berr_set(e, ENOMEM, "load");
	}
	r = store_commit_image(st, cdata, clen, descs, NULL, id, &mdesc, e);
	if (r < 0)
		return r;
	if (json_array_size(tags) == 0)
		return pending_add(pending, "", id, mdesc) < 0 ? berr_set(e, ENOMEM, "load") : 0;
	json_array_foreach(tags, i, l)
	{
		const char *t = json_string_value(l);
		char ref[256];

		if (!t || lr_ref_normalize(t, ref, sizeof(ref)) < 0)
			return berr_msg(e, EINVAL, "invalid reference format: \"%s\"", t ? t : "");
		if (pending_add(pending, ref, id, mdesc) < 0)
			return berr_set(e, ENOMEM, "load");
	}
	return 0;
}

static int load_docker(struct store *st, const char *srcdir, json_t *pending, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *list = NULL;
	_cleanup_free_ char *data = NULL;
	json_error_t je;
	json_t *item;
	size_t i, len;
	int r;

	snprintf(path, sizeof(path), "%s/manifest.json", srcdir);
	r = read_verified(srcdir, path, NULL, &data, &len, e);
	if (r < 0)
		return r;
	list = json_loadb(data, len, 0, &je);
	if (!json_is_array(list) || json_array_size(list) == 0)
		return berr_msg(e, EINVAL, "manifest.json: %s",
				list ? "not a list of images" : je.text);
	json_array_foreach(list, i, item)
	{
		r = load_docker_one(st, srcdir, item, pending, e);
		if (r < 0)
			return r;
	}
	return 0;
}

int img_load(const char *root, const char *path, img_loaded_fn loaded, void *ctx, struct berr *e)
{
	_cleanup_json_ json_t *pending = json_array();
	char tmp[PATH_MAX] = "", probe[PATH_MAX], dg[DG_STR_LEN];
	const char *srcdir = path;
	struct store st;
	struct stat sb;
	json_t *p;
	size_t i;
	int r;

	r = store_open(&st, root, true, e);
	if (r < 0)
		goto out;
	if (strcmp(path, "-") == 0 || (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))) {
		_cleanup_fd_ int fd =
		    strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = berr_set(e, errno, "open %s", path);
			goto out;
		}
		snprintf(tmp, sizeof(tmp), "%s/.load-%d", st.base, (int)getpid());
		layer_rmtree(tmp);
		r = layer_extract(fd, tmp, LAYER_PLAIN, -1, dg, NULL, e);
		if (r < 0) {
			tmp[0] = '\0';
			berr_wrap(e, "load %s", path);
			goto out;
		}
		srcdir = tmp;
	} else if (access(path, F_OK) < 0) {
		r = berr_set(e, errno, "open %s", path);
		goto out;
	}
	snprintf(probe, sizeof(probe), "%s/manifest.json", srcdir);
	if (access(probe, F_OK) == 0) {
		r = load_docker(&st, srcdir, pending, e);
	} else {
		snprintf(probe, sizeof(probe), "%s/index.json", srcdir);
		if (access(probe, F_OK) == 0)
			r = load_oci(&st, srcdir, pending, e);
		else
			r = berr_msg(e, EINVAL,
				     "%s is neither an OCI image layout nor a docker-archive "
				     "(no index.json or manifest.json)",
				     path);
	}
	json_array_foreach(pending, i, p)
	{
		const char *ref = json_string_value(json_object_get(p, "ref"));
		if (r == 0 && index_set(json_object_get(st.index, "manifests"),
					json_object_get(p, "desc"), *ref ? ref : NULL) < 0)
			r = berr_set(e, ENOMEM, "index");
	}
	if (r == 0)
		r = store_save_index(&st, e);
	if (r == 0 && loaded) {
		json_array_foreach(pending, i, p)
		    loaded(json_string_value(json_object_get(p, "ref")),
			   json_string_value(json_object_get(p, "id")), ctx);
	}
out:
	if (*tmp)
		layer_rmtree(tmp);
	store_close(&st, r < 0);
	return r;
}

/* ---------------------------------------------------------------- remove */

static int set_add(json_t *set, const char *key)
{
	return key ? json_object_set_new(set, key, json_true()) : 0;
}

/* Blobs and layers of one image: manifest, config, layer blobs go to
 * blobs; diff_ids go to layers. */
static int image_parts(const struct store *st, const char *mdigest, json_t *blobs, json_t *layers,
		       struct berr *e)
{
	_cleanup_json_ json_t *m = NULL, *cfg = NULL;
	char id[DG_STR_LEN];
	json_t *l;
	size_t i;
	int r;

	set_add(blobs, mdigest);
	r = manifest_config(st, mdigest, id, &m, e);
	if (r < 0)
		return r;
	set_add(blobs, id);
	json_array_foreach(json_object_get(m, "layers"), i, l) set_add(blobs, desc_digest(l));
	r = store_read_json(st, id, &cfg, e);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), i, l)
	    set_add(layers, json_string_value(l));
	return 0;
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
		if (image_parts(st, desc_digest(d), kb, kl, &e) < 0)
			return; /* unsure what is in use: keep everything */
	}
	json_array_foreach(gone, i, d) image_parts(st, json_string_value(d), db, dl, &e);
	json_object_foreach(db, k, v)
	{
		char p[PATH_MAX];
		if (json_object_get(kb, k) || !dg_valid(k))
			continue;
		blob_path(st, k, p, sizeof(p));
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
			layer_rmtree(t);
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
	bool delete_image = true;
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
		if (manifest_config(&st, desc_digest(d), id, NULL, e) == 0 && !strcmp(id, f.id))
			tags += desc_ref(d) != NULL;
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
	if (json_array_size(gone) > 0)
		store_gc(&st, gone);
	json_array_foreach(untagged, i, d) if (report)
	    report("Untagged", json_string_value(d), ctx);
	if (delete_image && report)
		report("Deleted", f.id, ctx);
out:
	store_close(&st, false);
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

int img_list(const char *root, struct img_summary **out, size_t *n, struct berr *e)
{
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
		s->created = parse_created(json_string_value(json_object_get(cfg, "created")));
		json_array_foreach(json_object_get(m, "layers"), j, l) s->size +=
		    json_integer_value(json_object_get(l, "size"));
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

		if (!dg_valid(d) || !dg_valid(diff) || !blob_exists(&st, d)) {
			ok = false;
			break;
		}
		snprintf(p, sizeof(p), "%s/%s", st.layers, dg_hex(diff));
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

/* ---------------------------------------------------------------- save */

static int save_member(struct archive *a, const char *name, const char *data, size_t len,
		       int fd, mode_t mode, struct berr *e)
{
	struct archive_entry *en = archive_entry_new();
	char buf[65536];
	int r = 0;

	if (!en)
		return berr_set(e, ENOMEM, "save");
	archive_entry_set_pathname(en, name);
	archive_entry_set_filetype(en, mode ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(en, mode ? mode : 0644);
	archive_entry_set_size(en, mode ? 0 : (la_int64_t)len);
	archive_entry_set_mtime(en, 0, 0);
	if (archive_write_header(a, en) != ARCHIVE_OK)
		r = berr_msg(e, EIO, "save: %s: %s", name, archive_error_string(a));
	while (r == 0 && fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = berr_set(e, errno, "read %s", name);
		if (n <= 0)
			break;
		if (archive_write_data(a, buf, n) != n)
			r = berr_msg(e, EIO, "save: %s: %s", name, archive_error_string(a));
	}
	if (r == 0 && fd < 0 && data && len && archive_write_data(a, data, len) != (la_ssize_t)len)
		r = berr_msg(e, EIO, "save: %s: %s", name, archive_error_string(a));
	archive_entry_free(en);
	return r;
}

int img_save(const char *root, char *const *refs, int nrefs, int out_fd, struct berr *e)
{
	_cleanup_json_ json_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2,
						   "mediaType", MT_INDEX, "manifests");
	_cleanup_json_ json_t *blobs = json_object();
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	_cleanup_free_ char *idx = NULL;
	struct archive *a = NULL;
	struct store st;
	const char *k;
	json_t *v;
	int r;

	r = store_open(&st, root, false, e);
	for (int i = 0; r == 0 && i < nrefs; i++) {
		_cleanup_json_ json_t *m = NULL;
		struct found f;
		char id[DG_STR_LEN];
		json_t *desc, *l;
		size_t j;

		r = store_find(&st, refs[i], &f, e);
		if (r == 0)
			r = manifest_config(&st, desc_digest(f.desc), id, &m, e);
		if (r < 0)
			break;
		desc = json_deep_copy(f.desc);
		json_object_del(desc, "annotations");
		/* by name: the name travels with it (as `docker save`); by ID: untagged */
		if (f.ref[0])
			json_object_set_new(desc, "annotations", json_pack("{s:s}", ANN_REF, f.ref));
		json_array_append_new(json_object_get(index, "manifests"), desc);
		set_add(blobs, desc_digest(f.desc));
		set_add(blobs, id);
		json_array_foreach(json_object_get(m, "layers"), j, l) set_add(blobs, desc_digest(l));
	}
	if (r < 0)
		goto out;
	idx = json_dumps(index, JSON_COMPACT | JSON_PRESERVE_ORDER);
	a = archive_write_new();
	if (!idx || !a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out_fd) != ARCHIVE_OK) {
		r = berr_msg(e, EIO, "save: %s", a ? archive_error_string(a) : "out of memory");
		goto out;
	}
	r = save_member(a, "oci-layout", layout, sizeof(layout) - 1, -1, 0, e);
	if (r == 0)
		r = save_member(a, "index.json", idx, strlen(idx), -1, 0, e);
	if (r == 0)
		r = save_member(a, "blobs", NULL, 0, -1, 0755, e);
	if (r == 0)
		r = save_member(a, "blobs/sha256", NULL, 0, -1, 0755, e);
	json_object_foreach(blobs, k, v)
	{
		char path[PATH_MAX], name[128];
		struct stat sb;
		_cleanup_fd_ int fd = -1;

		if (r < 0)
			break;
		blob_path(&st, k, path, sizeof(path));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0) {
			r = berr_set(e, errno, "blob %s", k);
			break;
		}
		snprintf(name, sizeof(name), "blobs/sha256/%s", dg_hex(k));
		r = save_member(a, name, NULL, sb.st_size, fd, 0, e);
	}
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = berr_msg(e, EIO, "save: %s", archive_error_string(a));
out:
	if (a)
		archive_write_free(a);
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
		r = image_parts(&st, desc_digest(d), kb, kl, e);
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
					layer_rmtree(t);
			}
		}
		if (dir)
			closedir(dir);
	}
out:
	store_close(&st, false);
	return r;
}
