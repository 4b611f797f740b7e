/* cli_network.c - `berth network` (create, ls, inspect, rm, prune) and
 * what run's --network, --ip and --network-alias put into a container's
 * config.
 *
 * create and rm are the supervisor's verbs (network-create, network-rm):
 * it alone writes the definitions and knows which containers run on a
 * network. ls and inspect read the definitions (runtime/net/network.h)
 * and the containers' files, as `volume ls` does. */
#include "cli_network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_filter.h"
#include "cli_prune.h"
#include "client.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/digest.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/template.h"
#include "runtime/net/network.h"

struct net_opts {
	const char *driver, *subnet, *gateway, *format;
	bool internal, attachable, quiet, no_trunc, force;
	struct strv labels, filters;
};

#define N(f) struct net_opts, f
static const struct flg create_flags[] = {
	FLG_BOOL(0, "attachable", N(attachable), "Enable manual container attachment"),
	FLG_STRING('d', "driver", N(driver), "Driver to manage the Network (only bridge)"),
	FLG_STRING(0, "gateway", N(gateway), "IPv4 Gateway for the master subnet"),
	FLG_BOOL(0, "internal", N(internal), "Restrict external access to the network"),
	FLG_STRINGS(0, "label", N(labels), "Set metadata on a network"),
	FLG_STRING(0, "subnet", N(subnet), "Subnet in CIDR format that represents a network segment"),
	FLG_END,
};

static const struct flg ls_flags[] = {
	FLG_STRINGS('f', "filter", N(filters), "Provide filter values (e.g. \"driver=bridge\")"),
	FLG_STRING(0, "format", N(format),
		   "Format output using a Go template, 'table', 'table TEMPLATE' or 'json'"),
	FLG_BOOL(0, "no-trunc", N(no_trunc), "Do not truncate the output"),
	FLG_BOOL('q', "quiet", N(quiet), "Only display network IDs"),
	FLG_END,
};

static const struct flg inspect_flags[] = {
	FLG_STRING('f', "format", N(format), "Format output using a Go template"),
	FLG_END,
};

static const struct flg prune_flags[] = {
	FLG_BOOL('f', "force", N(force), "Do not prompt for confirmation"),
	FLG_END,
};

static int net_cmd_create(void *ctx, int argc, char **argv);
static int net_cmd_ls(void *ctx, int argc, char **argv);
static int net_cmd_inspect(void *ctx, int argc, char **argv);
static int net_cmd_rm(void *ctx, int argc, char **argv);
static int net_cmd_prune(void *ctx, int argc, char **argv);

static const struct flg_cmd net_create_cmd = {
	.path = "network create",
	.usage = "[OPTIONS] NETWORK",
	.desc = "Create a network",
	.flags = create_flags,
	.run = net_cmd_create,
	.min_args = 1,
	.max_args = 1,
};

static const struct flg_cmd net_ls_cmd = {
	.path = "network ls",
	.usage = "[OPTIONS]",
	.desc = "List networks",
	.aliases = "list",
	.flags = ls_flags,
	.run = net_cmd_ls,
};

static const struct flg_cmd net_inspect_cmd = {
	.path = "network inspect",
	.usage = "[OPTIONS] NETWORK [NETWORK...]",
	.desc = "Display detailed information on one or more networks",
	.flags = inspect_flags,
	.run = net_cmd_inspect,
	.min_args = 1,
	.max_args = -1,
};

static const struct flg_cmd net_rm_cmd = {
	.path = "network rm",
	.usage = "NETWORK [NETWORK...]",
	.desc = "Remove one or more networks (not while a container runs on one)",
	.aliases = "remove",
	.run = net_cmd_rm,
	.min_args = 1,
	.max_args = -1,
};

static const struct flg_cmd net_prune_cmd = {
	.path = "network prune",
	.usage = "[OPTIONS]",
	.desc = "Remove all unused networks",
	.flags = prune_flags,
	.run = net_cmd_prune,
};

static const struct flg_cmd *const net_cmds[] = {
	&cli_net_connect_cmd, &net_create_cmd, &cli_net_disconnect_cmd, &net_inspect_cmd,
	&net_ls_cmd, &net_prune_cmd, &net_rm_cmd, NULL,
};

const struct flg_cmd cli_network_cmd = {
	.path = "network",
	.usage = "COMMAND",
	.desc = "Manage networks",
	.cmds = net_cmds,
};

static int net_cmd_create(void *ctx, int argc, char **argv)
{
	const char *root = ctx;
	struct net_opts o = { 0 };
	struct strv req = { 0 };
	struct flg_out a;
	int rc = 1;

	if (flg_verb(&net_create_cmd, &o, argc, argv, &a) < 0) {
		rc = a.status;
	} else if (o.driver && strcmp(o.driver, "bridge") != 0) {
		fprintf(stderr, "berth: plugin \"%s\" not found (only the bridge driver exists)\n",
			o.driver);
	} else if (strv_add(&req, "network-create") < 0 || strv_add(&req, a.argv[0]) < 0 ||
		   (o.subnet && (strv_add(&req, "--subnet") < 0 || strv_add(&req, o.subnet) < 0)) ||
		   (o.gateway && (strv_add(&req, "--gateway") < 0 || strv_add(&req, o.gateway) < 0)) ||
		   (o.internal && strv_add(&req, "--internal") < 0)) {
		fprintf(stderr, "berth: out of memory\n");
	} else if (o.gateway && !o.subnet) {
		fprintf(stderr, "berth: every ip-range or gateway must have a corresponding subnet\n");
	} else {
		rc = 0;
		for (int i = 0; i < o.labels.n && rc == 0; i++)
			rc = strv_add(&req, "--label") < 0 || strv_add(&req, o.labels.v[i]) < 0;
		rc = rc ? 1 : client_call(root, req.n, req.v);
	}
	strv_free(&req);
	strv_free(&o.labels);
	return rc;
}

/* ---- what ls and inspect show ---- */

/* The predefined networks, as `docker network ls` lists them. Their IDs
 * are fixed: the sha256 of "berth network NAME". */
static const char *const predefined[][2] = {
	{ "bridge", "bridge" }, { "host", "host" }, { "none", "null" },
};

static void predefined_id(const char *name, char id[65])
{
	char text[64], d[DG_STR_LEN];

	snprintf(text, sizeof(text), "berth network %s", name);
	dg_buffer(text, strlen(text), d);
	snprintf(id, 65, "%s", dg_hex(d));
}

static json_t *labels_json(const struct net_def *d)
{
	json_t *o = json_object();

	for (int i = 0; i < d->nlabels; i++) {
		char key[256], *eq = strchr(d->labels[i], '=');

		snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - d->labels[i]) : 255, d->labels[i]);
		json_object_set_new(o, key, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

/* {ID: {Name, EndpointID, MacAddress, IPv4Address, IPv6Address}} of the
 * running containers on network name (d: a user network, NULL: bridge). */
static json_t *net_containers(const char *root, const char *name, const struct net_def *d)
{
	json_t *o = json_object();
	size_t n;
	struct pr_ctr *v = cli_ctrs_load(root, &n);

	for (size_t i = 0; i < n; i++) {
		const struct ctr_config *c = &v[i].c;
		const struct ctr_state *s = &v[i].s;
		char addr[32] = "", ip[16], mac[18];
		struct berr e;

		if (s->status != CTR_RUNNING)
			continue;
		if (c->network && strcmp(c->network, name) == 0 && s->ip[0]) {
			snprintf(addr, sizeof(addr), "%s/%d", s->ip, s->ip_prefix);
			snprintf(mac, sizeof(mac), "%s", s->mac);
		} else if (d && cli_network_on(c, name) && net_held(root, d, c->id, ip, mac, &e) == 0 &&
			   ip[0]) {
			snprintf(addr, sizeof(addr), "%s%s", ip, strchr(d->subnet, '/'));
		}
		if (addr[0])
			json_object_set_new(o, c->id,
					    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", c->name,
						      "EndpointID", c->id, "MacAddress", mac,
						      "IPv4Address", addr, "IPv6Address", ""));
	}
	cli_ctrs_free(v, n);
	return o;
}

/* ns as Go's RFC3339Nano (Docker's JSON of a time): trailing zeros of
 * the fraction dropped. */
static void rfc3339_nano(int64_t ns, char *buf, size_t size)
{
	char *dot, *z;

	iso_time_ns(ns, buf, size);
	dot = strchr(buf, '.');
	z = dot ? strchr(dot, 'Z') : NULL;
	if (!z)
		return;
	while (z[-1] == '0')
		z--;
	memmove(z[-1] == '.' ? z - 1 : z, "Z", 2);
}

/* Docker's network inspect object; d NULL: the predefined network k. */
static json_t *net_json(const char *root, const struct net_def *d, int k)
{
	char id[65], created[64];
	json_t *ipam = json_array();

	if (d) {
		json_array_append_new(ipam, json_pack("{s:s, s:s}", "Subnet", d->subnet, "Gateway",
						      d->gateway));
	} else {
		predefined_id(predefined[k][0], id);
	}
	rfc3339_nano(d ? d->created_ns : 0, created, sizeof(created));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:o}, s:b, s:b, s:b, s:{s:s},"
			 " s:b, s:o, s:o, s:o}",
			 "Name", d ? d->name : predefined[k][0], "Id", d ? d->id : id, "Created",
			 created, "Scope", "local", "Driver", d ? "bridge" : predefined[k][1],
			 "EnableIPv6", 0, "IPAM", "Driver", "default", "Options", "Config", ipam,
			 "Internal", d && d->internal, "Attachable", 0, "Ingress", 0, "ConfigFrom",
			 "Network", "", "ConfigOnly", 0, "Containers",
			 net_containers(root, d ? d->name : predefined[k][0], d), "Options",
			 d ? json_pack("{s:s}", "com.docker.network.bridge.name", d->bridge) :
			     json_object(),
			 "Labels", d ? labels_json(d) : json_object());
}

/* All networks, predefined first, as inspect objects. */
static json_t *net_all(const char *root, struct berr *e)
{
	json_t *all = json_array();
	struct net_def *v;
	int n;

	if (net_list(root, &v, &n, e) < 0) {
		json_decref(all);
		return NULL;
	}
	for (int k = 0; k < 3; k++)
		json_array_append_new(all, net_json(root, NULL, k));
	for (int i = 0; i < n; i++)
		json_array_append_new(all, net_json(root, &v[i], 0));
	free(v);
	return all;
}

/* ---- ls ---- */

static bool m_driver(const char *v, void *ctx)
{
	return strcmp(json_string_value(json_object_get(ctx, "Driver")), v) == 0;
}

static bool m_id(const char *v, void *ctx)
{
	return strncmp(json_string_value(json_object_get(ctx, "Id")), v, strlen(v)) == 0;
}

static bool m_name(const char *v, void *ctx)
{
	return strstr(json_string_value(json_object_get(ctx, "Name")), v) != NULL;
}

static bool m_type(const char *v, void *ctx)
{
	bool builtin = json_object_size(json_object_get(ctx, "Options")) == 0;

	return strcmp(v, builtin ? "builtin" : "custom") == 0;
}

static bool m_dangling(const char *v, void *ctx)
{
	bool builtin = json_object_size(json_object_get(ctx, "Options")) == 0;

	return flt_bool(v) == (!builtin && json_object_size(json_object_get(ctx, "Containers")) == 0);
}

static bool m_label(const char *v, void *ctx)
{
	char *labels[NET_LABELS_MAX + 1] = { 0 }, buf[NET_LABELS_MAX][256];
	const char *k;
	json_t *val;
	int n = 0;

	json_object_foreach(json_object_get(ctx, "Labels"), k, val) {
		if (n < NET_LABELS_MAX) {
			snprintf(buf[n], sizeof(buf[n]), "%s=%s", k, json_string_value(val));
			labels[n] = buf[n];
			n++;
		}
	}
	return flt_label_match(v, labels);
}

static bool m_scope(const char *v, void *ctx)
{
	(void)ctx;
	return strcmp(v, "local") == 0;
}

static bool net_pass(const struct strv *f, json_t *net)
{
	static const struct {
		const char *key;
		bool (*match)(const char *v, void *ctx);
	} m[] = { { "driver", m_driver }, { "id", m_id },	  { "name", m_name },
		  { "type", m_type },	  { "label", m_label },	  { "scope", m_scope },
		  { "dangling", m_dangling } };

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (!flt_pass(f, m[i].key, m[i].match, net))
			return false;
	}
	return true;
}

/* A row of network ls: Docker's fields (CreatedAt as Go prints a time:
 * "2006-01-02 15:04:05.999999999 +0000 UTC"). */
static json_t *ls_row(json_t *net, bool no_trunc)
{
	const char *id = json_string_value(json_object_get(net, "Id"));
	const char *created = json_string_value(json_object_get(net, "Created"));
	char labels[2048] = "", at[64];
	size_t ll = 0;
	const char *k;
	json_t *v;

	snprintf(at, sizeof(at), "%.*s +0000 UTC", (int)strlen(created) - 1, created); /* no Z */
	at[10] = ' '; /* the T */

	json_object_foreach(json_object_get(net, "Labels"), k, v)
		ll += snprintf(labels + ll, ll < sizeof(labels) ? sizeof(labels) - ll : 0, "%s%s=%s",
			       ll ? "," : "", k, json_string_value(v));
	return json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:s}", "CreatedAt", at, "ID", id,
			 (size_t)(no_trunc ? 64 : 12), "Name",
			 json_string_value(json_object_get(net, "Name")), "Driver",
			 json_string_value(json_object_get(net, "Driver")), "Scope", "local", "IPv6",
			 "false", "Internal",
			 json_is_true(json_object_get(net, "Internal")) ? "true" : "false", "Labels",
			 labels);
}

static int net_cmd_ls(void *ctx, int argc, char **argv)
{
	static const char *const keys[] = { "driver", "id",    "name",	   "type",
					     "label",  "scope", "dangling", NULL };
	static const struct tmpl_header headers[] = { { "ID", "NETWORK ID" }, { NULL, NULL } };
	const char *root = ctx;
	struct net_opts o = { 0 };
	json_t *all = NULL, *rows, *net;
	struct flg_out a;
	struct berr e;
	size_t i;
	int rc = 1;

	if (flg_verb(&net_ls_cmd, &o, argc, argv, &a) < 0) {
		rc = a.status;
	} else if (flt_check(&o.filters, keys, &e) < 0 || !(all = net_all(root, &e))) {
		fprintf(stderr, "berth: %s\n", e.msg);
	} else {
		rows = json_array();
		json_array_foreach(all, i, net) {
			if (net_pass(&o.filters, net))
				json_array_append_new(rows, ls_row(net, o.no_trunc));
		}
		rc = tmpl_print(o.quiet ? "{{.ID}}" :
					  tmpl_choose(o.format,
						      "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"),
				rows, headers);
		json_decref(rows);
	}
	json_decref(all);
	strv_free(&o.filters);
	return rc;
}

/* ---- inspect, rm, prune ---- */

/* The network ref names (name, ID or unique ID prefix) among all. */
static json_t *net_pick(json_t *all, const char *ref)
{
	json_t *net, *hit = NULL;
	size_t i;
	int n = 0;

	json_array_foreach(all, i, net) {
		if (strcmp(json_string_value(json_object_get(net, "Name")), ref) == 0)
			return net;
	}
	json_array_foreach(all, i, net) {
		if (strncmp(json_string_value(json_object_get(net, "Id")), ref, strlen(ref)) == 0) {
			hit = net;
			n++;
		}
	}
	return n == 1 && *ref ? hit : NULL;
}

static int net_cmd_inspect(void *ctx, int argc, char **argv)
{
	const char *root = ctx;
	struct net_opts o = { 0 };
	json_t *all, *out;
	struct flg_out a;
	struct berr e;
	int rc = 0;

	if (flg_verb(&net_inspect_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (!(all = net_all(root, &e))) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	out = json_array();
	for (int i = 0; i < a.argc; i++) {
		json_t *net = net_pick(all, a.argv[i]);

		if (!net) {
			fprintf(stderr, "berth: network %s not found\n", a.argv[i]);
			rc = 1;
			continue;
		}
		json_array_append(out, net);
	}
	if (o.format) {
		if (tmpl_print(o.format, out, NULL) != 0)
			rc = 1;
	} else {
		char *text = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(out);
	json_decref(all);
	return rc;
}

static int net_cmd_rm(void *ctx, int argc, char **argv)
{
	struct net_opts o = { 0 };
	struct flg_out a;

	if (flg_verb(&net_rm_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	a.argv[-1] = "network-rm"; /* flg_parse moved the operands to argv[1..] */
	return client_call(ctx, a.argc + 1, a.argv - 1);
}

static int net_cmd_prune(void *ctx, int argc, char **argv)
{
	const char *root = ctx;
	struct net_opts o = { 0 };
	struct strv req = { 0 };
	struct net_def *v;
	struct client_reply cr;
	struct flg_out a;
	struct berr e;
	int n, rc = 1;

	if (flg_verb(&net_prune_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (!cli_prune_confirm(o.force, "WARNING! This will remove all custom networks not used by "
					"at least one container."))
		return 0;
	if (net_list(root, &v, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	rc = strv_add(&req, "network-rm") < 0 || strv_add(&req, "--prune") < 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = strv_add(&req, v[i].name) < 0;
	free(v);
	if (rc == 0 && n && client_send(root, req.n, req.v, &cr) == 0) {
		rc = client_collect(&cr, 15000);
		if (rc == 0 && cr.out_len)
			printf("Deleted Networks:\n%.*s", (int)cr.out_len, cr.out);
		client_reply_free(&cr);
	}
	strv_free(&req);
	return rc < 0 ? 1 : rc;
}

int cli_network(const char *root, int argc, char **argv)
{
	const struct flg_cmd *sub = argc > 1 ? flg_find_cmd(&cli_network_cmd, argv[1]) : NULL;

	if (sub)
		return sub->run((void *)root, argc - 1, argv + 1);
	if (argc > 1) {
		fprintf(stderr, "berth: unknown network command: %s\n", argv[1]);
		flg_help(&cli_network_cmd, stderr);
		return 1;
	}
	flg_help(&cli_network_cmd, stdout);
	return 0;
}

/* ---- run --network NAME --ip --network-alias ---- */

int cli_network_ip_check(const struct net_def *d, const char *ip)
{
	struct net_cidr s, a;
	char want[24];

	snprintf(want, sizeof(want), "%s/%s", ip ? ip : "", strchr(d->subnet, '/') + 1);
	if (ip && (net_cidr_parse(want, &a) < 0 || net_cidr_parse(d->subnet, &s) < 0 ||
		   !net_cidr_overlap(&a, &s))) {
		fprintf(stderr, "berth: invalid address %s: it does not belong to any of network "
				"%s's subnets (%s)\n", ip, d->name, d->subnet);
		return -1;
	}
	return 0;
}

int cli_network_not_user(const char *ip, int naliases)
{
	if (!ip && !naliases)
		return 0;
	fprintf(stderr, "berth: %s\n", /* Docker's answers */
		ip ? "user specified IP address is supported on user defined networks only" :
		     "network-scoped alias is supported only for containers in user defined "
		     "networks");
	return -1;
}

int cli_network_run_config(const char *root, const char *ip, const struct strv *aliases,
			   const struct strv *nets, struct ctr_config *c)
{
	enum ctr_net mode;
	const char *ref;
	struct net_def d;
	struct berr e;

	if (ctr_network_parse(c->network, &mode, &ref, &e) < 0 || mode != CTR_NET_BRIDGE || !ref) {
		if (nets->n > 1) {
			fprintf(stderr, "berth: conflicting options: cannot attach both "
					"user-defined and non-user-defined network-modes\n");
			return 125;
		}
		return cli_network_not_user(ip, aliases->n) < 0 ? 125 : 0;
	}
	if (net_load(root, ref, &d, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 125;
	}
	if (cli_network_ip_check(&d, ip) < 0)
		return 125;
	c->ip = ip ? strdup(ip) : NULL;
	c->aliases = aliases->n ? strv_dup(aliases->v) : NULL;
	if ((ip && !c->ip) || (aliases->n && !c->aliases))
		return 125;
	return cli_network_run_more(root, nets, c);
}

/* ---- compose: the project's networks ---- */

/* The network key of the project (f's top-level, or "default"), made
 * when missing as Compose does; an external one must be there. */
static int compose_net(const char *root, const char *project, const struct compose_file *f,
		       const char *key)
{
	const struct compose_network *n = compose_find_network(f, key);
	char name[300], plabel[300], nlabel[300];
	char *const none[1] = { NULL };
	struct strv req = { 0 };
	struct net_def d;
	struct berr e;
	int rc;

	compose_network_name(f, project, key, name, sizeof(name));
	if (net_load(root, name, &d, &e) == 0)
		return 0;
	if (n && n->external) {
		fprintf(stderr, "berth: network %s declared as external, but could not be found\n",
			name);
		return 1;
	}
	snprintf(plabel, sizeof(plabel), "com.docker.compose.project=%s", project);
	snprintf(nlabel, sizeof(nlabel), "com.docker.compose.network=%s", key);
	rc = strv_add(&req, "network-create") | strv_add(&req, name) | strv_add(&req, "--label") |
	     strv_add(&req, plabel) | strv_add(&req, "--label") | strv_add(&req, nlabel);
	if (n && n->subnet)
		rc |= strv_add(&req, "--subnet") | strv_add(&req, n->subnet);
	if (n && n->gateway)
		rc |= strv_add(&req, "--gateway") | strv_add(&req, n->gateway);
	if (n && n->internal)
		rc |= strv_add(&req, "--internal");
	for (char *const *l = n ? n->labels.v : none; l && *l; l++)
		rc |= strv_add(&req, "--label") | strv_add(&req, *l);
	rc = rc ? 1 : client_ask(root, req.n, req.v, 15000, NULL);
	strv_free(&req);
	if (rc == 0) {
		printf(" Network %s  Created\n", name);
		fflush(stdout);
	}
	return rc;
}

int cli_network_compose_up(const char *root, const char *project, const struct compose_file *f,
			   const bool *want)
{
	for (int k = 0; k < f->nsvc; k++) {
		const struct compose_service *s = &f->svc[k];

		if (!want[k] || s->network_mode)
			continue;
		if (!s->nnets && compose_net(root, project, f, "default") != 0)
			return 1;
		for (int i = 0; i < s->nnets; i++) {
			if (compose_net(root, project, f, s->nets[i].key) != 0)
				return 1;
		}
	}
	return 0;
}

void cli_network_compose_down(const char *root, const char *project)
{
	char *req[] = { "network-rm", NULL, NULL };
	char want[300];
	struct net_def *v;
	struct berr e;
	int n;

	snprintf(want, sizeof(want), "com.docker.compose.project=%s", project);
	if (net_list(root, &v, &n, &e) < 0)
		return;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < v[i].nlabels; k++) {
			if (strcmp(v[i].labels[k], want) != 0)
				continue;
			req[1] = v[i].name;
			if (client_ask(root, 2, req, 15000, NULL) == 0)
				printf(" Network %s  Removed\n", v[i].name);
			break;
		}
	}
	free(v);
}
