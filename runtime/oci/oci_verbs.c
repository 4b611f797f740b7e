/* oci_verbs.c - state, list, kill, delete, ps, pause, resume, update. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <poll.h>
#include <unistd.h>

#include "oci_config.h"
#include "oci_hooks.h"
#include "oci_rt.h"
#include "runtime/lib/duration.h"
#include "runtime/lib/file.h"
#include "runtime/lib/signame.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

#define ONE_ID(name, text) \
	{ .path = (name), .usage = "CONTAINER-ID", .desc = (text), .min_args = 1, .max_args = 1 }

static const struct flg_cmd state_cmd = ONE_ID("state", "Print a container's state as JSON");
static const struct flg_cmd pause_cmd = ONE_ID("pause", "Freeze every process of a container");
static const struct flg_cmd resume_cmd = ONE_ID("resume", "Thaw a paused container");

static void print_json(json_t *j)
{
	char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(j);
}

/* Load the container of a verb's one operand; 0, or the exit code. */
static int load_one(struct oci_ctx *x, const struct flg_cmd *c, void *opts, int argc,
		    char **argv, struct flg_out *a, struct oci_state *s)
{
	struct berr e;
	int r = oci_flags(x, c, opts, argc, argv, a);

	if (r != 0)
		return oci_exit(r);
	if (oci_state_load(x, a->argv[0], s, &e) < 0) {
		oci_log(x, "error", "%s", e.msg);
		return 1;
	}
	return 0;
}

static int fail(struct oci_ctx *x, struct oci_state *s, const struct berr *e)
{
	oci_log(x, "error", "%s", e->msg);
	oci_state_free(s);
	return 1;
}

int oci_cmd_state(struct oci_ctx *x, int argc, char **argv)
{
	struct oci_state s;
	struct flg_out a;
	int r = load_one(x, &state_cmd, NULL, argc, argv, &a, &s);

	if (r != 0)
		return oci_exit(r);
	print_json(oci_state_json(&s, oci_status(&s)));
	oci_state_free(&s);
	return 0;
}

struct list_opts {
	const char *format;
	bool quiet;
};

#define L(f) struct list_opts, f
static const struct flg list_flags[] = {
    FLG_STRING('f', "format", L(format), "table or json"),
    FLG_BOOL('q', "quiet", L(quiet), "Print only the IDs"),
    FLG_END,
};
static const struct flg_cmd list_cmd = {.path = "list", .usage = "[OPTIONS]", .flags = list_flags,
					.desc = "List the containers under --root"};

static json_t *list_states(struct oci_ctx *x)
{
	json_t *all = json_array();
	DIR *d = opendir(x->root);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct oci_state s;
		struct berr e;

		if (de->d_name[0] == '.' || oci_state_load(x, de->d_name, &s, &e) < 0)
			continue;
		json_array_append_new(all, oci_state_json(&s, oci_status(&s)));
		oci_state_free(&s);
	}
	if (d)
		closedir(d);
	return all;
}

int oci_cmd_list(struct oci_ctx *x, int argc, char **argv)
{
	struct list_opts o = {0};
	struct flg_out a;
	json_t *all, *v;
	size_t i;
	int r = oci_flags(x, &list_cmd, &o, argc, argv, &a);

	if (r != 0)
		return oci_exit(r);
	if (o.format && strcmp(o.format, "json") && strcmp(o.format, "table")) {
		oci_log(x, "error", "invalid format option %s", o.format);
		return 1;
	}
	all = list_states(x);
	if (o.format && strcmp(o.format, "json") == 0) {
		print_json(all);
		return 0;
	}
	if (!o.quiet)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	json_array_foreach(all, i, v) {
		if (o.quiet) {
			printf("%s\n", json_string_value(json_object_get(v, "id")));
			continue;
		}
		printf("%-12s %-8lld %-10s %-40s %-30s root\n",
		       json_string_value(json_object_get(v, "id")),
		       json_integer_value(json_object_get(v, "pid")),
		       json_string_value(json_object_get(v, "status")),
		       json_string_value(json_object_get(v, "bundle")),
		       json_string_value(json_object_get(v, "created")));
	}
	json_decref(all);
	return 0;
}

/* The container's pids: its cgroup's, or without one just the init (it
 * is pid 1 of the container's pid namespace: killing it ends the rest). */
static int container_pids(const struct oci_state *s, pid_t *pids, int max)
{
	char path[4200], buf[65536], *p, *end;
	int n = 0;
	ssize_t len;

	if (!s->cgroup[0]) {
		pids[0] = s->pid;
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", s->cgroup);
	len = read_file(path, buf, sizeof(buf));
	if (len <= 0) {
		pids[0] = s->pid;
		return 1;
	}
	for (p = buf; n < max && *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v > 0)
			pids[n++] = (pid_t)v;
	}
	return n;
}

struct kill_opts {
	bool all;
};

static const struct flg kill_flags[] = {
    FLG_BOOL('a', "all", OF(struct kill_opts, all), "Signal every process of the container"),
    FLG_END,
};
static const struct flg_cmd kill_cmd = {.path = "kill", .usage = "[OPTIONS] CONTAINER-ID [SIGNAL]",
					.flags = kill_flags, .min_args = 1, .max_args = 2,
					.desc = "Send a signal (default SIGTERM) to a container"};

int oci_cmd_kill(struct oci_ctx *x, int argc, char **argv)
{
	struct kill_opts o = {0};
	struct oci_state s;
	struct flg_out a;
	struct berr e;
	pid_t pids[4096];
	int r = load_one(x, &kill_cmd, &o, argc, argv, &a, &s), sig;

	if (r != 0)
		return oci_exit(r);
	sig = a.argc > 1 ? sig_parse(a.argv[1]) : SIGTERM;
	if (!sig) {
		berr_msg(&e, EINVAL, "unknown signal \"%s\"", a.argv[1]);
		return fail(x, &s, &e);
	}
	if (!oci_alive(&s)) {
		berr_msg(&e, ESRCH, "container not running");
		return fail(x, &s, &e);
	}
	if (s.cgroup[0] && (sig == SIGKILL || o.all))
		berr_ignore(cg_freeze(s.cgroup, false, &e)); /* a frozen task cannot die */
	r = o.all ? container_pids(&s, pids, (int)ARRAY_SIZE(pids)) : 1;
	if (!o.all)
		pids[0] = s.pid;
	for (int i = 0; i < r; i++) {
		if (kill(pids[i], sig) < 0 && (errno != ESRCH || !o.all)) {
			berr_set(&e, errno, "kill %d", (int)pids[i]);
			return fail(x, &s, &e);
		}
	}
	oci_state_free(&s);
	return 0;
}

/* Up to 10 s for the init to go after SIGKILL (it is not our child: the
 * subreaper reaps it; a zombie counts as gone). */
static int kill_and_wait(struct oci_state *s, struct berr *e)
{
	if (s->cgroup[0])
		berr_ignore(cg_freeze(s->cgroup, false, e)); /* a frozen task cannot die */
	if (kill(s->pid, SIGKILL) < 0 && errno != ESRCH)
		return berr_set(e, errno, "kill %d", (int)s->pid);
	for (int i = 0; i < 1000 && oci_alive(s); i++)
		usleep(10000);
	if (oci_alive(s))
		return berr_msg(e, ETIMEDOUT, "the container's process %d does not exit",
				(int)s->pid);
	return 0;
}

int oci_destroy(struct oci_ctx *x, struct oci_state *s, bool force, struct berr *e)
{
	const char *status = oci_status(s);
	int r;

	if (strcmp(status, "stopped") != 0 && strcmp(status, "created") != 0 && !force)
		return berr_msg(e, EBUSY, "cannot delete container %s that is not stopped: %s",
				s->id, status);
	if (oci_alive(s)) {
		r = kill_and_wait(s, e);
		if (r < 0)
			return r;
	}
	if (s->cgroup[0] && cg_usable()) {
		r = cg_remove(s->cgroup, e);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (s->hooks) {
		json_t *state = oci_state_json(s, "stopped");

		if (oci_hooks_run(s->hooks, "poststop", state, -1, e) < 0)
			oci_log(x, "warning", "%s", e->msg);
		json_decref(state);
	}
	oci_state_remove(s->dir);
	return 0;
}

struct delete_opts {
	bool force;
};

static const struct flg delete_flags[] = {
    FLG_BOOL('f', "force", OF(struct delete_opts, force), "Kill a running container first"),
    FLG_END,
};
static const struct flg_cmd delete_cmd = {.path = "delete", .usage = "[OPTIONS] CONTAINER-ID",
					  .flags = delete_flags, .min_args = 1, .max_args = 1,
					  .desc = "Delete a container's resources and state"};

int oci_cmd_delete(struct oci_ctx *x, int argc, char **argv)
{
	struct delete_opts o = {0};
	struct oci_state s;
	struct flg_out a;
	struct berr e;
	int r = oci_flags(x, &delete_cmd, &o, argc, argv, &a);

	if (r != 0)
		return oci_exit(r);
	r = oci_state_load(x, a.argv[0], &s, &e);
	if (r == -ENOENT && o.force)
		return 0; /* runc: delete --force of a missing container succeeds */
	if (r == 0)
		r = oci_destroy(x, &s, o.force, &e);
	if (r < 0)
		return fail(x, &s, &e);
	oci_state_free(&s);
	return 0;
}

struct ps_opts {
	const char *format;
};

static const struct flg ps_flags[] = {
    FLG_STRING('f', "format", OF(struct ps_opts, format), "table or json"),
    FLG_END,
};
static const struct flg_cmd ps_cmd = {.path = "ps", .usage = "[OPTIONS] CONTAINER-ID",
				      .flags = ps_flags, .min_args = 1, .max_args = -1,
				      .stop_at_operand = true,
				      .desc = "List the processes of a container"};

int oci_cmd_ps(struct oci_ctx *x, int argc, char **argv)
{
	struct ps_opts o = {0};
	struct oci_state s;
	struct flg_out a;
	pid_t pids[4096];
	int r = load_one(x, &ps_cmd, &o, argc, argv, &a, &s), n;
	json_t *j;

	if (r != 0)
		return oci_exit(r);
	n = oci_alive(&s) ? container_pids(&s, pids, (int)ARRAY_SIZE(pids)) : 0;
	if (o.format && strcmp(o.format, "json") == 0) {
		j = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(j, json_integer(pids[i]));
		print_json(j);
	} else {
		printf("PID   CMD\n");
		for (int i = 0; i < n; i++) {
			char path[64], cmd[256] = "";
			ssize_t len;

			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
			len = read_file(path, cmd, sizeof(cmd));
			if (len > 0 && cmd[len - 1] == '\n')
				cmd[len - 1] = '\0';
			printf("%-5d %s\n", (int)pids[i], cmd);
		}
	}
	oci_state_free(&s);
	return 0;
}

/* pause/resume: cgroup.freeze, then wait for cgroup.events to agree. */
static int freeze(struct oci_ctx *x, const struct flg_cmd *c, int argc, char **argv, bool on)
{
	struct oci_state s;
	struct flg_out a;
	struct berr e;
	bool frozen = !on;
	int r = load_one(x, c, NULL, argc, argv, &a, &s);

	if (r != 0)
		return oci_exit(r);
	if (!oci_alive(&s)) {
		berr_msg(&e, ESRCH, "container not running");
		return fail(x, &s, &e);
	}
	if (!s.cgroup[0]) {
		berr_msg(&e, ENOTSUP, "cannot %s: the container has no cgroup (cgroup v2 is not "
				      "usable on this host)", c->path);
		return fail(x, &s, &e);
	}
	r = cg_freeze(s.cgroup, on, &e);
	for (int i = 0; r == 0 && i < 500 && frozen != on; i++) {
		r = cg_frozen(s.cgroup, &frozen, &e);
		if (r == 0 && frozen != on)
			usleep(10000);
	}
	if (r == 0 && frozen != on)
		r = berr_msg(&e, ETIMEDOUT, "%s: the cgroup did not change in 5 s", c->path);
	if (r < 0)
		return fail(x, &s, &e);
	oci_state_free(&s);
	return 0;
}

int oci_cmd_pause(struct oci_ctx *x, int argc, char **argv)
{
	return freeze(x, &pause_cmd, argc, argv, true);
}

int oci_cmd_resume(struct oci_ctx *x, int argc, char **argv)
{
	return freeze(x, &resume_cmd, argc, argv, false);
}

struct update_opts {
	const char *resources;
};

static const struct flg update_flags[] = {
    FLG_STRING('r', "resources", OF(struct update_opts, resources),
	       "A linux.resources JSON `FILE` (- for stdin)"),
    FLG_END,
};
static const struct flg_cmd update_cmd = {.path = "update", .usage = "--resources FILE CONTAINER-ID",
					  .flags = update_flags, .min_args = 1, .max_args = 1,
					  .desc = "Change a running container's resource limits"};

static int read_resources(const char *path, struct oci_config *cfg, struct sb_limits *l,
			  struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	bool allow_all = false;
	int r = strcmp(path, "-") == 0 ? read_fd_all(0, 1 << 20, &text, &len)
				       : read_file_all(path, 1 << 20, &text, &len);

	if (r < 0)
		return berr_set(e, -r, "read %s", path);
	cfg->json = json_loadb(text, len, 0, NULL);
	if (!cfg->json)
		return berr_msg(e, EINVAL, "%s: not JSON", path);
	return oci_resources_parse(cfg, cfg->json, l, &allow_all, e);
}

int oci_cmd_update(struct oci_ctx *x, int argc, char **argv)
{
	struct update_opts o = {0};
	struct oci_config cfg = {0};
	struct sb_limits l = {0};
	struct oci_state s;
	struct flg_out a;
	struct berr e;
	int r = load_one(x, &update_cmd, &o, argc, argv, &a, &s);

	if (r != 0)
		return oci_exit(r);
	if (!o.resources)
		r = berr_msg(&e, EINVAL, "update: --resources is required");
	else if (!s.cgroup[0])
		r = berr_msg(&e, ENOTSUP, "cannot update: the container has no cgroup (cgroup v2 "
					  "is not usable on this host)");
	else
		r = read_resources(o.resources, &cfg, &l, &e);
	if (r == 0)
		r = cg_set_limits(s.cgroup, &l, &e);
	for (int i = 0; r == 0 && i < cfg.nwarnings; i++)
		oci_log(x, "warning", "%s", cfg.warnings[i]);
	oci_config_free(&cfg);
	if (r < 0)
		return fail(x, &s, &e);
	oci_state_free(&s);
	return 0;
}

struct events_opts {
	bool stats;
	const char *interval;
};

static const struct flg events_flags[] = {
    FLG_BOOL(0, "stats", OF(struct events_opts, stats), "Print the stats once and exit"),
    FLG_STRING(0, "interval", OF(struct events_opts, interval),
	       "Stats every `DURATION` (default 5s)"),
    FLG_END,
};
static const struct flg_cmd events_cmd = {
    .path = "events", .usage = "[--stats] [--interval D] CONTAINER-ID", .flags = events_flags,
    .min_args = 1, .max_args = 1,
    .desc = "Print the container's stats (and OOM kills) as JSON lines, as runc"};

/* runc's stats event from the cgroup v2 files (-1 = absent; a limit of
 * "max" is runc's 2^64-1). */
static void print_event(const struct oci_state *s, const char *type, const struct cg_stats *st)
{
	json_t *j = json_pack("{s:s, s:s}", "type", type, "id", s->id);
	char *text;

	if (j && st)
		json_object_set_new(
		    j, "data",
		    json_pack("{s:{s:{s:I}}, s:{s:{s:I, s:I}}, s:{s:I}, s:{}}", "cpu", "usage",
			      "total", (json_int_t)(st->cpu_usage_usec * 1000), "memory", "usage",
			      "usage", (json_int_t)st->memory_current, "limit",
			      (json_int_t)(st->memory_max >= 0 ? st->memory_max : -1), "pids",
			      "current", (json_int_t)st->pids_current, "blkio"));
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (text)
		printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(j);
}

/* Stats every interval and an "oom" event per new OOM kill, until the
 * container stops. */
static int watch(const struct oci_state *s, int64_t interval_ns, struct berr *e)
{
	int64_t oom = -1, next = 0;
	struct cg_stats st;

	for (int64_t t = 0; oci_alive(s); t += 100000000) {
		if (cg_read_stats(s->cgroup, &st, e) < 0)
			return -e->code;
		if (oom >= 0 && st.oom_kill > oom)
			print_event(s, "oom", NULL);
		oom = st.oom_kill;
		if (t >= next) {
			print_event(s, "stats", &st);
			next = t + interval_ns;
		}
		usleep(100000);
	}
	return 0;
}

int oci_cmd_events(struct oci_ctx *x, int argc, char **argv)
{
	struct events_opts o = {0};
	struct cg_stats st;
	struct oci_state s;
	struct flg_out a;
	struct berr e;
	int64_t ns = 5000000000LL;
	int r = load_one(x, &events_cmd, &o, argc, argv, &a, &s);

	if (r != 0)
		return oci_exit(r);
	if (o.interval && (duration_parse(o.interval, &ns, &e) < 0 || ns <= 0))
		return fail(x, &s, &e);
	if (!oci_alive(&s)) {
		berr_msg(&e, ESRCH, "container not running");
		return fail(x, &s, &e);
	}
	if (!s.cgroup[0]) {
		berr_msg(&e, ENOTSUP, "events: the container has no cgroup (cgroup v2 is not "
				      "usable on this host)");
		return fail(x, &s, &e);
	}
	r = o.stats ? cg_read_stats(s.cgroup, &st, &e) : watch(&s, ns, &e);
	if (r < 0)
		return fail(x, &s, &e);
	if (o.stats)
		print_event(&s, "stats", &st);
	oci_state_free(&s);
	return 0;
}
