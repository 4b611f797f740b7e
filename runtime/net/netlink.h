/* netlink.h - links, addresses and routes over rtnetlink (libnl-route-3).
 *
 * One NETLINK_ROUTE socket per process, opened on first use. Errors name
 * the interface and the operation, with libnl's reason.
 */
#ifndef BERTH_NETLINK_H
#define BERTH_NETLINK_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/lib/err.h"

bool net_link_exists(const char *ifname);
BERR_MUST int net_link_up(const char *ifname, struct berr *e);
/* Create a bridge; an existing bridge of that name is fine. */
BERR_MUST int net_bridge_add(const char *name, struct berr *e);
/* Add ADDR/PREFIX to ifname; the same address already there is fine. */
BERR_MUST int net_addr_add(const char *ifname, const char *cidr, struct berr *e);
/* Default IPv4 route via gateway (optionally bound to ifname). */
BERR_MUST int net_route_add_default(const char *gateway, const char *ifname, struct berr *e);
/* Delete a link (a veth takes its peer along). */
BERR_MUST int net_link_del(const char *ifname, struct berr *e);

/* Write /proc/sys/net/ipv4/conf/IFNAME/KEY (IFNAME NULL: net/ipv4/KEY) in
 * this process's network namespace. */
BERR_MUST int net_ipv4_conf(const char *ifname, const char *key, const char *value, struct berr *e);

/* One container's link to the bridge. */
struct net_veth {
	const char *bridge;	/* existing bridge, e.g. berth0 */
	const char *host;	/* host end, attached to the bridge and up */
	pid_t pid;		/* a process in the container's network namespace */
	const char *cidr;	/* eth0's address, e.g. 172.17.0.2/16 */
	const char *gateway;	/* default route via, e.g. 172.17.0.1; NULL: none */
	const char *peer;	/* its name inside; NULL: eth0 */
	unsigned char mac[6];	/* eth0's MAC */
};

/* Create the veth pair with its peer straight in pid's namespace as eth0
 * (the bridge's MTU), the host end in hairpin mode, address eth0, bring
 * it up, add the default route. On
 * failure nothing is left: the host end is deleted, which takes eth0. */
BERR_MUST int net_veth_setup(const struct net_veth *v, struct berr *e);

/* In pid's network namespace: delete link ifname (its veth peer goes
 * along; none is fine); the first "ethN" (N >= 1) that no link has, into
 * buf (16 bytes); a default route via gateway. */
BERR_MUST int net_ns_link_del(pid_t pid, const char *ifname, struct berr *e);
BERR_MUST int net_ns_free_eth(pid_t pid, char *buf, struct berr *e);
BERR_MUST int net_ns_route_default(pid_t pid, const char *gateway, struct berr *e);

/* Close the shared socket (before exec or fork-heavy phases). */
void net_close(void);

#endif
