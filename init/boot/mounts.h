/* mounts.h - PID 1's early mounts and the move off the initramfs root. */
#ifndef BERTH_MOUNTS_H
#define BERTH_MOUNTS_H

#include <stdbool.h>

#include "runtime/lib/err.h"

/* Mount /proc, /sys, /dev, /dev/pts, /dev/shm, /run, /tmp and cgroup2 at
 * /sys/fs/cgroup. Problems are logged; returns -errno only when /proc or
 * /dev could not be mounted (boot cannot go on without them). */
BERR_MUST int mounts_early(struct berr *e);

/* Enable every available controller for children of the root cgroup.
 * Returns the number of controllers that could not be enabled. */
int mounts_cgroup_controllers(void);

/* True when / is the kernel's initial rootfs, from which pivot_root fails. */
bool root_is_initramfs(void);

/* Make a bind mount of the initramfs (a tmpfs) the root, with the early
 * mounts moved along, so the root mount has a parent and pivot_root works
 * in containers. No file is copied. */
BERR_MUST int root_move_to_tmpfs(struct berr *e);

#endif
