/* build_copy.c - COPY and ADD: the build context's files (globs,
 * .containerignore, --chown, --chmod, local tar archives for ADD) staged
 * in a fresh directory that becomes the step's layer, never reading
 * outside the context; see build_priv.h. */
#include "build_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "layer_rules.h"
#include "runtime/sandbox/passwd.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

/* ---------------------------------------------------------------- COPY/ADD */

struct copy {
	struct builder *b;
	struct dg_ctx dg;	/* what the sources held (the cache key) */
	uid_t uid;
	gid_t gid;
	int chmod;		/* -1: keep */
	int upperfd;
};

/* A directory upper_dir made: the image's metadata for it (known), else
 * root's with the build's time. 0, or -1 with errno. */
static int new_dir_meta(struct copy *c, int fd, const struct stat *known)
{
	struct timespec ts[2];

	if (known) {
		if (fchmod(fd, known->st_mode & 07777) < 0 ||
		    fchown(fd, known->st_uid, known->st_gid) < 0)
			return -1;
		ts[0] = ts[1] = known->st_mtim;
	} else {
		if (fchown(fd, 0, 0) < 0)
			return -1;
		ts[0].tv_sec = ts[1].tv_sec = c->b->now;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
	}
	return futimens(fd, ts);
}

/* Walk rel (clean, relative) under the upper dir, creating missing
 * directories with the image's metadata for them (or 0755 root), never
 * following a symlink. Returns an fd of the directory. */
static int upper_dir(struct copy *c, const char *rel, struct berr *e)
{
	char part[PATH_MAX], sofar[PATH_MAX] = "";
	const char *p = rel;
	int fd = dup(c->upperfd);

	while (fd >= 0 && *p) {
		size_t n = strcspn(p, "/");
		struct stat sb;
		int next;

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		snprintf(sofar + strlen(sofar), sizeof(sofar) - strlen(sofar), "%s%s",
			 *sofar ? "/" : "", part);
		p += n;
		while (*p == '/')
			p++;
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			bool known = image_lookup(c->b, sofar, &sb, NULL, 0);
			if (known && !S_ISDIR(sb.st_mode)) {
				close(fd);
				return berr_msg(e, ENOTDIR, "%s is not a directory in the image", sofar);
			}
			if (mkdirat(fd, part, 0755) < 0 && errno != EEXIST) {
				close(fd);
				return berr_set(e, errno, "create /%s", sofar);
			}
			next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0 && new_dir_meta(c, next, known ? &sb : NULL) < 0) {
				int err = errno;

				close(next);
				close(fd);
				return berr_set(e, err, "set owner and mode of /%s", sofar);
			}
		}
		close(fd);
		fd = next;
		if (fd < 0)
			return berr_set(e, errno, "open /%s (a symlink or a file is in the way)", sofar);
	}
	return fd < 0 ? berr_set(e, errno, "open upper dir") : fd;
}

static void hash_str(struct copy *c, const char *s)
{
	dg_update(&c->dg, s, strlen(s) + 1);
}

/* A copy's owner (--chown), mode (--chmod, else the source's) and time
 * (the source's). */
static int set_meta(struct copy *c, int fd, const struct stat *sb, const char *rel,
		    struct berr *e)
{
	struct timespec ts[2] = {sb->st_mtim, sb->st_mtim};
	mode_t mode = c->chmod >= 0 ? (mode_t)c->chmod : (sb->st_mode & 07777);

	if (fchown(fd, c->uid, c->gid) < 0 || fchmod(fd, mode) < 0 || futimens(fd, ts) < 0)
		return berr_set(e, errno, "set owner, mode and time of %s", rel);
	return 0;
}

static int copy_fd(struct copy *c, int src, const struct stat *sb, int dstdir, const char *name,
		   const char *rel, int depth, struct berr *e);

static bool reincludes_below(const struct bld_ignore *ig, const char *dir)
{
	size_t n = strlen(dir);

	for (size_t i = 0; i < ig->n; i++)
		if (ig->negate[i] && strncmp(ig->pat[i], dir, n) == 0 && ig->pat[i][n] == '/')
			return true;
	return false;
}

static int copy_child(struct copy *c, int srcdir, const char *name, int dstdir, const char *rel,
		      int depth, struct berr *e)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct stat sb;
	int fd, r;

	if (strcmp(rel, ".") == 0)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", rel, name);
	if (fstatat(srcdir, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(e, errno, "stat %s", path);
	/* .containerignore: skip it, unless a "!" pattern wants something
	 * below this directory back */
	if (bld_ignored(&c->b->ignore, path) &&
	    !(S_ISDIR(sb.st_mode) && reincludes_below(&c->b->ignore, path)))
		return 0;
	if (S_ISLNK(sb.st_mode)) {
		ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
		struct timespec ts[2] = {sb.st_mtim, sb.st_mtim};
		if (n < 0)
			return berr_set(e, errno, "readlink %s", path);
		target[n] = '\0';
		hash_str(c, path);
		hash_str(c, "l");
		hash_str(c, target);
		unlinkat(dstdir, name, 0);
		if (symlinkat(target, dstdir, name) < 0)
			return berr_set(e, errno, "symlink %s", path);
		if (fchownat(dstdir, name, c->uid, c->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(dstdir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return berr_set(e, errno, "set owner and time of %s", path);
		return 0;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
		return 0; /* devices, fifos, sockets: not copied */
	fd = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berr_set(e, errno, "open %s", path);
	r = copy_fd(c, fd, &sb, dstdir, name, path, depth, e);
	close(fd);
	return r;
}

static int copy_dir_contents(struct copy *c, int src, int dst, const char *rel, int depth,
			     struct berr *e)
{
	int fd = dup(src);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return berr_set(e, errno, "read %s", rel);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strv_push(&names, &n, strdup(de->d_name)) < 0) {
			strv_freev(names);
			closedir(d);
			return berr_set(e, ENOMEM, "copy");
		}
	}
	closedir(d);
	strv_sort(names, n);
	for (size_t i = 0; i < n && r == 0; i++)
		r = copy_child(c, src, names[i], dst, rel, depth + 1, e);
	strv_freev(names);
	return r;
}

/* Copy the open source (file or directory) to dstdir/name. */
static int copy_fd(struct copy *c, int src, const struct stat *sb, int dstdir, const char *name,
		   const char *rel, int depth, struct berr *e)
{
	char buf[65536], mode[32];
	int out, r = 0;

	if (depth > 128)
		return berr_msg(e, ELOOP, "%s: too deep", rel);
	snprintf(mode, sizeof(mode), "%o", sb->st_mode);
	hash_str(c, rel);
	hash_str(c, mode);
	if (S_ISDIR(sb->st_mode)) {
		if (mkdirat(dstdir, name, 0755) < 0 && errno != EEXIST)
			return berr_set(e, errno, "create %s", rel);
		out = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0)
			return berr_set(e, errno, "open %s", rel);
		r = copy_dir_contents(c, src, out, rel, depth, e);
		if (r == 0)
			r = set_meta(c, out, sb, rel, e);
		close(out);
		return r;
	}
	unlinkat(dstdir, name, 0);
	out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berr_set(e, errno, "create %s", rel);
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = berr_set(e, errno, "read %s", rel);
			break;
		}
		if (n == 0)
			break;
		dg_update(&c->dg, buf, n);
		if ((r = write_all(out, buf, n)) < 0) {
			r = berr_set(e, -r, "write %s", rel);
			break;
		}
	}
	if (r == 0)
		r = set_meta(c, out, sb, rel, e);
	close(out);
	return r;
}

static bool is_archive(int fd)
{
	unsigned char h[512];
	ssize_t n = pread(fd, h, sizeof(h), 0);

	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return true;
	return n == 512 && memcmp(h + 257, "ustar", 5) == 0;
}

/* ADD of a local tar archive: unpack it (layer rules: no escapes) into
 * the destination directory. */
static int add_archive(struct copy *c, int fd, const char *dest_rel, const char *src,
		       struct berr *e)
{
	char tmp[PATH_MAX], dg[DG_STR_LEN];
	_cleanup_fd_ int dst = -1, from = -1;
	DIR *d;
	struct dirent *de;
	int r;

	snprintf(tmp, sizeof(tmp), "%s/add-%d", c->b->tmp, ++c->b->seq);
	r = layer_extract(fd, tmp, 0, -1, dg, NULL, e);
	if (r < 0)
		return berr_wrap(e, "ADD %s", src);
	hash_str(c, src);
	hash_str(c, dg);
	dst = upper_dir(c, dest_rel, e);
	from = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0 || from < 0) {
		layer_rmtree_garbage(tmp);
		return dst < 0 ? dst : berr_set(e, errno, "open %s", tmp);
	}
	d = fdopendir(dup(from));
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (renameat(from, de->d_name, dst, de->d_name) < 0) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", tmp, de->d_name);
			r = berr_set(e, errno, "ADD %s: move %s", src, de->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	layer_rmtree_garbage(tmp);
	return r;
}

/* Resolve --chown with the image's /etc/passwd and /etc/group. */
static int resolve_chown(struct copy *c, const char *spec, struct berr *e)
{
	char passwd[PATH_MAX] = "/nonexistent", group[PATH_MAX] = "/nonexistent";
	struct pw_ids ids;
	int r;

	c->uid = c->gid = 0;
	if (!spec)
		return 0;
	image_lookup(c->b, "etc/passwd", NULL, passwd, sizeof(passwd));
	image_lookup(c->b, "etc/group", NULL, group, sizeof(group));
	r = pw_resolve(passwd, group, spec, &ids, e);
	if (r < 0)
		return berr_wrap(e, "--chown=%s", spec);
	c->uid = ids.uid;
	c->gid = ids.gid;
	/* "user" alone: Docker takes the gid from the user's passwd entry */
	return 0;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The sources a COPY argument names: itself, or the glob's matches in
 * its directory (sorted). */
static int expand_sources(struct builder *b, const char *clean, char ***out, size_t *n,
			  struct berr *e)
{
	const char *slash = strrchr(clean, '/');
	char dir[PATH_MAX], **v = NULL;
	int fd;
	DIR *d;
	struct dirent *de;

	*n = 0;
	if (!has_glob(clean)) {
		if (strcmp(clean, ".") && bld_ignored(&b->ignore, clean))
			return berr_msg(e, ENOENT, "file not found in build context or excluded by "
					"%s: %s", b->ignore_name, clean);
		v = calloc(2, sizeof(char *));
		if (!v || !(v[0] = strdup(clean))) {
			free(v);
			return berr_set(e, ENOMEM, "copy");
		}
		*out = v;
		*n = 1;
		return 0;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - clean) : 1, slash ? clean : ".");
	if (has_glob(dir))
		return berr_msg(e, EINVAL, "%s: wildcards are supported in the last path element only", clean);
	fd = open_beneath(b->ctxfd, dir, O_RDONLY | O_DIRECTORY);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return berr_set(e, errno, "%s", clean);
	}
	while ((de = readdir(d))) {
		char *p;
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		if (fnmatch(slash ? slash + 1 : clean, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (asprintf(&p, "%s%s%s", slash ? dir : "", slash ? "/" : "", de->d_name) < 0)
			p = NULL;
		if (p && bld_ignored(&b->ignore, p)) {
			free(p);
			continue;
		}
		if (strv_push(&v, n, p) < 0) {
			strv_freev(v);
			closedir(d);
			return berr_set(e, ENOMEM, "copy");
		}
	}
	closedir(d);
	if (*n == 0) {
		free(v);
		return berr_msg(e, ENOENT, "no source files were specified (%s matched nothing)", clean);
	}
	strv_sort(v, *n);
	*out = v;
	return 0;
}

/* Stage the sources into upper (a fresh dir); *files gets the digest of
 * what they held. */
static int stage_copy(struct builder *b, const char *upper, char **words, size_t nwords,
		      const char *chown, const char *chmod_s, char files[DG_STR_LEN],
		      const char **kind)
{
	const struct cf_inst *in = b->in;
	const char *kw = in->kind == CF_ADD ? "ADD" : "COPY";
	const char *dest = words[nwords - 1];
	char dest_abs[PATH_MAX], dest_rel[PATH_MAX];
	struct copy c = {.b = b, .chmod = -1};
	struct stat dsb;
	bool dest_dir, dest_slash;
	size_t total = 0;
	int r = 0;

	dg_init(&c.dg);
	if (chmod_s) {
		char *end;
		long m = strtol(chmod_s, &end, 8);
		if (!*chmod_s || *end || m < 0 || m > 07777)
			return step_err(b, berr_msg(b->e, EINVAL, "%s: invalid --chmod \"%s\"", kw, chmod_s));
		c.chmod = (int)m;
	}
	if (resolve_chown(&c, chown, b->e) < 0)
		return step_err(b, -b->e->code);
	if (dest[0] == '/') {
		snprintf(dest_abs, sizeof(dest_abs), "%s", dest);
	} else {
		const char *wd = json_string_value(json_object_get(cfg_config(b), "WorkingDir"));
		snprintf(dest_abs, sizeof(dest_abs), "%s/%s", wd && *wd ? wd : "", dest);
	}
	dest_slash = dest_abs[strlen(dest_abs) - 1] == '/' ||
		     (strlen(dest) >= 2 && !strcmp(dest + strlen(dest) - 2, "/.")) || !strcmp(dest, ".");
	if (lr_clean_path(dest_abs + strspn(dest_abs, "/"), dest_rel, sizeof(dest_rel)) < 0)
		return step_err(b, berr_msg(b->e, EINVAL, "%s: invalid destination \"%s\"", kw, dest));
	dest_dir = dest_slash || !*dest_rel ||
		   (image_lookup(b, dest_rel, &dsb, NULL, 0) && S_ISDIR(dsb.st_mode));
	c.upperfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.upperfd < 0)
		return berr_set(b->e, errno, "open %s", upper);
	for (size_t i = 0; i + 1 < nwords && r == 0; i++) {
		const char *src = words[i];
		char clean[PATH_MAX];
		char **list = NULL;
		size_t n = 0;

		if (strstr(src, "://")) {
			r = step_err(b, berr_msg(b->e, EINVAL, "%s %s: URLs are not supported (only files of the build context)", kw, src));
			break;
		}
		if (lr_clean_path(src + strspn(src, "/"), clean, sizeof(clean)) < 0) {
			r = step_err(b, berr_msg(b->e, EPERM, "%s failed: forbidden path outside the build context: %s", kw, src));
			break;
		}
		if (!*clean)
			strcpy(clean, ".");
		r = expand_sources(b, clean, &list, &n, b->e);
		if (r < 0) {
			r = step_err(b, berr_wrap(b->e, "%s failed", kw));
			break;
		}
		total += n;
		if (total > 1 && !dest_slash) {
			strv_freev(list);
			r = step_err(b, berr_msg(b->e, EINVAL, "When using %s with more than one source file, the destination must be a directory and end with a /", kw));
			break;
		}
		for (size_t k = 0; k < n && r == 0; k++) {
			struct stat sb;
			int fd = open_beneath(b->ctxfd, list[k], O_PATH);
			int dst = -1;
			const char *base;
			char parent[PATH_MAX];

			if (fd < 0) {
				if (errno == EXDEV || errno == ELOOP)
					r = berr_msg(b->e, EPERM, "%s failed: forbidden path outside the build context: %s (a symlink leads out of it)", kw, list[k]);
				else
					r = berr_set(b->e, errno, "%s failed: stat %s", kw, list[k]);
				r = step_err(b, r);
				break;
			}
			if (fstat(fd, &sb) < 0) {
				r = step_err(b, berr_set(b->e, errno, "stat %s", list[k]));
				close(fd);
				break;
			}
			close(fd);
			if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
				r = step_err(b, berr_msg(b->e, EINVAL, "%s %s: not a file or directory", kw, list[k]));
				break;
			}
			fd = open_beneath(b->ctxfd, list[k], O_RDONLY | (S_ISDIR(sb.st_mode) ? O_DIRECTORY : 0));
			if (fd < 0) {
				r = step_err(b, berr_set(b->e, errno, "%s failed: open %s", kw, list[k]));
				break;
			}
			*kind = n > 1 || total > 1 ? "multi" : S_ISDIR(sb.st_mode) ? "dir" : "file";
			if (S_ISDIR(sb.st_mode)) {
				dst = upper_dir(&c, dest_rel, b->e);
				if (dst >= 0) {
					hash_str(&c, "D");
					r = copy_dir_contents(&c, fd, dst, list[k], 0, b->e);
					if (r == 0 && *dest_rel &&
					    !image_lookup(b, dest_rel, NULL, NULL, 0))
						r = set_meta(&c, dst, &sb, dest_rel, b->e);
				} else {
					r = dst;
				}
			} else if (in->kind == CF_ADD && is_archive(fd)) {
				r = add_archive(&c, fd, dest_rel, list[k], b->e);
			} else {
				char rel[PATH_MAX];
				base = strrchr(list[k], '/');
				base = base ? base + 1 : list[k];
				if (dest_dir) {
					snprintf(rel, sizeof(rel), "%s%s%s", dest_rel, *dest_rel ? "/" : "", base);
				} else {
					snprintf(rel, sizeof(rel), "%s", dest_rel);
				}
				snprintf(parent, sizeof(parent), "%s", rel);
				{
					char *sl = strrchr(parent, '/');
					base = sl ? sl + 1 : rel;
					if (sl)
						*sl = '\0';
					else
						parent[0] = '\0';
				}
				dst = upper_dir(&c, parent, b->e);
				if (dst >= 0)
					r = copy_fd(&c, fd, &sb, dst, base, list[k], 0, b->e);
				else
					r = dst;
			}
			if (dst >= 0)
				close(dst);
			close(fd);
			if (r < 0)
				r = step_err(b, b->e->code ? -b->e->code : r);
		}
		strv_freev(list);
	}
	close(c.upperfd);
	dg_final(&c.dg, files);
	return r;
}

int step_copy(struct builder *b, const char *upper, char **created_by, char files[DG_STR_LEN])
{
	const struct cf_inst *in = b->in;
	char **words = calloc(in->nargs + 1, sizeof(char *));
	char *chown = NULL, *chmod_s = NULL, opts[512] = "";
	const char *kind = "file";
	int r = 0;

	if (!words)
		return berr_set(b->e, ENOMEM, "build");
	for (size_t i = 0; i < in->nargs && r == 0; i++)
		r = expand(b, in->args[i], &words[i]);
	for (size_t i = 0; i < in->nflags && r == 0; i++) {
		char **dst = !strcmp(in->flags[i].name, "chown") ? &chown : &chmod_s;
		free(*dst);
		r = expand(b, in->flags[i].value, dst);
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), "--%s=%s ",
			 in->flags[i].name, *dst ? *dst : "");
	}
	if (r == 0)
		r = stage_copy(b, upper, words, in->nargs, chown, chmod_s, files, &kind);
	if (r == 0 && asprintf(created_by, NOP "%s %s%s:%s in %s ", in->kind == CF_ADD ? "ADD" : "COPY",
			       opts, kind, dg_hex(files), words[in->nargs - 1]) < 0)
		r = berr_set(b->e, ENOMEM, "build");
	strv_freev(words);
	free(chown);
	free(chmod_s);
	return r;
}
