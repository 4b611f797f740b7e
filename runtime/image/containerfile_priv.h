/* containerfile_priv.h - what the pieces of the Containerfile parser
 * share; not a contract outside runtime/image/ (containerfile.h is that).
 *
 * containerfile.c reads the file into instructions and hands each one's
 * text after the keyword to parse_args() (containerfile_args.c);
 * containerfile_expand.c expands words later, in a build's scope. The
 * growable string (struct buf) is their common helper; string vectors
 * are runtime/lib/strv.h's.
 */
#ifndef BERTH_CONTAINERFILE_PRIV_H
#define BERTH_CONTAINERFILE_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "containerfile.h"
#include "runtime/lib/err.h"
#include "runtime/lib/strv.h"

/* ---------------------------------------------------------------- buffers (containerfile.c) */

struct buf {
	char *s;
	size_t len, cap;
};

BERR_MUST int buf_add(struct buf *b, const char *s, size_t n);
BERR_MUST int buf_ch(struct buf *b, char c);
char *buf_take(struct buf *b);

/* ---------------------------------------------------------------- parsing */

struct parser {
	const char *name;
	char escape;
	struct berr *e;
	int line;
};

/* containerfile.c: "NAME:LINE: " + fmt (with one %s) as an EINVAL error */
int perr(struct parser *p, const char *fmt, const char *arg);
bool is_space(char c);
const char *skip_space(const char *s);

/* containerfile_args.c: the arguments (rest: after the keyword) of the
 * instruction in (its kind set) */
BERR_MUST int parse_args(struct parser *p, struct cf_inst *in, const char *kw, const char *rest);

#endif
