/* sandbox_cli.c - `berth sandbox-run`: build an sb_spec from flags, start
 * it, wait, exit with the container's status. A debug and test driver for
 * the sandbox; `berth run` is the real thing. */
#include "sandbox_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/sandbox/caps.h"
#include "runtime/sandbox/cgroup.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/selfexe.h"
#include "runtime/lib/util.h"

#define CLI_MAX 64

static pid_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: berth sandbox-run [--lower DIR]... [--upper DIR --work DIR] --rootfs DIR\n"
		"       [--hostname NAME] [-u USER[:GROUP]] [-e K=V] [-w DIR] [--cap-add CAP]\n"
		"       [--cap-drop CAP] [--privileged] [--security-opt seccomp=unconfined|FILE]\n"
		"       [--security-opt no-new-privileges[=false]] [--read-only]\n"
		"       [-v HOST:CTR[:ro]] [-m BYTES] [--memory-swap BYTES] [--cpus N]\n"
		"       [--cpu-shares N] [--pids-limit N] [--cpuset-cpus LIST] [--cgroup DIR]\n"
		"       [--netns PATH] [--hosts FILE] [--resolv FILE] [--hostname-file FILE]\n"
		"       [-t] [--also-exec SHELL-CMD] [--print-stats] -- CMD [ARG...]\n");
	return 125;
}

enum {
	OPT_LOWER = 256,
	OPT_UPPER,
	OPT_WORK,
	OPT_ROOTFS,
	OPT_HOSTNAME,
	OPT_CAPADD,
	OPT_CAPDROP,
	OPT_PRIV,
	OPT_SECOPT,
	OPT_RO,
	OPT_MEMSWAP,
	OPT_CPUS,
	OPT_SHARES,
	OPT_PIDS,
	OPT_CPUSET,
	OPT_CGROUP,
	OPT_NETNS,
	OPT_HOSTS,
	OPT_RESOLV,
	OPT_HOSTNAMEF,
	OPT_ALSOEXEC,
	OPT_STATS,
};

static const struct option opts[] = {
    {"lower", required_argument, 0, OPT_LOWER},
    {"upper", required_argument, 0, OPT_UPPER},
    {"work", required_argument, 0, OPT_WORK},
    {"rootfs", required_argument, 0, OPT_ROOTFS},
    {"hostname", required_argument, 0, OPT_HOSTNAME},
    {"user", required_argument, 0, 'u'},
    {"env", required_argument, 0, 'e'},
    {"workdir", required_argument, 0, 'w'},
    {"volume", required_argument, 0, 'v'},
    {"memory", required_argument, 0, 'm'},
    {"tty", no_argument, 0, 't'},
    {"cap-add", required_argument, 0, OPT_CAPADD},
    {"cap-drop", required_argument, 0, OPT_CAPDROP},
    {"privileged", no_argument, 0, OPT_PRIV},
    {"security-opt", required_argument, 0, OPT_SECOPT},
    {"read-only", no_argument, 0, OPT_RO},
    {"memory-swap", required_argument, 0, OPT_MEMSWAP},
    {"cpus", required_argument, 0, OPT_CPUS},
    {"cpu-shares", required_argument, 0, OPT_SHARES},
    {"pids-limit", required_argument, 0, OPT_PIDS},
    {"cpuset-cpus", required_argument, 0, OPT_CPUSET},
    {"cgroup", required_argument, 0, OPT_CGROUP},
    {"netns", required_argument, 0, OPT_NETNS},
    {"hosts", required_argument, 0, OPT_HOSTS},
    {"resolv", required_argument, 0, OPT_RESOLV},
    {"hostname-file", required_argument, 0, OPT_HOSTNAMEF},
    {"also-exec", required_argument, 0, OPT_ALSOEXEC},
    {"print-stats", no_argument, 0, OPT_STATS},
    {0, 0, 0, 0},
};

struct cli_state {
	struct sb_spec spec;
	const char *lower[CLI_MAX];
	struct sb_mount mounts[CLI_MAX];
	char *env[CLI_MAX + 1];
	char *add[CLI_MAX], *drop[CLI_MAX];
	int nenv, nadd, ndrop;
	int nnp;	  /* -1: default */
	char *also_exec;  /* test sb_exec: run `sh -c` this in the container */
	bool print_stats; /* the cgroup's stats on stderr after the exit */
	char cgroup[256];
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

static int parse_opt(struct cli_state *s, int c, char *arg)
{
	struct sb_limits *l = &s->spec.limits;
	double cpus;

	switch (c) {
	case OPT_LOWER:
		if (s->spec.nlower >= CLI_MAX)
			return -E2BIG;
		s->lower[s->spec.nlower++] = arg;
		return 0;
	case OPT_UPPER:
		s->spec.upperdir = arg;
		return 0;
	case OPT_WORK:
		s->spec.workdir = arg;
		return 0;
	case OPT_ROOTFS:
		s->spec.rootfs = arg;
		return 0;
	case OPT_HOSTNAME:
		s->spec.hostname = arg;
		return 0;
	case 'u':
		s->spec.user = arg;
		return 0;
	case 'w':
		s->spec.cwd = arg;
		return 0;
	case 't':
		s->spec.tty = true;
		return 0;
	case 'e':
		if (s->nenv >= CLI_MAX)
			return -E2BIG;
		s->env[s->nenv++] = arg;
		return 0;
	case 'v':
		return parse_volume(s, arg);
	case 'm':
		return cg_parse_bytes(arg, &l->memory);
	case OPT_MEMSWAP:
		return cg_parse_bytes(arg, &l->memory_swap);
	case OPT_CPUS:
		cpus = strtod(arg, NULL);
		if (cpus <= 0)
			return -EINVAL;
		l->cpu_period_us = 100000;
		l->cpu_quota_us = (int64_t)llround(cpus * 100000);
		return 0;
	case OPT_SHARES:
		l->cpu_shares = atoll(arg);
		return 0;
	case OPT_PIDS:
		l->pids = atoll(arg);
		return 0;
	case OPT_CPUSET:
		l->cpuset_cpus = arg;
		return 0;
	case OPT_CGROUP:
		s->spec.cgroup = arg;
		return 0;
	case OPT_NETNS:
		s->spec.netns_path = arg;
		return 0;
	case OPT_HOSTS:
		s->spec.hosts_file = arg;
		return 0;
	case OPT_RESOLV:
		s->spec.resolv_file = arg;
		return 0;
	case OPT_HOSTNAMEF:
		s->spec.hostname_file = arg;
		return 0;
	case OPT_ALSOEXEC:
		s->also_exec = arg;
		return 0;
	case OPT_STATS:
		s->print_stats = true;
		return 0;
	case OPT_CAPADD:
		if (s->nadd >= CLI_MAX)
			return -E2BIG;
		s->add[s->nadd++] = arg;
		return 0;
	case OPT_CAPDROP:
		if (s->ndrop >= CLI_MAX)
			return -E2BIG;
		s->drop[s->ndrop++] = arg;
		return 0;
	case OPT_PRIV:
		s->spec.privileged = true;
		return 0;
	case OPT_SECOPT:
		return parse_secopt(s, arg);
	case OPT_RO:
		s->spec.read_only = true;
		return 0;
	}
	return -EINVAL;
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
static void also_exec(const struct sb_spec *spec, pid_t init, char *cmd)
{
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
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

int cmd_sandbox_run(const char *root, int argc, char **argv)
{
	static struct cli_state s;
	struct sigaction sa = {.sa_handler = forward_signal};
	struct berr e;
	pid_t pid;
	int c, r, status;

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
	optind = 1;
	while ((c = getopt_long(argc, argv, "+u:e:w:v:m:t", opts, NULL)) != -1) {
		if (c == '?' || parse_opt(&s, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, "berth sandbox-run: bad value for %s: %s\n",
					argv[optind - 1], optarg ? optarg : "");
			return usage();
		}
	}
	if (optind >= argc || !s.spec.rootfs)
		return usage();
	s.spec.argv = argv + optind;
	s.spec.lowerdirs = s.lower;
	s.spec.mounts = s.mounts;
	s.spec.env = s.env;
	if (caps_compute(sb_default_caps(), s.add, s.nadd, s.drop, s.ndrop, &s.spec.caps) < 0) {
		fprintf(stderr, "berth sandbox-run: unknown capability\n");
		return 125;
	}
	/* Berth sets no_new_privs by default (DESIGN.md §5); not for privileged. */
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
