/* update.h - the settings of `update` as the control request carries them
 * ("update KEY=VALUE... ID..."), and their merge over a container's
 * limits. Pure: the supervisor parses what any client wrote with it.
 *
 * Keys: memory, memory-swap, cpu-quota, cpu-period, cpu-shares, pids
 * (decimal int64, -1 or more; the CLI has converted Docker's forms), restart (a
 * policy, checked by the caller with rp_parse).
 */
#ifndef BERTH_UPDATE_H
#define BERTH_UPDATE_H

#include "runtime/lib/err.h"
#include "runtime/sandbox/sandbox.h"

struct ctr_update {
	struct sb_limits set; /* CG_UNSET (cgroup.h): not asked */
	const char *restart;  /* into the parsed word; NULL: not asked */
};

void ctr_update_init(struct ctr_update *u);
/* One KEY=VALUE word into u: 0, or -EINVAL for an unknown key or a value
 * that is not a decimal int64. */
BERR_MUST int ctr_update_parse(struct ctr_update *u, const char *kv);
/* The asked limits over to. */
void ctr_update_merge(struct sb_limits *to, const struct ctr_update *u);

#endif
