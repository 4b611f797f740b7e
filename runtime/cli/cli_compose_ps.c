/* cli_compose_ps.c - `berth compose ps`: the project's containers as
 * Docker Compose lists them, through the one template engine: its table,
 * --format json (one object a line, Compose's keys), a Go template, -q,
 * --services; filtered by SERVICE arguments and --status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_compose_priv.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/template.h"
#include "runtime/lib/util.h"
#include "runtime/net/ports.h"

struct ps_opts {
	bool all, quiet, no_trunc, services;
	const char *format;
	struct strv status;
};

#define P(f) struct ps_opts, f
static const struct flg ps_flags[] = {
	FLG_BOOL('a', "all", P(all), "Show all stopped containers"),
	FLG_STRING(0, "format", P(format),
		   "Format the output: table, json, or a Go template (`string`)"),
	FLG_BOOL(0, "no-trunc", P(no_trunc), "Don't truncate output"),
	FLG_BOOL('q', "quiet", P(quiet), "Only display IDs"),
	FLG_BOOL(0, "services", P(services), "Display services"),
	FLG_STRINGS(0, "status", P(status),
		    "Filter services by status: paused, restarting, removing, running, dead, "
		    "created, exited (`strings`)"),
	FLG_END,
};

static int compose_ps(void *ctx, int argc, char **argv);

const struct flg_cmd cli_compose_ps_cmd = {
	.path = "compose ps",
	.usage = "[OPTIONS] [SERVICE...]",
	.desc = "List the project's containers",
	.flags = ps_flags,
	.run = compose_ps,
	.max_args = -1,
};

static const struct tmpl_header ps_headers[] = {
	{ "Name", "NAME" },	  { "Image", "IMAGE" },	      { "Command", "COMMAND" },
	{ "Service", "SERVICE" }, { "RunningFor", "CREATED" }, { "Status", "STATUS" },
	{ "Ports", "PORTS" },	  { "CreatedAt", "CREATED AT" }, { NULL, NULL },
};

#define PS_TABLE                                                                                   \
	"table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t" \
	"{{.Ports}}"

static const char *const statuses[] = { "paused",  "restarting", "removing", "running",
					"dead",	   "created",	 "exited",   NULL };

static bool in_list(const char *s, char *const *list, int n)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i], s) == 0)
			return true;
	}
	return n == 0;
}

/* Compose's keys for one container. */
static json_t *ps_row(const struct cli_project *o, const struct cli_member *c, bool no_trunc)
{
	char cmd[96] = "\"", created[64], ago[64], status[96], ports[512] = "";
	size_t len = 1;
	int64_t now = wall_ns();

	for (char **a = c->cfg.argv; a && *a && len + 2 < 80; a++)
		len += snprintf(cmd + len, 80 - len, "%s%s", a == c->cfg.argv ? "" : " ", *a);
	if (!no_trunc && strlen(cmd) > 21) /* Docker's Ellipsis(20) */
		snprintf(cmd + 20, sizeof(cmd) - 20, "…");
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "\"");
	iso_time_ns(c->cfg.created_ns, created, sizeof(created));
	ctr_since(c->cfg.created_ns, now, ago, sizeof(ago) - 4);
	strcat(ago, " ago");
	ctr_status_text(&c->st, now, status, sizeof(status));
	len = 0;
	for (char **p = c->cfg.ports; c->st.status == CTR_RUNNING && p && *p; p++) {
		struct port_map pm;
		struct berr e;
		char one[64];

		if (port_parse(*p, &pm, &e) < 0)
			continue;
		port_format(&pm, one, sizeof(one));
		len += snprintf(ports + len, len < sizeof(ports) ? sizeof(ports) - len : 0, "%s%s",
				len ? ", " : "", one);
	}
	return json_pack("{s:s, s:s, s:i, s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "Command", cmd, "CreatedAt", created, "ExitCode",
			 c->st.exit_code, "ID", c->cfg.id,
			 (size_t)(no_trunc ? CTR_ID_LEN : 12), "Image",
			 c->cfg.image ? c->cfg.image : "", "Name", c->cfg.name, "Networks",
			 c->cfg.network ? c->cfg.network : "", "Ports", ports, "Project",
			 o->project, "RunningFor", ago, "Service", c->service, "State",
			 ctr_state_name(&c->st), "Status", status);
}

static int ps_check(const struct ps_opts *p)
{
	for (int i = 0; i < p->status.n; i++) {
		if (!in_list(p->status.v[i], (char *const *)statuses, ARRAY_SIZE(statuses) - 1)) {
			fprintf(stderr, "berth: invalid status '%s': one of paused, restarting, "
					"removing, running, dead, created, exited\n",
				p->status.v[i]);
			return 1;
		}
	}
	return 0;
}

static int compose_ps(void *ctx, int argc, char **argv)
{
	static struct cli_member m[MAX_MEMBERS];
	struct cli_project *o = ctx;
	struct ps_opts p = { 0 };
	json_t *rows = json_array(), *seen = json_object();
	int idx[MAX_MEMBERS], n, rc;
	struct flg_out a;

	if (flg_verb(&cli_compose_ps_cmd, &p, argc, argv, &a) < 0) {
		rc = a.status;
		goto out;
	}
	rc = ps_check(&p);
	if (rc)
		goto out;
	/* ps works from the labels alone; with the file, a SERVICE must be in it */
	if (cli_compose_load(o) == 0) {
		bool want[COMPOSE_MAX_SERVICES] = { false };

		if (cli_compose_wanted(o, a.argc, a.argv, false, want) < 0) {
			rc = 1;
			goto out;
		}
	}
	n = cli_compose_members(o, m, MAX_MEMBERS);
	cli_compose_stop_order(o, m, n, idx);
	for (int k = n - 1; k >= 0; k--) {
		struct cli_member *c = &m[idx[k]];
		const char *state = ctr_state_name(&c->st);

		if (!in_list(c->service, a.argv, a.argc) ||
		    !in_list(state, p.status.v, p.status.n) ||
		    (!p.all && !p.status.n && c->st.status != CTR_RUNNING &&
		     c->st.status != CTR_RESTARTING) ||
		    (p.services && json_object_get(seen, c->service)))
			continue;
		json_object_set_new(seen, c->service, json_true());
		json_array_append_new(rows, ps_row(o, c, p.no_trunc || p.quiet));
	}
	cli_compose_members_free(m, n);
	rc = tmpl_print(p.quiet ? "{{.ID}}" : p.services ? "{{.Service}}" : tmpl_choose(p.format, PS_TABLE),
			rows, ps_headers);
out:
	json_decref(rows);
	json_decref(seen);
	strv_free(&p.status);
	return rc;
}
