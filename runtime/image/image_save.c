/* image_save.c - `docker save` as an oci-archive; see image.h. */
#include "image_priv.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/util.h"

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
		if (set_add(blobs, desc_digest(f.desc)) < 0 || set_add(blobs, id) < 0)
			r = berr_set(e, ENOMEM, "save");
		json_array_foreach(json_object_get(m, "layers"), j, l)
		{
			if (r == 0 && set_add(blobs, desc_digest(l)) < 0)
				r = berr_set(e, ENOMEM, "save");
		}
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
