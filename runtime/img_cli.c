/* img_cli.c - `berth import|load|images|tag|rmi`, Docker's way. Errors are
 * one line on stderr, "Error: ...", exit code 1. */
#include "img_cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_ctr.h"
#include "image.h"
#include "layer_rules.h"
#include "template.h"
#include "util.h"

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
	struct berr e;
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
	rc = tmpl_print_list(format, rows, image_headers, &e);
	json_decref(rows);
	if (rc < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return 1;
	}
	return 0;
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
