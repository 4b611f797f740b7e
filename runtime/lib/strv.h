/* strv.h - string vectors: the one implementation of argv/envp-style
 * lists. Pure libc.
 *
 * Two shapes, one prefix:
 *   struct strv   a vector being built, with its count: strv_add (copies),
 *                 strv_free; env_set/env_has treat it as an environment.
 *   char **       a NULL-terminated vector (argv, envp, a config's list),
 *                 malloc'd with malloc'd strings: strv_push (appends,
 *                 the caller keeps the count), strv_dup, strv_sort,
 *                 strv_freev.
 * A struct strv's v is such a vector (NULL-terminated once non-empty), so
 * it can be handed on as one (steal_ptr(&s.v)).
 */
#ifndef BERTH_STRV_H
#define BERTH_STRV_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* A growing NULL-terminated string vector. */
struct strv {
	char **v;
	int n;
};

BERR_MUST int strv_add(struct strv *s, const char *x);
void strv_free(struct strv *s);

/* Set KEY=VAL, replacing an existing KEY (later settings win). */
BERR_MUST int env_set(struct strv *s, const char *kv);
bool env_has(const struct strv *s, const char *key);

/* Append s (taken; NULL: -ENOMEM) to the NULL-terminated vector *v of *n. */
BERR_MUST int strv_push(char ***v, size_t *n, char *s);
/* A copy of the NULL-terminated vector v (NULL: an empty one); NULL when
 * out of memory. */
char **strv_dup(char *const *v);
/* Free a NULL-terminated vector and its strings; NULL is fine. */
void strv_freev(char **v);
/* Sort the first n strings of v by strcmp (directory listings: a result
 * that does not depend on readdir's order). */
void strv_sort(char **v, size_t n);

#endif
