/* cli_events_rules.h - the pure half of `berth events`: Docker's time
 * arguments, the supervisor's event lines (init/supervisor/events.h has
 * the wire format), --filter, and the text and JSON forms Docker prints.
 * No I/O; unit-tested. Prefix evf_. */
#ifndef BERTH_CLI_EVENTS_RULES_H
#define BERTH_CLI_EVENTS_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

#define EVF_ATTRS_MAX 64

/* One event; the strings point into the line it was parsed from. */
struct evf_event {
	int64_t ns;		/* wall time */
	const char *type, *action, *id;
	char *attrs[EVF_ATTRS_MAX]; /* "KEY=VALUE" */
	int nattrs;
};

/* --since/--until as Docker takes them: Unix seconds (1700000000.5), an
 * RFC 3339 date or time (2026-12-05, 2026-12-05T21:00:00Z, with a
 * fraction or a ±HH:MM offset; no zone is UTC), or a Go duration before
 * now_ns (10m, 1h30m). 0 or -EINVAL. */
BERR_MUST int evf_parse_time(const char *s, int64_t now_ns, int64_t *ns);

/* Split one event line in place. 0 or -EINVAL. */
BERR_MUST int evf_parse_line(char *line, struct evf_event *ev);
/* The value of an attribute, or NULL. */
const char *evf_attr(const struct evf_event *ev, const char *key);

/* A --filter KEY=VALUE with a key events knows (type, event, container,
 * image, label, volume). 0 or -EINVAL. */
BERR_MUST int evf_filter_check(const char *f);
/* Whether ev passes the filters (checked ones): values of one key are
 * alternatives, different keys must all match. */
bool evf_match(const struct evf_event *ev, char *const *filters, int n);

/* "2026-12-05T21:00:00.000000000Z" (nine digits, as docker events). */
void evf_time(int64_t ns, char *buf, size_t size);
/* Docker's line: "TIME TYPE ACTION ID (k=v, k=v)", attributes sorted
 * (ev's attrs are sorted in place). */
void evf_text(struct evf_event *ev, char *buf, size_t size);
/* Docker's message: Type, Action, Actor{ID, Attributes}, scope, time,
 * timeNano (and status, id, from for containers); go_names: the Go field
 * names templates use (Scope, Time, TimeNano, Status, ID, From). */
json_t *evf_json(const struct evf_event *ev, bool go_names);

#endif
