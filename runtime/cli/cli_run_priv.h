/* cli_run_priv.h - what the pieces of `berth run` share: the options its
 * flags fill (cli_run.c) and the config made from them and the image
 * (cli_run_config.c). */
#ifndef BERTH_CLI_RUN_PRIV_H
#define BERTH_CLI_RUN_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/container/container.h"
#include "flags.h"
#include "runtime/container/health.h"
#include "runtime/image/image.h"
#include "runtime/lib/strv.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/err.h"

struct run_opts {
	/* as the flags give them (run_flags[] in cli_run.c) */
	bool detach, rm, interactive, tty, privileged, read_only, publish_all, no_healthcheck;
	bool oom_kill_disable;	/* discarded with Docker's warning (cli_run_host.c) */
	const char *name, *workdir, *user, *entrypoint, *hostname, *restart, *network, *cpuset;
	const char *memory, *memory_swap, *cpus, *health_cmd;
	const char *pull, *platform; /* --pull, --platform (cli_run_pull.c) */
	const char *ip;		/* --ip (cli_network.c) */
	struct strv net_aliases; /* --network-alias */
	struct strv networks;	/* each --network; network is the first */
	const char *userns;	     /* --userns (cli_run_userns.c) */
	int cpu_shares, pids_limit, stop_timeout, health_retries;
	int oom_score_adj;	/* --oom-score-adj (cli_run_host.c) */
	int64_t health_interval, health_timeout, health_start_period;
	struct strv env_args, env_files, label_args, security_opts;
	struct strv volumes, cap_add, cap_drop, publish, expose;
	/* --add-host, --dns*, --tmpfs, --ulimit, --sysctl, --device, --init,
	 * --stop-signal, --log-* (cli_run_host.c) */
	struct strv add_hosts, dns, dns_opts, dns_search, tmpfs, ulimits, sysctls, devices, log_opts,
		cgroup_rules;
	const char *stop_signal, *log_driver;
	bool init;
	/* made from them */
	bool create_only, no_new_privs, entrypoint_set;
	const char *seccomp;
	struct strv env, labels; /* KEY=VALUE, the last of each key */
	struct sb_limits limits;
	struct hc_config health; /* from --health-* (test NULL: the image's) */
	bool health_flags;
	struct ctr_hostx hostx;	/* from --add-host ... --log-opt */
};

/* The container's config from the options, the image and the command
 * (argv: what follows IMAGE); the image's exposed ports into exposed.
 * Returns 0, or the exit code after printing the error. */
BERR_MUST int cli_run_make_config(const char *root, const struct run_opts *o, const char *image,
				  const struct img_info *img, int argc, char **argv,
				  struct ctr_config *c, struct strv *exposed);

/* --add-host ... --log-opt checked as Docker checks them, into o->hostx.
 * 0, or the exit code after printing the error. */
BERR_MUST int cli_run_hostx(const struct flg_cmd *cmd, struct run_opts *o);
void cli_run_hostx_free(struct run_opts *o);

/* --pull POLICY (missing, the default; always; never) for image: pulls
 * it when the policy says so, then *info is the image (looked up once;
 * img_info_free it). 0, or the exit code (125) after printing the error. */
BERR_MUST int cli_run_pull(const char *root, const char *policy, const char *platform,
			   const char *image, struct img_info *info);

/* --userns and daemon.json's userns-remap applied to c (maps, layers,
 * volumes). 0, or the exit code (125) after printing the error. */
BERR_MUST int cli_run_userns(const char *root, const struct run_opts *o, struct ctr_config *c);

/* c's config.json (daemon.json's default-ulimits added), then the
 * supervisor's create (and for run its wait and start: cli_run_start.c);
 * attached, the output followed until the exit. 0 or the exit code (the
 * container's when attached), after printing the error; *start_failed
 * when the start was refused. */
BERR_MUST int cli_run_begin(const char *root, const struct run_opts *o, struct ctr_config *c,
			    char *id_out, bool *start_failed);

/* The mode's syntax; the supervisor checks that a container: target exists. */
BERR_MUST int cli_run_check_network(const char *spec);
/* -p: each well formed, no host port twice, only on the bridge; into
 * canonical specs for the config. */
BERR_MUST int cli_run_check_ports(const struct run_opts *o, struct strv *out);
/* --expose: PORT[/PROTO], PORT-PORT[/PROTO] (Docker's forms). */
BERR_MUST int cli_run_check_expose(const struct run_opts *o);
/* -P: every exposed port (the image's and --expose) on an ephemeral host
 * port, unless -p publishes that container port already. */
BERR_MUST int cli_run_publish_all(const struct strv *exposed, const struct strv *expose,
				  struct strv *ports);

#endif
