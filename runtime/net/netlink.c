#include "netlink.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/route.h>
#include <fcntl.h>
#include <netlink/route/link/veth.h>
#include <linux/if_link.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

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

static int link_up(struct nl_sock *sk, const char *ifname, struct berr *e)
{
	struct rtnl_link *link = NULL, *change;
	int r;

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

int net_link_up(const char *ifname, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);

	return sk ? link_up(sk, ifname, e) : -e->code;
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

static int addr_add(struct nl_sock *sk, int idx, const char *ifname, const char *cidr,
		    struct berr *e)
{
	struct rtnl_addr *addr;
	struct nl_addr *local = NULL;
	int r;

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

int net_addr_add(const char *ifname, const char *cidr, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);
	unsigned idx = if_nametoindex(ifname);

	if (!sk)
		return -e->code;
	if (!idx)
		return berr_set(e, ENODEV, "add address %s to %s", cidr, ifname);
	return addr_add(sk, (int)idx, ifname, cidr, e);
}

static int route_add_default(struct nl_sock *sk, const char *gateway, int idx, struct berr *e)
{
	struct rtnl_route *route;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst = NULL, *gw = NULL;
	int r;

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
	if (idx > 0)
		rtnl_route_nh_set_ifindex(nh, idx);
	rtnl_route_add_nexthop(route, nh);
	r = rtnl_route_add(sk, route, NLM_F_CREATE);
	rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(gw);
	if (r == -NLE_EXIST)
		return 0;
	return r < 0 ? nl_fail(e, r, "add default route via", gateway) : 0;
}

int net_route_add_default(const char *gateway, const char *ifname, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);
	int idx = 0;

	if (!sk)
		return -e->code;
	if (ifname && *ifname) {
		idx = (int)if_nametoindex(ifname);
		if (!idx)
			return berr_set(e, ENODEV, "add default route via %s on %s", gateway,
					ifname);
	}
	return route_add_default(sk, gateway, idx, e);
}

int net_link_del(const char *ifname, struct berr *e)
{
	struct nl_sock *sk = get_sock(e);
	struct rtnl_link *link;
	int r;

	if (!sk)
		return -e->code;
	link = rtnl_link_alloc();
	if (!link)
		return berr_set(e, ENOMEM, "delete %s", ifname);
	rtnl_link_set_name(link, ifname);
	r = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	return r < 0 ? nl_fail(e, r, "delete link", ifname) : 0;
}

/* A netlink socket in pid's network namespace: made there, it stays bound
 * to it after this process goes back to its own. */
static struct nl_sock *sock_in_netns(pid_t pid, struct berr *e)
{
	_cleanup_fd_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), target = -1;
	struct nl_sock *sk = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		berr_set(e, errno, "open %s", self < 0 ? "/proc/self/ns/net" : path);
		return NULL;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		berr_set(e, errno, "enter network namespace of %d", (int)pid);
		return NULL;
	}
	sk = nl_socket_alloc();
	r = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	if (setns(self, CLONE_NEWNET) < 0)
		log_err("network: cannot return to own network namespace: %s", strerror(errno));
	if (r < 0) {
		nl_fail(e, r, "netlink in namespace of", path);
		if (sk)
			nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* The pair: v->host on the bridge and up, its peer eth0 (MTU of the
 * bridge, v->mac) created straight in the container's namespace. */
static int veth_create(struct nl_sock *sk, const struct net_veth *v, struct berr *e)
{
	struct rtnl_link *br = NULL, *link, *peer;
	struct nl_addr *mac;
	int r;

	r = rtnl_link_get_kernel(sk, 0, v->bridge, &br);
	if (r < 0)
		return nl_fail(e, r, "find bridge", v->bridge);
	link = rtnl_link_veth_alloc();
	mac = nl_addr_build(AF_LLC, v->mac, 6);
	if (!link || !mac) {
		rtnl_link_put(br);
		if (link)
			rtnl_link_veth_release(link);
		if (mac)
			nl_addr_put(mac);
		return berr_set(e, ENOMEM, "veth %s", v->host);
	}
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, v->host);
	rtnl_link_set_mtu(link, rtnl_link_get_mtu(br));
	rtnl_link_set_master(link, rtnl_link_get_ifindex(br));
	rtnl_link_set_flags(link, IFF_UP);
	rtnl_link_set_name(peer, v->peer ? v->peer : "eth0");
	rtnl_link_set_mtu(peer, rtnl_link_get_mtu(br));
	rtnl_link_set_addr(peer, mac);
	rtnl_link_set_ns_pid(peer, v->pid);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	nl_addr_put(mac);
	rtnl_link_put(br);
	return r < 0 ? nl_fail(e, r, "create veth", v->host) : 0;
}

/* Hairpin mode on a bridge port (`bridge link set dev X hairpin on`), so
 * a container's packet DNATed back to itself can leave the port it came
 * in by; Docker sets it when it runs without its userland proxy. */
static int port_hairpin(struct nl_sock *sk, const char *ifname, struct berr *e)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE };
	struct nl_msg *msg;
	struct nlattr *pi;
	int r;

	ifi.ifi_index = (int)if_nametoindex(ifname);
	if (!ifi.ifi_index)
		return berr_set(e, ENODEV, "hairpin mode on %s", ifname);
	msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return berr_set(e, ENOMEM, "hairpin mode on %s", ifname);
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(pi = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
	    nla_put_u8(msg, IFLA_BRPORT_MODE, 1) < 0) {
		nlmsg_free(msg);
		return berr_set(e, ENOMEM, "hairpin mode on %s", ifname);
	}
	nla_nest_end(msg, pi);
	r = nl_send_sync(sk, msg);
	return r < 0 ? nl_fail(e, r, "set hairpin mode on", ifname) : 0;
}

int net_ipv4_conf(const char *ifname, const char *key, const char *value, struct berr *e)
{
	char path[128];

	if (ifname)
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", ifname, key);
	else
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", key);
	if (write_file(path, value) < 0)
		return berr_set(e, errno, "write %s", path);
	return 0;
}

/* eth0 (or v->peer) inside: address, up, default route. */
static int veth_configure_peer(struct nl_sock *sk, const struct net_veth *v, struct berr *e)
{
	const char *name = v->peer ? v->peer : "eth0";
	struct rtnl_link *eth = NULL;
	int idx, r;

	r = rtnl_link_get_kernel(sk, 0, name, &eth);
	if (r < 0)
		return nl_fail(e, r, "find link", name);
	idx = rtnl_link_get_ifindex(eth);
	rtnl_link_put(eth);
	r = addr_add(sk, idx, name, v->cidr, e);
	if (r == 0)
		r = link_up(sk, name, e);
	if (r == 0 && v->gateway)
		r = route_add_default(sk, v->gateway, idx, e);
	return r;
}

/* A veth whose setup failed goes again; one that stays is logged. */
static void veth_undo(const char *host)
{
	struct berr e;

	if (net_link_del(host, &e) < 0)
		log_warn("%s", e.msg);
}

int net_veth_setup(const struct net_veth *v, struct berr *e)
{
	struct nl_sock *sk = get_sock(e), *inner;
	int r;

	if (!sk)
		return -e->code;
	r = veth_create(sk, v, e);
	if (r < 0)
		return r;
	r = port_hairpin(sk, v->host, e);
	if (r == 0) {
		inner = sock_in_netns(v->pid, e);
		r = inner ? veth_configure_peer(inner, v, e) : -e->code;
		if (inner)
			nl_socket_free(inner);
	}
	if (r < 0)
		veth_undo(v->host);
	return r;
}

int net_ns_link_del(pid_t pid, const char *ifname, struct berr *e)
{
	struct nl_sock *sk = sock_in_netns(pid, e);
	struct rtnl_link *link = sk ? rtnl_link_alloc() : NULL;
	int r = sk ? 0 : -e->code;

	if (link) {
		rtnl_link_set_name(link, ifname);
		r = rtnl_link_delete(sk, link);
		r = r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV ?
			    nl_fail(e, r, "delete link", ifname) : 0;
		rtnl_link_put(link);
	} else if (sk) {
		r = berr_set(e, ENOMEM, "delete %s", ifname);
	}
	if (sk)
		nl_socket_free(sk);
	return r;
}

int net_ns_free_eth(pid_t pid, char *buf, struct berr *e)
{
	struct nl_sock *sk = sock_in_netns(pid, e);
	struct rtnl_link *link = NULL;
	int r = sk ? 0 : -e->code;

	for (int i = 1; r == 0; i++) {
		snprintf(buf, 16, "eth%d", i);
		r = rtnl_link_get_kernel(sk, 0, buf, &link);
		if (r == 0)
			rtnl_link_put(link);
		else if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
			r = 1;
		else
			r = nl_fail(e, r, "find link", buf);
	}
	if (sk)
		nl_socket_free(sk);
	return r < 0 ? r : 0;
}

int net_ns_route_default(pid_t pid, const char *gateway, struct berr *e)
{
	struct nl_sock *sk = sock_in_netns(pid, e);
	int r;

	if (!sk)
		return -e->code;
	r = route_add_default(sk, gateway, 0, e);
	nl_socket_free(sk);
	return r;
}
