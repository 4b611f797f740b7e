/* sandbox_cli.c - `berth sandbox-run`: build an sb_spec from flags, start
 * it, wait, exit with the container's status. A debug and test driver for
 * the sandbox; `berth run` is the real thing. */
#include "sandbox_cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/sandbox/caps.h"
#include "runtime/sandbox/cgroup.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/sandbox/userns.h"
#include "runtime/lib/selfexe.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"

#define CLI_MAX 64

static pid_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

struct cli_state {
	struct sb_spec spec;	/* most flags go straight here */
	struct sb_mount mounts[CLI_MAX];
	struct sb_idmap uid_map[UNS_MAP_MAX], gid_map[UNS_MAP_MAX];
	int nnp;	  /* -1: default */
	const char *also_exec; /* test sb_exec: run `sh -c` this in the container */
	bool print_stats; /* the cgroup's stats on stderr after the exit */
	char cgroup[256];
	/* the flags that need a look before they go into the spec */
	struct strv lower, env, volumes, cap_add, cap_drop, security_opts, uidmap, gidmap;
	const char *memory, *memory_swap, *cpus;
	int cpu_shares, pids_limit;
};

#define O(f) struct cli_state, f
static const struct flg sbx_flags[] = {
	FLG_STRING(0, "also-exec", O(also_exec),
		   "Also run `SHELL-CMD` in the container with sb_exec; its status on stderr"),
	FLG_STRINGS(0, "cap-add", O(cap_add), "Add Linux capabilities"),
	FLG_STRINGS(0, "cap-drop", O(cap_drop), "Drop Linux capabilities"),
	FLG_STRING(0, "cgroup", O(spec.cgroup), "The cgroup2 `DIR` to create (default: one per run)"),
	FLG_INT(0, "cpu-shares", O(cpu_shares), "CPU shares (relative weight)"),
	FLG_STRING(0, "cpus", O(cpus), "Number of CPUs (a `decimal`)"),
	FLG_STRING(0, "cpuset-cpus", O(spec.limits.cpuset_cpus),
		   "CPUs in which to allow execution (0-3, 0,1)"),
	FLG_STRINGS('e', "env", O(env), "Set environment variables (KEY=VALUE)"),
	FLG_STRINGS(0, "gidmap", O(gidmap), "A user namespace's gid map line `CTR:HOST:SIZE`"),
	FLG_STRING(0, "hostname", O(spec.hostname), "Container host name"),
	FLG_STRING(0, "hostname-file", O(spec.hostname_file), "A `FILE` to bind on /etc/hostname"),
	FLG_STRING(0, "hosts", O(spec.hosts_file), "A `FILE` to bind on /etc/hosts"),
	FLG_BOOL(0, "idmap-layers", O(spec.idmap_lowers),
		 "Present the layers through idmapped mounts (with --uidmap)"),
	FLG_STRINGS(0, "lower", O(lower), "An overlay lower `DIR` (lowest first)"),
	FLG_STRING('m', "memory", O(memory), "Memory limit in `bytes`"),
	FLG_STRING(0, "memory-swap", O(memory_swap), "Memory plus swap limit in `bytes`"),
	FLG_STRING(0, "netns", O(spec.netns_path), "Join the network namespace at `PATH`"),
	FLG_INT(0, "pids-limit", O(pids_limit), "Tune the pids limit"),
	FLG_BOOL(0, "print-stats", O(print_stats), "Print the cgroup's stats on stderr at the exit"),
	FLG_BOOL(0, "privileged", O(spec.privileged), "Give extended privileges"),
	FLG_BOOL(0, "read-only", O(spec.read_only), "Mount the root filesystem read-only"),
	FLG_STRING(0, "resolv", O(spec.resolv_file), "A `FILE` to bind on /etc/resolv.conf"),
	FLG_STRING(0, "rootfs", O(spec.rootfs), "Where the overlay is mounted (required): a `DIR`"),
	FLG_STRINGS(0, "security-opt", O(security_opts),
		    "seccomp=unconfined|FILE, no-new-privileges[=false]"),
	FLG_BOOL('t', "tty", O(spec.tty), "The command's stdio is our terminal"),
	FLG_STRING(0, "upper", O(spec.upperdir), "The overlay's upper `DIR`"),
	FLG_STRING('u', "user", O(spec.user), "Username or UID (format: <name|uid>[:<group|gid>])"),
	FLG_STRINGS(0, "uidmap", O(uidmap),
		    "A new user namespace's uid map line `CTR:HOST:SIZE` (repeatable)"),
	FLG_STRINGS('v', "volume", O(volumes), "Bind mount HOST:CTR[:ro]"),
	FLG_STRING(0, "work", O(spec.workdir), "The overlay's work `DIR`"),
	FLG_STRING('w', "workdir", O(spec.cwd), "Working directory inside the container"),
	FLG_END,
};

const struct flg_cmd cli_sandbox_run_cmd = {
	.path = "sandbox-run",
	.usage = "[OPTIONS] --rootfs DIR [--] CMD [ARG...]",
	.desc = "Run CMD in a sandbox without the supervisor (hidden: a debug and test driver "
		"for runtime/sandbox, not for operators)",
	.flags = sbx_flags,
	.min_args = 1,
	.max_args = -1,
	.stop_at_operand = true,
	.args_status = 125,
	.hidden = true,
};

static int parse_volume(struct cli_state *s, char *arg)
{
	char *ctr = strchr(arg, ':'), *mode;

	if (!ctr || s->spec.nmounts >= CLI_MAX || arg[0] != '/')
		return -EINVAL;
	*ctr++ = '\0';
	mode = strchr(ctr, ':');
	if (mode)
		*mode++ = '\0';
	if (ctr[0] != '/' || (mode && strcmp(mode, "ro") && strcmp(mode, "rw")))
		return -EINVAL;
	s->mounts[s->spec.nmounts++] = (struct sb_mount){ .source = arg, .target = ctr, .read_only = mode && !strcmp(mode, "ro") };
	return 0;
}

static int parse_secopt(struct cli_state *s, const char *arg)
{
	if (strncmp(arg, "seccomp=", 8) == 0 || strncmp(arg, "seccomp:", 8) == 0)
		s->spec.seccomp = arg + 8;
	else if (strcmp(arg, "no-new-privileges") == 0 ||
		 strcmp(arg, "no-new-privileges=true") == 0)
		s->nnp = 1;
	else if (strcmp(arg, "no-new-privileges=false") == 0)
		s->nnp = 0;
	else
		return -EINVAL;
	return 0;
}

/* --uidmap and --gidmap: both or neither (a gid map defaults to the uid
 * map's lines). */
static int parse_maps(struct cli_state *s, struct berr *e)
{
	struct strv *g = s->gidmap.n ? &s->gidmap : &s->uidmap;

	if (s->uidmap.n > UNS_MAP_MAX || g->n > UNS_MAP_MAX || (s->gidmap.n && !s->uidmap.n))
		return berr_msg(e, EINVAL, "at most %d lines each, --gidmap only with --uidmap",
				UNS_MAP_MAX);
	for (int i = 0; i < s->uidmap.n; i++) {
		if (uns_map_parse(s->uidmap.v[i], &s->uid_map[i], e) < 0)
			return -EINVAL;
	}
	for (int i = 0; i < (s->uidmap.n ? g->n : 0); i++) {
		if (uns_map_parse(g->v[i], &s->gid_map[i], e) < 0)
			return -EINVAL;
	}
	s->spec.uid_map = s->uid_map;
	s->spec.gid_map = s->gid_map;
	s->spec.nuid_map = s->uidmap.n;
	s->spec.ngid_map = s->uidmap.n ? g->n : 0;
	return 0;
}

/* The flags that need a look into the spec; the name of a flag with a
 * bad value in *bad. */
static int apply_opts(struct cli_state *s, const char **bad)
{
	struct sb_limits *l = &s->spec.limits;
	static char *no_env[] = { NULL };
	static char why[BERR_MSG_MAX + 32];
	struct berr e;

	s->spec.lowerdirs = (const char *const *)s->lower.v;
	s->spec.nlower = s->lower.n;
	s->spec.env = s->env.v ? s->env.v : no_env;
	l->cpu_shares = s->cpu_shares;
	l->pids = s->pids_limit;
	for (int i = 0; i < s->volumes.n; i++) {
		if (parse_volume(s, s->volumes.v[i]) < 0)
			return *bad = "--volume", -EINVAL;
	}
	if (parse_maps(s, &e) < 0) {
		snprintf(why, sizeof(why), "--uidmap/--gidmap: %s", e.msg);
		return *bad = why, -EINVAL;
	}
	for (int i = 0; i < s->security_opts.n; i++) {
		if (parse_secopt(s, s->security_opts.v[i]) < 0)
			return *bad = "--security-opt", -EINVAL;
	}
	if (s->memory && cg_parse_bytes(s->memory, &l->memory) < 0)
		return *bad = "--memory", -EINVAL;
	if (s->memory_swap && cg_parse_bytes(s->memory_swap, &l->memory_swap) < 0)
		return *bad = "--memory-swap", -EINVAL;
	if (s->cpus) {
		double cpus = strtod(s->cpus, NULL);
		if (cpus <= 0)
			return *bad = "--cpus", -EINVAL;
		l->cpu_period_us = 100000;
		l->cpu_quota_us = (int64_t)llround(cpus * 100000);
	}
	return 0;
}

/* Exit status for a failed start, as Docker: 127 command not found, 126
 * not executable, 125 anything else. */
static int start_failure_status(const struct berr *e)
{
	if (strstr(e->msg, "exec: \"")) {
		if (e->code == ENOENT)
			return 127;
		if (e->code == EACCES)
			return 126;
	}
	return 125;
}

static void print_stats(const char *cgroup)
{
	struct cg_stats st;
	struct berr e;

	if (!cg_usable() || cg_read_stats(cgroup, &st, &e) < 0) {
		fprintf(stderr, "berth: no stats: %s\n", cg_usable() ? e.msg : "no cgroup2");
		return;
	}
	fprintf(stderr,
		"berth: stats memory_current=%lld memory_max=%lld oom_kill=%lld "
		"cpu_usage_usec=%lld pids_current=%lld\n",
		(long long)st.memory_current, (long long)st.memory_max, (long long)st.oom_kill,
		(long long)st.cpu_usage_usec, (long long)st.pids_current);
}

/* Run `/bin/sh -c cmd` in the running container with sb_exec (same user,
 * caps, seccomp) and wait for it; its status goes to stderr. */
static void also_exec(const struct sb_spec *spec, pid_t init, const char *cmd)
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	struct sb_spec ex = *spec;
	struct berr e;
	pid_t pid;

	ex.argv = argv;
	if (sb_exec(init, spec->cgroup, &ex, &pid, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return;
	}
	fprintf(stderr, "berth: exec exited %d\n", wait_pid(pid));
}

/* The flags into s: 0, or the exit code after printing the error. */
static int sandbox_parse(struct cli_state *s, int argc, char **argv)
{
	const char *bad = NULL;
	struct flg_out a;

	if (flg_verb(&cli_sandbox_run_cmd, s, argc, argv, &a) < 0)
		return a.status;
	if (!s->spec.rootfs)
		return flg_fail(&cli_sandbox_run_cmd, "--rootfs DIR is required");
	if (apply_opts(s, &bad) < 0)
		return flg_fail(&cli_sandbox_run_cmd, "bad value for %s", bad);
	s->spec.argv = a.argv;
	s->spec.mounts = s->mounts;
	if (caps_compute(sb_default_caps(), s->cap_add.v, s->cap_add.n, s->cap_drop.v,
			 s->cap_drop.n, &s->spec.caps) < 0) {
		fprintf(stderr, "berth: unknown capability\n");
		return 125;
	}
	return 0;
}

int cli_sandbox_run(const char *root, int argc, char **argv)
{
	static struct cli_state s;
	struct sigaction sa = {.sa_handler = forward_signal};
	struct berr e;
	pid_t pid;
	int r, status;

	(void)root;
	/* Enter containers only from a sealed copy of berth (selfexe.h).
	 * argv here starts at the verb: rebuild the full command line. */
	if (!selfexe_is_sealed() && !getenv("BERTH_NO_SEAL")) {
		char *full[argc + 2];

		full[0] = "berth";
		memcpy(full + 1, argv, sizeof(char *) * argc);
		full[argc + 1] = NULL;
		if (selfexe_seal(full, &e) < 0)
			fprintf(stderr, "berth: warning: %s\n", e.msg);
	}
	s.nnp = -1;
	s.spec.stdin_fd = 0;
	s.spec.stdout_fd = 1;
	s.spec.stderr_fd = 2;
	s.spec.id = "sandbox";
	r = sandbox_parse(&s, argc, argv);
	if (r)
		return r;
	/* Berth sets no_new_privs by default (docs/architecture.md, "Security
	 * defaults"); not for privileged. */
	s.spec.no_new_privs = s.nnp >= 0 ? s.nnp : !s.spec.privileged;
	if (!s.spec.cgroup) {
		snprintf(s.cgroup, sizeof(s.cgroup), "/sys/fs/cgroup/berth/sandbox-%d",
			 (int)getpid());
		s.spec.cgroup = s.cgroup;
	}
	r = sb_start(&s.spec, &pid, &e);
	if (r < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		sb_cleanup(&s.spec);
		return start_failure_status(&e);
	}
	if (s.also_exec)
		also_exec(&s.spec, pid, s.also_exec);
	forward_to = pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	status = wait_pid(pid);
	if (s.print_stats)
		print_stats(s.spec.cgroup);
	sb_cleanup(&s.spec);
	return status < 0 ? 125 : status;
}
