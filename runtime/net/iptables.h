/* iptables.h - apply rule sets with iptables-restore (legacy x_tables).
 *
 * Every change is one `iptables-restore --noflush` transaction, so a rule
 * set goes in whole or not at all. The binary is /sbin/iptables-restore in
 * the appliance; BERTH_IPTABLES_RESTORE overrides it (host tests).
 */
#ifndef BERTH_IPTABLES_H
#define BERTH_IPTABLES_H

#include <stddef.h>

#include "runtime/lib/err.h"

#include <sys/types.h>

struct ipt_job {
	pid_t pid;
	int out; /* memfd holding the tool's output */
};

/* Start a transaction without waiting for it (PID 1 overlaps it with the
 * rest of boot), then collect its result. */
BERR_MUST int ipt_restore_start(struct ipt_job *job, const char *rules, struct berr *e);
BERR_MUST int ipt_restore_finish(struct ipt_job *job, struct berr *e);
/* The result of a job whose process someone else reaped: r is its exit
 * code (128 + signal), as wait_pid returns it. */
BERR_MUST int ipt_restore_collect(struct ipt_job *job, int r, struct berr *e);
/* Both in one. */
BERR_MUST int ipt_restore(const char *rules, struct berr *e);

/* The boot rules for a bridge with address cidr (e.g. 172.17.0.1/16), as
 * Docker's without its userland proxy: chain BERTH (nat) jumped to from
 * PREROUTING and OUTPUT for local destinations (127.0.0.1 too: the
 * bridge needs route_localnet), masquerade for the subnet going out and
 * for 127.0.0.0/8 going to the bridge, chain BERTH-FORWARD (filter), which
 * first jumps to the isolation chains BERTH-ISOLATION-STAGE-1/2 (as
 * Docker's; network.h rewrites them when user networks come and go).
 * Returns 0 or -EINVAL for a bad cidr. */
BERR_MUST int ipt_bridge_rules(const char *bridge, const char *cidr, char *buf, size_t size,
			       struct berr *e);

#endif
