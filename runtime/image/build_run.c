/* build_run.c - RUN steps and `docker commit` (bld_commit): a sandbox's
 * or a container's upper dir becomes a layer, without the mount points
 * the runtime made in it; see build.h and build_priv.h. */
#include "build_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "layer.h"
#include "runtime/sandbox/cgroup.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"

/* ---------------------------------------------------------------- RUN */

/* The sandbox makes mount points (/proc, /sys, /dev) in the upper dir;
 * they belong to no layer unless the image had them. */
static const char *const mount_points[] = {"proc", "sys", "dev", "etc/hosts",
					   "etc/hostname", "etc/resolv.conf"};

static void strip_mountpoints(struct builder *b, const char *upper)
{
	const char *const *points = mount_points;
	char p[PATH_MAX];
	struct stat sb;

	for (size_t i = 0; i < ARRAY_SIZE(mount_points); i++) {
		if (image_lookup(b, points[i], NULL, NULL, 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", upper, points[i]);
		if (lstat(p, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			rmdir(p);
		else if (S_ISREG(sb.st_mode) && sb.st_size == 0)
			unlink(p);
	}
	if (!image_lookup(b, "etc", NULL, NULL, 0)) {
		snprintf(p, sizeof(p), "%s/etc", upper);
		rmdir(p);
	}
}

static int run_sandbox(struct builder *b, char **argv, char **env, const char *upper)
{
	char work[PATH_MAX], rootfs[PATH_MAX], empty[PATH_MAX], idhex[DG_HEX_LEN + 1];
	char cgroup[PATH_MAX], rid[DG_STR_LEN], seed[64];
	json_t *c = cfg_config(b);
	struct sb_spec spec = {0};
	size_t nlower;
	char **lowers = lower_dirs(b, &nlower);
	const char *one[1];
	struct berr se;
	pid_t pid;
	int r, status;

	if (!lowers)
		return berr_set(b->e, ENOMEM, "build");
	if ((r = new_scratch_dir(b, "work", work, sizeof(work))) < 0 ||
	    (r = new_scratch_dir(b, "rootfs", rootfs, sizeof(rootfs))) < 0)
		goto out;
	snprintf(seed, sizeof(seed), "%d-%d-%lld", (int)getpid(), b->seq, (long long)now_ns());
	dg_buffer(seed, strlen(seed), rid);
	snprintf(idhex, sizeof(idhex), "%s", dg_hex(rid));
	if (nlower == 0) {
		if ((r = new_scratch_dir(b, "empty", empty, sizeof(empty))) < 0)
			goto out;
		one[0] = empty;
		spec.lowerdirs = one;
		spec.nlower = 1;
	} else {
		spec.lowerdirs = (const char *const *)lowers;
		spec.nlower = (int)nlower;
	}
	snprintf(cgroup, sizeof(cgroup), "/sys/fs/cgroup/berth/build-%.12s", idhex);
	spec.id = idhex;
	spec.hostname = idhex + 52;
	spec.upperdir = upper;
	spec.workdir = work;
	spec.rootfs = rootfs;
	spec.argv = argv;
	spec.env = env;
	spec.cwd = json_string_value(json_object_get(c, "WorkingDir"));
	spec.user = json_string_value(json_object_get(c, "User"));
	spec.stdin_fd = -1;
	spec.stdout_fd = 1;
	spec.stderr_fd = 2;
	spec.caps = sb_default_caps();
	spec.no_new_privs = true;
	spec.cgroup = cg_usable() ? cgroup : NULL;
	if (!b->o->quiet)
		printf(" ---> Running in %.12s\n", idhex);
	fflush(stdout);
	fflush(stderr);
	r = sb_start(&spec, &pid, &se);
	if (r < 0) {
		sb_cleanup(&spec);
		r = berr_msg(b->e, se.code ? se.code : EINVAL, "RUN: %s", se.msg);
		goto out;
	}
	status = wait_pid(pid);
	sb_cleanup(&spec);
	if (status != 0) {
		char cmd[1024] = "";
		for (char **a = argv; *a; a++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s",
				 a == argv ? "" : " ", *a);
		r = berr_msg(b->e, EIO, "the command '%s' returned a non-zero code: %d (exit code %d)",
			     cmd, status, status);
		goto out;
	}
	strip_mountpoints(b, upper);
	if (!b->o->quiet)
		printf("Removing intermediate container %.12s\n", idhex);
	r = 0;
out:
	strv_freev(lowers);
	return r;
}

int step_run(struct builder *b, char **created_by, char **args_env, size_t nargs_env)
{
	const struct cf_inst *in = b->in;

	*created_by = bld_run_created_by(in->args, in->nargs, in->json, args_env, nargs_env);
	return *created_by ? 0 : berr_set(b->e, ENOMEM, "build");
}

int exec_run(struct builder *b, char **args_env, size_t nargs_env)
{
	const struct cf_inst *in = b->in;
	json_t *env = json_object_get(cfg_config(b), "Env"), *v;
	char upper[PATH_MAX];
	char **argv = NULL, **envp = NULL;
	size_t i, n = 0;
	int r;

	r = new_scratch_dir(b, "upper", upper, sizeof(upper));
	if (r < 0)
		return r;
	argv = calloc(in->nargs + 4, sizeof(char *));
	envp = calloc(json_array_size(env) + nargs_env + 1, sizeof(char *));
	if (!argv || !envp) {
		free(argv);
		free(envp);
		return berr_set(b->e, ENOMEM, "build");
	}
	if (in->json) {
		for (i = 0; i < in->nargs; i++)
			argv[i] = in->args[i];
	} else {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = in->args[0];
	}
	json_array_foreach(env, i, v) if (json_is_string(v)) envp[n++] = (char *)json_string_value(v);
	for (i = 0; i < nargs_env; i++)
		envp[n++] = args_env[i];
	r = run_sandbox(b, argv, envp, upper);
	free(argv);
	free(envp);
	if (r == 0)
		r = add_layer_from(b, upper);
	layer_rmtree_garbage(upper);
	return r;
}

/* ---------------------------------------------------------------- commit */

int bld_commit(const struct bld_commit_opts *o, char id[DG_STR_LEN], struct berr *e)
{
	struct bld_opts bo = {.root = o->root, .file_name = "commit"};
	struct builder b = {.o = &bo, .e = e, .ctxfd = -1, .clamp = -1};
	const char *exclude[ARRAY_SIZE(mount_points) + 1] = {0};
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *text = NULL, by[2048] = "";
	json_t *layers = NULL, *c, *cmd, *ep;
	size_t nx = 0, skip = 0;
	int r;

	b.now = time(NULL);
	if (sde && *sde)
		b.now = b.clamp = strtoll(sde, NULL, 10);
	r = img_read(o->root, o->image, id, &text, &layers, e);
	if (r == 0)
		r = state_load(&b, text, layers);
	free(text);
	json_decref(layers);
	if (r == 0)
		r = img_store_dir(o->root, b.store, sizeof(b.store), e);
	if (r < 0)
		goto out;
	if ((r = scratch_open(&b)) < 0)
		goto out;
	/* the runtime's mount points are not the container's changes */
	for (size_t i = 0; i < ARRAY_SIZE(mount_points); i++)
		if (!image_lookup(&b, mount_points[i], NULL, NULL, 0))
			exclude[nx++] = mount_points[i];
	r = add_layer_excluding(&b, o->upper, exclude);
	if (r < 0) {
		berr_wrap(e, "commit %s", o->container);
		goto out;
	}
	/* the container's process settings become the image's */
	c = cfg_config(&b);
	ep = json_object_get(c, "Entrypoint");
	if (json_is_array(ep)) {
		for (skip = 0; skip < json_array_size(ep) && o->argv[skip] &&
			       !strcmp(o->argv[skip], json_string_value(json_array_get(ep, skip)) ?: "");
		     skip++)
			;
		if (skip < json_array_size(ep)) {
			json_object_set_new(c, "Entrypoint", json_null());
			skip = 0;
		}
	}
	cmd = json_array();
	for (size_t i = skip; o->argv && o->argv[i]; i++)
		json_array_append_new(cmd, json_string(o->argv[i]));
	json_object_set_new(c, "Cmd", cmd);
	if (o->env) {
		json_t *env = json_array();
		for (char **p = o->env; *p; p++)
			json_array_append_new(env, json_string(*p));
		json_object_set_new(c, "Env", env);
	}
	if (o->cwd && *o->cwd)
		json_object_set_new(c, "WorkingDir", json_string(o->cwd));
	if (o->user)
		json_object_set_new(c, "User", json_string(o->user));
	if (o->author && *o->author)
		json_object_set_new(b.st.cfg, "author", json_string(o->author));
	for (char **p = o->argv; p && *p; p++)
		snprintf(by + strlen(by), sizeof(by) - strlen(by), "%s%s", p == o->argv ? "" : " ", *p);
	r = commit_step(&b, by, false);
	if (r == 0 && o->comment && *o->comment) {
		json_t *hist = json_object_get(b.st.cfg, "history");
		json_object_set_new(json_array_get(hist, json_array_size(hist) - 1), "comment",
				    json_string(o->comment));
		r = state_seal(&b);
	}
	if (r == 0)
		r = img_create(o->root, b.st.text, strlen(b.st.text), b.st.layers, o->ref, id, e);
out:
	if (b.tmp[0])
		layer_rmtree_garbage(b.tmp);
	state_free(&b.st);
	return r;
}
