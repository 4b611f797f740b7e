/* cli_compose_verbs.c - `berth compose` down, restart, stop, start and
 * config (ps: cli_compose_ps.c): the project's containers (found by their labels) in the file's
 * order or its reverse, and the file as understood. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_compose_priv.h"
#include "cli_network.h"
#include "cli_ctr.h"
#include "client.h"
#include "runtime/lib/clock.h"

struct timeout_opts {
	int timeout;
	char buf[16];
};

#define T(f) struct timeout_opts, f
static const struct flg timeout_flags[] = {
	FLG_INT('t', "timeout", T(timeout), "Specify a shutdown timeout in seconds"),
	FLG_END,
};

struct quiet_opts {
	bool quiet;
};

#define Q(f) struct quiet_opts, f
static const struct flg config_flags[] = {
	FLG_BOOL('q', "quiet", Q(quiet), "Only validate the configuration, don't print anything"),
	FLG_END,
};

static int compose_down(void *ctx, int argc, char **argv);
static int compose_restart(void *ctx, int argc, char **argv);
static int compose_stop(void *ctx, int argc, char **argv);
static int compose_start(void *ctx, int argc, char **argv);
static int compose_config(void *ctx, int argc, char **argv);

const struct flg_cmd cli_compose_down_cmd = {
	.path = "compose down",
	.usage = "[OPTIONS]",
	.desc = "Stop and remove the project's containers",
	.flags = timeout_flags,
	.run = compose_down,
};

const struct flg_cmd cli_compose_restart_cmd = {
	.path = "compose restart",
	.usage = "[OPTIONS] [SERVICE...]",
	.desc = "Restart services",
	.flags = timeout_flags,
	.run = compose_restart,
	.max_args = -1,
};

const struct flg_cmd cli_compose_stop_cmd = {
	.path = "compose stop",
	.usage = "[OPTIONS] [SERVICE...]",
	.desc = "Stop services",
	.flags = timeout_flags,
	.run = compose_stop,
	.max_args = -1,
};

const struct flg_cmd cli_compose_start_cmd = {
	.path = "compose start",
	.usage = "[SERVICE...]",
	.desc = "Start services",
	.run = compose_start,
	.max_args = -1,
};

const struct flg_cmd cli_compose_config_cmd = {
	.path = "compose config",
	.usage = "[OPTIONS]",
	.desc = "Check the file and print it normalized",
	.flags = config_flags,
	.run = compose_config,
	.max_args = -1,
};

/* -t for down, restart and stop: *t is the value as the supervisor's stop
 * takes it, or NULL when not given. -1 after the help or an error. */
static int parse_timeout(const struct flg_cmd *cmd, struct timeout_opts *to, int argc,
			 char **argv, struct flg_out *a, const char **t)
{
	*t = NULL;
	if (flg_verb(cmd, to, argc, argv, a) < 0)
		return -1;
	if (flg_given(cmd, a, "timeout")) {
		snprintf(to->buf, sizeof(to->buf), "%d", to->timeout);
		*t = to->buf;
	}
	return 0;
}

static int compose_down(void *ctx, int argc, char **argv)
{
	static struct cli_member m[MAX_MEMBERS];
	struct cli_project *o = ctx;
	int idx[MAX_MEMBERS], n, rc = 0;
	struct timeout_opts to = { 0 };
	struct flg_out a;
	const char *t;

	if (parse_timeout(&cli_compose_down_cmd, &to, argc, argv, &a, &t) < 0)
		return a.status;
	berr_ignore(cli_compose_load(o)); /* down works from the labels alone */
	n = cli_compose_members(o, m, MAX_MEMBERS);
	cli_compose_stop_order(o, m, n, idx);
	for (int k = 0; k < n; k++) {
		struct cli_member *c = &m[idx[k]];
		char *stop[] = { "stop", "-t", (char *)(t ? t : "10"), c->cfg.id, NULL };
		char *rm[] = { "rm", "-f", c->cfg.id, NULL };

		if (c->st.status == CTR_RUNNING || c->st.status == CTR_RESTARTING) {
			if (client_ask(o->root, 4, stop, COMPOSE_ASK_MS, NULL) != 0) {
				rc = 1;
			} else {
				cli_wait_down(o->root, c->cfg.id);
				cli_compose_say(c->cfg.name, "Stopped");
			}
		}
		if (client_ask(o->root, 3, rm, COMPOSE_ASK_MS, NULL) != 0)
			rc = 1;
		else
			cli_compose_say(c->cfg.name, "Removed");
	}
	cli_compose_members_free(m, n);
	if (rc == 0)
		cli_network_compose_down(o->root, o->project);
	return rc;
}

/* The supervisor answers a restart once the old process is signalled;
 * like Docker's, ours returns when the new one runs (or after its stop
 * timeout and 10 s more). */
static int restarted(const char *root, const struct cli_member *c, const char *timeout)
{
	int t = timeout ? atoi(timeout) : c->cfg.stop_timeout > 0 ? c->cfg.stop_timeout : 10;
	uint64_t end = now_ns() + (uint64_t)(t + 10) * 1000000000ull;

	while (now_ns() < end) {
		struct ctr_state st;
		struct berr e;

		if (ctr_state_load(root, c->cfg.id, &st, &e) == 0 && st.status == CTR_RUNNING &&
		    st.started_ns != c->st.started_ns)
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

/* Services in a restarted service's network namespace (network_mode
 * service:X) would stay in the old one: stop them first (and wait, so the
 * old namespace is gone), start them after X. */
static void stop_followers(struct cli_project *o, struct cli_member *m, int n, bool *want, const char *t,
			   bool *follower)
{
	struct compose_file *f = &o->f;

	for (int i = 0; i < f->nsvc; i++) {
		const char *nm = f->svc[i].network_mode;
		int host = nm && strncmp(nm, "service:", 8) == 0 ? compose_find(f, nm + 8) : -1;

		if (host >= 0 && want[host])
			follower[i] = want[i] = true;
	}
	for (int k = 0; k < n; k++) {
		int s = compose_find(f, m[k].service);
		char *stop[] = { "stop", "-t", (char *)(t ? t : "10"), m[k].cfg.id, NULL };

		if (s < 0 || !follower[s] || m[k].st.status != CTR_RUNNING)
			continue;
		if (client_ask(o->root, 4, stop, COMPOSE_ASK_MS, NULL) == 0)
			cli_wait_down(o->root, m[k].cfg.id);
	}
}

/* restart, stop, start [SERVICE...] */
static int compose_each(struct cli_project *o, const struct flg_cmd *cmd, int argc, char **argv)
{
	static struct cli_member m[MAX_MEMBERS];
	const char *verb = argv[0], *t;
	bool want[COMPOSE_MAX_SERVICES] = { 0 };
	int idx[MAX_MEMBERS], n, rc = 0;
	bool forward = strcmp(verb, "stop") != 0, follower[COMPOSE_MAX_SERVICES] = { 0 };
	struct timeout_opts to = { 0 };
	struct flg_out a;

	if (parse_timeout(cmd, &to, argc, argv, &a, &t) < 0)
		return a.status;
	if (cli_compose_load(o) < 0)
		return 1;
	if (cli_compose_wanted(o, a.argc, a.argv, false, want) < 0)
		return 1;
	n = cli_compose_members(o, m, MAX_MEMBERS);
	cli_compose_stop_order(o, m, n, idx);
	if (strcmp(verb, "restart") == 0)
		stop_followers(o, m, n, want, t, follower);
	for (int k = 0; k < n; k++) {
		struct cli_member *c = &m[idx[forward ? n - 1 - k : k]];
		int s = compose_find(&o->f, c->service);

		if (s < 0 || !want[s] || follower[s])
			continue;
		char *args[] = { (char *)verb, "-t", (char *)t, c->cfg.id, NULL };

		if (t ? client_ask(o->root, 4, args, COMPOSE_ASK_MS, NULL) != 0 : cli_compose_request(o->root, verb, c->cfg.id) != 0) {
			rc = 1;
			continue;
		}
		if (strcmp(verb, "stop") == 0) /* Docker's: answered once it is down */
			cli_wait_down(o->root, c->cfg.id);
		if (strcmp(verb, "restart") == 0 && restarted(o->root, c, t) < 0) {
			fprintf(stderr, "berth: %s did not come back up\n", c->cfg.name);
			rc = 1;
			continue;
		}
		cli_compose_say(c->cfg.name, strcmp(verb, "stop") == 0 ? "Stopped" : "Started");
	}
	for (int k = 0; k < n; k++) {
		struct cli_member *c = &m[idx[n - 1 - k]];
		int s = compose_find(&o->f, c->service);

		if (s < 0 || !follower[s])
			continue;
		if (cli_compose_request(o->root, "start", c->cfg.id) != 0) {
			rc = 1;
			continue;
		}
		cli_compose_say(c->cfg.name, "Started");
	}
	cli_compose_members_free(m, n);
	return rc;
}

static int compose_restart(void *ctx, int argc, char **argv)
{
	return compose_each(ctx, &cli_compose_restart_cmd, argc, argv);
}

static int compose_stop(void *ctx, int argc, char **argv)
{
	return compose_each(ctx, &cli_compose_stop_cmd, argc, argv);
}

static int compose_start(void *ctx, int argc, char **argv)
{
	return compose_each(ctx, &cli_compose_start_cmd, argc, argv);
}

/* YAML scalars double-quoted (JSON escapes are YAML's too). */
static void q(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void kv(const char *key, const char *val)
{
	if (!val)
		return;
	printf("    %s: ", key);
	q(val);
	putchar('\n');
}

static void list(const char *key, const struct strv *v)
{
	if (!v->n)
		return;
	printf("    %s:\n", key);
	for (int i = 0; i < v->n; i++) {
		printf("      - ");
		q(v->v[i]);
		putchar('\n');
	}
}

/* The file as understood: services in start order, every value
 * normalized (commands as lists, environment as KEY=VALUE). */
static int compose_config(void *ctx, int argc, char **argv)
{
	struct cli_project *o = ctx;
	struct quiet_opts c = { 0 };
	struct flg_out a;
	int loaded;

	if (flg_verb(&cli_compose_config_cmd, &c, argc, argv, &a) < 0)
		return a.status;
	loaded = cli_compose_load(o);
	if (c.quiet || loaded < 0)
		return loaded ? 1 : 0;
	printf("name: ");
	q(o->project);
	printf("\nservices:\n");
	for (int k = 0; k < o->f.norder; k++) {
		struct compose_service *s = &o->f.svc[o->f.order[k]];
		struct compose_health *h = &s->health;

		if (s->status != COMPOSE_OK || !compose_service_enabled(s, o->profiles.v))
			continue;
		printf("  %s:\n", s->name);
		kv("image", s->image);
		kv("container_name", s->container_name);
		if (s->entrypoint_set)
			list("entrypoint", &s->entrypoint);
		if (s->command_set)
			list("command", &s->command);
		list("environment", &s->environment);
		list("ports", &s->ports);
		list("volumes", &s->volumes);
		kv("restart", s->restart);
		kv("mem_limit", s->mem_limit);
		kv("cpus", s->cpus);
		kv("pids_limit", s->pids_limit);
		kv("network_mode", s->network_mode);
		kv("pull_policy", s->pull_policy);
		if (s->depends_on.n)
			printf("    depends_on:\n");
		for (int i = 0; i < s->depends_on.n; i++)
			printf("      %s:\n        condition: %s\n", s->depends_on.v[i],
			       i < s->depends_cond.n ? s->depends_cond.v[i] : "service_started");
		list("labels", &s->labels);
		list("expose", &s->expose);
		list("profiles", &s->profiles);
		if (s->privileged)
			printf("    privileged: true\n");
		if (s->stop_timeout)
			printf("    stop_grace_period: %ds\n", s->stop_timeout);
		kv("working_dir", s->working_dir);
		kv("user", s->user);
		kv("hostname", s->hostname);
		if (s->read_only)
			printf("    read_only: true\n");
		list("cap_add", &s->cap_add);
		list("cap_drop", &s->cap_drop);
		if (h->present) {
			printf("    healthcheck:\n");
			if (h->disable)
				printf("      disable: true\n");
			if (h->shell) {
				printf("      test: [\"CMD-SHELL\", ");
				q(h->shell);
				printf("]\n");
			} else if (h->exec.n) {
				printf("      test: [\"CMD\"");
				for (int i = 0; i < h->exec.n; i++)
					printf(", "), q(h->exec.v[i]);
				printf("]\n");
			}
			if (h->interval)
				printf("      interval: %s\n", h->interval);
			if (h->timeout)
				printf("      timeout: %s\n", h->timeout);
			if (h->start_period)
				printf("      start_period: %s\n", h->start_period);
			if (h->retries >= 0)
				printf("      retries: %d\n", h->retries);
		}
	}
	return loaded ? 1 : 0;
}
