#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_priv.h"

/* Docker's preFormat: the format trimmed of spaces, then \t and \n as
 * typed become a tab and a newline, everywhere (malloc'd). */
static char *unescape(const char *t)
{
	size_t n = strlen(t);
	char *d, *w;

	while (*t == ' ')
		t++, n--;
	while (n && t[n - 1] == ' ')
		n--;
	d = w = malloc(n + 1);
	for (const char *q = t; d && q < t + n; q++) {
		bool esc = q[0] == '\\' && (q[1] == 't' || q[1] == 'n') && q + 1 < t + n;

		*w++ = esc ? (q[1] == 't' ? '\t' : '\n') : *q;
		q += esc;
	}
	if (d)
		*w = '\0';
	return d;
}

/* The parsed form of a --format as Docker reads it. */
static int parse_format(const char *text, struct tmpl **t, struct berr *e)
{
	char *src = unescape(text);
	int r = src ? tmpl_parse(src, t, e) : berr_set(e, ENOMEM, "template");

	free(src);
	return r;
}

int tmpl_render(const char *text, json_t *obj, char **out, size_t *len, struct berr *e)
{
	struct tmpl *t;
	int r = parse_format(text, &t, e);

	if (r == 0) {
		r = tmpl_exec(t, obj, false, out, len, e);
		tmpl_free(t);
	}
	return r;
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

/* What a table's header row is rendered from, as Docker's FullHeader:
 * each field's title; a field not listed is titled by its name in upper
 * case (template_exec.c). */
static json_t *titles(const struct tmpl_header *h)
{
	json_t *t = json_object();

	for (; t && h && h->field; h++)
		json_object_set_new(t, h->field, json_string(h->title));
	return t;
}

/* The table: the header row (rendered with Docker's header functions;
 * what fails to render there is left out, as Docker does), then the
 * rows, aligned. */
static void print_table(const struct tmpl *t, const struct tmpl_header *headers, char *rows)
{
	json_t *ti = titles(headers);
	char *text = NULL;
	size_t len = 0;
	struct berr e;

	berr_ignore(tmpl_exec(t, ti, true, &text, &len, &e)); /* partial, as Docker's */
	json_decref(ti);
	if (tx_append(&text, &len, "\n", 1) == 0 && tx_append(&text, &len, rows, strlen(rows)) == 0)
		print_aligned(text);
	free(text);
}

int tmpl_print(const char *format, json_t *rows, const struct tmpl_header *headers)
{
	bool table = strncmp(format, "table", 5) == 0;
	struct tmpl *t = NULL;
	char *out = NULL;
	size_t len = 0, i;
	struct berr e;
	json_t *row;
	int r;

	r = parse_format(strcmp(format, "json") == 0 ? "{{json .}}" : format + (table ? 5 : 0), &t,
			 &e);
	json_array_foreach(rows, i, row) {
		if (r == 0)
			r = tmpl_exec(t, row, false, &out, &len, &e);
		if (r == 0 && tx_append(&out, &len, "\n", 1) < 0)
			r = berr_set(&e, ENOMEM, "template");
	}
	if (r == 0 && table)
		print_table(t, headers, out ? out : "");
	else if (r == 0 && out)
		fputs(out, stdout);
	free(out);
	tmpl_free(t);
	if (r < 0) {
		fflush(stdout);
		fprintf(stderr, "berth: template parsing error: %s\n", e.msg);
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
