/* mount_api.h - the new mount API's numbers (open_tree, move_mount,
 * fsopen/fsconfig/fsmount, mount_setattr) where musl's headers lack them
 * (internal to the sandbox). */
#ifndef BERTH_MOUNT_API_H
#define BERTH_MOUNT_API_H

#include <stdint.h>
#include <sys/syscall.h>

#ifndef SYS_fsopen
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#define MNT_API_FSOPEN_CLOEXEC 1
#define MNT_API_FSMOUNT_CLOEXEC 1
#define MNT_API_CMD_CREATE 6 /* FSCONFIG_CMD_CREATE */
#define MNT_API_ATTR_NOSUID 0x2
#define MNT_API_ATTR_NODEV 0x4
#define MNT_API_ATTR_NOEXEC 0x8
#define MNT_API_ATTR_IDMAP 0x00100000

/* struct mount_attr of mount_setattr(2). */
struct mnt_api_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#endif
