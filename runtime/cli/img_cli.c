/* img_cli.c - `berth import|load|images|tag|rmi`, Docker's way. Errors are
 * one line on stderr, "Error: ...", exit code 1. */
#include "img_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_build.h"
#include "cli_ctr.h"
#include "runtime/image/image.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/template.h"
#include "runtime/lib/util.h"

static int fail(const struct berr *e)
{
	fprintf(stderr, "Error: %s\n", e->msg);
	return 1;
}

static int usage(const char *verb, const char *what, const char *use)
{
	fprintf(stderr, "\"berth %s\" %s.\nUsage:  berth %s\n", verb, what, use);
	return 1;
}

/* Value of --name VALUE / --name=VALUE (or -s VALUE) at argv[*i]; NULL
 * when argv[*i] is not that option. */
static const char *opt_value(int argc, char **argv, int *i, const char *s, const char *l,
			     bool *missing)
{
	size_t n = strlen(l);

	*missing = false;
	if ((s && strcmp(argv[*i], s) == 0) || strcmp(argv[*i], l) == 0) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (strncmp(argv[*i], l, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return NULL;
}

int img_cmd_import(const char *root, int argc, char **argv)
{
	char id[DG_STR_LEN];
	struct berr e;

	if (argc != 3)
		return usage("import", "requires exactly 2 arguments",
			     "import TARBALL|- NAME[:TAG]");
	if (img_import(root, argv[1], argv[2], id, &e) < 0)
		return fail(&e);
	printf("%s\n", id);
	return 0;
}

static void print_loaded(const char *ref, const char *id, void *ctx)
{
	if (*(bool *)ctx)
		return;
	if (*ref)
		printf("Loaded image: %s\n", ref);
	else
		printf("Loaded image ID: %s\n", id);
}

int img_cmd_load(const char *root, int argc, char **argv)
{
	const char *input = NULL;
	bool quiet = false, missing;
	struct berr e;

	for (int i = 1; i < argc; i++) {
		const char *v = opt_value(argc, argv, &i, "-i", "--input", &missing);
		if (missing)
			return usage("load", "needs a file after -i", "load [-q] [-i FILE|DIR]");
		if (v)
			input = v;
		else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = true;
		else
			return usage("load", "accepts no arguments", "load [-q] [-i FILE|DIR]");
	}
	if (!input) {
		if (isatty(0)) {
			fprintf(stderr,
				"Error: requested load from stdin, but stdin is a terminal\n");
			return 1;
		}
		input = "-";
	}
	if (img_load(root, input, print_loaded, &quiet, &e) < 0)
		return fail(&e);
	return 0;
}

#define DEFAULT_FORMAT "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

static bool ref_matches(const char *ref, const char *filter)
{
	char name[256], tag[160], fname[256], ftag[160];

	if (!filter)
		return true;
	lr_ref_split(ref, name, sizeof(name), tag, sizeof(tag));
	lr_ref_split(filter, fname, sizeof(fname), ftag, sizeof(ftag));
	return strcmp(name, fname) == 0 && (!*ftag || strcmp(tag, ftag) == 0);
}

static const struct tmpl_header image_headers[] = {
	{ "Repository", "REPOSITORY" }, { "Tag", "TAG" },	  { "ID", "IMAGE ID" },
	{ "CreatedSince", "CREATED" },	{ "CreatedAt", "CREATED AT" }, { "Size", "SIZE" },
	{ NULL, NULL },
};

static int render_images(struct img_summary *list, size_t n, const char *format, bool no_trunc,
			 const char *filter)
{
	char name[256], tag[160], id[80], since[64], size[32];
	json_t *rows = json_array();
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (list[i].ref[0]) {
			if (!ref_matches(list[i].ref, filter))
				continue;
			lr_ref_split(list[i].ref, name, sizeof(name), tag, sizeof(tag));
		} else {
			if (filter)
				continue;
			strcpy(name, "<none>");
			strcpy(tag, "<none>");
		}
		snprintf(id, sizeof(id), no_trunc ? "%s" : "%.12s",
			 no_trunc ? list[i].id : dg_hex(list[i].id));
		if (list[i].created)
			lr_human_since(time(NULL) - list[i].created, since, sizeof(since));
		else
			strcpy(since, "N/A");
		lr_human_size(list[i].size, size, sizeof(size));
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s}", "Repository",
						      name, "Tag", tag, "ID", id, "CreatedSince",
						      since, "Size", size));
	}
	rc = tmpl_print(format, rows, image_headers);
	json_decref(rows);
	return rc;
}

int img_cmd_images(const char *root, int argc, char **argv)
{
	const char *format = DEFAULT_FORMAT, *filter = NULL;
	bool quiet = false, no_trunc = false, missing;
	struct img_summary *list;
	struct berr e;
	size_t n;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = opt_value(argc, argv, &i, NULL, "--format", &missing);
		if (missing)
			return usage(
			    "images", "needs a template after --format",
			    "images [-q] [--no-trunc] [--format TEMPLATE] [REPOSITORY[:TAG]]");
		if (v)
			format = v;
		else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--no-trunc"))
			no_trunc = true;
		else if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all"))
			;
		else if (argv[i][0] != '-' && !filter)
			filter = argv[i];
		else
			return usage(
			    "images", "got an unknown flag or argument",
			    "images [-q] [--no-trunc] [--format TEMPLATE] [REPOSITORY[:TAG]]");
	}
	if (img_list(root, &list, &n, &e) < 0)
		return fail(&e);
	if (quiet) {
		for (size_t i = 0; i < n; i++) {
			bool seen = false;
			if (list[i].ref[0] ? !ref_matches(list[i].ref, filter) : filter != NULL)
				continue;
			for (size_t j = 0; j < i && !seen; j++)
				seen =
				    strcmp(list[j].id, list[i].id) == 0 &&
				    (list[j].ref[0] ? ref_matches(list[j].ref, filter) : !filter);
			if (!seen)
				printf(no_trunc ? "%s\n" : "%.12s\n",
				       no_trunc ? list[i].id : dg_hex(list[i].id));
		}
	} else {
		rc = render_images(list, n, format, no_trunc, filter);
	}
	free(list);
	return rc;
}

int img_cmd_tag(const char *root, int argc, char **argv)
{
	struct berr e;

	if (argc != 3)
		return usage("tag", "requires exactly 2 arguments",
			     "tag SOURCE_IMAGE TARGET_IMAGE");
	if (img_tag(root, argv[1], argv[2], &e) < 0)
		return fail(&e);
	return 0;
}

static void print_removed(const char *action, const char *what, void *ctx)
{
	(void)ctx;
	printf("%s: %s\n", action, what);
}

int img_cmd_rmi(const char *root, int argc, char **argv)
{
	bool force = false;
	int i = 1, rc = 0;
	struct berr e;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
			force = true;
		else
			return usage("rmi", "got an unknown flag", "rmi [-f] IMAGE...");
	}
	if (i >= argc)
		return usage("rmi", "requires at least 1 argument", "rmi [-f] IMAGE...");
	for (; i < argc; i++) {
		if (img_remove(root, argv[i], force, cli_image_in_use, print_removed, (void *)root, &e) <
		    0)
			rc = fail(&e);
	}
	return rc;
}

/* ---------------------------------------------------------------- history, inspect */

/* The config (parsed), layers and tags of an image. */
struct img_view {
	char id[DG_STR_LEN];
	json_t *cfg, *layers, *tags;
	uint64_t size;
};

static void view_free(struct img_view *v)
{
	json_decref(v->cfg);
	json_decref(v->layers);
	json_decref(v->tags);
}

static int view_load(const char *root, const char *ref, struct img_view *v, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	struct img_summary *list = NULL;
	json_error_t je;
	json_t *l;
	size_t n = 0, i;

	memset(v, 0, sizeof(*v));
	if (img_read(root, ref, v->id, &text, &v->layers, e) < 0)
		return -1;
	v->cfg = json_loads(text, 0, &je);
	v->tags = json_array();
	if (!json_is_object(v->cfg)) {
		berr_msg(e, EINVAL, "image %s: bad config: %s", v->id, je.text);
		return -1;
	}
	json_array_foreach(v->layers, i, l) v->size += json_integer_value(json_object_get(l, "size"));
	if (img_list(root, &list, &n, e) == 0) {
		for (i = 0; i < n; i++)
			if (!strcmp(list[i].id, v->id) && list[i].ref[0])
				json_array_append_new(v->tags, json_string(list[i].ref));
		free(list);
	}
	return 0;
}

static const struct tmpl_header history_headers[] = {
	{ "ID", "IMAGE" },	    { "CreatedSince", "CREATED" }, { "CreatedAt", "CREATED AT" },
	{ "CreatedBy", "CREATED BY" }, { "Size", "SIZE" },	   { "Comment", "COMMENT" },
	{ NULL, NULL },
};

/* Docker's Ellipsis: at most max characters (UTF-8 aware), "…" at the end. */
static void ellipsis(const char *in, size_t max, char *out, size_t size)
{
	size_t chars = 0, i = 0, cut = 0;

	for (; in[i]; i++) {
		if (((unsigned char)in[i] & 0xc0) != 0x80) {
			if (chars == max - 1)
				cut = i;
			chars++;
		}
	}
	if (chars <= max)
		snprintf(out, size, "%s", in);
	else
		snprintf(out, size, "%.*s\xe2\x80\xa6", (int)cut, in);
}

int img_cmd_history(const char *root, int argc, char **argv)
{
	const char *format = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
	const char *ref = NULL;
	bool no_trunc = false, quiet = false, missing;
	struct img_view v;
	struct berr e;
	json_t *rows, *h;
	size_t i, layer;
	int rc = 0;

	for (int k = 1; k < argc; k++) {
		const char *f = opt_value(argc, argv, &k, NULL, "--format", &missing);
		if (missing)
			return usage("history", "needs a template after --format", "history [OPTIONS] IMAGE");
		if (f)
			format = f;
		else if (!strcmp(argv[k], "--no-trunc"))
			no_trunc = true;
		else if (!strcmp(argv[k], "-q") || !strcmp(argv[k], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[k], "-H") || !strcmp(argv[k], "--human"))
			;
		else if (argv[k][0] != '-' && !ref)
			ref = argv[k];
		else
			return usage("history", "requires exactly 1 argument", "history [OPTIONS] IMAGE");
	}
	if (!ref)
		return usage("history", "requires exactly 1 argument", "history [OPTIONS] IMAGE");
	if (view_load(root, ref, &v, &e) < 0) {
		view_free(&v);
		return fail(&e);
	}
	rows = json_array();
	{
		json_t *hist = json_object_get(v.cfg, "history");
		size_t nl = json_array_size(v.layers);
		layer = nl;
		/* newest first; layers are matched from the top down */
		for (i = json_array_size(hist); i-- > 0;) {
			const char *cb, *when;
			char by[4096], since[64], size[32], id[80];
			bool empty;
			int64_t t = 0;
			struct tm tm = {0};

			h = json_array_get(hist, i);
			cb = json_string_value(json_object_get(h, "created_by"));
			when = json_string_value(json_object_get(h, "created"));
			empty = json_is_true(json_object_get(h, "empty_layer"));
			if (when && sscanf(when, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
					   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
				tm.tm_year -= 1900;
				tm.tm_mon -= 1;
				t = timegm(&tm);
			}
			if (t)
				lr_human_since(time(NULL) - t, since, sizeof(since));
			else
				strcpy(since, "N/A");
			if (!empty && layer > 0)
				lr_human_size(json_integer_value(json_object_get(
						  json_array_get(v.layers, --layer), "size")),
					      size, sizeof(size));
			else
				strcpy(size, "0B");
			snprintf(by, sizeof(by), "%s", cb ? cb : "");
			for (char *p = by; *p; p++)
				if (*p == '\t' || *p == '\n')
					*p = ' ';
			if (!no_trunc) {
				char t2[4096];
				ellipsis(by, 45, t2, sizeof(t2));
				snprintf(by, sizeof(by), "%s", t2);
			}
			if (i + 1 == json_array_size(hist))
				snprintf(id, sizeof(id), no_trunc ? "%s" : "%.12s",
					 no_trunc ? v.id : dg_hex(v.id));
			else
				strcpy(id, "<missing>");
			if (quiet) {
				if (strcmp(id, "<missing>"))
					printf("%s\n", id);
				continue;
			}
			json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id,
							      "CreatedSince", since, "CreatedAt",
							      when ? when : "", "CreatedBy", by, "Size",
							      size, "Comment",
							      json_string_value(json_object_get(h, "comment"))
								  ?: ""));
		}
	}
	if (!quiet && tmpl_print(format, rows, history_headers) != 0)
		rc = 1;
	json_decref(rows);
	view_free(&v);
	return rc;
}

static json_t *get_or_null(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return v ? json_incref(v) : json_null();
}

/* Docker's `image inspect` object. */
static json_t *inspect_object(const struct img_view *v)
{
	json_t *c = json_object_get(v->cfg, "config");
	json_t *config = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
				   "Hostname", "", "Domainname", "",
				   "User", json_string(json_string_value(json_object_get(c, "User")) ?: ""),
				   "ExposedPorts", get_or_null(c, "ExposedPorts"),
				   "Env", get_or_null(c, "Env"), "Cmd", get_or_null(c, "Cmd"),
				   "Healthcheck", get_or_null(c, "Healthcheck"),
				   "Volumes", get_or_null(c, "Volumes"),
				   "WorkingDir", json_string(json_string_value(json_object_get(c, "WorkingDir")) ?: ""),
				   "Entrypoint", get_or_null(c, "Entrypoint"),
				   "Labels", get_or_null(c, "Labels"));
	json_t *layers = json_deep_copy(json_object_get(json_object_get(v->cfg, "rootfs"), "diff_ids"));

	if (json_object_get(c, "StopSignal"))
		json_object_set(config, "StopSignal", json_object_get(c, "StopSignal"));
	if (!json_object_get(config, "Healthcheck") || json_is_null(json_object_get(config, "Healthcheck")))
		json_object_del(config, "Healthcheck");
	return json_pack("{s:s, s:O, s:[], s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:{s:s, s:o}, s:{s:s}}",
			 "Id", v->id, "RepoTags", v->tags, "RepoDigests", "Parent", "",
			 "Comment", "",
			 "Created", json_string_value(json_object_get(v->cfg, "created")) ?: "",
			 "Author", json_string_value(json_object_get(v->cfg, "author")) ?: "",
			 "Config", config,
			 "Architecture", json_string_value(json_object_get(v->cfg, "architecture")) ?: "amd64",
			 "Os", json_string_value(json_object_get(v->cfg, "os")) ?: "linux",
			 "Size", (json_int_t)v->size,
			 "RootFS", "Type", "layers", "Layers", layers ? layers : json_array(),
			 "Metadata", "LastTagTime", "");
}

int img_cmd_image_inspect(const char *root, int argc, char **argv)
{
	const char *format = NULL;
	json_t *all = json_array();
	bool missing;
	int rc = 0, n = 0;

	for (int k = 1; k < argc; k++) {
		const char *f = opt_value(argc, argv, &k, "-f", "--format", &missing);
		struct img_view v;
		struct berr e;
		json_t *obj;

		if (missing)
			return usage("image inspect", "needs a template after --format",
				     "image inspect [-f FORMAT] IMAGE...");
		if (f) {
			format = f;
			continue;
		}
		n++;
		if (view_load(root, argv[k], &v, &e) < 0) {
			fprintf(stderr, "Error: %s\n", e.msg);
			view_free(&v);
			rc = 1;
			continue;
		}
		obj = inspect_object(&v);
		view_free(&v);
		if (obj)
			json_array_append_new(all, obj);
	}
	if (n == 0) {
		json_decref(all);
		return usage("image inspect", "requires at least 1 argument",
			     "image inspect [-f FORMAT] IMAGE...");
	}
	if (format) {
		if (tmpl_print(format, all, NULL) != 0)
			rc = 1;
	} else {
		char *s = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
		free(s);
	}
	json_decref(all);
	return rc;
}

int img_cmd_save(const char *root, int argc, char **argv);

int img_cmd_image(const char *root, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const char *, int, char **);
	} subs[] = {
		{"inspect", img_cmd_image_inspect}, {"history", img_cmd_history},
		{"ls", img_cmd_images},		    {"list", img_cmd_images},
		{"rm", img_cmd_rmi},		    {"tag", img_cmd_tag},
		{"load", img_cmd_load},		    {"import", img_cmd_import},
		{"build", bld_cmd_build},	    {"save", img_cmd_save},
	};

	if (argc < 2)
		return usage("image", "requires a subcommand",
			     "image inspect|history|ls|rm|tag|load|import|build ...");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(root, argc - 1, argv + 1);
	fprintf(stderr, "Error: unknown image command \"%s\"\n", argv[1]);
	return 1;
}

int img_cmd_save(const char *root, int argc, char **argv)
{
	const char *output = NULL;
	char **refs = calloc(argc + 1, sizeof(char *));
	char tmp[4096];
	int n = 0, fd, rc = 1;
	bool missing;
	struct berr e;

	if (!refs)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *v = opt_value(argc, argv, &i, "-o", "--output", &missing);
		if (missing) {
			free(refs);
			return usage("save", "needs a file after -o", "save [-o FILE] IMAGE...");
		}
		if (v)
			output = v;
		else
			refs[n++] = argv[i];
	}
	if (n == 0) {
		free(refs);
		return usage("save", "requires at least 1 argument", "save [-o FILE] IMAGE...");
	}
	if (!output && isatty(1)) {
		fprintf(stderr, "Error: cowardly refusing to save to a terminal. Use the -o flag "
				"or redirect\n");
		free(refs);
		return 1;
	}
	if (output) {
		/* written beside, renamed when complete: no half archive */
		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", output, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "Error: open %s: %s\n", output, strerror(errno));
			free(refs);
			return 1;
		}
	} else {
		fd = 1;
	}
	if (img_save(root, refs, n, fd, &e) < 0) {
		fail(&e);
	} else if (output && (fsync(fd) < 0 || rename(tmp, output) < 0)) {
		fprintf(stderr, "Error: write %s: %s\n", output, strerror(errno));
	} else {
		rc = 0;
	}
	if (output) {
		close(fd);
		if (rc)
			unlink(tmp);
	}
	free(refs);
	return rc;
}
