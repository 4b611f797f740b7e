/* seccomp.h - compile a seccomp profile to classic BPF in the parent, load
 * the raw program in the container's child as the last step before exec.
 *
 * The default is Docker's default profile semantics: errno EPERM for
 * anything not allowed; an allow list; argument rules for personality,
 * clone (no namespace flags) and socket (no AF_VSOCK); groups of syscalls
 * that are allowed only with a capability (mount and unshare with
 * CAP_SYS_ADMIN, reboot with CAP_SYS_BOOT, ...). A profile file is Docker's
 * JSON format (defaultAction, defaultErrnoRet, architectures, syscalls
 * with names, action, errnoRet, args, includes/excludes caps, arches and
 * minKernel; archMap), parsed and compiled in a forked child so that the
 * caller (PID 1) never runs the parser on outside input.
 */
#ifndef BERTH_SECCOMP_H
#define BERTH_SECCOMP_H

#include <stdint.h>

#include "runtime/lib/err.h"

struct sc_filter {
	void *insns;	    /* struct sock_filter[] */
	unsigned short len; /* number of instructions */
	int owned;	    /* 1: sc_filter_free() frees insns */
};

/* profile NULL = the default profile (compiled once per capability set and
 * cached), else the path of a JSON profile. caps selects the
 * capability-dependent rules. */
BERR_MUST int sc_compile(const char *profile, uint64_t caps, struct sc_filter *f, struct berr *e);
void sc_filter_free(struct sc_filter *f);

/* Compile the default profile for caps on a thread (PID 1 at boot, while
 * the network comes up); the next sc_compile() waits for it and finds the
 * result in the cache. */
void sc_prewarm(uint64_t caps);

/* seccomp(SECCOMP_SET_MODE_FILTER) with the compiled program; async-signal
 * safe (used in the child). 0 or -errno. */
BERR_MUST int sc_load(const struct sc_filter *f);
/* The same with SECCOMP_FILTER_FLAG_NEW_LISTENER: the listener fd (for
 * SCMP_ACT_NOTIFY rules' notifications) or -errno. */
BERR_MUST int sc_load_listener(const struct sc_filter *f);

#endif
