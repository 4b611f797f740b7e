#include "container.h"
#include "ctr_json_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "runtime/image/layer_rules.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"
#include "runtime/net/network.h"

const char *ctr_status_name(enum ctr_status s)
{
	static const char *const names[] = { "created", "running", "restarting", "exited",
					     "removing" };
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

const char *ctr_state_name(const struct ctr_state *s)
{
	return s->status == CTR_RUNNING && s->paused ? "paused" : ctr_status_name(s->status);
}

static int status_from_name(const char *n)
{
	for (int i = CTR_CREATED; i <= CTR_REMOVING; i++) {
		if (strcmp(ctr_status_name(i), n) == 0)
			return i;
	}
	return -1;
}

void ctr_new_id(char id[CTR_ID_LEN + 1])
{
	unsigned char rnd[CTR_ID_LEN / 2];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		uint64_t x = now_ns() ^ ((uint64_t)getpid() << 32);
		for (size_t i = 0; i < sizeof(rnd); i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			rnd[i] = x >> 56;
		}
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
}

void ctr_new_name(char *buf, size_t size)
{
	static const char *const adj[] = { "brave", "calm", "eager", "fervent", "gentle",
					   "happy", "jolly", "keen", "lucid", "merry",
					   "nifty", "quirky", "serene", "sharp", "tender",
					   "upbeat", "vivid", "wizardly", "zealous", "bold" };
	static const char *const who[] = { "hopper", "lovelace", "turing", "ritchie",
					   "thompson", "torvalds", "kernighan", "hamilton",
					   "liskov", "knuth", "dijkstra", "noether",
					   "curie", "goodall", "shannon", "babbage" };
	unsigned char r[2];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		r[0] = r[1] = (unsigned char)now_ns();
	snprintf(buf, size, "%s_%s", adj[r[0] % ARRAY_SIZE(adj)], who[r[1] % ARRAY_SIZE(who)]);
}

int ctr_lookup(const char *ref, const char *const *ids, const char *const *names, int n)
{
	size_t len;
	int hit = -ENOENT;

	if (*ref == '/')
		ref++;
	len = strlen(ref);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i], ref) == 0)
			return i;
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(ids[i], ref) == 0)
			return i;
	}
	for (int i = 0; len > 0 && i < n; i++) {
		if (strncmp(ids[i], ref, len) == 0) {
			if (hit >= 0)
				return -EEXIST;
			hit = i;
		}
	}
	return hit;
}

int ctr_network_parse(const char *spec, enum ctr_net *mode, const char **ref, struct berr *e)
{
	*ref = NULL;
	if (!spec || strcmp(spec, "none") == 0) {
		*mode = CTR_NET_NONE;
	} else if (strcmp(spec, "host") == 0) {
		*mode = CTR_NET_HOST;
	} else if (strcmp(spec, "bridge") == 0) {
		*mode = CTR_NET_BRIDGE;
	} else if (strncmp(spec, "container:", 10) == 0 && spec[10]) {
		*mode = CTR_NET_CONTAINER;
		*ref = spec + 10;
	} else if (net_name_valid(spec)) {
		*mode = CTR_NET_BRIDGE;
		*ref = spec;
	} else {
		return berr_msg(e, EINVAL,
				"network mode \"%s\": want bridge, host, none, container:NAME or a "
				"network's name",
				spec);
	}
	return 0;
}

bool ctr_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n >= 2 && n < CTR_NAME_MAX && net_name_chars(name);
}

void ctr_cgroup_path(const char *id, char *buf, size_t size)
{
	snprintf(buf, size, CTR_CGROUP_PARENT "/%s", id);
}

void ctr_dir(const char *root, const char *id, char *buf, size_t size)
{
	snprintf(buf, size, "%s/run/berth/containers/%s", root, id);
}

void ctr_log_path(const char *root, const char *id, char *buf, size_t size)
{
	snprintf(buf, size, "%s/run/berth/logs/%s.log", root, id);
}

/* ---- JSON helpers ---- */

json_t *strv_to_json(char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

char **json_to_strv(json_t *a)
{
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	char **v = calloc(n + 1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		v[i] = strdup(s ? s : "");
	}
	return v;
}

static char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strdup(s) : NULL;
}

/* Labels as Docker keeps them: {"KEY": "VALUE"}; in memory "KEY=VALUE". */
json_t *labels_to_json(char **v)
{
	json_t *o = json_object();

	for (char **p = v; p && *p; p++) {
		char *eq = strchr(*p, '=');
		char *key = eq ? strndup(*p, eq - *p) : strdup(*p);

		if (key)
			json_object_set_new(o, key, json_string(eq ? eq + 1 : ""));
		free(key);
	}
	return o;
}

char **labels_from_json(json_t *o)
{
	size_t n = json_is_object(o) ? json_object_size(o) : 0, i = 0;
	const char *key;
	json_t *val;
	char **v;

	if (!n)
		return NULL;
	v = calloc(n + 1, sizeof(char *));
	json_object_foreach(o, key, val) {
		if (!v || i >= n || !json_is_string(val))
			continue;
		if (asprintf(&v[i], "%s=%s", key, json_string_value(val)) < 0)
			v[i] = NULL;
		else
			i++;
	}
	return v;
}

static json_t *nullable(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int save_json(const char *root, const char *id, const char *file, json_t *j,
		     struct berr *e)
{
	char dir[512], path[600];
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	int r;

	json_decref(j);
	if (!text)
		return berr_set(e, ENOMEM, "encode %s", file);
	ctr_dir(root, id, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	r = write_file_atomic(path, text, strlen(text), 0600);
	free(text);
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}

static json_t *load_json(const char *root, const char *id, const char *file, struct berr *e)
{
	char dir[512], path[600];
	json_error_t je;
	json_t *j;

	ctr_dir(root, id, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		berr_msg(e, errno == ENOENT ? ENOENT : EINVAL, "%s: line %d: %s", path, je.line,
			 je.text);
	else if (!json_is_object(j)) {
		json_decref(j);
		j = NULL;
		berr_msg(e, EINVAL, "%s: not a JSON object", path);
	}
	return j;
}

void ctr_xnet_free(struct ctr_xnet *x)
{
	free(x->name);
	free(x->ip);
	strv_freev(x->aliases);
	memset(x, 0, sizeof(*x));
}

/* [{"Name": N, "IPv4Address": IP, "Aliases": [...]}] */
static json_t *xnets_json(const struct ctr_config *c)
{
	json_t *a = json_array();

	for (int i = 0; i < c->nxnets; i++) {
		json_t *o = json_pack("{s:s}", "Name", c->xnets[i].name);

		if (c->xnets[i].ip)
			json_object_set_new(o, "IPv4Address", json_string(c->xnets[i].ip));
		if (c->xnets[i].aliases)
			json_object_set_new(o, "Aliases", strv_to_json(c->xnets[i].aliases));
		json_array_append_new(a, o);
	}
	return a;
}

static void xnets_load(json_t *a, struct ctr_config *c)
{
	size_t n = json_is_array(a) ? json_array_size(a) : 0;

	c->xnets = n ? calloc(n, sizeof(*c->xnets)) : NULL;
	for (size_t i = 0; c->xnets && i < n; i++) {
		json_t *o = json_array_get(a, i);
		struct ctr_xnet *x = &c->xnets[c->nxnets];

		x->name = jstr(o, "Name");
		x->ip = jstr(o, "IPv4Address");
		x->aliases = json_object_get(o, "Aliases") ?
				     json_to_strv(json_object_get(o, "Aliases")) : NULL;
		if (x->name)
			c->nxnets++;
		else
			ctr_xnet_free(x);
	}
}

int ctr_config_save(const char *root, const struct ctr_config *c, struct berr *e)
{
	json_t *j = json_object();
	json_t *mounts = json_array(), *stop_signal;
	char caps[32];

	for (int i = 0; i < c->nmounts; i++)
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:b, s:s, s:o, s:b, s:b}", "Source",
							c->mounts[i].source, "Destination",
							c->mounts[i].target, "RW",
							!c->mounts[i].read_only, "Type",
							c->mounts[i].name ? "volume" : "bind", "Name",
							nullable(c->mounts[i].name), "Anonymous",
							c->mounts[i].anonymous, "NoCopy",
							c->mounts[i].nocopy));
	snprintf(caps, sizeof(caps), "0x%llx", (unsigned long long)c->caps);
	json_object_set_new(j, "Id", json_string(c->id));
	json_object_set_new(j, "Name", json_string(c->name));
	json_object_set_new(j, "Image", nullable(c->image));
	json_object_set_new(j, "ImageID", nullable(c->image_id));
	json_object_set_new(j, "Layers", strv_to_json(c->layers));
	json_object_set_new(j, "Cmd", strv_to_json(c->argv));
	json_object_set_new(j, "Env", strv_to_json(c->env));
	if (c->ports)
		json_object_set_new(j, "Ports", strv_to_json(c->ports));
	if (c->labels)
		json_object_set_new(j, "Labels", labels_to_json(c->labels));
	json_object_set_new(j, "WorkingDir", nullable(c->cwd));
	json_object_set_new(j, "User", nullable(c->user));
	json_object_set_new(j, "Hostname", nullable(c->hostname));
	json_object_set_new(j, "Tty", json_boolean(c->tty));
	json_object_set_new(j, "OpenStdin", json_boolean(c->interactive));
	json_object_set_new(j, "AutoRemove", json_boolean(c->auto_remove));
	json_object_set_new(j, "ReadonlyRootfs", json_boolean(c->read_only));
	json_object_set_new(j, "Privileged", json_boolean(c->privileged));
	json_object_set_new(j, "NoNewPrivileges", json_boolean(c->no_new_privs));
	json_object_set_new(j, "CapMask", json_string(caps));
	json_object_set_new(j, "Seccomp", nullable(c->seccomp));
	json_object_set_new(j, "Mounts", mounts);
	json_object_set_new(j, "Memory", json_integer(c->limits.memory));
	json_object_set_new(j, "MemorySwap", json_integer(c->limits.memory_swap));
	json_object_set_new(j, "CpuQuota", json_integer(c->limits.cpu_quota_us));
	json_object_set_new(j, "CpuPeriod", json_integer(c->limits.cpu_period_us));
	json_object_set_new(j, "CpuShares", json_integer(c->limits.cpu_shares));
	json_object_set_new(j, "PidsLimit", json_integer(c->limits.pids));
	json_object_set_new(j, "CpusetCpus", nullable(c->cpuset));
	json_object_set_new(j, "RestartPolicy", nullable(c->restart));
	json_object_set_new(j, "NetworkMode", nullable(c->network));
	if (c->ip)
		json_object_set_new(j, "IPv4Address", json_string(c->ip));
	if (c->aliases)
		json_object_set_new(j, "Aliases", strv_to_json(c->aliases));
	if (c->nxnets)
		json_object_set_new(j, "ExtraNetworks", xnets_json(c));
	json_object_set_new(j, "StopTimeout", json_integer(c->stop_timeout));
	json_object_set_new(j, "Created", json_integer(c->created_ns));
	if (c->health.test)
		json_object_set_new(j, "Healthcheck", hc_to_json(&c->health));
	json_object_set_new(j, "HostConfig", hx_to_json(&c->hostx, &stop_signal));
	if (stop_signal)
		json_object_set_new(j, "StopSignal", stop_signal);
	if (c->uid_map) {
		json_object_set_new(j, "UidMap", strv_to_json(c->uid_map));
		json_object_set_new(j, "GidMap", strv_to_json(c->gid_map));
		json_object_set_new(j, "IdmapLayers", json_boolean(c->idmap_layers));
	}
	return save_json(root, c->id, "config.json", j, e);
}

int ctr_config_load(const char *root, const char *id, struct ctr_config *c, struct berr *e)
{
	json_t *j = load_json(root, id, "config.json", e);
	json_t *m;
	const char *s;
	int hc, hx;

	memset(c, 0, sizeof(*c));
	if (!j)
		return -e->code;
	s = json_string_value(json_object_get(j, "Id"));
	if (!s || strcmp(s, id) != 0) {
		json_decref(j);
		return berr_msg(e, EINVAL, "config.json of %.12s names another container", id);
	}
	snprintf(c->id, sizeof(c->id), "%s", s);
	s = json_string_value(json_object_get(j, "Name"));
	snprintf(c->name, sizeof(c->name), "%s", s ? s : "");
	c->image = jstr(j, "Image");
	c->image_id = jstr(j, "ImageID");
	c->layers = json_to_strv(json_object_get(j, "Layers"));
	if (json_object_get(j, "UidMap")) {
		c->uid_map = json_to_strv(json_object_get(j, "UidMap"));
		c->gid_map = json_to_strv(json_object_get(j, "GidMap"));
		c->idmap_layers = json_is_true(json_object_get(j, "IdmapLayers"));
	}
	c->argv = json_to_strv(json_object_get(j, "Cmd"));
	c->env = json_to_strv(json_object_get(j, "Env"));
	c->ports = json_object_get(j, "Ports") ? json_to_strv(json_object_get(j, "Ports")) : NULL;
	c->labels = labels_from_json(json_object_get(j, "Labels"));
	c->cwd = jstr(j, "WorkingDir");
	c->user = jstr(j, "User");
	c->hostname = jstr(j, "Hostname");
	c->tty = json_is_true(json_object_get(j, "Tty"));
	c->interactive = json_is_true(json_object_get(j, "OpenStdin"));
	c->auto_remove = json_is_true(json_object_get(j, "AutoRemove"));
	c->read_only = json_is_true(json_object_get(j, "ReadonlyRootfs"));
	c->privileged = json_is_true(json_object_get(j, "Privileged"));
	c->no_new_privs = json_is_true(json_object_get(j, "NoNewPrivileges"));
	s = json_string_value(json_object_get(j, "CapMask"));
	c->caps = s ? strtoull(s, NULL, 16) : 0;
	c->seccomp = jstr(j, "Seccomp");
	m = json_object_get(j, "Mounts");
	c->nmounts = json_is_array(m) ? (int)json_array_size(m) : 0;
	c->mounts = calloc(c->nmounts + 1, sizeof(*c->mounts));
	for (int i = 0; c->mounts && i < c->nmounts; i++) {
		json_t *o = json_array_get(m, i);
		c->mounts[i].source = jstr(o, "Source");
		c->mounts[i].target = jstr(o, "Destination");
		c->mounts[i].read_only = !json_is_true(json_object_get(o, "RW"));
		c->mounts[i].name = jstr(o, "Name");
		c->mounts[i].anonymous = json_is_true(json_object_get(o, "Anonymous"));
		c->mounts[i].nocopy = json_is_true(json_object_get(o, "NoCopy"));
	}
	c->limits.memory = json_integer_value(json_object_get(j, "Memory"));
	c->limits.memory_swap = json_integer_value(json_object_get(j, "MemorySwap"));
	c->limits.cpu_quota_us = json_integer_value(json_object_get(j, "CpuQuota"));
	c->limits.cpu_period_us = json_integer_value(json_object_get(j, "CpuPeriod"));
	c->limits.cpu_shares = json_integer_value(json_object_get(j, "CpuShares"));
	c->limits.pids = json_integer_value(json_object_get(j, "PidsLimit"));
	c->cpuset = jstr(j, "CpusetCpus");
	c->limits.cpuset_cpus = c->cpuset;
	c->restart = jstr(j, "RestartPolicy");
	c->network = jstr(j, "NetworkMode");
	c->ip = jstr(j, "IPv4Address");
	c->aliases = json_object_get(j, "Aliases") ? json_to_strv(json_object_get(j, "Aliases")) :
						     NULL;
	xnets_load(json_object_get(j, "ExtraNetworks"), c);
	c->stop_timeout = (int)json_integer_value(json_object_get(j, "StopTimeout"));
	c->created_ns = json_integer_value(json_object_get(j, "Created"));
	hc = hc_from_json(json_object_get(j, "Healthcheck"), &c->health);
	hx = hx_from_json(json_object_get(j, "HostConfig"), json_object_get(j, "StopSignal"),
			  &c->hostx, e);
	json_decref(j);
	if (hc < 0 || hx < 0) {
		ctr_config_free(c);
		if (hx < 0)
			return berr_wrap(e, "config.json of %.12s", id);
		return berr_set(e, -hc, "config.json of %.12s: health check", id);
	}
	if (!c->argv || !c->argv[0] || !c->layers || !c->mounts || !c->env) {
		ctr_config_free(c);
		return berr_msg(e, EINVAL, "config.json of %.12s: no command, layers or env", id);
	}
	return 0;
}

void ctr_config_free(struct ctr_config *c)
{
	free(c->image);
	free(c->image_id);
	strv_freev(c->layers);
	strv_freev(c->uid_map);
	strv_freev(c->gid_map);
	strv_freev(c->argv);
	strv_freev(c->env);
	strv_freev(c->ports);
	strv_freev(c->labels);
	free(c->ip);
	strv_freev(c->aliases);
	for (int i = 0; i < c->nxnets; i++)
		ctr_xnet_free(&c->xnets[i]);
	free(c->xnets);
	free(c->cwd);
	free(c->user);
	free(c->hostname);
	free(c->seccomp);
	for (int i = 0; c->mounts && i < c->nmounts; i++) {
		free(c->mounts[i].source);
		free(c->mounts[i].target);
		free(c->mounts[i].name);
	}
	free(c->mounts);
	free(c->cpuset);
	free(c->restart);
	free(c->network);
	hc_config_free(&c->health);
	hx_free(&c->hostx);
	memset(c, 0, sizeof(*c));
}

static const char *jstr_borrow(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static void copy_str(char *buf, size_t size, const char *s)
{
	snprintf(buf, size, "%s", s ? s : "");
}

/* s as UTF-8 that jansson takes, in a new string: a health check's output
 * is the bytes it printed (cut at HC_OUTPUT_MAX, perhaps inside a
 * character), and json_pack refuses a string that is not UTF-8, which
 * dropped the whole log entry. Each byte that does not begin a valid
 * sequence becomes U+FFFD, as Go's encoding/json writes it for Docker. */
static char *utf8_valid(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(3 * n + 1);

	for (size_t i = 0, len, k; out && i < n; i += len) {
		const unsigned char *p = (const unsigned char *)s + i;
		unsigned lo = *p == 0xe0 ? 0xa0 : *p == 0xf0 ? 0x90 : 0x80;
		unsigned hi = *p == 0xed ? 0x9f : *p == 0xf4 ? 0x8f : 0xbf;

		len = *p < 0x80 ? 1 : *p < 0xc2 ? 0 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : *p < 0xf5 ? 4 : 0;
		k = 1;
		if (len > 1 && p[1] >= lo && p[1] <= hi)
			for (k = 2; k < len && (p[k] & 0xc0) == 0x80; k++)
				;
		if (k != len) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			len = 1;
		} else {
			memcpy(out + o, p, len);
			o += len;
		}
	}
	if (out)
		out[o] = '\0';
	return out;
}

/* Docker's State.Health: Status, FailingStreak, Log [{Start, End,
 * ExitCode, Output}]. */
json_t *ctr_health_json(const struct hc_state *h)
{
	json_t *log = json_array();

	for (int i = 0; i < h->nlog; i++) {
		char start[48], end[48], *out = utf8_valid(h->log[i].output);

		iso_time_ns(h->log[i].start_ns, start, sizeof(start));
		iso_time_ns(h->log[i].end_ns, end, sizeof(end));
		json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s}", "Start", start, "End",
						     end, "ExitCode", h->log[i].exit_code, "Output",
						     out ? out : ""));
		free(out);
	}
	return json_pack("{s:s, s:i, s:o}", "Status", hc_status_name(h->status), "FailingStreak",
			 h->failing_streak, "Log", log);
}

int ctr_state_save(const char *root, const char *id, const struct ctr_state *s, struct berr *e)
{
	json_t *j = json_pack("{s:s, s:i, s:i, s:b, s:I, s:I, s:i, s:s}", "Status",
			      ctr_status_name(s->status), "Pid", (int)s->pid, "ExitCode",
			      s->exit_code, "OOMKilled", s->oom_killed, "StartedAt",
			      (json_int_t)s->started_ns, "FinishedAt", (json_int_t)s->finished_ns,
			      "RestartCount", s->restart_count, "Error", s->error);

	if (!j)
		return berr_set(e, ENOMEM, "encode state");
	if (s->ip[0]) {
		json_object_set_new(j, "IPAddress", json_string(s->ip));
		json_object_set_new(j, "IPPrefixLen", json_integer(s->ip_prefix));
		json_object_set_new(j, "Gateway", json_string(s->gateway));
		json_object_set_new(j, "MacAddress", json_string(s->mac));
	}
	if (s->ports[0])
		json_object_set_new(j, "Ports", json_string(s->ports));
	json_object_set_new(j, "HasBeenManuallyStopped", json_boolean(s->manual_stop));
	if (s->paused)
		json_object_set_new(j, "Paused", json_true());
	if (s->health && s->health->status != HC_NONE)
		json_object_set_new(j, "Health", ctr_health_json(s->health));
	return save_json(root, id, "state.json", j, e);
}

int ctr_state_load(const char *root, const char *id, struct ctr_state *s, struct berr *e)
{
	json_t *j = load_json(root, id, "state.json", e);
	const char *st, *err;
	int status;

	memset(s, 0, sizeof(*s));
	if (!j)
		return -e->code;
	st = json_string_value(json_object_get(j, "Status"));
	status = st ? status_from_name(st) : -1;
	if (status < 0) {
		json_decref(j);
		return berr_msg(e, EINVAL, "state.json of %.12s: bad Status", id);
	}
	s->status = status;
	s->pid = (pid_t)json_integer_value(json_object_get(j, "Pid"));
	s->exit_code = (int)json_integer_value(json_object_get(j, "ExitCode"));
	s->oom_killed = json_is_true(json_object_get(j, "OOMKilled"));
	s->started_ns = json_integer_value(json_object_get(j, "StartedAt"));
	s->finished_ns = json_integer_value(json_object_get(j, "FinishedAt"));
	s->restart_count = (int)json_integer_value(json_object_get(j, "RestartCount"));
	err = json_string_value(json_object_get(j, "Error"));
	snprintf(s->error, sizeof(s->error), "%s", err ? err : "");
	copy_str(s->ip, sizeof(s->ip), jstr_borrow(j, "IPAddress"));
	copy_str(s->gateway, sizeof(s->gateway), jstr_borrow(j, "Gateway"));
	copy_str(s->mac, sizeof(s->mac), jstr_borrow(j, "MacAddress"));
	s->ip_prefix = (int)json_integer_value(json_object_get(j, "IPPrefixLen"));
	copy_str(s->ports, sizeof(s->ports), jstr_borrow(j, "Ports"));
	s->manual_stop = json_is_true(json_object_get(j, "HasBeenManuallyStopped"));
	s->paused = s->status == CTR_RUNNING && json_is_true(json_object_get(j, "Paused"));
	json_decref(j);
	return 0;
}

static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *frac;
	int64_t ns = 0, scale = 100000000;
	time_t t;

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	t = timegm(&tm);
	if (t < -(INT64_MAX / 1000000000ll) || t > INT64_MAX / 1000000000ll - 1)
		return 0; /* not a time nanoseconds since 1970 can hold */
	frac = strchr(s, '.');
	for (const char *p = frac ? frac + 1 : ""; *p >= '0' && *p <= '9' && scale; p++) {
		ns += (*p - '0') * scale;
		scale /= 10;
	}
	return (int64_t)t * 1000000000ll + ns;
}

int ctr_health_load(const char *root, const char *id, struct hc_state *h, struct berr *e)
{
	json_t *j = load_json(root, id, "state.json", e);
	json_t *o, *log, *x;
	size_t i;
	int st;

	memset(h, 0, sizeof(*h));
	if (!j)
		return -e->code;
	o = json_object_get(j, "Health");
	st = hc_status_parse(json_string_value(json_object_get(o, "Status")));
	h->status = st > 0 ? st : HC_NONE;
	h->failing_streak = (int)json_integer_value(json_object_get(o, "FailingStreak"));
	log = json_object_get(o, "Log");
	json_array_foreach(log, i, x) {
		struct hc_result *r = &h->log[h->nlog];

		if (h->nlog == HC_LOG_MAX)
			break;
		r->start_ns = parse_time(jstr_borrow(x, "Start"));
		r->end_ns = parse_time(jstr_borrow(x, "End"));
		r->exit_code = (int)json_integer_value(json_object_get(x, "ExitCode"));
		copy_str(r->output, sizeof(r->output), jstr_borrow(x, "Output"));
		h->nlog++;
	}
	json_decref(j);
	return 0;
}

void ctr_since(int64_t then_ns, int64_t now_real_ns, char *buf, size_t size)
{
	size_t n;

	/* Docker's wording, without its " ago" (for "Up 3 minutes"). */
	lr_human_since((now_real_ns - then_ns) / 1000000000, buf, size);
	n = strlen(buf);
	if (n > 4 && strcmp(buf + n - 4, " ago") == 0)
		buf[n - 4] = '\0';
}

void ctr_status_text(const struct ctr_state *s, int64_t now_real_ns, char *buf, size_t size)
{
	char ago[64];

	switch (s->status) {
	case CTR_RUNNING:
		ctr_since(s->started_ns, now_real_ns, ago, sizeof(ago));
		if (s->paused)
			snprintf(buf, size, "Up %s (Paused)", ago);
		else if (s->health && s->health->status == HC_STARTING)
			snprintf(buf, size, "Up %s (health: starting)", ago);
		else if (s->health && s->health->status != HC_NONE)
			snprintf(buf, size, "Up %s (%s)", ago, hc_status_name(s->health->status));
		else
			snprintf(buf, size, "Up %s", ago);
		break;
	case CTR_RESTARTING:
		ctr_since(s->finished_ns, now_real_ns, ago, sizeof(ago));
		snprintf(buf, size, "Restarting (%d) %s ago", s->exit_code, ago);
		break;
	case CTR_EXITED:
		if (s->finished_ns) {
			ctr_since(s->finished_ns, now_real_ns, ago, sizeof(ago));
			snprintf(buf, size, "Exited (%d) %s ago", s->exit_code, ago);
		} else {
			snprintf(buf, size, "Exited (%d)", s->exit_code);
		}
		break;
	case CTR_REMOVING:
		snprintf(buf, size, "Removal In Progress");
		break;
	default:
		snprintf(buf, size, "Created");
		break;
	}
}
