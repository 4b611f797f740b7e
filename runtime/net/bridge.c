/* bridge.c - see bridge.h. */
#include "bridge.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iptables.h"
#include "ipam.h"
#include "netlink.h"
#include "runtime/lib/file.h"

int br_ensure(const char *cidr, struct berr *e)
{
	char rules[2048];

	if (net_link_exists(BR_NAME))
		return 0;
	/* as dockerd: forwarding on; 127.0.0.1 may be DNATed to the bridge */
	if (net_bridge_add(BR_NAME, e) < 0 || net_addr_add(BR_NAME, cidr, e) < 0 ||
	    net_link_up(BR_NAME, e) < 0 || net_ipv4_conf(NULL, "ip_forward", "1", e) < 0 ||
	    net_ipv4_conf(BR_NAME, "route_localnet", "1", e) < 0)
		return berr_wrap(e, "bridge %s", BR_NAME);
	if (ipt_bridge_rules(BR_NAME, cidr, rules, sizeof(rules), e) < 0 ||
	    ipt_restore(rules, e) < 0) {
		struct berr del;

		/* A bridge left without its rules would pass for a ready one. */
		if (net_link_del(BR_NAME, &del) < 0)
			return berr_wrap(e, "bridge %s (left behind: %s): iptables", BR_NAME,
					 del.msg);
		return berr_wrap(e, "bridge %s: iptables", BR_NAME);
	}
	return 0;
}

static int open_table(const char *root, const struct br_net *n, struct ipam *p, char *path,
		      size_t size, struct berr *e)
{
	char dir[600];

	snprintf(path, size, "%s/run/berth/network/%s", root, n->ipam);
	snprintf(dir, sizeof(dir), "%s/run/berth/network", root);
	if (mkdir_p(dir, 0755) < 0)
		return berr_set(e, errno, "create %s", dir);
	if (ipam_init(p, n->cidr, e) < 0)
		return -e->code;
	return ipam_load(p, path, e);
}

/* "veth" + the first 7 hex of the ID, as the notes name it; when a link
 * of that name exists (another ID with the same prefix), the next 7. */
static void veth_name(const char *id, char *buf, size_t size)
{
	size_t len = strlen(id);

	for (size_t k = 0; k + 7 <= len; k += 7) {
		snprintf(buf, size, "veth%.7s", id + k);
		if (!net_link_exists(buf))
			return;
	}
	snprintf(buf, size, "veth%.7s", id); /* all taken: the kernel says so */
}

int br_prune(const char *root, const struct br_net *n, bool (*keep)(const char *id, void *ctx),
	     void *ctx, struct berr *e)
{
	struct ipam p;
	char path[600];
	int r, before;

	r = open_table(root, n, &p, path, sizeof(path), e);
	if (r == 0) {
		before = p.n;
		for (int i = p.n - 1; i >= 0; i--) {
			/* the id is the table's own: -ENOENT cannot come */
			if (!keep(p.v[i].id, ctx))
				berr_ignore(ipam_release(&p, p.v[i].id));
		}
		if (p.n != before)
			r = ipam_save(&p, path, e);
	}
	ipam_free(&p);
	return r < 0 ? berr_wrap(e, "prune addresses") : 0;
}

int br_acquire(const char *root, const struct br_net *n, const char *id, const char *want,
	       struct br_lease *l, struct berr *e)
{
	struct ipam p;
	char path[600];
	uint32_t a;
	int r;

	memset(l, 0, sizeof(*l));
	r = open_table(root, n, &p, path, sizeof(path), e);
	if (r == 0)
		r = want ? ipam_take(&p, id, want, &a, e) : ipam_alloc(&p, id, &a, e);
	if (r == 0)
		r = ipam_save(&p, path, e);
	if (r == 0) {
		ipam_ntoa(a, l->ip);
		ipam_ntoa(p.gateway, l->gateway);
		l->prefix = p.prefix;
		ipam_mac(a, l->mac);
		veth_name(id, l->veth, sizeof(l->veth));
		snprintf(l->bridge, sizeof(l->bridge), "%s", n->bridge);
	}
	ipam_free(&p);
	return r < 0 ? berr_wrap(e, "address") : 0;
}

int br_release_ids(const char *root, const struct br_net *n, const char *const *ids, int k,
		   struct berr *e)
{
	struct ipam p;
	char path[600];
	int r, released = 0;

	r = open_table(root, n, &p, path, sizeof(path), e);
	for (int i = 0; r == 0 && i < k; i++)
		released += ipam_release(&p, ids[i]) == 0;
	if (r == 0 && released)
		r = ipam_save(&p, path, e);
	ipam_free(&p);
	return r < 0 ? berr_wrap(e, "release address") : 0;
}

int br_release(const char *root, const struct br_net *n, const char *id, struct berr *e)
{
	return br_release_ids(root, n, &id, 1, e);
}

int br_attach(pid_t pid, void *ctx, struct berr *e)
{
	const struct br_lease *l = ctx;
	struct net_veth v = { .bridge = l->bridge, .host = l->veth, .pid = pid,
			      .gateway = l->ifname[0] ? NULL : l->gateway,
			      .peer = l->ifname[0] ? l->ifname : NULL };
	char cidr[24];
	unsigned m[6];

	snprintf(cidr, sizeof(cidr), "%s/%d", l->ip, l->prefix);
	v.cidr = cidr;
	if (sscanf(l->mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return berr_msg(e, EINVAL, "bad MAC %s", l->mac);
	for (int i = 0; i < 6; i++)
		v.mac[i] = (unsigned char)m[i];
	if (net_veth_setup(&v, e) < 0)
		return berr_wrap(e, "network");
	return 0;
}
