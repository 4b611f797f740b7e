/* build_rules.h - the pure rules of `berth build` (unit-tested): the
 * build cache key and the history text that keys it. */
#ifndef BERTH_BUILD_RULES_H
#define BERTH_BUILD_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"

/* A step's cache key: the parent state's ID, the instruction as history
 * records it (after substitution, with the build args a RUN sees) and the
 * digest of the files COPY/ADD read ("" for other steps). */
void bld_cache_key(const char *parent_id, const char *created_by, const char *files,
		   char key[DG_STR_LEN]);

/* Go's %q of a list, as Docker's history shows it: ["a" "b c"]. malloc'd. */
char *bld_quote_list(char *const *argv, size_t n);

/* created_by of a RUN, as Docker's classic builder writes it:
 * "/bin/sh -c CMD" (shell form) or "RUN [...]" (exec form), prefixed with
 * "|N K=V ..." when build args are in scope. malloc'd, NULL on ENOMEM. */
char *bld_run_created_by(char *const *args, size_t nargs, bool json, char *const *build_env,
			 size_t nenv);

/* .containerignore / .dockerignore: one pattern a line ('#' comments,
 * blank lines skipped), cleaned like paths; "!" re-includes; the last
 * matching pattern decides. A pattern matches a path or any of its parent
 * directories (so "docs" excludes docs/a/b); '*' and '?' stay inside one
 * path element, "**" matches any number of them. */
struct bld_ignore {
	char **pat;
	bool *negate;
	size_t n;
};

BERR_MUST int bld_ignore_parse(const char *text, struct bld_ignore *ig);
void bld_ignore_free(struct bld_ignore *ig);
/* path: clean, relative to the context ("a/b.txt"). */
bool bld_ignored(const struct bld_ignore *ig, const char *path);

#endif
