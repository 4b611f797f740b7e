#include "hostnet.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/iptables.h"
#include "../runtime/log.h"
#include "../runtime/netlink.h"
#include "../runtime/util.h"

#define UDHCPC "/sbin/udhcpc"
#define UDHCPC_SCRIPT "/usr/share/udhcpc/default.script"

/* Start a helper that PID 1 does not wait for (the supervisor reaps it). */
static int spawn_background(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return 0;
}

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
	if (net_link_up("eth0", &e) < 0) {
		log_err("network: eth0: %s", e.msg);
		return 1;
	}
	{
		char *argv[] = { UDHCPC, "-i", "eth0", "-b", "-S", "-t", "10", "-T", "1",
				 "-s", UDHCPC_SCRIPT, NULL };
		int r = spawn_background(argv);
		if (r < 0) {
			log_err("network: start udhcpc: %s", strerror(-r));
			return 1;
		}
	}
	return 0;
}

static int setup_bridge(const struct boot_params *p)
{
	char rules[2048];
	struct berr e;

	if (net_bridge_add(BRIDGE_NAME, &e) < 0 || net_addr_add(BRIDGE_NAME, p->bridge_cidr, &e) < 0 ||
	    net_link_up(BRIDGE_NAME, &e) < 0) {
		log_err("network: bridge %s: %s", BRIDGE_NAME, e.msg);
		return 1;
	}
	if (ipt_bridge_rules(BRIDGE_NAME, p->bridge_cidr, rules, sizeof(rules), &e) < 0 ||
	    ipt_restore(rules, &e) < 0) {
		log_err("network: iptables: %s", e.msg);
		return 1;
	}
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
	failed += setup_bridge(p);
	net_close();
	return failed;
}
