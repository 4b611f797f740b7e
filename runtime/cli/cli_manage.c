/* cli_manage.c - pause, unpause, rename and update (cli_manage.h). */
#include "cli_manage.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "runtime/container/restart.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

const struct flg_cmd cli_pause_cmd = {
    .path = "pause",
    .usage = "CONTAINER [CONTAINER...]",
    .desc = "Pause all processes within one or more containers",
    .min_args = 1,
    .max_args = -1,
};

const struct flg_cmd cli_unpause_cmd = {
    .path = "unpause",
    .usage = "CONTAINER [CONTAINER...]",
    .desc = "Unpause all processes within one or more containers",
    .min_args = 1,
    .max_args = -1,
};

const struct flg_cmd cli_rename_cmd = {
    .path = "rename",
    .usage = "CONTAINER NEW_NAME",
    .desc = "Rename a container",
    .min_args = 2,
    .max_args = 2,
};

/* The verb's words as they are, once flags.c has checked them. */
static int pass_on(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	char *req[PROTO_ARGS_MAX + 1];
	struct flg_out a;

	if (flg_verb(c, NULL, argc, argv, &a) < 0)
		return a.status;
	if (a.argc >= PROTO_ARGS_MAX) {
		fprintf(stderr, "berth: %s: too many arguments\n", argv[0]);
		return 1;
	}
	req[0] = argv[0];
	memcpy(req + 1, a.argv, a.argc * sizeof(*req));
	return client_call(root, a.argc + 1, req);
}

int cli_pause(const char *root, int argc, char **argv)
{
	return pass_on(strcmp(argv[0], "pause") == 0 ? &cli_pause_cmd : &cli_unpause_cmd, root,
		       argc, argv);
}

int cli_rename(const char *root, int argc, char **argv)
{
	return pass_on(&cli_rename_cmd, root, argc, argv);
}

struct update_opts {
	const char *memory, *memory_swap, *cpus, *restart;
	int cpu_shares, pids_limit, cpu_period, cpu_quota;
};

#define U(f) struct update_opts, f
static const struct flg update_flags[] = {
    FLG_INT(0, "cpu-period", U(cpu_period), "Limit CPU CFS (Completely Fair Scheduler) period"),
    FLG_INT(0, "cpu-quota", U(cpu_quota), "Limit CPU CFS (Completely Fair Scheduler) quota"),
    FLG_INT('c', "cpu-shares", U(cpu_shares), "CPU shares (relative weight)"),
    FLG_STRING(0, "cpus", U(cpus), "Number of CPUs"),
    FLG_STRING('m', "memory", U(memory), "Memory limit"),
    FLG_STRING(0, "memory-swap", U(memory_swap),
	       "Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
    FLG_INT(0, "pids-limit", U(pids_limit), "Tune container pids limit (set -1 for unlimited)"),
    FLG_STRING(0, "restart", U(restart), "Restart policy to apply when a container exits"),
    FLG_END,
};

const struct flg_cmd cli_update_cmd = {
    .path = "update",
    .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
    .desc = "Update configuration of one or more containers (the appliance's slots: "
	    "update apply|status|rollback)",
    .flags = update_flags,
    .min_args = 1,
    .max_args = -1,
};

static int add_setting(struct strv *req, const char *key, int64_t v)
{
	char kv[64];

	snprintf(kv, sizeof(kv), "%s=%" PRId64, key, v);
	return strv_add(req, kv);
}

/* The settings as KEY=VALUE words of the request; 125 after a flag
 * error, -ENOMEM, or 0. */
static int update_settings(const struct update_opts *o, const struct flg_out *a, struct strv *req)
{
	const struct flg_cmd *c = &cli_update_cmd;
	int64_t v;
	int r = 0;

	if (o->memory) {
		if (cg_parse_bytes(o->memory, &v) < 0)
			return flg_fail(c, "invalid argument \"%s\" for \"-m, --memory\" flag",
					o->memory);
		if (v < 6 << 20) {
			fprintf(stderr, "berth: Minimum memory limit allowed is 6MB\n");
			return 1;
		}
		r |= add_setting(req, "memory", v);
	}
	if (o->memory_swap) {
		if (cg_parse_bytes(o->memory_swap, &v) < 0)
			return flg_fail(c, "invalid argument \"%s\" for \"--memory-swap\" flag",
					o->memory_swap);
		r |= add_setting(req, "memory-swap", v);
	}
	if (o->cpus) {
		char *end;
		double n = strtod(o->cpus, &end);

		if (end == o->cpus || *end || n < 0 || n > 1024)
			return flg_fail(c, "invalid argument \"%s\" for \"--cpus\" flag", o->cpus);
		if (flg_given(c, a, "cpu-quota") || flg_given(c, a, "cpu-period")) {
			fprintf(stderr, "berth: Conflicting options: Nano CPUs and CPU Period "
					"cannot both be set\n");
			return 1;
		}
		r |= add_setting(req, "cpu-quota", (int64_t)(n * 100000));
		r |= add_setting(req, "cpu-period", 100000);
	}
	if (flg_given(c, a, "cpu-quota"))
		r |= add_setting(req, "cpu-quota", o->cpu_quota > 0 ? o->cpu_quota : 0);
	if (flg_given(c, a, "cpu-period")) {
		if (o->cpu_period < 1000 || o->cpu_period > 1000000) {
			fprintf(stderr,
				"berth: CPU cfs period can not be less than 1ms (i.e. 1000) "
				"or larger than 1s (i.e. 1000000)\n");
			return 1;
		}
		r |= add_setting(req, "cpu-period", o->cpu_period);
	}
	if (flg_given(c, a, "cpu-shares")) {
		if (o->cpu_shares < 2 || o->cpu_shares > 262144)
			return flg_fail(c, "invalid --cpu-shares (2..262144): %d", o->cpu_shares);
		r |= add_setting(req, "cpu-shares", o->cpu_shares);
	}
	if (flg_given(c, a, "pids-limit"))
		r |= add_setting(req, "pids", o->pids_limit > 0 ? o->pids_limit : 0);
	return r < 0 ? -ENOMEM : 0;
}

/* The request: "update", the settings, the containers. 0, or the exit
 * code of an error already reported. */
static int update_request(const struct update_opts *o, const struct flg_out *a, struct strv *req)
{
	struct rp_policy rp;
	struct berr e;
	int r;

	if (strv_add(req, "update") < 0)
		return 1;
	r = update_settings(o, a, req);
	if (r != 0)
		return r < 0 ? 1 : r;
	if (o->restart) {
		char kv[300];

		if (rp_parse(o->restart, &rp, &e) < 0)
			return flg_fail(&cli_update_cmd, "%s", e.msg);
		snprintf(kv, sizeof(kv), "restart=%s", o->restart);
		if (strv_add(req, kv) < 0)
			return 1;
	}
	if (req->n == 1) {
		fprintf(stderr,
			"berth: you must provide one or more flags when using this command\n");
		return 1;
	}
	for (int i = 0; i < a->argc; i++) {
		if (strv_add(req, a->argv[i]) < 0)
			return 1;
	}
	return 0;
}

int cli_update(const char *root, int argc, char **argv)
{
	struct update_opts o = {0};
	struct strv req = {0};
	struct flg_out a;
	int r;

	if (flg_verb(&cli_update_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	r = update_request(&o, &a, &req);
	if (r == 0)
		r = client_call(root, req.n, req.v);
	strv_free(&req);
	return r;
}
