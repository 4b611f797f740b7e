#include "health.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/strv.h"

const char *hc_status_name(enum hc_status s)
{
	switch (s) {
	case HC_STARTING:
		return "starting";
	case HC_HEALTHY:
		return "healthy";
	case HC_UNHEALTHY:
		return "unhealthy";
	default:
		return "none";
	}
}

int hc_status_parse(const char *name)
{
	for (int s = HC_NONE; s <= HC_UNHEALTHY; s++) {
		if (name && strcmp(hc_status_name(s), name) == 0)
			return s;
	}
	return -1;
}

/* ---- configuration ---- */

void hc_config_free(struct hc_config *h)
{
	strv_freev(h->test);
	memset(h, 0, sizeof(*h));
}

int hc_config_copy(struct hc_config *dst, const struct hc_config *src)
{
	*dst = *src;
	dst->test = NULL;
	if (src->test && !(dst->test = strv_dup(src->test)))
		return -ENOMEM;
	return 0;
}

int hc_merge(struct hc_config *user, const struct hc_config *image)
{
	if (!image)
		return 0;
	if ((!user->test || !user->test[0]) && image->test) {
		strv_freev(user->test);
		if (!(user->test = strv_dup(image->test)))
			return -ENOMEM;
	}
	if (!user->interval)
		user->interval = image->interval;
	if (!user->timeout)
		user->timeout = image->timeout;
	if (!user->start_period)
		user->start_period = image->start_period;
	if (!user->retries)
		user->retries = image->retries;
	return 0;
}

bool hc_enabled(const struct hc_config *h)
{
	return h->test && h->test[0] && strcmp(h->test[0], "NONE") != 0;
}

int hc_argv(const struct hc_config *h, char **argv, int max, struct berr *e)
{
	int n = 0;

	if (!hc_enabled(h))
		return berr_msg(e, EINVAL, "no health check configured");
	if (strcmp(h->test[0], "CMD-SHELL") == 0) {
		if (!h->test[1] || max < 4)
			return berr_msg(e, EINVAL, "health check CMD-SHELL without a command");
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = h->test[1];
		argv[3] = NULL;
		return 0;
	}
	if (strcmp(h->test[0], "CMD") != 0)
		return berr_msg(e, EINVAL,
				"unknown health check type \"%s\": want CMD, CMD-SHELL or "
				"NONE",
				h->test[0]);
	for (char **a = h->test + 1; *a && n < max - 1; a++)
		argv[n++] = *a;
	argv[n] = NULL;
	if (n == 0)
		return berr_msg(e, EINVAL, "health check CMD without a command");
	return 0;
}

int64_t hc_interval(const struct hc_config *h)
{
	return h->interval > 0 ? h->interval : HC_DEFAULT_INTERVAL_NS;
}

int64_t hc_timeout(const struct hc_config *h)
{
	return h->timeout > 0 ? h->timeout : HC_DEFAULT_TIMEOUT_NS;
}

int hc_retries(const struct hc_config *h)
{
	return h->retries > 0 ? h->retries : HC_DEFAULT_RETRIES;
}

int hc_validate(const struct hc_config *h, struct berr *e)
{
	static const char *const names[] = {"Interval", "Timeout", "StartPeriod"};
	const int64_t v[] = {h->interval, h->timeout, h->start_period};

	for (int i = 0; i < 3; i++) {
		if (v[i] != 0 && v[i] < 1000000)
			return berr_msg(e, EINVAL, "%s in Healthcheck cannot be less than 1ms",
					names[i]);
	}
	if (h->retries < 0)
		return berr_msg(e, EINVAL, "Retries in Healthcheck cannot be negative");
	return 0;
}

int hc_from_json(struct json_t *o, struct hc_config *h)
{
	json_t *t;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(o))
		return 0;
	t = json_object_get(o, "Test");
	if (json_is_array(t) && json_array_size(t) > 0) {
		size_t n = json_array_size(t);

		h->test = calloc(n + 1, sizeof(char *));
		if (!h->test)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			const char *s = json_string_value(json_array_get(t, i));
			if (!(h->test[i] = strdup(s ? s : ""))) {
				hc_config_free(h);
				return -ENOMEM;
			}
		}
	}
	h->interval = json_integer_value(json_object_get(o, "Interval"));
	h->timeout = json_integer_value(json_object_get(o, "Timeout"));
	h->start_period = json_integer_value(json_object_get(o, "StartPeriod"));
	h->retries = (int)json_integer_value(json_object_get(o, "Retries"));
	return 0;
}

json_t *hc_to_json(const struct hc_config *h)
{
	json_t *o = json_object(), *t = json_array();

	for (char **a = h->test; a && *a; a++)
		json_array_append_new(t, json_string(*a));
	json_object_set_new(o, "Test", t);
	json_object_set_new(o, "Interval", json_integer(h->interval));
	json_object_set_new(o, "Timeout", json_integer(h->timeout));
	json_object_set_new(o, "StartPeriod", json_integer(h->start_period));
	json_object_set_new(o, "Retries", json_integer(h->retries));
	return o;
}

/* ---- results ---- */

void hc_begin(struct hc_state *s)
{
	s->status = HC_STARTING;
	s->failing_streak = 0;
}

bool hc_record(struct hc_state *s, const struct hc_config *h, int64_t started_ns,
	       const struct hc_result *r)
{
	enum hc_status before = s->status;

	if (s->nlog == HC_LOG_MAX) {
		memmove(&s->log[0], &s->log[1], sizeof(s->log[0]) * (HC_LOG_MAX - 1));
		s->nlog--;
	}
	s->log[s->nlog++] = *r;
	if (r->exit_code == 0) {
		s->failing_streak = 0;
		s->status = HC_HEALTHY;
	} else if (!(s->status == HC_STARTING && r->start_ns - started_ns < h->start_period)) {
		/* Docker: failures within the start period do not count
		 * until the first success. */
		if (++s->failing_streak >= hc_retries(h))
			s->status = HC_UNHEALTHY;
	}
	return s->status != before;
}
