/* network.c - see network.h. */
#include "network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipam.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

int net_cidr_parse(const char *text, struct net_cidr *c)
{
	char addr[20];
	const char *slash = strchr(text, '/');
	struct in_addr in;
	char *end;
	long plen;

	if (!slash || (size_t)(slash - text) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, slash - text);
	addr[slash - text] = '\0';
	plen = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &in) != 1 || !slash[1] || *end || plen < 1 || plen > 30)
		return -EINVAL;
	c->prefix = (int)plen;
	c->addr = ntohl(in.s_addr) & (0xffffffffu << (32 - plen));
	return 0;
}

bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;
	uint32_t mask = p ? 0xffffffffu << (32 - p) : 0;

	return (a->addr & mask) == (b->addr & mask);
}

/* Docker's default-address-pools: 172.17.0.0/12 in /16s, 192.168.0.0/16
 * in /20s. */
int net_pool_pick(const struct net_cidr *used, int n, struct net_cidr *out)
{
	for (int k = 0; k < 15 + 16; k++) {
		struct net_cidr c = { k < 15 ? (172u << 24 | (17u + k) << 16) :
					       (192u << 24 | 168u << 16 | (uint32_t)(k - 15) << 12),
				      k < 15 ? 16 : 20 };
		bool free = true;

		for (int i = 0; free && i < n; i++)
			free = !net_cidr_overlap(&c, &used[i]);
		if (free) {
			*out = c;
			return 0;
		}
	}
	return -ENOSPC;
}

static int settle_subnet(struct net_def *d, const char *subnet, const struct net_cidr *used,
			 int n, struct net_cidr *c, struct berr *e)
{
	char a[16];

	if (!subnet) {
		if (net_pool_pick(used, n, c) < 0)
			return berr_msg(e, ENOSPC, "could not find an available, non-overlapping "
						   "IPv4 address pool among the defaults to assign to "
						   "the network");
	} else if (net_cidr_parse(subnet, c) < 0) {
		return berr_msg(e, EINVAL, "invalid CIDR address: %s", subnet);
	}
	for (int i = 0; subnet && i < n; i++) {
		if (net_cidr_overlap(c, &used[i]))
			return berr_msg(e, EEXIST, "Pool overlaps with other one on this address "
						   "space");
	}
	ipam_ntoa(c->addr, a);
	snprintf(d->subnet, sizeof(d->subnet), "%s/%d", a, c->prefix);
	return 0;
}

int net_def_init(struct net_def *d, const char *id, const char *name, const char *subnet,
		 const char *gateway, const struct net_cidr *used, int n, struct berr *e)
{
	struct net_cidr c, g;
	struct in_addr in;

	memset(d, 0, sizeof(*d));
	if (!net_name_valid(name))
		return berr_msg(e, EINVAL, "invalid network name \"%s\": want [a-zA-Z0-9][a-zA-Z0-9_.-]*"
					   " (not bridge, host, none)", name);
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->id, sizeof(d->id), "%s", id);
	snprintf(d->bridge, sizeof(d->bridge), "br-%.12s", id);
	if (settle_subnet(d, subnet, used, n, &c, e) < 0)
		return -e->code;
	if (!gateway) {
		ipam_ntoa(c.addr + 1, d->gateway);
		return 0;
	}
	if (inet_pton(AF_INET, gateway, &in) != 1)
		return berr_msg(e, EINVAL, "invalid gateway %s", gateway);
	g = (struct net_cidr){ ntohl(in.s_addr), c.prefix };
	if (!net_cidr_overlap(&g, &c) || g.addr == c.addr ||
	    g.addr == (c.addr | ~(0xffffffffu << (32 - c.prefix))))
		return berr_msg(e, EINVAL, "no matching subnet for gateway %s (subnet %s)", gateway,
				d->subnet);
	ipam_ntoa(g.addr, d->gateway);
	return 0;
}

void net_dir(const char *root, char *buf, size_t size)
{
	snprintf(buf, size, "%s/run/berth/network/networks", root);
}

void net_ipam_path(const char *root, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/run/berth/network/ipam-%s", root, name);
}

int net_held(const char *root, const struct net_def *d, const char *id, char *ip, char *mac,
	     struct berr *e)
{
	const char *slash = strchr(d->subnet, '/');
	char cidr[40], path[600];
	struct ipam p;
	uint32_t a = 0;
	int r;

	snprintf(cidr, sizeof(cidr), "%s%s", d->gateway, slash ? slash : "/16");
	net_ipam_path(root, d->name, path, sizeof(path));
	r = ipam_init(&p, cidr, e);
	if (r == 0 && (r = ipam_load(&p, path, e)) == 0)
		a = ipam_lookup(&p, id);
	ipam_free(&p);
	ip[0] = mac[0] = '\0';
	if (a) {
		ipam_ntoa(a, ip);
		ipam_mac(a, mac);
	}
	return r;
}

static void def_path(const char *root, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/run/berth/network/networks/%s.json", root, name);
}

int net_save(const char *root, const struct net_def *d, struct berr *e)
{
	json_t *j, *labels = json_object();
	char path[700], *text;
	int r;

	for (int i = 0; i < d->nlabels; i++) {
		char *eq = strchr(d->labels[i], '=');
		char key[256];

		snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - d->labels[i]) : 255, d->labels[i]);
		json_object_set_new(labels, key, json_string(eq ? eq + 1 : ""));
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:o}", "Name", d->name, "Id", d->id,
		      "Bridge", d->bridge, "Subnet", d->subnet, "Gateway", d->gateway, "Internal",
		      d->internal, "Created", (json_int_t)d->created_ns, "Labels", labels);
	text = j ? json_dumps(j, JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!text)
		return berr_set(e, ENOMEM, "network %s", d->name);
	net_dir(root, path, sizeof(path));
	r = mkdir_p(path, 0755);
	def_path(root, d->name, path, sizeof(path));
	if (r == 0)
		r = write_file_atomic(path, text, strlen(text), 0644);
	free(text);
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}

static int def_from_json(json_t *j, const char *name, struct net_def *d)
{
	struct net_cidr c;
	struct in_addr in;
	const char *k;
	json_t *v;
	static const char *const keys[] = { "Name", "Id", "Bridge", "Subnet", "Gateway" };
	char *dst[] = { d->name, d->id, d->bridge, d->subnet, d->gateway };
	size_t sizes[] = { sizeof(d->name), sizeof(d->id), sizeof(d->bridge), sizeof(d->subnet),
			   sizeof(d->gateway) };

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *s = json_string_value(json_object_get(j, keys[i]));

		if (!s || strlen(s) >= sizes[i])
			return -EINVAL;
		memcpy(dst[i], s, strlen(s) + 1);
	}
	/* PID 1 deletes the link the file names: only the one its ID gives */
	if (strcmp(d->name, name) != 0 || strlen(d->id) != 64 ||
	    strspn(d->id, "0123456789abcdef") != 64 || strncmp(d->bridge, "br-", 3) != 0 ||
	    strncmp(d->bridge + 3, d->id, 12) != 0 || d->bridge[15] != '\0' ||
	    net_cidr_parse(d->subnet, &c) < 0 || inet_pton(AF_INET, d->gateway, &in) != 1)
		return -EINVAL;
	d->internal = json_is_true(json_object_get(j, "Internal"));
	d->created_ns = json_integer_value(json_object_get(j, "Created"));
	json_object_foreach(json_object_get(j, "Labels"), k, v) {
		if (d->nlabels < NET_LABELS_MAX && json_is_string(v))
			snprintf(d->labels[d->nlabels++], sizeof(d->labels[0]), "%s=%s", k,
				 json_string_value(v));
	}
	return 0;
}

int net_def_parse(const char *text, size_t len, const char *name, struct net_def *d)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	int r = j ? def_from_json(j, name, d) : -EINVAL;

	json_decref(j);
	return r;
}

int net_load(const char *root, const char *name, struct net_def *d, struct berr *e)
{
	char path[700], *text;
	size_t len;
	int r;

	if (!net_name_valid(name))
		return berr_msg(e, ENOENT, "network %s not found", name);
	def_path(root, name, path, sizeof(path));
	r = read_file_all(path, 64 * 1024, &text, &len);
	if (r == -ENOENT)
		return berr_msg(e, ENOENT, "network %s not found", name);
	if (r < 0)
		return berr_set(e, -r, "read %s", path);
	r = net_def_parse(text, len, name, d);
	free(text);
	return r < 0 ? berr_msg(e, EINVAL, "%s: not a network definition", path) : 0;
}

int net_remove(const char *root, const char *name, struct berr *e)
{
	char path[700];

	net_ipam_path(root, name, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_set(e, errno, "remove %s", path);
	def_path(root, name, path, sizeof(path));
	if (unlink(path) < 0)
		return berr_set(e, errno, "remove %s", path);
	berr_ignore(fsync_parent(path)); /* gone now or at the next boot's load */
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct net_def *)a)->name, ((const struct net_def *)b)->name);
}

int net_list(const char *root, struct net_def **v, int *n, struct berr *e)
{
	char dir[600];
	struct dirent *de;
	DIR *d;

	*v = NULL;
	*n = 0;
	net_dir(root, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : berr_set(e, errno, "open %s", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char name[NET_NAME_MAX];
		struct net_def *w;
		struct berr ignored;

		if (len < 6 || len - 5 >= sizeof(name) || strcmp(de->d_name + len - 5, ".json"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		w = realloc(*v, (*n + 1) * sizeof(**v));
		if (!w) {
			closedir(d);
			return berr_set(e, ENOMEM, "list networks");
		}
		*v = w;
		if (net_load(root, name, &w[*n], &ignored) == 0) /* a stray file is no network */
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*v, *n, sizeof(**v), by_name);
	return 0;
}

int net_find(const char *root, const char *ref, struct net_def *d, struct berr *e)
{
	size_t len = strlen(ref);
	struct net_def *v;
	int n, hit = -1;

	int r = net_load(root, ref, d, e);

	if (r != -ENOENT)
		return r;
	if (net_list(root, &v, &n, e) < 0)
		return -e->code;
	for (int i = 0; len && i < n; i++) {
		if (strncmp(v[i].id, ref, len) == 0)
			hit = hit < 0 ? i : -2;
	}
	if (hit >= 0)
		*d = v[hit];
	free(v);
	if (hit == -2)
		return berr_msg(e, EEXIST, "network %s is ambiguous", ref);
	return hit < 0 ? berr_msg(e, ENOENT, "network %s not found", ref) : 0;
}

int net_bridge_rules(const struct net_def *d, bool add, char *buf, size_t size)
{
	const char *op = add ? "-A" : "-D", *b = d->bridge;
	int n;

	n = snprintf(buf, size, "*nat\n");
	if (!d->internal)
		n += snprintf(buf + n, size > (size_t)n ? size - n : 0,
			      "%s POSTROUTING -s %s ! -o %s -j MASQUERADE\n", op, d->subnet, b);
	n += snprintf(buf + n, size > (size_t)n ? size - n : 0,
		      "%s POSTROUTING -s 127.0.0.0/8 -o %s -j MASQUERADE\n"
		      "COMMIT\n*filter\n"
		      "%s BERTH-FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
		      "%s BERTH-FORWARD -i %s -o %s -j ACCEPT\n",
		      op, b, op, b, op, b, b);
	if (!d->internal)
		n += snprintf(buf + n, size > (size_t)n ? size - n : 0,
			      "%s BERTH-FORWARD -i %s ! -o %s -j ACCEPT\n", op, b, b);
	n += snprintf(buf + n, size > (size_t)n ? size - n : 0, "COMMIT\n");
	return (size_t)n >= size ? -ENOSPC : 0;
}

static int isolate_one(const char *bridge, const char *subnet, bool internal, char *buf,
		       size_t size)
{
	int n = 0;

	if (internal)
		n = snprintf(buf, size,
			     "-A BERTH-ISOLATION-STAGE-1 -i %s ! -d %s -j DROP\n"
			     "-A BERTH-ISOLATION-STAGE-1 -o %s ! -s %s -j DROP\n",
			     bridge, subnet, bridge, subnet);
	n += snprintf(buf + n, size > (size_t)n ? size - n : 0,
		      "-A BERTH-ISOLATION-STAGE-1 -i %s ! -o %s -j BERTH-ISOLATION-STAGE-2\n"
		      "-A BERTH-ISOLATION-STAGE-2 -o %s -j DROP\n",
		      bridge, bridge, bridge);
	return n;
}

int net_isolation_rules(const char *def_bridge, const struct net_def *defs, int n, char *buf,
			size_t size)
{
	size_t len = snprintf(buf, size, "*filter\n:BERTH-ISOLATION-STAGE-1 - [0:0]\n"
					 ":BERTH-ISOLATION-STAGE-2 - [0:0]\n");

	len += isolate_one(def_bridge, "0.0.0.0/0", false, buf + len, size > len ? size - len : 0);
	for (int i = 0; i < n; i++)
		len += isolate_one(defs[i].bridge, defs[i].subnet, defs[i].internal, buf + len,
				   size > len ? size - len : 0);
	len += snprintf(buf + len, size > len ? size - len : 0,
			"-A BERTH-ISOLATION-STAGE-1 -j RETURN\n-A BERTH-ISOLATION-STAGE-2 -j RETURN\n"
			"COMMIT\n");
	return len >= size ? -ENOSPC : 0;
}
