/* copy.c - trees into tar entries and tar entries into a directory, with
 * every path resolved inside a root (copy.h). */
#include "copy.h"

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
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/stat.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

/* Where an entry's data comes from: a file, or the tar being read. */
struct cpy_src {
	int fd;
	struct archive *a;
};

static ssize_t src_read(struct cpy_src *s, void *buf, size_t n)
{
	ssize_t r;

	if (s->a)
		return archive_read_data(s->a, buf, n);
	do
		r = read(s->fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

int cpy_open(int rootfd, const char *path, bool follow, int *fd, struct stat *st)
{
	*fd = open_in_root(rootfd, *path ? path : ".", O_PATH | (follow ? 0 : O_NOFOLLOW));
	if (*fd < 0)
		return -errno;
	if (fstat(*fd, st) < 0) {
		int r = -errno;
		close(*fd);
		*fd = -1;
		return r;
	}
	return 0;
}

/* ---------------------------------------------------------------- put */

/* A name from a tar: relative, no "..", "./" and trailing '/' dropped. */
static int clean_name(const char *in, char *out, size_t size, struct berr *e)
{
	const char *p = in;
	size_t n;

	if (*in == '/')
		return berr_msg(e, EINVAL, "refusing the absolute name %s in the archive", in);
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	for (const char *c = p; *c; c += strcspn(c, "/"), c += *c == '/') {
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
			return berr_msg(e, EINVAL, "refusing the name %s in the archive (..)", in);
	}
	n = snprintf(out, size, "%s", p);
	if (n >= size)
		return berr_msg(e, ENAMETOOLONG, "name too long in the archive: %.64s...", in);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

static int copy_data(struct cpy_src *s, int out, uint64_t *bytes, struct berr *e)
{
	char buf[65536];
	ssize_t n;

	while ((n = src_read(s, buf, sizeof(buf))) > 0) {
		if (write_all(out, buf, n) < 0)
			return berr_set(e, errno, "write");
		*bytes += n;
	}
	if (n < 0)
		return s->a ? berr_msg(e, EIO, "read the archive: %s", archive_error_string(s->a))
			    : berr_set(e, errno, "read");
	return 0;
}

/* Mode, owner and times through the fd of what was just made. */
static int set_meta(int fd, struct archive_entry *ent, bool keep_owner, struct berr *e)
{
	struct timespec t[2] = {{archive_entry_atime(ent), 0}, {archive_entry_mtime(ent), 0}};

	if (keep_owner && fchown(fd, archive_entry_uid(ent), archive_entry_gid(ent)) < 0)
		return berr_set(e, errno, "chown");
	if (fchmod(fd, archive_entry_mode(ent) & 07777) < 0)
		return berr_set(e, errno, "chmod");
	if (!archive_entry_atime_is_set(ent))
		t[0].tv_nsec = UTIME_OMIT;
	if (futimens(fd, t) < 0)
		return berr_set(e, errno, "set times");
	return 0;
}

static int put_dir(int pfd, const char *base, struct archive_entry *ent, bool keep_owner,
		   struct berr *e)
{
	_cleanup_fd_ int fd = -1;

	if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
		return berr_set(e, errno, "mkdir");
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berr_set(e, errno == ENOTDIR || errno == ELOOP ? ENOTDIR : errno,
				"cannot overwrite non-directory with directory");
	return set_meta(fd, ent, keep_owner, e);
}

static int put_file(int pfd, const char *base, struct archive_entry *ent, struct cpy_src *src,
		    struct cpy_sink *sink, struct berr *e)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_fd_ int fd = openat(pfd, base, flags, 0600);
	struct stat st;

	/* a symlink or special file in the way is replaced, as tar does */
	if (fd < 0 && (errno == ELOOP || errno == ENXIO || errno == ETXTBSY) &&
	    unlinkat(pfd, base, 0) == 0)
		fd = openat(pfd, base, flags, 0600);
	if (fd < 0)
		return berr_set(e, errno, "create");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return berr_msg(e, EINVAL, "not a regular file");
	if (copy_data(src, fd, &sink->bytes, e) < 0)
		return -e->code;
	return set_meta(fd, ent, sink->keep_owner, e);
}

static int put_link(int pfd, const char *base, struct archive_entry *ent, bool keep_owner,
		    struct berr *e)
{
	const char *target = archive_entry_symlink(ent);
	struct timespec t[2] = {{0, UTIME_OMIT}, {archive_entry_mtime(ent), 0}};

	if (!target)
		return berr_msg(e, EINVAL, "symlink without a target");
	if (symlinkat(target, pfd, base) < 0 &&
	    !(errno == EEXIST && unlinkat(pfd, base, 0) == 0 && symlinkat(target, pfd, base) == 0))
		return berr_set(e, errno, "symlink");
	if (keep_owner && fchownat(pfd, base, archive_entry_uid(ent), archive_entry_gid(ent),
				   AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(e, errno, "chown");
	if (utimensat(pfd, base, t, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(e, errno, "set times");
	return 0;
}

/* A hard link to a name put before (the archive's name for it). */
static int put_hardlink(struct cpy_sink *sink, int pfd, const char *base, const char *target,
			struct berr *e)
{
	char name[PATH_MAX], full[PATH_MAX];
	_cleanup_fd_ int fd = -1;

	if (clean_name(target, name, sizeof(name), e) < 0)
		return -e->code;
	snprintf(full, sizeof(full), "%s/%s", *sink->prefix ? sink->prefix : ".", name);
	fd = open_in_root(sink->rootfd, full, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return berr_set(e, errno, "link to %s", target);
	unlinkat(pfd, base, 0); /* whatever was there: replaced */
	if (linkat(fd, "", pfd, base, AT_EMPTY_PATH) < 0)
		return berr_set(e, errno, "link to %s", target);
	return 0;
}

/* The directory path (relative) under rootfd, made as needed (a tar
 * need not list the parents of its files), each step inside the root. */
static int dir_in_root(int rootfd, char *path)
{
	int fd = open_in_root(rootfd, *path ? path : ".", O_PATH | O_DIRECTORY);
	char *slash;
	int pfd;

	if (fd >= 0 || errno != ENOENT || !*path)
		return fd;
	slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	pfd = dir_in_root(rootfd, slash ? path : (char *)"");
	if (slash)
		*slash = '/';
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, slash ? slash + 1 : path, 0755) < 0 && errno != EEXIST) {
		close(pfd);
		return -1;
	}
	close(pfd);
	return open_in_root(rootfd, path, O_PATH | O_DIRECTORY);
}

/* One entry under sink's root; its data from src. */
static int put_entry(struct cpy_sink *sink, struct archive_entry *ent, struct cpy_src *src,
		     struct berr *e)
{
	char name[PATH_MAX], full[PATH_MAX + 512], *slash, *base;
	_cleanup_fd_ int pfd = -1;
	mode_t type = archive_entry_filetype(ent);
	int r = 0;

	if (clean_name(archive_entry_pathname(ent), name, sizeof(name), e) < 0)
		return -e->code;
	if (!*name || strcmp(name, ".") == 0)
		return 0; /* the top itself: the destination */
	snprintf(full, sizeof(full), "%s%s%s", sink->prefix, *sink->prefix ? "/" : "", name);
	slash = strrchr(full, '/');
	base = slash ? slash + 1 : full;
	if (slash)
		*slash = '\0';
	pfd = dir_in_root(sink->rootfd, slash ? full : (char *)"");
	if (pfd < 0)
		return berr_set(e, errno, "%s", name);
	if (archive_entry_hardlink(ent))
		r = put_hardlink(sink, pfd, base, archive_entry_hardlink(ent), e);
	else if (type == AE_IFDIR)
		r = put_dir(pfd, base, ent, sink->keep_owner, e);
	else if (type == AE_IFREG)
		r = put_file(pfd, base, ent, src, sink, e);
	else if (type == AE_IFLNK)
		r = put_link(pfd, base, ent, sink->keep_owner, e);
	else if (type == AE_IFIFO && mkfifoat(pfd, base, archive_entry_mode(ent) & 07777) < 0 &&
		 errno != EEXIST)
		r = berr_set(e, errno, "mkfifo");
	/* device nodes are not made: a container's /dev is its own */
	return r < 0 ? berr_wrap(e, "%s", name) : 0;
}

int cpy_untar(struct archive *a, struct cpy_sink *sink, struct berr *e)
{
	struct cpy_src src = {-1, a};
	struct archive_entry *ent;
	int r;

	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (put_entry(sink, ent, &src, e) < 0)
			return -e->code;
	}
	if (r != ARCHIVE_EOF)
		return berr_msg(e, EIO, "read the archive: %s", archive_error_string(a));
	return 0;
}

/* ---------------------------------------------------------------- walk */

/* The entry to the sink: a header (and data) into the tar, or put. */
static int emit(struct cpy_sink *sink, struct archive_entry *ent, int datafd, struct berr *e)
{
	struct cpy_src src = {datafd, NULL};

	if (!sink->tar)
		return put_entry(sink, ent, &src, e);
	if (archive_write_header(sink->tar, ent) != ARCHIVE_OK)
		return berr_msg(e, EIO, "write %s: %s", archive_entry_pathname(ent),
				archive_error_string(sink->tar));
	if (datafd >= 0 && archive_entry_size(ent) > 0) {
		char buf[65536];
		ssize_t n;

		while ((n = src_read(&src, buf, sizeof(buf))) > 0) {
			if (archive_write_data(sink->tar, buf, n) != n)
				return berr_msg(e, EIO, "write %s: %s", archive_entry_pathname(ent),
						archive_error_string(sink->tar));
			sink->bytes += n;
		}
		if (n < 0)
			return berr_set(e, errno, "read %s", archive_entry_pathname(ent));
	}
	return 0;
}

static struct archive_entry *entry_for(const char *name, const struct stat *st)
{
	struct archive_entry *ent = archive_entry_new();

	if (!ent)
		return NULL;
	archive_entry_copy_pathname(ent, name);
	archive_entry_copy_stat(ent, st);
	if (!S_ISREG(st->st_mode))
		archive_entry_set_size(ent, 0);
	return ent;
}

static int walk(int fd, const struct stat *st, const char *name, bool one_fs, struct cpy_sink *sink,
		struct berr *e);

/* A directory's children, each opened with O_NOFOLLOW below fd. */
static int walk_dir(int fd, const char *name, bool one_fs, struct cpy_sink *sink, struct berr *e)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		r = berr_set(e, errno, "open %s", *name ? name : ".");
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	while (r == 0 && (de = readdir(d))) {
		char child[PATH_MAX];
		_cleanup_fd_ int cfd = -1;
		struct stat cst;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s%s%s", name, *name ? "/" : "",
				     de->d_name) >= sizeof(child))
			r = berr_msg(e, ENAMETOOLONG, "%s: name too long", name);
		cfd = openat(dfd, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (r == 0 && (cfd < 0 || fstat(cfd, &cst) < 0))
			r = berr_set(e, errno, "%s", child);
		if (r == 0)
			r = walk(cfd, &cst, child, one_fs, sink, e);
	}
	closedir(d);
	return r;
}

/* fd is the root of a mount (a volume, /proc, a bound /etc/hosts): what
 * overlayfs's st_dev cannot tell for files. */
static bool mount_root(int fd)
{
	struct statx stx;

	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* The data of a regular file opened O_PATH. */
static int reopen(int fd)
{
	char self[64];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	return open(self, O_RDONLY | O_CLOEXEC); /* the inode fd holds, no path */
}

static int walk(int fd, const struct stat *st, const char *name, bool one_fs, struct cpy_sink *sink,
		struct berr *e)
{
	bool other_fs = one_fs && *name && mount_root(fd);
	struct archive_entry *ent = NULL;
	_cleanup_fd_ int data = -1;
	char target[PATH_MAX];
	ssize_t n;
	int r = 0;

	if (S_ISSOCK(st->st_mode))
		return 0;
	if (*name && !(ent = entry_for(name, st)))
		return berr_set(e, ENOMEM, "%s", name);
	if (S_ISLNK(st->st_mode)) {
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			r = berr_set(e, errno, "readlink %s", name);
		target[n < 0 ? 0 : n] = '\0';
		archive_entry_copy_symlink(ent, target);
	} else if (S_ISREG(st->st_mode) && !other_fs) {
		data = reopen(fd);
		if (data < 0)
			r = berr_set(e, errno, "open %s", name);
	} else if (S_ISREG(st->st_mode)) {
		archive_entry_set_size(ent, 0); /* a file bound from elsewhere */
	}
	if (r == 0 && ent)
		r = emit(sink, ent, data, e);
	archive_entry_free(ent);
	if (r == 0 && S_ISDIR(st->st_mode) && !other_fs)
		r = walk_dir(fd, name, one_fs, sink, e);
	return r;
}

int cpy_walk(int fd, const char *name, bool one_fs, struct cpy_sink *sink, struct berr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berr_set(e, errno, "stat");
	return walk(fd, &st, name, one_fs, sink, e);
}
