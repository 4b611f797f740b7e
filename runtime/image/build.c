/* build.c - `berth build`: the builder's state, the step cache, FROM and
 * the step driver (bld_build); see build.h. The other instructions are in
 * build_meta.c, build_run.c (also bld_commit) and build_copy.c, the
 * state's layers in build_layers.c; build_priv.h is what they share. */
#include "build_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "layer.h"
#include "layer_rules.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"

#define CONTAINERFILE_MAX (16 << 20)
#define IGNORE_MAX (1 << 20) /* .containerignore, .dockerignore */

/* "Containerfile:7: " in front of the error. */
int step_err(struct builder *b, int r)
{
	if (b->in)
		berr_wrap(b->e, "%s:%d", b->o->file_name, b->in->line);
	return r;
}

/* ---------------------------------------------------------------- state */

int state_seal(struct builder *b)
{
	free(b->st.text);
	b->st.text = json_dumps(b->st.cfg, JSON_COMPACT | JSON_SORT_KEYS);
	if (!b->st.text)
		return berr_set(b->e, ENOMEM, "encode config");
	dg_buffer(b->st.text, strlen(b->st.text), b->st.id);
	return 0;
}

int state_load(struct builder *b, const char *text, json_t *layers)
{
	json_error_t je;
	json_t *cfg = json_loads(text, 0, &je);

	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return berr_msg(b->e, EINVAL, "image config: %s", je.text);
	}
	json_decref(b->st.cfg);
	json_decref(b->st.layers);
	b->st.cfg = cfg;
	b->st.layers = json_incref(layers);
	free(b->st.text);
	b->st.text = strdup(text);
	if (!b->st.text)
		return berr_set(b->e, ENOMEM, "build");
	dg_buffer(text, strlen(text), b->st.id);
	return 0;
}

void state_free(struct state *s)
{
	json_decref(s->cfg);
	json_decref(s->layers);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

json_t *cfg_config(struct builder *b)
{
	json_t *c = json_object_get(b->st.cfg, "config");

	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(b->st.cfg, "config", c);
	}
	return c;
}

json_t *diff_ids(struct builder *b)
{
	json_t *rootfs = json_object_get(b->st.cfg, "rootfs");

	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(b->st.cfg, "rootfs", rootfs);
	}
	return json_object_get(rootfs, "diff_ids");
}

/* Sync the scope's ENV with the config's Env. */
static int scope_from_cfg(struct builder *b)
{
	json_t *env = json_object_get(cfg_config(b), "Env"), *v;
	char **list = calloc(json_array_size(env) + 1, sizeof(char *));
	size_t i, n = 0;
	int r;

	if (!list)
		return berr_set(b->e, ENOMEM, "build");
	json_array_foreach(env, i, v)
	{
		if (json_is_string(v))
			list[n++] = (char *)json_string_value(v);
	}
	r = cf_scope_set_env(&b->scope, list, n);
	free(list);
	return r < 0 ? berr_set(b->e, ENOMEM, "build") : 0;
}

/* ---------------------------------------------------------------- cache */

static void cache_path(struct builder *b, const char *key, char *out, size_t size)
{
	snprintf(out, size, "%s/build-cache/%s", b->store, dg_hex(key));
}

static void cache_key(struct builder *b, const char *created_by, const char *files,
		      char key[DG_STR_LEN])
{
	bld_cache_key(b->st.id, created_by, files, key);
}

static bool cache_get(struct builder *b, const char *key)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *entry = NULL, *cfg = NULL;
	const char *text;
	json_t *layers;

	if (b->o->no_cache)
		return false;
	cache_path(b, key, path, sizeof(path));
	entry = json_load_file(path, 0, NULL);
	text = json_string_value(json_object_get(entry, "config"));
	layers = json_object_get(entry, "layers");
	if (!text || !json_is_array(layers))
		return false;
	cfg = json_loads(text, 0, NULL);
	if (!img_layers_present(b->o->root, layers,
				json_object_get(json_object_get(cfg, "rootfs"), "diff_ids")))
		return false;
	return state_load(b, text, layers) == 0;
}

/* A step's result, for the next build with the same key. A cache that
 * cannot be written (a full disk) fails the build rather than going
 * unnoticed. */
static int cache_put(struct builder *b, const char *key)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *entry =
	    json_pack("{s:s, s:O}", "config", b->st.text, "layers", b->st.layers);
	_cleanup_free_ char *s = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
	char dir[PATH_MAX];
	int r;

	if (!s)
		return berr_set(b->e, ENOMEM, "build cache");
	snprintf(dir, sizeof(dir), "%s/build-cache", b->store);
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return berr_set(b->e, -r, "build cache: create %s", dir);
	cache_path(b, key, path, sizeof(path));
	r = write_file_atomic(path, s, strlen(s), 0600);
	if (r < 0)
		return berr_set(b->e, -r, "build cache: write %s", path);
	return 0;
}

/* ---------------------------------------------------------------- steps */

/* Finish a step: history entry, created time, new ID. */
int commit_step(struct builder *b, const char *created_by, bool empty_layer)
{
	char when[32];
	json_t *hist = json_object_get(b->st.cfg, "history");
	json_t *h;

	iso_time(b->now, when, sizeof(when));
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(b->st.cfg, "history", hist);
	}
	h = json_pack("{s:s, s:s}", "created", when, "created_by", created_by);
	if (!h)
		return berr_set(b->e, ENOMEM, "build");
	if (empty_layer)
		json_object_set_new(h, "empty_layer", json_true());
	json_array_append_new(hist, h);
	json_object_set_new(b->st.cfg, "created", json_string(when));
	return state_seal(b);
}

int expand(struct builder *b, const char *word, char **out)
{
	int r = cf_expand(word, b->cf.escape, &b->scope, out, b->e);
	return r < 0 ? step_err(b, r) : 0;
}

/* ---------------------------------------------------------------- FROM */

static int step_from(struct builder *b)
{
	char *image = NULL, *text = NULL, id[DG_STR_LEN];
	json_t *layers = NULL;
	int r;

	r = expand(b, b->in->args[0], &image);
	if (r < 0)
		return r;
	cf_scope_enter_stage(&b->scope);
	if (strcmp(image, "scratch") == 0) {
		json_t *cfg = json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture",
					"amd64", "os", "linux", "config", "rootfs", "type",
					"layers", "diff_ids", "history");
		json_decref(b->st.cfg);
		json_decref(b->st.layers);
		b->st.cfg = cfg;
		b->st.layers = json_array();
		r = (cfg && b->st.layers) ? state_seal(b) : berr_set(b->e, ENOMEM, "build");
	} else {
		r = img_read(b->o->root, image, id, &text, &layers, b->e);
		if (r < 0) {
			free(image);
			return step_err(b, berr_wrap(b->e, "FROM %s", image));
		}
		r = state_load(b, text, layers);
		json_decref(layers);
		free(text);
	}
	free(image);
	if (r == 0)
		r = scope_from_cfg(b);
	if (r == 0 && !b->o->quiet)
		printf(" ---> %.12s\n", dg_hex(b->st.id));
	return r;
}

/* ---------------------------------------------------------------- driver */

static int one_step(struct builder *b)
{
	const struct cf_inst *in = b->in;
	_cleanup_free_ char *created_by = NULL;
	_cleanup_json_ json_t *change = NULL;
	char key[DG_STR_LEN], files[DG_STR_LEN] = "", upper[PATH_MAX] = "";
	char **run_env = NULL;
	size_t nrun = 0;
	bool fs = in->kind == CF_RUN || in->kind == CF_COPY || in->kind == CF_ADD;
	int r;

	if (in->kind == CF_ARG) {
		for (size_t i = 0; i < in->nargs; i++)
			if ((r = cf_scope_arg(&b->scope, in->args[i], b->cf.escape, b->e)) < 0)
				return step_err(b, r);
	}
	if (in->kind == CF_RUN) {
		run_env = cf_scope_run_args(&b->scope, &nrun);
		if (!run_env)
			return berr_set(b->e, ENOMEM, "build");
		r = step_run(b, &created_by, run_env, nrun);
	} else if (in->kind == CF_COPY || in->kind == CF_ADD) {
		r = new_scratch_dir(b, "copy", upper, sizeof(upper));
		if (r == 0)
			r = step_copy(b, upper, &created_by, files);
	} else {
		r = step_meta(b, &created_by, &change);
	}
	if (r < 0)
		goto out;
	cache_key(b, created_by, files, key);
	if (cache_get(b, key)) {
		if (!b->o->quiet)
			printf(" ---> Using cache\n");
	} else {
		if (in->kind == CF_RUN)
			r = exec_run(b, run_env, nrun);
		else if (fs)
			r = add_layer_from(b, upper);
		else
			apply_meta(b, change);
		if (r < 0) {
			step_err(b, r);
			goto out;
		}
		r = commit_step(b, created_by, !fs);
		if (r == 0)
			r = cache_put(b, key);
		if (r < 0)
			goto out;
	}
	if (in->kind == CF_CMD)
		b->cmd_set = true;
	r = scope_from_cfg(b);
	if (r == 0 && !b->o->quiet)
		printf(" ---> %.12s\n", dg_hex(b->st.id));
out:
	if (*upper)
		layer_rmtree_garbage(upper);
	strv_freev(run_env);
	return r;
}

static int read_containerfile(const struct bld_opts *o, char **text, size_t *len, struct berr *e)
{
	_cleanup_fd_ int fd = strcmp(o->file, "-") ? open(o->file, O_RDONLY | O_CLOEXEC) : dup(0);
	struct stat sb;
	int r;

	if (fd < 0)
		return berr_set(e, errno, "open %s", o->file);
	if (strcmp(o->file, "-") == 0) { /* -f -: the Containerfile on stdin */
		r = read_fd_all(fd, CONTAINERFILE_MAX, text, len);
		if (r == -EFBIG)
			return berr_msg(e, EFBIG, "Containerfile on stdin: more than 16 MiB");
		return r < 0 ? berr_set(e, -r, "read stdin") : 0;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > CONTAINERFILE_MAX)
		return berr_msg(e, EINVAL, "%s: not a regular file of at most 16 MiB", o->file);
	r = read_fd_all(fd, CONTAINERFILE_MAX, text, len);
	return r < 0 ? berr_set(e, -r, "read %s", o->file) : 0;
}

/* The context's .containerignore (else .dockerignore), if any. */
static int load_ignore(struct builder *b)
{
	static const char *const names[] = {".containerignore", ".dockerignore"};

	b->ignore_name = names[1];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int fd = openat(b->ctxfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_free_ char *text = NULL;
		size_t len;
		int r;

		if (fd < 0)
			continue;
		r = read_fd_all(fd, IGNORE_MAX, &text, &len);
		close(fd);
		if (r < 0)
			return berr_set(b->e, -r, "read %s", names[i]);
		b->ignore_name = names[i];
		if (bld_ignore_parse(text, &b->ignore) < 0)
			return berr_set(b->e, ENOMEM, "%s", names[i]);
		break;
	}
	return 0;
}

/* Remove scratch dirs of builds that died (their pid is gone). */
static void sweep_builds(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char p[PATH_MAX];
		int pid = atoi(de->d_name);
		if (pid <= 0 || (kill(pid, 0) == 0 || errno == EPERM))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		layer_rmtree_garbage(p);
	}
	if (d)
		closedir(d);
}

int scratch_open(struct builder *b)
{
	char dir[PATH_MAX];
	int r;

	snprintf(dir, sizeof(dir), "%s/build", b->store);
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return berr_set(b->e, -r, "create %s", dir);
	sweep_builds(dir);
	snprintf(b->tmp, sizeof(b->tmp), "%s/%d", dir, (int)getpid());
	layer_rmtree_garbage(b->tmp); /* a build of ours that died, pid reused */
	if (mkdir(b->tmp, 0700) < 0) {
		r = berr_set(b->e, errno, "create %s", b->tmp);
		b->tmp[0] = '\0';
		return r;
	}
	return 0;
}

int bld_build(const struct bld_opts *o, char id[DG_STR_LEN], struct berr *e)
{
	struct builder b = {.o = o, .e = e, .ctxfd = -1, .clamp = -1};
	_cleanup_free_ char *text = NULL;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	size_t len = 0, steps = 0, step = 0;
	int r;

	r = read_containerfile(o, &text, &len, e);
	if (r < 0)
		return r;
	r = cf_parse(o->file_name, text, len, &b.cf, e);
	if (r < 0)
		return r;
	if (cf_scope_init(&b.scope, o->build_args, o->nbuild_args) < 0) {
		r = berr_set(e, ENOMEM, "build");
		goto out;
	}
	b.now = time(NULL);
	if (sde && *sde) {
		b.now = strtoll(sde, NULL, 10);
		b.clamp = b.now;
	}
	b.ctxfd = open(o->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b.ctxfd < 0) {
		r = berr_set(e, errno, "build context %s", o->context);
		goto out;
	}
	if ((r = load_ignore(&b)) < 0)
		goto out;
	if ((r = img_store_dir(o->root, b.store, sizeof(b.store), e)) < 0)
		goto out;
	if ((r = scratch_open(&b)) < 0)
		goto out;
	/* ARGs before FROM are not steps */
	for (size_t i = 0, seen = 0; i < b.cf.n; i++) {
		seen |= b.cf.inst[i].kind == CF_FROM;
		steps += seen;
	}
	for (size_t i = 0; i < b.cf.n && r == 0; i++) {
		b.in = &b.cf.inst[i];
		if (!b.scope.after_from && b.in->kind == CF_ARG) {
			for (size_t k = 0; k < b.in->nargs && r == 0; k++)
				r = cf_scope_arg(&b.scope, b.in->args[k], b.cf.escape, e);
			if (r < 0)
				r = step_err(&b, r);
			continue;
		}
		if (!o->quiet)
			printf("Step %zu/%zu : %s\n", ++step, steps, b.in->text);
		fflush(stdout);
		r = b.in->kind == CF_FROM ? step_from(&b) : one_step(&b);
		fflush(stdout);
	}
	b.in = NULL;
	if (r == 0) {
		size_t n;
		char **unused = cf_scope_unused(&b.scope, &n);
		for (size_t i = 0; unused && i < n; i++)
			fprintf(stderr, "[Warning] One or more build-args [%s] were not consumed\n",
				unused[i]);
		strv_freev(unused);
	}
	if (r == 0) {
		/* tag only now: a failed build leaves no image or tag */
		r = img_create(o->root, b.st.text, strlen(b.st.text), b.st.layers,
			       o->tags && o->tags[0] ? o->tags[0] : NULL, id, e);
		for (size_t i = 1; r == 0 && o->tags && o->tags[i]; i++)
			r = img_tag(o->root, id, o->tags[i], e);
	}
	if (r == 0 && !o->quiet) {
		printf("Successfully built %.12s\n", dg_hex(id));
		for (size_t i = 0; o->tags && o->tags[i]; i++) {
			char norm[256];
			bool ok = lr_ref_normalize(o->tags[i], norm, sizeof(norm)) == 0;

			printf("Successfully tagged %s\n", ok ? norm : o->tags[i]);
		}
	}
out:
	if (b.tmp[0])
		layer_rmtree_garbage(b.tmp);
	if (b.ctxfd >= 0)
		close(b.ctxfd);
	state_free(&b.st);
	bld_ignore_free(&b.ignore);
	cf_scope_free(&b.scope);
	cf_free(&b.cf);
	return r;
}

/* ---------------------------------------------------------------- prune */

int bld_prune(const char *root, uint64_t *freed, struct berr *e)
{
	char dir[PATH_MAX];
	int r;

	r = img_store_dir(root, dir, sizeof(dir), e);
	if (r < 0)
		return r;
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/build-cache");
	r = layer_rmtree(dir);
	if (r < 0)
		return berr_set(e, -r, "remove %s", dir);
	return img_prune_unreferenced(root, freed, e);
}
