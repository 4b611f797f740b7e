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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_compose_priv.h"
#include "client.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define C(f) struct cli_project, f
static const struct flg compose_flags[] = {
	FLG_STRING('f', "file", C(file),
		   "Compose file (default: compose.yaml here, else /etc/berth/compose.yaml; "
		   "- is stdin)"),
	FLG_STRING('p', "project-name", C(project_flag),
		   "Project name (default: the file's name:, else its directory's name)"),
	FLG_STRINGS(0, "profile", C(profile_flags), "Specify a profile to enable"),
	FLG_END,
};

static const struct flg_cmd *const compose_cmds[] = {
	&cli_compose_up_cmd,	  &cli_compose_down_cmd,  &cli_compose_ps_cmd,
	&cli_compose_restart_cmd, &cli_compose_stop_cmd,  &cli_compose_start_cmd,
	&cli_compose_config_cmd,  &cli_compose_pull_cmd,  NULL,
};

const struct flg_cmd cli_compose_cmd = {
	.path = "compose",
	.usage = "[OPTIONS] COMMAND",
	.desc = "Run the services of a Compose file",
	.flags = compose_flags,
	.cmds = compose_cmds,
	.min_args = 1,
	.max_args = -1,
	.stop_at_operand = true,
	.args_status = 2,
};

void cli_compose_say(const char *name, const char *what)
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

/* The whole compose file ("-": stdin), at most COMPOSE_MAX_BYTES. */
static int read_compose(const char *path, char **text, size_t *len)
{
	_cleanup_fd_ int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_fd_all(fd, COMPOSE_MAX_BYTES, text, len);
}

/* Docker Compose's order: -p, COMPOSE_PROJECT_NAME, the file's name:,
 * the name of the file's directory. */
static void project_name(struct cli_project *o)
{
	char dir[4096];
	const char *env = cli_compose_getenv(o, "COMPOSE_PROJECT_NAME");

	/* the directory's own name, also for a relative path (as Compose) */
	snprintf(dir, sizeof(dir), "%s", o->f.dir ? o->f.dir : o->path);
	compose_project_name(NULL,
			     o->project_flag ? o->project_flag
			     : env && *env   ? env
			     : o->f.name     ? o->f.name
			     : o->f.dir	     ? basename(dir)
					     : basename(dirname(dir)),
			     o->project, sizeof(o->project));
	if (!o->project[0])
		snprintf(o->project, sizeof(o->project), "default");
}

/* Parse with .env (next to the file) and the environment; ./relative
 * binds and .env are relative to the file, as Compose's. -EIO when .env
 * cannot be read (reported), else what compose_parse_env returns. */
static int parse(struct cli_project *o, const char *text, size_t len)
{
	char d[4096], *dir;
	char *const *envs[3];
	int r;

	snprintf(d, sizeof(d), "%s", strcmp(o->path, "-") == 0 ? "." : o->path);
	dir = realpath(strcmp(o->path, "-") == 0 ? "." : dirname(d), NULL);
	if (dir && cli_compose_dotenv(o, dir) < 0) {
		free(dir);
		return -EIO;
	}
	cli_compose_envs(o, envs);
	r = compose_parse_env(text, len, o->path, envs, &o->f);
	o->f.dir = dir;
	return r;
}

/* Read and parse; every problem goes to stderr. -1 when nothing can be
 * used, 1 when some services are bad, 0 when all is well. */
int cli_compose_load(struct cli_project *o)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (o->file)
		snprintf(o->path, sizeof(o->path), "%s", o->file);
	else
		default_file(o->root, o->path, sizeof(o->path));
	r = read_compose(o->path, &text, &len);
	if (r == -EFBIG) /* what compose_parse says of a text that long */
		fprintf(stderr, "berth: %s: larger than %d bytes\n", o->path, COMPOSE_MAX_BYTES);
	else if (r < 0)
		fprintf(stderr, "berth: %s: %s\n", o->path, strerror(-r));
	if (r < 0) {
		project_name(o);
		return -1;
	}
	r = parse(o, text, len);
	if (r == -EIO) {
		free(text);
		project_name(o);
		return -1;
	}
	free(text);
	o->parsed = true;
	for (int i = 0; i < o->f.errors.n; i++)
		fprintf(stderr, "berth: %s\n", o->f.errors.v[i]);
	if (r == -ENOMEM)
		fprintf(stderr, "berth: out of memory\n");
	project_name(o);
	if (o->f.fatal || r == -ENOMEM || cli_compose_profiles(o) < 0)
		return -1;
	if (cli_compose_env_files(o))
		r = -EINVAL;
	return r < 0 ? 1 : 0;
}

/* The project's containers, from the files the supervisor keeps. */
int cli_compose_members(struct cli_project *o, struct cli_member *m, int max)
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

void cli_compose_members_free(struct cli_member *m, int n)
{
	for (int i = 0; i < n; i++)
		ctr_config_free(&m[i].cfg);
}

int cli_compose_request(const char *root, const char *verb, const char *id)
{
	char *args[] = { (char *)verb, (char *)id, NULL };

	return client_ask(root, 2, args, COMPOSE_ASK_MS, NULL);
}

/* A service of the active profiles that needs a disabled one cannot
 * start (as Compose says). -1 after reporting. */
static int profile_deps(struct cli_project *o, const bool *want)
{
	struct compose_file *f = &o->f;

	for (int i = 0; i < f->nsvc; i++) {
		for (int d = 0; want[i] && d < f->svc[i].depends_on.n; d++) {
			int k = compose_find(f, f->svc[i].depends_on.v[d]);
			if (k >= 0 && !want[k]) {
				fprintf(stderr,
					"berth: service %s is required by %s but is disabled; "
					"enable it with --profile %s\n",
					f->svc[k].name, f->svc[i].name, f->svc[k].profiles.v[0]);
				return -1;
			}
		}
	}
	return 0;
}

/* Which services the command names (with what they depend on when deps):
 * all when none is named. -1 after reporting an unknown one. */
int cli_compose_wanted(struct cli_project *o, int argc, char **argv, bool deps, bool *want)
{
	struct compose_file *f = &o->f;
	bool any = false;

	for (int i = 0; i < argc; i++) {
		int k = compose_find(f, argv[i]);
		if (k < 0) {
			fprintf(stderr, "berth: no such service: %s\n", argv[i]);
			return -1;
		}
		want[k] = any = true;
	}
	if (!any) {
		for (int i = 0; i < f->nsvc; i++)
			want[i] = compose_service_enabled(&f->svc[i], o->profiles.v);
		return deps ? profile_deps(o, want) : 0;
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

/* The project's containers, in the reverse of the file's start order
 * (users before what they depend on); others last. */
int cli_compose_stop_order(struct cli_project *o, struct cli_member *m, int n, int *idx)
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


int cli_compose(const char *root, int argc, char **argv)
{
	struct cli_project o = { .root = root };
	const struct flg_cmd *sub;
	struct flg_out a;
	int rc;

	if (flg_verb(&cli_compose_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	sub = flg_find_cmd(&cli_compose_cmd, a.argv[0]);
	if (!sub) {
		fprintf(stderr, "berth: unknown compose command: %s\n", a.argv[0]);
		flg_help(&cli_compose_cmd, stderr);
		return 2;
	}
	rc = sub->run(&o, a.argc, a.argv);
	if (o.parsed)
		compose_free(&o.f);
	strv_free(&o.profile_flags);
	strv_free(&o.profiles);
	strv_free(&o.dotenv);
	return rc;
}
