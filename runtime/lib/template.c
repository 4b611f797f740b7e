#include "template.h"


#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The size *out has for a length: powers of two, so a table of many rows
 * is not copied again at every field. */
static size_t out_cap(size_t n)
{
	size_t c = 64;

	while (c < n)
		c *= 2;
	return c;
}

static int append(char **out, size_t *len, const char *s, size_t n)
{
	char *g = *out;

	if (!g || *len + n + 1 > out_cap(*len + 1))
		g = realloc(*out, out_cap(*len + n + 1));
	if (!g)
		return -ENOMEM;
	memcpy(g + *len, s, n);
	*len += n;
	g[*len] = '\0';
	*out = g;
	return 0;
}

/* Objects that are maps in Docker's Go types (a missing key is "<no
 * value>"), not structs (a missing field is an error). */
static bool is_map(const char *key, const char *parent)
{
	static const char *const maps[] = { "Labels", "Networks", "Ports", "Tmpfs", "Sysctls",
					    "ExposedPorts", "Volumes", "Options", "DriverOpts",
					    "Attributes" };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		if (strcmp(key, maps[i]) == 0)
			return true;
	}
	return strcmp(key, "Config") == 0 && strcmp(parent, "LogConfig") == 0;
}

/* The value at path, or NULL; *map_miss when what is missing is a map's
 * key. */
static json_t *lookup(json_t *obj, const char *path, bool *map_miss)
{
	char part[128], parent[128] = "", grand[128] = "";

	*map_miss = false;
	if (strcmp(path, ".") == 0)
		return obj;
	while (*path == '.') {
		size_t n = strcspn(path + 1, ".");
		json_t *next;

		if (n == 0 || n >= sizeof(part))
			return NULL;
		memcpy(part, path + 1, n);
		part[n] = '\0';
		next = json_object_get(obj, part);
		if (!next) {
			*map_miss = json_is_object(obj) && parent[0] && is_map(parent, grand) &&
				    !path[1 + n];
			return NULL;
		}
		memcpy(grand, parent, sizeof(grand));
		memcpy(parent, part, sizeof(parent));
		obj = next;
		path += 1 + n;
	}
	return *path ? NULL : obj;
}

static int render_value(json_t *v, bool as_json, char **out, size_t *len)
{
	char num[64];
	char *text;
	int r;

	if (as_json || json_is_object(v) || json_is_array(v)) {
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!text)
			return -ENOMEM;
		r = append(out, len, text, strlen(text));
		free(text);
		return r;
	}
	if (json_is_string(v))
		return append(out, len, json_string_value(v), json_string_length(v));
	if (json_is_integer(v))
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(num, sizeof(num), "true");
	else if (json_is_false(v))
		snprintf(num, sizeof(num), "false");
	else
		snprintf(num, sizeof(num), "<no value>");
	return append(out, len, num, strlen(num));
}

int tmpl_render(const char *tmpl, json_t *obj, char **out, size_t *len, struct berr *e)
{
	const char *p = tmpl;

	while (*p) {
		const char *open = strstr(p, "{{");
		const char *close;
		char action[256], *a;
		bool as_json = false, map_miss;
		json_t *v;

		/* literal text, with \t and \n as Docker's CLI reads them */
		for (const char *q = p; q < (open ? open : p + strlen(p)); q++) {
			bool esc = q[0] == '\\' && (q[1] == 't' || q[1] == 'n');

			if (append(out, len, esc ? (q[1] == 't' ? "\t" : "\n") : q, 1) < 0)
				return berr_set(e, ENOMEM, "template");
			q += esc;
		}
		if (!open)
			break;
		close = strstr(open + 2, "}}");
		if (!close)
			return berr_msg(e, EINVAL, "template: unclosed action in \"%s\"", tmpl);
		if ((size_t)(close - open - 2) >= sizeof(action))
			return berr_msg(e, EINVAL, "template: action too long");
		memcpy(action, open + 2, close - open - 2);
		action[close - open - 2] = '\0';
		a = action;
		while (isspace((unsigned char)*a))
			a++;
		for (char *end = a + strlen(a); end > a && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		if (strncmp(a, "json ", 5) == 0) {
			as_json = true;
			a += 5;
			while (isspace((unsigned char)*a))
				a++;
		}
		if (*a != '.')
			return berr_msg(e, EINVAL, "template: unsupported action \"{{%s}}\"", action);
		v = lookup(obj, a, &map_miss);
		if (!v && map_miss)
			v = json_null(); /* printed as Go prints a map's missing key */
		if (!v)
			return berr_msg(e, EINVAL,
					"template: can't evaluate field %s in \"%s\"", a + 1, tmpl);
		if (render_value(v, as_json, out, len) < 0)
			return berr_set(e, ENOMEM, "template");
		p = close + 2;
	}
	return 0;
}

/* Split text into lines and align them as Docker's tabwriter does. */
static void print_aligned(char *text)
{
	char **rows = NULL, *out;
	size_t n = 0;

	for (char *l = text, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		char **g;

		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		g = realloc(rows, (n + 1) * sizeof(*rows));
		if (!g)
			break;
		rows = g;
		rows[n++] = l;
	}
	out = tmpl_tabulate(rows, n);
	if (out)
		fputs(out, stdout);
	free(out);
	free(rows);
}

static const char *title_for(const struct tmpl_header *h, const char *field, char *buf, size_t size)
{
	for (; h && h->field; h++) {
		if (strcmp(h->field, field) == 0)
			return h->title;
	}
	snprintf(buf, size, "%s", field);
	for (char *p = buf; *p; p++)
		*p = toupper((unsigned char)*p);
	return buf;
}

/* The header row of a table (tmpl without its "table " prefix): the
 * template with each {{.X}} replaced by X's title; dotted paths take the
 * last component's title. */
static int table_header(const char *tmpl, const struct tmpl_header *headers, char **out,
			size_t *len, struct berr *e)
{
	json_t *titles = json_object();
	int r;

	for (const char *q = strstr(tmpl, "{{"); q; q = strstr(q + 2, "{{")) {
		char field[128], buf[128];
		const char *c = strstr(q, "}}");
		const char *f = q + 2;
		size_t n;

		while (*f == ' ')
			f++;
		if (strncmp(f, "json ", 5) == 0)
			f += 5;
		if (!c || *f != '.')
			continue;
		n = strcspn(f + 1, " }");
		if (n >= sizeof(field))
			continue;
		memcpy(field, f + 1, n);
		field[n] = '\0';
		json_object_set_new(titles, field,
				    json_string(title_for(headers, field, buf, sizeof(buf))));
	}
	r = tmpl_render(tmpl, titles, out, len, e);
	json_decref(titles);
	if (r == 0 && append(out, len, "\n", 1) < 0)
		r = berr_set(e, ENOMEM, "template");
	return r;
}

/* Each row on its line: printed as it comes, or for a table kept in out
 * to be aligned at the end. */
static int render_rows(const char *tmpl, json_t *rows, bool table, char **out, size_t *len,
		       struct berr *e)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		int r = tmpl_render(tmpl, row, out, len, e);

		if (r == 0 && append(out, len, "\n", 1) < 0)
			r = berr_set(e, ENOMEM, "template");
		if (r < 0)
			return r;
		if (!table) {
			fputs(*out, stdout);
			*len = 0;
			**out = '\0';
		}
	}
	return 0;
}

int tmpl_print(const char *tmpl, json_t *rows, const struct tmpl_header *headers)
{
	bool table = strncmp(tmpl, "table", 5) == 0 && (tmpl[5] == ' ' || tmpl[5] == '\0');
	char *out = NULL;
	size_t len = 0;
	struct berr e;
	int r = 0;

	if (strcmp(tmpl, "json") == 0)
		tmpl = "{{json .}}";
	if (table) {
		tmpl += 5;
		while (*tmpl == ' ')
			tmpl++;
		r = table_header(tmpl, headers, &out, &len, &e);
	}
	if (r == 0)
		r = render_rows(tmpl, rows, table, &out, &len, &e);
	if (r == 0 && table && out)
		print_aligned(out);
	free(out);
	if (r < 0) {
		fflush(stdout);
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	return 0;
}

const char *tmpl_choose(const char *format, const char *table_default)
{
	return !format || !*format || strcmp(format, "table") == 0 ? table_default : format;
}

#define TAB_MINWIDTH 10
#define TAB_PADDING 3
#define TAB_MAXCOLS 32

/* The width of text as tabwriter counts it: characters, not UTF-8 bytes. */
static size_t cells(const char *p, const char *end)
{
	size_t n = 0;

	for (; p < end; p++)
		n += ((unsigned char)*p & 0xc0) != 0x80;
	return n;
}

char *tmpl_tabulate(char *const *rows, size_t nrows)
{
	size_t width[TAB_MAXCOLS] = {0}, total = 1;
	char *res, *w;

	for (size_t r = 0; r < nrows; r++) {
		const char *p = rows[r];
		size_t col = 0;

		total += strlen(p) + 1;
		for (const char *t; (t = strchr(p, '\t')) && col < TAB_MAXCOLS; p = t + 1, col++) {
			size_t n = cells(p, t) + TAB_PADDING;
			if (n < TAB_MINWIDTH)
				n = TAB_MINWIDTH;
			if (n > width[col])
				width[col] = n;
		}
	}
	for (size_t c = 0; c < TAB_MAXCOLS; c++)
		total += width[c] * nrows;
	res = w = malloc(total);
	if (!res)
		return NULL;
	for (size_t r = 0; r < nrows; r++) {
		const char *p = rows[r], *t;
		size_t col = 0;

		for (; (t = strchr(p, '\t')) && col < TAB_MAXCOLS; p = t + 1, col++) {
			size_t n = t - p;
			memcpy(w, p, n);
			memset(w + n, ' ', width[col] - cells(p, t));
			w += n + width[col] - cells(p, t);
		}
		w = stpcpy(w, p);
		*w++ = '\n';
	}
	*w = '\0';
	return res;
}
