/* network_up.c - a user network's bridge and rules; see network.h. */
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iptables.h"
#include "netlink.h"
#include "runtime/lib/log.h"

/* The isolation chains for the networks in the store. */
static int isolation_apply(const char *root, const char *def_bridge, struct berr *e)
{
	struct net_def *v;
	char *rules;
	size_t size;
	int n, r;

	if (net_list(root, &v, &n, e) < 0)
		return -e->code;
	size = 512 + (size_t)n * 512;
	rules = malloc(size);
	r = rules ? net_isolation_rules(def_bridge, v, n, rules, size) : -ENOMEM;
	if (r < 0)
		r = berr_set(e, -r, "isolation rules");
	else
		r = ipt_restore(rules, e);
	free(rules);
	free(v);
	return r < 0 ? berr_wrap(e, "isolate networks") : 0;
}

int net_up(const char *root, const char *def_bridge, const struct net_def *d, struct berr *e)
{
	char cidr[24], rules[1024];
	const char *slash = strchr(d->subnet, '/');
	struct berr del;

	if (net_link_exists(d->bridge))
		return 0;
	snprintf(cidr, sizeof(cidr), "%s%s", d->gateway, slash ? slash : "/16");
	if (net_bridge_add(d->bridge, e) < 0 || net_addr_add(d->bridge, cidr, e) < 0 ||
	    net_link_up(d->bridge, e) < 0 || net_ipv4_conf(NULL, "ip_forward", "1", e) < 0 ||
	    net_ipv4_conf(d->bridge, "route_localnet", "1", e) < 0)
		goto fail;
	if (net_bridge_rules(d, true, rules, sizeof(rules)) < 0) {
		berr_set(e, ENOSPC, "rules");
		goto fail;
	}
	if (ipt_restore(rules, e) < 0)
		goto fail;
	if (isolation_apply(root, def_bridge, e) == 0)
		return 0;
	if (net_bridge_rules(d, false, rules, sizeof(rules)) == 0 && ipt_restore(rules, &del) < 0)
		log_warn("network %s: rules left behind: %s", d->name, del.msg);
fail:
	if (net_link_del(d->bridge, &del) < 0)
		log_warn("network %s: bridge left behind: %s", d->name, del.msg);
	return berr_wrap(e, "network %s: bridge %s", d->name, d->bridge);
}

int net_down(const char *root, const char *def_bridge, const struct net_def *d, struct berr *e)
{
	char rules[1024];
	struct berr ignored;
	int r = 0;

	/* After a reboot the link and its rules may never have come back. */
	if (net_link_exists(d->bridge)) {
		if (net_bridge_rules(d, false, rules, sizeof(rules)) == 0 &&
		    ipt_restore(rules, &ignored) < 0)
			log_warn("network %s: remove its rules: %s", d->name, ignored.msg);
		r = net_link_del(d->bridge, e);
	}
	if (isolation_apply(root, def_bridge, r < 0 ? &ignored : e) < 0 && r == 0)
		r = -e->code;
	return r < 0 ? berr_wrap(e, "network %s", d->name) : 0;
}
