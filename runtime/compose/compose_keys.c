/* compose_keys.c - the service keys of Compose files as people write them,
 * beyond the core of compose_service.c: labels, expose, env_file,
 * privileged, stop_grace_period, deploy (resources.limits,
 * restart_policy) and profiles, each mapped to what `berth run` does;
 * the keys of its HostConfig flags are compose_hostkeys.c's. */
#include "compose_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/duration.h"
#include "runtime/sandbox/cgroup.h"

static void add(struct cw_walk *w, struct strv *v, const char *s)
{
	if (strv_add(v, s) < 0)
		w->nomem = true;
}

/* PORT, PORT-PORT, with /tcp or /udp: what --expose takes. */
static bool expose_ok(const char *s)
{
	char *end;
	long a = strtol(s, &end, 10), b = a;

	if (end == s || !isdigit((unsigned char)*s))
		return false;
	if (*end == '-') {
		s = end + 1;
		b = strtol(s, &end, 10);
		if (end == s || !isdigit((unsigned char)*s))
			return false;
	}
	if (*end == '/' && (strcmp(end + 1, "tcp") == 0 || strcmp(end + 1, "udp") == 0))
		end += 4;
	return !*end && a >= 1 && b <= 65535 && a <= b;
}

static bool get_expose(struct cw_walk *w, const char *where, yaml_node_t *v, struct strv *out)
{
	if (!cw_get_list(w, where, "expose", v, out))
		return false;
	for (int i = 0; i < out->n; i++) {
		if (!expose_ok(out->v[i])) {
			cw_report(w, cw_line_of(v), "%s: expose: '%s' is not PORT[-PORT][/PROTO]",
				  where, out->v[i]);
			return false;
		}
	}
	return true;
}

/* env_file: "a.env", ["a.env", ...] or [{path: a.env, required: false}, ...];
 * an optional file is kept as "?PATH". */
static bool get_env_file(struct cw_walk *w, const char *where, yaml_node_t *v, struct strv *out)
{
	if (v->type == YAML_SCALAR_NODE && !cw_is_null(v)) {
		add(w, out, cw_scalar(v));
		return true;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		cw_report(w, cw_line_of(v), "%s: 'env_file' must be a string or a list, not %s",
			  where, cw_type_name(v));
		return false;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *n = cw_node(w, *it);
		char *path = NULL, opt[4096];
		bool required = true, ok = true;

		if (cw_scalar(n) && !cw_is_null(n)) {
			add(w, out, cw_scalar(n));
			continue;
		}
		if (n->type != YAML_MAPPING_NODE) {
			cw_report(w, cw_line_of(n), "%s: each env_file must be a path or a mapping",
				  where);
			return false;
		}
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
		     p++) {
			yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
			const char *ks = cw_scalar(k);

			if (ks && strcmp(ks, "path") == 0)
				ok &= cw_get_string(w, where, "env_file.path", val, &path);
			else if (ks && strcmp(ks, "required") == 0)
				ok &= cw_get_bool(w, where, "env_file.required", val, &required);
			else {
				cw_report(w, cw_line_of(k), "%s.env_file: unknown key '%s'", where,
					  ks ? ks : "?");
				ok = false;
			}
		}
		if (ok && !path)
			cw_report(w, cw_line_of(n), "%s: env_file: no path", where);
		if (ok && path) {
			snprintf(opt, sizeof(opt), "%s%s", required ? "" : "?", path);
			add(w, out, opt);
		}
		free(path);
		if (!ok || !path)
			return false;
	}
	return true;
}

/* stop_grace_period (a duration) as --stop-timeout's whole seconds,
 * rounded up; at least 1 (berth run takes 0 as its default of 10). */
static bool get_grace(struct cw_walk *w, const char *where, yaml_node_t *v, int *out)
{
	const char *s = cw_scalar(v);
	struct berr e;
	int64_t ns;

	if (!s || duration_parse(s, &ns, &e) < 0 || ns < 0 || ns > 3600ll * 1000000000) {
		cw_report(w, cw_line_of(v), "%s: stop_grace_period: '%s' is not a duration (like 10s, 1m30s)",
			  where, s ? s : "?");
		return false;
	}
	*out = (int)((ns + 999999999) / 1000000000);
	if (*out < 1)
		*out = 1;
	return true;
}

/* One of deploy.resources.limits, against the same short key if both are
 * given (Compose wants them equal). */
static bool set_limit(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		      char **dst, const char *short_key)
{
	char *val = NULL;

	if (!cw_get_string(w, where, key, v, &val))
		return false;
	if (*dst && strcmp(*dst, val) != 0) {
		cw_report(w, cw_line_of(v), "%s: deploy.resources.limits.%s '%s' and %s '%s' differ",
			  where, key, val, short_key, *dst);
		free(val);
		return false;
	}
	free(*dst);
	*dst = val;
	return true;
}

static bool get_limits(struct cw_walk *w, const char *where, yaml_node_t *v,
		       struct compose_service *s)
{
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: deploy.resources.limits must be a mapping", where);
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *ks = cw_scalar(k);
		bool ok;

		if (ks && strcmp(ks, "memory") == 0)
			ok = set_limit(w, where, ks, val, &s->mem_limit, "mem_limit") &&
			     cw_check_value(w, where, "mem_limit", val, s);
		else if (ks && strcmp(ks, "cpus") == 0)
			ok = set_limit(w, where, ks, val, &s->cpus, "cpus") &&
			     cw_check_value(w, where, "cpus", val, s);
		else if (ks && strcmp(ks, "pids") == 0)
			ok = set_limit(w, where, ks, val, &s->pids_limit, "pids_limit") &&
			     cw_check_value(w, where, "pids_limit", val, s);
		else {
			cw_report(w, cw_line_of(k), "%s.deploy.resources.limits: unknown key '%s'",
				  where, ks ? ks : "?");
			ok = false;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* deploy: {resources: {limits: {...}}}; nothing else of Swarm's deploy. */
static bool get_deploy(struct cw_walk *w, const char *where, yaml_node_t *v,
		       struct compose_service *s)
{
	yaml_node_pair_t *p;

	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: 'deploy' must be a mapping", where);
		return false;
	}
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *ks = cw_scalar(k);

		if (ks && strcmp(ks, "restart_policy") == 0) {
			if (!cw_restart_policy(w, where, val, s))
				return false;
			continue;
		}
		if (!ks || strcmp(ks, "resources") != 0) {
			cw_report(w, cw_line_of(k), "%s.deploy: unknown key '%s'", where,
				  ks ? ks : "?");
			return false;
		}
		if (val->type != YAML_MAPPING_NODE) {
			cw_report(w, cw_line_of(val), "%s: deploy.resources must be a mapping", where);
			return false;
		}
		for (yaml_node_pair_t *q = val->data.mapping.pairs.start;
		     q < val->data.mapping.pairs.top; q++) {
			yaml_node_t *rk = cw_node(w, q->key);
			const char *rks = cw_scalar(rk);

			if (!rks || strcmp(rks, "limits") != 0) {
				cw_report(w, cw_line_of(rk),
					  "%s.deploy.resources: unknown key '%s'%s", where,
					  rks ? rks : "?",
					  rks && strcmp(rks, "reservations") == 0
						  ? " (berth has limits, not reservations)" : "");
				return false;
			}
			if (!get_limits(w, where, cw_node(w, q->value), s))
				return false;
		}
	}
	return true;
}

static bool get_profiles(struct cw_walk *w, const char *where, yaml_node_t *v, struct strv *out)
{
	if (!cw_get_list(w, where, "profiles", v, out))
		return false;
	for (int i = 0; i < out->n; i++) {
		const char *c = out->v[i];
		bool ok = isalnum((unsigned char)*c);
		for (; ok && *c; c++)
			ok = isalnum((unsigned char)*c) || strchr("_.-", *c);
		if (!ok) {
			cw_report(w, cw_line_of(v), "%s: profiles: '%s' is not a valid profile name",
				  where, out->v[i]);
			return false;
		}
	}
	return true;
}

bool cw_service_key(struct cw_walk *w, const char *where, const char *key, yaml_node_t *kn,
		    yaml_node_t *v, struct compose_service *s, bool *ok)
{
	(void)kn; /* the value's line is the one messages name */
	if (strcmp(key, "labels") == 0)
		*ok &= cw_get_kv(w, where, key, v, "", &s->labels);
	else if (strcmp(key, "expose") == 0)
		*ok &= get_expose(w, where, v, &s->expose);
	else if (strcmp(key, "env_file") == 0)
		*ok &= get_env_file(w, where, v, &s->env_file);
	else if (strcmp(key, "privileged") == 0)
		*ok &= cw_get_bool(w, where, key, v, &s->privileged);
	else if (strcmp(key, "stop_grace_period") == 0)
		*ok &= get_grace(w, where, v, &s->stop_timeout);
	else if (strcmp(key, "deploy") == 0)
		*ok &= get_deploy(w, where, v, s);
	else if (strcmp(key, "profiles") == 0)
		*ok &= get_profiles(w, where, v, &s->profiles);
	else if (strcmp(key, "networks") == 0 && !s->nets)
		*ok &= cw_service_networks(w, where, v, s);
	else
		return cw_host_key(w, where, key, v, s, ok);
	return true;
}

bool compose_service_enabled(const struct compose_service *s, char *const *profiles)
{
	if (!s->profiles.n)
		return true;
	for (char *const *p = profiles; p && *p; p++) {
		for (int i = 0; i < s->profiles.n; i++) {
			if (strcmp(*p, "*") == 0 || strcmp(*p, s->profiles.v[i]) == 0)
				return true;
		}
	}
	return false;
}
