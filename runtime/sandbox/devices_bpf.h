/* devices_bpf.h - the container's device allow list as a cgroup v2 device
 * program (BPF_PROG_TYPE_CGROUP_DEVICE), as runc and crun do.
 *
 * Containers keep CAP_MKNOD, so nothing but this program stops a container
 * from making and opening a node for a host disk. Allowed: c 1:3 1:5 1:7
 * 1:8 1:9 (null zero full random urandom), c 5:0 5:1 5:2 (tty console
 * ptmx), c 136:* (pts), and the caller's extra rules (`--device`,
 * `--device-cgroup-rule`: type 'a' is any type, DEVBPF_ANY any major or
 * minor); everything else is denied.
 */
#ifndef BERTH_DEVICES_BPF_H
#define BERTH_DEVICES_BPF_H

#include "runtime/lib/err.h"

#include "sandbox.h"

#define DEVBPF_MAX_EXTRA 32
#define DEVBPF_ANY (~0u)	/* a rule's major or minor: "*" */

/* Load the program allowing the defaults and extra[n] (at most
 * DEVBPF_MAX_EXTRA, each with its own access) and attach it to the cgroup
 * directory fd. */
BERR_MUST int devbpf_attach(int cgroup_fd, const struct sb_devrule *extra, int n, struct berr *e);

#endif
