/* img_ls.c - listing images (img_ls.h). */
#include "img_ls.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_filter.h"
#include "runtime/image/image.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/template.h"
#include "runtime/lib/util.h"

struct ls_opts {
	const char *format;
	bool quiet, no_trunc, all, digests;
	struct strv filters;
};

#define I(f) struct ls_opts, f
const struct flg img_ls_flags[] = {
    FLG_BOOL('a', "all", I(all), "Show all images (the default)"),
    FLG_BOOL(0, "digests", I(digests), "Show digests"),
    FLG_STRINGS('f', "filter", I(filters), "Filter output based on conditions provided"),
    FLG_STRING(0, "format", I(format),
	       "Format output using a Go template, 'table', 'table TEMPLATE' or 'json'"),
    FLG_BOOL(0, "no-trunc", I(no_trunc), "Don't truncate output"),
    FLG_BOOL('q', "quiet", I(quiet), "Only show image IDs"),
    FLG_END,
};

#define LS_TABLE "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
#define LS_TABLE_DIGESTS                                                                           \
	"table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

static const struct tmpl_header ls_headers[] = {
    {"Repository", "REPOSITORY"},
    {"Tag", "TAG"},
    {"ID", "IMAGE ID"},
    {"CreatedSince", "CREATED"},
    {"CreatedAt", "CREATED AT"},
    {"Size", "SIZE"},
    {"Digest", "DIGEST"},
    {"VirtualSize", "VIRTUAL SIZE"},
    {NULL, NULL},
};

static const char *const ls_filter_keys[] = {"reference", "dangling", "label",
					     "before",	  "since",    NULL};

struct ls_item {
	const struct img_summary *s;
	char name[256], tag[160];
};

/* reference: a glob over name and name:tag, '*' not crossing '/'. */
static bool m_reference(const char *v, void *ctx)
{
	struct ls_item *it = ctx;
	char full[420];

	if (!it->s->ref[0])
		return false;
	snprintf(full, sizeof(full), "%s:%s", it->name, it->tag);
	return fnmatch(v, it->name, FNM_PATHNAME) == 0 || fnmatch(v, full, FNM_PATHNAME) == 0;
}

static bool m_dangling(const char *v, void *ctx)
{
	struct ls_item *it = ctx;

	return flt_bool(v) == (it->s->ref[0] == '\0');
}

static bool m_label(const char *v, void *ctx)
{
	struct ls_item *it = ctx;
	char copy[sizeof(it->s->labels)], *lines[64];

	snprintf(copy, sizeof(copy), "%s", it->s->labels);
	flt_lines(copy, lines, 64);
	return flt_label_match(v, lines);
}

/* before=/since= an image: its created time, or -1; -2 after an error. */
static int64_t ref_created(const struct strv *f, const char *key, const char *root)
{
	size_t kl = strlen(key);

	for (int i = 0; i < f->n; i++) {
		struct img_summary *list;
		struct img_info info;
		struct berr e;
		int64_t t = -2;
		size_t n;

		if (strncmp(f->v[i], key, kl) != 0 || f->v[i][kl] != '=')
			continue;
		if (img_resolve(root, f->v[i] + kl + 1, &info, &e) < 0 ||
		    img_list(root, &list, &n, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			return -2;
		}
		for (size_t k = 0; k < n; k++) {
			if (strcmp(list[k].id, info.id) == 0)
				t = list[k].created;
		}
		free(list);
		img_info_free(&info);
		return t;
	}
	return -1;
}

/* The positional REPOSITORY[:TAG]: that name, and that tag if given. */
static bool ref_matches(const struct ls_item *it, const char *filter)
{
	char fname[256], ftag[160];

	if (!filter)
		return true;
	if (!it->s->ref[0])
		return false;
	lr_ref_split(filter, fname, sizeof(fname), ftag, sizeof(ftag));
	return strcmp(it->name, fname) == 0 && (!*ftag || strcmp(it->tag, ftag) == 0);
}

static bool ls_pass(const struct ls_opts *o, struct ls_item *it, const char *filter, int64_t before,
		    int64_t since)
{
	if (!ref_matches(it, filter))
		return false;
	if ((before >= 0 && it->s->created >= before) || (since >= 0 && it->s->created <= since))
		return false;
	return flt_pass(&o->filters, "reference", m_reference, it) &&
	       flt_pass(&o->filters, "dangling", m_dangling, it) &&
	       flt_pass(&o->filters, "label", m_label, it);
}

static json_t *ls_row(const struct ls_item *it, bool no_trunc)
{
	char id[80], since[64], size[32], created[64];
	const struct img_summary *s = it->s;

	snprintf(id, sizeof(id), no_trunc ? "%s" : "%.12s", no_trunc ? s->id : dg_hex(s->id));
	if (s->created) {
		lr_human_since(time(NULL) - s->created, since, sizeof(since));
		go_time(s->created, created, sizeof(created));
	} else {
		strcpy(since, "N/A");
		strcpy(created, "N/A");
	}
	lr_human_size(s->size, size, sizeof(size));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers",
			 "N/A", "CreatedAt", created, "CreatedSince", since, "Digest",
			 s->digest[0] ? s->digest : "<none>", "ID", id, "Repository", it->name,
			 "SharedSize", "N/A", "Size", size, "Tag", it->tag, "UniqueSize", "N/A",
			 "VirtualSize", size);
}

/* The rows that pass, once per image ID with -q. */
static json_t *ls_rows(const struct ls_opts *o, const struct img_summary *list, size_t n,
		       const char *filter, int64_t before, int64_t since)
{
	json_t *rows = json_array(), *seen = json_object();

	for (size_t i = 0; i < n; i++) {
		struct ls_item it = {.s = &list[i]};

		if (list[i].ref[0]) {
			lr_ref_split(list[i].ref, it.name, sizeof(it.name), it.tag, sizeof(it.tag));
		} else {
			strcpy(it.name, "<none>");
			strcpy(it.tag, "<none>");
		}
		if (!ls_pass(o, &it, filter, before, since))
			continue;
		if (o->quiet && json_object_get(seen, list[i].id))
			continue;
		json_object_set_new(seen, list[i].id, json_true());
		json_array_append_new(rows, ls_row(&it, o->no_trunc));
	}
	json_decref(seen);
	return rows;
}

static int ls_print(const struct ls_opts *o, const char *root, const char *filter)
{
	const char *table = o->digests ? LS_TABLE_DIGESTS : LS_TABLE;
	int64_t before = ref_created(&o->filters, "before", root);
	int64_t since = ref_created(&o->filters, "since", root);
	struct img_summary *list;
	struct berr e;
	json_t *rows;
	size_t n;
	int rc;

	if (before == -2 || since == -2)
		return 1;
	/* -q prints IDs only: no walk of the layers for their sizes */
	if ((o->quiet ? img_list : img_list_unpacked)(root, &list, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	rows = ls_rows(o, list, n, filter, before, since);
	rc = tmpl_print(o->quiet ? "{{.ID}}" : tmpl_choose(o->format, table), rows, ls_headers);
	json_decref(rows);
	free(list);
	return rc;
}

static int ls_check(const struct strv *f)
{
	struct berr e;

	if (flt_check(f, ls_filter_keys, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -1;
	}
	for (int i = 0; i < f->n; i++) {
		if (strncmp(f->v[i], "dangling=", 9) == 0 && flt_bool(f->v[i] + 9) < 0) {
			fprintf(stderr, "berth: Invalid filter 'dangling=%s'\n", f->v[i] + 9);
			return -1;
		}
	}
	return 0;
}

int img_ls_run(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	struct ls_opts o = {0};
	struct flg_out a;
	int rc = 1;

	if (flg_verb(c, &o, argc, argv, &a) < 0)
		rc = a.status;
	else if (ls_check(&o.filters) == 0)
		rc = ls_print(&o, root, a.argc ? a.argv[0] : NULL);
	strv_free(&o.filters);
	return rc;
}
