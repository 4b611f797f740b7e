/* cli_netconn.c - `berth network connect` and `disconnect`, and what
 * inspect shows of a container's further networks.
 *
 * The supervisor does the work (network-connect, network-disconnect in
 * init/supervisor/net_connect.c): it alone knows whether the container
 * runs and holds its /etc/hosts. The CLI finds the network by name or ID
 * and checks --ip against its subnet first, as Docker's daemon does. */
#include "cli_network.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "runtime/net/network.h"

struct conn_opts {
	const char *ip;
	bool force;
	struct strv aliases;
};

#define C(f) struct conn_opts, f
static const struct flg connect_flags[] = {
	FLG_STRINGS(0, "alias", C(aliases), "Add network-scoped alias for the container"),
	FLG_STRING(0, "ip", C(ip), "IPv4 address (e.g., \"172.30.100.104\")"),
	FLG_END,
};

static const struct flg disconnect_flags[] = {
	FLG_BOOL('f', "force", C(force), "Force the container to disconnect from a network"),
	FLG_END,
};

static int net_cmd_connect(void *ctx, int argc, char **argv);
static int net_cmd_disconnect(void *ctx, int argc, char **argv);

const struct flg_cmd cli_net_connect_cmd = {
	.path = "network connect",
	.usage = "[OPTIONS] NETWORK CONTAINER",
	.desc = "Connect a container to a network",
	.flags = connect_flags,
	.run = net_cmd_connect,
	.min_args = 2,
	.max_args = 2,
};

const struct flg_cmd cli_net_disconnect_cmd = {
	.path = "network disconnect",
	.usage = "[OPTIONS] NETWORK CONTAINER",
	.desc = "Disconnect a container from a network",
	.flags = disconnect_flags,
	.run = net_cmd_disconnect,
	.min_args = 2,
	.max_args = 2,
};

/* ref as a user network's definition (or, for connect and disconnect,
 * the default bridge: d->name "bridge"); Docker's error printed. */
static int find_user_net(const char *root, const char *ref, struct net_def *d, bool bridge_ok)
{
	struct berr e;

	if (bridge_ok && strcmp(ref, "bridge") == 0) {
		memset(d, 0, sizeof(*d));
		strcpy(d->name, "bridge");
		return 0;
	}
	if (net_predefined(ref)) {
		fprintf(stderr, "berth: %s\n",
			strcmp(ref, "bridge") == 0 ?
				"conflicting options: cannot attach both user-defined and "
				"non-user-defined network-modes" :
				"container cannot be disconnected from host network or connected "
				"to host network");
		return -1;
	}
	if (net_find(root, ref, d, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int net_cmd_connect(void *ctx, int argc, char **argv)
{
	struct conn_opts o = { 0 };
	struct strv req = { 0 };
	struct net_def d;
	struct flg_out a;
	int rc = 1;

	if (flg_verb(&cli_net_connect_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (find_user_net(ctx, a.argv[0], &d, true) == 0 &&
	    (d.id[0] ? cli_network_ip_check(&d, o.ip) : cli_network_not_user(o.ip, o.aliases.n)) == 0) {
		rc = strv_add(&req, "network-connect") < 0 || strv_add(&req, d.name) < 0 ||
		     strv_add(&req, a.argv[1]) < 0 || strv_add(&req, o.ip ? o.ip : "-") < 0;
		for (int i = 0; rc == 0 && i < o.aliases.n; i++)
			rc = strv_add(&req, o.aliases.v[i]) < 0;
		rc = rc ? 1 : client_call(ctx, req.n, req.v);
	}
	strv_free(&req);
	strv_free(&o.aliases);
	return rc;
}

/* A network that is gone is passed on by its name: Docker takes a stopped
 * container (or, with -f, a running one) off it all the same. */
static int net_cmd_disconnect(void *ctx, int argc, char **argv)
{
	struct conn_opts o = { 0 };
	struct net_def d;
	struct flg_out a;
	struct berr e;
	char *req[5] = { "network-disconnect", d.name, NULL, "--force", NULL };

	if (flg_verb(&cli_net_disconnect_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (!net_predefined(a.argv[0]) && net_find(ctx, a.argv[0], &d, &e) == -ENOENT)
		snprintf(d.name, sizeof(d.name), "%s", a.argv[0]);
	else if (find_user_net(ctx, a.argv[0], &d, true) < 0)
		return 1;
	req[2] = a.argv[1];
	return client_call(ctx, o.force ? 4 : 3, req);
}

/* A further --network: NAME or name=NET[,alias=A]...[,ip=IP], checked,
 * into x. 0, or -1 after Docker's error. */
static int further_net(const char *root, const char *spec, struct ctr_xnet *x)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	const char *name = strchr(spec, '=') ? NULL : spec, *ip = NULL;
	struct strv al = { 0 };
	struct net_def d;
	int r = copy ? 0 : -1;

	for (tok = name ? NULL : strtok_r(copy, ",", &save); tok && r == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "name=", 5) == 0)
			name = tok + 5;
		else if (strncmp(tok, "ip=", 3) == 0)
			ip = tok + 3;
		else if (strncmp(tok, "alias=", 6) != 0 || strv_add(&al, tok + 6) < 0)
			r = -1;
	}
	if (r < 0 || !name)
		fprintf(stderr, "berth: invalid network option: %s\n", spec);
	else if (find_user_net(root, name, &d, false) == 0 && cli_network_ip_check(&d, ip) == 0)
		*x = (struct ctr_xnet){ strdup(d.name), ip ? strdup(ip) : NULL,
					al.n ? strv_dup(al.v) : NULL };
	free(copy);
	strv_free(&al);
	return x->name ? 0 : -1;
}

int cli_network_run_more(const char *root, const struct strv *nets, struct ctr_config *c)
{
	c->xnets = nets->n > 1 ? calloc(nets->n, sizeof(*c->xnets)) : NULL;
	for (int i = 1; c->xnets && i < nets->n; i++) {
		struct ctr_xnet *x = &c->xnets[c->nxnets];

		if (further_net(root, nets->v[i], x) < 0)
			return 125;
		if (strcmp(x->name, c->network) == 0 || cli_network_on(c, x->name)) {
			fprintf(stderr, "berth: network %s given twice\n", x->name);
			ctr_xnet_free(x);
			return 125;
		}
		c->nxnets++;
	}
	return nets->n > 1 && !c->xnets ? 125 : 0;
}

bool cli_network_on(const struct ctr_config *c, const char *name)
{
	for (int i = 0; i < c->nxnets; i++) {
		if (strcmp(c->xnets[i].name, name) == 0)
			return true;
	}
	return false;
}

void cli_network_xnets_json(const char *root, const struct ctr_config *c,
			    const struct ctr_state *s, json_t *nets)
{
	for (int i = 0; i < c->nxnets; i++) {
		char ip[16] = "", mac[18] = "";
		struct net_def d = { 0 };
		struct berr e;

		if (s->status == CTR_RUNNING && net_load(root, c->xnets[i].name, &d, &e) == 0 &&
		    net_held(root, &d, c->id, ip, mac, &e) < 0)
			ip[0] = '\0';
		json_object_set_new(nets, c->xnets[i].name,
				    json_pack("{s:s, s:i, s:s, s:s}", "IPAddress", ip,
					      "IPPrefixLen", ip[0] ? atoi(strchr(d.subnet, '/') + 1) : 0,
					      "Gateway", ip[0] ? d.gateway : "", "MacAddress", mac));
	}
}
