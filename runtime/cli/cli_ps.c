/* cli_ps.c - `berth ps`: the rows the supervisor gives (`ps-rows`), with
 * what the containers' files add (labels, mounts, health, exit code),
 * filtered and printed as docker ps does: a table, --format json (one
 * object a line, Docker's keys), a Go template, or -q. */
#include "cli_ctr.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_filter.h"
#include "cli_network.h"
#include "cli_prune.h"
#include "client.h"
#include "runtime/container/container.h"
#include "runtime/image/image.h"
#include "runtime/image/layer_rules.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/template.h"
#include "runtime/lib/util.h"
#include "runtime/net/ports.h"

static const struct tmpl_header ps_headers[] = {
    {"ID", "CONTAINER ID"},
    {"Image", "IMAGE"},
    {"Command", "COMMAND"},
    {"RunningFor", "CREATED"},
    {"CreatedAt", "CREATED AT"},
    {"Status", "STATUS"},
    {"Ports", "PORTS"},
    {"Names", "NAMES"},
    {"State", "STATE"},
    {"Labels", "LABELS"},
    {"Mounts", "MOUNTS"},
    {"Networks", "NETWORKS"},
    {"LocalVolumes", "LOCAL VOLUMES"},
    {"Size", "SIZE"},
    {NULL, NULL},
};

#define PS_TABLE                                                                                   \
	"table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"      \
	"{{.Names}}"

static const char *const ps_filter_keys[] = {"name",	"id",	  "label",  "status",  "ancestor",
					     "exited",	"health", "volume", "publish", "expose",
					     "network", "before", "since",  NULL};

struct ps_opts {
	bool all, quiet, no_trunc, latest, size;
	int last;
	const char *format;
	struct strv filters;
};

#define PS(f) struct ps_opts, f
static const struct flg ps_flags[] = {
    FLG_BOOL('a', "all", PS(all), "Show all containers (default shows just running)"),
    FLG_STRINGS('f', "filter", PS(filters), "Filter output based on conditions provided"),
    FLG_STRING(0, "format", PS(format),
	       "Format output using a Go template, 'table', 'table TEMPLATE' or 'json'"),
    FLG_INT('n', "last", PS(last), "Show n last created containers (includes all states)"),
    FLG_BOOL('l', "latest", PS(latest), "Show the latest created container (includes all states)"),
    FLG_BOOL(0, "no-trunc", PS(no_trunc), "Don't truncate output"),
    FLG_BOOL('q', "quiet", PS(quiet), "Only display container IDs"),
    FLG_BOOL('s', "size", PS(size), "Display total file sizes"),
    FLG_END,
};

const struct flg_cmd cli_ps_cmd = {
    .path = "ps",
    .usage = "[OPTIONS]",
    .desc = "List containers",
    .flags = ps_flags,
    .max_args = 0,
};

/* What a row is filtered on: the supervisor's row (its words: ID NAME
 * IMAGE COMMAND CREATED STATUS STATE PORTS) and, when a filter or the
 * format needs them, the container's files. */
/* What only a container's files hold (tens of KiB): read for the rows a
 * filter or the format needs it for, else the zeroed ps_none. */
struct ps_files {
	struct ctr_config cfg;
	struct ctr_state st;
	struct hc_state health;
};
static struct ps_files ps_none;

struct ps_item {
	json_t *row;
	char *w[8];
	const char *id, *name, *state;
	int64_t created_ns;
	struct ps_files *f;
	bool loaded;
};

static bool m_name(const char *v, void *ctx)
{
	return flt_regex_match(v, ((struct ps_item *)ctx)->name);
}

static bool m_id(const char *v, void *ctx)
{
	return strncmp(((struct ps_item *)ctx)->id, v, strlen(v)) == 0;
}

static bool m_label(const char *v, void *ctx)
{
	return flt_label_match(v, ((struct ps_item *)ctx)->f->cfg.labels);
}

static bool m_status(const char *v, void *ctx)
{
	return strcmp(((struct ps_item *)ctx)->state, v) == 0;
}

static bool m_exited(const char *v, void *ctx)
{
	struct ps_item *it = ctx;

	return it->f->st.status == CTR_EXITED && atoi(v) == it->f->st.exit_code;
}

/* name:tag, with ":latest" when ref names no tag. */
static void with_tag(const char *ref, char *buf, size_t size)
{
	const char *slash = strrchr(ref, '/');

	snprintf(buf, size, "%s%s", ref, strchr(slash ? slash : ref, ':') ? "" : ":latest");
}

/* ancestor: the image as named at run (":latest" implied), or (a prefix
 * of at least 4 digits of) its ID. */
static bool m_ancestor(const char *v, void *ctx)
{
	struct ps_item *it = ctx;
	const char *iid = it->f->cfg.image_id ? it->f->cfg.image_id : "";
	const char *hex = strncmp(iid, "sha256:", 7) == 0 ? iid + 7 : iid;
	const char *vhex = strncmp(v, "sha256:", 7) == 0 ? v + 7 : v;
	char a[400], b[400];

	if (strlen(vhex) >= 4 && strncmp(hex, vhex, strlen(vhex)) == 0)
		return true;
	with_tag(it->f->cfg.image ? it->f->cfg.image : "", a, sizeof(a));
	with_tag(v, b, sizeof(b));
	return strcmp(a, b) == 0;
}

static bool m_health(const char *v, void *ctx)
{
	struct ps_item *it = ctx;
	enum hc_status hs = it->f->health.status;
	const char *h = hs == HC_NONE ? "none" : hc_status_name(hs);

	return strcmp(h, v) == 0;
}

static bool m_volume(const char *v, void *ctx)
{
	struct ps_item *it = ctx;

	for (int i = 0; i < it->f->cfg.nmounts; i++) {
		const struct ctr_mount *m = &it->f->cfg.mounts[i];
		if ((m->name && strcmp(m->name, v) == 0) || strcmp(m->target, v) == 0 ||
		    strcmp(m->source, v) == 0)
			return true;
	}
	return false;
}

static bool m_publish(const char *v, void *ctx)
{
	struct ps_item *it = ctx;

	for (char **p = it->f->cfg.ports; p && *p; p++) {
		struct port_map pm;
		struct berr e;

		if (port_parse(*p, &pm, &e) < 0)
			continue;
		for (unsigned port = pm.ctr; port <= pm.ctr_end || port == pm.ctr; port++) {
			if (flt_port_match(v, port, pm.udp))
				return true;
			if (port >= pm.ctr_end)
				break;
		}
	}
	return false;
}

static bool m_network(const char *v, void *ctx)
{
	struct ps_item *it = ctx;

	return strcmp(it->f->cfg.network ? it->f->cfg.network : "none", v) == 0 ||
	       cli_network_on(&it->f->cfg, v);
}

static const struct {
	const char *key;
	bool (*match)(const char *v, void *ctx);
} ps_matchers[] = {
    {"name", m_name},	   {"id", m_id},	   {"label", m_label},
    {"status", m_status},  {"exited", m_exited},   {"ancestor", m_ancestor},
    {"health", m_health},  {"volume", m_volume},   {"publish", m_publish},
    {"expose", m_publish}, {"network", m_network},
};

static bool ps_pass(const struct strv *f, struct ps_item *it)
{
	for (size_t i = 0; i < ARRAY_SIZE(ps_matchers); i++) {
		if (!flt_pass(f, ps_matchers[i].key, ps_matchers[i].match, it))
			return false;
	}
	return true;
}

/* A status or health filter value Docker knows. */
static int ps_check_values(const struct strv *f, struct berr *e)
{
	static const char *const states =
	    " created restarting running removing paused exited dead ";
	static const char *const healths = " starting healthy unhealthy none ";

	for (int i = 0; i < f->n; i++) {
		const char *w = f->v[i], *eq = strchr(w, '='), *set = NULL;
		char pad[160];

		if (strncmp(w, "status=", 7) == 0)
			set = states;
		else if (strncmp(w, "health=", 7) == 0)
			set = healths;
		snprintf(pad, sizeof(pad), " %s ", eq + 1);
		if (set && (!eq[1] || !strstr(set, pad)))
			return berr_msg(e, EINVAL, "invalid filter '%s'", w);
	}
	return 0;
}

/* The default table's words of a row that are not the reply's own. */
struct ps_text {
	char ago[64], cmd[80], ports[1024];
};

static void ps_text(const struct ps_item *it, bool no_trunc, struct ps_text *t)
{
	char *const *w = it->w;
	struct port_map pm[PORTS_MAX];
	int np = port_list_parse(w[7], pm, PORTS_MAX);

	t->ports[0] = '\0';
	port_list_format(pm, np, t->ports, sizeof(t->ports));
	ctr_since(it->created_ns, wall_ns(), t->ago, sizeof(t->ago));
	strcat(t->ago, " ago");
	if (!no_trunc && strlen(w[3]) > 20)
		snprintf(t->cmd, sizeof(t->cmd), "\"%.19s…\"", w[3]);
	else
		snprintf(t->cmd, sizeof(t->cmd), "\"%.60s\"", w[3]);
}

/* Docker's ps fields for one row of `ps-rows` ("ID NAME IMAGE COMMAND
 * CREATED STATUS STATE PORTS", quoted). */
static json_t *ps_fields(const struct ps_item *it, bool no_trunc)
{
	char *const *w = it->w;
	char created[64], labels[2048] = "", mounts[2048] = "";
	char nvols[16];
	struct ps_text t;
	size_t ll = 0, ml = 0;
	int nvol = 0;

	ps_text(it, no_trunc, &t);
	go_time(it->created_ns / 1000000000, created, sizeof(created));
	for (char **l = it->f->cfg.labels; it->loaded && l && *l; l++)
		ll += snprintf(labels + ll, ll < sizeof(labels) ? sizeof(labels) - ll : 0, "%s%s",
			       ll ? "," : "", *l);
	for (int i = 0; it->loaded && i < it->f->cfg.nmounts; i++) {
		const struct ctr_mount *m = &it->f->cfg.mounts[i];

		nvol += m->name != NULL;
		ml += snprintf(mounts + ml, ml < sizeof(mounts) ? sizeof(mounts) - ml : 0, "%s%s",
			       ml ? "," : "", m->name ? m->name : m->source);
	}
	snprintf(nvols, sizeof(nvols), "%d", nvol);
	return json_pack(
	    "{s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command",
	    t.cmd, "ID", w[0], (size_t)(no_trunc ? CTR_ID_LEN : 12), "CreatedAt", created, "Image",
	    w[2], "Labels", labels, "Mounts", mounts, "Names", w[1], "Networks",
	    it->loaded && it->f->cfg.network ? it->f->cfg.network : "", "LocalVolumes", nvols,
	    "Ports", t.ports, "RunningFor", t.ago, "Size", "0B", "State", w[6], "Status", w[5]);
}

/* The default table (or -q) without a JSON object and a template per row:
 * with 1000 containers those allocations were most of ps's time. The
 * same text as tmpl_print gives for PS_TABLE. */
static int ps_print_plain(struct ps_item *const *shown, size_t n, bool quiet, bool no_trunc)
{
	struct strv lines = {0};
	char *out = NULL;
	int rc = 1;

	if (!quiet &&
	    strv_add(&lines, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES") < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char *const *w = shown[i]->w;
		char line[2048];
		struct ps_text t;
		int idlen = no_trunc ? CTR_ID_LEN : 12;

		if (quiet) {
			printf("%.*s\n", idlen, w[0]);
			continue;
		}
		ps_text(shown[i], no_trunc, &t);
		snprintf(line, sizeof(line), "%.*s\t%s\t%s\t%s\t%s\t%s\t%s", idlen, w[0], w[2], t.cmd,
			 t.ago, w[5], t.ports, w[1]);
		if (strv_add(&lines, line) < 0)
			goto out;
	}
	if (!quiet && !(out = tmpl_tabulate(lines.v, lines.n)))
		goto out;
	if (out)
		fputs(out, stdout);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "berth: out of memory\n");
	free(out);
	strv_free(&lines);
	return rc;
}

static void ps_item_load(const char *root, struct ps_item *it)
{
	struct berr e;

	if (it->f == &ps_none && !(it->f = calloc(1, sizeof(*it->f)))) {
		it->f = &ps_none;
		return;
	}
	it->loaded = ctr_config_load(root, it->id, &it->f->cfg, &e) == 0;
	if (ctr_state_load(root, it->id, &it->f->st, &e) < 0)
		memset(&it->f->st, 0, sizeof(it->f->st));
	if (ctr_health_load(root, it->id, &it->f->health, &e) < 0)
		it->f->health.status = HC_NONE;
}

static int by_created_desc(const void *a, const void *b)
{
	const struct ps_item *x = a, *y = b;

	return x->created_ns < y->created_ns ? 1 : x->created_ns > y->created_ns ? -1 : 0;
}

/* Reading three files per container is most of ps's time with many of
 * them: only when a filter (other than the row's own words) or the format
 * (json, or a template naming what only the files hold) needs them. */
static bool ps_needs_files(const struct ps_opts *o)
{
	static const char *const own[] = {"name=", "id=", "status=", "before=", "since="};
	static const char *const file_keys[] = {"json", "Labels", "Label ", "Mounts", "Networks",
						"LocalVolumes"};

	for (int i = 0; i < o->filters.n; i++) {
		size_t k = 0;

		while (k < ARRAY_SIZE(own) && strncmp(o->filters.v[i], own[k], strlen(own[k])))
			k++;
		if (k == ARRAY_SIZE(own))
			return true;
	}
	for (size_t k = 0; o->format && !o->quiet && k < ARRAY_SIZE(file_keys); k++) {
		if (strstr(o->format, file_keys[k]))
			return true;
	}
	return false;
}

/* The rows of the reply, newest first; *n of them. */
static struct ps_item *ps_items(char *text, size_t *n)
{
	struct ps_item *items = NULL;
	size_t cap = 0;

	*n = 0;
	for (char *l = text, *nl; l && (nl = strchr(l, '\n')); l = nl + 1) {
		struct ps_item it = {0};
		struct berr e;

		*nl = '\0';
		if (proto_split(l, it.w, 8, &e) != 8)
			continue;
		if (*n == cap) {
			struct ps_item *g = realloc(items, (cap = cap * 2 + 16) * sizeof(*items));
			if (!g)
				break;
			items = g;
		}
		it.f = &ps_none;
		it.id = it.w[0];
		it.name = it.w[1];
		it.state = it.w[6];
		it.created_ns = strtoll(it.w[4], NULL, 10);
		items[(*n)++] = it;
	}
	if (items)
		qsort(items, *n, sizeof(*items), by_created_desc);
	return items;
}

/* before=/since= name a container: the created time of it, or -1. */
static int64_t ps_ref_time(struct ps_item *items, size_t n, const struct strv *f, const char *key)
{
	size_t kl = strlen(key);

	for (int i = 0; i < f->n; i++) {
		const char *ref;

		if (strncmp(f->v[i], key, kl) != 0 || f->v[i][kl] != '=')
			continue;
		ref = f->v[i] + kl + 1;
		for (size_t k = 0; k < n; k++) {
			if (strcmp(items[k].name, ref) == 0 ||
			    strncmp(items[k].id, ref, strlen(ref)) == 0)
				return items[k].created_ns;
		}
		fprintf(stderr, "berth: No such container: %s\n", ref);
		return -2;
	}
	return -1;
}

static bool ps_shown(const char *root, const struct ps_opts *o, bool all, struct ps_item *it,
		     int64_t before, int64_t since)
{
	if (!all && strcmp(it->state, "running") != 0 && strcmp(it->state, "restarting") != 0 &&
	    strcmp(it->state, "paused") != 0)
		return false;
	if ((before >= 0 && it->created_ns >= before) || (since >= 0 && it->created_ns <= since))
		return false;
	if (ps_needs_files(o))
		ps_item_load(root, it);
	return ps_pass(&o->filters, it);
}

/* --size: "12B (virtual 4.4MB)", the writable layer and with the image,
 * for the rows shown. */
static void ps_sizes(const char *root, struct ps_item *items, size_t n)
{
	struct img_summary *imgs = NULL;
	size_t nimg = 0;
	struct berr e;

	if (img_list_unpacked(root, &imgs, &nimg, &e) < 0)
		nimg = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t rw, img = 0;
		char a[32], b[32], text[80];

		if (!items[i].row)
			continue;
		if (!items[i].loaded)
			ps_item_load(root, &items[i]);
		rw = cli_ctr_size(root, items[i].id);

		for (size_t k = 0; items[i].loaded && k < nimg && !img; k++)
			img = strcmp(imgs[k].id, items[i].f->cfg.image_id ? items[i].f->cfg.image_id : "")
				      ? 0 : imgs[k].size;
		lr_human_size(rw, a, sizeof(a));
		lr_human_size(rw + img, b, sizeof(b));
		snprintf(text, sizeof(text), "%s (virtual %s)", a, b);
		json_object_set_new(items[i].row, "Size", json_string(text));
	}
	free(imgs);
}

static int ps_print(const char *root, const struct ps_opts *o, char *text)
{
	bool all = o->all || o->last > 0 || o->latest || flt_has(&o->filters, "status");
	int limit = o->latest ? 1 : o->last > 0 ? o->last : -1;
	const char *tmpl = o->quiet ? "{{.ID}}"
				    : tmpl_choose(o->format, o->size ? PS_TABLE "\t{{.Size}}" : PS_TABLE);
	bool plain = o->quiet || strcmp(tmpl, PS_TABLE) == 0;
	json_t *rows = json_array();
	struct ps_item *items, **shown;
	int64_t before, since;
	size_t n, ns = 0;
	int rc = 1;

	items = ps_items(text, &n);
	shown = calloc(n + 1, sizeof(*shown));
	before = ps_ref_time(items, n, &o->filters, "before");
	since = ps_ref_time(items, n, &o->filters, "since");
	for (size_t i = 0; shown && before > -2 && since > -2 && i < n; i++) {
		if (limit != 0 && ps_shown(root, o, all, &items[i], before, since)) {
			shown[ns++] = &items[i];
			if (!plain)
				json_array_append(rows, items[i].row = ps_fields(&items[i], o->no_trunc));
			limit -= limit > 0;
		}
	}
	/* as Docker's: also when the template asks for .Size */
	if (!plain && (o->size || (o->format && strstr(o->format, ".Size"))))
		ps_sizes(root, items, n);
	if (!shown)
		fprintf(stderr, "berth: out of memory\n");
	else if (before > -2 && since > -2)
		rc = plain ? ps_print_plain(shown, ns, o->quiet, o->no_trunc)
			   : tmpl_print(tmpl, rows, ps_headers);
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].row);
		if (items[i].loaded)
			ctr_config_free(&items[i].f->cfg);
		if (items[i].f != &ps_none)
			free(items[i].f);
	}
	free(shown);
	free(items);
	json_decref(rows);
	return rc;
}

int cli_ps(const char *root, int argc, char **argv)
{
	char *args[] = {"ps-rows", NULL};
	struct ps_opts o = {0};
	struct client_reply cr;
	struct flg_out a;
	struct berr e;
	int status;

	if (flg_verb(&cli_ps_cmd, &o, argc, argv, &a) < 0) {
		strv_free(&o.filters);
		return a.status;
	}
	if (flt_check(&o.filters, ps_filter_keys, &e) < 0 || ps_check_values(&o.filters, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		strv_free(&o.filters);
		return 1;
	}
	status = client_send(root, 1, args, &cr) < 0 ? -1 : client_collect(&cr, 15000);
	if (status == 0)
		status = ps_print(root, &o, cr.out);
	if (status >= -1)
		client_reply_free(&cr);
	strv_free(&o.filters);
	return status < 0 ? 1 : status;
}
