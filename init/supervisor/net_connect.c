/* net_connect.c - a container on more than one network: the verbs
 * `network-connect` and `network-disconnect`, its further networks
 * (cfg.xnets, inside eth1, eth2, ...) at each start and exit, and which
 * address of a neighbour its /etc/hosts names.
 *
 * A further network is a lease on that network's table like the first
 * one's, a veth whose host end is "veth" + 7 hex of the container's ID + 4
 * of the network's, and no default route (the first network keeps it, as
 * in Docker). On a running container, connect and disconnect are the
 * start's netlink calls and address table write, bounded as a start is;
 * a disconnect deletes the interface inside by the name it was given
 * (after a supervisor restart, one adopting the container: the name it
 * had at its start). Disconnecting the first network makes the next one
 * first, with the default route; the last one leaves the container on
 * "none". */
#include "ctrs_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/log.h"
#include "runtime/lib/strv.h"
#include "runtime/net/netlink.h"

/* The network a bridge container is on first: "bridge" or a user one. */
static const char *first_net(const struct ctr *c)
{
	enum ctr_net mode;
	const char *ref;
	struct berr e;

	if (ctr_network_parse(c->cfg.network, &mode, &ref, &e) < 0 || mode != CTR_NET_BRIDGE)
		return NULL;
	return ref ? ref : "bridge";
}

bool ctrs_net_shared(const struct ctr *viewer, const struct ctr *o, const char **ip,
		     char *const **aliases)
{
	const char *vf = first_net(viewer), *of = first_net(o);

	for (int i = -1; i < viewer->cfg.nxnets; i++) {
		const char *name = i < 0 ? vf : viewer->cfg.xnets[i].name;

		if (!name)
			continue;
		if (of && o->st.ip[0] && strcmp(name, of) == 0) {
			*ip = o->st.ip;
			*aliases = o->cfg.aliases;
			return true;
		}
		for (int k = 0; o->xl && k < o->cfg.nxnets; k++) {
			if (o->xl[k].ip[0] && strcmp(name, o->cfg.xnets[k].name) == 0) {
				*ip = o->xl[k].ip;
				*aliases = o->cfg.xnets[k].aliases;
				return true;
			}
		}
	}
	return false;
}

/* Further network i's address (c->xl[i]: want, or the one c holds, or
 * a free one) and names, its bridge made if missing when up. */
static int xnet_addr(struct ctrs *cs, struct ctr *c, int i, const char *want, bool up,
		     struct ctr_netref *nr, struct berr *e)
{
	struct br_lease *l = &c->xl[i];

	if (ctrs_net_named(cs, c->cfg.xnets[i].name, nr, up, e) < 0) /* names it */
		return -e->code;
	if (br_acquire(cs->root, &nr->n, c->cfg.id, nr->user ? want : NULL, l, e) < 0)
		return berr_wrap(e, "network %s", c->cfg.xnets[i].name);
	snprintf(l->veth, sizeof(l->veth), "veth%.7s%.4s", c->cfg.id,
		 nr->user ? nr->def.id : "0000");
	snprintf(l->ifname, sizeof(l->ifname), "eth%d", i + 1);
	return 0;
}

/* Further network i's address at a start or a connect: an event. */
static int xnet_lease(struct ctrs *cs, struct ctr *c, int i, struct berr *e)
{
	struct ctr_netref nr;

	if (xnet_addr(cs, c, i, c->cfg.xnets[i].ip, true, &nr, e) < 0)
		return -e->code;
	ctrs_net_event(&nr, c, "connect");
	return 0;
}

/* Further network i's address goes back; an event if it was attached. */
static void xnet_release(struct ctrs *cs, struct ctr *c, int i)
{
	struct ctr_netref nr;
	struct berr e;

	if (ctrs_net_named(cs, c->cfg.xnets[i].name, &nr, false, &e) < 0 ||
	    br_release(cs->root, &nr.n, c->cfg.id, &e) < 0) {
		if (e.code != ENOENT)
			log_err("container %.12s: %s", c->cfg.id, e.msg);
		return;
	}
	if (c->xl && c->xl[i].ip[0])
		ctrs_net_event(&nr, c, "disconnect");
}

void ctrs_xnets_down(struct ctrs *cs, struct ctr *c)
{
	for (int i = 0; i < c->cfg.nxnets; i++)
		xnet_release(cs, c, i);
	free(c->xl);
	c->xl = NULL;
}

int ctrs_xnets_acquire(struct ctrs *cs, struct ctr *c, struct berr *e)
{
	free(c->xl);
	c->first_if[0] = '\0';
	c->xl = calloc(c->cfg.nxnets + 1, sizeof(*c->xl));
	if (!c->xl)
		return berr_set(e, ENOMEM, "networks");
	for (int i = 0; i < c->cfg.nxnets; i++) {
		if (xnet_lease(cs, c, i, e) < 0) {
			ctrs_xnets_down(cs, c);
			return -e->code;
		}
	}
	return 0;
}

int ctrs_attach_all(pid_t pid, void *ctx, struct berr *e)
{
	struct ctrs_attach *a = ctx;
	int r = br_attach(pid, a->lease, e);

	for (int i = 0; r == 0 && i < a->c->cfg.nxnets; i++)
		r = br_attach(pid, &a->c->xl[i], e);
	return r;
}

/* Which of c's networks net is: -1 the first, an index of xnets, or
 * -ENOENT. */
static int net_index(const struct ctr *c, const char *net)
{
	const char *f = first_net(c);

	if (f && strcmp(f, net) == 0)
		return -1;
	for (int i = 0; i < c->cfg.nxnets; i++) {
		if (strcmp(c->cfg.xnets[i].name, net) == 0)
			return i;
	}
	return -ENOENT;
}

/* The new last further network of a running c, attached: ethN free. */
static int attach_live(struct ctrs *cs, struct ctr *c, struct berr *e)
{
	int i = c->cfg.nxnets - 1;
	struct br_lease *xl = realloc(c->xl, (i + 1) * sizeof(*xl));

	if (!xl)
		return berr_set(e, ENOMEM, "networks");
	c->xl = xl;
	memset(&xl[i], 0, sizeof(*xl));
	if (xnet_lease(cs, c, i, e) < 0)
		return -e->code;
	if (net_ns_free_eth(c->st.pid, xl[i].ifname, e) < 0 || br_attach(c->st.pid, &xl[i], e) < 0) {
		xnet_release(cs, c, i);
		xl[i].ip[0] = '\0';
		return -e->code;
	}
	return 0;
}

/* Docker's refusal to connect c, or NULL: a container on "none" may
 * take a first network while it is not running. */
static const char *connect_refusal(const struct ctr *c)
{
	enum ctr_net mode;
	const char *ref;
	struct berr e;

	if (ctr_network_parse(c->cfg.network, &mode, &ref, &e) < 0 || mode == CTR_NET_CONTAINER)
		return "container sharing network namespace with another container or host "
		       "cannot be connected to any other network";
	if (mode == CTR_NET_HOST)
		return "container cannot be disconnected from host network or connected to host "
		       "network";
	if (mode == CTR_NET_NONE && c->st.status == CTR_RUNNING)
		return "container cannot be connected to multiple networks with one of the "
		       "networks in private (none) mode";
	return NULL;
}

/* x as c's network: its first one when it is on none, else the next. */
static int add_xnet(struct ctrs *cs, struct ctr *c, struct ctr_xnet *x, struct berr *e)
{
	struct ctr_xnet *v;

	if (!first_net(c)) {
		free(c->cfg.network);
		c->cfg.network = x->name;
		c->cfg.ip = x->ip;
		c->cfg.aliases = x->aliases;
		return 0;
	}
	v = realloc(c->cfg.xnets, (c->cfg.nxnets + 1) * sizeof(*v));
	if (!v)
		return berr_set(e, ENOMEM, "networks");
	c->cfg.xnets = v;
	v[c->cfg.nxnets++] = *x;
	if (c->st.status == CTR_RUNNING && attach_live(cs, c, e) < 0) {
		ctr_xnet_free(&c->cfg.xnets[--c->cfg.nxnets]);
		return -e->code;
	}
	return 0;
}

/* network-connect NET ID [IP|-] [ALIAS...]: the CLI found the network and
 * checked the address against its subnet. */
static int verb_connect(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r)
{
	struct ctr *c = ctrs_find(cs, req->argv[2], r);
	const char *net = req->argv[1], *ip = req->argc > 3 ? req->argv[3] : "-", *no;
	struct ctr_xnet x = { 0 };
	struct ctr_netref nr;
	struct berr e;

	if (!c)
		return 1;
	no = connect_refusal(c);
	if (no) {
		reply_error(r, "%s", no);
		return 1;
	}
	if (net_index(c, net) != -ENOENT) {
		reply_error(r, "endpoint with name %s already exists in network %s", c->cfg.name, net);
		return 1;
	}
	if (ctrs_net_named(cs, net, &nr, false, &e) < 0) {
		reply_error(r, "%s", e.msg);
		return 1;
	}
	for (int i = 4; i < req->argc; i++) {
		if (!net_name_chars(req->argv[i])) { /* a line of /etc/hosts */
			reply_error(r, "invalid alias: %s", req->argv[i]);
			return 1;
		}
	}
	x.name = strdup(net);
	x.ip = strcmp(ip, "-") ? strdup(ip) : NULL;
	x.aliases = req->argc > 4 ? strv_dup(req->argv + 4) : NULL;
	if (!x.name || (req->argc > 4 && !x.aliases)) {
		ctr_xnet_free(&x);
		reply_error(r, "out of memory");
		return 1;
	}
	if (add_xnet(cs, c, &x, &e) < 0) {
		reply_error(r, "%s", e.msg);
		return 1;
	}
	if (ctr_config_save(cs->root, &c->cfg, &e) < 0)
		log_err("container %.12s: %s", c->cfg.id, e.msg);
	if (c->st.status == CTR_RUNNING)
		ctrs_hosts_refresh(cs, c);
	return 0;
}

/* Further network i out of c's lists (its strings freed when free_it). */
static void drop_xnet(struct ctr *c, int i, bool free_it)
{
	int rest = c->cfg.nxnets - i - 1;

	if (free_it)
		ctr_xnet_free(&c->cfg.xnets[i]);
	memmove(&c->cfg.xnets[i], &c->cfg.xnets[i + 1], rest * sizeof(*c->cfg.xnets));
	if (c->xl)
		memmove(&c->xl[i], &c->xl[i + 1], rest * sizeof(*c->xl));
	c->cfg.nxnets--;
}

/* A running c off its first network: interface, published ports and
 * address gone. */
static void detach_first(struct ctrs *cs, struct ctr *c)
{
	struct ctr_netref nr;
	struct berr e;

	if (ctrs_net_resolve(cs, c, &nr, false, &e) == 0) {
		ctrs_ports_remove(cs, c->st.ports, c->st.ip, nr.n.bridge);
		ctrs_net_event(&nr, c, "disconnect");
	}
	if (net_ns_link_del(c->st.pid, c->first_if[0] ? c->first_if : "eth0", &e) < 0 ||
	    ctrs_addr_release(cs, c, &e) < 0)
		log_err("container %.12s: %s", c->cfg.id, e.msg);
	memset(c->st.ip, 0, sizeof(c->st.ip));
	c->st.gateway[0] = c->st.mac[0] = c->st.ports[0] = '\0';
	c->st.ip_prefix = 0;
}

/* The next network becomes c's first (with the default route while it
 * runs), or none is left. */
static void promote(struct ctr *c)
{
	struct br_lease *l = c->xl;
	struct berr e;

	free(c->cfg.network);
	free(c->cfg.ip);
	strv_freev(c->cfg.aliases);
	c->cfg.network = NULL;
	c->cfg.ip = NULL;
	c->cfg.aliases = NULL;
	if (!c->cfg.nxnets) {
		c->cfg.network = strdup("none");
		return;
	}
	c->cfg.network = c->cfg.xnets[0].name;
	c->cfg.ip = c->cfg.xnets[0].ip;
	c->cfg.aliases = c->cfg.xnets[0].aliases;
	if (l && l->ip[0]) {
		memcpy(c->st.ip, l->ip, sizeof(c->st.ip));
		memcpy(c->st.gateway, l->gateway, sizeof(c->st.gateway));
		memcpy(c->st.mac, l->mac, sizeof(c->st.mac));
		c->st.ip_prefix = l->prefix;
		memcpy(c->first_if, l->ifname, sizeof(c->first_if));
		if (net_ns_route_default(c->st.pid, l->gateway, &e) < 0)
			log_err("container %.12s: %s", c->cfg.id, e.msg);
	}
	drop_xnet(c, 0, false);
}

/* c off further network i (its interface gone while it runs). */
static void detach_xnet(struct ctrs *cs, struct ctr *c, int i, bool running)
{
	char ifname[16];
	struct berr e;

	snprintf(ifname, sizeof(ifname), "eth%d", i + 1); /* adopted: as it started */
	if (running && net_ns_link_del(c->st.pid, c->xl ? c->xl[i].ifname : ifname, &e) < 0)
		log_err("container %.12s: %s", c->cfg.id, e.msg);
	if (running)
		xnet_release(cs, c, i);
	drop_xnet(c, i, true);
}

/* network-disconnect NET ID [--force], as Docker's: a stopped container
 * (or, forced, a running one) leaves a network that is gone too; a
 * stopped one's disconnect is an event as a running one's. */
static int verb_disconnect(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r)
{
	struct ctr *c = ctrs_find(cs, req->argv[2], r);
	bool force = req->argc > 3 && strcmp(req->argv[3], "--force") == 0, running, known;
	const char *net = req->argv[1];
	struct ctr_netref nr;
	struct berr e;
	int i;

	if (!c)
		return 1;
	running = c->st.status == CTR_RUNNING;
	known = ctrs_net_named(cs, net, &nr, false, &e) == 0;
	i = net_index(c, net);
	if (i == -ENOENT || (running && !known && !force)) {
		if (i == -ENOENT)
			reply_error(r, "container %s is not connected to %snetwork %s", c->cfg.id,
				    running ? "" : "the ", net);
		else
			reply_error(r, "%s", e.msg);
		return 1;
	}
	if (running)
		ctrs_hosts_remove(cs, c); /* while its addresses still name it */
	if (i >= 0)
		detach_xnet(cs, c, i, running);
	else if (running && c->st.ip[0])
		detach_first(cs, c);
	if (i < 0)
		promote(c);
	if (ctr_config_save(cs->root, &c->cfg, &e) < 0)
		log_err("container %.12s: %s", c->cfg.id, e.msg);
	if (running) {
		ctrs_save_state(cs, c);
		ctrs_hosts_refresh(cs, c);
	} else if (known) {
		ctrs_net_event(&nr, c, "disconnect");
	}
	return 0;
}

/* An adopted c's further networks as they were (c->xl): the addresses
 * it holds, its interfaces by the names they had at its start. */
void ctrs_xnets_adopt(struct ctrs *cs, struct ctr *c)
{
	free(c->xl);
	c->xl = calloc(c->cfg.nxnets + 1, sizeof(*c->xl));
	for (int i = 0; c->xl && i < c->cfg.nxnets; i++) {
		struct ctr_netref nr;
		struct berr e;

		if (xnet_addr(cs, c, i, NULL, false, &nr, &e) < 0) {
			log_err("container %.12s: %s", c->cfg.id, e.msg);
			memset(&c->xl[i], 0, sizeof(c->xl[i]));
		}
	}
}

bool ctrs_connect_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			  int *status)
{
	bool connect = strcmp(req->argv[0], "network-connect") == 0;

	if (!connect && strcmp(req->argv[0], "network-disconnect") != 0)
		return false;
	if (req->argc < 3) {
		reply_error(r, "%s: want NETWORK CONTAINER", req->argv[0]);
		*status = 1;
	} else {
		*status = connect ? verb_connect(cs, req, r) : verb_disconnect(cs, req, r);
	}
	return true;
}
