/* caps.h - capability sets of a container process.
 *
 * sb_default_caps() and sb_cap_parse() (declared in sandbox.h) live in
 * caps.c, which is pure libc. caps_apply() uses libcap and is in
 * caps_apply.c, so the parser can be unit tested without libcap.
 */
#ifndef BERTH_CAPS_H
#define BERTH_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/lib/err.h"

#define CAPS_LAST 40 /* CAP_CHECKPOINT_RESTORE */
#define CAPS_ALL ((1ull << (CAPS_LAST + 1)) - 1)

/* "NET_ADMIN" for CAP_NET_ADMIN, NULL when out of range. */
const char *caps_name(int cap);
bool caps_has(uint64_t mask, int cap);
/* Docker's --cap-add/--cap-drop on base: dropping ALL empties it first, then
 * adds, then the other drops. -EINVAL for an unknown name. */
BERR_MUST int caps_compute(uint64_t base, char **add, int nadd, char **drop, int ndrop,
			   uint64_t *out);

/* Step 1, as uid 0 before switching user: drop everything not in keep
 * from the bounding set and set PR_SET_KEEPCAPS so setuid() keeps the
 * permitted set. */
BERR_MUST int caps_drop_bounding(uint64_t keep, struct berr *e);
/* Step 2, after setuid: permitted = effective = keep, inheritable and
 * ambient empty (Docker since CVE-2022-24769), so a non-root user execs
 * with no capabilities, as in Docker. */
BERR_MUST int caps_set(uint64_t keep, struct berr *e);

#endif
