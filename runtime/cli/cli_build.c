/* cli_build.c - the build verbs: `berth build`, `berth commit` and
 * `berth builder prune`: their flags, output and exit codes; the work is
 * build.h's. */
#include "cli_build.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_ctr.h"
#include "runtime/container/container.h"
#include "runtime/image/build.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"
#include "runtime/lib/selfexe.h"

/* ---------------------------------------------------------------- commit */

int bld_cmd_commit(const char *root, int argc, char **argv)
{
	struct bld_commit_opts o = {.root = root};
	char cid[CTR_ID_LEN + 1], dir[PATH_MAX], upper[PATH_MAX + 8], id[DG_STR_LEN];
	const char *ref = NULL, *ctr = NULL;
	struct ctr_config cfg;
	struct berr e;
	int i, r;

	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "--message")) && i + 1 < argc)
			o.comment = argv[++i];
		else if ((!strcmp(argv[i], "-a") || !strcmp(argv[i], "--author")) && i + 1 < argc)
			o.author = argv[++i];
		else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pause"))
			;
		else if (argv[i][0] == '-')
			break;
		else if (!ctr)
			ctr = argv[i];
		else if (!ref)
			ref = argv[i];
		else
			break;
	}
	if (i < argc || !ctr) {
		fprintf(stderr, "\"berth commit\" requires at least 1 and at most 2 arguments.\n"
				"Usage:  berth commit [-m MESSAGE] [-a AUTHOR] CONTAINER [REPOSITORY[:TAG]]\n");
		return 1;
	}
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
	o.container = cfg.name;
	o.upper = upper;
	o.image = cfg.image_id;
	o.argv = cfg.argv;
	o.env = cfg.env;
	o.cwd = cfg.cwd;
	o.user = cfg.user;
	o.ref = ref;
	r = bld_commit(&o, id, &e);
	ctr_config_free(&cfg);
	if (r < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

/* ---------------------------------------------------------------- prune */

int bld_cmd_builder(const char *root, int argc, char **argv)
{
	char size[32];
	uint64_t freed = 0;
	struct berr e;

	if (argc < 2 || strcmp(argv[1], "prune") != 0) {
		fprintf(stderr, "Usage:  berth builder prune [-f]\n\nRemove the build cache\n");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-f") && strcmp(argv[i], "--force") && strcmp(argv[i], "-a") &&
		    strcmp(argv[i], "--all")) {
			fprintf(stderr, "unknown flag: %s\n", argv[i]);
			return 1;
		}
	}
	if (bld_prune(root, &freed, &e) < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return 1;
	}
	lr_human_size(freed, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

/* ---------------------------------------------------------------- build */

static int build_usage(const char *why)
{
	fprintf(stderr,
		"\"berth build\" %s.\nUsage:  berth build [-t NAME[:TAG]]... [-f FILE] "
		"[--build-arg K=V]... [--no-cache] [-q] CONTEXT\n",
		why);
	return 1;
}

int bld_cmd_build(const char *root, int argc, char **argv)
{
	struct bld_opts o = {.root = root};
	char **tags = calloc(argc + 1, sizeof(char *));
	char **bargs = calloc(argc + 1, sizeof(char *));
	char path[PATH_MAX], id[DG_STR_LEN];
	size_t ntags = 0;
	struct berr e;
	int rc = 1;

	if (!tags || !bargs)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		bool takes = !strcmp(a, "-t") || !strcmp(a, "--tag") || !strcmp(a, "-f") ||
			     !strcmp(a, "--file") || !strcmp(a, "--build-arg");
		if (takes) {
			if (i + 1 >= argc) {
				rc = build_usage("needs a value after an option");
				goto out;
			}
			v = argv[++i];
		} else if (!strncmp(a, "--tag=", 6) || !strncmp(a, "--file=", 7) ||
			   !strncmp(a, "--build-arg=", 12)) {
			v = strchr(a, '=') + 1;
		}
		if (v && (a[1] == 't' || !strncmp(a, "--tag", 5))) {
			char norm[256];
			if (lr_ref_normalize(v, norm, sizeof(norm)) < 0) {
				fprintf(stderr, "Error: invalid reference format: \"%s\"\n", v);
				goto out;
			}
			tags[ntags++] = (char *)v;
		} else if (v && (a[1] == 'f' || !strncmp(a, "--file", 6))) {
			o.file = v;
		} else if (v) {
			if (!strchr(v, '=')) {
				const char *env = getenv(v);
				char *kv;
				if (!env)
					continue; /* Docker: unset in the environment, ignored */
				if (asprintf(&kv, "%s=%s", v, env) < 0)
					goto out;
				v = kv;
			}
			bargs[o.nbuild_args++] = (char *)v;
		} else if (!strcmp(a, "--no-cache")) {
			o.no_cache = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o.quiet = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "unknown flag: %s\n", a);
			rc = build_usage("got an unknown flag");
			goto out;
		} else if (!o.context) {
			o.context = a;
		} else {
			rc = build_usage("requires exactly 1 argument");
			goto out;
		}
	}
	if (!o.context) {
		rc = build_usage("requires exactly 1 argument");
		goto out;
	}
	if (!o.file) {
		snprintf(path, sizeof(path), "%s/Containerfile", o.context);
		if (access(path, F_OK) < 0)
			snprintf(path, sizeof(path), "%s/Dockerfile", o.context);
		o.file = path;
		o.file_name = strrchr(path, '/') + 1;
	} else {
		o.file_name = strcmp(o.file, "-") ? o.file : "Containerfile";
	}
	o.tags = tags;
	o.build_args = bargs;
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
	free(tags);
	free(bargs);
	return rc;
}
