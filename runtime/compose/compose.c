/* compose.c - the Compose subset: libyaml's document tree walked against
 * the keys we know, each problem reported with its file and line. */
#include "compose_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sandbox/cgroup.h"
#include "runtime/container/health.h"
#include "runtime/net/ports.h"

static bool get_command(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
			struct strv *out, bool *set)
{
	if (cw_is_null(v))
		return true;
	*set = true;
	if (v->type == YAML_SCALAR_NODE) {
		strv_free(out);
		int r = compose_split_words(cw_scalar(v), out);
		if (r == -ENOMEM)
			w->nomem = true;
		if (r == -EINVAL) {
			cw_report(w, cw_line_of(v), "%s: '%s': unterminated quote", where, key);
			return false;
		}
		return true;
	}
	return cw_get_list(w, where, key, v, out);
}

/* environment: a mapping KEY: VALUE (null = from the caller's
 * environment) or a list of KEY=VALUE / KEY. */
static bool get_environment(struct cw_walk *w, const char *where, yaml_node_t *v, struct strv *out)
{
	strv_free(out);
	if (v->type == YAML_SEQUENCE_NODE) {
		if (!cw_get_list(w, where, "environment", v, out))
			return false;
		for (int i = 0; i < out->n; i++) {
			if (!out->v[i][0] || out->v[i][0] == '=') {
				cw_report(w, cw_line_of(v), "%s: environment: bad entry '%s'",
					  where, out->v[i]);
				return false;
			}
		}
		return true;
	}
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: 'environment' must be a mapping or a list, not %s",
			  where, cw_type_name(v));
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *ks = cw_scalar(k), *vs = cw_scalar(val);
		char *kv;

		if (!ks || !*ks || strchr(ks, '=')) {
			cw_report(w, cw_line_of(k), "%s: environment: bad variable name", where);
			return false;
		}
		if (cw_is_null(val)) {
			if (strv_add(out, ks) < 0)
				w->nomem = true;
			continue;
		}
		if (!vs) {
			cw_report(w, cw_line_of(val),
				  "%s: environment: '%s' must be a string, not %s", where, ks,
				  cw_type_name(val));
			return false;
		}
		if (asprintf(&kv, "%s=%s", ks, vs) < 0) {
			w->nomem = true;
			continue;
		}
		if (strv_add(out, kv) < 0)
			w->nomem = true;
		free(kv);
	}
	return true;
}

static bool valid_service_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	}
	return true;
}

/* depends_on: [a, b] or {a: {condition: service_started}}. */
static bool get_depends(struct cw_walk *w, const char *where, yaml_node_t *v, struct strv *out)
{
	strv_free(out);
	if (v->type == YAML_SEQUENCE_NODE)
		return cw_get_list(w, where, "depends_on", v, out);
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: 'depends_on' must be a list or a mapping, not %s",
			  where, cw_type_name(v));
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *dep = cw_scalar(k);

		if (!dep) {
			cw_report(w, cw_line_of(k),
				  "%s: depends_on: a service name must be a string", where);
			return false;
		}
		if (val->type != YAML_MAPPING_NODE && !cw_is_null(val)) {
			cw_report(w, cw_line_of(val), "%s.depends_on.%s: must be a mapping", where,
				  dep);
			return false;
		}
		for (yaml_node_pair_t *q = val->type == YAML_MAPPING_NODE ? val->data.mapping.pairs.start : NULL;
		     q && q < val->data.mapping.pairs.top; q++) {
			yaml_node_t *ck = cw_node(w, q->key), *cv = cw_node(w, q->value);
			const char *cks = cw_scalar(ck), *cvs = cw_scalar(cv);
			bool b;

			if (cks && strcmp(cks, "condition") == 0) {
				if (!cvs || strcmp(cvs, "service_started") != 0) {
					cw_report(
					    w, cw_line_of(cv),
					    "%s.depends_on.%s: condition '%s' is not supported "
					    "(only service_started)",
					    where, dep, cvs ? cvs : "?");
					return false;
				}
			} else if (cks && (strcmp(cks, "required") == 0 || strcmp(cks, "restart") == 0)) {
				if (!cw_get_bool(w, where, cks, cv, &b))
					return false;
			} else {
				cw_report(w, cw_line_of(ck), "%s.depends_on.%s: unknown key '%s'",
					  where, dep, cks ? cks : "?");
				return false;
			}
		}
		if (strv_add(out, dep) < 0)
			w->nomem = true;
	}
	return true;
}

/* The same parser `berth run --health-*` uses (Go's duration syntax). */
bool compose_duration_valid(const char *s)
{
	struct berr e;
	int64_t ns;

	return s && hc_parse_duration(s, &ns, &e) == 0 && ns >= 0;
}

/* test: "shell cmd" | ["CMD", args...] | ["CMD-SHELL", "cmd"] | ["NONE"] */
static bool get_health_test(struct cw_walk *w, const char *where, yaml_node_t *v,
			    struct compose_health *h)
{
	struct strv t = { 0 };

	if (v->type == YAML_SCALAR_NODE && !cw_is_null(v)) {
		free(h->shell);
		h->shell = strdup(cw_scalar(v));
		if (!h->shell)
			w->nomem = true;
		return true;
	}
	if (!cw_get_list(w, where, "test", v, &t)) {
		strv_free(&t);
		return false;
	}
	if (t.n >= 1 && strcmp(t.v[0], "NONE") == 0 && t.n == 1) {
		h->disable = true;
	} else if (t.n >= 2 && strcmp(t.v[0], "CMD") == 0) {
		strv_free(&h->exec);
		for (int i = 1; i < t.n; i++) {
			if (strv_add(&h->exec, t.v[i]) < 0)
				w->nomem = true;
		}
	} else if (t.n == 2 && strcmp(t.v[0], "CMD-SHELL") == 0) {
		free(h->shell);
		h->shell = strdup(t.v[1]);
		if (!h->shell)
			w->nomem = true;
	} else {
		cw_report(
		    w, cw_line_of(v),
		    "%s: test must be a string, [\"CMD\", ARG...], [\"CMD-SHELL\", COMMAND] or "
		    "[\"NONE\"]",
		    where);
		strv_free(&t);
		return false;
	}
	strv_free(&t);
	return true;
}

static bool get_healthcheck(struct cw_walk *w, const char *svc, yaml_node_t *v,
			    struct compose_health *h)
{
	char where[300];
	bool ok = true;

	snprintf(where, sizeof(where), "services.%s.healthcheck", svc);
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: must be a mapping, not %s", where,
			  cw_type_name(v));
		return false;
	}
	h->present = true;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *key = cw_scalar(k);
		char **dur = NULL;

		if (!key) {
			cw_report(w, cw_line_of(k), "%s: keys must be strings", where);
			ok = false;
		} else if (strcmp(key, "test") == 0) {
			ok &= get_health_test(w, where, val, h);
		} else if (strcmp(key, "disable") == 0) {
			bool d = false;
			ok &= cw_get_bool(w, where, key, val, &d);
			h->disable |= d;
		} else if (strcmp(key, "retries") == 0) {
			const char *s = cw_scalar(val);
			char *end;
			long r = s ? strtol(s, &end, 10) : -1;
			if (!s || !*s || *end || r < 0 || r > 1000000) {
				cw_report(w, cw_line_of(val), "%s: retries must be a number",
					  where);
				ok = false;
			} else {
				h->retries = (int)r;
			}
		} else if (strcmp(key, "interval") == 0) {
			dur = &h->interval;
		} else if (strcmp(key, "timeout") == 0) {
			dur = &h->timeout;
		} else if (strcmp(key, "start_period") == 0) {
			dur = &h->start_period;
		} else {
			cw_report(w, cw_line_of(k), "%s: unknown key '%s'", where, key);
			ok = false;
		}
		if (dur) {
			if (!cw_get_string(w, where, key, val, dur)) {
				ok = false;
			} else if (!compose_duration_valid(*dur)) {
				cw_report(w, cw_line_of(val),
					  "%s: %s: '%s' is not a duration (like 30s, 1m30s)", where,
					  key, *dur);
				ok = false;
			}
		}
	}
	return ok;
}

static bool valid_restart(const char *r)
{
	char *end;

	if (strcmp(r, "no") == 0 || strcmp(r, "always") == 0 || strcmp(r, "unless-stopped") == 0 ||
	    strcmp(r, "on-failure") == 0)
		return true;
	if (strncmp(r, "on-failure:", 11) != 0 || !isdigit((unsigned char)r[11]))
		return false;
	strtol(r + 11, &end, 10);
	return !*end;
}

static bool valid_network_mode(const char *m)
{
	return strcmp(m, "bridge") == 0 || strcmp(m, "host") == 0 || strcmp(m, "none") == 0 ||
	       (strncmp(m, "container:", 10) == 0 && m[10]) ||
	       (strncmp(m, "service:", 8) == 0 && m[8]);
}

/* The checks on values that need more than their YAML type. */
static bool check_values(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
			 struct compose_service *s)
{
	int64_t bytes;
	struct berr e;
	struct port_map pm;
	char *end;

	if (strcmp(key, "restart") == 0 && !valid_restart(s->restart)) {
		cw_report(
		    w, cw_line_of(v),
		    "%s: restart: '%s' is not one of no, always, on-failure[:N], unless-stopped",
		    where, s->restart);
		return false;
	}
	if (strcmp(key, "mem_limit") == 0 &&
	    (cg_parse_bytes(s->mem_limit, &bytes) < 0 || bytes <= 0)) {
		cw_report(w, cw_line_of(v), "%s: mem_limit: '%s' is not a size (like 64m)", where,
			  s->mem_limit);
		return false;
	}
	if (strcmp(key, "cpus") == 0) {
		double c = strtod(s->cpus, &end);
		if (end == s->cpus || *end || !(c > 0 && c <= 1024)) {
			cw_report(w, cw_line_of(v), "%s: cpus: '%s' is not a number of CPUs", where,
				  s->cpus);
			return false;
		}
	}
	if (strcmp(key, "pids_limit") == 0) {
		long p = strtol(s->pids_limit, &end, 10);
		if (end == s->pids_limit || *end || p < -1) {
			cw_report(w, cw_line_of(v), "%s: pids_limit: '%s' is not a number", where,
				  s->pids_limit);
			return false;
		}
	}
	if (strcmp(key, "network_mode") == 0 && !valid_network_mode(s->network_mode)) {
		cw_report(w, cw_line_of(v),
			  "%s: network_mode: '%s' is not bridge, host, none, container:NAME or "
			  "service:NAME",
			  where, s->network_mode);
		return false;
	}
	if (strcmp(key, "ports") == 0) {
		for (int i = 0; i < s->ports.n; i++) {
			if (port_parse(s->ports.v[i], &pm, &e) < 0) {
				cw_report(w, cw_line_of(v), "%s: ports: %s", where, e.msg);
				return false;
			}
		}
	}
	if (strcmp(key, "container_name") == 0 && !valid_service_name(s->container_name)) {
		cw_report(w, cw_line_of(v), "%s: container_name: '%s' is not a valid name", where,
			  s->container_name);
		return false;
	}
	return true;
}

bool cw_volume_name_valid(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	}
	return true;
}

/* Short syntax: /CTR (anonymous), SOURCE:/CTR[:ro|rw], where SOURCE is a
 * host path (/abs, ./rel, ../rel) or the key of a top-level volume (checked
 * once the whole file is read). */
static bool volume_spec_ok(struct cw_walk *w, const char *where, int line, const char *spec)
{
	char buf[4096], *src, *dst, *mode;

	snprintf(buf, sizeof(buf), "%s", spec);
	src = buf;
	dst = strchr(src, ':');
	if (!dst) {
		if (src[0] == '/')
			return true;
		cw_report(w, line, "%s: volumes: '%s': the container path must be absolute", where,
			  spec);
		return false;
	}
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	if (dst[0] != '/') {
		cw_report(w, line, "%s: volumes: '%s': the container path must be absolute", where,
			  spec);
		return false;
	}
	if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0) {
		cw_report(w, line, "%s: volumes: '%s': mode must be ro or rw", where, spec);
		return false;
	}
	if (src[0] != '/' && src[0] != '.' && !cw_volume_name_valid(src)) {
		cw_report(w, line, "%s: volumes: '%s': '%s' is neither a path nor a volume name",
			  where, spec, src);
		return false;
	}
	return true;
}

static bool get_volumes(struct cw_walk *w, const char *where, yaml_node_t *v,
			struct compose_service *s)
{
	int i = 0;
	bool ok;

	if (!cw_get_list(w, where, "volumes", v, &s->volumes))
		return false;
	free(s->volume_lines);
	s->volume_lines = calloc(s->volumes.n + 1, sizeof(int));
	if (!s->volume_lines) {
		w->nomem = true;
		return false;
	}
	ok = true;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++, i++) {
		s->volume_lines[i] = cw_line_of(cw_node(w, *it));
		ok &= volume_spec_ok(w, where, s->volume_lines[i], s->volumes.v[i]);
	}
	return ok;
}

/* One service: every key known, every value of the right shape. */
void cw_parse_service(struct cw_walk *w, yaml_node_t *k, yaml_node_t *v, struct compose_service *s)
{
	char where[300];
	bool ok = true, has_image = false;
	struct {
		const char *key;
		char **str;
		struct strv *list;
	} simple[] = {
		{ "image", &s->image, NULL },
		{ "container_name", &s->container_name, NULL },
		{ "hostname", &s->hostname, NULL },
		{ "working_dir", &s->working_dir, NULL },
		{ "user", &s->user, NULL },
		{ "restart", &s->restart, NULL },
		{ "network_mode", &s->network_mode, NULL },
		{ "mem_limit", &s->mem_limit, NULL },
		{ "cpus", &s->cpus, NULL },
		{ "pids_limit", &s->pids_limit, NULL },
		{ "ports", NULL, &s->ports },
		{ "cap_add", NULL, &s->cap_add },
		{ "cap_drop", NULL, &s->cap_drop },
	};

	s->line = cw_line_of(k);
	s->health.retries = -1;
	snprintf(where, sizeof(where), "services.%s", s->name);
	if (!valid_service_name(s->name)) {
		cw_report(w, s->line, "services: '%s' is not a valid service name", s->name);
		ok = false;
	}
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: must be a mapping, not %s", where,
			  cw_type_name(v));
		s->status = COMPOSE_INVALID;
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *key = cw_scalar(kn);
		size_t i;
		bool done = false;

		if (!key) {
			cw_report(w, cw_line_of(kn), "%s: keys must be strings", where);
			ok = false;
			continue;
		}
		for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < p; q++) {
			const char *prev = cw_scalar(cw_node(w, q->key));
			if (prev && strcmp(prev, key) == 0) {
				cw_report(w, cw_line_of(kn), "%s: duplicate key '%s'", where, key);
				ok = false;
			}
		}
		has_image |= strcmp(key, "image") == 0;
		for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
			if (strcmp(key, simple[i].key) != 0)
				continue;
			if (simple[i].str ? cw_get_string(w, where, key, val, simple[i].str)
					  : cw_get_list(w, where, key, val, simple[i].list))
				ok &= check_values(w, where, key, val, s);
			else
				ok = false;
			done = true;
			break;
		}
		if (done)
			continue;
		if (strcmp(key, "volumes") == 0)
			ok &= get_volumes(w, where, val, s);
		else if (strcmp(key, "command") == 0)
			ok &= get_command(w, where, key, val, &s->command, &s->command_set);
		else if (strcmp(key, "entrypoint") == 0)
			ok &= get_command(w, where, key, val, &s->entrypoint, &s->entrypoint_set);
		else if (strcmp(key, "environment") == 0)
			ok &= get_environment(w, where, val, &s->environment);
		else if (strcmp(key, "read_only") == 0)
			ok &= cw_get_bool(w, where, key, val, &s->read_only);
		else if (strcmp(key, "depends_on") == 0) {
			s->depends_line = cw_line_of(kn);
			ok &= get_depends(w, where, val, &s->depends_on);
		} else if (strcmp(key, "healthcheck") == 0)
			ok &= get_healthcheck(w, s->name, val, &s->health);
		else {
			cw_report(w, cw_line_of(kn), "%s: unknown key '%s'", where, key);
			ok = false;
		}
	}
	if (!has_image) {
		cw_report(w, s->line, "%s: no image", where);
		ok = false;
	}
	if (ok && s->ports.n && s->network_mode && strcmp(s->network_mode, "bridge") != 0) {
		cw_report(w, s->line, "%s: ports need network_mode bridge", where);
		ok = false;
	}
	if (!ok)
		s->status = COMPOSE_INVALID;
}

static void parse_services(struct cw_walk *w, yaml_node_t *v)
{
	struct compose_file *f = w->f;
	int n;

	if (v->type != YAML_MAPPING_NODE) {
		if (!cw_is_null(v))
			cw_report(w, cw_line_of(v), "services: must be a mapping, not %s",
				  cw_type_name(v));
		return;
	}
	n = (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	if (n > COMPOSE_MAX_SERVICES) {
		cw_report(w, cw_line_of(v), "services: more than %d services",
			  COMPOSE_MAX_SERVICES);
		n = COMPOSE_MAX_SERVICES;
	}
	f->svc = calloc(n ? n : 1, sizeof(*f->svc));
	if (!f->svc) {
		w->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		yaml_node_pair_t *p = v->data.mapping.pairs.start + i;
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *name = cw_scalar(k);

		if (!name || !*name) {
			cw_report(w, cw_line_of(k), "services: a service name must be a string");
			continue;
		}
		if (compose_find(f, name) >= 0) {
			cw_report(w, cw_line_of(k), "services: service '%s' is defined twice",
				  name);
			continue;
		}
		f->svc[f->nsvc].name = strdup(name);
		if (!f->svc[f->nsvc].name) {
			w->nomem = true;
			return;
		}
		cw_parse_service(w, k, val, &f->svc[f->nsvc]);
		f->nsvc++;
	}
}

/* volumes: {KEY: null | {name: NAME, external: BOOL}} */
static void parse_volumes(struct cw_walk *w, yaml_node_t *v)
{
	struct compose_file *f = w->f;
	int n;

	if (v->type != YAML_MAPPING_NODE) {
		if (!cw_is_null(v))
			cw_report(w, cw_line_of(v), "volumes: must be a mapping, not %s",
				  cw_type_name(v));
		return;
	}
	n = (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	f->vol = calloc(n + 1, sizeof(*f->vol));
	if (!f->vol) {
		w->nomem = true;
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *key = cw_scalar(k);
		struct compose_volume *cv = &f->vol[f->nvol];
		char where[300];

		if (!key || !cw_volume_name_valid(key)) {
			cw_report(w, cw_line_of(k), "volumes: '%s' is not a valid volume name",
				  key ? key : "?");
			continue;
		}
		snprintf(where, sizeof(where), "volumes.%s", key);
		if (val->type != YAML_MAPPING_NODE && !cw_is_null(val)) {
			cw_report(w, cw_line_of(val), "%s: must be a mapping, not %s", where,
				  cw_type_name(val));
			continue;
		}
		cv->key = strdup(key);
		if (!cv->key) {
			w->nomem = true;
			return;
		}
		f->nvol++;
		for (yaml_node_pair_t *q = val->type == YAML_MAPPING_NODE ? val->data.mapping.pairs.start : NULL;
		     q && q < val->data.mapping.pairs.top; q++) {
			yaml_node_t *vk = cw_node(w, q->key), *vv = cw_node(w, q->value);
			const char *vks = cw_scalar(vk);

			if (vks && strcmp(vks, "name") == 0) {
				if (cw_get_string(w, where, vks, vv, &cv->name) &&
				    !cw_volume_name_valid(cv->name))
					cw_report(w, cw_line_of(vv),
						  "%s: name: '%s' is not a valid volume name",
						  where, cv->name);
			} else if (vks && strcmp(vks, "external") == 0) {
				cw_get_bool(w, where, vks, vv, &cv->external);
			} else {
				cw_report(w, cw_line_of(vk), "%s: unknown key '%s'", where,
					  vks ? vks : "?");
			}
		}
	}
}

const struct compose_volume *compose_find_volume(const struct compose_file *f, const char *key,
						 size_t len)
{
	for (int i = 0; i < f->nvol; i++) {
		if (strlen(f->vol[i].key) == len && strncmp(f->vol[i].key, key, len) == 0)
			return &f->vol[i];
	}
	return NULL;
}

void cw_check_volume_refs(struct cw_walk *w)
{
	struct compose_file *f = w->f;

	for (int i = 0; i < f->nsvc; i++) {
		struct compose_service *s = &f->svc[i];

		for (int k = 0; k < s->volumes.n && s->volume_lines; k++) {
			const char *v = s->volumes.v[k], *colon = strchr(v, ':');

			char src[256];

			if (!colon || v[0] == '/' || v[0] == '.' ||
			    compose_find_volume(f, v, colon - v))
				continue;
			snprintf(src, sizeof(src), "%.*s", (int)(colon - v), v);
			if (!cw_volume_name_valid(src))
				continue; /* reported as it was read */
			cw_report(w, s->volume_lines[k],
				  "services.%s: volumes: '%s' refers to undefined volume '%.*s'",
				  s->name, v, (int)(colon - v), v);
			s->status = COMPOSE_INVALID;
		}
	}
}

static void parse_top(struct cw_walk *w, yaml_node_t *root)
{
	bool seen_services = false;

	if (!root || cw_is_null(root)) {
		cw_report(w, 0, "empty file: no services");
		w->f->fatal = true;
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(root), "the file must be a mapping (services: ...), not %s",
			  cw_type_name(root));
		w->f->fatal = true;
		return;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = cw_node(w, p->key), *v = cw_node(w, p->value);
		const char *key = cw_scalar(k);

		if (key && strcmp(key, "services") == 0 && !seen_services) {
			seen_services = true;
			parse_services(w, v);
		} else if (key && strcmp(key, "version") == 0) {
			if (!cw_scalar(v))
				cw_report(w, cw_line_of(v), "version: must be a string");
		} else if (key && strcmp(key, "name") == 0) {
			char *name = NULL;
			if (cw_get_string(w, "top level", key, v, &name)) {
				free(w->f->name);
				w->f->name = name;
			}
		} else if (key && strcmp(key, "volumes") == 0 && !w->f->vol) {
			parse_volumes(w, v);
		} else if (key && strcmp(key, "services") == 0) {
			cw_report(w, cw_line_of(k), "duplicate key 'services'");
		} else {
			cw_report(w, cw_line_of(k), "unknown top-level key '%s'", key ? key : "?");
		}
	}
	if (!seen_services)
		cw_report(w, 0, "no 'services' key");
}

/* ---- ordering ---- */

struct order_ctx {
	struct cw_walk *w;
	char mark[COMPOSE_MAX_SERVICES];	/* 0 new, 1 on the stack, 2 done */
	bool in_cycle[COMPOSE_MAX_SERVICES];
	int stack[COMPOSE_MAX_SERVICES], depth;
	int post[COMPOSE_MAX_SERVICES], npost;
};

static void cycle_found(struct order_ctx *o, int to)
{
	struct compose_file *f = o->w->f;
	char msg[2048];
	size_t len = 0;
	int from = 0;

	while (o->stack[from] != to)
		from++;
	for (int i = from; i < o->depth; i++) {
		if (o->in_cycle[o->stack[i]])
			return; /* already reported, from another entry point */
	}
	for (int i = from; i < o->depth; i++) {
		o->in_cycle[o->stack[i]] = true;
		len += snprintf(msg + len, len < sizeof(msg) ? sizeof(msg) - len : 0, "%s -> ",
				f->svc[o->stack[i]].name);
	}
	snprintf(msg + (len < sizeof(msg) ? len : sizeof(msg) - 1),
		 len < sizeof(msg) ? sizeof(msg) - len : 1, "%s", f->svc[to].name);
	cw_report(o->w, f->svc[to].depends_line, "depends_on cycle: %s", msg);
}

static void visit(struct order_ctx *o, int i)
{
	struct compose_service *s = &o->w->f->svc[i];

	o->mark[i] = 1;
	o->stack[o->depth++] = i;
	for (int d = 0; d < s->depends_on.n; d++) {
		int j = compose_find(o->w->f, s->depends_on.v[d]);

		if (j < 0)
			continue; /* reported by the caller */
		if (o->mark[j] == 1)
			cycle_found(o, j);
		else if (o->mark[j] == 0)
			visit(o, j);
	}
	o->depth--;
	o->mark[i] = 2;
	o->post[o->npost++] = i;
}

/* Dependencies first, in file order where free; cycles and services that
 * need a service that cannot start are marked and reported. */
void compose_order(struct cw_walk *w)
{
	struct compose_file *f = w->f;
	struct order_ctx *o = calloc(1, sizeof(*o));

	if (!o) {
		w->nomem = true;
		return;
	}
	o->w = w;
	for (int i = 0; i < f->nsvc; i++) {
		struct compose_service *s = &f->svc[i];
		const char *nm = s->network_mode;

		if (nm && strncmp(nm, "service:", 8) == 0 && compose_find(f, nm + 8) >= 0) {
			bool listed = false;
			for (int d = 0; d < s->depends_on.n; d++)
				listed |= strcmp(s->depends_on.v[d], nm + 8) == 0;
			if (!listed && strv_add(&s->depends_on, nm + 8) < 0)
				w->nomem = true;
		}
		for (int d = 0; d < s->depends_on.n; d++) {
			if (compose_find(f, s->depends_on.v[d]) < 0) {
				cw_report(w, s->depends_line ? s->depends_line : s->line,
					  "services.%s: depends on undefined service '%s'", s->name,
					  s->depends_on.v[d]);
				s->status = COMPOSE_INVALID;
			} else if (strcmp(s->depends_on.v[d], s->name) == 0 && !o->in_cycle[i]) {
				o->in_cycle[i] = true;
				cw_report(w, s->depends_line, "depends_on cycle: %s -> %s", s->name,
					  s->name);
			}
		}
		if (nm && strncmp(nm, "service:", 8) == 0 && compose_find(f, nm + 8) < 0) {
			cw_report(w, s->line, "services.%s: network_mode: undefined service '%s'",
				  s->name, nm + 8);
			s->status = COMPOSE_INVALID;
		}
	}
	for (int i = 0; i < f->nsvc; i++) {
		if (!o->mark[i])
			visit(o, i);
	}
	for (int k = 0; k < o->npost; k++) {
		int i = o->post[k];
		struct compose_service *s = &f->svc[i];

		if (s->status == COMPOSE_INVALID)
			continue;
		if (o->in_cycle[i]) {
			s->status = COMPOSE_CYCLE;
			continue;
		}
		for (int d = 0; d < s->depends_on.n; d++) {
			int j = compose_find(f, s->depends_on.v[d]);
			if (j >= 0 && f->svc[j].status != COMPOSE_OK) {
				s->status = COMPOSE_DEP_FAILED;
				cw_report(
				    w, s->depends_line,
				    "services.%s: not started: it depends on '%s', which cannot "
				    "start",
				    s->name, f->svc[j].name);
				break;
			}
		}
		if (s->status == COMPOSE_OK)
			f->order[f->norder++] = i;
	}
	free(o);
}

/* ---- the whole file ---- */

int compose_parse(const char *text, size_t len, const char *path, struct compose_file *f)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct cw_walk w = {.doc = &doc, .f = f};

	memset(f, 0, sizeof(*f));
	f->path = strdup(path ? path : "compose.yaml");
	if (!f->path)
		return -ENOMEM;
	if (len > COMPOSE_MAX_BYTES) {
		cw_report(&w, 0, "larger than %d bytes", COMPOSE_MAX_BYTES);
		f->fatal = true;
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_mark_t m = parser.problem_mark;
		cw_report(&w, (int)m.line + 1, "invalid YAML: %s%s%s",
			  parser.problem ? parser.problem : "error", parser.context ? " " : "",
			  parser.context ? parser.context : "");
		f->fatal = true;
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	parse_top(&w, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!f->fatal) {
		cw_check_volume_refs(&w);
		compose_order(&w);
	}
	if (w.nomem)
		return -ENOMEM;
	return f->errors.n ? -EINVAL : 0;
}

static void health_free(struct compose_health *h)
{
	free(h->shell);
	strv_free(&h->exec);
	free(h->interval);
	free(h->timeout);
	free(h->start_period);
}

void compose_free(struct compose_file *f)
{
	for (int i = 0; i < f->nsvc; i++) {
		struct compose_service *s = &f->svc[i];
		char **strs[] = { &s->name, &s->image, &s->container_name, &s->hostname,
				  &s->working_dir, &s->user, &s->restart, &s->network_mode,
				  &s->mem_limit, &s->cpus, &s->pids_limit };
		struct strv *lists[] = { &s->entrypoint, &s->command, &s->environment, &s->ports,
					 &s->volumes, &s->cap_add, &s->cap_drop, &s->depends_on };

		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(*strs[k]);
		for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
			strv_free(lists[k]);
		health_free(&s->health);
		free(s->volume_lines);
	}
	for (int i = 0; i < f->nvol; i++) {
		free(f->vol[i].key);
		free(f->vol[i].name);
	}
	free(f->vol);
	free(f->dir);
	free(f->svc);
	free(f->name);
	free(f->path);
	strv_free(&f->errors);
	memset(f, 0, sizeof(*f));
}

int compose_find(const struct compose_file *f, const char *name)
{
	for (int i = 0; i < f->nsvc; i++) {
		if (f->svc[i].name && strcmp(f->svc[i].name, name) == 0)
			return i;
	}
	return -1;
}

void compose_project_name(const struct compose_file *f, const char *fallback, char *buf,
			  size_t size)
{
	const char *src = f && f->name ? f->name : fallback ? fallback : "";
	size_t n = 0;

	for (; *src && n + 1 < size; src++) {
		char c = (char)tolower((unsigned char)*src);
		if (isalnum((unsigned char)c) || c == '_' || c == '-')
			buf[n++] = c;
	}
	if (size)
		buf[n] = '\0';
}

void compose_container_name(const struct compose_file *f, const char *project, int svc,
			    char *buf, size_t size)
{
	const struct compose_service *s = &f->svc[svc];

	if (s->container_name)
		snprintf(buf, size, "%s", s->container_name);
	else
		snprintf(buf, size, "%s-%s-1", project, s->name);
}

int compose_split_words(const char *s, struct strv *out)
{
	size_t cap = strlen(s) + 1;
	char *word = malloc(cap);
	size_t n = 0;
	bool in_word = false;
	int r = 0;

	if (!word)
		return -ENOMEM;
	while (*s && r == 0) {
		char c = *s++;

		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				word[n] = '\0';
				r = strv_add(out, word);
				n = 0;
				in_word = false;
			}
		} else if (c == '\'') {
			in_word = true;
			while (*s && *s != '\'')
				word[n++] = *s++;
			if (!*s)
				r = -EINVAL;
			else
				s++;
		} else if (c == '"') {
			in_word = true;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$' ||
						   s[1] == '`'))
					s++;
				word[n++] = *s++;
			}
			if (!*s)
				r = -EINVAL;
			else
				s++;
		} else if (c == '\\') {
			in_word = true;
			if (*s)
				word[n++] = *s++;
		} else {
			in_word = true;
			word[n++] = c;
		}
	}
	if (r == 0 && in_word) {
		word[n] = '\0';
		r = strv_add(out, word);
	}
	free(word);
	return r;
}

/* ---- as `berth run` arguments ---- */

static int shell_quote_join(const struct strv *v, char **out)
{
	size_t cap = 1;
	char *s, *p;

	for (int i = 0; i < v->n; i++)
		cap += strlen(v->v[i]) * 4 + 3;
	s = p = malloc(cap);
	if (!s)
		return -ENOMEM;
	for (int i = 0; i < v->n; i++) {
		if (i)
			*p++ = ' ';
		*p++ = '\'';
		for (const char *c = v->v[i]; *c; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	*out = s;
	return 0;
}

static int add2(struct strv *out, const char *flag, const char *val)
{
	if (!val)
		return 0;
	return strv_add(out, flag) < 0 || strv_add(out, val) < 0 ? -ENOMEM : 0;
}

static int add_each(struct strv *out, const char *flag, const struct strv *v)
{
	for (int i = 0; i < v->n; i++) {
		if (add2(out, flag, v->v[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_health(struct strv *out, const struct compose_health *h)
{
	char num[16];
	int r = 0;

	if (!h->present)
		return 0;
	if (h->disable)
		return strv_add(out, "--no-healthcheck");
	if (h->exec.n) {
		char *cmd;
		if (shell_quote_join(&h->exec, &cmd) < 0)
			return -ENOMEM;
		r = add2(out, "--health-cmd", cmd);
		free(cmd);
	} else {
		r = add2(out, "--health-cmd", h->shell);
	}
	r |= add2(out, "--health-interval", h->interval);
	r |= add2(out, "--health-timeout", h->timeout);
	r |= add2(out, "--health-start-period", h->start_period);
	snprintf(num, sizeof(num), "%d", h->retries);
	if (h->retries >= 0)
		r |= add2(out, "--health-retries", num);
	return r ? -ENOMEM : 0;
}

/* A service's volume as `-v` takes it: ./relative sources under the file's
 * directory, top-level volume keys as the volume's name. */
static int volume_arg(const struct compose_file *f, const char *project, const char *v,
		      char *buf, size_t size)
{
	const char *colon = strchr(v, ':');
	const struct compose_volume *cv;

	if (colon && v[0] == '.' && f->dir) {
		if (strncmp(v, "./", 2) == 0)
			v += 2;
		else if (v[1] == ':')
			v++;
		snprintf(buf, size, "%s%s%s", f->dir, *v == ':' ? "" : "/", v);
	} else if (colon && v[0] != '/' && v[0] != '.' &&
		   (cv = compose_find_volume(f, v, colon - v))) {
		if (cv->name)
			snprintf(buf, size, "%s%s", cv->name, colon);
		else if (cv->external)
			snprintf(buf, size, "%s", v);
		else
			snprintf(buf, size, "%s_%s", project, v);
	} else {
		snprintf(buf, size, "%s", v);
	}
	return 0;
}

int compose_run_args(const struct compose_file *f, const char *project, int svc,
		     char *const *extra_labels, struct strv *out)
{
	const struct compose_service *s = &f->svc[svc];
	char name[300], label[600], net[300];
	int r = 0;

	compose_container_name(f, project, svc, name, sizeof(name));
	r |= strv_add(out, "run");
	r |= strv_add(out, "-d");
	r |= add2(out, "--name", name);
	snprintf(label, sizeof(label), "com.docker.compose.project=%s", project);
	r |= add2(out, "--label", label);
	snprintf(label, sizeof(label), "com.docker.compose.service=%s", s->name);
	r |= add2(out, "--label", label);
	r |= add2(out, "--label", "com.docker.compose.container-number=1");
	for (char *const *l = extra_labels; l && *l; l++)
		r |= add2(out, "--label", *l);
	r |= add2(out, "--hostname", s->hostname);
	r |= add2(out, "--workdir", s->working_dir);
	r |= add2(out, "--user", s->user);
	if (s->read_only)
		r |= strv_add(out, "--read-only");
	r |= add2(out, "--restart", s->restart);
	r |= add2(out, "--memory", s->mem_limit);
	r |= add2(out, "--cpus", s->cpus);
	r |= add2(out, "--pids-limit", s->pids_limit);
	if (s->network_mode && strncmp(s->network_mode, "service:", 8) == 0) {
		int j = compose_find(f, s->network_mode + 8);
		char other[300];

		compose_container_name(f, project, j < 0 ? svc : j, other, sizeof(other));
		snprintf(net, sizeof(net), "container:%s", other);
		r |= add2(out, "--network", net);
	} else {
		r |= add2(out, "--network", s->network_mode);
	}
	r |= add_each(out, "--publish", &s->ports);
	for (int i = 0; i < s->volumes.n; i++) {
		char spec[4096];
		r |= volume_arg(f, project, s->volumes.v[i], spec, sizeof(spec));
		r |= add2(out, "--volume", spec);
	}
	r |= add_each(out, "--cap-add", &s->cap_add);
	r |= add_each(out, "--cap-drop", &s->cap_drop);
	r |= add_each(out, "--env", &s->environment);
	r |= add_health(out, &s->health);
	if (s->entrypoint_set)
		r |= add2(out, "--entrypoint", s->entrypoint.n ? s->entrypoint.v[0] : "");
	r |= strv_add(out, "--");
	r |= strv_add(out, s->image);
	for (int i = 1; s->entrypoint_set && i < s->entrypoint.n; i++)
		r |= strv_add(out, s->entrypoint.v[i]);
	for (int i = 0; s->command_set && i < s->command.n; i++)
		r |= strv_add(out, s->command.v[i]);
	return r ? -ENOMEM : 0;
}
