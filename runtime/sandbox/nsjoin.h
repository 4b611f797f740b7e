/* nsjoin.h - joining namespaces by path (internal to the sandbox).
 *
 * The init opens every namespace to join before the first setns: a
 * joined mount namespace would change what the later paths name.
 *
 * setns() into a user namespace is one-way: the caller loses its
 * capabilities over what the initial namespace owns. So, as runc's
 * nsexec does, an extra child joins it first (and takes uid and gid 0
 * there), then joins a pid namespace to join and clones the container's
 * init with CLONE_PARENT: the init is the caller's child, created inside
 * the joined user namespace, which owns its new namespaces. The extra
 * child reports the pid and exits. The caller moves the init into its
 * cgroup (CLONE_INTO_CGROUP would be checked against the joined
 * namespace's credentials).
 */
#ifndef BERTH_NSJOIN_H
#define BERTH_NSJOIN_H

#include <stdint.h>
#include <sys/types.h>

#include "runtime/lib/err.h"
#include "sandbox.h"

/* The path of the namespace of this CLONE_NEW* type to join, or NULL. */
const char *nsj_path(const struct sb_spec *spec, int type);

/* In the init: join spec->joins but the pid and user namespaces (joined
 * for the clone), all opened first. */
BERR_MUST int nsj_join_paths(const struct sb_spec *spec, struct berr *e);

/* Clone the init inside the user namespace to join with these flags
 * (cgroup: enter it, NULL = none). As clone: the pid in the caller, 0 in
 * the init; -1 with e filled on failure. */
pid_t nsj_clone_in_user(const struct sb_spec *spec, uint64_t flags, const char *cgroup,
			struct berr *e);

#endif
