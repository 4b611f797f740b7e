/* hostcfg_json.c - struct ctr_hostx as Docker's HostConfig keys in
 * config.json (and inspect), and the /etc/hosts and /etc/resolv.conf
 * lines it asks for. */
#include "hostcfg.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr_json_priv.h"
#include "runtime/lib/signame.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

/* Tmpfs: {"/run": "size=64k"}; in memory "PATH" or "PATH:OPTIONS". */
static json_t *tmpfs_to_json(char **v)
{
	json_t *o = json_object();

	for (; v && *v; v++) {
		char *colon = strchr(*v, ':');
		char path[4096];

		snprintf(path, sizeof(path), "%.*s", colon ? (int)(colon - *v) : (int)strlen(*v), *v);
		json_object_set_new(o, path, json_string(colon ? colon + 1 : ""));
	}
	return o;
}

static char **tmpfs_from_json(json_t *o)
{
	char **v = labels_from_json(o);

	/* labels_from_json gives "PATH=OPTIONS": the first '=' is ours */
	for (char **p = v; p && *p; p++) {
		char *eq = strchr(*p, '=');
		if (eq && eq[1])
			*eq = ':';
		else if (eq)
			*eq = '\0';
	}
	return v;
}

static json_t *log_config(const struct ctr_hostx *x)
{
	json_t *cfg = json_object();
	char buf[32];

	if (x->log_max_size)
		json_object_set_new(cfg, "max-size", json_string(x->log_size_text));
	if (x->log_max_file) {
		snprintf(buf, sizeof(buf), "%d", x->log_max_file);
		json_object_set_new(cfg, "max-file", json_string(buf));
	}
	return json_pack("{s:s, s:o}", "Type", hx_log_driver_name(x->log_driver), "Config", cfg);
}

static json_t *ulimits_json(const struct ctr_hostx *x)
{
	json_t *a = x->nulimits ? json_array() : json_null();

	for (int i = 0; i < x->nulimits; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "Name", x->ulimits[i].name,
						   "Soft", (json_int_t)x->ulimits[i].soft, "Hard",
						   (json_int_t)x->ulimits[i].hard));
	return a;
}

static json_t *devices_json(const struct ctr_hostx *x)
{
	json_t *a = json_array();

	for (int i = 0; i < x->ndevices; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "PathOnHost", x->devices[i].host,
						   "PathInContainer", x->devices[i].ctr,
						   "CgroupPermissions", x->devices[i].perms));
	return a;
}

json_t *hx_to_json(const struct ctr_hostx *x, json_t **stop_signal)
{
	json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "Dns", strv_to_json(x->dns),
			      "DnsOptions", strv_to_json(x->dns_opt), "DnsSearch",
			      strv_to_json(x->dns_search), "ExtraHosts",
			      x->extra_hosts ? strv_to_json(x->extra_hosts) : json_null(),
			      "Ulimits", ulimits_json(x), "Devices", devices_json(x), "LogConfig",
			      log_config(x));

	if (o && x->tmpfs)
		json_object_set_new(o, "Tmpfs", tmpfs_to_json(x->tmpfs));
	if (o && x->sysctls)
		json_object_set_new(o, "Sysctls", labels_to_json(x->sysctls));
	if (o)
		json_object_set_new(o, "DeviceCgroupRules",
				    x->cgroup_rules ? strv_to_json(x->cgroup_rules) : json_null());
	if (o && x->init)
		json_object_set_new(o, "Init", json_true());
	if (o)
		json_object_set_new(o, "OomScoreAdj", json_integer(x->oom_score_adj));
	*stop_signal = NULL;
	if (x->stop_signal) {
		const char *name = sig_name(x->stop_signal);
		char num[16];

		snprintf(num, sizeof(num), "%d", x->stop_signal);
		*stop_signal = json_string(name ? name : num);
	}
	return o;
}

static int ulimits_from_json(json_t *a, struct ctr_hostx *x, struct berr *e)
{
	size_t i;
	json_t *u;

	json_array_foreach(a, i, u) {
		const char *name = json_string_value(json_object_get(u, "Name"));
		struct hx_ulimit *l = &x->ulimits[x->nulimits];

		if (x->nulimits >= HX_MAX || !name || hx_ulimit_index(name) < 0)
			return berr_msg(e, EINVAL, "HostConfig.Ulimits[%zu]: not a ulimit", i);
		snprintf(l->name, sizeof(l->name), "%s", name);
		l->soft = json_integer_value(json_object_get(u, "Soft"));
		l->hard = json_integer_value(json_object_get(u, "Hard"));
		x->nulimits++;
	}
	return 0;
}

static int devices_from_json(json_t *a, struct ctr_hostx *x, struct berr *e)
{
	size_t i;
	json_t *d;

	json_array_foreach(a, i, d) {
		const char *host = json_string_value(json_object_get(d, "PathOnHost"));
		const char *ctr = json_string_value(json_object_get(d, "PathInContainer"));
		const char *perms = json_string_value(json_object_get(d, "CgroupPermissions"));
		struct hx_device *v = &x->devices[x->ndevices];

		if (x->ndevices >= HX_MAX || !host || !ctr || !perms || strlen(perms) > 3)
			return berr_msg(e, EINVAL, "HostConfig.Devices[%zu]: not a device", i);
		v->host = strdup(host);
		v->ctr = strdup(ctr);
		snprintf(v->perms, sizeof(v->perms), "%s", perms);
		x->ndevices++;
		if (!v->host || !v->ctr)
			return berr_msg(e, ENOMEM, "HostConfig.Devices: out of memory");
	}
	return 0;
}

static int log_from_json(json_t *lc, struct ctr_hostx *x)
{
	json_t *cfg = json_object_get(lc, "Config");
	const char *size = json_string_value(json_object_get(cfg, "max-size"));
	const char *files = json_string_value(json_object_get(cfg, "max-file"));
	const char *type = json_string_value(json_object_get(lc, "Type"));

	if (type && (x->log_driver = hx_log_driver_parse(type)) < 0)
		return -EINVAL;
	x->log_max_file = files ? atoi(files) : 0;
	if (size && (strlen(size) >= sizeof(x->log_size_text) ||
		     cg_parse_bytes(size, &x->log_max_size) < 0))
		return -EINVAL;
	if (size)
		strcpy(x->log_size_text, size);
	return x->log_max_size < 0 || x->log_max_file < 0 ? -EINVAL : 0;
}

int hx_from_json(json_t *hc, json_t *stop_signal, struct ctr_hostx *x, struct berr *e)
{
	int r;

	memset(x, 0, sizeof(*x));
	if (json_is_string(stop_signal) && !(x->stop_signal = sig_parse(json_string_value(stop_signal))))
		return berr_msg(e, EINVAL, "StopSignal: not a signal");
	if (!hc)
		return 0;
	x->dns = json_to_strv(json_object_get(hc, "Dns"));
	x->dns_opt = json_to_strv(json_object_get(hc, "DnsOptions"));
	x->dns_search = json_to_strv(json_object_get(hc, "DnsSearch"));
	if (json_is_array(json_object_get(hc, "ExtraHosts")))
		x->extra_hosts = json_to_strv(json_object_get(hc, "ExtraHosts"));
	x->tmpfs = tmpfs_from_json(json_object_get(hc, "Tmpfs"));
	x->sysctls = labels_from_json(json_object_get(hc, "Sysctls"));
	if (json_is_array(json_object_get(hc, "DeviceCgroupRules")))
		x->cgroup_rules = json_to_strv(json_object_get(hc, "DeviceCgroupRules"));
	x->init = json_is_true(json_object_get(hc, "Init"));
	x->oom_score_adj = (int)json_integer_value(json_object_get(hc, "OomScoreAdj"));
	r = ulimits_from_json(json_object_get(hc, "Ulimits"), x, e);
	if (r == 0)
		r = devices_from_json(json_object_get(hc, "Devices"), x, e);
	if (r == 0 && log_from_json(json_object_get(hc, "LogConfig"), x) < 0)
		r = berr_msg(e, EINVAL, "HostConfig.LogConfig: not a driver, a size or a count");
	if (r == 0 && (!x->dns || !x->dns_opt || !x->dns_search))
		r = berr_msg(e, ENOMEM, "HostConfig: out of memory");
	if (r < 0)
		hx_free(x);
	return r;
}

void hx_free(struct ctr_hostx *x)
{
	char **lists[] = { x->extra_hosts, x->dns,     x->dns_search,
			   x->dns_opt,	   x->tmpfs,   x->sysctls, x->cgroup_rules };

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		strv_freev(lists[i]);
	for (int i = 0; i < x->ndevices; i++) {
		free(x->devices[i].host);
		free(x->devices[i].ctr);
	}
	memset(x, 0, sizeof(*x));
}

char *hx_hosts_append(const struct ctr_hostx *x, const char *gateway, char *text, size_t *len)
{
	for (char **h = x->extra_hosts; h && *h; h++) {
		size_t n = strcspn(*h, ":="), add;
		const char *ip = (*h)[n] ? *h + n + 1 : "";
		char line[600], *t;

		if (strcmp(ip, "host-gateway") == 0)
			ip = gateway;
		add = snprintf(line, sizeof(line), "%s\t%.*s\n", ip, (int)n, *h);
		t = realloc(text, *len + add + 1);
		if (!t) {
			free(text);
			return NULL;
		}
		text = t;
		memcpy(text + *len, line, add + 1);
		*len += add;
	}
	return text;
}

/* " a b c" of a list; "" for NULL. */
static void join(char **v, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; v && *v && n < size; v++)
		n += snprintf(buf + n, size - n, " %s", *v);
}

static bool starts_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	return strncmp(line, word, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

void hx_resolv(const struct ctr_hostx *x, const char *in, char *out, size_t size)
{
	bool dns = x->dns && x->dns[0], search = x->dns_search && x->dns_search[0];
	bool opts = x->dns_opt && x->dns_opt[0];
	size_t n = 0;
	char list[1024];

	out[0] = '\0';
	for (const char *l = in; *l && n < size;) {
		size_t len = strcspn(l, "\n");
		bool drop = (dns && starts_word(l, "nameserver")) ||
			    (search && (starts_word(l, "search") || starts_word(l, "domain"))) ||
			    (opts && starts_word(l, "options"));

		if (!drop)
			n += snprintf(out + n, size - n, "%.*s\n", (int)len, l);
		l += len + (l[len] == '\n');
	}
	for (char **d = x->dns; d && *d && n < size; d++)
		n += snprintf(out + n, size - n, "nameserver %s\n", *d);
	/* --dns-search . : no search domains at all, as Docker */
	if (search && strcmp(x->dns_search[0], ".") != 0 && n < size) {
		join(x->dns_search, list, sizeof(list));
		n += snprintf(out + n, size - n, "search%s\n", list);
	}
	if (opts && n < size) {
		join(x->dns_opt, list, sizeof(list));
		snprintf(out + n, size - n, "options%s\n", list);
	}
}
