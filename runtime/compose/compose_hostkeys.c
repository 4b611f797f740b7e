/* compose_hostkeys.c - the service keys behind `berth run`'s HostConfig
 * flags: extra_hosts, dns, dns_search, dns_opt, tmpfs, ulimits, sysctls,
 * devices, init, stop_signal, logging (json-file with max-size and
 * max-file), oom_score_adj, oom_kill_disable, and deploy.restart_policy.
 * Each value is checked here with the run flag's own check
 * (runtime/container/hostcfg.h), so a bad one is reported with its line. */
#include "compose_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/hostcfg.h"
#include "runtime/lib/signame.h"

/* A string or a list of them (dns, dns_search, tmpfs). */
static bool one_or_list(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
			struct strv *out)
{
	strv_free(out);
	if (v->type == YAML_SCALAR_NODE && !cw_is_null(v)) {
		if (strv_add(out, cw_scalar(v)) < 0)
			w->nomem = true;
		return true;
	}
	return cw_get_list(w, where, key, v, out);
}

/* Every entry of list through check, its message with key's line. */
static bool check_all(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		      const struct strv *list, int (*check)(const char *, struct berr *))
{
	struct berr e;

	for (int i = 0; i < list->n; i++) {
		if (check(list->v[i], &e) < 0) {
			cw_report(w, cw_line_of(v), "%s: %s: %s", where, key, e.msg);
			return false;
		}
	}
	return true;
}

static int check_sysctl(const char *s, struct berr *e)
{
	return hx_sysctl_check(s, false, e); /* network_mode: host is run's to refuse */
}

static int check_ulimit(const char *s, struct berr *e)
{
	struct hx_ulimit u;

	return hx_ulimit_parse(s, &u, e);
}

static int check_device(const char *s, struct berr *e)
{
	struct hx_device d;
	int r = hx_device_parse(s, &d, e);

	free(d.host);
	free(d.ctr);
	return r;
}

/* ulimits: {nofile: 1024} or {nofile: {soft: 1024, hard: 2048}}. */
static bool get_ulimits(struct cw_walk *w, const char *where, yaml_node_t *v, struct strv *out)
{
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: 'ulimits' must be a mapping", where);
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *ks = cw_scalar(k), *soft = cw_scalar(val), *hard = NULL;
		char spec[128];

		for (yaml_node_pair_t *q = val->type == YAML_MAPPING_NODE
						   ? val->data.mapping.pairs.start : NULL;
		     q && q < val->data.mapping.pairs.top; q++) {
			const char *qk = cw_scalar(cw_node(w, q->key));
			const char *qv = cw_scalar(cw_node(w, q->value));

			if (qk && strcmp(qk, "soft") == 0)
				soft = qv;
			else if (qk && strcmp(qk, "hard") == 0)
				hard = qv;
		}
		snprintf(spec, sizeof(spec), "%s=%s%s%s", ks ? ks : "", soft ? soft : "",
			 hard ? ":" : "", hard ? hard : "");
		if (!ks || !soft || (val->type == YAML_MAPPING_NODE && !hard)) {
			cw_report(w, cw_line_of(val), "%s: ulimits.%s: a number, or soft and hard",
				  where, ks ? ks : "?");
			return false;
		}
		if (strv_add(out, spec) < 0)
			w->nomem = true;
	}
	return check_all(w, where, "ulimits", v, out, check_ulimit);
}

/* logging: {driver: json-file|local|none, options: {max-size: 1m, max-file: "3"}}. */
static bool get_logging(struct cw_walk *w, const char *where, yaml_node_t *v,
			struct compose_hostx *cx)
{
	struct strv *out = &cx->log_opts;
	struct ctr_hostx x = { 0 };
	struct strv opts = { 0 };
	bool ok = true;

	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: 'logging' must be a mapping, not %s", where,
			  cw_type_name(v));
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; ok && p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *ks = cw_scalar(k), *vs = cw_scalar(val);

		if (ks && strcmp(ks, "driver") == 0) {
			ok = vs && (x.log_driver = hx_log_driver_parse(vs)) >= 0;
			if (!ok)
				cw_report(w, cw_line_of(val),
					  "%s: logging.driver: '%s' is not supported (json-file, "
					  "local or none)", where, vs ? vs : "?");
			free(cx->log_driver);
			/* json-file: the default, no flag */
			cx->log_driver = ok && x.log_driver != HX_LOG_JSON ? strdup(vs) : NULL;
			w->nomem |= ok && x.log_driver != HX_LOG_JSON && !cx->log_driver;
		} else if (ks && strcmp(ks, "options") == 0) {
			ok = cw_is_null(val) || cw_get_kv(w, where, "logging.options", val, "", &opts);
		} else {
			cw_report(w, cw_line_of(k), "%s.logging: unknown key '%s'", where,
				  ks ? ks : "?");
			ok = false;
		}
	}
	for (int i = 0; ok && i < opts.n; i++) {
		struct berr e;

		if (x.log_driver == HX_LOG_NONE) {
			cw_report(w, cw_line_of(v), "%s: logging.options: unknown log opt '%s' for "
				  "none log driver", where, opts.v[i]);
			ok = false;
		} else if (hx_log_opt(&x, opts.v[i], &e) < 0) {
			cw_report(w, cw_line_of(v), "%s: logging.options: %s", where, e.msg);
			ok = false;
		} else if (strv_add(out, opts.v[i]) < 0) {
			w->nomem = true;
		}
	}
	strv_free(&opts);
	return ok;
}

static bool get_stop_signal(struct cw_walk *w, const char *where, yaml_node_t *v, char **out)
{
	if (!cw_get_string(w, where, "stop_signal", v, out))
		return false;
	if (sig_parse(*out))
		return true;
	cw_report(w, cw_line_of(v), "%s: stop_signal: '%s' is not a signal", where, *out);
	return false;
}

static bool get_oom_score_adj(struct cw_walk *w, const char *where, yaml_node_t *v, char **out)
{
	char *end;
	long n;

	if (!cw_get_string(w, where, "oom_score_adj", v, out))
		return false;
	n = strtol(*out, &end, 10);
	if (end != *out && !*end && n >= -1000 && n <= 1000)
		return true;
	cw_report(w, cw_line_of(v), "%s: oom_score_adj: '%s' is not a number from -1000 to 1000",
		  where, *out);
	return false;
}

/* The keys whose value is a list of the flag's values, and its check. */
static const struct {
	const char *key;
	size_t off;
	int (*check)(const char *, struct berr *);
	bool map_ok; /* KEY: VALUE pairs too (as KEY=VALUE) */
} lists[] = {
	{ "extra_hosts", offsetof(struct compose_hostx, extra_hosts), hx_host_check, true },
	{ "dns", offsetof(struct compose_hostx, dns), hx_dns_check, false },
	{ "dns_search", offsetof(struct compose_hostx, dns_search), NULL, false },
	{ "dns_opt", offsetof(struct compose_hostx, dns_opt), NULL, false },
	{ "tmpfs", offsetof(struct compose_hostx, tmpfs), hx_tmpfs_check, false },
	{ "sysctls", offsetof(struct compose_hostx, sysctls), check_sysctl, true },
	{ "devices", offsetof(struct compose_hostx, devices), check_device, false },
};

static bool get_listed(struct cw_walk *w, const char *where, int i, yaml_node_t *v,
		       struct compose_hostx *x)
{
	struct strv *out = (struct strv *)((char *)x + lists[i].off);
	bool ok = lists[i].map_ok ? cw_get_kv(w, where, lists[i].key, v, "", out)
				  : one_or_list(w, where, lists[i].key, v, out);

	return ok && (!lists[i].check || check_all(w, where, lists[i].key, v, out, lists[i].check));
}

bool cw_host_key(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		 struct compose_service *s, bool *ok)
{
	struct compose_hostx *x = &s->hostx;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (strcmp(key, lists[i].key) == 0) {
			*ok &= get_listed(w, where, (int)i, v, x);
			return true;
		}
	}
	if (strcmp(key, "ulimits") == 0)
		*ok &= get_ulimits(w, where, v, &x->ulimits);
	else if (strcmp(key, "init") == 0)
		*ok &= cw_get_bool(w, where, key, v, &x->init);
	else if (strcmp(key, "stop_signal") == 0)
		*ok &= get_stop_signal(w, where, v, &x->stop_signal);
	else if (strcmp(key, "logging") == 0)
		*ok &= get_logging(w, where, v, x);
	else if (strcmp(key, "oom_score_adj") == 0)
		*ok &= get_oom_score_adj(w, where, v, &x->oom_score_adj);
	else if (strcmp(key, "oom_kill_disable") == 0)
		*ok &= cw_get_bool(w, where, key, v, &x->oom_kill_disable);
	else
		return false;
	return true;
}

/* deploy.restart_policy: {condition: none|on-failure|any, max_attempts: N}
 * as --restart no, on-failure[:N], always. */
bool cw_restart_policy(struct cw_walk *w, const char *where, yaml_node_t *v,
		       struct compose_service *s)
{
	const char *cond = "any", *max = NULL;
	char policy[64];

	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: deploy.restart_policy must be a mapping", where);
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *ks = cw_scalar(cw_node(w, p->key)), *vs = cw_scalar(cw_node(w, p->value));

		if (ks && strcmp(ks, "condition") == 0 && vs)
			cond = vs;
		else if (ks && strcmp(ks, "max_attempts") == 0 && vs && strspn(vs, "0123456789") ==
										strlen(vs) && *vs)
			max = vs;
		else {
			cw_report(w, cw_line_of(cw_node(w, p->key)),
				  "%s.deploy.restart_policy: '%s' is not supported (condition and "
				  "max_attempts are)", where, ks ? ks : "?");
			return false;
		}
	}
	if (strcmp(cond, "none") == 0)
		snprintf(policy, sizeof(policy), "no");
	else if (strcmp(cond, "any") == 0)
		snprintf(policy, sizeof(policy), "always");
	else if (strcmp(cond, "on-failure") == 0)
		snprintf(policy, sizeof(policy), "on-failure%s%s", max ? ":" : "", max ? max : "");
	else {
		cw_report(w, cw_line_of(v), "%s: deploy.restart_policy.condition: '%s' is not none, "
			  "on-failure or any", where, cond);
		return false;
	}
	if (s->restart && strcmp(s->restart, policy) != 0) {
		cw_report(w, cw_line_of(v), "%s: deploy.restart_policy '%s' and restart '%s' differ",
			  where, policy, s->restart);
		return false;
	}
	free(s->restart);
	s->restart = strdup(policy);
	if (!s->restart)
		w->nomem = true;
	return true;
}

static int add_each(struct strv *out, const char *flag, const struct strv *v)
{
	for (int i = 0; i < v->n; i++) {
		if (strv_add(out, flag) < 0 || strv_add(out, v->v[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

int cw_hostx_args(const struct compose_hostx *x, struct strv *out)
{
	static const char *const flags[] = { "--add-host", "--dns", "--dns-search",
					     "--dns-option", "--tmpfs", "--sysctl", "--device" };
	int r = 0;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		r |= add_each(out, flags[i], (const struct strv *)((const char *)x + lists[i].off));
	r |= add_each(out, "--ulimit", &x->ulimits);
	r |= add_each(out, "--log-opt", &x->log_opts);
	if (x->init)
		r |= strv_add(out, "--init");
	if (x->oom_kill_disable)
		r |= strv_add(out, "--oom-kill-disable");
	if (x->oom_score_adj)
		r |= strv_add(out, "--oom-score-adj") | strv_add(out, x->oom_score_adj);
	if (x->log_driver)
		r |= strv_add(out, "--log-driver") | strv_add(out, x->log_driver);
	if (x->stop_signal && (strv_add(out, "--stop-signal") < 0 ||
			       strv_add(out, x->stop_signal) < 0))
		r = -ENOMEM;
	return r ? -ENOMEM : 0;
}

void cw_hostx_free(struct compose_hostx *x)
{
	struct strv *all[] = { &x->extra_hosts, &x->dns,     &x->dns_search, &x->dns_opt,
			       &x->tmpfs,       &x->ulimits, &x->sysctls,    &x->devices,
			       &x->log_opts };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		strv_free(all[i]);
	free(x->stop_signal);
	free(x->log_driver);
	free(x->oom_score_adj);
}
