/* seccomp_priv.h - what the pieces of the seccomp compiler share: a rule
 * added by syscall name (seccomp.c), the default profile's rules
 * (seccomp_default.c) and a JSON profile's (seccomp_json.c), each built
 * into a libseccomp context that seccomp.c exports as BPF. The public
 * contract is seccomp.h.
 */
#ifndef BERTH_SECCOMP_PRIV_H
#define BERTH_SECCOMP_PRIV_H

#include <seccomp.h>
#include <stdint.h>

#include "seccomp.h"
#include "runtime/lib/err.h"

/* Add one rule for the syscall called name; a name unknown to libseccomp
 * is skipped, like Docker. 0 or -errno. */
BERR_MUST int sc_add_rule(scmp_filter_ctx ctx, const char *name, uint32_t action, unsigned n,
			  const struct scmp_arg_cmp *args, struct berr *e);

/* Docker's default profile for caps into ctx (created with the default
 * action EPERM). 0 or -errno. */
BERR_MUST int sc_build_default(scmp_filter_ctx ctx, uint64_t caps, struct berr *e);

/* Parse the JSON profile at path and build its rules for caps into a new
 * context *ctxp. 0 or -errno. Outside input: only the forked compiler
 * child calls it. */
BERR_MUST int sc_build_json(const char *path, uint64_t caps, scmp_filter_ctx *ctxp, struct berr *e);

#endif
