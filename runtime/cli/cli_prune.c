/* cli_prune.c - the prunes (cli_prune.h; system df is cli_df.c). */
#include "cli_prune.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_ctr.h"
#include "cli_filter.h"
#include "cli_volume.h"
#include "client.h"
#include "runtime/container/volume.h"
#include "runtime/image/build.h"
#include "runtime/image/image.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/duration.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/template.h"
#include "runtime/lib/util.h"

/* ---------------------------------------------------------------- common */

static uint64_t du_total;

static int du_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	if (!S_ISDIR(st->st_mode))
		du_total += st->st_size;
	return 0;
}

uint64_t cli_du(const char *path)
{
	du_total = 0;
	if (nftw(path, du_one, 16, FTW_PHYS) < 0)
		return 0;
	return du_total;
}

static uint64_t ctr_size(const char *root, const char *id)
{
	char dir[600];

	ctr_dir(root, id, dir, sizeof(dir));
	strncat(dir, "/upper", sizeof(dir) - strlen(dir) - 1);
	return cli_du(dir);
}

uint64_t cli_ctr_size(const char *root, const char *id)
{
	return ctr_size(root, id);
}

bool cli_prune_confirm(bool force, const char *warning)
{
	char line[64];

	if (force)
		return true;
	printf("%s\nAre you sure you want to continue? [y/N] ", warning);
	fflush(stdout);
	return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static void print_reclaimed(uint64_t bytes)
{
	char size[32];

	lr_human_size(bytes, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
}

struct prune_opts {
	bool force, all, volumes, verbose;
	const char *format;
	struct strv filters;
};

#define P(f) struct prune_opts, f

/* until=: a Go duration before now, or a Unix time. */
static bool m_until(const char *v, void *ctx)
{
	int64_t created_s = *(int64_t *)ctx, d;
	struct berr e;
	char *end;
	long long t = strtoll(v, &end, 10);

	if (duration_parse(v, &d, &e) == 0)
		return created_s < wall_ns() / 1000000000ll - d / 1000000000ll;
	return *end == '\0' && end != v && created_s < t;
}

static bool m_label(const char *v, void *ctx)
{
	return flt_label_match(v, ctx);
}

static bool m_no_label(const char *v, void *ctx)
{
	return !flt_label_match(v, ctx);
}

static bool prune_pass(const struct strv *f, char *const *labels, int64_t created_s)
{
	return flt_pass(f, "label", m_label, (void *)labels) &&
	       flt_pass(f, "label!", m_no_label, (void *)labels) &&
	       flt_pass(f, "until", m_until, &created_s);
}

/* One prune verb: its flags, filter keys, prompts and the work. */
struct prune_kind {
	const struct flg_cmd *cmd;
	const char *const *keys;
	const char *warning, *warning_all; /* without and with --all; NULL: system prune's */
	uint64_t (*prune)(const char *root, const struct prune_opts *o);
};

static const char *system_warning(const struct prune_opts *o, char *buf, size_t size)
{
	snprintf(buf, size,
		 "WARNING! This will remove:\n  - all stopped containers\n%s  - %s\n"
		 "  - unused build cache\n",
		 o->volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
		 o->all ? "all images without at least one container associated to them"
			: "all dangling images");
	return buf;
}

static int run_prune(const struct prune_kind *k, const char *root, int argc, char **argv)
{
	struct prune_opts o = {0};
	char buf[512];
	struct flg_out a;
	struct berr e;
	int rc = 0;

	if (flg_verb(k->cmd, &o, argc, argv, &a) < 0) {
		rc = a.status;
	} else if (flt_check(&o.filters, k->keys, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		rc = 1;
	} else if (cli_prune_confirm(o.force, !k->warning		      ? system_warning(&o, buf, sizeof(buf))
				    : o.all && k->warning_all ? k->warning_all
							      : k->warning)) {
		print_reclaimed(k->prune(root, &o));
	}
	strv_free(&o.filters);
	return rc;
}

static const char *const prune_keys[] = {"label", "label!", "until", NULL};

/* ---------------------------------------------------------------- containers */

struct pr_ctr *cli_ctrs_load(const char *root, size_t *n)
{
	struct pr_ctr *list = NULL;
	size_t cap = 0;
	char dir[600];
	struct dirent *de;
	DIR *d;

	*n = 0;
	snprintf(dir, sizeof(dir), "%s/run/berth/containers", root);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		struct berr e;

		if (strlen(de->d_name) != CTR_ID_LEN)
			continue;
		if (*n == cap) {
			struct pr_ctr *g = realloc(list, (cap = cap * 2 + 16) * sizeof(*list));
			if (!g)
				break;
			list = g;
		}
		if (ctr_config_load(root, de->d_name, &list[*n].c, &e) < 0)
			continue;
		if (ctr_state_load(root, de->d_name, &list[*n].s, &e) < 0) {
			ctr_config_free(&list[*n].c);
			continue;
		}
		(*n)++;
	}
	if (d)
		closedir(d);
	return list;
}

void cli_ctrs_free(struct pr_ctr *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_config_free(&list[i].c);
	free(list);
}

static bool is_running(const struct ctr_state *s)
{
	return s->status == CTR_RUNNING || s->status == CTR_RESTARTING;
}

/* Remove the stopped containers that pass f, printing Docker's section. */
static uint64_t prune_containers(const char *root, const struct prune_opts *o)
{
	const struct strv *f = &o->filters;
	size_t n, done = 0;
	struct pr_ctr *list = cli_ctrs_load(root, &n);
	uint64_t freed = 0;

	for (size_t i = 0; i < n; i++) {
		char *req[] = {"rm", list[i].c.id, NULL};
		uint64_t size;

		if (is_running(&list[i].s) ||
		    !prune_pass(f, list[i].c.labels, list[i].c.created_ns / 1000000000ll))
			continue;
		size = ctr_size(root, list[i].c.id);
		if (client_ask(root, 2, req, 15000, NULL) != 0)
			continue;
		printf("%s%s\n", done++ ? "" : "Deleted Containers:\n", list[i].c.id);
		freed += size;
	}
	if (done)
		printf("\n");
	cli_ctrs_free(list, n);
	return freed;
}

static const struct flg container_prune_flags[] = {
    FLG_STRINGS(0, "filter", P(filters), "Provide filter values (e.g. \"until=<timestamp>\")"),
    FLG_BOOL('f', "force", P(force), "Do not prompt for confirmation"),
    FLG_END,
};

const struct flg_cmd cli_container_prune_cmd = {
    .path = "container prune",
    .usage = "[OPTIONS]",
    .desc = "Remove all stopped containers",
    .flags = container_prune_flags,
    .run = cli_container_prune,
};

int cli_container_prune(void *root, int argc, char **argv)
{
	static const struct prune_kind k = {&cli_container_prune_cmd, prune_keys,
					    "WARNING! This will remove all stopped containers.",
					    NULL, prune_containers};

	return run_prune(&k, root, argc, argv);
}

/* ---------------------------------------------------------------- images */

/* Docker's lines: "untagged: REF", "deleted: ID", under one heading. */
static void report_removed(const char *action, const char *what, void *ctx)
{
	bool *first = ctx;

	printf("%s%c%s: %s\n", *first ? "Deleted Images:\n" : "", action[0] | 0x20, action + 1,
	       what);
	*first = false;
}

/* An image prune may take it: not used by a container, dangling unless
 * all, and passing f. */
static bool image_prunable(const char *root, const struct img_summary *s, bool all,
			   const struct strv *f)
{
	char copy[sizeof(s->labels)], *labels[64];

	if ((!all && s->ref[0]) || cli_image_in_use(s->id, (void *)root))
		return false;
	snprintf(copy, sizeof(copy), "%s", s->labels);
	flt_lines(copy, labels, 64);
	return prune_pass(f, labels, s->created);
}

/* Remove the unused images (dangling ones unless all); the store's size
 * before and after is what was reclaimed. */
static uint64_t prune_images(const char *root, const struct prune_opts *o)
{
	char store[4096];
	struct img_summary *list;
	uint64_t before, after;
	bool first = true;
	struct berr e;
	size_t n;

	if (img_store_dir(root, store, sizeof(store), &e) < 0 ||
	    img_list(root, &list, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 0;
	}
	before = cli_du(store);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(list[k].id, list[i].id) == 0;
		if (seen || list[i].baked || !image_prunable(root, &list[i], o->all, &o->filters))
			continue;
		if (img_remove(root, list[i].id, true, cli_image_in_use, report_removed, &first,
			       &e) < 0 && e.code != EROFS) /* EROFS: also baked */
			fprintf(stderr, "berth: %s\n", e.msg);
	}
	free(list);
	if (!first)
		printf("\n");
	if (img_sweep_remapped(root, &e) < 0)
		fprintf(stderr, "berth: %s\n", e.msg);
	after = cli_du(store);
	return before > after ? before - after : 0;
}

static const struct flg image_prune_flags[] = {
    FLG_BOOL('a', "all", P(all), "Remove all unused images, not just dangling ones"),
    FLG_STRINGS(0, "filter", P(filters), "Provide filter values (e.g. \"until=<timestamp>\")"),
    FLG_BOOL('f', "force", P(force), "Do not prompt for confirmation"),
    FLG_END,
};

const struct flg_cmd cli_image_prune_cmd = {
    .path = "image prune",
    .usage = "[OPTIONS]",
    .desc = "Remove unused images",
    .flags = image_prune_flags,
    .run = cli_image_prune,
};

int cli_image_prune(void *root, int argc, char **argv)
{
	static const struct prune_kind k = {
	    &cli_image_prune_cmd, prune_keys, "WARNING! This will remove all dangling images.",
	    "WARNING! This will remove all images without at least one container associated "
	    "to them.",
	    prune_images};

	return run_prune(&k, root, argc, argv);
}

/* ---------------------------------------------------------------- volumes */

/* Unused volumes (anonymous ones unless all) that pass f. */
static uint64_t prune_volumes(const char *root, const struct prune_opts *o)
{
	static char anon_label[] = "com.docker.volume.anonymous=";
	char **names, path[4096];
	uint64_t freed = 0;
	int n, done = 0;
	struct berr e;

	if (vol_list(root, &names, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char *labels[] = {anon_label, NULL};
		struct strv users = {0};
		struct vol_info v;
		bool used;

		if (vol_inspect(root, names[i], &v, &e) < 0 || (!o->all && !v.anonymous) ||
		    !flt_pass(&o->filters, "label", m_label, v.anonymous ? labels : labels + 1))
			continue;
		used = cli_volume_users(root, names[i], &users) < 0 || users.n > 0;
		strv_free(&users);
		if (used)
			continue;
		vol_data_path(root, names[i], path, sizeof(path));
		freed += cli_du(path);
		if (vol_remove(root, names[i], &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			continue;
		}
		printf("%s%s\n", done++ ? "" : "Deleted Volumes:\n", names[i]);
	}
	if (done)
		printf("\n");
	vol_names_free(names, n);
	return freed;
}

static const struct flg volume_prune_flags[] = {
    FLG_BOOL('a', "all", P(all), "Remove all unused volumes, not just anonymous ones"),
    FLG_STRINGS(0, "filter", P(filters), "Provide filter values (e.g. \"label=<label>\")"),
    FLG_BOOL('f', "force", P(force), "Do not prompt for confirmation"),
    FLG_END,
};

const struct flg_cmd cli_volume_prune_cmd = {
    .path = "volume prune",
    .usage = "[OPTIONS]",
    .desc = "Remove unused local volumes",
    .flags = volume_prune_flags,
    .run = cli_volume_prune,
};

int cli_volume_prune(void *root, int argc, char **argv)
{
	static const char *const keys[] = {"label", NULL};
	static const struct prune_kind k = {
	    &cli_volume_prune_cmd, keys,
	    "WARNING! This will remove anonymous local volumes not used by at least one "
	    "container.",
	    "WARNING! This will remove all local volumes not used by at least one container.",
	    prune_volumes};

	return run_prune(&k, root, argc, argv);
}

/* ---------------------------------------------------------------- system prune */

static const struct flg system_prune_flags[] = {
    FLG_BOOL('a', "all", P(all), "Remove all unused images not just dangling ones"),
    FLG_STRINGS(0, "filter", P(filters), "Provide filter values (e.g. \"label=<key>=<value>\")"),
    FLG_BOOL('f', "force", P(force), "Do not prompt for confirmation"),
    FLG_BOOL(0, "volumes", P(volumes), "Prune anonymous volumes"),
    FLG_END,
};

const struct flg_cmd cli_system_prune_cmd = {
    .path = "system prune",
    .usage = "[OPTIONS]",
    .desc = "Remove unused data",
    .flags = system_prune_flags,
    .run = cli_system_prune,
};

/* Containers, (anonymous volumes,) images, the build cache. */
static uint64_t prune_system(const char *root, const struct prune_opts *o)
{
	struct prune_opts anonymous = *o;
	uint64_t freed, cache = 0;
	struct berr e;

	anonymous.all = false;
	freed = prune_containers(root, o);
	if (o->volumes)
		freed += prune_volumes(root, &anonymous);
	freed += prune_images(root, o);
	if (bld_prune(root, &cache, &e) < 0)
		fprintf(stderr, "berth: build cache: %s\n", e.msg);
	return freed + cache;
}

int cli_system_prune(void *root, int argc, char **argv)
{
	static const struct prune_kind k = {&cli_system_prune_cmd, prune_keys, NULL, NULL,
					    prune_system};

	return run_prune(&k, root, argc, argv);
}
