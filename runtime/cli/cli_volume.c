/* cli_volume.c - volumes from the CLI: the verbs, the in-use check over
 * the containers' configs, the mounts `run` asks for; and `berth info`. */
#include "cli_volume.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli_events.h"
#include "client.h"
#include "runtime/image/image.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/template.h"
#include "cli_filter.h"
#include "cli_prune.h"
#include "runtime/lib/file.h"
#include "runtime/container/volume.h"

struct vol_opts {
	const char *driver, *name, *format;
	bool quiet, force;
	struct strv filters;
};

#define V(f) struct vol_opts, f
static const struct flg create_flags[] = {
	FLG_STRING('d', "driver", V(driver), "Specify volume driver name (only local)"),
	FLG_STRING(0, "name", V(name), "Specify volume name"),
	FLG_END,
};

static const struct flg ls_flags[] = {
	FLG_STRINGS('f', "filter", V(filters), "Provide filter values (e.g. \"dangling=true\")"),
	FLG_STRING(0, "format", V(format),
		   "Format output using a Go template, 'table', 'table TEMPLATE' or 'json'"),
	FLG_BOOL('q', "quiet", V(quiet), "Only display volume names"),
	FLG_END,
};

static const struct flg inspect_flags[] = {
	FLG_STRING('f', "format", V(format), "Format output using a Go template"),
	FLG_END,
};

static const struct flg rm_flags[] = {
	FLG_BOOL('f', "force", V(force), "Do not report a volume that does not exist"),
	FLG_END,
};

static int vol_cmd_create(void *ctx, int argc, char **argv);
static int vol_cmd_ls(void *ctx, int argc, char **argv);

/* A row of volume ls, for its filters. */
struct vol_row {
	const char *name;
	bool anonymous;
	int users;
};
static int vol_cmd_inspect(void *ctx, int argc, char **argv);
static int vol_cmd_rm(void *ctx, int argc, char **argv);

static const struct flg_cmd vol_create_cmd = {
	.path = "volume create",
	.usage = "[OPTIONS] [VOLUME]",
	.desc = "Create a volume",
	.flags = create_flags,
	.run = vol_cmd_create,
	.max_args = 1,
};

static const struct flg_cmd vol_ls_cmd = {
	.path = "volume ls",
	.usage = "[OPTIONS]",
	.desc = "List volumes",
	.aliases = "list",
	.flags = ls_flags,
	.run = vol_cmd_ls,
};

static const struct flg_cmd vol_inspect_cmd = {
	.path = "volume inspect",
	.usage = "[OPTIONS] VOLUME [VOLUME...]",
	.desc = "Show volumes' details",
	.flags = inspect_flags,
	.run = vol_cmd_inspect,
	.min_args = 1,
	.max_args = -1,
};

static const struct flg_cmd vol_rm_cmd = {
	.path = "volume rm",
	.usage = "[OPTIONS] VOLUME [VOLUME...]",
	.desc = "Remove volumes (not while a container uses them)",
	.aliases = "remove",
	.flags = rm_flags,
	.run = vol_cmd_rm,
	.min_args = 1,
	.max_args = -1,
};

static const struct flg_cmd *const vol_cmds[] = {
	&vol_create_cmd, &vol_inspect_cmd, &vol_ls_cmd, &cli_volume_prune_cmd, &vol_rm_cmd, NULL,
};

const struct flg_cmd cli_volume_cmd = {
	.path = "volume",
	.usage = "COMMAND",
	.desc = "Manage volumes",
	.cmds = vol_cmds,
};

int cli_volume_users(const char *root, const char *name, struct strv *ids)
{
	char dir[600];
	DIR *d;
	struct dirent *de;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/run/berth/containers", root);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct ctr_config c;
		struct berr e;

		if (strlen(de->d_name) != CTR_ID_LEN ||
		    ctr_config_load(root, de->d_name, &c, &e) < 0)
			continue;
		for (int i = 0; i < c.nmounts; i++) {
			if (c.mounts[i].name && strcmp(c.mounts[i].name, name) == 0) {
				if (strv_add(ids, c.id) < 0)
					r = -ENOMEM;
				break;
			}
		}
		ctr_config_free(&c);
	}
	closedir(d);
	return r;
}

static int vol_cmd_create(void *ctx, int argc, char **argv)
{
	const char *root = ctx, *name;
	struct vol_opts o = { 0 };
	char out[VOL_NAME_MAX];
	struct flg_out a;
	bool created;
	struct berr e;

	if (flg_verb(&vol_create_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (o.driver && strcmp(o.driver, "local") != 0) {
		fprintf(stderr, "berth: plugin \"%s\" not found (only the local driver exists)\n",
			o.driver);
		return 1;
	}
	if (o.name && a.argc) {
		fprintf(stderr, "berth: conflicting options: either specify --name or provide "
				"positional arg, not both\n");
		return 1;
	}
	name = a.argc ? a.argv[0] : o.name;
	if (vol_create(root, name, false, out, &created, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	printf("%s\n", out);
	cli_events_note(root, "volume", "create", out, "driver=local");
	return 0;
}

/* volume ls --filter: dangling (used by no container), name (a part
 * of it), driver (local), label (only anonymous volumes have one). */
static bool vol_m_dangling(const char *v, void *ctx)
{
	const struct vol_row *r = ctx;

	return flt_bool(v) == (r->users == 0);
}

static bool vol_m_name(const char *v, void *ctx)
{
	return strstr(((const struct vol_row *)ctx)->name, v) != NULL;
}

static bool vol_m_driver(const char *v, void *ctx)
{
	(void)ctx;
	return strcmp(v, "local") == 0;
}

static bool vol_m_label(const char *v, void *ctx)
{
	static char anon[] = "com.docker.volume.anonymous=";
	char *labels[] = { anon, NULL };

	return flt_label_match(v, ((const struct vol_row *)ctx)->anonymous ? labels : labels + 1);
}

static bool vol_pass(const struct strv *f, const struct vol_row *r)
{
	return flt_pass(f, "dangling", vol_m_dangling, (void *)r) &&
	       flt_pass(f, "name", vol_m_name, (void *)r) &&
	       flt_pass(f, "driver", vol_m_driver, (void *)r) &&
	       flt_pass(f, "label", vol_m_label, (void *)r);
}

/* The volumes that pass, as Docker's volume ls rows. */
static json_t *vol_rows(const char *root, const struct strv *f, char **names, int n)
{
	json_t *rows = json_array();

	for (int i = 0; i < n; i++) {
		struct vol_row r = { .name = names[i] };
		struct strv users = { 0 };
		struct vol_info v;
		struct berr e;

		if (vol_inspect(root, names[i], &v, &e) < 0)
			continue;
		r.anonymous = v.anonymous;
		r.users = cli_volume_users(root, names[i], &users) < 0 ? 1 : users.n;
		strv_free(&users);
		if (!vol_pass(f, &r))
			continue;
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
						      "Availability", "N/A", "Driver", "local",
						      "Group", "N/A", "Labels",
						      v.anonymous ? "com.docker.volume.anonymous=" : "",
						      "Links", "N/A", "Mountpoint", v.mountpoint,
						      "Name", v.name, "Scope", "local", "Size", "N/A",
						      "Status", "N/A"));
	}
	return rows;
}

static int vol_cmd_ls(void *ctx, int argc, char **argv)
{
	static const char *const keys[] = { "dangling", "name", "driver", "label", NULL };
	static const struct tmpl_header headers[] = { { "Name", "VOLUME NAME" }, { NULL, NULL } };
	const char *root = ctx;
	struct vol_opts o = { 0 };
	struct flg_out a;
	char **names;
	int n, rc = 1;
	struct berr e;
	json_t *rows;

	if (flg_verb(&vol_ls_cmd, &o, argc, argv, &a) < 0) {
		rc = a.status;
	} else if (flt_check(&o.filters, keys, &e) < 0 || vol_list(root, &names, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
	} else {
		rows = vol_rows(root, &o.filters, names, n);
		rc = tmpl_print(o.quiet ? "{{.Name}}" :
					  tmpl_choose(o.format, "table {{.Driver}}\t{{.Name}}"),
				rows, headers);
		json_decref(rows);
		vol_names_free(names, n);
	}
	strv_free(&o.filters);
	return rc;
}

static json_t *vol_json(const struct vol_info *v)
{
	json_t *j = json_object();

	json_object_set_new(j, "CreatedAt", json_string(v->created_at));
	json_object_set_new(j, "Driver", json_string("local"));
	json_object_set_new(j, "Labels", v->anonymous ? json_pack("{s:s}", "com.docker.volume.anonymous", "") : json_null());
	json_object_set_new(j, "Mountpoint", json_string(v->mountpoint));
	json_object_set_new(j, "Name", json_string(v->name));
	json_object_set_new(j, "Options", json_null());
	json_object_set_new(j, "Scope", json_string("local"));
	return j;
}

static int vol_cmd_inspect(void *ctx, int argc, char **argv)
{
	const char *root = ctx, *fmt;
	struct vol_opts o = { 0 };
	struct flg_out a;
	json_t *all;
	int rc = 0;

	if (flg_verb(&vol_inspect_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	fmt = o.format;
	all = json_array();
	for (int i = 0; i < a.argc; i++) {
		struct vol_info v;
		struct berr e;

		if (vol_inspect(root, a.argv[i], &v, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			rc = 1;
			continue;
		}
		json_array_append_new(all, vol_json(&v));
	}
	if (fmt) {
		if (tmpl_print(fmt, all, NULL) != 0)
			rc = 1;
	} else {
		char *text = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(all);
	return rc;
}

static int vol_cmd_rm(void *ctx, int argc, char **argv)
{
	const char *root = ctx;
	struct vol_opts o = { 0 };
	struct flg_out a;
	int rc = 0;

	if (flg_verb(&vol_rm_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	for (int i = 0; i < a.argc; i++) {
		struct strv users = { 0 };
		struct berr e;

		if (!vol_exists(root, a.argv[i])) {
			/* -f: no error for a missing volume (it never overrides "in use") */
			if (!o.force) {
				fprintf(stderr, "berth: get %s: no such volume\n", a.argv[i]);
				rc = 1;
			}
			continue;
		}
		if (cli_volume_users(root, a.argv[i], &users) < 0) {
			fprintf(stderr, "berth: remove %s: out of memory\n", a.argv[i]);
			strv_free(&users);
			rc = 1;
			continue;
		}
		if (users.n) {
			fprintf(stderr, "berth: remove %s: volume is in use - [", a.argv[i]);
			for (int k = 0; k < users.n; k++)
				fprintf(stderr, "%s%s", k ? ", " : "", users.v[k]);
			fprintf(stderr, "]\n");
			strv_free(&users);
			rc = 1;
			continue;
		}
		if (vol_remove(root, a.argv[i], &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			rc = 1;
			continue;
		}
		printf("%s\n", a.argv[i]);
		cli_events_note(root, "volume", "destroy", a.argv[i], "driver=local");
	}
	return rc;
}

int cli_volume(const char *root, int argc, char **argv)
{
	const struct flg_cmd *sub = argc > 1 ? flg_find_cmd(&cli_volume_cmd, argv[1]) : NULL;

	if (sub)
		return sub->run((void *)root, argc - 1, argv + 1);
	if (argc > 1) {
		fprintf(stderr, "berth: unknown volume command: %s\n", argv[1]);
		flg_help(&cli_volume_cmd, stderr);
		return 1;
	}
	flg_help(&cli_volume_cmd, stdout);
	return 0;
}

/* ---- run's mounts ---- */

static int add_mount(struct ctr_config *c, const char *source, const char *target, bool ro,
		     const char *name, bool anonymous, bool nocopy)
{
	struct ctr_mount *m = &c->mounts[c->nmounts];

	for (int i = 0; i < c->nmounts; i++) {
		if (strcmp(c->mounts[i].target, target) == 0) {
			fprintf(stderr, "berth: Duplicate mount point: %s\n", target);
			return -1;
		}
	}
	m->source = strdup(source);
	m->target = strdup(target);
	m->read_only = ro;
	m->name = name ? strdup(name) : NULL;
	m->anonymous = anonymous;
	m->nocopy = nocopy;
	c->nmounts++;
	if (!m->source || !m->target || (name && !m->name)) {
		fprintf(stderr, "berth: out of memory\n");
		return -1;
	}
	return 0;
}

static int add_volume(const char *root, struct ctr_config *c, const char *name,
		      const char *target, bool ro, bool nocopy)
{
	char out[VOL_NAME_MAX], data[VOL_PATH_MAX];
	bool created;
	struct berr e;

	if (vol_create(root, name, !name, out, &created, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -1;
	}
	vol_data_path(root, out, data, sizeof(data));
	return add_mount(c, data, target, ro, out, !name, nocopy);
}

static bool covered(const struct ctr_config *c, const char *path)
{
	char norm[VOL_PATH_MAX];

	snprintf(norm, sizeof(norm), "%s", path);
	for (size_t l = strlen(norm); l > 1 && norm[l - 1] == '/'; l--)
		norm[l - 1] = '\0';
	for (int i = 0; i < c->nmounts; i++) {
		if (strcmp(c->mounts[i].target, norm) == 0)
			return true;
	}
	return false;
}

int cli_volume_mounts(const char *root, char *const *specs, int n, char *const *image_volumes,
		      struct ctr_config *c)
{
	int nimg = 0;
	struct vol_spec *v = malloc(sizeof(*v));
	struct strv targets = { 0 };
	struct berr e;
	int r = 0;

	for (char *const *p = image_volumes; p && *p; p++)
		nimg++;
	c->mounts = calloc(n + nimg + 1, sizeof(*c->mounts));
	if (!c->mounts || !v) {
		free(v);
		fprintf(stderr, "berth: out of memory\n");
		return -1;
	}
	/* Parse all first: a bad spec creates no volume. */
	for (int i = 0; i < n && r == 0; i++) {
		if (vol_spec_parse(specs[i], v, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			r = -1;
			break;
		}
		for (int k = 0; k < targets.n; k++) {
			if (strcmp(targets.v[k], v->target) == 0) {
				fprintf(stderr, "berth: Duplicate mount point: %s\n", v->target);
				r = -1;
			}
		}
		if (r == 0 && strv_add(&targets, v->target) < 0) {
			fprintf(stderr, "berth: out of memory\n");
			r = -1;
		}
	}
	strv_free(&targets);
	for (int i = 0; i < n && r == 0; i++) {
		if (vol_spec_parse(specs[i], v, &e) < 0) /* it passed above */
			r = -1;
		else if (v->kind == VOL_BIND)
			r = add_mount(c, v->source, v->target, v->read_only, NULL, false, false);
		else
			r = add_volume(root, c, v->kind == VOL_NAMED ? v->source : NULL, v->target,
				       v->read_only, v->nocopy);
	}
	/* The image's VOLUMEs that -v did not cover: anonymous volumes. */
	for (char *const *p = image_volumes; p && *p && r == 0; p++) {
		if ((*p)[0] != '/' || covered(c, *p))
			continue;
		if (vol_spec_parse(*p, v, &e) < 0) {
			fprintf(stderr, "berth: image VOLUME %s: %s\n", *p, e.msg);
			r = -1;
		} else {
			r = add_volume(root, c, NULL, v->target, false, false);
		}
	}
	free(v);
	return r;
}

void cli_volume_forget_anon(const char *root, const struct ctr_config *c)
{
	struct berr e;

	for (int i = 0; i < c->nmounts; i++) {
		if (c->mounts[i].anonymous && c->mounts[i].name &&
		    vol_remove(root, c->mounts[i].name, &e) < 0)
			fprintf(stderr, "berth: %s\n", e.msg);
	}
}
