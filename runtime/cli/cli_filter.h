/* cli_filter.h - Docker's --filter KEY=VALUE for the listing verbs (ps,
 * images, the prunes): which keys a verb takes, and whether a row passes.
 *
 * As Docker's: filters of different keys must all pass (AND), several
 * values of one key are alternatives (OR). A key a verb does not know is
 * refused with Docker's text ("invalid filter 'KEY'"). Pure libc.
 */
#ifndef BERTH_CLI_FILTER_H
#define BERTH_CLI_FILTER_H

#include <stdbool.h>

#include "runtime/lib/err.h"
#include "runtime/lib/strv.h"

/* Each of f's words is KEY=VALUE with KEY one of keys (NULL-terminated).
 * -EINVAL with Docker's message otherwise. */
BERR_MUST int flt_check(const struct strv *f, const char *const *keys, struct berr *e);

/* Filters for key were given. */
bool flt_has(const struct strv *f, const char *key);

/* True when no filter names key, or one of its values satisfies
 * match(value, ctx). */
bool flt_pass(const struct strv *f, const char *key, bool (*match)(const char *value, void *ctx),
	      void *ctx);

/* Matchers. */
/* value is "KEY" or "KEY=VALUE"; labels are "KEY=VALUE" words
 * (NULL-terminated, may be NULL). */
bool flt_label_match(const char *value, char *const *labels);
/* value, an extended regular expression (Docker's name filter), matches
 * name, with or without the leading '/'. A bad expression matches nothing. */
bool flt_regex_match(const char *value, const char *name);
/* Split text (lines, each ending with '\n') in place into vec, at most
 * max - 1 of them, NULL-terminated: the labels of an image summary. */
void flt_lines(char *text, char **vec, int max);
/* "true", "1" -> 1; "false", "0" -> 0; else -1. */
int flt_bool(const char *value);
/* value is a publish filter: "80", "80/udp", "8000-8080/tcp"; port/proto
 * is a container port. */
bool flt_port_match(const char *value, unsigned port, bool udp);

#endif
