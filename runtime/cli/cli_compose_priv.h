/* cli_compose_priv.h - what the pieces of `berth compose` share: the
 * project a command acts on (cli_compose.c reads the file and finds the
 * project's containers by their labels), `up` (cli_compose_up.c) and the
 * other subcommands (cli_compose_verbs.c). */
#ifndef BERTH_CLI_COMPOSE_PRIV_H
#define BERTH_CLI_COMPOSE_PRIV_H

#include <stdbool.h>

#include "flags.h"
#include "runtime/compose/compose.h"
#include "runtime/container/container.h"
#include "runtime/lib/err.h"

#define LABEL_PROJECT "com.docker.compose.project="
#define LABEL_SERVICE "com.docker.compose.service="
#define LABEL_HASH "com.docker.compose.config-hash="
#define MAX_MEMBERS 512
#define COMPOSE_ASK_MS 60000 /* how long a request may wait for its answer */

struct cli_project {
	const char *root, *file, *project_flag; /* file and project_flag: -f and -p */
	char path[4096];
	char project[256];
	struct compose_file f;
	bool parsed;
	struct strv profile_flags; /* --profile */
	struct strv profiles;	   /* active: --profile, else COMPOSE_PROFILES */
	struct strv dotenv;	   /* the .env file next to the compose file */
};

/* A container of the project. */
struct cli_member {
	struct ctr_config cfg;
	struct ctr_state st;
	const char *service, *hash;
};

/* The subcommands (each a flg_cmd's run, with the project as ctx). */
extern const struct flg_cmd cli_compose_up_cmd, cli_compose_down_cmd, cli_compose_ps_cmd,
	cli_compose_restart_cmd, cli_compose_stop_cmd, cli_compose_start_cmd,
	cli_compose_config_cmd, cli_compose_pull_cmd;

/* Read and parse; every problem goes to stderr. -1 when nothing can be
 * used, 1 when some services are bad, 0 when all is well. */
BERR_MUST int cli_compose_load(struct cli_project *o);
/* The project's containers, from the files the supervisor keeps. */
int cli_compose_members(struct cli_project *o, struct cli_member *m, int max);
void cli_compose_members_free(struct cli_member *m, int n);
/* The project's containers, in the reverse of the file's start order
 * (users before what they depend on); others last. */
int cli_compose_stop_order(struct cli_project *o, struct cli_member *m, int n, int *idx);
/* Which services the command names (with what they depend on when deps):
 * all when none is named. -1 after reporting an unknown one. */
BERR_MUST int cli_compose_wanted(struct cli_project *o, int argc, char **argv, bool deps,
				 bool *want);
/* " Container NAME  WHAT" on stdout, as Docker Compose reports progress. */
void cli_compose_say(const char *name, const char *what);
/* cli_compose_env.c: dir/.env into o->dotenv (none is fine); 0 or -errno
 * after reporting. */
BERR_MUST int cli_compose_dotenv(struct cli_project *o, const char *dir);
/* The variable lists interpolation reads: the environment, then .env. */
void cli_compose_envs(struct cli_project *o, char *const *envs[3]);
/* A variable of the environment, else of .env, else NULL. */
const char *cli_compose_getenv(struct cli_project *o, const char *key);
/* Each service's env_file read into its environment (before its own
 * entries); a service whose file cannot be read is marked invalid. 1 if
 * any was, else 0. */
int cli_compose_env_files(struct cli_project *o);
/* The active profiles into o->profiles. 0 or -ENOMEM. */
BERR_MUST int cli_compose_profiles(struct cli_project *o);
/* Before service s starts: each dependency's depends_on condition met
 * (polling the state files; BERTH_COMPOSE_DEP_TIMEOUT seconds at most,
 * default 300). 0, or 1 after saying why not. */
BERR_MUST int cli_compose_wait_deps(struct cli_project *o, int s);

/* cli_compose_pull.c: service svc's image as its pull_policy says,
 * before up makes its container. 0; 1 after saying why not; 3 at boot
 * when the pull failed (up tries again later). */
int cli_compose_pull_for_up(struct cli_project *o, int svc);

/* The request "VERB ID"; its errors go to stderr; its status. */
BERR_MUST int cli_compose_request(const char *root, const char *verb, const char *id);

#endif
