/* publish.c - a container's published ports on this host: the kernel's
 * ephemeral range, and removing rules port by port. See publish.h. */
#include "publish.h"

#include "bridge.h"
#include "iptables.h"
#include "ports.h"
#include "runtime/lib/file.h"

/* The ephemeral port range, as Docker reads it. */
void pub_ephemeral_range(uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	bool ok = read_file("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf)) >= 0;

	port_ephemeral_range(ok ? buf : NULL, lo, hi);
}

/* A removal failed as a whole (some rule already gone, e.g. after a
 * reboot): port by port, so no rule is left behind. */
void pub_remove_one_by_one(const char *ports, const char *ip, const char *bridge)
{
	struct port_map m[PORTS_MAX];
	char rules[1024];
	struct berr e;
	int n = port_list_parse(ports, m, PORTS_MAX);

	/* A rule that is not there (any more) fails alone, which is the point
	 * of going one by one. */
	for (int i = 0; i < n; i++) {
		if (port_rules(&m[i], 1, ip, bridge, false, rules, sizeof(rules), &e) == 0)
			berr_ignore(ipt_restore(rules, &e));
	}
}
