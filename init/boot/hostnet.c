#include "hostnet.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "runtime/net/iptables.h"
#include "runtime/lib/log.h"
#include "runtime/net/netlink.h"
#include "runtime/lib/util.h"
#include "timeline.h"

#define UDHCPC "/sbin/udhcpc"
#define UDHCPC_SCRIPT "/usr/share/udhcpc/default.script"

static int setup_eth0(const struct boot_params *p)
{
	struct berr e;

	if (p->ip_mode == IP_NONE)
		return 0;
	if (!net_link_exists("eth0")) {
		log_warn("network: no eth0; the appliance has no outside network");
		return 1;
	}
	if (p->ip_mode == IP_STATIC) {
		if (net_addr_add("eth0", p->ip_cidr, &e) < 0 || net_link_up("eth0", &e) < 0 ||
		    (*p->ip_gateway && net_route_add_default(p->ip_gateway, "eth0", &e) < 0)) {
			log_err("network: eth0: %s", e.msg);
			return 1;
		}
		return 0;
	}
	/* DHCP: udhcpc brings eth0 up itself (its deconfig hook), in the
	 * background, so the link's start-up is off PID 1's path. */
	{
		char *argv[] = { UDHCPC, "-i", "eth0", "-b", "-S", "-t", "10", "-T", "1",
				 "-s", UDHCPC_SCRIPT, NULL };
		pid_t pid;
		int r = spawn_cmd(argv, NULL, -1, true, &pid); /* reaped by the supervisor */
		if (r < 0) {
			log_err("network: start udhcpc: %s", strerror(-r));
			return 1;
		}
	}
	return 0;
}

static struct ipt_job rules_job = { .pid = -1, .out = -1 };

int hostnet_rules_start(const struct boot_params *p)
{
	char rules[2048];
	struct berr e;

	if (ipt_bridge_rules(BRIDGE_NAME, p->bridge_cidr, rules, sizeof(rules), &e) < 0 ||
	    ipt_restore_start(&rules_job, rules, &e) < 0) {
		log_err("network: iptables: %s", e.msg);
		return 1;
	}
	return 0;
}

static int rules_finish(void)
{
	struct berr e;

	if (rules_job.pid < 0)
		return 1; /* already reported by hostnet_rules_start */
	if (ipt_restore_finish(&rules_job, &e) < 0) {
		log_err("network: iptables: %s", e.msg);
		return 1;
	}
	timeline_mark("net-iptables");
	return 0;
}

static int setup_bridge(const struct boot_params *p)
{
	struct berr e;

	/* route_localnet: 127.0.0.1:PORT is DNATed to containers on it */
	if (net_bridge_add(BRIDGE_NAME, &e) < 0 || net_addr_add(BRIDGE_NAME, p->bridge_cidr, &e) < 0 ||
	    net_link_up(BRIDGE_NAME, &e) < 0 ||
	    net_ipv4_conf(BRIDGE_NAME, "route_localnet", "1", &e) < 0) {
		log_err("network: bridge %s: %s", BRIDGE_NAME, e.msg);
		return 1;
	}
	timeline_mark("net-bridge");
	return 0;
}

int hostnet_setup(const struct boot_params *p)
{
	struct berr e;
	int failed = 0;

	if (net_link_up("lo", &e) < 0) {
		log_err("network: lo: %s", e.msg);
		failed++;
	}
	failed += setup_eth0(p);
	timeline_mark("net-eth0");
	failed += setup_bridge(p);
	failed += rules_finish();
	net_close();
	return failed;
}
