/* cli_run_host.c - the run flags behind a container's extra HostConfig
 * (runtime/container/hostcfg.h): --add-host, --dns, --dns-search,
 * --dns-option, --tmpfs, --ulimit, --sysctl, --device,
 * --device-cgroup-rule, --init,
 * --stop-signal, --log-driver and --log-opt, each value checked as
 * Docker's CLI checks it, with its message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run_priv.h"
#include "flags.h"
#include "runtime/lib/signame.h"

/* Each value of list through check; "invalid argument" as pflag says it. */
static int check_each(const struct flg_cmd *cmd, const char *flag, const struct strv *list,
		      int (*check)(const char *, struct berr *))
{
	struct berr e;

	for (int i = 0; i < list->n; i++) {
		if (check(list->v[i], &e) < 0)
			return flg_fail(cmd, "invalid argument \"%s\" for \"--%s\" flag: %s",
					list->v[i], flag, e.msg);
	}
	return 0;
}

static int check_search(const char *s, struct berr *e)
{
	size_t n = strlen(s);

	if (strcmp(s, ".") == 0)
		return 0;
	/* labels of letters, digits and inner hyphens, as Docker's validateDomain */
	if (!n || n > 255 || strchr(".-", s[0]) || strchr(".-", s[n - 1]) || strstr(s, "..") ||
	    strstr(s, ".-") || strstr(s, "-.") ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n)
		return berr_msg(e, EINVAL, "%s is not a valid domain", s);
	return 0;
}

static int check_rule(const char *s, struct berr *e)
{
	struct sb_devrule r;

	return hx_cgroup_rule_parse(s, &r, e);
}

/* A copy of list as a NULL-terminated vector, NULL when empty. */
static int take(const struct strv *list, char ***out)
{
	*out = NULL;
	if (!list->n)
		return 0;
	*out = strv_dup(list->v);
	return *out ? 0 : -1;
}

static int ulimits_devices(const struct flg_cmd *cmd, struct run_opts *o)
{
	struct ctr_hostx *x = &o->hostx;
	struct berr e;

	if (o->ulimits.n > HX_MAX || o->devices.n > HX_MAX || o->tmpfs.n > HX_MAX)
		return flg_fail(cmd, "too many --ulimit, --device or --tmpfs (at most %d each)",
				HX_MAX);
	for (int i = 0; i < o->ulimits.n; i++) {
		struct hx_ulimit *u = &x->ulimits[x->nulimits];
		int k;

		if (hx_ulimit_parse(o->ulimits.v[i], u, &e) < 0)
			return flg_fail(cmd, "invalid argument \"%s\" for \"--ulimit\" flag: %s",
					o->ulimits.v[i], e.msg);
		for (k = 0; k < x->nulimits && strcmp(x->ulimits[k].name, u->name) != 0; k++)
			;
		if (k < x->nulimits) /* the last one of a name wins, as Docker's */
			x->ulimits[k] = *u;
		else
			x->nulimits++;
	}
	for (int i = 0; i < o->devices.n; i++) {
		if (hx_device_parse(o->devices.v[i], &x->devices[x->ndevices], &e) < 0)
			return flg_fail(cmd, "invalid argument \"%s\" for \"--device\" flag: %s",
					o->devices.v[i], e.msg);
		x->ndevices++;
	}
	return 0;
}

static int sysctls_logs(const struct flg_cmd *cmd, struct run_opts *o)
{
	bool host_net = o->network && strcmp(o->network, "host") == 0;
	struct berr e;

	for (int i = 0; i < o->sysctls.n; i++) {
		if (hx_sysctl_check(o->sysctls.v[i], host_net, &e) < 0)
			return flg_fail(cmd, "invalid argument \"%s\" for \"--sysctl\" flag: %s",
					o->sysctls.v[i], e.msg);
	}
	if (o->log_driver && (o->hostx.log_driver = hx_log_driver_parse(o->log_driver)) < 0)
		return flg_fail(cmd, "log driver \"%s\" is not supported: berth keeps json-file, "
				"local or none", o->log_driver);
	for (int i = 0; i < o->log_opts.n; i++) {
		if (o->hostx.log_driver == HX_LOG_NONE)
			return flg_fail(cmd, "unknown log opt '%.*s' for none log driver",
					(int)strcspn(o->log_opts.v[i], "="), o->log_opts.v[i]);
		if (hx_log_opt(&o->hostx, o->log_opts.v[i], &e) < 0)
			return flg_fail(cmd, "invalid argument \"%s\" for \"--log-opt\" flag: %s",
					o->log_opts.v[i], e.msg);
	}
	if (o->stop_signal && !(o->hostx.stop_signal = sig_parse(o->stop_signal)))
		return flg_fail(cmd, "invalid signal: %s", o->stop_signal);
	if (o->oom_score_adj < -1000 || o->oom_score_adj > 1000)
		return flg_fail(cmd, "Invalid value %d, range for oom score adj is [-1000, 1000]",
				o->oom_score_adj);
	o->hostx.oom_score_adj = o->oom_score_adj;
	/* cgroup v2 has no memory.oom_control: dockerd drops it with this line */
	if (o->oom_kill_disable)
		fprintf(stderr, "WARNING: Your kernel does not support OomKillDisable. "
				"OomKillDisable discarded.\n");
	return 0;
}

int cli_run_hostx(const struct flg_cmd *cmd, struct run_opts *o)
{
	struct ctr_hostx *x = &o->hostx;
	int rc = check_each(cmd, "add-host", &o->add_hosts, hx_host_check);

	if (rc == 0)
		rc = check_each(cmd, "dns", &o->dns, hx_dns_check);
	if (rc == 0)
		rc = check_each(cmd, "dns-search", &o->dns_search, check_search);
	if (rc == 0)
		rc = check_each(cmd, "tmpfs", &o->tmpfs, hx_tmpfs_check);
	if (rc == 0)
		rc = check_each(cmd, "device-cgroup-rule", &o->cgroup_rules, check_rule);
	if (rc == 0 && o->cgroup_rules.n > HX_DEV_RULES)
		rc = flg_fail(cmd, "more than %d --device-cgroup-rule", HX_DEV_RULES);
	if (rc == 0)
		rc = ulimits_devices(cmd, o);
	if (rc == 0)
		rc = sysctls_logs(cmd, o);
	if (rc)
		return rc;
	x->init = o->init;
	if (take(&o->add_hosts, &x->extra_hosts) < 0 || take(&o->dns, &x->dns) < 0 ||
	    take(&o->dns_search, &x->dns_search) < 0 || take(&o->dns_opts, &x->dns_opt) < 0 ||
	    take(&o->tmpfs, &x->tmpfs) < 0 || take(&o->sysctls, &x->sysctls) < 0 ||
	    take(&o->cgroup_rules, &x->cgroup_rules) < 0)
		return flg_fail(cmd, "out of memory");
	return 0;
}

void cli_run_hostx_free(struct run_opts *o)
{
	struct strv *lists[] = { &o->add_hosts, &o->dns,     &o->dns_opts, &o->dns_search,
				 &o->tmpfs,     &o->ulimits, &o->sysctls,  &o->devices,
				 &o->log_opts,  &o->cgroup_rules };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		strv_free(lists[i]);
	hx_free(&o->hostx);
}
