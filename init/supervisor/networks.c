/* networks.c - user-defined networks in the supervisor: the verbs
 * `network-create` and `network-rm` (the CLI reads the definitions itself
 * for ls and inspect), which network a container joins, and the network's
 * events.
 *
 * The supervisor alone writes the definitions (runtime/net/network.h), so
 * two creates never race for a name or a subnet, and only it knows which
 * containers run on a network, which a removal must refuse as Docker
 * does. A network's bridge and rules are made at its creation, or at the
 * first start of one of its containers after a reboot; both are a few
 * netlink calls and one iptables-restore, the same bounded work as a
 * container's start. */
#include "ctrs_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "events.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"
#include "runtime/lib/log.h"
#include "runtime/net/network.h"

/* The subnets a new network must not overlap: the default bridge's,
 * every network's and the host's routes (but the default route). */
static int used_subnets(struct ctrs *cs, const struct net_def *v, int n, struct net_cidr **out)
{
	char text[16384], *line, *save = NULL;
	struct net_cidr *u = malloc((n + 1 + 256) * sizeof(*u));
	int k = 0;

	if (!u)
		return -ENOMEM;
	if (net_cidr_parse(cs->bridge_cidr, &u[k]) == 0)
		k++;
	for (int i = 0; i < n; i++)
		k += net_cidr_parse(v[i].subnet, &u[k]) == 0;
	if (read_file("/proc/self/net/route", text, sizeof(text)) < 0)
		text[0] = '\0';
	for (line = strtok_r(text, "\n", &save); line && k < n + 1 + 256;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned dst, gw, flags, mask;
		char ifname[32];

		/* Iface Destination Gateway Flags RefCnt Use Metric Mask: hex, host order */
		if (sscanf(line, "%31s %x %x %x %*d %*d %*d %x", ifname, &dst, &gw, &flags, &mask) != 5 ||
		    mask == 0)
			continue;
		u[k].addr = __builtin_bswap32(dst) & __builtin_bswap32(mask);
		u[k].prefix = __builtin_popcount(mask);
		k += u[k].prefix > 0 && u[k].prefix <= 32;
	}
	*out = u;
	return k;
}

static bool net_in_use(struct ctrs *cs, const char *name)
{
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->st.status != CTR_RUNNING)
			continue;
		if (c->cfg.network && strcmp(c->cfg.network, name) == 0)
			return true;
		for (int i = 0; i < c->cfg.nxnets; i++) {
			if (strcmp(c->cfg.xnets[i].name, name) == 0)
				return true;
		}
	}
	return false;
}

static void net_event(const struct net_def *d, const char *action, const char *ctr_id)
{
	char name[96], ctr[96], *attrs[3];
	int n = 0;

	if (ctr_id) {
		snprintf(ctr, sizeof(ctr), "container=%s", ctr_id);
		attrs[n++] = ctr;
	}
	snprintf(name, sizeof(name), "name=%s", d->name);
	attrs[n++] = name;
	attrs[n++] = (char *)"type=bridge";
	ev_emit("network", action, d->id, attrs, n);
}

/* network-create NAME [--subnet CIDR] [--gateway IP] [--internal] [--label K=V]... */
static int create_def(struct ctrs *cs, struct proto_request *req, struct net_def *d,
		      struct berr *e)
{
	const char *subnet = NULL, *gateway = NULL, *name = req->argv[1];
	struct net_def *v, old;
	struct net_cidr *u;
	char id[CTR_ID_LEN + 1];
	int n, k, r;

	if (net_load(cs->root, name, &old, e) == 0 || net_predefined(name))
		return berr_msg(e, EEXIST, "network with name %s already exists", name);
	if (net_list(cs->root, &v, &n, e) < 0)
		return -e->code;
	k = used_subnets(cs, v, n, &u);
	free(v);
	if (k < 0)
		return berr_set(e, -k, "create network %s", name);
	for (int i = 2; i + 1 < req->argc; i += 2) {
		if (strcmp(req->argv[i], "--subnet") == 0)
			subnet = req->argv[i + 1];
		else if (strcmp(req->argv[i], "--gateway") == 0)
			gateway = req->argv[i + 1];
	}
	ctr_new_id(id);
	r = net_def_init(d, id, name, subnet, gateway, u, k, e);
	free(u);
	for (int i = 2; r == 0 && i < req->argc; i++) {
		if (strcmp(req->argv[i], "--internal") == 0)
			d->internal = true;
		else if (strcmp(req->argv[i], "--label") != 0 || i + 1 == req->argc)
			continue;
		else if (d->nlabels == NET_LABELS_MAX)
			r = berr_msg(e, E2BIG, "network %s: more than %d labels", name, NET_LABELS_MAX);
		else if (strlen(req->argv[++i]) >= sizeof(d->labels[0]))
			r = berr_msg(e, E2BIG, "network %s: label %.32s...: longer than %zu bytes",
				     name, req->argv[i], sizeof(d->labels[0]) - 1);
		else
			strcpy(d->labels[d->nlabels++], req->argv[i]);
	}
	d->created_ns = wall_ns();
	return r;
}

static void verb_create(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct net_def d;
	struct berr e, rm;

	*status = 1;
	if (req->argc < 2) {
		reply_error(r, "network-create: want NAME [--subnet CIDR] [--gateway IP] ...");
		return;
	}
	/* berth0 first: its chains (BERTH-FORWARD, the isolation ones) too */
	if (br_ensure(cs->bridge_cidr, &e) < 0 || create_def(cs, req, &d, &e) < 0 ||
	    net_save(cs->root, &d, &e) < 0) {
		reply_error(r, "%s", e.msg);
		return;
	}
	if (net_up(cs->root, BR_NAME, &d, &e) < 0) {
		if (net_remove(cs->root, d.name, &rm) < 0)
			log_err("network %s: %s", d.name, rm.msg);
		reply_error(r, "%s", e.msg);
		return;
	}
	log_info("network %s: created, subnet %s on %s", d.name, d.subnet, d.bridge);
	net_event(&d, "create", NULL);
	reply_printf(r, "%s\n", d.id);
	*status = 0;
}

/* network-rm [--prune] REF...: --prune skips networks in use silently. */
static void verb_rm(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status)
{
	bool prune = req->argc > 1 && strcmp(req->argv[1], "--prune") == 0;

	*status = 0;
	for (int i = 1 + prune; i < req->argc; i++) {
		const char *ref = req->argv[i];
		struct net_def d;
		struct berr e;

		if (net_predefined(ref)) {
			reply_error(r, "%s is a pre-defined network and cannot be removed", ref);
			*status = 1;
			continue;
		}
		if (net_find(cs->root, ref, &d, &e) < 0) {
			if (e.code == ENOENT)
				reply_error(r, "No such network: %s", ref);
			else
				reply_error(r, "%s", e.msg);
			*status = 1;
			continue;
		}
		if (net_in_use(cs, d.name)) {
			if (!prune) {
				reply_error(r, "error while removing network: network %s id %s has "
					       "active endpoints", d.name, d.id);
				*status = 1;
			}
			continue;
		}
		if (net_remove(cs->root, d.name, &e) < 0 || net_down(cs->root, BR_NAME, &d, &e) < 0) {
			reply_error(r, "%s", e.msg);
			*status = 1;
			continue;
		}
		net_event(&d, "destroy", NULL);
		reply_printf(r, "%s\n", prune ? d.name : ref);
	}
}

bool ctrs_net_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		      int *status)
{
	if (strcmp(req->argv[0], "network-create") == 0)
		verb_create(cs, req, r, status);
	else if (strcmp(req->argv[0], "network-rm") == 0)
		verb_rm(cs, req, r, status);
	else
		return ctrs_connect_request(cs, req, r, status);
	return true;
}

/* nr->def's bridge and address table into nr->n. */
static void netref_fill(struct ctr_netref *nr)
{
	const char *slash = strchr(nr->def.subnet, '/');

	nr->user = true;
	snprintf(nr->cidr, sizeof(nr->cidr), "%s%s", nr->def.gateway, slash ? slash : "/16");
	snprintf(nr->ipam, sizeof(nr->ipam), "ipam-%s", nr->def.name);
	nr->n = (struct br_net){ nr->def.bridge, nr->cidr, nr->ipam };
}

int ctrs_net_named(struct ctrs *cs, const char *ref, struct ctr_netref *nr, bool up,
		   struct berr *e)
{
	memset(nr, 0, sizeof(*nr));
	nr->n = (struct br_net){ BR_NAME, cs->bridge_cidr, "ipam" };
	if (!ref || strcmp(ref, "bridge") == 0)
		return 0;
	if (net_load(cs->root, ref, &nr->def, e) < 0)
		return -e->code;
	if (up && net_up(cs->root, BR_NAME, &nr->def, e) < 0)
		return -e->code;
	netref_fill(nr);
	return 0;
}

/* c's bridge and address table; its network's bridge made if it is not
 * there (after a reboot). */
int ctrs_net_resolve(struct ctrs *cs, const struct ctr *c, struct ctr_netref *nr, bool up,
		     struct berr *e)
{
	enum ctr_net mode;
	const char *ref;

	memset(nr, 0, sizeof(*nr));
	nr->n = (struct br_net){ BR_NAME, cs->bridge_cidr, "ipam" };
	if (ctr_network_parse(c->cfg.network, &mode, &ref, e) < 0)
		return -e->code;
	if (mode != CTR_NET_BRIDGE)
		return 0;
	return ctrs_net_named(cs, ref, nr, up, e);
}

/* A user network's connect or disconnect event for c. */
void ctrs_net_event(const struct ctr_netref *nr, const struct ctr *c, const char *action)
{
	if (nr->user)
		net_event(&nr->def, action, c->cfg.id);
}

/* At the supervisor's start: each network's addresses of containers that
 * no longer run go back, as the default bridge's do. */
void ctrs_net_prune(struct ctrs *cs, bool (*keep)(const char *id, void *ctx))
{
	struct net_def *v;
	struct berr e;
	int n;

	if (net_list(cs->root, &v, &n, &e) < 0) {
		log_err("network: %s", e.msg);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct ctr_netref nr = { .def = v[i] };

		netref_fill(&nr);
		if (br_prune(cs->root, &nr.n, keep, cs, &e) < 0)
			log_err("network %s: %s", v[i].name, e.msg);
	}
	free(v);
}
