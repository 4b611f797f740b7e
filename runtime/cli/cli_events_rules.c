/* cli_events_rules.c - the pure half of `berth events` (cli_events_rules.h):
 * Docker's --since/--until times, an event line from the supervisor,
 * --filter, and Docker's text and JSON forms of an event. */
#include "cli_events_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/lib/duration.h"
#include "runtime/lib/proto.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (no time zone). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Up to 9 fraction digits after a '.', as nanoseconds; *s moves past them. */
static int64_t fraction(const char **s)
{
	int64_t ns = 0, scale = 100000000;

	if (**s != '.')
		return 0;
	for ((*s)++; isdigit((unsigned char)**s); (*s)++) {
		ns += (**s - '0') * scale;
		scale /= 10;
	}
	return ns;
}

/* YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|±HH:MM] (no zone: UTC). */
static int parse_date(const char *s, int64_t *ns)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, zh, zm;
	int64_t frac = 0, t, off = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	s += n;
	if (*s == 'T') {
		if (sscanf(s, "T%2d:%2d%n", &h, &mi, &n) != 2 || n != 6)
			return -EINVAL;
		s += n;
		if (*s == ':') {
			if (sscanf(s, ":%2d%n", &sec, &n) != 1 || n != 3)
				return -EINVAL;
			s += n;
			frac = fraction(&s);
		}
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		if (sscanf(s + 1, "%2d:%2d%n", &zh, &zm, &n) != 2 || n != 5)
			return -EINVAL;
		off = (*s == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
		s += 6;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	*ns = t * 1000000000ll + frac;
	return 0;
}

int evf_parse_time(const char *s, int64_t now_ns, int64_t *ns)
{
	struct berr e;
	int64_t d;
	const char *p;
	size_t n;

	if (!*s)
		return -EINVAL;
	/* Unix seconds, optionally with a fraction: 1700000000.5 */
	n = strspn(s, "0123456789");
	if (n && (!s[n] || (s[n] == '.' && s[n + 1] &&
			    strspn(s + n + 1, "0123456789") == strlen(s + n + 1)))) {
		p = s + n;
		*ns = strtoll(s, NULL, 10) * 1000000000ll + fraction(&p);
		return 0;
	}
	if (parse_date(s, ns) == 0)
		return 0;
	if (duration_parse(s, &d, &e) == 0 && d >= 0) {
		*ns = now_ns - d;
		return 0;
	}
	return -EINVAL;
}

/* ---- events ---- */

int evf_parse_line(char *line, struct evf_event *ev)
{
	char *w[PROTO_ARGS_MAX + 1], *end;
	struct berr e;
	int n = proto_split(line, w, PROTO_ARGS_MAX, &e);

	if (n < 4)
		return -EINVAL;
	ev->ns = strtoll(w[0], &end, 10);
	if (*end)
		return -EINVAL;
	ev->type = w[1];
	ev->action = w[2];
	ev->id = w[3];
	ev->nattrs = n - 4 > EVF_ATTRS_MAX ? EVF_ATTRS_MAX : n - 4;
	for (int i = 0; i < ev->nattrs; i++)
		ev->attrs[i] = w[4 + i];
	return 0;
}

const char *evf_attr(const struct evf_event *ev, const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; i < ev->nattrs; i++) {
		if (strncmp(ev->attrs[i], key, n) == 0 && ev->attrs[i][n] == '=')
			return ev->attrs[i] + n + 1;
	}
	return NULL;
}

static const char *const filter_keys[] = { "type", "event", "container", "image", "label",
					   "volume", NULL };

int evf_filter_check(const char *f)
{
	const char *eq = strchr(f, '=');

	if (!eq || eq == f || !eq[1])
		return -EINVAL;
	for (int i = 0; filter_keys[i]; i++) {
		if (strlen(filter_keys[i]) == (size_t)(eq - f) &&
		    strncmp(f, filter_keys[i], eq - f) == 0)
			return 0;
	}
	return -EINVAL;
}

/* Does one filter's value v (of key) hold for ev? */
static bool match_one(const struct evf_event *ev, const char *key, const char *v)
{
	const char *name = evf_attr(ev, "name"), *colon;

	if (strcmp(key, "type") == 0)
		return strcmp(ev->type, v) == 0;
	if (strcmp(key, "event") == 0) {
		/* "health_status: healthy" is also a health_status event */
		colon = strchr(ev->action, ':');
		return strcmp(ev->action, v) == 0 ||
		       (colon && strlen(v) == (size_t)(colon - ev->action) &&
			strncmp(ev->action, v, colon - ev->action) == 0);
	}
	if (strcmp(key, "container") == 0)
		return strcmp(ev->type, "container") == 0 &&
		       ((name && strcmp(name, v) == 0) || strncmp(ev->id, v, strlen(v)) == 0);
	if (strcmp(key, "image") == 0) {
		const char *img = evf_attr(ev, "image");
		return (img && strcmp(img, v) == 0) ||
		       (strcmp(ev->type, "image") == 0 &&
			(strcmp(ev->id, v) == 0 || (name && strcmp(name, v) == 0)));
	}
	if (strcmp(key, "volume") == 0)
		return strcmp(ev->type, "volume") == 0 && strcmp(ev->id, v) == 0;
	if (strcmp(key, "label") == 0) {
		const char *eq = strchr(v, '=');
		char k[256];
		const char *val;

		snprintf(k, sizeof(k), "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
		val = evf_attr(ev, k);
		return val && (!eq || strcmp(val, eq + 1) == 0);
	}
	return false;
}

/* Docker's rule: filters of one key are alternatives, keys all hold. */
bool evf_match(const struct evf_event *ev, char *const *filters, int n)
{
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(filters[i], '=');
		char key[32];
		bool any = false;

		snprintf(key, sizeof(key), "%.*s", (int)(eq - filters[i]), filters[i]);
		for (int j = 0; j < n; j++) {
			if (strncmp(filters[j], key, strlen(key)) == 0 && filters[j][strlen(key)] == '=')
				any |= match_one(ev, key, filters[j] + strlen(key) + 1);
		}
		if (!any)
			return false;
	}
	return true;
}

/* ---- output ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void evf_time(int64_t ns, char *buf, size_t size)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(ns % 1000000000));
}

void evf_text(struct evf_event *ev, char *buf, size_t size)
{
	char when[48];
	size_t len;

	qsort(ev->attrs, ev->nattrs, sizeof(ev->attrs[0]), cmp_str);
	evf_time(ev->ns, when, sizeof(when));
	len = snprintf(buf, size, "%s %s %s %s", when, ev->type, ev->action, ev->id);
	for (int i = 0; i < ev->nattrs && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? ", " : " (", ev->attrs[i]);
	if (ev->nattrs && len < size)
		snprintf(buf + len, size - len, ")");
}

json_t *evf_json(const struct evf_event *ev, bool go_names)
{
	json_t *attrs = json_object(), *o;
	const char *from = evf_attr(ev, "image");

	for (int i = 0; i < ev->nattrs; i++) {
		char *eq = strchr(ev->attrs[i], '='), key[256];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - ev->attrs[i]), ev->attrs[i]);
		json_object_set_new(attrs, key, json_string(eq + 1));
	}
	o = json_pack("{s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "Type", ev->type, "Action",
		      ev->action, "Actor", "ID", ev->id, "Attributes", attrs,
		      go_names ? "Scope" : "scope", "local", go_names ? "Time" : "time",
		      (json_int_t)(ev->ns / 1000000000), go_names ? "TimeNano" : "timeNano",
		      (json_int_t)ev->ns);
	if (o && strcmp(ev->type, "container") == 0) {
		/* the old fields Docker still sends for containers */
		json_object_set_new(o, go_names ? "Status" : "status", json_string(ev->action));
		json_object_set_new(o, go_names ? "ID" : "id", json_string(ev->id));
		json_object_set_new(o, go_names ? "From" : "from", json_string(from ? from : ""));
	}
	return o;
}
