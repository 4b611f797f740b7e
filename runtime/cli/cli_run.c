/* cli_run.c - `berth run` and `berth create`: Docker's flags, the image's
 * config merged as Docker merges it, config.json written for PID 1. */
#include "cli_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_attach.h"
#include "cli_run_priv.h"
#include "cli_volume.h"
#include "client.h"
#include "runtime/container/restart.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

#define R(f) struct run_opts, f
static const struct flg run_flags[] = {
	FLG_STRINGS(0, "add-host", R(add_hosts), "Add a custom host-to-IP mapping (host:ip)"),
	FLG_STRINGS(0, "cap-add", R(cap_add), "Add Linux capabilities"),
	FLG_STRINGS(0, "cap-drop", R(cap_drop), "Drop Linux capabilities"),
	FLG_INT('c', "cpu-shares", R(cpu_shares), "CPU shares (relative weight, 2..262144)"),
	FLG_STRING(0, "cpus", R(cpus), "Number of CPUs (a `decimal`)"),
	FLG_STRING(0, "cpuset-cpus", R(cpuset), "CPUs in which to allow execution (0-3, 0,1)"),
	FLG_BOOL('d', "detach", R(detach), "Run container in background and print container ID"),
	FLG_STRINGS(0, "device", R(devices),
		    "Add a host device to the container (/dev/X[:/dev/Y][:rwm])"),
	FLG_STRINGS(0, "device-cgroup-rule", R(cgroup_rules),
		    "Add a rule to the cgroup allowed devices list (\"c 1:3 rwm\")"),
	FLG_STRINGS(0, "dns", R(dns), "Set custom DNS servers"),
	FLG_STRINGS(0, "dns-option", R(dns_opts), "Set DNS options"),
	FLG_STRINGS(0, "dns-search", R(dns_search), "Set custom DNS search domains"),
	FLG_STRING(0, "entrypoint", R(entrypoint), "Overwrite the default ENTRYPOINT of the image"),
	FLG_STRINGS('e', "env", R(env_args),
		    "Set environment variables (KEY=VALUE, or KEY from ours)"),
	FLG_STRINGS(0, "env-file", R(env_files), "Read in a file of environment variables"),
	FLG_STRINGS(0, "expose", R(expose), "Expose a port or a range of ports"),
	FLG_STRING(0, "health-cmd", R(health_cmd), "Command to run to check health"),
	FLG_DURATION(0, "health-interval", R(health_interval),
		     "Time between running the check (ms|s|m|h)"),
	FLG_INT(0, "health-retries", R(health_retries),
		"Consecutive failures needed to report unhealthy"),
	FLG_DURATION(0, "health-start-period", R(health_start_period),
		     "Start period for the container to initialize (ms|s|m|h)"),
	FLG_DURATION(0, "health-timeout", R(health_timeout),
		     "Maximum time to allow one check to run (ms|s|m|h)"),
	FLG_STRING('h', "hostname", R(hostname), "Container host name"),
	FLG_BOOL(0, "init", R(init),
		 "Run an init inside the container that forwards signals and reaps processes"),
	FLG_BOOL('i', "interactive", R(interactive), "Keep STDIN open even if not attached"),
	FLG_STRINGS('l', "label", R(label_args), "Set meta data on a container (KEY=VALUE)"),
	FLG_STRING(0, "log-driver", R(log_driver), "Logging driver for the container (json-file)"),
	FLG_STRINGS(0, "log-opt", R(log_opts), "Log driver options (max-size=SIZE, max-file=N)"),
	FLG_STRING('m', "memory", R(memory), "Memory limit in `bytes` (at least 6m)"),
	FLG_STRING(0, "memory-swap", R(memory_swap),
		   "Swap limit equal to memory plus swap, in `bytes`: '-1' for unlimited swap"),
	FLG_STRING(0, "name", R(name), "Assign a name to the container"),
	FLG_STRINGS(0, "net", R(networks), NULL),
	FLG_STRINGS(0, "network", R(networks),
		    "Connect a container to a `network`: bridge, none, host, container:NAME or a "
		    "network's name (again: name=NET,alias=A,ip=IP for a further one)"),
	FLG_STRINGS(0, "network-alias", R(net_aliases), "Add network-scoped alias for the container"),
	FLG_STRING(0, "ip", R(ip), "IPv4 address (e.g., 172.30.100.104)"),
	FLG_BOOL(0, "no-healthcheck", R(no_healthcheck),
		 "Disable any container-specified HEALTHCHECK"),
	FLG_INT(0, "pids-limit", R(pids_limit), "Tune container pids limit (set -1 for unlimited)"),
	FLG_BOOL(0, "privileged", R(privileged), "Give extended privileges to this container"),
	FLG_BOOL(0, "oom-kill-disable", R(oom_kill_disable), "Disable OOM Killer (not on cgroup v2)"),
	FLG_INT(0, "oom-score-adj", R(oom_score_adj), "Tune host's OOM preferences (-1000 to 1000)"),
	FLG_STRING(0, "platform", R(platform), "Set `platform` if server is multi-platform capable"),
	FLG_STRINGS('p', "publish", R(publish), "Publish a container's port(s) to the host"),
	FLG_BOOL('P', "publish-all", R(publish_all), "Publish all exposed ports to random ports"),
	FLG_STRING(0, "pull", R(pull),
		   "Pull image before running (\"always\", \"missing\", \"never\") (default \"missing\")"),
	FLG_BOOL(0, "read-only", R(read_only),
		 "Mount the container's root filesystem as read only"),
	FLG_STRING(0, "restart", R(restart),
		   "Restart policy to apply when a container exits (no, always, unless-stopped, "
		   "on-failure[:N])"),
	FLG_BOOL(0, "rm", R(rm), "Automatically remove the container when it exits"),
	FLG_STRINGS(0, "security-opt", R(security_opts),
		    "Security Options (seccomp=FILE|unconfined, no-new-privileges[=false])"),
	FLG_STRING(0, "stop-signal", R(stop_signal), "Signal to stop the container"),
	FLG_INT(0, "stop-timeout", R(stop_timeout), "Timeout (in seconds) to stop a container"),
	FLG_STRINGS(0, "sysctl", R(sysctls), "Sysctl options (KEY=VALUE, namespaced ones)"),
	FLG_STRINGS(0, "tmpfs", R(tmpfs), "Mount a tmpfs directory (PATH[:OPTIONS])"),
	FLG_BOOL('t', "tty", R(tty), "Allocate a pseudo-TTY"),
	FLG_STRINGS(0, "ulimit", R(ulimits), "Ulimit options (NAME=SOFT[:HARD])"),
	FLG_STRING('u', "user", R(user), "Username or UID (format: <name|uid>[:<group|gid>])"),
	FLG_STRING(0, "userns", R(userns), "User namespace to use (host, remap)"),
	FLG_STRINGS('v', "volume", R(volumes),
		    "Bind mount a volume (/HOST|NAME:/CTR[:ro], or /CTR for an anonymous one)"),
	FLG_STRING('w', "workdir", R(workdir), "Working directory inside the container"),
	FLG_END,
};

const struct flg_cmd cli_run_cmd = {
	.path = "run",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.desc = "Create and start a container",
	.flags = run_flags,
	.min_args = 1,
	.max_args = -1,
	.stop_at_operand = true,
	.args_status = 125,
};

const struct flg_cmd cli_create_cmd = {
	.path = "create",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.desc = "Create a container",
	.flags = run_flags,
	.min_args = 1,
	.max_args = -1,
	.stop_at_operand = true,
	.args_status = 125,
};

/* "-e KEY" takes KEY from our environment; "-e KEY=VAL" sets it. */
static int env_arg(struct strv *s, const char *arg)
{
	char buf[8192];
	const char *val;

	if (strchr(arg, '='))
		return env_set(s, arg);
	val = getenv(arg);
	if (!val)
		return 0;
	snprintf(buf, sizeof(buf), "%s=%s", arg, val);
	return env_set(s, buf);
}

static int env_file(struct strv *s, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[8192];

	if (!f) {
		fprintf(stderr, "berth: open env file %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *l = strstrip(line);
		if (*l == '\0' || *l == '#')
			continue;
		if (env_arg(s, l) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int parse_security_opt(struct run_opts *o, const char *v)
{
	if (strcmp(v, "no-new-privileges") == 0 || strcmp(v, "no-new-privileges=true") == 0 ||
	    strcmp(v, "no-new-privileges:true") == 0)
		o->no_new_privs = true;
	else if (strcmp(v, "no-new-privileges=false") == 0 ||
		 strcmp(v, "no-new-privileges:false") == 0)
		o->no_new_privs = false;
	else if (strncmp(v, "seccomp=", 8) == 0 || strncmp(v, "seccomp:", 8) == 0)
		o->seccomp = v + 8;
	else
		return -1;
	return 0;
}

/* The environment: the --env-files, then -e, as Docker reads them; the
 * labels ("--label KEY" is KEY with an empty value, as Docker's). */
static int run_opts_env(const struct flg_cmd *cmd, struct run_opts *o)
{
	for (int i = 0; i < o->env_files.n; i++) {
		if (env_file(&o->env, o->env_files.v[i]) < 0)
			return 125;
	}
	for (int i = 0; i < o->env_args.n; i++) {
		if (env_arg(&o->env, o->env_args.v[i]) < 0)
			return flg_fail(cmd, "out of memory");
	}
	for (int i = 0; i < o->label_args.n; i++) {
		const char *l = o->label_args.v[i];
		char kv[4096];

		if (l[0] == '=')
			return flg_fail(cmd, "invalid label: %s", l);
		snprintf(kv, sizeof(kv), "%s%s", l, strchr(l, '=') ? "" : "=");
		if (env_set(&o->labels, kv) < 0)
			return flg_fail(cmd, "out of memory");
	}
	for (int i = 0; i < o->security_opts.n; i++) {
		if (parse_security_opt(o, o->security_opts.v[i]) < 0)
			return flg_fail(cmd, "invalid --security-opt: %s", o->security_opts.v[i]);
	}
	return 0;
}

/* -m, --memory-swap, --cpus, -c, --pids-limit, --cpuset-cpus. */
static int run_opts_limits(const struct flg_cmd *cmd, struct run_opts *o, const struct flg_out *a)
{
	struct sb_limits *l = &o->limits;

	if (o->memory && (cg_parse_bytes(o->memory, &l->memory) < 0 || l->memory < 6 << 20))
		return flg_fail(cmd, "invalid --memory (at least 6m): %s", o->memory);
	if (o->memory_swap && cg_parse_bytes(o->memory_swap, &l->memory_swap) < 0)
		return flg_fail(cmd, "invalid --memory-swap: %s", o->memory_swap);
	if (o->cpus) {
		char *end;
		double c = strtod(o->cpus, &end);
		if (end == o->cpus || *end || c <= 0 || c > 1024)
			return flg_fail(cmd, "invalid --cpus: %s", o->cpus);
		l->cpu_period_us = 100000;
		l->cpu_quota_us = (int64_t)(c * 100000);
	}
	if (flg_given(cmd, a, "cpu-shares")) {
		if (o->cpu_shares < 2 || o->cpu_shares > 262144)
			return flg_fail(cmd, "invalid --cpu-shares (2..262144): %d", o->cpu_shares);
		l->cpu_shares = o->cpu_shares;
	}
	if (o->pids_limit < -1)
		return flg_fail(cmd, "invalid --pids-limit: %d", o->pids_limit);
	l->pids = o->pids_limit > 0 ? o->pids_limit : 0;
	if (o->cpuset && (!*o->cpuset || strspn(o->cpuset, "0123456789,-") != strlen(o->cpuset)))
		return flg_fail(cmd, "invalid --cpuset-cpus: %s", o->cpuset);
	return 0;
}

/* --health-*: each given one is the user's part of the check. */
static int run_opts_health(const struct flg_cmd *cmd, struct run_opts *o, const struct flg_out *a)
{
	static const char *const names[] = { "health-interval", "health-timeout",
					     "health-start-period" };
	const int64_t ns[] = { o->health_interval, o->health_timeout, o->health_start_period };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (ns[i] < 0)
			return flg_fail(cmd, "--%s cannot be negative", names[i]);
		o->health_flags |= flg_given(cmd, a, names[i]);
	}
	o->health.interval = o->health_interval;
	o->health.timeout = o->health_timeout;
	o->health.start_period = o->health_start_period;
	if (o->health_retries < 0)
		return flg_fail(cmd, "--health-retries cannot be negative");
	o->health.retries = o->health_retries;
	o->health_flags |= flg_given(cmd, a, "health-retries");
	if (o->health_cmd) {
		char **t = calloc(3, sizeof(char *));
		if (!t || !(t[0] = strdup("CMD-SHELL")) || !(t[1] = strdup(o->health_cmd))) {
			hc_config_free(&(struct hc_config){ .test = t });
			return flg_fail(cmd, "out of memory");
		}
		o->health.test = t;
		o->health_flags = true;
	}
	return 0;
}

/* What the flags mean, checked as Docker checks them. 0, or the exit code
 * after printing the error. */
static int run_opts_finish(const struct flg_cmd *cmd, struct run_opts *o, const struct flg_out *a)
{
	int rc;

	o->create_only = cmd == &cli_create_cmd;
	o->network = o->networks.n ? o->networks.v[0] : NULL;
	o->entrypoint_set = flg_given(cmd, a, "entrypoint");
	rc = run_opts_env(cmd, o);
	if (rc == 0)
		rc = run_opts_limits(cmd, o, a);
	if (rc == 0)
		rc = run_opts_health(cmd, o, a);
	if (rc == 0)
		rc = cli_run_hostx(cmd, o);
	return rc;
}

static void run_opts_free(struct run_opts *o)
{
	struct strv *lists[] = { &o->env_args, &o->env_files, &o->label_args, &o->security_opts,
				 &o->volumes,  &o->cap_add,   &o->cap_drop,   &o->publish,
				 &o->expose,   &o->env,	      &o->labels,     &o->net_aliases,
				 &o->networks };

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		strv_free(lists[i]);
	hc_config_free(&o->health);
	cli_run_hostx_free(o);
}

/* Docker's checks of the options as a whole, before anything is made:
 * 0, or the exit code after printing the error. */
static int run_check(const struct run_opts *o, struct strv *ports)
{
	struct rp_policy rp;
	struct berr e;

	/* Docker's check: an attached -it needs a terminal to put in raw mode. */
	if (!o->create_only && !o->detach && o->interactive && o->tty && !isatty(0)) {
		fprintf(stderr, "berth: the input device is not a TTY\n");
		return 1;
	}
	if (rp_parse(o->restart, &rp, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 125;
	}
	if (rp.kind != RP_NO && o->rm) {
		fprintf(stderr, "berth: Conflicting options: --restart and --rm\n");
		return 125;
	}
	/* an attached run without a tty shows the output from the log (cli_attach.c) */
	if (!o->create_only && !o->detach && !o->tty && o->hostx.log_driver == HX_LOG_NONE) {
		fprintf(stderr, "berth: --log-driver none needs -d or -t: without a terminal, berth "
				"shows an attached container's output from its log\n");
		return 125;
	}
	if (o->no_healthcheck && o->health_flags) {
		fprintf(stderr, "berth: --no-healthcheck conflicts with --health-* options\n");
		return 125;
	}
	if (cli_run_check_network(o->network) < 0 || cli_run_check_ports(o, ports) < 0 ||
	    cli_run_check_expose(o) < 0)
		return 125;
	return 0;
}

/* run and create; with id_out (`berth compose`), the new container's ID
 * goes there instead of to stdout. */
static int run_main(const char *root, int argc, char **argv, char *id_out)
{
	const struct flg_cmd *cmd = strcmp(argv[0], "create") == 0 ? &cli_create_cmd : &cli_run_cmd;
	struct run_opts o = { .no_new_privs = true };
	struct strv ports = { 0 }, exposed = { 0 };
	struct ctr_config c = { 0 };
	struct img_info img;
	struct flg_out a;
	bool start_failed = false;
	int rc;

	if (flg_verb(cmd, &o, argc, argv, &a) < 0) {
		run_opts_free(&o);
		return a.status;
	}
	rc = run_opts_finish(cmd, &o, &a);
	if (rc == 0)
		rc = run_check(&o, &ports);
	/* compose pulls by its own pull_policy */
	if (rc == 0 && (rc = cli_run_pull(root, id_out ? "never" : o.pull, o.platform, a.argv[0],
					  &img)) == 0) {
		rc = cli_run_make_config(root, &o, a.argv[0], &img, a.argc - 1, a.argv + 1, &c,
					 &exposed);
		img_info_free(&img);
	}
	if (rc == 0) { /* the extra HostConfig moves into the config */
		int image_signal = c.hostx.stop_signal;

		c.hostx = o.hostx;
		if (!c.hostx.stop_signal)
			c.hostx.stop_signal = image_signal;
		memset(&o.hostx, 0, sizeof(o.hostx));
	}
	if (rc == 0 && o.publish_all && cli_run_publish_all(&exposed, &o.expose, &ports) < 0)
		rc = 125;
	if (rc == 0)
		rc = cli_run_userns(root, &o, &c);
	strv_free(&exposed);
	if (rc == 0) {
		c.ports = ports.n ? steal_ptr(&ports.v) : NULL;
		ports.n = 0;
		rc = cli_run_begin(root, &o, &c, id_out, &start_failed);
	}
	if (start_failed && o.rm) {
		/* a start that failed leaves a created container; --rm removes it */
		char *args[] = { "rm", "-f", c.id, NULL };
		char *ignored = NULL;

		/* its errors are on stderr already; the exit code is the start's */
		berr_ignore(client_ask(root, 3, args, 15000, &ignored));
		free(ignored);
	}
	ctr_config_free(&c);
	strv_free(&ports);
	run_opts_free(&o);
	return rc;
}

int cli_run(const char *root, int argc, char **argv)
{
	return run_main(root, argc, argv, NULL);
}

int cli_run_id(const char *root, int argc, char **argv, char id[CTR_ID_LEN + 1])
{
	id[0] = '\0';
	return run_main(root, argc, argv, id);
}
