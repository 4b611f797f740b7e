/* template.h - the part of Go's text/template that `docker --format` users
 * type: {{.Field}}, {{.A.B}}, {{json .X}}, {{json .}}, literal text with
 * \t and \n escapes, and a leading "table" that adds a header row and
 * aligns columns as Docker's tabwriter does. Fields come from a JSON
 * object (jansson).
 */
#ifndef BERTH_TEMPLATE_H
#define BERTH_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct tmpl_header {
	const char *field;	/* "ID" */
	const char *title;	/* "CONTAINER ID" */
};

/* Render one object; appends to *out (malloc'd, grown as needed). */
BERR_MUST int tmpl_render(const char *tmpl, json_t *obj, char **out, size_t *len, struct berr *e);

/* --format, the one way every listing and inspect verb prints with a
 * template: each element of rows on its own line on stdout. With
 * "table", first a header row from the headers map (unknown fields use
 * their name in upper case; headers may be NULL) and columns aligned
 * with three spaces of padding, printed only once all rows rendered.
 * "json" prints each row as one line of JSON (Docker's --format json). A
 * template that fails (a bad action, a field a row lacks) is reported on
 * stderr as "berth: template: ..." and stops the output. Returns the
 * verb's exit status: 0, or 1 after such an error. */
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
