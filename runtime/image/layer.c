/* layer.c - safe layer extraction with libarchive; see layer.h. */
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
#include <zlib.h>

#include "layer_rules.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define IO_BUF 65536

/* The raw input: gunzipped here (not by libarchive) so the uncompressed
 * bytes can be hashed into the diff_id and teed. */
struct src {
	int fd, tee_fd;
	const struct layer_reader *rd; /* instead of fd when set */
	bool decided, gz, eof, zinit, failed, member_done, ended;
	z_stream z;
	unsigned char in[IO_BUF], out[IO_BUF];
	size_t pending; /* plain input read while sniffing, not yet returned */
	struct dg_ctx dg;
	uint64_t total;
	char err[128];
};

static ssize_t src_fill(struct src *s)
{
	ssize_t n;

	do
		n = s->rd ? s->rd->read(s->rd->ctx, s->in, sizeof(s->in))
			  : read(s->fd, s->in, sizeof(s->in));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(s->err, sizeof(s->err), "read: %s", strerror(errno));
		s->failed = true;
		return -1;
	}
	if (n == 0)
		s->eof = true;
	return n;
}

/* Produce the next chunk of uncompressed tar into s->out: its length,
 * 0 at the end, -1 on error. */
static ssize_t src_next(struct src *s)
{
	ssize_t n;

	if (!s->decided) {
		n = src_fill(s);
		if (n < 0)
			return -1;
		s->decided = true;
		s->gz = n >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;
		if (!s->gz) {
			memcpy(s->out, s->in, n);
			return n;
		}
		if (inflateInit2(&s->z, 15 + 32) != Z_OK) {
			snprintf(s->err, sizeof(s->err), "gzip: cannot initialise");
			s->failed = true;
			return -1;
		}
		s->zinit = true;
		s->z.next_in = s->in;
		s->z.avail_in = n;
	}
	if (!s->gz) {
		n = src_fill(s);
		if (n > 0)
			memcpy(s->out, s->in, n);
		return n;
	}
	for (;;) {
		int r;

		if (s->ended)
			return 0;
		if (s->z.avail_in == 0 && !s->eof) {
			n = src_fill(s);
			if (n < 0)
				return -1;
			s->z.next_in = s->in;
			s->z.avail_in = n;
		}
		if (s->member_done) {
			/* Another gzip member continues the stream; anything
			 * else after a complete member (padding) is ignored. */
			if (s->z.avail_in == 0 || s->z.next_in[0] != 0x1f) {
				s->ended = true;
				return 0;
			}
			inflateReset(&s->z);
			s->member_done = false;
		}
		if (s->z.avail_in == 0 && s->eof) {
			snprintf(s->err, sizeof(s->err), "gzip: unexpected end of data");
			s->failed = true;
			return -1;
		}
		s->z.next_out = s->out;
		s->z.avail_out = sizeof(s->out);
		r = inflate(&s->z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			s->member_done = true;
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			snprintf(s->err, sizeof(s->err), "gzip: %s",
				 s->z.msg ? s->z.msg : "corrupt data");
			s->failed = true;
			return -1;
		}
		n = sizeof(s->out) - s->z.avail_out;
		if (n > 0)
			return n;
	}
}

static ssize_t src_read_cb(struct archive *a, void *data, const void **buf)
{
	struct src *s = data;
	ssize_t n = src_next(s);

	(void)a;
	if (n < 0) {
		archive_set_error(a, EIO, "%s", s->err);
		return -1;
	}
	if (n > 0) {
		dg_update(&s->dg, s->out, n);
		s->total += n;
		if (s->tee_fd >= 0 && write_all(s->tee_fd, s->out, n) < 0) {
			snprintf(s->err, sizeof(s->err), "write copy: %s", strerror(errno));
			s->failed = true;
			archive_set_error(a, EIO, "%s", s->err);
			return -1;
		}
	}
	*buf = s->out;
	return n;
}

/* Hash what follows the tar's end marker, so diff_id covers every byte. */
static int src_drain(struct archive *a, struct src *s)
{
	const void *buf;
	ssize_t n;

	while ((n = src_read_cb(a, s, &buf)) > 0)
		;
	return n < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- walking */

/* Open the directory that holds the last component of `path` (clean,
 * relative to rootfd), creating missing directories when create is set,
 * never following a symlink. *base points into path. Returns an fd or
 * -errno. */
static int open_parent(int rootfd, const char *path, bool create, const char **base)
{
	char comp[NAME_MAX + 1];
	const char *p = path, *slash;
	int cur = dup(rootfd);

	if (cur < 0)
		return -errno;
	while ((slash = strchr(p, '/'))) {
		size_t n = slash - p;
		int next;

		if (n > NAME_MAX) {
			close(cur);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			/* A directory the archive implies but does not list:
			 * 0755 root, whatever the umask. */
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
				int r = -errno;
				close(cur);
				return r;
			}
			next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0)
				fchmod(next, 0755);
		}
		if (next < 0) {
			int r = errno == ELOOP ? -ENOTDIR : -errno;
			close(cur);
			return r;
		}
		close(cur);
		cur = next;
		p = slash + 1;
	}
	*base = p;
	return cur;
}

/* Open the directory `path` itself ("" = root) without following symlinks. */
static int open_dir(int rootfd, const char *path, bool create)
{
	_cleanup_fd_ int parent = -1;
	const char *base;
	int fd;

	if (!*path) {
		fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	parent = open_parent(rootfd, path, create, &base);
	if (parent < 0)
		return parent;
	if (create && mkdirat(parent, base, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	return fd;
}

/* Make room for a new entry named base: remove what this layer put there
 * before (a later entry wins, as in tar). Directories stay for directories. */
static int clear_slot(int dir, const char *base, bool want_dir)
{
	struct stat st;

	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 0;
		if (unlinkat(dir, base, AT_REMOVEDIR) < 0)
			return -errno;
		return 0;
	}
	if (unlinkat(dir, base, 0) < 0)
		return -errno;
	return 0;
}

/* budget (NULL: none) counts the entries left to remove; -EAGAIN once it
 * is spent. */
static int rmtree_at(int dirfd, const char *name, int *budget)
{
	int fd, r = 0;
	DIR *d;
	struct dirent *de;

	if (budget && (*budget)-- <= 0)
		return -EAGAIN;
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d)) && r != -EAGAIN) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int r2 = rmtree_at(fd, de->d_name, budget);
		if (r2 < 0 && (r == 0 || r2 == -EAGAIN))
			r = r2;
	}
	closedir(d);
	if (r != -EAGAIN && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int layer_rmtree(const char *path)
{
	return rmtree_at(AT_FDCWD, path, NULL);
}

int layer_rmtree_some(const char *path, int budget)
{
	return rmtree_at(AT_FDCWD, path, &budget);
}

void layer_rmtree_garbage(const char *path)
{
	berr_ignore(layer_rmtree(path)); /* swept later: see layer.h */
}

/* ---------------------------------------------------------------- entries */

struct dir_time {
	char *path;
	struct timespec mtime;
};

struct extract {
	int rootfd;
	unsigned flags;
	struct archive *a;
	struct dir_time *dirs;
	size_t ndirs, cap;
};

static int remember_dir(struct extract *x, const char *path, const struct timespec *mt)
{
	if (x->ndirs == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct dir_time *n = realloc(x->dirs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		x->dirs = n;
		x->cap = cap;
	}
	x->dirs[x->ndirs].path = strdup(path);
	if (!x->dirs[x->ndirs].path)
		return -ENOMEM;
	x->dirs[x->ndirs++].mtime = *mt;
	return 0;
}

/* A big file's data is handed to the disk every WB_BYTES as it is
 * written (write-behind): the caller's syncfs then finds little left. */
#define WB_BYTES (4 << 20)

static int copy_data(struct extract *x, int fd, la_int64_t *end, struct berr *e)
{
	const void *buf;
	size_t len;
	la_int64_t off, kicked = 0;
	int r;

	while ((r = archive_read_data_block(x->a, &buf, &len, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (len > 0) {
			ssize_t n = pwrite(fd, p, len, off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return berr_set(e, errno, "write");
			p += n;
			off += n;
			len -= n;
		}
		*end = off;
		if (!(x->flags & LAYER_LAZY) && off - kicked >= WB_BYTES) {
			sync_file_range(fd, kicked, off - kicked, SYNC_FILE_RANGE_WRITE);
			kicked = off;
		}
	}
	if (r != ARCHIVE_EOF)
		return berr_msg(e, EIO, "read: %s", archive_error_string(x->a));
	return 0;
}

static int set_owner_mode(struct extract *x, int dir, const char *base, int fd,
			  struct archive_entry *en, bool link)
{
	mode_t mode = archive_entry_perm(en) & 07777;

	if (x->flags & LAYER_PLAIN)
		mode &= 0777;
	else if (fd >= 0 ? fchown(fd, archive_entry_uid(en), archive_entry_gid(en))
			 : fchownat(dir, base, archive_entry_uid(en), archive_entry_gid(en),
				    AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (link)
		return 0;
	if (fd >= 0 ? fchmod(fd, mode) : fchmodat(dir, base, mode, 0))
		return -errno;
	return 0;
}

static void entry_mtime(struct archive_entry *en, struct timespec ts[2])
{
	ts[0].tv_sec = ts[1].tv_sec = archive_entry_mtime(en);
	ts[0].tv_nsec = ts[1].tv_nsec = archive_entry_mtime_nsec(en);
}

static int extract_whiteout(struct extract *x, const char *path, const char *base,
			    enum lr_whiteout wh, const char *hidden, struct berr *e)
{
	char dirpath[PATH_MAX];
	_cleanup_fd_ int dir = -1;
	int r;

	snprintf(dirpath, sizeof(dirpath), "%.*s", (int)(base - path ? base - path - 1 : 0), path);
	dir = open_dir(x->rootfd, dirpath, true);
	if (dir < 0)
		return berr_set(e, -dir, "open parent directory");
	if (wh == LR_WH_OPAQUE) {
		if (fsetxattr(dir, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return berr_set(e, errno, "set opaque xattr");
		return 0;
	}
	/* Whatever this layer put under that name goes (never followed). */
	r = rmtree_at(dir, hidden, NULL);
	if (r < 0)
		return berr_set(e, -r, "replace %s", hidden);
	if (mknodat(dir, hidden, S_IFCHR | 0, makedev(0, 0)) < 0)
		return berr_set(e, errno, "create whiteout");
	if (fchownat(dir, hidden, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(e, errno, "chown whiteout");
	return 0;
}

static int extract_entry(struct extract *x, struct archive_entry *en, struct berr *e)
{
	const char *name = archive_entry_pathname(en);
	const char *hl = archive_entry_hardlink(en);
	mode_t type = archive_entry_filetype(en);
	char path[PATH_MAX], target[PATH_MAX];
	_cleanup_fd_ int dir = -1;
	struct timespec ts[2];
	const char *base, *hidden = NULL;
	enum lr_whiteout wh = LR_WH_NONE;
	int r;

	if (!name || lr_clean_path(name, path, sizeof(path)) < 0)
		return berr_msg(e, EINVAL, "path is absolute or contains \"..\"");
	if (!*path) { /* the root itself: keep our own root's mode */
		return 0;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!(x->flags & LAYER_PLAIN)) {
		wh = lr_whiteout(base, &hidden);
		if (wh == LR_WH_INVALID)
			return berr_msg(e, EINVAL, "invalid whiteout name");
		if (wh != LR_WH_NONE)
			return extract_whiteout(x, path, base, wh, hidden, e);
	}
	entry_mtime(en, ts);
	dir = open_parent(x->rootfd, path, true, &base);
	if (dir < 0)
		return berr_set(e, -dir, "parent directory is not a directory inside the layer");

	if (hl) {
		_cleanup_fd_ int sdir = -1;
		const char *sbase;

		if (lr_clean_path(hl, target, sizeof(target)) < 0 || !*target)
			return berr_msg(e, EINVAL, "hard link target \"%s\" is outside the layer",
					hl);
		sdir = open_parent(x->rootfd, target, false, &sbase);
		if (sdir < 0)
			return berr_set(e, -sdir, "hard link target \"%s\"", hl);
		r = clear_slot(dir, base, false);
		if (r < 0)
			return berr_set(e, -r, "replace");
		if (linkat(sdir, sbase, dir, base, 0) < 0)
			return berr_set(e, errno, "hard link to \"%s\"", hl);
		return 0;
	}
	if ((x->flags & LAYER_PLAIN) && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return berr_msg(e, EINVAL, "only files, directories and symlinks are allowed here");

	switch (type) {
	case AE_IFDIR: {
		_cleanup_fd_ int fd = -1;

		r = clear_slot(dir, base, true);
		if (r < 0)
			return berr_set(e, -r, "replace");
		if (mkdirat(dir, base, 0700) < 0 && errno != EEXIST)
			return berr_set(e, errno, "mkdir");
		fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return berr_set(e, errno, "open directory");
		r = set_owner_mode(x, dir, base, fd, en, false);
		if (r < 0)
			return berr_set(e, -r, "set owner/mode");
		if (!(x->flags & LAYER_PLAIN) && remember_dir(x, path, &ts[1]) < 0)
			return berr_set(e, ENOMEM, "remember directory");
		return 0;
	}
	case AE_IFREG: {
		_cleanup_fd_ int fd = -1;
		la_int64_t end = 0;

		r = clear_slot(dir, base, false);
		if (r < 0)
			return berr_set(e, -r, "replace");
		fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return berr_set(e, errno, "create");
		r = copy_data(x, fd, &end, e);
		if (r < 0)
			return r;
		/* a hole at the end (sparse entries) gets its size; before the
		 * writeback starts: a truncate waits for the last page's I/O */
		if (end != archive_entry_size(en) && ftruncate(fd, archive_entry_size(en)) < 0)
			return berr_set(e, errno, "truncate");
		/* start the big files' writeback now: the caller's syncfs then
		 * waits less (small ones are left to it, batched) */
		if (!(x->flags & LAYER_LAZY) && archive_entry_size(en) >= (1 << 20))
			sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		r = set_owner_mode(x, dir, base, fd, en, false);
		if (r < 0)
			return berr_set(e, -r, "set owner/mode");
		if (!(x->flags & LAYER_PLAIN) && futimens(fd, ts) < 0)
			return berr_set(e, errno, "set times");
		return 0;
	}
	case AE_IFLNK: {
		const char *t = archive_entry_symlink(en);

		/* An image archive is read on the host: no absolute links. */
		if ((x->flags & LAYER_PLAIN) && t && t[0] == '/')
			return berr_msg(e, EINVAL, "absolute symlink \"%s\" in an image archive",
					t);
		if (lr_symlink_escapes(path, t))
			return berr_msg(e, EINVAL, "symlink target \"%s\" escapes the layer",
					t ? t : "");
		r = clear_slot(dir, base, false);
		if (r < 0)
			return berr_set(e, -r, "replace");
		if (symlinkat(t, dir, base) < 0)
			return berr_set(e, errno, "symlink");
		break;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		r = clear_slot(dir, base, false);
		if (r < 0)
			return berr_set(e, -r, "replace");
		if (mknodat(dir, base, type | 0600, archive_entry_rdev(en)) < 0)
			return berr_set(e, errno, "mknod");
		break;
	default:
		return berr_msg(e, EINVAL, "unsupported entry type 0%o", (unsigned)type);
	}
	r = set_owner_mode(x, dir, base, -1, en, type == AE_IFLNK);
	if (r < 0)
		return berr_set(e, -r, "set owner/mode");
	if (utimensat(dir, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(e, errno, "set times");
	return 0;
}

/* Directory mtimes last: creating their children changed them. */
static int restore_dir_times(struct extract *x, struct berr *e)
{
	for (size_t i = 0; i < x->ndirs; i++) {
		_cleanup_fd_ int fd = open_dir(x->rootfd, x->dirs[i].path, false);
		struct timespec ts[2] = {x->dirs[i].mtime, x->dirs[i].mtime};

		if (fd < 0)
			continue; /* replaced by a later entry */
		if (futimens(fd, ts) < 0)
			return berr_set(e, errno, "set times of %s", x->dirs[i].path);
	}
	return 0;
}

static int extract_all(struct extract *x, struct src *s, struct berr *e)
{
	struct archive_entry *en;
	int r;

	for (;;) {
		r = archive_read_next_header(x->a, &en);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN)
			r = ARCHIVE_OK;
		if (r != ARCHIVE_OK)
			return berr_msg(e, EIO, "read archive: %s",
					s->failed ? s->err : archive_error_string(x->a));
		r = extract_entry(x, en, e);
		if (r < 0)
			return berr_wrap(e, "entry \"%s\"", archive_entry_pathname(en));
	}
	if (src_drain(x->a, s) < 0)
		return berr_msg(e, EIO, "read archive: %s", s->err);
	return restore_dir_times(x, e);
}

static int extract(int fd, const struct layer_reader *rd, const char *dest, unsigned flags,
		   int tee_fd, char diffid[DG_STR_LEN], uint64_t *tar_size, struct berr *e)
{
	struct extract x = {.rootfd = -1, .flags = flags};
	struct src *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return berr_set(e, ENOMEM, "layer");
	s->fd = fd;
	s->rd = rd;
	s->tee_fd = tee_fd;
	dg_init(&s->dg);
	if (mkdir(dest, 0755) < 0) {
		free(s);
		return berr_set(e, errno, "mkdir %s", dest);
	}
	x.rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x.rootfd >= 0)
		fchmod(x.rootfd, 0755);
	x.a = archive_read_new();
	if (x.rootfd < 0 || !x.a) {
		r = berr_set(e, x.rootfd < 0 ? errno : ENOMEM, "open %s", dest);
		goto out;
	}
	archive_read_support_format_tar(x.a);
	if (archive_read_open(x.a, s, NULL, src_read_cb, NULL) != ARCHIVE_OK) {
		r = berr_msg(e, EIO, "read archive: %s",
			     s->failed ? s->err : archive_error_string(x.a));
		goto out;
	}
	r = extract_all(&x, s, e);
	if (r == 0) {
		dg_final(&s->dg, diffid);
		if (tar_size)
			*tar_size = s->total;
	}
out:
	if (x.a)
		archive_read_free(x.a);
	if (s->zinit)
		inflateEnd(&s->z);
	free(s);
	for (size_t i = 0; i < x.ndirs; i++)
		free(x.dirs[i].path);
	free(x.dirs);
	if (x.rootfd >= 0)
		close(x.rootfd);
	if (r < 0)
		layer_rmtree_garbage(dest);
	return r;
}

int layer_extract(int fd, const char *dest, unsigned flags, int tee_fd, char diffid[DG_STR_LEN],
		  uint64_t *tar_size, struct berr *e)
{
	return extract(fd, NULL, dest, flags, tee_fd, diffid, tar_size, e);
}

static int unpack(const char *layers_dir, int fd, const struct layer_reader *rd,
		  const char *expected, int tee_fd, char diffid[DG_STR_LEN], bool *created,
		  bool sync, unsigned flags, struct berr *e)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	struct stat st;
	static unsigned seq;
	int r;

	*created = false;
	if (mkdir_p(layers_dir, 0700) < 0)
		return berr_set(e, errno, "mkdir %s", layers_dir);
	if (expected) {
		snprintf(final, sizeof(final), "%s/%s", layers_dir, dg_hex(expected));
		if (lstat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(diffid, DG_STR_LEN, "%s", expected);
			return 0;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%d-%u", layers_dir, (int)getpid(),
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED)); /* a pull's unpack threads */
	r = extract(fd, rd, tmp, flags, tee_fd, diffid, NULL, e);
	if (r < 0)
		return r;
	if (expected && strcmp(expected, diffid) != 0) {
		layer_rmtree_garbage(tmp);
		return berr_msg(e, EINVAL, "layer content is %s, but the image config says %s",
				diffid, expected);
	}
	/* The files reach the disk before the name does: after a crash a
	 * layer is either whole or absent (a stray .tmp- is swept later). */
	if (sync) {
		_cleanup_fd_ int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			syncfs(fd);
	}
	snprintf(final, sizeof(final), "%s/%s", layers_dir, dg_hex(diffid));
	if (rename(tmp, final) < 0) {
		int err = errno;
		layer_rmtree_garbage(tmp);
		if (err == EEXIST || err == ENOTEMPTY)
			return 0; /* the same layer, unpacked by someone else */
		return berr_set(e, err, "rename layer into place");
	}
	*created = true;
	return 0;
}

int layer_unpack(const char *layers_dir, int fd, const char *expected, int tee_fd,
		 char diffid[DG_STR_LEN], bool *created, struct berr *e)
{
	return unpack(layers_dir, fd, NULL, expected, tee_fd, diffid, created, true, 0, e);
}

int layer_unpack_sync(const char *layers_dir, int fd, const char *expected, int tee_fd,
		      char diffid[DG_STR_LEN], bool *created, bool sync, struct berr *e)
{
	return unpack(layers_dir, fd, NULL, expected, tee_fd, diffid, created, sync, 0, e);
}

int layer_unpack_from(const char *layers_dir, const struct layer_reader *rd, const char *expected,
		      char diffid[DG_STR_LEN], struct berr *e)
{
	bool created;

	return unpack(layers_dir, -1, rd, expected, -1, diffid, &created, false, LAYER_LAZY, e);
}
