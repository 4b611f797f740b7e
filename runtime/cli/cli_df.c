/* cli_df.c - `system df [-v] [--format]` as Docker prints it: Images
 * (each layer once; -v adds SHARED SIZE and UNIQUE SIZE), Containers,
 * Local Volumes and Build Cache; --format json one object a row, and with
 * -v one object {Images, Containers, Volumes, BuildCache}. */
#include "cli_prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_volume.h"
#include "runtime/container/volume.h"
#include "runtime/image/image.h"
#include "runtime/image/image_du.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/template.h"

struct df_opts {
	bool verbose;
	const char *format;
};

#define D(f) struct df_opts, f
static const struct flg system_df_flags[] = {
    FLG_STRING(0, "format", D(format), "Format output using a Go template, or 'json'"),
    FLG_BOOL('v', "verbose", D(verbose), "Show detailed information on space usage"),
    FLG_END,
};

const struct flg_cmd cli_system_df_cmd = {
    .path = "system df",
    .usage = "[OPTIONS]",
    .desc = "Show docker disk usage",
    .flags = system_df_flags,
    .run = cli_system_df,
};

static const struct tmpl_header df_headers[] = {
    {"Type", "TYPE"},	      {"TotalCount", "TOTAL"},	     {"Active", "ACTIVE"},
    {"Size", "SIZE"},	      {"Reclaimable", "RECLAIMABLE"}, {"ID", "IMAGE ID"},
    {"SharedSize", "SHARED SIZE"}, {"UniqueSize", "UNIQUE SIZE"},  {"CreatedSince", "CREATED"},
    {"Name", "VOLUME NAME"},	      {NULL, NULL},
};

static const struct tmpl_header df_ctr_headers[] = {
    {"ID", "CONTAINER ID"}, {"RunningFor", "CREATED"}, {"LocalVolumes", "LOCAL VOLUMES"},
    {NULL, NULL},
};

#define DF_TABLE "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

static char *human(uint64_t n, char *buf)
{
	lr_human_size(n, buf, 32);
	return buf;
}

/* One summary row, Docker's keys; "2.1MB (50%)" when there is a size
 * (the Build Cache's reclaimable space has no share). */
static json_t *df_row(const char *type, int total, int active, uint64_t size, uint64_t reclaimable,
		      bool share)
{
	char t[16], a[16], s[32], r[32], rp[48];

	snprintf(t, sizeof(t), "%d", total);
	snprintf(a, sizeof(a), "%d", active);
	snprintf(rp, sizeof(rp), share && size ? "%s (%d%%)" : "%s", human(reclaimable, r),
		 size ? (int)(reclaimable * 100 / size) : 0);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", a, "Reclaimable", rp, "Size",
			 human(size, s), "TotalCount", t, "Type", type);
}

static bool df_running(const struct ctr_state *s)
{
	return s->status == CTR_RUNNING || s->status == CTR_RESTARTING;
}

/* How many containers use the image. */
static int image_users(const struct pr_ctr *ctrs, size_t n, const char *id)
{
	int k = 0;

	for (size_t i = 0; i < n; i++)
		k += ctrs[i].c.image_id && strcmp(ctrs[i].c.image_id, id) == 0;
	return k;
}

/* -v's row of an image (one per tag), Docker's keys. */
static json_t *df_image_detail(const struct img_summary *s, const struct img_du_image *u,
			       int users)
{
	char name[256] = "<none>", tag[160] = "<none>", since[64], at[64], k[16], sz[32], sh[32],
	     un[32];

	if (s->ref[0])
		lr_ref_split(s->ref, name, sizeof(name), tag, sizeof(tag));
	lr_human_since(time(NULL) - s->created, since, sizeof(since));
	go_time(s->created, at, sizeof(at));
	snprintf(k, sizeof(k), "%d", users);
	return json_pack("{s:s, s:s, s:s, s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", k,
			 "CreatedAt", at, "CreatedSince", since, "Digest",
			 s->digest[0] ? s->digest : "<none>", "ID", dg_hex(s->id), (size_t)12,
			 "Repository", name, "SharedSize", human(u->shared, sh), "Size",
			 human(u->size, sz), "Tag", tag, "UniqueSize", human(u->size - u->shared, un),
			 "VirtualSize", sz);
}

/* The Images row (each layer once) and the Build Cache row after it;
 * -v's image rows into detail. */
static void df_images(const char *root, const struct pr_ctr *ctrs, size_t nc, json_t *rows,
		      json_t *cache, json_t *detail)
{
	struct img_summary *list = NULL;
	struct img_du du;
	uint64_t used = 0;
	size_t n = 0;
	int active = 0;
	struct berr e;

	if (img_du(root, &du, &e) < 0 || img_list(root, &list, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		n = 0;
	}
	for (size_t i = 0; i < du.nimages; i++) {
		const struct img_du_image *u = &du.images[i];
		int users = image_users(ctrs, nc, u->id);

		active += users > 0;
		used += users ? u->size - u->shared : 0; /* Docker's reckoning */
		for (size_t k = 0; detail && k < n; k++) {
			if (strcmp(list[k].id, u->id) == 0)
				json_array_append_new(detail, df_image_detail(&list[k], u, users));
		}
	}
	json_array_append_new(rows, df_row("Images", (int)du.nimages, active, du.layers,
					   du.layers - used, true));
	json_array_append_new(cache, df_row("Build Cache", du.cache_records, 0, du.cache_bytes,
					    du.cache_bytes, false));
	img_du_free(&du);
	free(list);
}

/* Append ",item" (or "item" first) to a list held in buf. */
static void join_to(char *buf, size_t size, const char *item)
{
	size_t l = strlen(buf);

	snprintf(buf + l, size - l, "%s%s", l ? "," : "", item);
}

/* -v's row of a container, Docker's keys. */
static json_t *df_ctr_detail(const struct pr_ctr *p, uint64_t size)
{
	char s[32], st[128], since[64], at[64], cmd[96], vols[16], labels[1024] = "",
								    mounts[1024] = "";
	int nvol = 0;

	for (char **l = p->c.labels; l && *l; l++)
		join_to(labels, sizeof(labels), *l);
	for (int i = 0; i < p->c.nmounts; i++) {
		nvol += p->c.mounts[i].name != NULL;
		join_to(mounts, sizeof(mounts), p->c.mounts[i].name ?: p->c.mounts[i].source);
	}
	snprintf(vols, sizeof(vols), "%d", nvol);
	snprintf(cmd, sizeof(cmd), "\"%.60s\"", p->c.argv && p->c.argv[0] ? p->c.argv[0] : "");
	ctr_status_text(&p->s, wall_ns(), st, sizeof(st));
	ctr_since(p->c.created_ns, wall_ns(), since, sizeof(since));
	strncat(since, " ago", sizeof(since) - strlen(since) - 1);
	go_time(p->c.created_ns / 1000000000, at, sizeof(at));
	return json_pack("{s:s, s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "Command", cmd, "CreatedAt", at, "ID", p->c.id, (size_t)12, "Image",
			 p->c.image ?: "", "Labels", labels, "LocalVolumes", vols, "Mounts", mounts,
			 "Names", p->c.name, "Networks", p->c.network ?: "", "Ports", "",
			 "RunningFor", since, "Size", human(size, s), "State",
			 ctr_state_name(&p->s), "Status", st);
}

static json_t *df_containers(const char *root, const struct pr_ctr *ctrs, size_t n, json_t *detail)
{
	uint64_t size = 0, stopped = 0;
	int active = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t one = cli_ctr_size(root, ctrs[i].c.id);

		active += df_running(&ctrs[i].s);
		size += one;
		stopped += df_running(&ctrs[i].s) ? 0 : one;
		if (detail)
			json_array_append_new(detail, df_ctr_detail(&ctrs[i], one));
	}
	return df_row("Containers", (int)n, active, size, stopped, true);
}

static json_t *df_volumes(const char *root, json_t *detail)
{
	uint64_t size = 0, unused = 0;
	char **names, path[4096];
	int n, active = 0;
	struct berr e;

	if (vol_list(root, &names, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return df_row("Local Volumes", 0, 0, 0, 0, true);
	}
	for (int i = 0; i < n; i++) {
		struct strv users = {0};
		char s[32], links[16];
		uint64_t one;

		vol_data_path(root, names[i], path, sizeof(path));
		one = cli_du(path);
		if (cli_volume_users(root, names[i], &users) < 0)
			users.n = 1; /* not known: not counted as reclaimable */
		active += users.n > 0;
		size += one;
		unused += users.n ? 0 : one;
		snprintf(links, sizeof(links), "%d", users.n);
		strv_free(&users);
		if (detail)
			json_array_append_new(
			    detail, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
					      "Availability", "N/A", "Driver", "local", "Group", "N/A",
					      "Labels", "", "Links", links, "Mountpoint", path, "Name",
					      names[i], "Scope", "local", "Size", human(one, s),
					      "Status", "N/A"));
	}
	vol_names_free(names, n);
	return df_row("Local Volumes", n, active, size, unused, true);
}

/* -v as tables, Docker's sections. */
static int df_verbose(json_t *duc, const char *cache_size)
{
	int rc;

	printf("Images space usage:\n\n");
	rc = tmpl_print("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t"
			"{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
			json_object_get(duc, "Images"), df_headers);
	printf("\nContainers space usage:\n\n");
	rc |= tmpl_print("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t"
			 "{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
			 json_object_get(duc, "Containers"), df_ctr_headers);
	printf("\nLocal Volumes space usage:\n\n");
	rc |= tmpl_print("table {{.Name}}\t{{.Links}}\t{{.Size}}", json_object_get(duc, "Volumes"),
			 df_headers);
	printf("\nBuild cache usage: %s\n\n", cache_size);
	rc |= tmpl_print("table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t"
			 "{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}",
			 json_object_get(duc, "BuildCache"),
			 (const struct tmpl_header[]){{"ID", "CACHE ID"},
						       {"CacheType", "CACHE TYPE"},
						       {"CreatedSince", "CREATED"},
						       {"LastUsedSince", "LAST USED"},
						       {"UsageCount", "USAGE"},
						       {NULL, NULL}});
	return rc;
}

/* -v with --format: the template once over the whole (Docker adds no
 * newline). */
static int df_verbose_format(const char *format, json_t *duc)
{
	char *out = NULL;
	size_t len = 0;
	struct berr e;
	int r = tmpl_render(strcmp(format, "json") == 0 ? "{{json .}}" : format, duc, &out, &len, &e);

	if (r == 0)
		fputs(out, stdout);
	else
		fprintf(stderr, "berth: template parsing error: %s\n", e.msg);
	free(out);
	return r ? 1 : 0;
}

int cli_system_df(void *root, int argc, char **argv)
{
	struct df_opts o = {0};
	json_t *rows = json_array(), *cache = json_array(), *duc = NULL;
	struct pr_ctr *ctrs;
	struct flg_out a;
	size_t n;
	int rc;

	if (flg_verb(&cli_system_df_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (o.verbose)
		duc = json_pack("{s:[], s:[], s:[], s:[]}", "Images", "Containers", "Volumes",
				"BuildCache");
	ctrs = cli_ctrs_load(root, &n);
	df_images(root, ctrs, n, rows, cache, json_object_get(duc, "Images"));
	json_array_append_new(rows, df_containers(root, ctrs, n, json_object_get(duc, "Containers")));
	json_array_append_new(rows, df_volumes(root, json_object_get(duc, "Volumes")));
	json_array_extend(rows, cache);
	cli_ctrs_free(ctrs, n);
	if (o.verbose && o.format)
		rc = df_verbose_format(o.format, duc);
	else if (o.verbose)
		rc = df_verbose(duc, json_string_value(json_object_get(json_array_get(cache, 0), "Size")));
	else
		rc = tmpl_print(tmpl_choose(o.format, DF_TABLE), rows, df_headers);
	json_decref(duc);
	json_decref(cache);
	json_decref(rows);
	return rc;
}
