/* cli_build.c - the build verbs: `berth build`, `berth commit` and
 * `berth builder prune`: their flags, output and exit codes; the work is
 * build.h's. */
#include "cli_build.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_ctr.h"
#include "flags.h"
#include "runtime/container/container.h"
#include "runtime/image/build.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"
#include "runtime/lib/selfexe.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"

struct bld_cli_opts {
	const char *message, *author, *file;
	struct strv tags, build_args;
	bool pause, force, all, no_cache, quiet;
};

#define B(f) struct bld_cli_opts, f
static const struct flg commit_flags[] = {
	FLG_STRING('a', "author", B(author), "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"),
	FLG_STRING('m', "message", B(message), "Commit message"),
	FLG_BOOL('p', "pause", B(pause), "Pause container during commit (accepted, not needed)"),
	FLG_END,
};

static const struct flg prune_flags[] = {
	FLG_BOOL('a', "all", B(all), "Remove all unused build cache (the only kind)"),
	FLG_BOOL('f', "force", B(force), "Do not prompt for confirmation"),
	FLG_END,
};

static const struct flg build_flags[] = {
	FLG_STRINGS(0, "build-arg", B(build_args), "Set build-time variables"),
	FLG_STRING('f', "file", B(file), "Name of the Containerfile (default: \"CONTEXT/Containerfile\", else Dockerfile)"),
	FLG_BOOL(0, "no-cache", B(no_cache), "Do not use cache when building the image"),
	FLG_BOOL('q', "quiet", B(quiet), "Suppress the build output and print image ID on success"),
	FLG_STRINGS('t', "tag", B(tags), "Name and optionally a tag in the \"name:tag\" format"),
	FLG_END,
};

const struct flg_cmd bld_commit_cmd = {
	.path = "commit",
	.usage = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
	.desc = "Create a new image from a container's changes",
	.flags = commit_flags,
	.min_args = 1,
	.max_args = 2,
};

static int bld_cmd_prune(void *ctx, int argc, char **argv);

static const struct flg_cmd bld_prune_cmd = {
	.path = "builder prune",
	.usage = "[OPTIONS]",
	.desc = "Remove the build cache",
	.flags = prune_flags,
	.run = bld_cmd_prune,
};

static const struct flg_cmd *const bld_builder_cmds[] = { &bld_prune_cmd, NULL };

const struct flg_cmd bld_builder_cmd = {
	.path = "builder",
	.usage = "COMMAND",
	.desc = "Manage builds",
	.cmds = bld_builder_cmds,
};

const struct flg_cmd bld_build_cmd = {
	.path = "build",
	.usage = "[OPTIONS] PATH",
	.desc = "Build an image from a Containerfile",
	.flags = build_flags,
	.min_args = 1,
	.max_args = 1,
};

/* ---------------------------------------------------------------- commit */

int bld_cmd_commit(const char *root, int argc, char **argv)
{
	struct bld_commit_opts o = {.root = root};
	char cid[CTR_ID_LEN + 1], dir[PATH_MAX], upper[PATH_MAX + 8], id[DG_STR_LEN];
	struct bld_cli_opts f = { 0 };
	const char *ref, *ctr;
	struct ctr_config cfg;
	bool empty = false;
	struct flg_out a;
	struct berr e;
	int r;

	if (flg_verb(&bld_commit_cmd, &f, argc, argv, &a) < 0)
		return a.status;
	ctr = a.argv[0];
	ref = a.argc > 1 ? a.argv[1] : NULL;
	o.comment = f.message;
	o.author = f.author;
	if (ref) {
		char norm[256];
		if (lr_ref_normalize(ref, norm, sizeof(norm)) < 0) {
			fprintf(stderr, "Error: invalid reference format: \"%s\"\n", ref);
			return 1;
		}
	}
	if (cli_find_container(root, ctr, cid) < 0)
		return 1;
	if (ctr_config_load(root, cid, &cfg, &e) < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return 1;
	}
	ctr_dir(root, cid, dir, sizeof(dir));
	snprintf(upper, sizeof(upper), "%s/upper", dir);
	/* never started: no upper yet, an empty layer as Docker commits */
	if (access(upper, F_OK) < 0 && errno == ENOENT) {
		snprintf(upper, sizeof(upper), "%s/commit.XXXXXX", dir);
		empty = mkdtemp(upper) != NULL;
	}
	o.container = cfg.name;
	o.upper = upper;
	o.image = cfg.image_id;
	o.argv = cfg.argv;
	o.env = cfg.env;
	o.cwd = cfg.cwd;
	o.user = cfg.user;
	o.ref = ref;
	r = bld_commit(&o, id, &e);
	if (empty)
		rmdir(upper);
	ctr_config_free(&cfg);
	if (r < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

/* ---------------------------------------------------------------- prune */

static int bld_cmd_prune(void *ctx, int argc, char **argv)
{
	const char *root = ctx;
	struct bld_cli_opts o = { 0 };
	struct flg_out a;
	char size[32];
	uint64_t freed = 0;
	struct berr e;

	if (flg_verb(&bld_prune_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (bld_prune(root, &freed, &e) < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return 1;
	}
	lr_human_size(freed, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

int bld_cmd_builder(const char *root, int argc, char **argv)
{
	const struct flg_cmd *sub = argc > 1 ? flg_find_cmd(&bld_builder_cmd, argv[1]) : NULL;

	if (sub)
		return sub->run((void *)root, argc - 1, argv + 1);
	if (argc > 1)
		fprintf(stderr, "berth: unknown builder command: %s\n", argv[1]);
	flg_help(&bld_builder_cmd, stderr);
	return 1;
}

/* ---------------------------------------------------------------- build */

int bld_cmd_build(const char *root, int argc, char **argv)
{
	static char *none[] = { NULL };
	struct bld_opts o = { .root = root };
	struct bld_cli_opts f = { 0 };
	struct strv bargs = { 0 };
	char path[PATH_MAX], id[DG_STR_LEN];
	struct flg_out a;
	struct berr e;
	int rc = 1;

	if (flg_verb(&bld_build_cmd, &f, argc, argv, &a) < 0) {
		rc = a.status;
		goto out;
	}
	for (int i = 0; i < f.tags.n; i++) {
		char norm[256];
		if (lr_ref_normalize(f.tags.v[i], norm, sizeof(norm)) < 0) {
			fprintf(stderr, "Error: invalid reference format: \"%s\"\n", f.tags.v[i]);
			goto out;
		}
	}
	for (int i = 0; i < f.build_args.n; i++) {
		const char *v = f.build_args.v[i];
		_cleanup_free_ char *kv = NULL;
		if (!strchr(v, '=')) {
			const char *env = getenv(v);
			if (!env)
				continue; /* Docker: unset in the environment, ignored */
			if (asprintf(&kv, "%s=%s", v, env) < 0)
				goto out;
			v = kv;
		}
		if (strv_add(&bargs, v) < 0)
			goto out;
	}
	o.context = a.argv[0];
	o.file = f.file;
	o.no_cache = f.no_cache;
	o.quiet = f.quiet;
	o.nbuild_args = bargs.n;
	if (!o.file) {
		snprintf(path, sizeof(path), "%s/Containerfile", o.context);
		if (access(path, F_OK) < 0)
			snprintf(path, sizeof(path), "%s/Dockerfile", o.context);
		o.file = path;
		o.file_name = strrchr(path, '/') + 1;
	} else {
		o.file_name = strcmp(o.file, "-") ? o.file : "Containerfile";
	}
	o.tags = f.tags.n ? f.tags.v : none;
	o.build_args = bargs.n ? bargs.v : none;
	/* RUN enters containers: only from a sealed copy of berth (selfexe.h). */
	if (!selfexe_is_sealed() && !getenv("BERTH_NO_SEAL")) {
		char *full[argc + 4];
		int k = 0;
		full[k++] = "berth";
		if (root && *root) { /* the re-exec must keep the store */
			full[k++] = "--root";
			full[k++] = (char *)root;
		}
		memcpy(full + k, argv, sizeof(char *) * argc);
		full[k + argc] = NULL;
		if (selfexe_seal(full, &e) < 0)
			fprintf(stderr, "berth: warning: %s\n", e.msg);
	}
	if (bld_build(&o, id, &e) < 0) {
		fflush(stdout);
		fprintf(stderr, "Error: %s\n", e.msg);
		goto out;
	}
	if (o.quiet)
		printf("%s\n", id);
	rc = 0;
out:
	strv_free(&f.tags);
	strv_free(&f.build_args);
	strv_free(&bargs);
	return rc;
}
