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

/* ---------------------------------------------------------------- ignore */

static void clean_pattern(char *p)
{
	char *r = p, *w = p;

	while (*r == '/' || (r[0] == '.' && r[1] == '/'))
		r += *r == '/' ? 1 : 2;
	while (*r) {
		if (r[0] == '/' && (r[1] == '/' || r[1] == '\0')) {
			r++;
			continue;
		}
		if (r[0] == '/' && r[1] == '.' && (r[2] == '/' || r[2] == '\0')) {
			r += 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

int bld_ignore_parse(const char *text, struct bld_ignore *ig)
{
	const char *s = text;

	memset(ig, 0, sizeof(*ig));
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *line = strndup(s, len), *t;
		bool neg = false;

		s = nl ? nl + 1 : NULL;
		if (!line)
			goto nomem;
		t = line;
		while (*t == ' ' || *t == '\t')
			t++;
		len = strlen(t);
		while (len && (t[len - 1] == ' ' || t[len - 1] == '\t' || t[len - 1] == '\r'))
			t[--len] = '\0';
		if (!*t || *t == '#') {
			free(line);
			continue;
		}
		if (*t == '!') {
			neg = true;
			t++;
		}
		clean_pattern(t);
		if (!*t) {
			free(line);
			continue;
		}
		{
			char **np = realloc(ig->pat, (ig->n + 1) * sizeof(*np));
			bool *nn = np ? realloc(ig->negate, (ig->n + 1) * sizeof(*nn)) : NULL;
			if (np)
				ig->pat = np;
			if (nn)
				ig->negate = nn;
			if (!np || !nn || !(ig->pat[ig->n] = strdup(t))) {
				free(line);
				goto nomem;
			}
			ig->negate[ig->n++] = neg;
		}
		free(line);
	}
	return 0;
nomem:
	bld_ignore_free(ig);
	return -12; /* -ENOMEM */
}

void bld_ignore_free(struct bld_ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		free(ig->pat[i]);
	free(ig->pat);
	free(ig->negate);
	memset(ig, 0, sizeof(*ig));
}

/* Match one pattern against a whole path: '*', '?', '[...]' within an
 * element, "**" across elements. */
static bool match(const char *p, const char *s)
{
	while (*p) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/')
				p++;
			for (const char *t = s;; t++) {
				if (match(p, t))
					return true;
				if (!*t)
					return false;
			}
		}
		if (*p == '*') {
			p++;
			for (const char *t = s;; t++) {
				if (match(p, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (*p == '?') {
			if (!*s || *s == '/')
				return false;
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			const char *end = strchr(p + 1, ']');
			bool neg, hit = false;
			const char *q;
			if (!end || !*s || *s == '/')
				return false;
			q = p + 1;
			neg = *q == '^' || *q == '!';
			if (neg)
				q++;
			for (; q < end; q++) {
				if (q + 2 < end && q[1] == '-') {
					hit |= *s >= q[0] && *s <= q[2];
					q += 2;
				} else {
					hit |= *s == *q;
				}
			}
			if (hit == neg)
				return false;
			p = end + 1;
			s++;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *s == '\0';
}

bool bld_ignored(const struct bld_ignore *ig, const char *path)
{
	bool ignored = false;

	for (size_t i = 0; i < ig->n; i++) {
		char buf[4096];
		bool hit = false;

		/* the path itself or any parent directory of it */
		snprintf(buf, sizeof(buf), "%s", path);
		for (;;) {
			char *slash;
			if (match(ig->pat[i], buf)) {
				hit = true;
				break;
			}
			slash = strrchr(buf, '/');
			if (!slash)
				break;
			*slash = '\0';
		}
		if (hit)
			ignored = !ig->negate[i];
	}
	return ignored;
}
