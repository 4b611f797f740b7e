/* layer_remap.c - remapped copies of layers; see layer_remap.h. */
#include "layer_remap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/userns.h"

static int move_owner(const struct layer_maps *m, const struct stat *st, uid_t *uid, gid_t *gid)
{
	uint32_t u, g;

	if (!uns_map_host(m->uid, m->nuid, st->st_uid, &u) ||
	    !uns_map_host(m->gid, m->ngid, st->st_gid, &g))
		return -EOVERFLOW;
	*uid = u;
	*gid = g;
	return 0;
}

static int copy_xattrs(int from, int to)
{
	char names[4096], value[4096];
	ssize_t n = flistxattr(from, names, sizeof(names));

	for (char *k = names; n > 0 && k < names + n; k += strlen(k) + 1) {
		ssize_t len = fgetxattr(from, k, value, sizeof(value));

		if (len >= 0 && fsetxattr(to, k, value, len, 0) < 0)
			return -errno;
	}
	return n < 0 && errno != ENOTSUP ? -errno : 0;
}

static int copy_data(int from, int to)
{
	char buf[65536];
	ssize_t n;

	while ((n = copy_file_range(from, NULL, to, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	while ((n = read(from, buf, sizeof(buf))) > 0) {
		if (write_all(to, buf, n) < 0)
			return -errno;
	}
	return n < 0 ? -errno : 0;
}

/* Owner (moved), mode, xattrs of fd from sfd's; chown first: it clears
 * set-id bits. */
static int set_meta(int sfd, int dfd, const struct stat *st, const struct layer_maps *m)
{
	uid_t uid;
	gid_t gid;
	int r = move_owner(m, st, &uid, &gid);

	if (r == 0 && fchown(dfd, uid, gid) < 0)
		r = -errno;
	if (r == 0 && fchmod(dfd, st->st_mode & 07777) < 0)
		r = -errno;
	if (r == 0)
		r = copy_xattrs(sfd, dfd);
	if (r == 0 && futimens(dfd, (struct timespec[2]){st->st_atim, st->st_mtim}) < 0)
		r = -errno;
	return r;
}

static int copy_tree(int sdir, int ddir, const struct layer_maps *m);

static int copy_one(int sdir, int ddir, const char *name, const struct stat *st,
		    const struct layer_maps *m)
{
	_cleanup_fd_ int s = -1, d = -1;
	char target[4096];
	uid_t uid;
	gid_t gid;
	ssize_t n;
	int r;

	if (S_ISDIR(st->st_mode)) {
		if (mkdirat(ddir, name, 0700) < 0)
			return -errno;
		s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return -errno;
		r = copy_tree(s, d, m);
		return r < 0 ? r : set_meta(s, d, st, m);
	}
	if (S_ISREG(st->st_mode)) {
		s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s < 0 || d < 0)
			return -errno;
		r = copy_data(s, d);
		return r < 0 ? r : set_meta(s, d, st, m);
	}
	if (S_ISLNK(st->st_mode)) {
		n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return -errno;
	} else if (mknodat(ddir, name, st->st_mode, st->st_rdev) < 0) {
		return -errno; /* devices (whiteouts), fifos, sockets */
	}
	r = move_owner(m, st, &uid, &gid);
	if (r == 0 && fchownat(ddir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	if (r == 0 && !S_ISLNK(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
		r = -errno;
	if (r == 0 && utimensat(ddir, name, (struct timespec[2]){st->st_atim, st->st_mtim},
				AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	return r;
}

static int copy_tree(int sdir, int ddir, const struct layer_maps *m)
{
	int fd = dup(sdir), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		else
			r = copy_one(sdir, ddir, de->d_name, &st, m);
	}
	closedir(d);
	return r;
}

static int make_copy(const char *src, const char *tmp, const char *dst, const struct layer_maps *m,
		     struct berr *e)
{
	_cleanup_fd_ int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC), d = -1;
	struct stat st;
	int r;

	if (s < 0 || fstat(s, &st) < 0)
		return berr_set(e, errno, "open layer %s", src);
	if (mkdir(tmp, 0700) < 0)
		return berr_set(e, errno, "create %s", tmp);
	d = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = d < 0 ? -errno : copy_tree(s, d, m);
	if (r == 0)
		r = set_meta(s, d, &st, m);
	if (r == 0 && syncfs(d) < 0) /* whole before it has its name */
		r = -errno;
	if (r == 0 && rename(tmp, dst) < 0)
		r = errno == ENOTEMPTY || errno == EEXIST ? 0 : -errno; /* made meanwhile */
	if (r == 0)
		r = fsync_parent(dst);
	if (r < 0) {
		layer_rmtree_garbage(tmp);
		return berr_set(e, -r, "remapped copy of layer %s", src);
	}
	layer_rmtree_garbage(tmp); /* left when another made it first */
	return 0;
}

int layer_remap(const char *root, const char *src, const struct layer_maps *m, char *out,
		size_t size, struct berr *e)
{
	const char *base = strrchr(src, '/');
	char dir[4096], tmp[4200];
	uint32_t u, g;
	int r;

	if (!base || !base[1] || !uns_map_host(m->uid, m->nuid, 0, &u) ||
	    !uns_map_host(m->gid, m->ngid, 0, &g))
		return berr_msg(e, EINVAL, "remapped copy of layer %s: bad layer or map", src);
	snprintf(dir, sizeof(dir), "%s/var/lib/berth/remap/%u.%u", root, u, g);
	snprintf(out, size, "%s%s", dir, base);
	if (access(out, F_OK) == 0)
		return 0;
	r = mkdir_p(dir, 0711);
	if (r < 0)
		return berr_set(e, -r, "create %s", dir);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-%d", dir, base + 1, (int)getpid());
	return make_copy(src, tmp, out, m, e);
}

/* Whether the layer named name is still in the store (rw or baked). */
static bool layer_present(const char *layers, const char *ro_base, const char *name)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/%s", layers, name);
	if (access(p, F_OK) == 0)
		return true;
	snprintf(p, sizeof(p), "%s/layers/%s", ro_base, name);
	return ro_base[0] && access(p, F_OK) == 0;
}

/* A copy left by a CLI that is gone (".tmp-LAYER-PID"), or of a layer no
 * longer in the store. */
static bool copy_stale(const char *layers, const char *ro_base, const char *name)
{
	const char *dash = strrchr(name, '-');

	if (strncmp(name, ".tmp-", 5) == 0)
		return dash && kill(atoi(dash + 1), 0) < 0 && errno == ESRCH;
	return name[0] != '.' && !layer_present(layers, ro_base, name);
}

static void sweep_dir(const char *dir, const char *layers, const char *ro_base)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char p[4200], t[4300];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !copy_stale(layers, ro_base, de->d_name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		/* out of sight of `run` at once; a crash leaves a .rm- */
		snprintf(t, sizeof(t), "%s/.rm-%d-%s", dir, (int)getpid(), de->d_name);
		if (de->d_name[0] == '.' || rename(p, t) == 0)
			layer_rmtree_garbage(de->d_name[0] == '.' ? p : t);
	}
	if (d)
		closedir(d);
}

void layer_remap_sweep(const char *base, const char *layers, const char *ro_base)
{
	char top[4200];
	DIR *d;
	struct dirent *de;

	snprintf(top, sizeof(top), "%s/remap", base);
	d = opendir(top);
	while (d && (de = readdir(d))) {
		char dir[4400];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", top, de->d_name);
		sweep_dir(dir, layers, ro_base);
	}
	if (d)
		closedir(d);
}
