/* cli_compose_up.c - `berth compose up`: each wanted service brought to
 * what the file says, dependencies first (a container left alone when its
 * config hash is the same, recreated when it changed), then, without -d,
 * the services' output followed until they end. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_compose_priv.h"
#include "cli_network.h"
#include "cli_ctr.h"
#include "cli_run.h"
#include "client.h"
#include "runtime/image/image.h"
#include "runtime/lib/digest.h"
#include "runtime/lib/clock.h"

/* sha256 of the run arguments and the image ID: what makes a container
 * the one the file asks for. */
static void config_hash(const char *root, const struct strv *args, const char *image,
			char hex[DG_HEX_LEN + 1])
{
	struct dg_ctx c;
	struct img_info info;
	struct berr e;
	char d[DG_STR_LEN];

	dg_init(&c);
	for (int i = 0; i < args->n; i++)
		dg_update(&c, args->v[i], strlen(args->v[i]) + 1);
	if (img_resolve(root, image, &info, &e) == 0) {
		dg_update(&c, info.id, strlen(info.id));
		img_info_free(&info);
	}
	dg_final(&c, d);
	snprintf(hex, DG_HEX_LEN + 1, "%s", dg_hex(d));
}

static struct cli_member *by_name(struct cli_member *m, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(m[i].cfg.name, name) == 0)
			return &m[i];
	}
	return NULL;
}

/* Any container named name, in the project or not. */
static bool name_taken(const char *root, const char *name)
{
	char id[CTR_ID_LEN + 1];
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	bool taken;

	/* cli_find_container prints Docker's "No such container" */
	fflush(stderr);
	if (null >= 0)
		dup2(null, 2);
	taken = cli_find_container(root, name, id) == 0;
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (null >= 0)
		close(null);
	return taken;
}

/* Bring one service to what the file says (force: recreate it even when
 * unchanged). 0, or 2 when it was (re)created, or 1 on failure. */
static int up_one(struct cli_project *o, int i, struct cli_member *m, int nm, bool force)
{
	struct compose_service *s = &o->f.svc[i];
	struct strv args = { 0 };
	char name[300], hex[DG_HEX_LEN + 1], hash_label[128], id[CTR_ID_LEN + 1];
	char *labels[] = { hash_label, NULL };
	struct cli_member *cur;
	int rc = 0;

	compose_container_name(&o->f, o->project, i, name, sizeof(name));
	if (compose_run_args(&o->f, o->project, i, NULL, &args) < 0) {
		fprintf(stderr, "berth: out of memory\n");
		return 1;
	}
	config_hash(o->root, &args, s->image, hex);
	strv_free(&args);
	snprintf(hash_label, sizeof(hash_label), "%s%s", LABEL_HASH, hex);
	cur = by_name(m, nm, name);
	if (cur && !force && cur->hash && strcmp(cur->hash, hex) == 0) {
		if (cur->st.status == CTR_RUNNING || cur->st.status == CTR_RESTARTING) {
			cli_compose_say(name, "Running");
			return 0;
		}
		if (cli_compose_request(o->root, "start", cur->cfg.id) != 0) {
			fprintf(stderr, "berth: service %s: start %s failed\n", s->name, name);
			return 1;
		}
		cli_compose_say(name, "Started");
		return 0;
	}
	if (cur) {
		char *rm[] = { "rm", "-f", cur->cfg.id, NULL };
		if (client_ask(o->root, 3, rm, COMPOSE_ASK_MS, NULL) != 0) {
			fprintf(stderr, "berth: service %s: cannot remove the old %s\n",
				s->name, name);
			return 1;
		}
		cli_compose_say(name, "Recreated");
	} else if (name_taken(o->root, name)) {
		fprintf(stderr,
			"berth: service %s: the container name \"%s\" is already in use by "
			"a container of another project\n",
			s->name, name);
		return 1;
	}
	if (compose_run_args(&o->f, o->project, i, labels, &args) < 0) {
		fprintf(stderr, "berth: out of memory\n");
		return 1;
	}
	rc = cli_run_id(o->root, args.n, args.v, id);
	strv_free(&args);
	if (rc != 0 || !id[0]) {
		fprintf(stderr, "berth: service %s: container %s did not start\n", s->name,
			name);
		return 1;
	}
	cli_compose_say(name, "Started");
	return 2;
}

/* At boot (BERTH_COMPOSE_WAIT=SECONDS, set by PID 1) compose starts before
 * the supervisor: wait until it answers a ping, so nothing is written
 * under /run/berth before it has loaded what is there. */
static int wait_supervisor(const char *root)
{
	const char *env = getenv("BERTH_COMPOSE_WAIT");
	char *ping[] = { "ping", NULL };
	char path[600];
	uint64_t end;

	if (!env)
		return 0;
	end = now_ns() + (uint64_t)atoi(env) * 1000000000ull;
	snprintf(path, sizeof(path), "%s/run/berth/control", root);
	while (now_ns() < end) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		struct client_reply cr;
		int st;

		if (fd < 0) {
			usleep(5000);
			continue;
		}
		close(fd);
		if (client_send(root, 1, ping, &cr) < 0) {
			usleep(5000);
			continue;
		}
		st = client_collect(&cr, 30000);
		client_reply_free(&cr);
		if (st == 0)
			return 0;
		usleep(5000);
	}
	fprintf(stderr, "berth: the supervisor did not answer within %s s\n", env);
	return -ETIMEDOUT;
}

/* ---- attached up: the services' output, prefixed, until they end ---- */

struct follow {
	char name[CTR_NAME_MAX], id[CTR_ID_LEN + 1];
	int fd, width;
	bool done;
	size_t len;
	char buf[8192];
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Complete lines of the log ("<time> <stream> <text>") as "NAME  | text". */
static void follow_read(struct follow *f)
{
	for (;;) {
		ssize_t n = read(f->fd, f->buf + f->len, sizeof(f->buf) - f->len - 1);
		char *start = f->buf, *nl;

		if (n <= 0)
			return;
		f->len += n;
		f->buf[f->len] = '\0';
		while ((nl = strchr(start, '\n'))) {
			char *sp1 = strchr(start, ' ');
			char *sp2 = sp1 && sp1 < nl ? strchr(sp1 + 1, ' ') : NULL;

			if (sp2 && sp2 < nl)
				printf("%-*s | %.*s\n", f->width, f->name, (int)(nl - sp2 - 1), sp2 + 1);
			start = nl + 1;
		}
		f->len -= start - f->buf;
		memmove(f->buf, start, f->len);
		if (f->len >= sizeof(f->buf) - 1)
			f->len = 0;
		fflush(stdout);
	}
}

static int attach(struct cli_project *o, const bool *want)
{
	static struct cli_member m[MAX_MEMBERS];
	static struct follow fl[MAX_MEMBERS];
	struct sigaction sa = { .sa_handler = on_interrupt };
	int n, nf = 0, width = 0, left, idx[MAX_MEMBERS];

	n = cli_compose_members(o, m, MAX_MEMBERS);
	cli_compose_stop_order(o, m, n, idx);
	for (int k = n - 1; k >= 0; k--) {
		int i = idx[k], s = compose_find(&o->f, m[i].service);
		char path[600];

		if (s < 0 || !want[s])
			continue;
		snprintf(fl[nf].name, sizeof(fl[nf].name), "%s", m[i].cfg.name);
		snprintf(fl[nf].id, sizeof(fl[nf].id), "%s", m[i].cfg.id);
		ctr_log_path(o->root, m[i].cfg.id, path, sizeof(path));
		fl[nf].fd = open(path, O_RDONLY | O_CLOEXEC);
		fl[nf].len = 0;
		fl[nf].done = false;
		if ((int)strlen(fl[nf].name) > width)
			width = strlen(fl[nf].name);
		nf++;
	}
	cli_compose_members_free(m, n);
	printf("Attaching to ");
	for (int i = 0; i < nf; i++)
		printf("%s%s", i ? ", " : "", fl[i].name);
	printf("\n");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (left = nf; left > 0 && !interrupted;) {
		for (int i = 0; i < nf; i++) {
			struct ctr_state st;
			struct berr e = { 0 };

			fl[i].width = width;
			if (fl[i].done)
				continue;
			if (fl[i].fd >= 0)
				follow_read(&fl[i]);
			if (ctr_state_load(o->root, fl[i].id, &st, &e) < 0 ||
			    (st.status != CTR_RUNNING && st.status != CTR_RESTARTING &&
			     st.status != CTR_CREATED)) {
				if (fl[i].fd >= 0)
					follow_read(&fl[i]);
				printf("%s exited with code %d\n", fl[i].name, e.code ? -1 : st.exit_code);
				fl[i].done = true;
				left--;
			}
		}
		fflush(stdout);
		if (left)
			usleep(100000);
	}
	if (interrupted) {
		printf("Gracefully stopping... (press Ctrl+C again to force)\n");
		fflush(stdout);
		signal(SIGINT, SIG_DFL);
		for (int i = 0; i < nf; i++) {
			if (!fl[i].done && cli_compose_request(o->root, "stop", fl[i].id) == 0)
				cli_compose_say(fl[i].name, "Stopped");
		}
	}
	for (int i = 0; i < nf; i++) {
		if (fl[i].fd >= 0)
			close(fl[i].fd);
	}
	return interrupted ? 130 : 0;
}

/* A service whose dependency did not start is not started either. */
static bool dep_failed(const struct compose_file *f, int s, const bool *failed)
{
	for (int d = 0; d < f->svc[s].depends_on.n; d++) {
		int j = compose_find(f, f->svc[s].depends_on.v[d]);
		if (j >= 0 && failed[j]) {
			fprintf(stderr,
				"berth: service %s: not started: it depends on %s, "
				"which did not start\n",
				f->svc[s].name, f->svc[j].name);
			return true;
		}
	}
	return false;
}

/* A service that needs one put off is put off too. */
static bool dep_later(const struct compose_file *f, int s, const bool *later)
{
	for (int d = 0; d < f->svc[s].depends_on.n; d++) {
		int j = compose_find(f, f->svc[s].depends_on.v[d]);
		if (j >= 0 && later[j])
			return true;
	}
	return false;
}

/* The wanted services in the file's start order; 1 if any failed. A
 * service whose image could not be pulled at boot, and those depending
 * on it, go into later (for up_later). */
static int up_services(struct cli_project *o, bool *want, struct cli_member *m, int nm,
		       bool *later)
{
	struct compose_file *f = &o->f;
	bool failed[COMPOSE_MAX_SERVICES] = { 0 }, made[COMPOSE_MAX_SERVICES] = { 0 };
	int rc = 0;

	for (int k = 0; k < f->norder; k++) {
		int s = f->order[k], r;
		const char *nmode = f->svc[s].network_mode;
		int host = nmode && strncmp(nmode, "service:", 8) == 0 ? compose_find(f, nmode + 8) : -1;
		bool follow = host >= 0 && made[host];

		/* a service in another's network namespace follows it when that
		 * one is (re)created: its old namespace went with the old one */
		if (follow)
			want[s] = true;
		if (!want[s])
			continue;
		if (f->svc[s].status != COMPOSE_OK) {
			failed[s] = true; /* its env_file: reported */
			rc = 1;
			continue;
		}
		r = dep_failed(f, s, failed) ? 1 : dep_later(f, s, later) ? 3
			: cli_compose_wait_deps(o, s) ? 1 : cli_compose_pull_for_up(o, s);
		if (r == 0)
			r = up_one(o, s, m, nm, follow);
		later[s] = r == 3;
		if (r == 1) {
			failed[s] = true;
			rc = 1;
		}
		made[s] = r == 2;
	}
	return rc;
}

/* At boot: the services put off, again and again (1 s, doubling to 60 s
 * apart) until their images are in; the compose child lives that long. */
static int up_later(struct cli_project *o, bool *later)
{
	static struct cli_member m[MAX_MEMBERS];
	bool want[COMPOSE_MAX_SERVICES];
	unsigned delay = 1;
	int rc = 0, nm;

	for (;;) {
		int n = 0;

		for (int s = 0; s < o->f.nsvc; s++)
			n += later[s];
		if (!n)
			return rc;
		fprintf(stderr, "berth: %d service%s waiting for %s image; trying again in %u s\n",
			n, n > 1 ? "s" : "", n > 1 ? "their" : "its", delay);
		sleep(delay);
		delay = delay >= 30 ? 60 : delay * 2;
		memcpy(want, later, sizeof(want));
		memset(later, 0, sizeof(want));
		nm = cli_compose_members(o, m, MAX_MEMBERS);
		rc |= up_services(o, want, m, nm, later);
		cli_compose_members_free(m, nm);
	}
}

struct up_opts {
	bool detach;
};

#define U(f) struct up_opts, f
static const struct flg up_flags[] = {
	FLG_BOOL('d', "detach", U(detach), "Detached mode: run the containers in the background"),
	FLG_END,
};

static int compose_up(void *ctx, int argc, char **argv);

const struct flg_cmd cli_compose_up_cmd = {
	.path = "compose up",
	.usage = "[OPTIONS] [SERVICE...]",
	.desc = "Create and start services (without -d, follow their output)",
	.flags = up_flags,
	.run = compose_up,
	.max_args = -1,
};

static int compose_up(void *ctx, int argc, char **argv)
{
	struct cli_project *o = ctx;
	struct compose_file *f = &o->f;
	static struct cli_member m[MAX_MEMBERS];
	bool want[COMPOSE_MAX_SERVICES] = { 0 }, later[COMPOSE_MAX_SERVICES] = { 0 };
	struct up_opts u = { 0 };
	struct flg_out a;
	int nm, rc;

	if (flg_verb(&cli_compose_up_cmd, &u, argc, argv, &a) < 0)
		return a.status;
	if (cli_compose_load(o) < 0)
		return 1;
	rc = o->f.errors.n ? 1 : 0;
	if (cli_compose_wanted(o, a.argc, a.argv, true, want) < 0 || wait_supervisor(o->root) < 0)
		return 1;
	if (cli_network_compose_up(o->root, o->project, f, want) != 0)
		return 1;
	nm = cli_compose_members(o, m, MAX_MEMBERS);
	for (int k = 0; k < nm; k++) {
		if (compose_find(f, m[k].service) < 0)
			fprintf(stderr,
				"berth: found orphan container %s of service \"%s\", which the "
				"file no longer has; `berth rm -f %s` removes it\n",
				m[k].cfg.name, m[k].service, m[k].cfg.name);
	}
	rc |= up_services(o, want, m, nm, later);
	cli_compose_members_free(m, nm);
	rc |= up_later(o, later);
	if (!u.detach) {
		/* without -d, as Docker's: follow the services until they end */
		int r = attach(o, want);
		return r ? r : rc;
	}
	return rc;
}
