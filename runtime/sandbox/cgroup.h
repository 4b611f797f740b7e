/* cgroup.h - cgroup v2 directories of containers: create with limits, read
 * stats, kill, remove.
 *
 * Only cgroup2 is supported. On a host whose /sys/fs/cgroup is not a
 * cgroup2 mount (v1 "hybrid" hosts), cg_usable() is false and callers run
 * containers without a cgroup. Pure libc.
 */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/lib/err.h"
#include "sandbox.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CG_MAX (-1)   /* "max" in a limit file */
#define CG_UNSET (-2) /* leave the file alone */

struct cg_stats {
	int64_t memory_current;
	int64_t memory_max; /* CG_MAX when unlimited */
	int64_t oom_kill;
	int64_t cpu_usage_usec;
	int64_t pids_current;
};

/* Is /sys/fs/cgroup a cgroup2 mount we can create children in? */
bool cg_usable(void);

/* Docker/crun mapping of cpu shares (2..262144) to cpu.weight (1..10000);
 * 0 (unset) maps to 0 (leave the default). */
int64_t cg_shares_to_weight(int64_t shares);

/* memory.swap.max from Docker's --memory and --memory-swap (which includes
 * memory): CG_UNSET, CG_MAX or bytes. -EINVAL for impossible combinations. */
BERR_MUST int cg_swap_max(int64_t memory, int64_t memory_swap, int64_t *swap_max);

/* Create the cgroup directory (parents too, enabling controllers in
 * their cgroup.subtree_control), write the limits, return an O_RDONLY|
 * O_DIRECTORY fd for CLONE_INTO_CGROUP and BPF_PROG_ATTACH in *dirfd. */
BERR_MUST int cg_create(const char *path, const struct sb_limits *l, int *dirfd, struct berr *e);

/* Write limits into an existing cgroup (docker update: live). Fields that
 * are 0 are left alone, as in cg_create. */
BERR_MUST int cg_set_limits(const char *path, const struct sb_limits *l, struct berr *e);

/* Freeze (true) or thaw (false) every process in the cgroup through
 * cgroup.freeze. Returns at once: the kernel finishes freezing in the
 * background; cg_frozen() says when it has (cgroup.events "frozen 1"). */
BERR_MUST int cg_freeze(const char *path, bool on, struct berr *e);
BERR_MUST int cg_frozen(const char *path, bool *frozen, struct berr *e);

/* Move a process into the cgroup (cgroup.procs). */
BERR_MUST int cg_enter(const char *path, pid_t pid, struct berr *e);

/* Kill every process in it (cgroup.kill, else SIGKILL each in cgroup.procs). */
BERR_MUST int cg_kill(const char *path, struct berr *e);

/* Remove the directory; kills leftovers first. */
BERR_MUST int cg_remove(const char *path, struct berr *e);

/* Docker-style sizes: "64m", "1g", "512k", "1048576", "-1". 0 or -EINVAL. */
BERR_MUST int cg_parse_bytes(const char *s, int64_t *out);

BERR_MUST int cg_read_stats(const char *path, struct cg_stats *st, struct berr *e);

#endif
