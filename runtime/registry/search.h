/* search.h - `docker search`: the registry's /v1/search API (Docker Hub's
 * shape: {"results": [{"name", "description", "star_count", "is_official",
 * "is_automated"}]}). TERM may name a registry first ("host:5000/nginx");
 * Docker Hub's index otherwise. Runs in the CLI process.
 */
#ifndef BERTH_REG_SEARCH_H
#define BERTH_REG_SEARCH_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/lib/err.h"

#include "runtime/lib/strv.h"

/* Docker's search filters: stars=N (at least N), is-official=BOOL,
 * is-automated=BOOL; -1: any. */
struct reg_search_filter {
	int stars, official, automated;
};

/* The filters given as KEY=VALUE (--filter, repeatable) into f; an
 * unknown key or a bad value: -EINVAL, "invalid filter '...'" as Docker. */
BERR_MUST int reg_search_filter_parse(const struct strv *args, struct reg_search_filter *f,
				      struct berr *e);

/* Rows for tmpl_print (template.h): Name, Description (45 characters and
 * "…" unless no_trunc; newlines as spaces), StarCount, IsOfficial and
 * IsAutomated ("[OK]" or ""), of the first limit (1..100) results those
 * that pass f (as Docker, the filter applies after the limit). */
BERR_MUST int reg_search(const char *root, const char *term, int limit, bool no_trunc,
			 const struct reg_search_filter *f, json_t **rows, struct berr *e);

#endif
