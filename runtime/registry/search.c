/* search.c - `docker search`; see search.h. */
#include "search.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "regconf.h"

#define HUB_INDEX "index.docker.io"

/* The registry named at the head of term, or Docker Hub's index. */
static const char *split_term(const char *term, char *host, size_t size)
{
	const char *slash = strchr(term, '/');
	size_t n = slash ? (size_t)(slash - term) : 0;

	if (slash && (memchr(term, '.', n) || memchr(term, ':', n) ||
		      (n == 9 && !strncmp(term, "localhost", 9))) &&
	    strncmp(term, "docker.io/", 10) && strncmp(term, HUB_INDEX "/", 16)) {
		snprintf(host, size, "%.*s", (int)n, term);
		return slash + 1;
	}
	snprintf(host, size, HUB_INDEX);
	return slash && n && !strncmp(term, "docker.io", n) ? slash + 1 : term;
}

/* Docker's Ellipsis: at most max characters (UTF-8 aware), the last "…". */
static void ellipsis(const char *s, size_t max, char *out, size_t size)
{
	size_t chars = 0, i = 0, cut = 0;

	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars == max)
			cut = i;
	if (chars <= max || size < cut + 4) {
		snprintf(out, size, "%s", s);
		return;
	}
	snprintf(out, size, "%.*s\xe2\x80\xa6", (int)cut, s);
}

static json_t *row(json_t *r, bool no_trunc)
{
	const char *name = json_string_value(json_object_get(r, "name"));
	const char *desc = json_string_value(json_object_get(r, "description"));
	char d[1024], shown[1100];

	snprintf(d, sizeof(d), "%s", desc ? desc : "");
	for (char *p = d; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (no_trunc)
		snprintf(shown, sizeof(shown), "%s", d);
	else
		ellipsis(d, 45, shown, sizeof(shown));
	return json_pack("{s:s, s:s, s:I, s:s, s:s}", "Name", name ? name : "", "Description",
			 shown, "StarCount", json_integer_value(json_object_get(r, "star_count")),
			 "IsOfficial", json_is_true(json_object_get(r, "is_official")) ? "[OK]" : "",
			 "IsAutomated",
			 json_is_true(json_object_get(r, "is_automated")) ? "[OK]" : "");
}

/* Go's strconv.ParseBool: 1 or 0, -2 for anything else. */
static int parse_bool(const char *v)
{
	static const char *const words[] = { "0", "f", "F", "false", "FALSE", "False",
					     "1", "t", "T", "true", "TRUE", "True" };

	for (int i = 0; i < 12; i++)
		if (!strcmp(v, words[i]))
			return i >= 6;
	return -2;
}

int reg_search_filter_parse(const struct strv *args, struct reg_search_filter *f, struct berr *e)
{
	*f = (struct reg_search_filter){ -1, -1, -1 };
	for (int i = 0; i < args->n; i++) {
		const char *a = args->v[i], *eq = strchr(a, '=');
		char *end;
		long n;

		if (!eq)
			return berr_msg(e, EINVAL, "bad format of filter (expected name=value)");
		if (!strncmp(a, "stars=", 6)) {
			n = strtol(eq + 1, &end, 10);
			if (end == eq + 1 || *end || n < 0 || n > 1 << 30)
				return berr_msg(e, EINVAL, "invalid filter '%s'", a);
			f->stars = n > f->stars ? n : f->stars;
		} else if (!strncmp(a, "is-official=", 12) || !strncmp(a, "is-automated=", 13)) {
			int *dst = a[3] == 'o' ? &f->official : &f->automated;
			if ((*dst = parse_bool(eq + 1)) < -1)
				return berr_msg(e, EINVAL, "invalid filter '%s'", a);
		} else {
			return berr_msg(e, EINVAL, "invalid filter '%.*s'", (int)(eq - a), a);
		}
	}
	return 0;
}

static bool passes(json_t *x, const struct reg_search_filter *f)
{
	int off = json_is_true(json_object_get(x, "is_official"));
	int aut = json_is_true(json_object_get(x, "is_automated"));

	return json_integer_value(json_object_get(x, "star_count")) >= f->stars &&
	       (f->official < 0 || f->official == off) && (f->automated < 0 || f->automated == aut);
}

static int parse_results(const struct reg_resp *r, const char *host, int limit, bool no_trunc,
			 const struct reg_search_filter *f, json_t **rows, struct berr *e)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->len, 0, NULL), *res, *x;
	size_t i;

	res = json_object_get(doc, "results");
	if (!json_is_array(res)) {
		json_decref(doc);
		return berr_msg(e, EPROTO, "registry %s: the search answer has no results", host);
	}
	*rows = json_array();
	json_array_foreach(res, i, x)
	{
		if ((int)i >= limit)
			break;
		if (json_is_object(x) && !passes(x, f))
			continue;
		if (!json_is_object(x) || json_array_append_new(*rows, row(x, no_trunc)) < 0) {
			json_decref(doc);
			return berr_msg(e, EPROTO, "registry %s: a search result is malformed", host);
		}
	}
	json_decref(doc);
	return 0;
}

int reg_search(const char *root, const char *term, int limit, bool no_trunc,
	       const struct reg_search_filter *f, json_t **rows, struct berr *e)
{
	struct reg_resp r = { .max = 4 << 20 };
	struct reg_conf conf;
	struct reg_client c;
	char host[256], path[1024], why[512];
	const char *q = split_term(term, host, sizeof(host));
	char *esc;
	int rc;

	*rows = NULL;
	if (limit < 1 || limit > 100)
		return berr_msg(e, EINVAL, "limit %d is outside the range of [1, 100]", limit);
	rc = reg_conf_load(root, &conf, e);
	if (rc < 0)
		return rc;
	rc = reg_client_open(&c, &conf, host, NULL, NULL, e);
	if (rc == 0) {
		esc = curl_easy_escape(c.easy, q, 0);
		snprintf(path, sizeof(path), "/v1/search?q=%s&n=%d", esc ? esc : "", limit);
		curl_free(esc);
		rc = reg_request(&c, NULL, path, NULL, NULL, 0, &r, e);
	}
	if (rc == 0 && r.status != 200) {
		reg_resp_reason(&r, why, sizeof(why));
		rc = berr_msg(e, EIO, "registry %s: search: %s", host, why);
	}
	if (rc == 0)
		rc = parse_results(&r, host, limit, no_trunc, f, rows, e);
	reg_resp_free(&r);
	reg_client_close(&c);
	reg_conf_free(&conf);
	return rc;
}
