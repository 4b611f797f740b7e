/* netlink.h - links, addresses and routes over rtnetlink (libnl-route-3).
 *
 * One NETLINK_ROUTE socket per process, opened on first use. Errors name
 * the interface and the operation, with libnl's reason.
 */
#ifndef BERTH_NETLINK_H
#define BERTH_NETLINK_H

#include <stdbool.h>

#include "err.h"

bool net_link_exists(const char *ifname);
int net_link_up(const char *ifname, struct berr *e);
/* Create a bridge; an existing bridge of that name is fine. */
int net_bridge_add(const char *name, struct berr *e);
/* Add ADDR/PREFIX to ifname; the same address already there is fine. */
int net_addr_add(const char *ifname, const char *cidr, struct berr *e);
/* Default IPv4 route via gateway (optionally bound to ifname). */
int net_route_add_default(const char *gateway, const char *ifname, struct berr *e);
/* Close the shared socket (before exec or fork-heavy phases). */
void net_close(void);

#endif
