/* build.c - `berth build`; see build.h. */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "build_rules.h"
#include "runtime/sandbox/cgroup.h"
#include "containerfile.h"
#include "image.h"
#include "layer.h"
#include "layer_rules.h"
#include "runtime/sandbox/passwd.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/util.h"

#define SH_C "/bin/sh -c "
#define NOP SH_C "#(nop) "

struct state {
	json_t *cfg;	/* the image config being built */
	json_t *layers; /* manifest layer descriptors */
	char *text;	/* cfg serialised (its digest is the ID) */
	char id[DG_STR_LEN];
};

struct builder {
	const struct bld_opts *o;
	struct cf_file cf;
	struct cf_scope scope;
	struct state st;
	bool cmd_set;
	char store[PATH_MAX];	/* ROOT/var/lib/berth */
	char tmp[PATH_MAX];	/* per-build scratch dir */
	int ctxfd;
	int64_t now;
	int64_t clamp;		/* SOURCE_DATE_EPOCH or -1 */
	int seq;
	struct bld_ignore ignore; /* .containerignore or .dockerignore */
	const char *ignore_name;
	struct berr *e;
	const struct cf_inst *in;
};

static void json_decref_p(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(json_decref_p)))

/* "Containerfile:7: " in front of the error. */
static int step_err(struct builder *b, int r)
{
	if (b->in)
		berr_wrap(b->e, "%s:%d", b->o->file_name, b->in->line);
	return r;
}

static void iso_time(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---------------------------------------------------------------- state */

static int state_seal(struct builder *b)
{
	free(b->st.text);
	b->st.text = json_dumps(b->st.cfg, JSON_COMPACT | JSON_SORT_KEYS);
	if (!b->st.text)
		return berr_set(b->e, ENOMEM, "encode config");
	dg_buffer(b->st.text, strlen(b->st.text), b->st.id);
	return 0;
}

static int state_load(struct builder *b, const char *text, json_t *layers)
{
	json_error_t je;
	json_t *cfg = json_loads(text, 0, &je);

	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return berr_msg(b->e, EINVAL, "image config: %s", je.text);
	}
	json_decref(b->st.cfg);
	json_decref(b->st.layers);
	b->st.cfg = cfg;
	b->st.layers = json_incref(layers);
	free(b->st.text);
	b->st.text = strdup(text);
	if (!b->st.text)
		return berr_set(b->e, ENOMEM, "build");
	dg_buffer(text, strlen(text), b->st.id);
	return 0;
}

static void state_free(struct state *s)
{
	json_decref(s->cfg);
	json_decref(s->layers);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static json_t *cfg_config(struct builder *b)
{
	json_t *c = json_object_get(b->st.cfg, "config");

	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(b->st.cfg, "config", c);
	}
	return c;
}

static json_t *diff_ids(struct builder *b)
{
	json_t *rootfs = json_object_get(b->st.cfg, "rootfs");

	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(b->st.cfg, "rootfs", rootfs);
	}
	return json_object_get(rootfs, "diff_ids");
}

/* Sync the scope's ENV with the config's Env. */
static int scope_from_cfg(struct builder *b)
{
	json_t *env = json_object_get(cfg_config(b), "Env"), *v;
	char **list = calloc(json_array_size(env) + 1, sizeof(char *));
	size_t i, n = 0;
	int r;

	if (!list)
		return berr_set(b->e, ENOMEM, "build");
	json_array_foreach(env, i, v)
	{
		if (json_is_string(v))
			list[n++] = (char *)json_string_value(v);
	}
	r = cf_scope_set_env(&b->scope, list, n);
	free(list);
	return r < 0 ? berr_set(b->e, ENOMEM, "build") : 0;
}

/* ---------------------------------------------------------------- layers */

/* The unpacked layer directories, lowest first. */
static char **lower_dirs(struct builder *b, size_t *n)
{
	json_t *ids = diff_ids(b), *v;
	char **dirs = calloc(json_array_size(ids) + 1, sizeof(char *));
	size_t i;

	*n = 0;
	json_array_foreach(ids, i, v)
	{
		const char *d = json_string_value(v);
		if (!dirs || !dg_valid(d) ||
		    asprintf(&dirs[i], "%s/layers/%s", b->store, dg_hex(d)) < 0) {
			cf_strv_free(dirs);
			return NULL;
		}
		*n = i + 1;
	}
	return dirs;
}

/* Does a parent of rel in this layer dir hide what lower layers hold
 * (a whiteout, an opaque directory)? */
static bool hidden_below(const char *layer, const char *rel)
{
	char p[PATH_MAX], v[4];
	size_t base = strlen(layer) + 1;
	struct stat s;

	snprintf(p, sizeof(p), "%s/%s", layer, rel);
	for (char *slash = strchr(p + base, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (lstat(p, &s) == 0) {
			if (S_ISCHR(s.st_mode) && s.st_rdev == 0)
				return true;
			if (S_ISDIR(s.st_mode) &&
			    lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v) - 1) == 1 && v[0] == 'y')
				return true;
		}
		*slash = '/';
	}
	return false;
}

/* Does the image (its layers, top down) have rel ("etc/passwd")? A
 * whiteout in a higher layer hides it. found gets the host path. */
static bool image_lookup(struct builder *b, const char *rel, struct stat *sb, char *found,
			 size_t size)
{
	size_t n;
	char **dirs = lower_dirs(b, &n);
	bool ok = false;

	for (size_t i = n; dirs && i-- > 0 && !ok;) {
		char p[PATH_MAX], wh[PATH_MAX];
		const char *base = strrchr(rel, '/');
		struct stat s;

		snprintf(wh, sizeof(wh), "%s/%.*s.wh.%s", dirs[i],
			 base ? (int)(base - rel + 1) : 0, rel, base ? base + 1 : rel);
		if (lstat(wh, &s) == 0)
			break;
		snprintf(p, sizeof(p), "%s/%s", dirs[i], rel);
		if (lstat(p, &s) == 0) {
			if (S_ISCHR(s.st_mode) && s.st_rdev == 0)
				break; /* an overlay whiteout */
			ok = true;
			if (sb)
				*sb = s;
			if (found)
				snprintf(found, size, "%s", p);
		} else if (hidden_below(dirs[i], rel)) {
			break;
		}
	}
	cf_strv_free(dirs);
	return ok;
}

/* Tar the directory into a new layer of the store and add it to the
 * state. */
static int add_layer_excluding(struct builder *b, const char *dir, const char *const *exclude)
{
	char tar[PATH_MAX];
	_cleanup_json_ json_t *desc = NULL;
	int fd, r;

	snprintf(tar, sizeof(tar), "%s/layer-%d.tar", b->tmp, ++b->seq);
	fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_set(b->e, errno, "create %s", tar);
	r = layer_tar_dir_excluding(dir, fd, b->clamp, exclude, b->e);
	close(fd);
	if (r == 0)
		r = img_add_layer(b->o->root, tar, &desc, b->e);
	unlink(tar);
	if (r < 0)
		return r;
	if (json_array_append(b->st.layers, desc) < 0 ||
	    json_array_append_new(diff_ids(b),
				  json_string(json_string_value(json_object_get(desc, "digest")))) <
		0)
		return berr_set(b->e, ENOMEM, "build");
	return 0;
}

static int add_layer_from(struct builder *b, const char *dir)
{
	return add_layer_excluding(b, dir, NULL);
}

static int new_scratch_dir(struct builder *b, const char *what, char *out, size_t size)
{
	snprintf(out, size, "%s/%s-%d", b->tmp, what, ++b->seq);
	if (mkdir(out, 0755) < 0)
		return berr_set(b->e, errno, "create %s", out);
	return 0;
}

/* ---------------------------------------------------------------- cache */

static void cache_path(struct builder *b, const char *key, char *out, size_t size)
{
	snprintf(out, size, "%s/build-cache/%s", b->store, dg_hex(key));
}

static void cache_key(struct builder *b, const char *created_by, const char *files,
		      char key[DG_STR_LEN])
{
	bld_cache_key(b->st.id, created_by, files, key);
}

static bool cache_get(struct builder *b, const char *key)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *entry = NULL, *cfg = NULL;
	const char *text;
	json_t *layers;

	if (b->o->no_cache)
		return false;
	cache_path(b, key, path, sizeof(path));
	entry = json_load_file(path, 0, NULL);
	text = json_string_value(json_object_get(entry, "config"));
	layers = json_object_get(entry, "layers");
	if (!text || !json_is_array(layers))
		return false;
	cfg = json_loads(text, 0, NULL);
	if (!img_layers_present(b->o->root, layers,
				json_object_get(json_object_get(cfg, "rootfs"), "diff_ids")))
		return false;
	return state_load(b, text, layers) == 0;
}

static void cache_put(struct builder *b, const char *key)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *entry =
	    json_pack("{s:s, s:O}", "config", b->st.text, "layers", b->st.layers);
	_cleanup_free_ char *s = entry ? json_dumps(entry, JSON_COMPACT) : NULL;

	char dir[PATH_MAX];

	if (!s)
		return;
	snprintf(dir, sizeof(dir), "%s/build-cache", b->store);
	mkdir_p(dir, 0700);
	cache_path(b, key, path, sizeof(path));
	write_file_atomic(path, s, strlen(s), 0600);
}

/* ---------------------------------------------------------------- steps */

/* Finish a step: history entry, created time, new ID. */
static int commit_step(struct builder *b, const char *created_by, bool empty_layer)
{
	char when[32];
	json_t *hist = json_object_get(b->st.cfg, "history");
	json_t *h;

	iso_time(b->now, when, sizeof(when));
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(b->st.cfg, "history", hist);
	}
	h = json_pack("{s:s, s:s}", "created", when, "created_by", created_by);
	if (!h)
		return berr_set(b->e, ENOMEM, "build");
	if (empty_layer)
		json_object_set_new(h, "empty_layer", json_true());
	json_array_append_new(hist, h);
	json_object_set_new(b->st.cfg, "created", json_string(when));
	return state_seal(b);
}

static int expand(struct builder *b, const char *word, char **out)
{
	int r = cf_expand(word, b->cf.escape, &b->scope, out, b->e);
	return r < 0 ? step_err(b, r) : 0;
}

/* Go's %q of a JSON string list. */
static char *quote_list(json_t *list)
{
	size_t n = json_array_size(list);
	char **v = calloc(n + 1, sizeof(char *));
	char *q;

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = (char *)(json_string_value(json_array_get(list, i)) ?: "");
	q = bld_quote_list(v, n);
	free(v);
	return q;
}

static json_t *command_list(const struct cf_inst *in)
{
	json_t *a = json_array();

	if (!in->json)
		return json_pack("[s, s, s]", "/bin/sh", "-c", in->args[0]);
	for (size_t i = 0; a && i < in->nargs; i++)
		json_array_append_new(a, json_string(in->args[i]));
	return a;
}

static void env_set(json_t *env, const char *name, const char *value)
{
	size_t i, k = strlen(name);
	json_t *v;
	char *kv;

	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return;
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, name, k) == 0 && s[k] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* ENV and LABEL: expanded "K=V" words. */
static int step_kv(struct builder *b, const char *kw, char **created_by, json_t *pairs)
{
	const struct cf_inst *in = b->in;
	char *text = NULL;

	if (asprintf(&text, NOP " %s", kw) < 0)
		return berr_set(b->e, ENOMEM, "build");
	for (size_t i = 0; i < in->nargs; i++) {
		char *word, *k, *v, *n;
		int r = expand(b, in->args[i], &word);
		if (r < 0) {
			free(text);
			return r;
		}
		if (cf_split_kv(word, &k, &v) < 0) {
			free(word);
			free(text);
			return berr_set(b->e, ENOMEM, "build");
		}
		json_array_append_new(pairs, json_pack("[s, s]", k, v));
		if (asprintf(&n, "%s %s", text, word) < 0)
			n = NULL;
		free(text);
		text = n;
		free(word);
		free(k);
		free(v);
		if (!text)
			return berr_set(b->e, ENOMEM, "build");
	}
	*created_by = text;
	return 0;
}

/* The metadata-only instructions: compute what changes (and the history
 * text that keys the cache), then apply it to the config. */
static int step_meta(struct builder *b, char **created_by, json_t **change)
{
	const struct cf_inst *in = b->in;
	json_t *ch = json_object();
	char *word = NULL, *t = NULL;
	int r = 0;

	*change = ch;
	switch (in->kind) {
	case CF_ENV:
	case CF_LABEL: {
		json_t *pairs = json_array();
		json_object_set_new(ch, "pairs", pairs);
		return step_kv(b, in->kind == CF_ENV ? "ENV" : "LABEL", created_by, pairs);
	}
	case CF_MAINTAINER:
		json_object_set_new(ch, "author", json_string(in->args[0]));
		r = asprintf(created_by, NOP " MAINTAINER %s", in->args[0]);
		break;
	case CF_USER:
	case CF_WORKDIR:
		if ((r = expand(b, in->args[0], &word)) < 0)
			return r;
		if (in->kind == CF_WORKDIR && word[0] != '/') {
			const char *cur = json_string_value(json_object_get(cfg_config(b), "WorkingDir"));
			char *abs;
			if (asprintf(&abs, "%s/%s", cur && *cur ? (strcmp(cur, "/") ? cur : "") : "",
				     word) < 0) {
				free(word);
				return berr_set(b->e, ENOMEM, "build");
			}
			free(word);
			word = abs;
		}
		json_object_set_new(ch, in->kind == CF_USER ? "User" : "WorkingDir", json_string(word));
		r = asprintf(created_by, NOP "%s %s", in->kind == CF_USER ? "USER" : "WORKDIR", word);
		break;
	case CF_VOLUME:
	case CF_EXPOSE: {
		json_t *keys = json_array();
		json_object_set_new(ch, "keys", keys);
		r = asprintf(&t, NOP " %s", in->kind == CF_VOLUME ? "VOLUME [" : "EXPOSE");
		for (size_t i = 0; r >= 0 && i < in->nargs; i++) {
			char *n, key[64];
			if ((r = expand(b, in->args[i], &word)) < 0)
				break;
			if (in->kind == CF_EXPOSE) {
				char *end, *slash = strchr(word, '/');
				long port = strtol(word, &end, 10);
				const char *proto = slash ? slash + 1 : "tcp";
				if (end == word || port < 1 || port > 65535 ||
				    (*end && end != slash) ||
				    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))) {
					r = step_err(b, berr_msg(b->e, EINVAL, "EXPOSE: invalid port \"%s\"", word));
					break;
				}
				snprintf(key, sizeof(key), "%ld/%s", port, proto);
				json_array_append_new(keys, json_string(key));
				r = asprintf(&n, "%s %s", t, key);
			} else {
				if (word[0] != '/' || !*word) {
					r = step_err(b, berr_msg(b->e, EINVAL, "VOLUME: \"%s\" is not an absolute path", word));
					break;
				}
				json_array_append_new(keys, json_string(word));
				r = asprintf(&n, "%s%s%s", t, i ? " " : "", word);
			}
			free(word);
			word = NULL;
			free(t);
			t = r < 0 ? NULL : n;
		}
		if (r >= 0 && in->kind == CF_VOLUME) {
			char *n;
			r = asprintf(&n, "%s]", t);
			free(t);
			t = r < 0 ? NULL : n;
		}
		if (r < 0) {
			free(t);
			free(word);
			return -b->e->code ? -b->e->code : berr_set(b->e, ENOMEM, "build");
		}
		*created_by = t;
		return 0;
	}
	case CF_CMD:
	case CF_ENTRYPOINT: {
		json_t *cmd = command_list(in);
		char *q = quote_list(cmd);
		json_object_set_new(ch, in->kind == CF_CMD ? "Cmd" : "Entrypoint", cmd);
		r = q ? asprintf(created_by, NOP " %s %s", in->kind == CF_CMD ? "CMD" : "ENTRYPOINT", q) : -1;
		free(q);
		break;
	}
	case CF_HEALTHCHECK: {
		const struct cf_health *h = &in->health;
		json_t *hc = json_object(), *test;
		char *q;
		if (h->none) {
			test = json_pack("[s]", "NONE");
		} else if (in->json) {
			test = json_pack("[s]", "CMD");
			for (size_t i = 0; i < in->nargs; i++)
				json_array_append_new(test, json_string(in->args[i]));
		} else {
			test = json_pack("[s, s]", "CMD-SHELL", in->args[0]);
		}
		json_object_set_new(hc, "Test", test);
		if (h->interval)
			json_object_set_new(hc, "Interval", json_integer(h->interval));
		if (h->timeout)
			json_object_set_new(hc, "Timeout", json_integer(h->timeout));
		if (h->start_period)
			json_object_set_new(hc, "StartPeriod", json_integer(h->start_period));
		if (h->retries)
			json_object_set_new(hc, "Retries", json_integer(h->retries));
		q = json_dumps(hc, JSON_COMPACT | JSON_SORT_KEYS);
		json_object_set_new(ch, "Healthcheck", hc);
		r = q ? asprintf(created_by, NOP " HEALTHCHECK %s", q) : -1;
		free(q);
		break;
	}
	case CF_ARG: {
		r = asprintf(&t, NOP " ARG");
		for (size_t i = 0; r >= 0 && i < in->nargs; i++) {
			char *n;
			r = asprintf(&n, "%s %s", t, in->args[i]);
			free(t);
			t = r < 0 ? NULL : n;
		}
		*created_by = t;
		break;
	}
	default:
		r = berr_msg(b->e, EINVAL, "not a metadata instruction");
		return step_err(b, r);
	}
	free(word);
	if (r < 0)
		return berr_set(b->e, ENOMEM, "build");
	return 0;
}

static void apply_meta(struct builder *b, json_t *ch)
{
	json_t *c = cfg_config(b), *v;
	const char *k;
	size_t i;

	switch (b->in->kind) {
	case CF_ENV: {
		json_t *env = json_object_get(c, "Env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(c, "Env", env);
		}
		json_array_foreach(json_object_get(ch, "pairs"), i, v)
		    env_set(env, json_string_value(json_array_get(v, 0)),
			    json_string_value(json_array_get(v, 1)));
		break;
	}
	case CF_LABEL: {
		json_t *labels = json_object_get(c, "Labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(c, "Labels", labels);
		}
		json_array_foreach(json_object_get(ch, "pairs"), i, v)
		    json_object_set(labels, json_string_value(json_array_get(v, 0)),
				    json_array_get(v, 1));
		break;
	}
	case CF_VOLUME:
	case CF_EXPOSE: {
		const char *field = b->in->kind == CF_VOLUME ? "Volumes" : "ExposedPorts";
		json_t *set = json_object_get(c, field);
		if (!json_is_object(set)) {
			set = json_object();
			json_object_set_new(c, field, set);
		}
		json_array_foreach(json_object_get(ch, "keys"), i, v)
		    json_object_set_new(set, json_string_value(v), json_object());
		break;
	}
	case CF_ARG:
		break;
	default:
		json_object_foreach(ch, k, v)
		{
			if (strcmp(k, "author") == 0)
				json_object_set(b->st.cfg, k, v);
			else
				json_object_set(c, k, v);
		}
		if (b->in->kind == CF_ENTRYPOINT && !b->cmd_set)
			json_object_set_new(c, "Cmd", json_null());
		break;
	}
}

/* ---------------------------------------------------------------- RUN */

/* The sandbox makes mount points (/proc, /sys, /dev) in the upper dir;
 * they belong to no layer unless the image had them. */
static const char *const mount_points[] = {"proc", "sys", "dev", "etc/hosts",
					   "etc/hostname", "etc/resolv.conf"};

static void strip_mountpoints(struct builder *b, const char *upper)
{
	const char *const *points = mount_points;
	char p[PATH_MAX];
	struct stat sb;

	for (size_t i = 0; i < ARRAY_SIZE(mount_points); i++) {
		if (image_lookup(b, points[i], NULL, NULL, 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", upper, points[i]);
		if (lstat(p, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			rmdir(p);
		else if (S_ISREG(sb.st_mode) && sb.st_size == 0)
			unlink(p);
	}
	if (!image_lookup(b, "etc", NULL, NULL, 0)) {
		snprintf(p, sizeof(p), "%s/etc", upper);
		rmdir(p);
	}
}

static int run_sandbox(struct builder *b, char **argv, char **env, const char *upper)
{
	char work[PATH_MAX], rootfs[PATH_MAX], empty[PATH_MAX], idhex[DG_HEX_LEN + 1];
	char cgroup[PATH_MAX], rid[DG_STR_LEN], seed[64];
	json_t *c = cfg_config(b);
	struct sb_spec spec = {0};
	size_t nlower;
	char **lowers = lower_dirs(b, &nlower);
	const char *one[1];
	struct berr se;
	pid_t pid;
	int r, status;

	if (!lowers)
		return berr_set(b->e, ENOMEM, "build");
	if ((r = new_scratch_dir(b, "work", work, sizeof(work))) < 0 ||
	    (r = new_scratch_dir(b, "rootfs", rootfs, sizeof(rootfs))) < 0)
		goto out;
	snprintf(seed, sizeof(seed), "%d-%d-%lld", (int)getpid(), b->seq, (long long)now_ns());
	dg_buffer(seed, strlen(seed), rid);
	snprintf(idhex, sizeof(idhex), "%s", dg_hex(rid));
	if (nlower == 0) {
		if ((r = new_scratch_dir(b, "empty", empty, sizeof(empty))) < 0)
			goto out;
		one[0] = empty;
		spec.lowerdirs = one;
		spec.nlower = 1;
	} else {
		spec.lowerdirs = (const char *const *)lowers;
		spec.nlower = (int)nlower;
	}
	snprintf(cgroup, sizeof(cgroup), "/sys/fs/cgroup/berth/build-%.12s", idhex);
	spec.id = idhex;
	spec.hostname = idhex + 52;
	spec.upperdir = upper;
	spec.workdir = work;
	spec.rootfs = rootfs;
	spec.argv = argv;
	spec.env = env;
	spec.cwd = json_string_value(json_object_get(c, "WorkingDir"));
	spec.user = json_string_value(json_object_get(c, "User"));
	spec.stdin_fd = -1;
	spec.stdout_fd = 1;
	spec.stderr_fd = 2;
	spec.caps = sb_default_caps();
	spec.no_new_privs = true;
	spec.cgroup = cg_usable() ? cgroup : NULL;
	if (!b->o->quiet)
		printf(" ---> Running in %.12s\n", idhex);
	fflush(stdout);
	fflush(stderr);
	r = sb_start(&spec, &pid, &se);
	if (r < 0) {
		sb_cleanup(&spec);
		r = berr_msg(b->e, se.code ? se.code : EINVAL, "RUN: %s", se.msg);
		goto out;
	}
	status = wait_pid(pid);
	sb_cleanup(&spec);
	if (status != 0) {
		char cmd[1024] = "";
		for (char **a = argv; *a; a++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s",
				 a == argv ? "" : " ", *a);
		r = berr_msg(b->e, EIO, "the command '%s' returned a non-zero code: %d (exit code %d)",
			     cmd, status, status);
		goto out;
	}
	strip_mountpoints(b, upper);
	if (!b->o->quiet)
		printf("Removing intermediate container %.12s\n", idhex);
	r = 0;
out:
	cf_strv_free(lowers);
	return r;
}

static int step_run(struct builder *b, char **created_by, char **args_env, size_t nargs_env)
{
	const struct cf_inst *in = b->in;

	*created_by = bld_run_created_by(in->args, in->nargs, in->json, args_env, nargs_env);
	return *created_by ? 0 : berr_set(b->e, ENOMEM, "build");
}

static int exec_run(struct builder *b, char **args_env, size_t nargs_env)
{
	const struct cf_inst *in = b->in;
	json_t *env = json_object_get(cfg_config(b), "Env"), *v;
	char upper[PATH_MAX];
	char **argv = NULL, **envp = NULL;
	size_t i, n = 0;
	int r;

	r = new_scratch_dir(b, "upper", upper, sizeof(upper));
	if (r < 0)
		return r;
	argv = calloc(in->nargs + 4, sizeof(char *));
	envp = calloc(json_array_size(env) + nargs_env + 1, sizeof(char *));
	if (!argv || !envp) {
		free(argv);
		free(envp);
		return berr_set(b->e, ENOMEM, "build");
	}
	if (in->json) {
		for (i = 0; i < in->nargs; i++)
			argv[i] = in->args[i];
	} else {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = in->args[0];
	}
	json_array_foreach(env, i, v) if (json_is_string(v)) envp[n++] = (char *)json_string_value(v);
	for (i = 0; i < nargs_env; i++)
		envp[n++] = args_env[i];
	r = run_sandbox(b, argv, envp, upper);
	free(argv);
	free(envp);
	if (r == 0)
		r = add_layer_from(b, upper);
	layer_rmtree(upper);
	return r;
}

/* ---------------------------------------------------------------- COPY/ADD */

struct copy {
	struct builder *b;
	struct dg_ctx dg;	/* what the sources held (the cache key) */
	uid_t uid;
	gid_t gid;
	int chmod;		/* -1: keep */
	int upperfd;
};

static int open_beneath(int dfd, const char *path, int flags)
{
	struct open_how how = {.flags = flags | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
}

/* Walk rel (clean, relative) under the upper dir, creating missing
 * directories with the image's metadata for them (or 0755 root), never
 * following a symlink. Returns an fd of the directory. */
static int upper_dir(struct copy *c, const char *rel, struct berr *e)
{
	char part[PATH_MAX], sofar[PATH_MAX] = "";
	const char *p = rel;
	int fd = dup(c->upperfd);

	while (fd >= 0 && *p) {
		size_t n = strcspn(p, "/");
		struct stat sb;
		int next;

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		snprintf(sofar + strlen(sofar), sizeof(sofar) - strlen(sofar), "%s%s",
			 *sofar ? "/" : "", part);
		p += n;
		while (*p == '/')
			p++;
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			bool known = image_lookup(c->b, sofar, &sb, NULL, 0);
			if (known && !S_ISDIR(sb.st_mode)) {
				close(fd);
				return berr_msg(e, ENOTDIR, "%s is not a directory in the image", sofar);
			}
			if (mkdirat(fd, part, 0755) < 0 && errno != EEXIST) {
				close(fd);
				return berr_set(e, errno, "create /%s", sofar);
			}
			next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0) {
				struct timespec ts[2];
				if (known) {
					fchmod(next, sb.st_mode & 07777);
					fchown(next, sb.st_uid, sb.st_gid);
					ts[0] = ts[1] = sb.st_mtim;
				} else {
					fchown(next, 0, 0);
					ts[0].tv_sec = ts[1].tv_sec = c->b->now;
					ts[0].tv_nsec = ts[1].tv_nsec = 0;
				}
				futimens(next, ts);
			}
		}
		close(fd);
		fd = next;
		if (fd < 0)
			return berr_set(e, errno, "open /%s (a symlink or a file is in the way)", sofar);
	}
	return fd < 0 ? berr_set(e, errno, "open upper dir") : fd;
}

static void hash_str(struct copy *c, const char *s)
{
	dg_update(&c->dg, s, strlen(s) + 1);
}

static void set_meta(struct copy *c, int fd, const struct stat *sb)
{
	struct timespec ts[2] = {sb->st_mtim, sb->st_mtim};
	mode_t mode = c->chmod >= 0 ? (mode_t)c->chmod : (sb->st_mode & 07777);

	fchown(fd, c->uid, c->gid);
	fchmod(fd, mode);
	futimens(fd, ts);
}

static int copy_fd(struct copy *c, int src, const struct stat *sb, int dstdir, const char *name,
		   const char *rel, int depth, struct berr *e);

static bool reincludes_below(const struct bld_ignore *ig, const char *dir)
{
	size_t n = strlen(dir);

	for (size_t i = 0; i < ig->n; i++)
		if (ig->negate[i] && strncmp(ig->pat[i], dir, n) == 0 && ig->pat[i][n] == '/')
			return true;
	return false;
}

static int copy_child(struct copy *c, int srcdir, const char *name, int dstdir, const char *rel,
		      int depth, struct berr *e)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct stat sb;
	int fd, r;

	if (strcmp(rel, ".") == 0)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", rel, name);
	if (fstatat(srcdir, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(e, errno, "stat %s", path);
	/* .containerignore: skip it, unless a "!" pattern wants something
	 * below this directory back */
	if (bld_ignored(&c->b->ignore, path) &&
	    !(S_ISDIR(sb.st_mode) && reincludes_below(&c->b->ignore, path)))
		return 0;
	if (S_ISLNK(sb.st_mode)) {
		ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
		struct timespec ts[2] = {sb.st_mtim, sb.st_mtim};
		if (n < 0)
			return berr_set(e, errno, "readlink %s", path);
		target[n] = '\0';
		hash_str(c, path);
		hash_str(c, "l");
		hash_str(c, target);
		unlinkat(dstdir, name, 0);
		if (symlinkat(target, dstdir, name) < 0)
			return berr_set(e, errno, "symlink %s", path);
		fchownat(dstdir, name, c->uid, c->gid, AT_SYMLINK_NOFOLLOW);
		utimensat(dstdir, name, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
		return 0; /* devices, fifos, sockets: not copied */
	fd = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berr_set(e, errno, "open %s", path);
	r = copy_fd(c, fd, &sb, dstdir, name, path, depth, e);
	close(fd);
	return r;
}

static int copy_dir_contents(struct copy *c, int src, int dst, const char *rel, int depth,
			     struct berr *e)
{
	int fd = dup(src);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return berr_set(e, errno, "read %s", rel);
	}
	while ((de = readdir(d))) {
		char **nv;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nv = realloc(names, (n + 2) * sizeof(*nv));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			free(nv ? nv : names);
			closedir(d);
			return berr_set(e, ENOMEM, "copy");
		}
		names = nv;
		names[++n] = NULL;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n && r == 0; i++)
		r = copy_child(c, src, names[i], dst, rel, depth + 1, e);
	cf_strv_free(names);
	return r;
}

/* Copy the open source (file or directory) to dstdir/name. */
static int copy_fd(struct copy *c, int src, const struct stat *sb, int dstdir, const char *name,
		   const char *rel, int depth, struct berr *e)
{
	char buf[65536], mode[32];
	int out, r = 0;

	if (depth > 128)
		return berr_msg(e, ELOOP, "%s: too deep", rel);
	snprintf(mode, sizeof(mode), "%o", sb->st_mode);
	hash_str(c, rel);
	hash_str(c, mode);
	if (S_ISDIR(sb->st_mode)) {
		if (mkdirat(dstdir, name, 0755) < 0 && errno != EEXIST)
			return berr_set(e, errno, "create %s", rel);
		out = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0)
			return berr_set(e, errno, "open %s", rel);
		r = copy_dir_contents(c, src, out, rel, depth, e);
		if (r == 0)
			set_meta(c, out, sb);
		close(out);
		return r;
	}
	unlinkat(dstdir, name, 0);
	out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berr_set(e, errno, "create %s", rel);
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = berr_set(e, errno, "read %s", rel);
			break;
		}
		if (n == 0)
			break;
		dg_update(&c->dg, buf, n);
		if ((r = write_all(out, buf, n)) < 0) {
			r = berr_set(e, -r, "write %s", rel);
			break;
		}
	}
	if (r == 0)
		set_meta(c, out, sb);
	close(out);
	return r;
}

static bool is_archive(int fd)
{
	unsigned char h[512];
	ssize_t n = pread(fd, h, sizeof(h), 0);

	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return true;
	return n == 512 && memcmp(h + 257, "ustar", 5) == 0;
}

/* ADD of a local tar archive: unpack it (layer rules: no escapes) into
 * the destination directory. */
static int add_archive(struct copy *c, int fd, const char *dest_rel, const char *src,
		       struct berr *e)
{
	char tmp[PATH_MAX], dg[DG_STR_LEN];
	_cleanup_fd_ int dst = -1, from = -1;
	DIR *d;
	struct dirent *de;
	int r;

	snprintf(tmp, sizeof(tmp), "%s/add-%d", c->b->tmp, ++c->b->seq);
	r = layer_extract(fd, tmp, 0, -1, dg, NULL, e);
	if (r < 0)
		return berr_wrap(e, "ADD %s", src);
	hash_str(c, src);
	hash_str(c, dg);
	dst = upper_dir(c, dest_rel, e);
	from = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0 || from < 0) {
		layer_rmtree(tmp);
		return dst < 0 ? dst : berr_set(e, errno, "open %s", tmp);
	}
	d = fdopendir(dup(from));
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (renameat(from, de->d_name, dst, de->d_name) < 0) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", tmp, de->d_name);
			r = berr_set(e, errno, "ADD %s: move %s", src, de->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	layer_rmtree(tmp);
	return r;
}

/* Resolve --chown with the image's /etc/passwd and /etc/group. */
static int resolve_chown(struct copy *c, const char *spec, struct berr *e)
{
	char passwd[PATH_MAX] = "/nonexistent", group[PATH_MAX] = "/nonexistent";
	struct pw_ids ids;
	int r;

	c->uid = c->gid = 0;
	if (!spec)
		return 0;
	image_lookup(c->b, "etc/passwd", NULL, passwd, sizeof(passwd));
	image_lookup(c->b, "etc/group", NULL, group, sizeof(group));
	r = pw_resolve(passwd, group, spec, &ids, e);
	if (r < 0)
		return berr_wrap(e, "--chown=%s", spec);
	c->uid = ids.uid;
	c->gid = ids.gid;
	/* "user" alone: Docker takes the gid from the user's passwd entry */
	return 0;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The sources a COPY argument names: itself, or the glob's matches in
 * its directory (sorted). */
static int expand_sources(struct builder *b, const char *clean, char ***out, size_t *n,
			  struct berr *e)
{
	const char *slash = strrchr(clean, '/');
	char dir[PATH_MAX], **v = NULL;
	int fd;
	DIR *d;
	struct dirent *de;

	*n = 0;
	if (!has_glob(clean)) {
		if (strcmp(clean, ".") && bld_ignored(&b->ignore, clean))
			return berr_msg(e, ENOENT, "file not found in build context or excluded by "
					"%s: %s", b->ignore_name, clean);
		v = calloc(2, sizeof(char *));
		if (!v || !(v[0] = strdup(clean))) {
			free(v);
			return berr_set(e, ENOMEM, "copy");
		}
		*out = v;
		*n = 1;
		return 0;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - clean) : 1, slash ? clean : ".");
	if (has_glob(dir))
		return berr_msg(e, EINVAL, "%s: wildcards are supported in the last path element only", clean);
	fd = open_beneath(b->ctxfd, dir, O_RDONLY | O_DIRECTORY);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return berr_set(e, errno, "%s", clean);
	}
	while ((de = readdir(d))) {
		char **nv, *p;
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		if (fnmatch(slash ? slash + 1 : clean, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (asprintf(&p, "%s%s%s", slash ? dir : "", slash ? "/" : "", de->d_name) < 0)
			p = NULL;
		if (p && bld_ignored(&b->ignore, p)) {
			free(p);
			continue;
		}
		nv = realloc(v, (*n + 2) * sizeof(*nv));
		if (!p || !nv) {
			free(p);
			free(nv ? nv : v);
			closedir(d);
			return berr_set(e, ENOMEM, "copy");
		}
		v = nv;
		v[(*n)++] = p;
		v[*n] = NULL;
	}
	closedir(d);
	if (*n == 0) {
		free(v);
		return berr_msg(e, ENOENT, "no source files were specified (%s matched nothing)", clean);
	}
	for (size_t i = 0; i < *n; i++)
		for (size_t j = i + 1; j < *n; j++)
			if (strcmp(v[i], v[j]) > 0) {
				char *t = v[i];
				v[i] = v[j];
				v[j] = t;
			}
	*out = v;
	return 0;
}

/* Stage the sources into upper (a fresh dir); *files gets the digest of
 * what they held. */
static int stage_copy(struct builder *b, const char *upper, char **words, size_t nwords,
		      const char *chown, const char *chmod_s, char files[DG_STR_LEN],
		      const char **kind)
{
	const struct cf_inst *in = b->in;
	const char *kw = in->kind == CF_ADD ? "ADD" : "COPY";
	const char *dest = words[nwords - 1];
	char dest_abs[PATH_MAX], dest_rel[PATH_MAX];
	struct copy c = {.b = b, .chmod = -1};
	struct stat dsb;
	bool dest_dir, dest_slash;
	size_t total = 0;
	int r = 0;

	dg_init(&c.dg);
	if (chmod_s) {
		char *end;
		long m = strtol(chmod_s, &end, 8);
		if (!*chmod_s || *end || m < 0 || m > 07777)
			return step_err(b, berr_msg(b->e, EINVAL, "%s: invalid --chmod \"%s\"", kw, chmod_s));
		c.chmod = (int)m;
	}
	if (resolve_chown(&c, chown, b->e) < 0)
		return step_err(b, -b->e->code);
	if (dest[0] == '/') {
		snprintf(dest_abs, sizeof(dest_abs), "%s", dest);
	} else {
		const char *wd = json_string_value(json_object_get(cfg_config(b), "WorkingDir"));
		snprintf(dest_abs, sizeof(dest_abs), "%s/%s", wd && *wd ? wd : "", dest);
	}
	dest_slash = dest_abs[strlen(dest_abs) - 1] == '/' ||
		     (strlen(dest) >= 2 && !strcmp(dest + strlen(dest) - 2, "/.")) || !strcmp(dest, ".");
	if (lr_clean_path(dest_abs + strspn(dest_abs, "/"), dest_rel, sizeof(dest_rel)) < 0)
		return step_err(b, berr_msg(b->e, EINVAL, "%s: invalid destination \"%s\"", kw, dest));
	dest_dir = dest_slash || !*dest_rel ||
		   (image_lookup(b, dest_rel, &dsb, NULL, 0) && S_ISDIR(dsb.st_mode));
	c.upperfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.upperfd < 0)
		return berr_set(b->e, errno, "open %s", upper);
	for (size_t i = 0; i + 1 < nwords && r == 0; i++) {
		const char *src = words[i];
		char clean[PATH_MAX];
		char **list = NULL;
		size_t n = 0;

		if (strstr(src, "://")) {
			r = step_err(b, berr_msg(b->e, EINVAL, "%s %s: URLs are not supported (only files of the build context)", kw, src));
			break;
		}
		if (lr_clean_path(src + strspn(src, "/"), clean, sizeof(clean)) < 0) {
			r = step_err(b, berr_msg(b->e, EPERM, "%s failed: forbidden path outside the build context: %s", kw, src));
			break;
		}
		if (!*clean)
			strcpy(clean, ".");
		r = expand_sources(b, clean, &list, &n, b->e);
		if (r < 0) {
			r = step_err(b, berr_wrap(b->e, "%s failed", kw));
			break;
		}
		total += n;
		if (total > 1 && !dest_slash) {
			cf_strv_free(list);
			r = step_err(b, berr_msg(b->e, EINVAL, "When using %s with more than one source file, the destination must be a directory and end with a /", kw));
			break;
		}
		for (size_t k = 0; k < n && r == 0; k++) {
			struct stat sb;
			int fd = open_beneath(b->ctxfd, list[k], O_PATH);
			int dst = -1;
			const char *base;
			char parent[PATH_MAX];

			if (fd < 0) {
				if (errno == EXDEV || errno == ELOOP)
					r = berr_msg(b->e, EPERM, "%s failed: forbidden path outside the build context: %s (a symlink leads out of it)", kw, list[k]);
				else
					r = berr_set(b->e, errno, "%s failed: stat %s", kw, list[k]);
				r = step_err(b, r);
				break;
			}
			if (fstat(fd, &sb) < 0) {
				r = step_err(b, berr_set(b->e, errno, "stat %s", list[k]));
				close(fd);
				break;
			}
			close(fd);
			if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
				r = step_err(b, berr_msg(b->e, EINVAL, "%s %s: not a file or directory", kw, list[k]));
				break;
			}
			fd = open_beneath(b->ctxfd, list[k], O_RDONLY | (S_ISDIR(sb.st_mode) ? O_DIRECTORY : 0));
			if (fd < 0) {
				r = step_err(b, berr_set(b->e, errno, "%s failed: open %s", kw, list[k]));
				break;
			}
			*kind = n > 1 || total > 1 ? "multi" : S_ISDIR(sb.st_mode) ? "dir" : "file";
			if (S_ISDIR(sb.st_mode)) {
				dst = upper_dir(&c, dest_rel, b->e);
				if (dst >= 0) {
					hash_str(&c, "D");
					r = copy_dir_contents(&c, fd, dst, list[k], 0, b->e);
					if (r == 0 && *dest_rel &&
					    !image_lookup(b, dest_rel, NULL, NULL, 0))
						set_meta(&c, dst, &sb);
				} else {
					r = dst;
				}
			} else if (in->kind == CF_ADD && is_archive(fd)) {
				r = add_archive(&c, fd, dest_rel, list[k], b->e);
			} else {
				char rel[PATH_MAX];
				base = strrchr(list[k], '/');
				base = base ? base + 1 : list[k];
				if (dest_dir) {
					snprintf(rel, sizeof(rel), "%s%s%s", dest_rel, *dest_rel ? "/" : "", base);
				} else {
					snprintf(rel, sizeof(rel), "%s", dest_rel);
				}
				snprintf(parent, sizeof(parent), "%s", rel);
				{
					char *sl = strrchr(parent, '/');
					base = sl ? sl + 1 : rel;
					if (sl)
						*sl = '\0';
					else
						parent[0] = '\0';
				}
				dst = upper_dir(&c, parent, b->e);
				if (dst >= 0)
					r = copy_fd(&c, fd, &sb, dst, base, list[k], 0, b->e);
				else
					r = dst;
			}
			if (dst >= 0)
				close(dst);
			close(fd);
			if (r < 0)
				r = step_err(b, b->e->code ? -b->e->code : r);
		}
		cf_strv_free(list);
	}
	close(c.upperfd);
	dg_final(&c.dg, files);
	return r;
}

static int step_copy(struct builder *b, const char *upper, char **created_by, char files[DG_STR_LEN])
{
	const struct cf_inst *in = b->in;
	char **words = calloc(in->nargs + 1, sizeof(char *));
	char *chown = NULL, *chmod_s = NULL, opts[512] = "";
	const char *kind = "file";
	int r = 0;

	if (!words)
		return berr_set(b->e, ENOMEM, "build");
	for (size_t i = 0; i < in->nargs && r == 0; i++)
		r = expand(b, in->args[i], &words[i]);
	for (size_t i = 0; i < in->nflags && r == 0; i++) {
		char **dst = !strcmp(in->flags[i].name, "chown") ? &chown : &chmod_s;
		free(*dst);
		r = expand(b, in->flags[i].value, dst);
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), "--%s=%s ",
			 in->flags[i].name, *dst ? *dst : "");
	}
	if (r == 0)
		r = stage_copy(b, upper, words, in->nargs, chown, chmod_s, files, &kind);
	if (r == 0 && asprintf(created_by, NOP "%s %s%s:%s in %s ", in->kind == CF_ADD ? "ADD" : "COPY",
			       opts, kind, dg_hex(files), words[in->nargs - 1]) < 0)
		r = berr_set(b->e, ENOMEM, "build");
	cf_strv_free(words);
	free(chown);
	free(chmod_s);
	return r;
}

/* ---------------------------------------------------------------- FROM */

static int step_from(struct builder *b)
{
	char *image = NULL, *text = NULL, id[DG_STR_LEN];
	json_t *layers = NULL;
	int r;

	r = expand(b, b->in->args[0], &image);
	if (r < 0)
		return r;
	cf_scope_enter_stage(&b->scope);
	if (strcmp(image, "scratch") == 0) {
		json_t *cfg = json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture",
					"amd64", "os", "linux", "config", "rootfs", "type",
					"layers", "diff_ids", "history");
		json_decref(b->st.cfg);
		json_decref(b->st.layers);
		b->st.cfg = cfg;
		b->st.layers = json_array();
		r = (cfg && b->st.layers) ? state_seal(b) : berr_set(b->e, ENOMEM, "build");
	} else {
		r = img_read(b->o->root, image, id, &text, &layers, b->e);
		if (r < 0) {
			free(image);
			return step_err(b, berr_wrap(b->e, "FROM %s", image));
		}
		r = state_load(b, text, layers);
		json_decref(layers);
		free(text);
	}
	free(image);
	if (r == 0)
		r = scope_from_cfg(b);
	if (r == 0 && !b->o->quiet)
		printf(" ---> %.12s\n", dg_hex(b->st.id));
	return r;
}

/* ---------------------------------------------------------------- driver */

static int one_step(struct builder *b)
{
	const struct cf_inst *in = b->in;
	_cleanup_free_ char *created_by = NULL;
	_cleanup_json_ json_t *change = NULL;
	char key[DG_STR_LEN], files[DG_STR_LEN] = "", upper[PATH_MAX] = "";
	char **run_env = NULL;
	size_t nrun = 0;
	bool fs = in->kind == CF_RUN || in->kind == CF_COPY || in->kind == CF_ADD;
	int r;

	if (in->kind == CF_ARG) {
		for (size_t i = 0; i < in->nargs; i++)
			if ((r = cf_scope_arg(&b->scope, in->args[i], b->cf.escape, b->e)) < 0)
				return step_err(b, r);
	}
	if (in->kind == CF_RUN) {
		run_env = cf_scope_run_args(&b->scope, &nrun);
		if (!run_env)
			return berr_set(b->e, ENOMEM, "build");
		r = step_run(b, &created_by, run_env, nrun);
	} else if (in->kind == CF_COPY || in->kind == CF_ADD) {
		r = new_scratch_dir(b, "copy", upper, sizeof(upper));
		if (r == 0)
			r = step_copy(b, upper, &created_by, files);
	} else {
		r = step_meta(b, &created_by, &change);
	}
	if (r < 0)
		goto out;
	cache_key(b, created_by, files, key);
	if (cache_get(b, key)) {
		if (!b->o->quiet)
			printf(" ---> Using cache\n");
	} else {
		if (in->kind == CF_RUN)
			r = exec_run(b, run_env, nrun);
		else if (fs)
			r = add_layer_from(b, upper);
		else
			apply_meta(b, change);
		if (r < 0) {
			step_err(b, r);
			goto out;
		}
		r = commit_step(b, created_by, !fs);
		if (r < 0)
			goto out;
		cache_put(b, key);
	}
	if (in->kind == CF_CMD)
		b->cmd_set = true;
	r = scope_from_cfg(b);
	if (r == 0 && !b->o->quiet)
		printf(" ---> %.12s\n", dg_hex(b->st.id));
out:
	if (*upper)
		layer_rmtree(upper);
	cf_strv_free(run_env);
	return r;
}

static int read_containerfile(const struct bld_opts *o, char **text, size_t *len, struct berr *e)
{
	_cleanup_fd_ int fd = strcmp(o->file, "-") ? open(o->file, O_RDONLY | O_CLOEXEC) : dup(0);
	struct stat sb;
	size_t n = 0;

	if (fd < 0)
		return berr_set(e, errno, "open %s", o->file);
	if (strcmp(o->file, "-") == 0) { /* -f -: the Containerfile on stdin */
		size_t cap = 4096;
		*text = malloc(cap);
		for (ssize_t k = 1; *text && k > 0;) {
			if (n + 1 >= cap) {
				char *p = cap < (16u << 20) ? realloc(*text, cap *= 2) : NULL;
				if (!p) {
					free(*text);
					return berr_msg(e, EFBIG, "Containerfile on stdin: more than 16 MiB");
				}
				*text = p;
			}
			k = read(fd, *text + n, cap - n - 1);
			if (k < 0 && errno == EINTR)
				k = 1;
			else if (k < 0) {
				free(*text);
				return berr_set(e, errno, "read stdin");
			} else
				n += k;
		}
		if (!*text)
			return berr_set(e, ENOMEM, "read stdin");
		*len = n;
		return 0;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (16 << 20))
		return berr_msg(e, EINVAL, "%s: not a regular file of at most 16 MiB", o->file);
	*text = malloc(sb.st_size + 1);
	if (!*text)
		return berr_set(e, ENOMEM, "read %s", o->file);
	while (n < (size_t)sb.st_size) {
		ssize_t k = read(fd, *text + n, sb.st_size - n);
		if (k <= 0) {
			free(*text);
			return berr_set(e, k < 0 ? errno : EIO, "read %s", o->file);
		}
		n += k;
	}
	*len = n;
	return 0;
}

/* The context's .containerignore (else .dockerignore), if any. */
static int load_ignore(struct builder *b)
{
	static const char *const names[] = {".containerignore", ".dockerignore"};

	b->ignore_name = names[1];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int fd = openat(b->ctxfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		char buf[65536];
		ssize_t n;

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0)
			return berr_set(b->e, errno, "read %s", names[i]);
		buf[n] = '\0';
		b->ignore_name = names[i];
		if (bld_ignore_parse(buf, &b->ignore) < 0)
			return berr_set(b->e, ENOMEM, "%s", names[i]);
		break;
	}
	return 0;
}

/* Remove scratch dirs of builds that died (their pid is gone). */
static void sweep_builds(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char p[PATH_MAX];
		int pid = atoi(de->d_name);
		if (pid <= 0 || (kill(pid, 0) == 0 || errno == EPERM))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		layer_rmtree(p);
	}
	if (d)
		closedir(d);
}

int bld_build(const struct bld_opts *o, char id[DG_STR_LEN], struct berr *e)
{
	struct builder b = {.o = o, .e = e, .ctxfd = -1, .clamp = -1};
	_cleanup_free_ char *text = NULL;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char dir[PATH_MAX];
	size_t len = 0, steps = 0, step = 0;
	int r;

	r = read_containerfile(o, &text, &len, e);
	if (r < 0)
		return r;
	r = cf_parse(o->file_name, text, len, &b.cf, e);
	if (r < 0)
		return r;
	if (cf_scope_init(&b.scope, o->build_args, o->nbuild_args) < 0) {
		r = berr_set(e, ENOMEM, "build");
		goto out;
	}
	b.now = time(NULL);
	if (sde && *sde) {
		b.now = strtoll(sde, NULL, 10);
		b.clamp = b.now;
	}
	b.ctxfd = open(o->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b.ctxfd < 0) {
		r = berr_set(e, errno, "build context %s", o->context);
		goto out;
	}
	if ((r = load_ignore(&b)) < 0)
		goto out;
	if ((r = img_store_dir(o->root, b.store, sizeof(b.store), e)) < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/build", b.store);
	if ((r = mkdir_p(dir, 0700)) < 0) {
		r = berr_set(e, -r, "create %s", dir);
		goto out;
	}
	sweep_builds(dir);
	snprintf(b.tmp, sizeof(b.tmp), "%s/%d", dir, (int)getpid());
	layer_rmtree(b.tmp);
	if (mkdir(b.tmp, 0700) < 0) {
		r = berr_set(e, errno, "create %s", b.tmp);
		b.tmp[0] = '\0';
		goto out;
	}
	/* ARGs before FROM are not steps */
	for (size_t i = 0, seen = 0; i < b.cf.n; i++) {
		seen |= b.cf.inst[i].kind == CF_FROM;
		steps += seen;
	}
	for (size_t i = 0; i < b.cf.n && r == 0; i++) {
		b.in = &b.cf.inst[i];
		if (!b.scope.after_from && b.in->kind == CF_ARG) {
			for (size_t k = 0; k < b.in->nargs && r == 0; k++)
				r = cf_scope_arg(&b.scope, b.in->args[k], b.cf.escape, e);
			if (r < 0)
				r = step_err(&b, r);
			continue;
		}
		if (!o->quiet)
			printf("Step %zu/%zu : %s\n", ++step, steps, b.in->text);
		fflush(stdout);
		r = b.in->kind == CF_FROM ? step_from(&b) : one_step(&b);
		fflush(stdout);
	}
	b.in = NULL;
	if (r == 0) {
		size_t n;
		char **unused = cf_scope_unused(&b.scope, &n);
		for (size_t i = 0; unused && i < n; i++)
			fprintf(stderr, "[Warning] One or more build-args [%s] were not consumed\n",
				unused[i]);
		cf_strv_free(unused);
	}
	if (r == 0) {
		/* tag only now: a failed build leaves no image or tag */
		r = img_create(o->root, b.st.text, strlen(b.st.text), b.st.layers,
			       o->tags && o->tags[0] ? o->tags[0] : NULL, id, e);
		for (size_t i = 1; r == 0 && o->tags && o->tags[i]; i++)
			r = img_tag(o->root, id, o->tags[i], e);
	}
	if (r == 0 && !o->quiet) {
		printf("Successfully built %.12s\n", dg_hex(id));
		for (size_t i = 0; o->tags && o->tags[i]; i++) {
			char norm[256];
			lr_ref_normalize(o->tags[i], norm, sizeof(norm));
			printf("Successfully tagged %s\n", norm);
		}
	}
out:
	if (b.tmp[0])
		layer_rmtree(b.tmp);
	if (b.ctxfd >= 0)
		close(b.ctxfd);
	state_free(&b.st);
	bld_ignore_free(&b.ignore);
	cf_scope_free(&b.scope);
	cf_free(&b.cf);
	return r;
}

/* ---------------------------------------------------------------- commit */

int bld_commit(const struct bld_commit_opts *o, char id[DG_STR_LEN], struct berr *e)
{
	struct bld_opts bo = {.root = o->root, .file_name = "commit"};
	struct builder b = {.o = &bo, .e = e, .ctxfd = -1, .clamp = -1};
	const char *exclude[ARRAY_SIZE(mount_points) + 1] = {0};
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *text = NULL, dir[PATH_MAX], by[2048] = "";
	json_t *layers = NULL, *c, *cmd, *ep;
	size_t nx = 0, skip = 0;
	int r;

	b.now = time(NULL);
	if (sde && *sde)
		b.now = b.clamp = strtoll(sde, NULL, 10);
	r = img_read(o->root, o->image, id, &text, &layers, e);
	if (r == 0)
		r = state_load(&b, text, layers);
	free(text);
	json_decref(layers);
	if (r == 0)
		r = img_store_dir(o->root, b.store, sizeof(b.store), e);
	if (r < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/build", b.store);
	mkdir_p(dir, 0700);
	sweep_builds(dir);
	snprintf(b.tmp, sizeof(b.tmp), "%s/%d", dir, (int)getpid());
	layer_rmtree(b.tmp);
	if (mkdir(b.tmp, 0700) < 0) {
		r = berr_set(e, errno, "create %s", b.tmp);
		b.tmp[0] = '\0';
		goto out;
	}
	/* the runtime's mount points are not the container's changes */
	for (size_t i = 0; i < ARRAY_SIZE(mount_points); i++)
		if (!image_lookup(&b, mount_points[i], NULL, NULL, 0))
			exclude[nx++] = mount_points[i];
	r = add_layer_excluding(&b, o->upper, exclude);
	if (r < 0) {
		berr_wrap(e, "commit %s", o->container);
		goto out;
	}
	/* the container's process settings become the image's */
	c = cfg_config(&b);
	ep = json_object_get(c, "Entrypoint");
	if (json_is_array(ep)) {
		for (skip = 0; skip < json_array_size(ep) && o->argv[skip] &&
			       !strcmp(o->argv[skip], json_string_value(json_array_get(ep, skip)) ?: "");
		     skip++)
			;
		if (skip < json_array_size(ep)) {
			json_object_set_new(c, "Entrypoint", json_null());
			skip = 0;
		}
	}
	cmd = json_array();
	for (size_t i = skip; o->argv && o->argv[i]; i++)
		json_array_append_new(cmd, json_string(o->argv[i]));
	json_object_set_new(c, "Cmd", cmd);
	if (o->env) {
		json_t *env = json_array();
		for (char **p = o->env; *p; p++)
			json_array_append_new(env, json_string(*p));
		json_object_set_new(c, "Env", env);
	}
	if (o->cwd && *o->cwd)
		json_object_set_new(c, "WorkingDir", json_string(o->cwd));
	if (o->user)
		json_object_set_new(c, "User", json_string(o->user));
	if (o->author && *o->author)
		json_object_set_new(b.st.cfg, "author", json_string(o->author));
	for (char **p = o->argv; p && *p; p++)
		snprintf(by + strlen(by), sizeof(by) - strlen(by), "%s%s", p == o->argv ? "" : " ", *p);
	r = commit_step(&b, by, false);
	if (r == 0 && o->comment && *o->comment) {
		json_t *hist = json_object_get(b.st.cfg, "history");
		json_object_set_new(json_array_get(hist, json_array_size(hist) - 1), "comment",
				    json_string(o->comment));
		r = state_seal(&b);
	}
	if (r == 0)
		r = img_create(o->root, b.st.text, strlen(b.st.text), b.st.layers, o->ref, id, e);
out:
	if (b.tmp[0])
		layer_rmtree(b.tmp);
	state_free(&b.st);
	return r;
}

/* ---------------------------------------------------------------- prune */

int bld_prune(const char *root, uint64_t *freed, struct berr *e)
{
	char dir[PATH_MAX];
	int r;

	r = img_store_dir(root, dir, sizeof(dir), e);
	if (r < 0)
		return r;
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/build-cache");
	layer_rmtree(dir);
	return img_prune_unreferenced(root, freed, e);
}
