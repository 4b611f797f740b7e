/* build_priv.h - what the pieces of the builder share; not a contract
 * outside runtime/image/ (build.h is that).
 *
 * A build is a struct builder: the parsed Containerfile, the ARG/ENV
 * scope, and the state (config + layers) of the image so far. Each step
 * computes its history text first (it keys the cache), then changes the
 * state, and commit_step records it. build.c drives the steps (and FROM);
 * build_meta.c, build_run.c and build_copy.c carry out the instructions;
 * build_layers.c reads and adds the state's layers.
 */
#ifndef BERTH_BUILD_PRIV_H
#define BERTH_BUILD_PRIV_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "build.h"
#include "build_rules.h"
#include "containerfile.h"
#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"

#define SH_C "/bin/sh -c "
#define NOP SH_C "#(nop) "

struct state {
	json_t *cfg;	/* the image config being built */
	json_t *layers; /* manifest layer descriptors */
	char *text;	/* cfg serialised (its digest is the ID) */
	char id[DG_STR_LEN];
};

struct builder {
	const struct bld_opts *o;
	struct cf_file cf;
	struct cf_scope scope;
	struct state st;
	bool cmd_set;
	char store[PATH_MAX];	/* ROOT/var/lib/berth */
	char tmp[PATH_MAX];	/* per-build scratch dir */
	int ctxfd;
	int64_t now;
	int64_t clamp;		/* SOURCE_DATE_EPOCH or -1 */
	int seq;
	struct bld_ignore ignore; /* .containerignore or .dockerignore */
	const char *ignore_name;
	struct berr *e;
	const struct cf_inst *in;
};

static inline void json_decref_p(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(json_decref_p)))

/* ---------------------------------------------------------------- build.c */

int step_err(struct builder *b, int r);
BERR_MUST int state_seal(struct builder *b);
BERR_MUST int state_load(struct builder *b, const char *text, json_t *layers);
void state_free(struct state *s);
/* The config's "config" object and "rootfs.diff_ids" array (created when
 * missing; borrowed). */
json_t *cfg_config(struct builder *b);
json_t *diff_ids(struct builder *b);
BERR_MUST int commit_step(struct builder *b, const char *created_by, bool empty_layer);
/* cf_expand() in the build's scope; errors name the step. */
BERR_MUST int expand(struct builder *b, const char *word, char **out);
/* The build's own scratch directory STORE/build/PID in b->tmp, empty;
 * those of builds that died are removed first. */
BERR_MUST int scratch_open(struct builder *b);

/* ---------------------------------------------------------------- build_layers.c */

char **lower_dirs(struct builder *b, size_t *n);
bool image_lookup(struct builder *b, const char *rel, struct stat *sb, char *found, size_t size);
BERR_MUST int add_layer_excluding(struct builder *b, const char *dir, const char *const *exclude);
BERR_MUST int add_layer_from(struct builder *b, const char *dir);
/* A new directory b->tmp/WHAT-N. */
BERR_MUST int new_scratch_dir(struct builder *b, const char *what, char *out, size_t size);

/* ---------------------------------------------------------------- instructions */

/* build_meta.c */
BERR_MUST int step_meta(struct builder *b, char **created_by, json_t **change);
void apply_meta(struct builder *b, json_t *ch);

/* build_run.c: the history text of a RUN, then running it into a layer */
BERR_MUST int step_run(struct builder *b, char **created_by, char **args_env, size_t nargs_env);
BERR_MUST int exec_run(struct builder *b, char **args_env, size_t nargs_env);

/* build_copy.c: stage COPY/ADD into upper; files gets the digest of what
 * was read */
BERR_MUST int step_copy(struct builder *b, const char *upper, char **created_by,
			char files[DG_STR_LEN]);

#endif
