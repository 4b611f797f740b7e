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

/* Render a list of objects and print it. With "table", a header row from
 * the headers map (unknown fields use their name in upper case) and columns
 * aligned with three spaces of padding. */
BERR_MUST int tmpl_print_list(const char *tmpl, json_t *array, const struct tmpl_header *headers,
			      struct berr *e);

#endif
