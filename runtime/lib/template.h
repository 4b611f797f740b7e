/* template.h - Go's text/template as `docker --format` users type it,
 * over JSON values (jansson): {{.Field}}, {{.A.B}}, pipelines
 * ({{.Names | upper}}), if/else if/else, with, range (with $i, $e :=,
 * break, continue), variables ($x := ..., $x = ..., $), comments, trim
 * markers {{- -}}, Go's functions (printf print println len index eq ne
 * lt le gt ge and or not) and Docker's (json join split lower upper
 * title truncate pad), Docker's .Label "key" on rows with Labels, and a
 * leading "table" that adds a header row and aligns columns as Docker's
 * tabwriter does. Values print as Go prints them ([a b], map[k:v], "<no
 * value>" for a map's missing key); errors are Go's words ("template:
 * :1:2: executing "" at <.Nope>: can't evaluate field Nope in type ...").
 */
#ifndef BERTH_TEMPLATE_H
#define BERTH_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* A parsed template (template_parse.c). */
struct tmpl;

/* Parse text (Go's syntax, as given: no \t replacement); *out is freed
 * with tmpl_free. A syntax error is "template: :LINE: ..." in e. */
BERR_MUST int tmpl_parse(const char *text, struct tmpl **out, struct berr *e);
void tmpl_free(struct tmpl *t);

/* Run t with dot (and $) set to obj, appending to *out (malloc'd, grown as
 * needed, NUL-terminated). header: Docker's table header pass, where
 * json, split, join, lower, upper, title and truncate give back their
 * text. */
BERR_MUST int tmpl_exec(const struct tmpl *t, json_t *obj, bool header, char **out, size_t *len,
			struct berr *e);
/* Smaller bounds on a run than the defaults (20 million steps, 64 MiB of
 * output, 256 MiB of values made, widths up to 1 MiB), same code: for the
 * fuzz harness, whose every input is a runaway template. */
void tmpl_set_limits(long steps, size_t out, size_t made, long pad);

struct tmpl_header {
	const char *field;	/* "ID" */
	const char *title;	/* "CONTAINER ID" */
};

/* Parse and run tmpl on one object, with Docker's \t and \n escapes
 * replaced first; appends to *out. */
BERR_MUST int tmpl_render(const char *tmpl, json_t *obj, char **out, size_t *len, struct berr *e);

/* --format, the one way every listing and inspect verb prints with a
 * template: each element of rows on its own line on stdout. With
 * "table", first a header row from the headers map (unknown fields use
 * their name in upper case; headers may be NULL) and columns aligned
 * with three spaces of padding, printed only once all rows rendered.
 * "json" prints each row as one line of JSON (Docker's --format json). A
 * template that does not parse or fails on a row is reported on stderr
 * as Docker does ("berth: template parsing error: template: ...") and
 * nothing goes to stdout. Returns the verb's exit status: 0, or 1 after
 * such an error. */
BERR_MUST int tmpl_print(const char *tmpl, json_t *rows, const struct tmpl_header *headers);

/* The template a listing verb uses: its own table (table_default) when
 * the user gave none or just "table", else the user's. */
const char *tmpl_choose(const char *format, const char *table_default);

/* Align rows of tab-separated cells: each column padded to its widest cell
 * plus 3 spaces (the last column is not padded). Rows are NUL-terminated
 * strings; the result (rows joined by '\n', with a final '\n') is malloc'd,
 * or NULL on allocation failure. */
char *tmpl_tabulate(char *const *rows, size_t nrows);

#endif
