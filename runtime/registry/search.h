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

/* Rows for tmpl_print (template.h): Name, Description (45 characters and
 * "…" unless no_trunc; newlines as spaces), StarCount, IsOfficial and
 * IsAutomated ("[OK]" or ""), at most limit (1..100) of them. */
BERR_MUST int reg_search(const char *root, const char *term, int limit, bool no_trunc,
			 json_t **rows, struct berr *e);

#endif
