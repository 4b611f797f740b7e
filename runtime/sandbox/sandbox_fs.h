/* sandbox_fs.h - the container's mount namespace, built by the child of
 * sb_start() (internal to the sandbox).
 *
 * Host paths (overlay layers, volume sources, supervisor files) are used
 * only before pivot_root: volume sources and the supervisor's files are
 * cloned there and attached after the pivot, so
 * every target is resolved inside the container's root, where a symlink in
 * the image cannot point at the host. Sources are detached clones
 * (open_tree) made before the pivot and attached after it (move_mount).
 */
#ifndef BERTH_SANDBOX_FS_H
#define BERTH_SANDBOX_FS_H

#include "runtime/lib/err.h"
#include "sandbox.h"

#define SBFS_MAX_MOUNTS 64

#define SBFS_DEV_NODES 6

struct sbfs_state {
	int vol_fd[SBFS_MAX_MOUNTS];
	int fs_fd[SBFS_MAX_MOUNTS];	/* spec->fsmounts' bind sources (and, in a user
					 * namespace, proc and sysfs), -1 for the others */
	int hosts_fd, resolv_fd, hostname_fd, console_fd;
	/* In a user namespace (spec->nuid_map > 0), where mknod is refused and
	 * proc and sysfs must be mounted while the host's are still visible:
	 * the host's device nodes (the defaults, then spec->devices) and new
	 * proc and sysfs mounts, made before the pivot. */
	bool userns;
	int dev_fd[SBFS_DEV_NODES + SBFS_MAX_MOUNTS];
	int proc_fd, sys_fd;
	const int *idmap_fds;	/* set by the caller: uns_idmap_lowers' fds, or NULL */
};

/* The default device nodes of /dev. */
struct sbfs_dev_node {
	const char *name;
	unsigned major, minor;
};
extern const struct sbfs_dev_node sbfs_dev_nodes[SBFS_DEV_NODES];

/* In a user namespace, before the pivot (userns_fs.c): the idmapped
 * layers attached, the host's device nodes cloned, proc and sysfs made
 * (sysfs: a read-only clone of the host's when the network namespace is
 * not the container's own). Fills st's userns fields. */
BERR_MUST int sbfs_userns_open(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e);

/* Private propagation, the overlay (or a bind of spec->rootfs onto itself),
 * O_PATH fds of the sources; then pivot_root into it. */
BERR_MUST int sbfs_enter_root(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e);

/* After the pivot: /proc, /dev, /sys (or spec->fsmounts in order, then
 * the default device nodes and spec->devices), sysctls, volumes, supervisor files, masked
 * and read-only paths, read-only root. */
BERR_MUST int sbfs_setup(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e);

#endif
