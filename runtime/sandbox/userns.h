/* userns.h - a container's user namespace: id maps, their text form, the
 * parent's and the child's parts of the start, and idmapped mounts.
 *
 * Ordering (sb_start): the child is cloned with CLONE_NEWUSER together
 * with its other namespaces, so they belong to the new user namespace.
 * It waits on the sync socket; the parent writes /proc/CHILD/uid_map and
 * gid_map (it is root in the initial namespace, so setgroups stays
 * allowed and no "deny" is needed), hands the container's cgroup to the
 * mapped root (the directory and cgroup.procs, cgroup.threads,
 * cgroup.subtree_control, as runc delegates: the limits stay root's),
 * makes idmapped clones of the lower layers when asked, and sends the go
 * byte with those fds (SCM_RIGHTS). The child then takes uid and gid 0
 * of its namespace (fsuid must be mapped before it creates a file) and
 * mounts the idmapped layers over the layer paths in its own mount
 * namespace, so the overlay's lowerdir string is unchanged.
 */
#ifndef BERTH_USERNS_H
#define BERTH_USERNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lib/err.h"
#include "sandbox.h"

/* The kernel takes 340 lines; containers use one or a few. */
#define UNS_MAP_MAX 16
#define UNS_MAP_TEXT 32 /* "4294967295:4294967295:4294967295" + NUL */
/* Layers an idmapped start passes to its child (SCM_RIGHTS takes 253). */
#define UNS_FDS_MAX 128

/* Check a map: 1..UNS_MAP_MAX entries, counts > 0, no range past 2^32-1,
 * no two ranges overlapping inside or outside. what names it ("uid map",
 * "linux.uidMappings") in the error. */
BERR_MUST int uns_map_check(const struct sb_idmap *m, int n, const char *what, struct berr *e);

/* "INSIDE:OUTSIDE:COUNT" (podman's --uidmap, and how config.json stores
 * it) into *m; -EINVAL with the reason otherwise. */
BERR_MUST int uns_map_parse(const char *text, struct sb_idmap *m, struct berr *e);
void uns_map_format(const struct sb_idmap *m, char out[UNS_MAP_TEXT]);

/* The host id of id inside; false when it is not mapped. */
bool uns_map_host(const struct sb_idmap *m, int n, uint32_t id, uint32_t *host);

/* Parent, after the clone: write the child's maps. */
BERR_MUST int uns_write_maps(pid_t child, const struct sb_spec *spec, struct berr *e);

/* Parent, before the clone: the overlay's upper and work directories to
 * the mapped root when they are root's (the overlay writes them with the
 * mounter's credentials). */
BERR_MUST int uns_own_dirs(const struct sb_spec *spec, struct berr *e);

/* Parent: hand the cgroup directory at path to the mapped root. */
BERR_MUST int uns_delegate_cgroup(const char *path, const struct sb_spec *spec, struct berr *e);

/* Parent: idmapped clones (open_tree + mount_setattr MOUNT_ATTR_IDMAP with
 * the child's user namespace) of the spec's lower layers into fds[]. */
BERR_MUST int uns_idmap_lowers(pid_t child, const struct sb_spec *spec, int *fds, struct berr *e);

/* Parent, while the child waits: uns_write_maps, then (idmap_lowers)
 * uns_idmap_lowers into fds[UNS_FDS_MAX] (all -1 otherwise); on failure
 * the child is killed and reaped. uns_close_fds closes them after the go. */
BERR_MUST int uns_parent_setup(const struct sb_spec *spec, pid_t child, int *fds, struct berr *e);
void uns_close_fds(const struct sb_spec *spec, int *fds);

/* Child, released: uid, gid 0 and no supplementary groups. */
BERR_MUST int uns_child_enter(struct berr *e);
/* Child, in its private mount namespace: the idmapped layers (fds from
 * uns_idmap_lowers, closed here) over their paths. */
BERR_MUST int uns_attach_lowers(const struct sb_spec *spec, const int *fds, struct berr *e);

/* The sync socket's go byte with n fds (n may be 0), and its receipt:
 * 1 when the go came (fds filled, at most max), 0 at EOF, -errno. */
BERR_MUST int uns_send_go(int sock, const int *fds, int n);
BERR_MUST int uns_recv_go(int sock, int *fds, int max);

/* Whether process pid is in another user namespace than the caller
 * (sb_exec then joins it too). */
bool uns_differs(pid_t pid);

/* A detached clone of path (recursive: with its submounts) idmapped
 * through the user namespace nsfd (open_tree + mount_setattr), in *out. */
BERR_MUST int uns_idmap_tree(const char *path, int nsfd, bool recursive, int *out,
			     struct berr *e);

/* A new user namespace with the maps of maps (NULL: one line, 0 100000
 * 65536), held by a child only until its fd is in *nsfd. */
BERR_MUST int uns_scratch(const struct sb_spec *maps, int *nsfd, struct berr *e);

/* Whether the filesystem holding path takes idmapped mounts (probed once
 * with a throw-away user namespace; forks, so call it from the CLI, not
 * from PID 1). */
bool uns_idmap_supported(const char *path);

#endif
