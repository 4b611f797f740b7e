/* compose_service.c - one service of services:, key by key: every key
 * known, every value of the right shape (commands, environment,
 * depends_on, healthcheck, volumes), and the checks on values that need
 * more than their YAML type (restart policy, sizes, ports, network_mode). */
#include "compose_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/duration.h"
#include "runtime/sandbox/cgroup.h"
#include "runtime/net/ports.h"

/* command/entrypoint: a string (split like a shell) or a list. */
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

static bool valid_condition(const char *c)
{
	return c && (strcmp(c, "service_started") == 0 || strcmp(c, "service_healthy") == 0 ||
		     strcmp(c, "service_completed_successfully") == 0);
}

/* One entry of depends_on's long form: {condition: C, required: B, restart: B}. */
static bool get_depend(struct cw_walk *w, const char *where, const char *dep, yaml_node_t *val,
		       const char **cond)
{
	if (val->type != YAML_MAPPING_NODE && !cw_is_null(val)) {
		cw_report(w, cw_line_of(val), "%s.depends_on.%s: must be a mapping", where, dep);
		return false;
	}
	for (yaml_node_pair_t *q = val->type == YAML_MAPPING_NODE ? val->data.mapping.pairs.start : NULL;
	     q && q < val->data.mapping.pairs.top; q++) {
		yaml_node_t *ck = cw_node(w, q->key), *cv = cw_node(w, q->value);
		const char *cks = cw_scalar(ck), *cvs = cw_scalar(cv);
		bool b;

		if (cks && strcmp(cks, "condition") == 0) {
			if (!valid_condition(cvs)) {
				cw_report(w, cw_line_of(cv),
					  "%s.depends_on.%s: condition '%s' is not service_started, "
					  "service_healthy or service_completed_successfully",
					  where, dep, cvs ? cvs : "?");
				return false;
			}
			*cond = cvs;
		} else if (cks && (strcmp(cks, "required") == 0 || strcmp(cks, "restart") == 0)) {
			if (!cw_get_bool(w, where, cks, cv, &b))
				return false;
		} else {
			cw_report(w, cw_line_of(ck), "%s.depends_on.%s: unknown key '%s'", where,
				  dep, cks ? cks : "?");
			return false;
		}
	}
	return true;
}

/* depends_on: [a, b] or {a: {condition: service_healthy}}; each one's
 * condition into s->depends_cond (the list form: service_started). */
static bool get_depends(struct cw_walk *w, const char *where, yaml_node_t *v,
			struct compose_service *s)
{
	strv_free(&s->depends_on);
	strv_free(&s->depends_cond);
	if (v->type == YAML_SEQUENCE_NODE) {
		if (!cw_get_list(w, where, "depends_on", v, &s->depends_on))
			return false;
		for (int i = 0; i < s->depends_on.n; i++) {
			if (strv_add(&s->depends_cond, "service_started") < 0)
				w->nomem = true;
		}
		return true;
	}
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: 'depends_on' must be a list or a mapping, not %s",
			  where, cw_type_name(v));
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key);
		const char *dep = cw_scalar(k), *cond = "service_started";

		if (!dep) {
			cw_report(w, cw_line_of(k),
				  "%s: depends_on: a service name must be a string", where);
			return false;
		}
		if (!get_depend(w, where, dep, cw_node(w, p->value), &cond))
			return false;
		if (strv_add(&s->depends_on, dep) < 0 || strv_add(&s->depends_cond, cond) < 0)
			w->nomem = true;
	}
	return true;
}

/* The same parser `berth run --health-*` uses (Go's duration syntax). */
bool compose_duration_valid(const char *s)
{
	struct berr e;
	int64_t ns;

	return s && duration_parse(s, &ns, &e) == 0 && ns >= 0;
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

bool compose_pull_refresh(const char *p, int64_t *secs)
{
	int64_t ns = 0;
	struct berr e;
	char *end;

	*secs = !strcmp(p, "daily") ? 86400 : !strcmp(p, "weekly") ? 7 * 86400 : 0;
	if (*secs || strncmp(p, "every_", 6))
		return *secs > 0;
	for (p += 6; isdigit((unsigned char)*p); p = end + 1) {
		long long n = strtoll(p, &end, 10);
		if ((*end != 'w' && *end != 'd') || n > 100000)
			break;
		*secs += n * (*end == 'w' ? 7 : 1) * 86400;
	}
	if (*p && duration_parse(p, &ns, &e) < 0)
		return false;
	*secs += (ns + 999999999) / 1000000000;
	return *secs > 0;
}

bool compose_pull_policy_ok(const char *p)
{
	int64_t secs;

	return !strcmp(p, "always") || !strcmp(p, "missing") || !strcmp(p, "if_not_present") ||
	       !strcmp(p, "never") || compose_pull_refresh(p, &secs);
}

static bool valid_network_mode(const char *m)
{
	return strcmp(m, "bridge") == 0 || strcmp(m, "host") == 0 || strcmp(m, "none") == 0 ||
	       (strncmp(m, "container:", 10) == 0 && m[10]) ||
	       (strncmp(m, "service:", 8) == 0 && m[8]);
}

/* The checks on values that need more than their YAML type. */
bool cw_check_value(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
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
	if (strcmp(key, "pull_policy") == 0 && !compose_pull_policy_ok(s->pull_policy)) {
		cw_report(w, cw_line_of(v),
			  "%s: pull_policy: '%s' is not always, missing, if_not_present, never, "
			  "daily, weekly or every_<duration>%s",
			  where, s->pull_policy,
			  strcmp(s->pull_policy, "build") ? "" : " (berth compose does not build "
								 "images: use berth build)");
		return false;
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
		{ "pull_policy", &s->pull_policy, NULL },
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
				ok &= cw_check_value(w, where, key, val, s);
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
			ok &= cw_get_kv(w, where, key, val, NULL, &s->environment);
		else if (strcmp(key, "read_only") == 0)
			ok &= cw_get_bool(w, where, key, val, &s->read_only);
		else if (strcmp(key, "depends_on") == 0) {
			s->depends_line = cw_line_of(kn);
			ok &= get_depends(w, where, val, s);
		} else if (strcmp(key, "healthcheck") == 0)
			ok &= get_healthcheck(w, s->name, val, &s->health);
		else if (!cw_service_key(w, where, key, kn, val, s, &ok)) {
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
