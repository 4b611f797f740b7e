/* image.c - the image store itself: open, lock and sweep it, its blobs
 * and index.json, finding an image, committing one; see image.h. The
 * operations are in image_read.c, image_write.c, image_load.c,
 * image_save.c and image_gc.c (image_priv.h). */
#include "image_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "layer_rules.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

/* ---------------------------------------------------------------- store */

int store_paths(struct store *st, const char *root, struct berr *e)
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
	snprintf(st->ro_base, sizeof(st->ro_base), "%s-baked/images/index.json", st->base);
	if (access(st->ro_base, F_OK) < 0)
		st->ro_base[0] = '\0';
	else
		snprintf(st->ro_base, sizeof(st->ro_base), "%s-baked", st->base);
	return 0;
}

static int load_index_file(const char *path, json_t **out, struct berr *e)
{
	json_error_t je;

	*out = json_load_file(path, 0, &je);
	if (!*out) {
		if (access(path, F_OK) == 0)
			return berr_msg(e, EINVAL, "%s: %s", path, je.text);
		*out = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX,
				 "manifests");
	}
	if (!*out || !json_is_array(json_object_get(*out, "manifests")))
		return berr_msg(e, EINVAL, "%s: no manifests array", path);
	return 0;
}

static bool index_has(json_t *manifests, const char *ref, const char *digest)
{
	json_t *d;
	size_t i;

	json_array_foreach(manifests, i, d)
	{
		const char *r = desc_ref(d), *dd = desc_digest(d);
		if (ref ? r && !strcmp(r, ref) : dd && digest && !strcmp(dd, digest))
			return true;
	}
	return false;
}

/* The baked store's entries after this store's own, except the tags (or
 * untagged manifests) this store has itself: those shadow them. */
static int store_merge_baked(struct store *st, struct berr *e)
{
	_cleanup_json_ json_t *ro = NULL;
	json_t *mine = json_object_get(st->index, "manifests"), *d;
	char path[PATH_MAX];
	size_t i;
	int r;

	snprintf(path, sizeof(path), "%s/images/index.json", st->ro_base);
	r = load_index_file(path, &ro, e);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(ro, "manifests"), i, d)
	{
		json_t *c;

		if (!desc_digest(d) || index_has(mine, desc_ref(d), desc_digest(d)))
			continue;
		c = json_deep_copy(d);
		if (!c || json_object_set_new(c, "berth.baked", json_true()) < 0 ||
		    json_array_append_new(mine, c) < 0)
			return berr_set(e, ENOMEM, "%s", path);
	}
	return 0;
}

static int store_load_index(struct store *st, struct berr *e)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/index.json", st->images);
	r = load_index_file(path, &st->index, e);
	if (r == 0 && st->ro_base[0])
		r = store_merge_baked(st, e);
	return r;
}

/* A pull's download directory (.pull-PID, filled without the lock) whose
 * owner is gone. */
static bool dead_pull(const char *name)
{
	int pid;

	return sscanf(name, ".pull-%d", &pid) == 1 && pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

/* Remove what writers that died left behind: temp blobs (.tmp-*), half
 * unpacked or half removed layers (.tmp-*, .rm-*), unpacked archives
 * (.load-*), write_file_atomic's NAME.tmp.PID, dead pulls' downloads. Only called with the lock
 * held exclusively, so no live writer owns them. */
static void store_sweep(const struct store *st)
{
	const char *dirs[] = {st->blobs, st->layers, st->base, st->images};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char p[PATH_MAX];

			if (strncmp(de->d_name, ".tmp-", 5) && strncmp(de->d_name, ".rm-", 4) &&
			    strncmp(de->d_name, ".load-", 6) && !strstr(de->d_name, ".tmp.") &&
			    !dead_pull(de->d_name))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dirs[i], de->d_name);
			layer_rmtree_garbage(p);
		}
		if (d)
			closedir(d);
	}
}

/* Open the store: writers create it and take the lock exclusively; readers
 * share it (and find an empty store when there is none). */
int store_open(struct store *st, const char *root, bool write, struct berr *e)
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
	unsynced_check(st, write);
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

int store_remember(struct store *st, const char *path)
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
void store_close(struct store *st, bool failed)
{
	for (size_t i = st->nmade; i-- > 0;) {
		if (failed)
			layer_rmtree_garbage(st->made[i]);
		free(st->made[i]);
	}
	free(st->made);
	st->made = NULL;
	st->nmade = 0;
	json_decref(st->unsynced);
	st->unsynced = NULL;
	if (st->index)
		json_decref(st->index);
	st->index = NULL;
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

int store_save_index(struct store *st, struct berr *e)
{
	_cleanup_json_ json_t *out = json_copy(st->index), *mine = json_array();
	_cleanup_free_ char *s = NULL;
	char path[PATH_MAX];
	json_t *d;
	size_t i;
	int r;

	/* the baked store's entries stay where they are */
	json_array_foreach(json_object_get(st->index, "manifests"), i, d)
	{
		if (!desc_baked(d) && mine)
			json_array_append(mine, d);
	}
	if (out && mine && json_object_set(out, "manifests", mine) == 0)
		s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!s)
		return berr_set(e, ENOMEM, "encode index.json");
	snprintf(path, sizeof(path), "%s/index.json", st->images);
	r = write_file_atomic(path, s, strlen(s), 0644);
	if (r < 0)
		return berr_set(e, -r, "write %s", path);
	return 0;
}

void blob_path_rw(const struct store *st, const char *digest, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", st->blobs, dg_hex(digest));
}

void blob_path(const struct store *st, const char *digest, char *out, size_t size)
{
	blob_path_rw(st, digest, out, size);
	if (st->ro_base[0] && access(out, F_OK) < 0) {
		char ro[PATH_MAX];

		snprintf(ro, sizeof(ro), "%s/images/blobs/sha256/%s", st->ro_base, dg_hex(digest));
		if (access(ro, F_OK) == 0)
			snprintf(out, size, "%s", ro);
	}
}

void layer_path(const struct store *st, const char *diff_id, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", st->layers, dg_hex(diff_id));
	if (st->ro_base[0] && access(out, F_OK) < 0) {
		char ro[PATH_MAX];

		snprintf(ro, sizeof(ro), "%s/layers/%s", st->ro_base, dg_hex(diff_id));
		if (access(ro, F_OK) == 0)
			snprintf(out, size, "%s", ro);
	}
}

bool blob_exists(const struct store *st, const char *digest)
{
	char p[PATH_MAX];

	blob_path_rw(st, digest, p, sizeof(p));
	return access(p, F_OK) == 0;
}

/* Open path for reading. With beneath set (a source directory, maybe an
 * unpacked archive holding symlinks), path must lie inside it and is
 * resolved by the kernel without leaving it (openat2 RESOLVE_BENEATH). */
int open_source_file(const char *beneath, const char *path)
{
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
	fd = open_beneath(dfd, path + n + 1, O_RDONLY);
	if (fd < 0 && errno == ENOSYS) /* before Linux 5.6: no symlinks at all */
		fd = openat(dfd, path + n + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	close(dfd);
	return fd;
}

/* Read a blob into memory and check its digest (when given). */
int read_verified(const char *beneath, const char *path, const char *digest, char **data,
		  size_t *len, struct berr *e)
{
	_cleanup_fd_ int fd = open_source_file(beneath, path);
	char got[DG_STR_LEN];
	struct stat sb;
	char *buf;
	size_t n;
	int r;

	if (fd < 0)
		return berr_set(e, errno, "blob %s", digest ? digest : path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > JSON_MAX)
		return berr_msg(e, EINVAL, "blob %s: not a regular file of at most 16 MiB",
				digest ? digest : path);
	r = read_fd_all(fd, JSON_MAX, &buf, &n);
	if (r < 0)
		return berr_set(e, -r, "read blob %s", digest ? digest : path);
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

int parse_json(const char *data, size_t len, const char *what, json_t **out, struct berr *e)
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
int store_read_json(const struct store *st, const char *digest, json_t **out, struct berr *e)
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
int store_add_blob_fd(struct store *st, int fd, const char *expected, char digest[DG_STR_LEN],
		      uint64_t *size, struct berr *e)
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
		blob_path_rw(st, digest, final, sizeof(final));
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

int store_add_blob_mem(struct store *st, const char *data, size_t len, char digest[DG_STR_LEN],
		       struct berr *e)
{
	char final[PATH_MAX];
	int r;

	dg_buffer(data, len, digest);
	blob_path_rw(st, digest, final, sizeof(final));
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
int store_unpack_layer(struct store *st, const char *blob, const char *diff_id, struct berr *e)
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

const char *desc_ref(json_t *desc)
{
	return json_string_value(json_object_get(json_object_get(desc, "annotations"), ANN_REF));
}

const char *desc_digest(json_t *desc)
{
	return json_string_value(json_object_get(desc, "digest"));
}

bool desc_baked(json_t *desc)
{
	return json_is_true(json_object_get(desc, "berth.baked"));
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
void index_untag(json_t *manifests, const char *ref)
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

/* The entry named ref was pulled now (img_info.pulled). */
void index_stamp_pulled(json_t *manifests, const char *ref)
{
	for (size_t i = 0; i < json_array_size(manifests); i++) {
		json_t *d = json_array_get(manifests, i);
		const char *r = desc_ref(d);

		if (r && !strcmp(r, ref))
			json_object_set_new(d, "berth.pulled", json_integer(time(NULL)));
	}
}

/* Point ref at the manifest described by desc (copied). */
int index_set(json_t *manifests, json_t *desc, const char *ref)
{
	json_t *n = json_deep_copy(desc);
	const char *digest = desc_digest(desc);

	if (!n)
		return -ENOMEM;
	json_object_del(n, "annotations");
	json_object_del(n, "berth.baked");
	json_object_del(n, "berth.pulled");
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
int manifest_config(const struct store *st, const char *mdigest, char id[DG_STR_LEN],
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

/* Find an image: full ID, then ref, then ID prefix (Docker's order). */
int store_find(const struct store *st, const char *arg, struct found *f, struct berr *e)
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

/* ---------------------------------------------------------------- commit */

/* Add the config (its exact bytes: they are the image ID) and a manifest
 * for the given layers; point ref at them, or hand the manifest's
 * descriptor back in *manifest_desc. */
int store_commit_image(struct store *st, const char *cfg, size_t cfglen, json_t *layer_descs,
		       const char *ref, char id[DG_STR_LEN], json_t **manifest_desc, struct berr *e)
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
