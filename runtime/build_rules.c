/* build_rules.c - see build_rules.h. */
#include "build_rules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bld_cache_key(const char *parent_id, const char *created_by, const char *files,
		   char key[DG_STR_LEN])
{
	struct dg_ctx c;

	dg_init(&c);
	/* each part NUL-terminated: no two splits of the same bytes collide */
	dg_update(&c, parent_id, strlen(parent_id) + 1);
	dg_update(&c, created_by, strlen(created_by) + 1);
	dg_update(&c, files ? files : "", (files ? strlen(files) : 0) + 1);
	dg_final(&c, key);
}

/* Append s to *out (malloc'd); frees and NULLs it on failure. */
static void append(char **out, const char *s)
{
	size_t a, b;
	char *n;

	if (!*out)
		return;
	a = strlen(*out);
	b = strlen(s);
	n = realloc(*out, a + b + 1);
	if (!n) {
		free(*out);
		*out = NULL;
		return;
	}
	memcpy(n + a, s, b + 1);
	*out = n;
}

char *bld_quote_list(char *const *argv, size_t n)
{
	char *out = strdup("[");

	for (size_t i = 0; out && i < n; i++) {
		json_t *s = json_string(argv[i]);
		char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

		json_decref(s);
		if (!q) {
			free(out);
			return NULL;
		}
		if (i)
			append(&out, " ");
		append(&out, q);
		free(q);
	}
	append(&out, "]");
	return out;
}

char *bld_run_created_by(char *const *args, size_t nargs, bool json, char *const *build_env,
			 size_t nenv)
{
	char *out = strdup(""), num[32];

	if (nenv) {
		snprintf(num, sizeof(num), "|%zu", nenv);
		append(&out, num);
		for (size_t i = 0; i < nenv; i++) {
			append(&out, " ");
			append(&out, build_env[i]);
		}
		append(&out, " ");
	}
	if (json) {
		char *q = bld_quote_list(args, nargs);
		if (!q) {
			free(out);
			return NULL;
		}
		append(&out, "RUN ");
		append(&out, q);
		free(q);
	} else {
		append(&out, "/bin/sh -c ");
		append(&out, nargs ? args[0] : "");
	}
	return out;
}
