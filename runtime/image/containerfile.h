/* containerfile.h - parse a Containerfile (Dockerfile) and expand its
 * variables, Docker's way. Pure: text in, structures out, no I/O.
 *
 * cf_parse() handles the parser directives (`# escape=` and `# syntax=` at
 * the very top), comments, line continuations with the escape character
 * (comment and blank lines inside a continuation are dropped), and splits
 * each instruction into its flags (--chown=..., --interval=...) and
 * arguments. Words keep their quotes: quote removal and $VAR expansion
 * happen later, in cf_expand(), with the variables in scope at that step,
 * as Docker does for ADD COPY ENV EXPOSE FROM LABEL USER VOLUME WORKDIR
 * ARG (RUN, CMD and ENTRYPOINT are left to the shell). Errors name the file
 * and line: "Containerfile:7: unknown instruction: FRM".
 *
 * struct cf_scope carries ARG/ENV state through a build: ARGs before the
 * first FROM are only for FROM (and are re-declared by a bare `ARG NAME`
 * after it), --build-arg values override defaults, ENV wins over ARG.
 */
#ifndef BERTH_CONTAINERFILE_H
#define BERTH_CONTAINERFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

enum cf_kind {
	CF_FROM,
	CF_MAINTAINER,
	CF_LABEL,
	CF_RUN,
	CF_USER,
	CF_ADD,
	CF_COPY,
	CF_WORKDIR,
	CF_VOLUME,
	CF_EXPOSE,
	CF_ENV,
	CF_ARG,
	CF_CMD,
	CF_ENTRYPOINT,
	CF_HEALTHCHECK,
	CF_STOPSIGNAL,
};

struct cf_flag {
	char *name; /* "chown" */
	char *value;
};

struct cf_health {
	bool none;			/* HEALTHCHECK NONE */
	int64_t interval, timeout, start_period; /* ns, 0 = unset */
	int retries;			/* 0 = unset */
};

struct cf_inst {
	enum cf_kind kind;
	int line;	/* where the instruction starts (1-based) */
	char *text;	/* "RUN echo hi": keyword upper case, continuations joined */
	struct cf_flag *flags;
	size_t nflags;
	/* Arguments, per kind:
	 *   RUN/CMD/ENTRYPOINT, HEALTHCHECK CMD: json ? argv : {shell string}
	 *   ENV/LABEL/ARG: words "KEY=VALUE" or "KEY" (ARG), quotes kept
	 *   ADD/COPY: sources..., dest (json or whitespace words)
	 *   VOLUME: json or words; EXPOSE: words
	 *   FROM: image [AS name]; USER/WORKDIR/MAINTAINER: one word (the rest)
	 */
	char **args;
	size_t nargs;
	bool json;
	struct cf_health health;
};

struct cf_file {
	struct cf_inst *inst;
	size_t n;
	char escape; /* '\\' or '`' */
};

/* Parse text (len bytes, need not be NUL-terminated); name is what error
 * messages call the file. On error nothing is left allocated. */
BERR_MUST int cf_parse(const char *name, const char *text, size_t len, struct cf_file *out,
		       struct berr *e);
void cf_free(struct cf_file *f);

/* ---------------------------------------------------------------- scope */

struct cf_var {
	char *name;
	char *value; /* NULL: declared without a value */
};

struct cf_scope {
	struct cf_var *meta;	/* ARGs before the first FROM */
	size_t nmeta;
	struct cf_var *args;	/* ARGs of the current stage */
	size_t nargs;
	char **env;		/* "K=V" of the image being built (ENV, base image) */
	size_t nenv;
	char **build_args;	/* "K=V" (or "K": take the value from env_lookup) */
	size_t nbuild_args;
	bool *build_arg_used;	/* per build_args entry */
	bool after_from;
};

/* Set up a scope from the --build-arg list (copied). */
BERR_MUST int cf_scope_init(struct cf_scope *s, char *const *build_args, size_t n);
void cf_scope_free(struct cf_scope *s);

/* The value of NAME for substitution: ENV first, then the ARGs in scope
 * (before FROM: the meta ARGs). NULL when unset. */
const char *cf_scope_get(const struct cf_scope *s, const char *name);

/* Replace the environment (e.g. with the base image's Env). */
BERR_MUST int cf_scope_set_env(struct cf_scope *s, char *const *env, size_t n);
/* ENV NAME=VALUE: set or replace. */
BERR_MUST int cf_scope_setenv(struct cf_scope *s, const char *name, const char *value);

/* Execute one ARG word ("NAME" or "NAME=default", quotes kept): the value
 * comes from --build-arg, else the expanded default, else (after FROM)
 * the meta ARG of the same name. */
BERR_MUST int cf_scope_arg(struct cf_scope *s, const char *word, char escape, struct berr *e);

/* Called at FROM: the stage starts with no ARGs and the given env. */
void cf_scope_enter_stage(struct cf_scope *s);

/* The ARGs a RUN sees as environment: declared ARGs with a value that no
 * ENV overrides, as "K=V", in declaration order (malloc'd vector). */
char **cf_scope_run_args(const struct cf_scope *s, size_t *n);

/* Build args never declared by an ARG (malloc'd vector of names). */
char **cf_scope_unused(const struct cf_scope *s, size_t *n);

/* Docker's word processing: quote removal (single quotes literal, double
 * quotes with escapes of " \ $), the escape character, and $VAR, ${VAR},
 * ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg}.
 * *out is malloc'd. -EINVAL with e set on a malformed word. */
BERR_MUST int cf_expand(const char *word, char escape, const struct cf_scope *s, char **out,
			struct berr *e);

/* Split "K=V" after expansion into name and value (value may be ""). */
BERR_MUST int cf_split_kv(const char *word, char **name, char **value);

#endif
