/* layer_tar.c - write a directory tree (an overlay upper dir, or a tree
 * the builder staged) as an OCI layer tar; see layer.h. */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"

struct tar_writer {
	struct archive *a;
	int64_t clamp;
	const char *const *exclude;
	struct berr *e;
};

/* The entries of an open directory, sorted (the tar must not depend on
 * readdir order). */
static char **sorted_entries(int dfd, size_t *n)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strv_push(&v, n, strdup(de->d_name)) < 0) {
			strv_freev(v);
			closedir(d);
			return NULL;
		}
	}
	closedir(d);
	if (!v)
		v = calloc(1, sizeof(*v));
	strv_sort(v, *n);
	return v;
}

static int write_header(struct tar_writer *w, struct archive_entry *en, const char *path)
{
	if (archive_write_header(w->a, en) != ARCHIVE_OK)
		return berr_msg(w->e, EIO, "layer tar: %s: %s", path, archive_error_string(w->a));
	return 0;
}

static struct archive_entry *new_entry(const char *path, const struct stat *sb, int64_t clamp)
{
	struct archive_entry *en = archive_entry_new();

	if (!en)
		return NULL;
	archive_entry_copy_stat(en, sb);
	archive_entry_set_pathname(en, path);
	archive_entry_unset_atime(en);
	archive_entry_unset_ctime(en);
	archive_entry_unset_birthtime(en);
	if (clamp >= 0 && sb->st_mtime > clamp)
		archive_entry_set_mtime(en, clamp, 0);
	else
		archive_entry_set_mtime(en, sb->st_mtime, 0);
	archive_entry_set_nlink(en, 1);
	return en;
}

/* An empty regular file entry (OCI whiteouts). */
static int write_marker(struct tar_writer *w, const char *path, const struct stat *like)
{
	struct stat sb = *like;
	struct archive_entry *en;
	int r;

	sb.st_mode = S_IFREG | 0644;
	sb.st_size = 0;
	sb.st_rdev = 0;
	en = new_entry(path, &sb, w->clamp);
	if (!en)
		return berr_set(w->e, ENOMEM, "layer tar");
	r = write_header(w, en, path);
	archive_entry_free(en);
	return r;
}

static int write_file_data(struct tar_writer *w, int fd, const char *path)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_set(w->e, errno, "read %s", path);
		if (archive_write_data(w->a, buf, n) != n)
			return berr_msg(w->e, EIO, "layer tar: %s: %s", path,
					archive_error_string(w->a));
	}
	return 0;
}

static int write_tree(struct tar_writer *w, int dfd, const char *prefix, int depth);

static int write_one(struct tar_writer *w, int dfd, const char *name, const char *prefix,
		     int depth)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct archive_entry *en;
	struct stat sb;
	int r = 0;

	if (snprintf(path, sizeof(path), "%s%s", prefix, name) >= (int)sizeof(path) - 2)
		return berr_msg(w->e, ENAMETOOLONG, "layer tar: path too long: %s", path);
	for (const char *const *x = w->exclude; x && *x; x++)
		if (strcmp(*x, path) == 0)
			return 0;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(w->e, errno, "stat %s", path);
	/* overlayfs whiteout: a 0/0 character device -> .wh.NAME */
	if (S_ISCHR(sb.st_mode) && major(sb.st_rdev) == 0 && minor(sb.st_rdev) == 0) {
		snprintf(path, sizeof(path), "%s.wh.%s", prefix, name);
		return write_marker(w, path, &sb);
	}
	if (S_ISSOCK(sb.st_mode))
		return 0; /* tar cannot hold sockets; Docker drops them too */
	en = new_entry(path, &sb, w->clamp);
	if (!en)
		return berr_set(w->e, ENOMEM, "layer tar");
	if (S_ISLNK(sb.st_mode)) {
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0) {
			archive_entry_free(en);
			return berr_set(w->e, errno, "readlink %s", path);
		}
		target[n] = '\0';
		archive_entry_set_symlink(en, target);
		archive_entry_set_size(en, 0);
	} else if (!S_ISREG(sb.st_mode)) {
		archive_entry_set_size(en, 0);
	}
	if (S_ISDIR(sb.st_mode)) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char opq[4] = "";
		char dirpath[PATH_MAX];

		if (sub < 0) {
			archive_entry_free(en);
			return berr_set(w->e, errno, "open %s", path);
		}
		r = write_header(w, en, path);
		snprintf(dirpath, sizeof(dirpath), "%s/", path);
		/* an opaque overlay directory hides what lower layers hold */
		if (r == 0 && fgetxattr(sub, "trusted.overlay.opaque", opq, sizeof(opq) - 1) == 1 &&
		    opq[0] == 'y') {
			char wh[PATH_MAX];
			snprintf(wh, sizeof(wh), "%s.wh..wh..opq", dirpath);
			r = write_marker(w, wh, &sb);
		}
		if (r == 0)
			r = write_tree(w, sub, dirpath, depth + 1);
		close(sub);
	} else if (S_ISREG(sb.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			archive_entry_free(en);
			return berr_set(w->e, errno, "open %s", path);
		}
		r = write_header(w, en, path);
		if (r == 0)
			r = write_file_data(w, fd, path);
		close(fd);
	} else {
		r = write_header(w, en, path);
	}
	archive_entry_free(en);
	return r;
}

static int write_tree(struct tar_writer *w, int dfd, const char *prefix, int depth)
{
	size_t n;
	char **names;
	int r = 0;

	if (depth > 256)
		return berr_msg(w->e, ELOOP, "layer tar: tree too deep at %s", prefix);
	names = sorted_entries(dfd, &n);
	if (!names)
		return berr_set(w->e, errno ? errno : ENOMEM, "read directory %s", prefix);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = write_one(w, dfd, names[i], prefix, depth);
		free(names[i]);
	}
	free(names);
	return r;
}

int layer_tar_dir(const char *dir, int out_fd, int64_t clamp_mtime, struct berr *e)
{
	return layer_tar_dir_excluding(dir, out_fd, clamp_mtime, NULL, e);
}

int layer_tar_dir_excluding(const char *dir, int out_fd, int64_t clamp_mtime,
			    const char *const *exclude, struct berr *e)
{
	struct tar_writer w = {.clamp = clamp_mtime, .exclude = exclude, .e = e};
	_cleanup_fd_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dfd < 0)
		return berr_set(e, errno, "open %s", dir);
	w.a = archive_write_new();
	if (!w.a)
		return berr_set(e, ENOMEM, "layer tar");
	if (archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(w.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w.a, out_fd) != ARCHIVE_OK) {
		r = berr_msg(e, EIO, "layer tar: %s", archive_error_string(w.a));
		archive_write_free(w.a);
		return r;
	}
	r = write_tree(&w, dfd, "", 0);
	if (archive_write_close(w.a) != ARCHIVE_OK && r == 0)
		r = berr_msg(e, EIO, "layer tar: %s", archive_error_string(w.a));
	archive_write_free(w.a);
	return r;
}
