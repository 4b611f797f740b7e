/* oci_resources.c - linux.resources (and update --resources) into the
 * sandbox's cgroup limits. memory.swap is memory+swap, as Docker's
 * --memory-swap, which struct sb_limits already means. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oci_priv.h"
#include "runtime/lib/util.h"

static int parse_memory(json_t *res, struct sb_limits *l, struct berr *e)
{
	int64_t limit = 0, swap = 0;
	json_t *m;
	int r = oci_get_obj(res, "linux.resources", "memory", &m, e);

	if (r == 0 && m)
		r = oci_get_int(m, "linux.resources.memory", "limit", &limit, e);
	if (r == 0 && m)
		r = oci_get_int(m, "linux.resources.memory", "swap", &swap, e);
	if (r < 0 || !m)
		return r;
	if (limit < -1 || swap < -1)
		return berr_msg(e, EINVAL, "linux.resources.memory: negative limit");
	if (limit > 0 && swap > 0 && swap < limit)
		return berr_msg(e, EINVAL,
				"linux.resources.memory.swap: %lld is below the limit %lld "
				"(swap is memory plus swap)",
				(long long)swap, (long long)limit);
	l->memory = limit > 0 ? limit : 0;
	l->memory_swap = swap;
	return 0;
}

static int parse_cpu(json_t *res, struct sb_limits *l, struct berr *e)
{
	int64_t shares = 0, quota = 0, period = 0;
	json_t *cpu;
	int r = oci_get_obj(res, "linux.resources", "cpu", &cpu, e);

	if (r == 0 && cpu)
		r = oci_get_int(cpu, "linux.resources.cpu", "shares", &shares, e);
	if (r == 0 && cpu)
		r = oci_get_int(cpu, "linux.resources.cpu", "quota", &quota, e);
	if (r == 0 && cpu)
		r = oci_get_int(cpu, "linux.resources.cpu", "period", &period, e);
	if (r == 0 && cpu)
		r = oci_get_str(cpu, "linux.resources.cpu", "cpus", &l->cpuset_cpus, e);
	if (r < 0 || !cpu)
		return r;
	if (shares < 0 || shares > 262144)
		return berr_msg(e, EINVAL, "linux.resources.cpu.shares: %lld is not in 0..262144",
				(long long)shares);
	if (quota < -1 || period < 0 || (period && (period < 1000 || period > 1000000)))
		return berr_msg(e, EINVAL,
				"linux.resources.cpu: quota must be -1 or more, period 1000..1000000");
	if (l->cpuset_cpus && !*l->cpuset_cpus)
		l->cpuset_cpus = NULL;
	l->cpu_shares = shares;
	l->cpu_quota_us = quota > 0 ? quota : 0;
	l->cpu_period_us = quota > 0 ? (period ? period : 100000) : period;
	return 0;
}

/* The sandbox's device program allows the default nodes only; a rule
 * allowing every device (privileged containers) turns it off. Other rules
 * are accepted: the default list is what runc's and crun's allow too. */
static int parse_devices(json_t *res, bool *allow_all, struct berr *e)
{
	json_t *a, *v;
	size_t i;
	int r = oci_get_arr(res, "linux.resources", "devices", &a, e);

	if (r < 0 || !a)
		return r;
	*allow_all = false;
	json_array_foreach(a, i, v) {
		const char *type = NULL, *access = NULL;
		bool allow = false;
		char where[48];

		snprintf(where, sizeof(where), "linux.resources.devices[%zu]", i);
		if (!json_is_object(v))
			return berr_msg(e, EINVAL, "%s: not an object", where);
		r = oci_get_bool(v, where, "allow", &allow, e);
		if (r == 0)
			r = oci_get_str(v, where, "type", &type, e);
		if (r == 0)
			r = oci_get_str(v, where, "access", &access, e);
		if (r < 0)
			return r;
		if (!json_object_get(v, "allow"))
			return berr_msg(e, EINVAL, "%s.allow: missing", where);
		if ((!type || strcmp(type, "a") == 0) && !json_object_get(v, "major") &&
		    !json_object_get(v, "minor"))
			*allow_all = allow;
	}
	return 0;
}

int oci_resources_parse(struct oci_config *c, json_t *res, struct sb_limits *l, bool *allow_all,
			struct berr *e)
{
	static const char *const ignored[] = {"blockIO", "hugepageLimits", "network", "rdma",
					      "unified"};
	int64_t pids = 0;
	json_t *p;
	int r;

	if (!json_is_object(res))
		return berr_msg(e, EINVAL, "linux.resources: not an object");
	r = parse_memory(res, l, e);
	if (r == 0)
		r = parse_cpu(res, l, e);
	if (r == 0)
		r = parse_devices(res, allow_all, e);
	if (r == 0)
		r = oci_get_obj(res, "linux.resources", "pids", &p, e);
	if (r == 0 && p)
		r = oci_get_int(p, "linux.resources.pids", "limit", &pids, e);
	if (r < 0)
		return r;
	l->pids = pids > 0 ? pids : 0;
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++) {
		json_t *v = json_object_get(res, ignored[i]);

		if (v && !json_is_null(v) && json_object_size(v) + json_array_size(v) > 0)
			oci_warn(c, "linux.resources.%s is not applied", ignored[i]);
	}
	return 0;
}
