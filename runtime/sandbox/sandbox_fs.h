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

struct sbfs_state {
	int vol_fd[SBFS_MAX_MOUNTS];
	int fs_fd[SBFS_MAX_MOUNTS];	/* spec->fsmounts' bind sources, -1 for the others */
	int hosts_fd, resolv_fd, hostname_fd, console_fd;
};

/* Private propagation, the overlay (or a bind of spec->rootfs onto itself),
 * O_PATH fds of the sources; then pivot_root into it. */
BERR_MUST int sbfs_enter_root(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e);

/* After the pivot: /proc, /dev, /sys (or spec->fsmounts in order, then
 * the default device nodes and spec->devices), sysctls, volumes, supervisor files, masked
 * and read-only paths, read-only root. */
BERR_MUST int sbfs_setup(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e);

#endif
