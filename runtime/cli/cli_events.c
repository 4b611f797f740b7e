/* cli_events.c - `berth events`: the supervisor's lifecycle events as
 * Docker prints them. The supervisor sends the kept events since --since
 * and then follows (init/supervisor/events.h); this side filters and
 * formats (cli_events_rules.h) and stops at --until. The image and volume
 * verbs report what they did with cli_events_note. */
#include "cli_events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_events_rules.h"
#include "client.h"
#include "runtime/image/image.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/template.h"

struct events_opts {
	const char *since, *until, *format;
	struct strv filters;
};

#define E(f) struct events_opts, f
static const struct flg events_flags[] = {
	FLG_STRINGS('f', "filter", E(filters), "Filter output based on conditions provided"),
	FLG_STRING(0, "format", E(format),
		   "Format output using a custom template: 'json' prints each event in JSON, "
		   "else a Go template"),
	FLG_STRING(0, "since", E(since), "Show all events created since timestamp"),
	FLG_STRING(0, "until", E(until), "Stream events until this timestamp"),
	FLG_END,
};

const struct flg_cmd cli_events_cmd = {
	.path = "events",
	.usage = "[OPTIONS]",
	.desc = "Get real time events from the server",
	.flags = events_flags,
	.max_args = 0,
};

struct printer {
	const struct events_opts *o;
	int status; /* 1 after a template error or a broken line */
};

static void print_event(struct printer *p, struct evf_event *ev)
{
	char text[8192];
	json_t *rows;

	if (!p->o->format) {
		evf_text(ev, text, sizeof(text));
		printf("%s\n", text);
	} else if (strcmp(p->o->format, "json") == 0) {
		json_t *j = evf_json(ev, false);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(j);
	} else if (!p->status) {
		rows = json_array();
		json_array_append_new(rows, evf_json(ev, true));
		p->status = tmpl_print(p->o->format, rows, NULL);
		json_decref(rows);
	}
	fflush(stdout);
}

static void on_line(void *ctx, char *line)
{
	struct printer *p = ctx;
	struct evf_event ev;

	if (strncmp(line, "@err ", 5) == 0) {
		fprintf(stderr, "berth: %s\n", line + 5);
		return;
	}
	if (line[0] == '@')
		return; /* "@follow": the stream is open */
	if (evf_parse_line(line, &ev) < 0) {
		fprintf(stderr, "berth: events: a line the supervisor sent is not an event\n");
		p->status = 1;
		return;
	}
	if (evf_match(&ev, p->o->filters.v, p->o->filters.n))
		print_event(p, &ev);
}

/* --since and --until into wall-clock nanoseconds (0: not given). */
static int times(const struct events_opts *o, int64_t *since, int64_t *until)
{
	int64_t now = wall_ns();

	*since = *until = 0;
	if (o->since && evf_parse_time(o->since, now, since) < 0)
		return flg_fail(&cli_events_cmd, "invalid value for --since: \"%s\" is neither a "
				"timestamp nor a duration", o->since);
	if (o->until && evf_parse_time(o->until, now, until) < 0)
		return flg_fail(&cli_events_cmd, "invalid value for --until: \"%s\" is neither a "
				"timestamp nor a duration", o->until);
	if (*since < 0)
		*since = 0;
	if (o->until && *until <= 0)
		*until = 1;
	return 0;
}

int cli_events(const char *root, int argc, char **argv)
{
	struct events_opts o = { 0 };
	struct printer p = { .o = &o };
	struct client_reply cr;
	struct flg_out a;
	int64_t since, until;
	uint64_t deadline = 0;
	char s1[24], s2[24];
	char *req[] = { "events", s1, s2, NULL };
	int rc;

	if (flg_verb(&cli_events_cmd, &o, argc, argv, &a) < 0) {
		strv_free(&o.filters);
		return a.status;
	}
	for (int i = 0; i < o.filters.n; i++) {
		if (evf_filter_check(o.filters.v[i]) < 0) {
			fprintf(stderr, "berth: invalid filter '%s'\n", o.filters.v[i]);
			strv_free(&o.filters);
			return 1;
		}
	}
	rc = times(&o, &since, &until);
	if (rc) {
		strv_free(&o.filters);
		return rc;
	}
	snprintf(s1, sizeof(s1), "%lld", (long long)since);
	snprintf(s2, sizeof(s2), "%lld", (long long)until);
	if (until > wall_ns())
		deadline = now_ns() + (uint64_t)(until - wall_ns());
	if (client_send(root, 3, req, &cr) < 0) {
		strv_free(&o.filters);
		return 1;
	}
	rc = client_stream(&cr, deadline, on_line, &p);
	client_reply_free(&cr);
	strv_free(&o.filters);
	if (rc == -ETIMEDOUT) /* --until came */
		return p.status;
	return rc < 0 ? 1 : rc ? rc : p.status;
}

void cli_events_note(const char *root, const char *type, const char *action, const char *id,
		     const char *attr)
{
	char *req[] = { "event", (char *)type, (char *)action, (char *)id, (char *)attr, NULL };
	char control[512];
	int fd, rc;

	/* no supervisor (a build on the host): nothing to tell, nothing said */
	snprintf(control, sizeof(control), "%s/run/berth/control", root);
	fd = open(control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	close(fd);
	rc = client_ask(root, attr ? 5 : 4, req, 2000, NULL);
	(void)rc; /* best effort: the image or volume work is done either way */
}

void cli_events_image(const char *root, const char *action, const char *ref, const char *name)
{
	struct img_info info;
	struct berr e;
	char attr[600];

	snprintf(attr, sizeof(attr), "name=%s", name);
	if (strncmp(ref, "sha256:", 7) != 0 && img_resolve(root, ref, &info, &e) == 0) {
		cli_events_note(root, "image", action, info.id, attr);
		img_info_free(&info);
		return;
	}
	cli_events_note(root, "image", action, ref, attr);
}
