/* rlimits.h - a container process's resource limits and OOM score.
 *
 * Set by the parent (prlimit(2) on the child, /proc/CHILD/oom_score_adj)
 * while the child waits for its go: the parent is root of the initial
 * user namespace, so raising a hard limit or lowering the OOM score works
 * for a child in a user namespace too, where the child's own setrlimit
 * and write would be refused.
 *
 * RLIMIT_NOFILE is the exception: the child holds a copy of every one of
 * the supervisor's descriptors (thousands with many containers) until its
 * exec, and a lower soft limit would refuse its own opens (EMFILE). The
 * parent only raises its hard limit when asked for more; the child sets
 * the value itself just before the exec (lowering needs no privilege).
 */
#ifndef BERTH_RLIMITS_H
#define BERTH_RLIMITS_H

#include <sys/types.h>

#include "runtime/lib/err.h"
#include "sandbox.h"

/* Parent, before releasing child: spec's rlimits and OOM score. */
BERR_MUST int rl_parent_apply(pid_t child, const struct sb_spec *spec, struct berr *e);
/* Child, after its last open, before the exec: spec's RLIMIT_NOFILE. */
BERR_MUST int rl_child_nofile(const struct sb_spec *spec, struct berr *e);

#endif
