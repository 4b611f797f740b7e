#include "netlink.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/route.h>
#include <string.h>
#include <sys/socket.h>

static struct nl_sock *sock;

static int nl_fail(struct berr *e, int nlerr, const char *what, const char *ifname)
{
	int code = EIO;

	if (nlerr == -NLE_EXIST)
		code = EEXIST;
	else if (nlerr == -NLE_OBJ_NOTFOUND || nlerr == -NLE_NODEV)
		code = ENODEV;
	else if (nlerr == -NLE_PERM)
		code = EPERM;
	else if (nlerr == -NLE_NOMEM)
		code = ENOMEM;
	return berr_msg(e, code, "%s %s: %s", what, ifname, nl_geterror(nlerr));
}

static struct nl_sock *get_sock(struct berr *e)
{
	int r;

	if (sock)
		return sock;
	sock = nl_socket_alloc();
	if (!sock) {
		berr_set(e, ENOMEM, "netlink socket");
		return NULL;
	}
	r = nl_connect(sock, NETLINK_ROUTE);
	if (r < 0) {
		nl_fail(e, r, "netlink", "connect");
		nl_socket_free(sock);
		sock = NULL;
	}
	return sock;
}

void net_close(void)
{
	if (sock) {
		nl_socket_free(sock);
		sock = NULL;
	}
}

bool net_link_exists(const char *ifname)
{
	return if_nametoindex(ifname) != 0;
}

int net_link_up(const char *ifname, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);
	struct rtnl_link *link = NULL, *change;
	int r;

	if (!sk)
		return -e->code;
	r = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (r < 0)
		return nl_fail(e, r, "find link", ifname);
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return berr_set(e, ENOMEM, "link %s", ifname);
	}
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return r < 0 ? nl_fail(e, r, "set up", ifname) : 0;
}

int net_bridge_add(const char *name, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);
	int r;

	if (!sk)
		return -e->code;
	if (net_link_exists(name))
		return 0;
	r = rtnl_link_bridge_add(sk, name);
	if (r == -NLE_EXIST)
		return 0;
	return r < 0 ? nl_fail(e, r, "create bridge", name) : 0;
}

int net_addr_add(const char *ifname, const char *cidr, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);
	struct rtnl_addr *addr;
	struct nl_addr *local = NULL;
	unsigned idx = if_nametoindex(ifname);
	int r;

	if (!sk)
		return -e->code;
	if (!idx)
		return berr_set(e, ENODEV, "add address %s to %s", cidr, ifname);
	r = nl_addr_parse(cidr, AF_INET, &local);
	if (r < 0)
		return berr_msg(e, EINVAL, "address %s: %s", cidr, nl_geterror(r));
	addr = rtnl_addr_alloc();
	if (!addr) {
		nl_addr_put(local);
		return berr_set(e, ENOMEM, "address %s", cidr);
	}
	rtnl_addr_set_ifindex(addr, idx);
	rtnl_addr_set_local(addr, local);
	rtnl_addr_set_prefixlen(addr, nl_addr_get_prefixlen(local));
	{
		/* The broadcast address, as `ip addr add ... brd +` and Docker set it. */
		struct nl_addr *brd = nl_addr_clone(local);
		if (brd) {
			unsigned plen = nl_addr_get_prefixlen(local);
			uint32_t *a = nl_addr_get_binary_addr(brd);
			uint32_t host = plen >= 32 ? 0 : (0xffffffffu >> plen);
			*a |= htonl(host);
			nl_addr_set_prefixlen(brd, 32);
			if (plen < 31)
				rtnl_addr_set_broadcast(addr, brd);
			nl_addr_put(brd);
		}
	}
	r = rtnl_addr_add(sk, addr, 0);
	rtnl_addr_put(addr);
	nl_addr_put(local);
	if (r == -NLE_EXIST)
		return 0;
	return r < 0 ? nl_fail(e, r, "add address to", ifname) : 0;
}

int net_route_add_default(const char *gateway, const char *ifname, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);
	struct rtnl_route *route;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst = NULL, *gw = NULL;
	int r;

	if (!sk)
		return -e->code;
	r = nl_addr_parse("0.0.0.0/0", AF_INET, &dst);
	if (r == 0)
		r = nl_addr_parse(gateway, AF_INET, &gw);
	if (r < 0) {
		if (dst)
			nl_addr_put(dst);
		return berr_msg(e, EINVAL, "gateway %s: %s", gateway, nl_geterror(r));
	}
	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	if (!route || !nh) {
		nl_addr_put(dst);
		nl_addr_put(gw);
		return berr_set(e, ENOMEM, "route");
	}
	rtnl_route_set_family(route, AF_INET);
	rtnl_route_set_dst(route, dst);
	rtnl_route_nh_set_gateway(nh, gw);
	if (ifname && *ifname)
		rtnl_route_nh_set_ifindex(nh, if_nametoindex(ifname));
	rtnl_route_add_nexthop(route, nh);
	r = rtnl_route_add(sk, route, NLM_F_CREATE);
	rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(gw);
	if (r == -NLE_EXIST)
		return 0;
	return r < 0 ? nl_fail(e, r, "add default route via", gateway) : 0;
}
