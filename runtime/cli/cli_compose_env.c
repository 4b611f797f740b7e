/* cli_compose_env.c - what a Compose file takes from outside itself: the
 * variables it is interpolated with (the environment of `berth compose`,
 * then the .env file next to it, Compose's precedence), each service's
 * env_file, the active profiles (--profile, COMPOSE_PROFILES), and the
 * wait for a dependency's depends_on condition (service_healthy,
 * service_completed_successfully) before its user starts. All of it runs
 * in the CLI process (at boot: the compose child), never in PID 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_compose_priv.h"
#include "runtime/container/health.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"

extern char **environ;

#define ENV_FILE_MAX (1 << 20)

/* dir/.env into o->dotenv; a missing one is fine. */
int cli_compose_dotenv(struct cli_project *o, const char *dir)
{
	char path[4096], err[256], *text = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/.env", dir);
	r = read_file_all(path, ENV_FILE_MAX, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		fprintf(stderr, "berth: %s: %s\n", path, strerror(-r));
		return r;
	}
	r = compose_dotenv_parse(text, len, &o->dotenv, err, sizeof(err));
	free(text);
	if (r < 0)
		fprintf(stderr, "berth: %s: %s\n", path, r == -EINVAL ? err : strerror(-r));
	return r;
}

/* What interpolation reads: the environment first, then .env. */
void cli_compose_envs(struct cli_project *o, char *const *envs[3])
{
	static char *const none[] = { NULL };

	envs[0] = environ ? environ : none;
	envs[1] = o->dotenv.v ? o->dotenv.v : none;
	envs[2] = NULL;
}

/* A variable of the environment, else of .env, else NULL. */
const char *cli_compose_getenv(struct cli_project *o, const char *key)
{
	const char *v = getenv(key);
	size_t n = strlen(key);

	for (int i = 0; !v && i < o->dotenv.n; i++) {
		if (strncmp(o->dotenv.v[i], key, n) == 0 && o->dotenv.v[i][n] == '=')
			v = o->dotenv.v[i] + n + 1;
	}
	return v;
}

/* One service's env_file entries, then its environment: the file's
 * values first, so environment: wins, as in Compose. */
static int env_files(struct cli_project *o, struct compose_service *s)
{
	struct strv env = { 0 };
	int r = 0;

	for (int i = 0; i < s->env_file.n && r == 0; i++) {
		const char *p = s->env_file.v[i];
		bool optional = *p == '?';
		char path[4096], err[256], *text = NULL;
		size_t len = 0;

		p += optional;
		snprintf(path, sizeof(path), "%s%s%s", *p == '/' || !o->f.dir ? "" : o->f.dir,
			 *p == '/' || !o->f.dir ? "" : "/", p);
		r = read_file_all(path, ENV_FILE_MAX, &text, &len);
		if (r == -ENOENT && optional) {
			r = 0;
			continue;
		}
		if (r == 0) {
			r = compose_dotenv_parse(text, len, &env, err, sizeof(err));
			free(text);
		}
		if (r < 0)
			fprintf(stderr, "berth: %s: services.%s: env_file %s: %s\n", o->path,
				s->name, path, r == -EINVAL ? err : strerror(-r));
	}
	for (int i = 0; i < s->environment.n && r == 0; i++)
		r = strchr(s->environment.v[i], '=') ? env_set(&env, s->environment.v[i])
						       : strv_add(&env, s->environment.v[i]);
	if (r == 0) {
		strv_free(&s->environment);
		s->environment = env;
	} else {
		strv_free(&env);
	}
	return r;
}

/* Every service's env_file read; a service whose file cannot be read is
 * not started. 1 if any could not, else 0. */
int cli_compose_env_files(struct cli_project *o)
{
	int rc = 0;

	for (int i = 0; i < o->f.nsvc; i++) {
		struct compose_service *s = &o->f.svc[i];

		if (s->env_file.n && s->status == COMPOSE_OK && env_files(o, s) < 0) {
			s->status = COMPOSE_INVALID;
			rc = 1;
		}
	}
	return rc;
}

/* --profile, else COMPOSE_PROFILES (comma-separated) from the
 * environment or .env, into o->profiles. */
int cli_compose_profiles(struct cli_project *o)
{
	const char *env = cli_compose_getenv(o, "COMPOSE_PROFILES");
	char buf[4096], *save = NULL;

	for (int i = 0; i < o->profile_flags.n; i++) {
		if (strv_add(&o->profiles, o->profile_flags.v[i]) < 0)
			return -ENOMEM;
	}
	if (o->profile_flags.n || !env)
		return 0;
	snprintf(buf, sizeof(buf), "%s", env);
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (*p && strv_add(&o->profiles, p) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- depends_on conditions ---- */

/* The ID of the project's container called name. */
static int find_id(struct cli_project *o, const char *name, char id[CTR_ID_LEN + 1])
{
	struct cli_member *m = calloc(MAX_MEMBERS, sizeof(*m));
	int n, r = -ENOENT;

	if (!m)
		return -ENOMEM;
	n = cli_compose_members(o, m, MAX_MEMBERS);
	for (int i = 0; i < n; i++) {
		if (strcmp(m[i].cfg.name, name) == 0) {
			snprintf(id, CTR_ID_LEN + 1, "%s", m[i].cfg.id);
			r = 0;
		}
	}
	cli_compose_members_free(m, n);
	free(m);
	return r;
}

/* 0 once dep's container meets cond, 1 (after saying why) when it never
 * will. Polls the files the supervisor keeps, every 100 ms. */
static int wait_condition(struct cli_project *o, const char *user, int dep, const char *cond,
			  int timeout_s)
{
	char name[300], id[CTR_ID_LEN + 1];
	uint64_t end = now_ns() + (uint64_t)timeout_s * 1000000000ull;
	bool healthy = strcmp(cond, "service_healthy") == 0;
	const char *dname = o->f.svc[dep].name;

	compose_container_name(&o->f, o->project, dep, name, sizeof(name));
	if (find_id(o, name, id) < 0) {
		fprintf(stderr, "berth: service %s: dependency %s has no container\n", user, dname);
		return 1;
	}
	cli_compose_say(name, "Waiting");
	while (now_ns() < end) {
		struct ctr_state st;
		struct hc_state h;
		struct berr e;

		if (ctr_state_load(o->root, id, &st, &e) < 0)
			memset(&st, 0, sizeof(st));
		if (healthy && ctr_health_load(o->root, id, &h, &e) == 0) {
			if (h.status == HC_HEALTHY)
				return cli_compose_say(name, "Healthy"), 0;
			if (h.status == HC_NONE) {
				fprintf(stderr,
					"berth: service %s: dependency %s has no healthcheck "
					"configured (condition service_healthy)\n",
					user, dname);
				return 1;
			}
			if (h.status == HC_UNHEALTHY) {
				fprintf(stderr, "berth: service %s: dependency failed to start: "
					"container %s is unhealthy\n", user, name);
				return 1;
			}
		}
		if (st.status == CTR_EXITED && !healthy) {
			if (st.exit_code == 0)
				return cli_compose_say(name, "Exited"), 0;
			fprintf(stderr,
				"berth: service %s: service %s didn't complete successfully: "
				"exit %d\n",
				user, dname, st.exit_code);
			return 1;
		}
		if (st.status == CTR_EXITED && healthy) {
			fprintf(stderr, "berth: service %s: dependency failed to start: container "
				"%s exited (%d)\n", user, name, st.exit_code);
			return 1;
		}
		usleep(100000);
	}
	fprintf(stderr, "berth: service %s: gave up after %d s waiting for %s (%s)\n", user,
		timeout_s, dname, cond);
	return 1;
}

/* Before service s starts: each dependency's condition met. 0 or 1. */
int cli_compose_wait_deps(struct cli_project *o, int s)
{
	const struct compose_service *svc = &o->f.svc[s];
	const char *env = getenv("BERTH_COMPOSE_DEP_TIMEOUT");
	int timeout = env && atoi(env) > 0 ? atoi(env) : 300;

	for (int d = 0; d < svc->depends_on.n && d < svc->depends_cond.n; d++) {
		int j = compose_find(&o->f, svc->depends_on.v[d]);

		if (j < 0 || strcmp(svc->depends_cond.v[d], "service_started") == 0)
			continue;
		if (wait_condition(o, svc->name, j, svc->depends_cond.v[d], timeout) != 0)
			return 1;
	}
	return 0;
}
