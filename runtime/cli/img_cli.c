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

#include "cli_events.h"
#include "cli_build.h"
#include "cli_ctr.h"
#include "flags.h"
#include "cli_prune.h"
#include "img_ls.h"
#include "runtime/image/image.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/template.h"
#include "runtime/lib/util.h"

static int fail(const struct berr *e)
{
	fprintf(stderr, "Error: %s\n", e->msg);
	return 1;
}

struct img_opts {
	const char *format, *input, *output;
	bool quiet, no_trunc, all, force, human;
};

#define I(f) struct img_opts, f
static const struct flg load_flags[] = {
	FLG_STRING('i', "input", I(input), "Read from tar archive `file` (or an OCI layout directory), instead of STDIN"),
	FLG_BOOL('q', "quiet", I(quiet), "Suppress the load output"),
	FLG_END,
};

static const struct flg rmi_flags[] = {
	FLG_BOOL('f', "force", I(force), "Force removal of the image"),
	FLG_END,
};

static const struct flg history_flags[] = {
	FLG_STRING(0, "format", I(format), "Format output using a Go template"),
	FLG_BOOL('H', "human", I(human), "Print sizes and dates in human readable format"),
	FLG_BOOL(0, "no-trunc", I(no_trunc), "Don't truncate output"),
	FLG_BOOL('q', "quiet", I(quiet), "Only show image IDs"),
	FLG_END,
};

static const struct flg inspect_flags[] = {
	FLG_STRING('f', "format", I(format), "Format output using a Go template"),
	FLG_END,
};

static const struct flg save_flags[] = {
	FLG_STRING('o', "output", I(output), "Write to a file, instead of STDOUT"),
	FLG_END,
};

#define F_IMG_IMAGES_CMD \
	.usage = "[OPTIONS] [REPOSITORY[:TAG]]", \
	.desc = "List images", \
	.flags = img_ls_flags, \
	.max_args = 1
const struct flg_cmd img_images_cmd = {
	.path = "images",
	F_IMG_IMAGES_CMD,
};

#define F_IMG_IMPORT_CMD \
	.usage = "file|- REPOSITORY[:TAG]", \
	.desc = "Create an image from a rootfs tarball", \
	.min_args = 2, \
	.max_args = 2
const struct flg_cmd img_import_cmd = {
	.path = "import",
	F_IMG_IMPORT_CMD,
};

#define F_IMG_LOAD_CMD \
	.usage = "[OPTIONS]", \
	.desc = "Load images (OCI layout/archive, docker-archive)", \
	.flags = load_flags
const struct flg_cmd img_load_cmd = {
	.path = "load",
	F_IMG_LOAD_CMD,
};

#define F_IMG_TAG_CMD \
	.usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", \
	.desc = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", \
	.min_args = 2, \
	.max_args = 2
const struct flg_cmd img_tag_cmd = {
	.path = "tag",
	F_IMG_TAG_CMD,
};

#define F_IMG_RMI_CMD \
	.usage = "[OPTIONS] IMAGE [IMAGE...]", \
	.desc = "Remove one or more images", \
	.flags = rmi_flags, \
	.min_args = 1, \
	.max_args = -1
const struct flg_cmd img_rmi_cmd = {
	.path = "rmi",
	F_IMG_RMI_CMD,
};

#define F_IMG_HISTORY_CMD \
	.usage = "[OPTIONS] IMAGE", \
	.desc = "Show the history of an image", \
	.flags = history_flags, \
	.min_args = 1, \
	.max_args = 1
const struct flg_cmd img_history_cmd = {
	.path = "history",
	F_IMG_HISTORY_CMD,
};

static int sub_inspect(void *ctx, int argc, char **argv);

static const struct flg_cmd img_inspect_cmd = {
	.path = "image inspect",
	.run = sub_inspect,
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.desc = "Display detailed information on one or more images",
	.flags = inspect_flags,
	.min_args = 1,
	.max_args = -1,
};

#define F_IMG_SAVE_CMD \
	.usage = "[OPTIONS] IMAGE [IMAGE...]", \
	.desc = "Save one or more images to a tar archive (streamed to STDOUT by default)", \
	.flags = save_flags, \
	.min_args = 1, \
	.max_args = -1
const struct flg_cmd img_save_cmd = {
	.path = "save",
	F_IMG_SAVE_CMD,
};

static int run_import(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	char id[DG_STR_LEN];
	struct flg_out a;
	struct berr e;

	if (flg_verb(c, NULL, argc, argv, &a) < 0)
		return a.status;
	if (img_import(root, a.argv[0], a.argv[1], id, &e) < 0)
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

static int run_load(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	struct img_opts o = { 0 };
	struct flg_out a;
	const char *input;
	bool quiet;
	struct berr e;

	if (flg_verb(c, &o, argc, argv, &a) < 0)
		return a.status;
	input = o.input;
	quiet = o.quiet;
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

static int run_images(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	return img_ls_run(c, root, argc, argv);
}

static int run_tag(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	struct flg_out a;
	struct berr e;

	if (flg_verb(c, NULL, argc, argv, &a) < 0)
		return a.status;
	if (img_tag(root, a.argv[0], a.argv[1], &e) < 0)
		return fail(&e);
	cli_events_image(root, "tag", a.argv[0], a.argv[1]);
	return 0;
}

static void print_removed(const char *action, const char *what, void *ctx)
{
	printf("%s: %s\n", action, what);
	cli_events_note(ctx, "image", strcmp(action, "Deleted") == 0 ? "delete" : "untag", what, NULL);
}

static int run_rmi(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	struct img_opts o = { 0 };
	struct flg_out a;
	int rc = 0;
	struct berr e;

	if (flg_verb(c, &o, argc, argv, &a) < 0)
		return a.status;
	for (int i = 0; i < a.argc; i++) {
		if (img_remove(root, a.argv[i], o.force, cli_image_in_use, print_removed, (void *)root, &e) <
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
	if (img_list_unpacked(root, &list, &n, e) == 0) {
		for (i = 0; i < n; i++) {
			if (strcmp(list[i].id, v->id) != 0)
				continue;
			v->size = list[i].size; /* Docker's Size: unpacked */
			if (list[i].ref[0])
				json_array_append_new(v->tags, json_string(list[i].ref));
		}
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

static int run_history(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	struct img_opts o = {
		.format = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
		.human = true,
	};
	const char *format, *ref;
	bool no_trunc, quiet;
	struct flg_out a;
	struct img_view v;
	struct berr e;
	json_t *rows, *h;
	size_t i, layer;
	int rc = 0;

	if (flg_verb(c, &o, argc, argv, &a) < 0)
		return a.status;
	format = o.format;
	ref = a.argv[0];
	no_trunc = o.no_trunc;
	quiet = o.quiet;
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

static int run_image_inspect(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	struct img_opts o = { 0 };
	const char *format;
	struct flg_out a;
	json_t *all;
	int rc = 0;

	if (flg_verb(c, &o, argc, argv, &a) < 0)
		return a.status;
	format = o.format;
	all = json_array();
	for (int k = 0; k < a.argc; k++) {
		struct img_view v;
		struct berr e;
		json_t *obj;

		if (view_load(root, a.argv[k], &v, &e) < 0) {
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


static int run_save(const struct flg_cmd *c, const char *root, int argc, char **argv)
{
	struct img_opts o = { 0 };
	const char *output;
	char **refs;
	char tmp[4096];
	int n, fd, rc = 1;
	struct flg_out a;
	struct berr e;

	if (flg_verb(c, &o, argc, argv, &a) < 0)
		return a.status;
	output = o.output;
	n = a.argc;
	refs = calloc(n + 1, sizeof(char *));
	if (!refs)
		return 1;
	memcpy(refs, a.argv, n * sizeof(char *));
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

/* ---------------------------------------------------------------- the verbs */

#define IMG_VERB(fn, cmd)                                                                          \
	int img_cmd_##fn(const char *root, int argc, char **argv)                                 \
	{                                                                                          \
		return run_##fn(&cmd, root, argc, argv);                                          \
	}
IMG_VERB(import, img_import_cmd)
IMG_VERB(load, img_load_cmd)
IMG_VERB(images, img_images_cmd)
IMG_VERB(tag, img_tag_cmd)
IMG_VERB(rmi, img_rmi_cmd)
IMG_VERB(history, img_history_cmd)
IMG_VERB(image_inspect, img_inspect_cmd)
IMG_VERB(save, img_save_cmd)

/* `berth image SUBCOMMAND`: the same verbs under other paths. */
#define IMG_SUB(fn, cmd, name, alias)                                                              \
	static int sub_##fn(void *ctx, int argc, char **argv);                                    \
	static const struct flg_cmd sub_##fn##_cmd = {                                            \
		.path = "image " name,                                                             \
		F_##cmd,                                                                           \
		.aliases = (alias),                                                                \
		.run = sub_##fn,                                                                   \
	};                                                                                         \
	static int sub_##fn(void *ctx, int argc, char **argv)                                     \
	{                                                                                          \
		return run_##fn(&sub_##fn##_cmd, ctx, argc, argv);                                \
	}
IMG_SUB(history, IMG_HISTORY_CMD, "history", NULL)
IMG_SUB(import, IMG_IMPORT_CMD, "import", NULL)
IMG_SUB(load, IMG_LOAD_CMD, "load", NULL)
IMG_SUB(images, IMG_IMAGES_CMD, "ls", "list")
IMG_SUB(rmi, IMG_RMI_CMD, "rm", "remove")
IMG_SUB(save, IMG_SAVE_CMD, "save", NULL)
IMG_SUB(tag, IMG_TAG_CMD, "tag", NULL)

static int sub_build(void *ctx, int argc, char **argv)
{
	return bld_cmd_build(ctx, argc, argv);
}

static const struct flg_cmd sub_build_cmd = {
	.path = "image build",
	.usage = "[OPTIONS] PATH",
	.desc = "Build an image from a Containerfile (the same as `berth build`)",
	.run = sub_build,
	.max_args = -1,
};

static int sub_inspect(void *ctx, int argc, char **argv)
{
	return run_image_inspect(&img_inspect_cmd, ctx, argc, argv);
}

static const struct flg_cmd *const image_cmds[] = {
	&sub_build_cmd, &sub_history_cmd, &sub_import_cmd, &img_inspect_cmd, &sub_load_cmd,
	&sub_images_cmd, &cli_image_prune_cmd, &sub_rmi_cmd, &sub_save_cmd, &sub_tag_cmd, NULL,
};

const struct flg_cmd img_image_cmd = {
	.path = "image",
	.usage = "COMMAND",
	.desc = "Manage images",
	.cmds = image_cmds,
};

int img_cmd_image(const char *root, int argc, char **argv)
{
	const struct flg_cmd *sub = argc > 1 ? flg_find_cmd(&img_image_cmd, argv[1]) : NULL;

	if (sub)
		return sub->run((void *)root, argc - 1, argv + 1);
	if (argc > 1)
		fprintf(stderr, "Error: unknown image command \"%s\"\n", argv[1]);
	flg_help(&img_image_cmd, stderr);
	return 1;
}
