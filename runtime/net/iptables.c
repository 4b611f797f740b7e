#include "iptables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipam.h"
#include "network.h"
#include "runtime/lib/util.h"

int ipt_restore_start(struct ipt_job *job, const char *rules, struct berr *e)
{
	const char *bin = getenv("BERTH_IPTABLES_RESTORE");
	char *argv[] = { (char *)(bin ? bin : "/sbin/iptables-restore"), "--noflush", "--wait",
			 NULL };
	int r;

	job->pid = -1;
	job->out = memfd_create("iptables-restore", MFD_CLOEXEC);
	r = spawn_cmd(argv, rules, job->out, false, &job->pid);
	if (r < 0) {
		if (job->out >= 0)
			close(job->out);
		job->out = -1;
		return berr_set(e, -r, "run %s", argv[0]);
	}
	return 0;
}

int ipt_restore_finish(struct ipt_job *job, struct berr *e)
{
	return ipt_restore_collect(job, wait_pid(job->pid), e);
}

int ipt_restore_collect(struct ipt_job *job, int r, struct berr *e)
{
	char msg[512];
	ssize_t n = 0;

	if (r != 0 && job->out >= 0)
		n = pread(job->out, msg, sizeof(msg) - 1, 0);
	if (job->out >= 0)
		close(job->out);
	job->out = -1;
	if (r == 0)
		return 0;
	if (r < 0)
		return berr_set(e, -r, "wait for iptables-restore");
	msg[n > 0 ? n : 0] = '\0';
	for (char *p = msg; *p; p++) {
		if (*p == '\n')
			*p = (p[1] ? ' ' : '\0');
	}
	return berr_msg(e, EIO, "iptables-restore exited %d: %s", r, *msg ? msg : "(no output)");
}

int ipt_restore(const char *rules, struct berr *e)
{
	struct ipt_job job;
	int r = ipt_restore_start(&job, rules, e);

	return r < 0 ? r : ipt_restore_finish(&job, e);
}

int ipt_bridge_rules(const char *bridge, const char *cidr, char *buf, size_t size,
		     struct berr *e)
{
	struct net_cidr c;
	char net[16];
	int n;

	if (net_cidr_parse(cidr, &c) < 0)
		return berr_msg(e, EINVAL, "bridge address %s: want ADDR/PREFIX", cidr);
	ipam_ntoa(c.addr, net);
	n = snprintf(buf, size,
		     "*nat\n"
		     ":BERTH - [0:0]\n"
		     "-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH\n"
		     "-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH\n"
		     "-A POSTROUTING -s %s/%d ! -o %s -j MASQUERADE\n"
		     "-A POSTROUTING -s 127.0.0.0/8 -o %s -j MASQUERADE\n"
		     "COMMIT\n"
		     "*filter\n"
		     ":BERTH-FORWARD - [0:0]\n"
		     ":BERTH-ISOLATION-STAGE-1 - [0:0]\n"
		     ":BERTH-ISOLATION-STAGE-2 - [0:0]\n"
		     "-A FORWARD -j BERTH-FORWARD\n"
		     "-A BERTH-FORWARD -j BERTH-ISOLATION-STAGE-1\n"
		     "-A BERTH-ISOLATION-STAGE-1 -i %s ! -o %s -j BERTH-ISOLATION-STAGE-2\n"
		     "-A BERTH-ISOLATION-STAGE-2 -o %s -j DROP\n"
		     "-A BERTH-ISOLATION-STAGE-1 -j RETURN\n"
		     "-A BERTH-ISOLATION-STAGE-2 -j RETURN\n"
		     "-A BERTH-FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
		     "-A BERTH-FORWARD -i %s ! -o %s -j ACCEPT\n"
		     "-A BERTH-FORWARD -i %s -o %s -j ACCEPT\n"
		     "COMMIT\n",
		     net, c.prefix, bridge, bridge, bridge, bridge, bridge, bridge, bridge, bridge, bridge,
		     bridge);
	if (n < 0 || (size_t)n >= size)
		return berr_msg(e, ENOSPC, "iptables rules too long");
	return 0;
}
