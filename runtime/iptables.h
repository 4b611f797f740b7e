/* iptables.h - apply rule sets with iptables-restore (legacy x_tables).
 *
 * Every change is one `iptables-restore --noflush` transaction, so a rule
 * set goes in whole or not at all. The binary is /sbin/iptables-restore in
 * the appliance; BERTH_IPTABLES_RESTORE overrides it (host tests).
 */
#ifndef BERTH_IPTABLES_H
#define BERTH_IPTABLES_H

#include <stddef.h>

#include "err.h"

#include <sys/types.h>

struct ipt_job {
	pid_t pid;
	int out; /* memfd holding the tool's output */
};

/* Start a transaction without waiting for it (PID 1 overlaps it with the
 * rest of boot), then collect its result. */
int ipt_restore_start(struct ipt_job *job, const char *rules, struct berr *e);
int ipt_restore_finish(struct ipt_job *job, struct berr *e);
/* Both in one. */
int ipt_restore(const char *rules, struct berr *e);

/* The boot rules for a bridge with address cidr (e.g. 172.17.0.1/16):
 * chains BERTH (nat), BERTH-FORWARD (filter), masquerade for the subnet.
 * Returns 0 or -EINVAL for a bad cidr. */
int ipt_bridge_rules(const char *bridge, const char *cidr, char *buf, size_t size,
		     struct berr *e);

#endif
