/* userns_fs.c - what a container in a user namespace needs from the host
 * before its pivot (sandbox_fs.h: sbfs_userns_open).
 *
 * Inside a user namespace mknod is refused and the kernel lets proc and
 * sysfs be mounted only where an unmasked instance is visible in the same
 * mount namespace ("mount too revealing"), which after the pivot is no
 * longer so. So, as runc does, device nodes are bind mounts of the host's
 * and proc and sysfs are made with fsmount() while the host's are still
 * there, then attached after the pivot.
 */
#include "sandbox_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mount_api.h"
#include "userns.h"

/* A new, detached mount of type (proc, sysfs): 0 with *fd, or -errno. */
static int fs_new(const char *type, unsigned attrs, int *fd)
{
	int fs = syscall(SYS_fsopen, type, MNT_API_FSOPEN_CLOEXEC);
	int err;

	if (fs < 0)
		return -errno;
	if (syscall(SYS_fsconfig, fs, MNT_API_CMD_CREATE, NULL, NULL, 0) < 0) {
		err = errno;
		close(fs);
		return -err;
	}
	*fd = syscall(SYS_fsmount, fs, MNT_API_FSMOUNT_CLOEXEC, attrs);
	err = errno;
	close(fs);
	return *fd < 0 ? -err : 0;
}

static int clone_tree(const char *path, bool recursive, int *fd)
{
	*fd = syscall(SYS_open_tree, AT_FDCWD, path,
		      OPEN_TREE_CLONE | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	return *fd < 0 ? -errno : 0;
}

/* sysfs belongs to the network namespace: one that is not the
 * container's own (joined) refuses it; then the host's, read-only. */
static int make_sys(int *fd, struct berr *e)
{
	const unsigned attrs = MNT_API_ATTR_NOSUID | MNT_API_ATTR_NODEV | MNT_API_ATTR_NOEXEC;
	int r = fs_new("sysfs", attrs, fd);

	if (r == -EPERM)
		r = clone_tree("/sys", true, fd);
	return r < 0 ? berr_set(e, -r, "make sysfs in the user namespace") : 0;
}

static int make_proc(int *fd, struct berr *e)
{
	int r = fs_new("proc", MNT_API_ATTR_NOSUID | MNT_API_ATTR_NODEV | MNT_API_ATTR_NOEXEC, fd);

	return r < 0 ? berr_set(e, -r, "make proc in the user namespace") : 0;
}

static int open_devices(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	char path[64];
	int r;

	if (spec->ndevices > SBFS_MAX_MOUNTS)
		return berr_msg(e, E2BIG, "more than %d devices", SBFS_MAX_MOUNTS);
	for (int i = 0; i < SBFS_DEV_NODES; i++) {
		snprintf(path, sizeof(path), "/dev/%s", sbfs_dev_nodes[i].name);
		r = clone_tree(path, false, &st->dev_fd[i]);
		if (r < 0)
			return berr_set(e, -r, "clone the host's %s", path);
	}
	for (int i = 0; i < spec->ndevices; i++) {
		r = clone_tree(spec->devices[i].path, false, &st->dev_fd[SBFS_DEV_NODES + i]);
		if (r < 0)
			return berr_set(
			    e, -r, "device %s: a user namespace binds the host's, and it has none",
			    spec->devices[i].path);
	}
	return 0;
}

int sbfs_userns_open(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	int r = st->idmap_fds ? uns_attach_lowers(spec, st->idmap_fds, e) : 0;

	if (r == 0)
		r = open_devices(spec, st, e);
	if (r < 0)
		return r;
	if (!spec->fsmounts) {
		r = make_proc(&st->proc_fd, e);
		return r == 0 ? make_sys(&st->sys_fd, e) : r;
	}
	for (int i = 0; r == 0 && i < spec->nfsmounts; i++) {
		const char *type = spec->fsmounts[i].type;

		if ((spec->fsmounts[i].flags & MS_BIND) || !type)
			continue;
		if (strcmp(type, "proc") == 0)
			r = make_proc(&st->fs_fd[i], e);
		else if (strcmp(type, "sysfs") == 0)
			r = make_sys(&st->fs_fd[i], e);
	}
	return r;
}
