/* cli_compose.c - `berth compose`: a Compose file's services as
 * containers, made with the same code as `berth run -d`.
 *
 * Each service becomes the `berth run` arguments compose_run_args() gives,
 * plus a label with a digest of those arguments and the image ID, so `up`
 * leaves a running container alone when nothing changed and recreates it
 * when something did. Containers are found again by their labels
 * (com.docker.compose.project/service), as Docker Compose does.
 */
#include "cli_compose.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_ctr.h"
#include "client.h"
#include "runtime/compose/compose.h"
#include "runtime/container/container.h"
#include "runtime/lib/digest.h"
#include "runtime/image/image.h"
#include "runtime/net/ports.h"
#include "runtime/lib/util.h"

#define LABEL_PROJECT "com.docker.compose.project="
#define LABEL_SERVICE "com.docker.compose.service="
#define LABEL_HASH "com.docker.compose.config-hash="
#define MAX_MEMBERS 512

struct opts {
	const char *root, *file, *project_flag;
	char path[4096];
	char project[256];
	struct compose_file f;
	bool parsed;
};

struct member {
	struct ctr_config cfg;
	struct ctr_state st;
	const char *service, *hash;
};

static void say(const char *name, const char *what)
{
	printf(" Container %s  %s\n", name, what);
	fflush(stdout);
}

static const char *label(const struct ctr_config *c, const char *prefix)
{
	size_t n = strlen(prefix);

	for (char **l = c->labels; l && *l; l++) {
		if (strncmp(*l, prefix, n) == 0)
			return *l + n;
	}
	return NULL;
}

/* The first of Compose's default names in the working directory, else the
 * appliance's workload file. */
static void default_file(const char *root, char *buf, size_t size)
{
	static const char *const names[] = { "compose.yaml", "compose.yml", "docker-compose.yaml",
					     "docker-compose.yml" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (access(names[i], F_OK) == 0) {
			snprintf(buf, size, "%s", names[i]);
			return;
		}
	}
	snprintf(buf, size, "%s/etc/berth/compose.yaml", root);
}

/* The whole file (at most COMPOSE_MAX_BYTES + 1, so a bigger one is
 * seen as too big); "-" is stdin. */
static int slurp(const char *path, char **text, size_t *len)
{
	size_t cap = 65536;
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	*len = 0;
	while (buf) {
		ssize_t n;

		if (*len == cap) {
			char *g = cap > COMPOSE_MAX_BYTES ? NULL : realloc(buf, cap * 2);
			if (!g)
				break;
			buf = g;
			cap *= 2;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			free(buf);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		*len += n;
	}
	close(fd);
	*text = buf;
	return buf ? 0 : -ENOMEM;
}

/* Docker Compose's order: -p, COMPOSE_PROJECT_NAME, the file's name:,
 * the name of the file's directory. */
static void project_name(struct opts *o)
{
	char dir[4096];
	const char *env = getenv("COMPOSE_PROJECT_NAME");

	snprintf(dir, sizeof(dir), "%s", o->path);
	compose_project_name(NULL,
			     o->project_flag ? o->project_flag
			     : env && *env   ? env
			     : o->f.name     ? o->f.name
					     : basename(dirname(dir)),
			     o->project, sizeof(o->project));
	if (!o->project[0])
		snprintf(o->project, sizeof(o->project), "default");
}

/* Read and parse; every problem goes to stderr. -1 when nothing can be
 * used, 1 when some services are bad, 0 when all is well. */
static int load(struct opts *o)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (o->file)
		snprintf(o->path, sizeof(o->path), "%s", o->file);
	else
		default_file(o->root, o->path, sizeof(o->path));
	r = slurp(o->path, &text, &len);
	if (r < 0) {
		fprintf(stderr, "berth compose: %s: %s\n", o->path, strerror(-r));
		project_name(o);
		return -1;
	}
	r = compose_parse(text, len, o->path, &o->f);
	free(text);
	o->parsed = true;
	{
		/* ./relative binds are relative to the file, as Compose's */
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", strcmp(o->path, "-") == 0 ? "." : o->path);
		o->f.dir = realpath(strcmp(o->path, "-") == 0 ? "." : dirname(dir), NULL);
	}
	for (int i = 0; i < o->f.errors.n; i++)
		fprintf(stderr, "berth compose: %s\n", o->f.errors.v[i]);
	if (r == -ENOMEM)
		fprintf(stderr, "berth compose: out of memory\n");
	project_name(o);
	if (o->f.fatal || r == -ENOMEM)
		return -1;
	return r < 0 ? 1 : 0;
}

/* The project's containers, from the files the supervisor keeps. */
static int members(struct opts *o, struct member *m, int max)
{
	char dir[600];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/run/berth/containers", o->root);
	d = opendir(dir);
	while (d && (de = readdir(d)) && n < max) {
		struct berr e;
		const char *p;

		if (strlen(de->d_name) != CTR_ID_LEN ||
		    ctr_config_load(o->root, de->d_name, &m[n].cfg, &e) < 0)
			continue;
		p = label(&m[n].cfg, LABEL_PROJECT);
		if (!p || strcmp(p, o->project) != 0) {
			ctr_config_free(&m[n].cfg);
			continue;
		}
		if (ctr_state_load(o->root, de->d_name, &m[n].st, &e) < 0)
			memset(&m[n].st, 0, sizeof(m[n].st)), m[n].st.status = CTR_CREATED;
		m[n].service = label(&m[n].cfg, LABEL_SERVICE);
		m[n].hash = label(&m[n].cfg, LABEL_HASH);
		if (!m[n].service)
			m[n].service = "";
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void members_free(struct member *m, int n)
{
	for (int i = 0; i < n; i++)
		ctr_config_free(&m[i].cfg);
}

/* Ask the supervisor; its error lines go to stderr. */
static int ask(const char *root, int argc, char **argv)
{
	struct client_reply cr;
	int status;

	if (client_send(root, argc, argv, &cr) < 0)
		return 125;
	status = client_collect(&cr, 60000);
	for (char *l = cr.out, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(l, "@err ", 5) == 0)
			fprintf(stderr, "berth compose: %s\n", l + 5);
		if (!nl)
			break;
	}
	client_reply_free(&cr);
	return status < 0 ? 125 : status;
}

static int ask2(const char *root, const char *verb, const char *id)
{
	char *args[] = { (char *)verb, (char *)id, NULL };

	return ask(root, 2, args);
}

/* Which services the command names (with what they depend on when deps):
 * all when none is named. -1 after reporting an unknown one. */
static int wanted(struct opts *o, int argc, char **argv, bool deps, bool *want)
{
	struct compose_file *f = &o->f;
	bool any = false;

	for (int i = 0; i < argc; i++) {
		int k = compose_find(f, argv[i]);
		if (k < 0) {
			fprintf(stderr, "berth compose: no such service: %s\n", argv[i]);
			return -1;
		}
		want[k] = any = true;
	}
	if (!any) {
		for (int i = 0; i < f->nsvc; i++)
			want[i] = true;
		return 0;
	}
	/* dependencies come before their users in f->order: walk it backwards */
	for (int pass = 0; deps && pass < f->nsvc; pass++) {
		bool changed = false;
		for (int i = 0; i < f->nsvc; i++) {
			for (int d = 0; want[i] && d < f->svc[i].depends_on.n; d++) {
				int k = compose_find(f, f->svc[i].depends_on.v[d]);
				if (k >= 0 && !want[k])
					want[k] = changed = true;
			}
		}
		if (!changed)
			break;
	}
	return 0;
}

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

static struct member *by_name(struct member *m, int n, const char *name)
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
static int up_one(struct opts *o, int i, struct member *m, int nm, bool force)
{
	struct compose_service *s = &o->f.svc[i];
	struct strv args = { 0 };
	char name[300], hex[DG_HEX_LEN + 1], hash_label[128], id[CTR_ID_LEN + 1];
	char *labels[] = { hash_label, NULL };
	struct member *cur;
	int rc = 0;

	compose_container_name(&o->f, o->project, i, name, sizeof(name));
	if (compose_run_args(&o->f, o->project, i, NULL, &args) < 0) {
		fprintf(stderr, "berth compose: out of memory\n");
		return 1;
	}
	config_hash(o->root, &args, s->image, hex);
	strv_free(&args);
	snprintf(hash_label, sizeof(hash_label), "%s%s", LABEL_HASH, hex);
	cur = by_name(m, nm, name);
	if (cur && !force && cur->hash && strcmp(cur->hash, hex) == 0) {
		if (cur->st.status == CTR_RUNNING || cur->st.status == CTR_RESTARTING) {
			say(name, "Running");
			return 0;
		}
		if (ask2(o->root, "start", cur->cfg.id) != 0) {
			fprintf(stderr, "berth compose: service %s: start %s failed\n", s->name, name);
			return 1;
		}
		say(name, "Started");
		return 0;
	}
	if (cur) {
		char *rm[] = { "rm", "-f", cur->cfg.id, NULL };
		if (ask(o->root, 3, rm) != 0) {
			fprintf(stderr, "berth compose: service %s: cannot remove the old %s\n",
				s->name, name);
			return 1;
		}
		say(name, "Recreated");
	} else if (name_taken(o->root, name)) {
		fprintf(stderr,
			"berth compose: service %s: the container name \"%s\" is already in use by "
			"a container of another project\n",
			s->name, name);
		return 1;
	}
	if (compose_run_args(&o->f, o->project, i, labels, &args) < 0) {
		fprintf(stderr, "berth compose: out of memory\n");
		return 1;
	}
	rc = cli_run_id(o->root, args.n, args.v, id);
	strv_free(&args);
	if (rc != 0 || !id[0]) {
		fprintf(stderr, "berth compose: service %s: container %s did not start\n", s->name,
			name);
		return 1;
	}
	say(name, "Started");
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
	fprintf(stderr, "berth compose: the supervisor did not answer within %s s\n", env);
	return -ETIMEDOUT;
}

/* The project's containers, in the reverse of the file's start order
 * (users before what they depend on); others last. */
static int stop_order(struct opts *o, struct member *m, int n, int *idx)
{
	int k = 0;
	bool used[MAX_MEMBERS] = { 0 };

	for (int j = o->f.norder - 1; j >= 0; j--) {
		const char *svc = o->f.svc[o->f.order[j]].name;
		for (int i = 0; i < n; i++) {
			if (!used[i] && strcmp(m[i].service, svc) == 0)
				idx[k++] = i, used[i] = true;
		}
	}
	for (int i = 0; i < n; i++) {
		if (!used[i])
			idx[k++] = i;
	}
	return k;
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

static int attach(struct opts *o, const bool *want)
{
	static struct member m[MAX_MEMBERS];
	static struct follow fl[MAX_MEMBERS];
	struct sigaction sa = { .sa_handler = on_interrupt };
	int n, nf = 0, width = 0, left, idx[MAX_MEMBERS];

	n = members(o, m, MAX_MEMBERS);
	stop_order(o, m, n, idx);
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
	members_free(m, n);
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
			if (!fl[i].done && ask2(o->root, "stop", fl[i].id) == 0)
				say(fl[i].name, "Stopped");
		}
	}
	for (int i = 0; i < nf; i++) {
		if (fl[i].fd >= 0)
			close(fl[i].fd);
	}
	return interrupted ? 130 : 0;
}

static int cmd_up(struct opts *o, int argc, char **argv)
{
	struct compose_file *f = &o->f;
	static struct member m[MAX_MEMBERS];
	bool want[COMPOSE_MAX_SERVICES] = { 0 }, failed[COMPOSE_MAX_SERVICES] = { 0 };
	bool made[COMPOSE_MAX_SERVICES] = { 0 };
	int i = 1, nm, rc = o->f.errors.n ? 1 : 0;
	bool detach = false;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--detach") == 0) {
			detach = true;
			continue;
		}
		fprintf(stderr, "berth compose up: unknown flag %s\n", argv[i]);
		return 2;
	}
	if (wanted(o, argc - i, argv + i, true, want) < 0 || wait_supervisor(o->root) < 0)
		return 1;
	nm = members(o, m, MAX_MEMBERS);
	for (int k = 0; k < nm; k++) {
		if (compose_find(f, m[k].service) < 0)
			fprintf(stderr,
				"berth compose: found orphan container %s of service \"%s\", which the "
				"file no longer has; `berth rm -f %s` removes it\n",
				m[k].cfg.name, m[k].service, m[k].cfg.name);
	}
	for (int k = 0; k < f->norder; k++) {
		int s = f->order[k], r;
		const char *nmode = f->svc[s].network_mode;
		int host = nmode && strncmp(nmode, "service:", 8) == 0 ? compose_find(f, nmode + 8) : -1;
		bool dep_failed = false, follow = host >= 0 && made[host];

		/* a service in another's network namespace follows it when that
		 * one is (re)created: its old namespace went with the old one */
		if (follow)
			want[s] = true;
		if (!want[s])
			continue;
		for (int d = 0; d < f->svc[s].depends_on.n; d++) {
			int j = compose_find(f, f->svc[s].depends_on.v[d]);
			if (j >= 0 && failed[j]) {
				fprintf(stderr,
					"berth compose: service %s: not started: it depends on %s, "
					"which did not start\n",
					f->svc[s].name, f->svc[j].name);
				dep_failed = true;
				break;
			}
		}
		r = dep_failed ? 1 : up_one(o, s, m, nm, follow);
		if (r == 1) {
			failed[s] = true;
			rc = 1;
		}
		made[s] = r == 2;
	}
	members_free(m, nm);
	if (!detach) {
		/* without -d, as Docker's: follow the services until they end */
		int r = attach(o, want);
		return r ? r : rc;
	}
	return rc;
}

static int cmd_down(struct opts *o, int argc, char **argv)
{
	static struct member m[MAX_MEMBERS];
	int idx[MAX_MEMBERS], n, rc = 0;
	const char *t = NULL;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--timeout") == 0) && i + 1 < argc)
			t = argv[++i];
		else {
			fprintf(stderr, "berth compose down: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	n = members(o, m, MAX_MEMBERS);
	stop_order(o, m, n, idx);
	for (int k = 0; k < n; k++) {
		struct member *c = &m[idx[k]];
		char *stop[] = { "stop", "-t", (char *)(t ? t : "10"), c->cfg.id, NULL };
		char *rm[] = { "rm", "-f", c->cfg.id, NULL };

		if (c->st.status == CTR_RUNNING || c->st.status == CTR_RESTARTING) {
			if (ask(o->root, 4, stop) != 0) {
				rc = 1;
			} else {
				cli_wait_down(o->root, c->cfg.id);
				say(c->cfg.name, "Stopped");
			}
		}
		if (ask(o->root, 3, rm) != 0)
			rc = 1;
		else
			say(c->cfg.name, "Removed");
	}
	members_free(m, n);
	return rc;
}

/* The supervisor answers a restart once the old process is signalled;
 * like Docker's, ours returns when the new one runs (or after its stop
 * timeout and 10 s more). */
static int restarted(const char *root, const struct member *c, const char *timeout)
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
static void stop_followers(struct opts *o, struct member *m, int n, bool *want, const char *t,
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
		if (ask(o->root, 4, stop) == 0)
			cli_wait_down(o->root, m[k].cfg.id);
	}
}

/* restart, stop, start [SERVICE...] */
static int cmd_each(struct opts *o, const char *verb, int argc, char **argv)
{
	static struct member m[MAX_MEMBERS];
	bool want[COMPOSE_MAX_SERVICES] = { 0 };
	int idx[MAX_MEMBERS], n, rc = 0;
	bool forward = strcmp(verb, "stop") != 0, follower[COMPOSE_MAX_SERVICES] = { 0 };
	const char *t = NULL;
	int i = 1;

	if (strcmp(verb, "start") != 0 && argc > 2 &&
	    (strcmp(argv[1], "-t") == 0 || strcmp(argv[1], "--timeout") == 0)) {
		t = argv[2];
		i = 3;
	}
	if (wanted(o, argc - i, argv + i, false, want) < 0)
		return 1;
	n = members(o, m, MAX_MEMBERS);
	stop_order(o, m, n, idx);
	if (strcmp(verb, "restart") == 0)
		stop_followers(o, m, n, want, t, follower);
	for (int k = 0; k < n; k++) {
		struct member *c = &m[idx[forward ? n - 1 - k : k]];
		int s = compose_find(&o->f, c->service);

		if (s < 0 || !want[s] || follower[s])
			continue;
		char *args[] = { (char *)verb, "-t", (char *)t, c->cfg.id, NULL };

		if (t ? ask(o->root, 4, args) != 0 : ask2(o->root, verb, c->cfg.id) != 0) {
			rc = 1;
			continue;
		}
		if (strcmp(verb, "stop") == 0) /* Docker's: answered once it is down */
			cli_wait_down(o->root, c->cfg.id);
		if (strcmp(verb, "restart") == 0 && restarted(o->root, c, t) < 0) {
			fprintf(stderr, "berth compose: %s did not come back up\n", c->cfg.name);
			rc = 1;
			continue;
		}
		say(c->cfg.name, strcmp(verb, "stop") == 0 ? "Stopped" : "Started");
	}
	for (int k = 0; k < n; k++) {
		struct member *c = &m[idx[n - 1 - k]];
		int s = compose_find(&o->f, c->service);

		if (s < 0 || !follower[s])
			continue;
		if (ask2(o->root, "start", c->cfg.id) != 0) {
			rc = 1;
			continue;
		}
		say(c->cfg.name, "Started");
	}
	members_free(m, n);
	return rc;
}

static int64_t real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int cmd_ps(struct opts *o, int argc, char **argv)
{
	static struct member m[MAX_MEMBERS];
	int idx[MAX_MEMBERS], n;
	bool all = false, quiet = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			all = true;
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else {
			fprintf(stderr, "berth compose ps: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	n = members(o, m, MAX_MEMBERS);
	stop_order(o, m, n, idx);
	if (!quiet)
		printf("%-24s %-16s %-24s %-12s %-16s %-24s %s\n", "NAME", "IMAGE", "COMMAND",
		       "SERVICE", "CREATED", "STATUS", "PORTS");
	for (int k = n - 1; k >= 0; k--) {
		struct member *c = &m[idx[k]];
		char cmd[64] = "", created[64], status[96], ports[256] = "";
		size_t len = 0;
		int64_t now = real_now();

		if (!all && c->st.status != CTR_RUNNING && c->st.status != CTR_RESTARTING)
			continue;
		if (quiet) {
			printf("%s\n", c->cfg.id);
			continue;
		}
		for (char **a = c->cfg.argv; a && *a && len + 2 < sizeof(cmd); a++)
			len += snprintf(cmd + len, sizeof(cmd) - len, "%s%s", a == c->cfg.argv ? "" : " ",
					*a);
		if (strlen(cmd) > 20)
			snprintf(cmd + 17, sizeof(cmd) - 17, "...");
		ctr_since(c->cfg.created_ns, now, created, sizeof(created) - 4);
		strcat(created, " ago");
		ctr_status_text(&c->st, now, status, sizeof(status));
		len = 0;
		for (char **p = c->cfg.ports; c->st.status == CTR_RUNNING && p && *p; p++) {
			struct port_map pm;
			struct berr e;
			char one[64];

			if (port_parse(*p, &pm, &e) < 0)
				continue;
			port_format(&pm, one, sizeof(one));
			len += snprintf(ports + len, len < sizeof(ports) ? sizeof(ports) - len : 0,
					"%s%s", len ? ", " : "", one);
		}
		printf("%-24s %-16s \"%s\"%*s %-12s %-16s %-24s %s\n", c->cfg.name,
		       c->cfg.image ? c->cfg.image : "", cmd,
		       (int)(strlen(cmd) < 22 ? 22 - strlen(cmd) : 0), "", c->service, created, status,
		       ports);
	}
	members_free(m, n);
	return 0;
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
static int cmd_config(struct opts *o, int argc, char **argv, int loaded)
{
	bool quiet = argc > 1 && (strcmp(argv[1], "-q") == 0 || strcmp(argv[1], "--quiet") == 0);

	if (quiet || loaded < 0)
		return loaded ? 1 : 0;
	printf("name: ");
	q(o->project);
	printf("\nservices:\n");
	for (int k = 0; k < o->f.norder; k++) {
		struct compose_service *s = &o->f.svc[o->f.order[k]];
		struct compose_health *h = &s->health;

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
		list("depends_on", &s->depends_on);
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

static void usage(FILE *to)
{
	fprintf(to, "Usage: berth compose [-f FILE] [-p PROJECT] COMMAND\n\n"
		    "  up [-d] [SERVICE...]     Create and start the services, dependencies first;\n"
		    "                           without -d, show their output until they end\n"
		    "  down [-t SECONDS]        Stop and remove the project's containers\n"
		    "  ps [-a] [-q]             List the project's containers\n"
		    "  restart [-t SECONDS] [SERVICE...]  Restart services\n"
		    "  stop [-t SECONDS] [SERVICE...]     Stop services\n"
		    "  start [SERVICE...]       Start services\n"
		    "  config [-q]              Check the file and print it normalized\n\n"
		    "FILE defaults to compose.yaml (or docker-compose.yml) here, else\n"
		    "/etc/berth/compose.yaml; PROJECT to the file's name: or its directory's name.\n");
}

int cli_compose(const char *root, int argc, char **argv)
{
	struct opts o = { .root = root };
	int i = 1, loaded, rc;
	const char *cmd;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--file") == 0) && i + 1 < argc)
			o.file = argv[++i];
		else if (strncmp(argv[i], "--file=", 7) == 0)
			o.file = argv[i] + 7;
		else if ((strcmp(argv[i], "-p") == 0 || strcmp(argv[i], "--project-name") == 0) &&
			 i + 1 < argc)
			o.project_flag = argv[++i];
		else if (strncmp(argv[i], "--project-name=", 15) == 0)
			o.project_flag = argv[i] + 15;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "berth compose: unknown flag %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i];
	if (strcmp(cmd, "up") && strcmp(cmd, "down") && strcmp(cmd, "ps") && strcmp(cmd, "restart") &&
	    strcmp(cmd, "stop") && strcmp(cmd, "start") && strcmp(cmd, "config")) {
		fprintf(stderr, "berth compose: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	loaded = load(&o);
	if (strcmp(cmd, "config") == 0)
		rc = cmd_config(&o, argc - i, argv + i, loaded);
	else if (loaded < 0 && strcmp(cmd, "down") && strcmp(cmd, "ps"))
		rc = 1; /* down and ps work from the labels alone */
	else if (strcmp(cmd, "up") == 0)
		rc = cmd_up(&o, argc - i, argv + i);
	else if (strcmp(cmd, "down") == 0)
		rc = cmd_down(&o, argc - i, argv + i);
	else if (strcmp(cmd, "ps") == 0)
		rc = cmd_ps(&o, argc - i, argv + i);
	else
		rc = cmd_each(&o, cmd, argc - i, argv + i);
	if (o.parsed)
		compose_free(&o.f);
	return rc;
}
