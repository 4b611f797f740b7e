/* image_load.c - `docker load`: images from an OCI layout directory, an
 * oci-archive or a docker-archive, every blob verified; see image.h. */
#include "image_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "layer_rules.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

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

/* A pull's layer unpacked as it came in (registry/unpack.h), its diff_id
 * checked then: moved into the store (store_unpack_layer then finds it),
 * noted as unsynced when it is (sync_pulled). */
static int adopt_layer(struct store *st, const char *srcdir, const char *diff_id,
		       const char *blob, struct berr *e)
{
	char src[PATH_MAX], dst[PATH_MAX];

	snprintf(src, sizeof(src), "%s/layers/%s", srcdir, dg_hex(diff_id));
	snprintf(dst, sizeof(dst), "%s/%s", st->layers, dg_hex(diff_id));
	if (access(dst, F_OK) == 0 || rename(src, dst) < 0)
		return 0;
	if (store_remember(st, dst) < 0 || (st->lazy && unsynced_note(st, diff_id, blob) < 0))
		return berr_set(e, ENOMEM, "layer %s", diff_id);
	return 0;
}

/* A pull's blob (verified as it streamed, registry/fetch.c; on disk since
 * load()'s syncfs) renamed into the store, not copied. */
static int adopt_blob(struct store *st, const char *srcdir, const char *digest, struct berr *e)
{
	char src[PATH_MAX], dst[PATH_MAX];

	if (!st->adopt || blob_exists(st, digest))
		return 0;
	src_blob_path(srcdir, digest, src, sizeof(src));
	blob_path_rw(st, digest, dst, sizeof(dst));
	if (chmod(src, 0644) == 0 && rename(src, dst) == 0 && store_remember(st, dst) < 0)
		return berr_set(e, ENOMEM, "blob %s", digest);
	return 0;
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

	if (digest && (r = adopt_blob(st, srcdir, digest, e)) < 0)
		return r;
	if (digest && blob_exists(st, digest)) {
		char p[PATH_MAX];
		blob_path(st, digest, p, sizeof(p));
		snprintf(digest_out, DG_STR_LEN, "%s", digest);
		if (stat(p, &sb) == 0)
			*size = sb.st_size;
	} else {
		fd = open_source_file(srcdir, path);
		if (fd < 0)
			return berr_set(e, errno, "layer %s", digest ? digest : path);
		r = store_add_blob_fd(st, fd, digest, digest_out, size, e);
		if (r < 0)
			return r;
	}
	if (st->adopt && dg_valid(diff_id) && (r = adopt_layer(st, srcdir, diff_id, digest_out, e)) < 0)
		return r;
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
	if ((r = adopt_blob(st, srcdir, cd, e)) < 0 || (r = adopt_blob(st, srcdir, digest, e)) < 0 ||
	    (r = store_add_blob_mem(st, cdata, clen, cid, e)) < 0 ||
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

/* What adopt_blob and adopt_layer renamed into the store is on disk
 * before the index names it. */
static int sync_adopted(const struct store *st, struct berr *e)
{
	const char *dirs[] = { st->blobs, st->layers };
	char p[PATH_MAX];

	for (size_t i = 0; i < 2; i++) {
		int r;
		snprintf(p, sizeof(p), "%s/.", dirs[i]);
		if ((r = fsync_parent(p)) < 0)
			return berr_set(e, -r, "sync %s", dirs[i]);
	}
	return 0;
}

#define SYNC_BATCH 16

struct sync_job {
	int fd, err;
	bool threaded;
	pthread_t t;
	char name[DG_STR_LEN];
};

static void *sync_one(void *arg)
{
	struct sync_job *j = arg;

	j->err = fdatasync(j->fd) < 0 ? errno : 0;
	return NULL;
}

/* fdatasync of n files at once: the journal commits they wait for are
 * shared rather than one after another. */
static int sync_batch(struct sync_job *jobs, size_t n, const char *dir, struct berr *e)
{
	int r = 0;

	for (size_t i = 0; i < n; i++)
		jobs[i].threaded = pthread_create(&jobs[i].t, NULL, sync_one, &jobs[i]) == 0;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].threaded)
			pthread_join(jobs[i].t, NULL);
		else
			sync_one(&jobs[i]);
		if (jobs[i].err && r == 0)
			r = berr_set(e, jobs[i].err, "sync %s/%s", dir, jobs[i].name);
		close(jobs[i].fd);
	}
	return r;
}

/* What a pull wrote reaches the disk before any of it is renamed into the
 * store: its blobs, each synced (as skopeo's and containerd's are); the
 * layers it unpacked are left unsynced (image_unsynced.c). Without a boot
 * id to note them by, all of it: one syncfs. */
static int sync_pulled(struct store *st, const char *srcdir, struct berr *e)
{
	char boot[UNSYNCED_BOOT_LEN], dir[PATH_MAX];
	struct sync_job jobs[SYNC_BATCH];
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int r = 0;

	st->lazy = unsynced_boot(boot);
	if (!st->lazy)
		return syncfs(st->lock_fd) < 0 ? berr_set(e, errno, "sync %s", st->base) : 0;
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", srcdir);
	if (!(d = opendir(dir)))
		return berr_set(e, errno, "open %s", dir);
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		jobs[n].fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
		snprintf(jobs[n].name, sizeof(jobs[n].name), "%s", de->d_name);
		if (jobs[n].fd < 0)
			r = berr_set(e, errno, "open %s/%s", dir, de->d_name);
		else if (++n == SYNC_BATCH)
			r = sync_batch(jobs, n, dir, e), n = 0;
	}
	if (n)
		r = sync_batch(jobs, n, dir, e) ?: r;
	closedir(d);
	return r;
}

static int load(const char *root, const char *path, bool adopt, img_loaded_fn loaded, void *ctx,
		struct berr *e)
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
	st.adopt = adopt;
	if (adopt && (r = sync_pulled(&st, path, e)) < 0)
		goto out;
	if (strcmp(path, "-") == 0 || (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))) {
		_cleanup_fd_ int fd =
		    strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = berr_set(e, errno, "open %s", path);
			goto out;
		}
		snprintf(tmp, sizeof(tmp), "%s/.load-%d", st.base, (int)getpid());
		layer_rmtree_garbage(tmp);
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
		if (r == 0 && adopt && *ref)
			index_stamp_pulled(json_object_get(st.index, "manifests"), ref);
	}
	if (r == 0 && adopt)
		r = unsynced_commit(&st, e);
	if (r == 0 && adopt)
		r = sync_adopted(&st, e);
	if (r == 0)
		r = store_save_index(&st, e);
	if (r == 0 && loaded) {
		json_array_foreach(pending, i, p)
		    loaded(json_string_value(json_object_get(p, "ref")),
			   json_string_value(json_object_get(p, "id")), ctx);
	}
out:
	if (*tmp)
		layer_rmtree_garbage(tmp);
	store_close(&st, r < 0);
	return r;
}

int img_load(const char *root, const char *path, img_loaded_fn loaded, void *ctx, struct berr *e)
{
	return load(root, path, false, loaded, ctx, e);
}

int img_mark_pulled(const char *root, const char *ref, struct berr *e)
{
	struct store st;
	int r = store_open(&st, root, true, e);

	if (r == 0) {
		index_stamp_pulled(json_object_get(st.index, "manifests"), ref);
		r = store_save_index(&st, e);
	}
	store_close(&st, r < 0);
	return r;
}

int img_load_pulled(const char *root, const char *dir, img_loaded_fn loaded, void *ctx,
		    struct berr *e)
{
	return load(root, dir, true, loaded, ctx, e);
}
