#include "restart.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rp_name(enum rp_kind k)
{
	switch (k) {
	case RP_ALWAYS:
		return "always";
	case RP_ON_FAILURE:
		return "on-failure";
	case RP_UNLESS_STOPPED:
		return "unless-stopped";
	default:
		return "no";
	}
}

int rp_parse(const char *spec, struct rp_policy *p, struct berr *e)
{
	char name[32];
	const char *colon;
	size_t n;

	p->kind = RP_NO;
	p->max_retries = 0;
	if (!spec || !*spec)
		return 0;
	colon = strchr(spec, ':');
	n = colon ? (size_t)(colon - spec) : strlen(spec);
	if (colon && n == 0)
		return berr_msg(e, EINVAL,
				"invalid restart policy format: no policy provided before colon");
	if (colon && colon[1]) {
		char *end;
		long v;

		errno = 0;
		v = strtol(colon + 1, &end, 10);
		if (*end || errno || v > INT_MAX || v < INT_MIN)
			return berr_msg(e, EINVAL,
					"invalid restart policy format: maximum retry "
					"count must be an integer");
		p->max_retries = (int)v;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), spec);
	if (strcmp(name, "no") == 0)
		p->kind = RP_NO;
	else if (strcmp(name, "always") == 0)
		p->kind = RP_ALWAYS;
	else if (strcmp(name, "unless-stopped") == 0)
		p->kind = RP_UNLESS_STOPPED;
	else if (strcmp(name, "on-failure") == 0)
		p->kind = RP_ON_FAILURE;
	else
		return berr_msg(e, EINVAL,
				"invalid restart policy: unknown policy '%.*s'; use one of 'no', "
				"'always', 'on-failure', or 'unless-stopped'",
				(int)n, spec);
	if (p->kind != RP_ON_FAILURE && p->max_retries != 0)
		return berr_msg(e, EINVAL,
				"invalid restart policy: maximum retry count can only be used "
				"with 'on-failure'%s",
				p->max_retries < 0 ? " and cannot be negative" : "");
	if (p->max_retries < 0)
		return berr_msg(e, EINVAL,
				"invalid restart policy: maximum retry count cannot be negative");
	return 0;
}

bool rp_decide(const struct rp_policy *p, struct rp_track *t, bool failed, uint64_t ran_ms,
	       bool manual, uint64_t *delay_ms)
{
	bool restart = false;

	*delay_ms = 0;
	if (p->kind == RP_NO || manual)
		return false;
	switch (p->kind) {
	case RP_ALWAYS:
	case RP_UNLESS_STOPPED:
		restart = true;
		break;
	case RP_ON_FAILURE:
		restart = failed && (p->max_retries == 0 || t->count < p->max_retries);
		break;
	default:
		break;
	}
	if (!restart)
		return false;
	/* A run of 10 s or more starts the schedule again. */
	if (ran_ms >= RP_RESET_AFTER_MS || t->delay_ms == 0)
		t->delay_ms = RP_DELAY_MIN_MS;
	else if (t->delay_ms < RP_DELAY_MAX_MS)
		t->delay_ms *= 2;
	if (t->delay_ms > RP_DELAY_MAX_MS)
		t->delay_ms = RP_DELAY_MAX_MS;
	t->count++;
	*delay_ms = t->delay_ms;
	return true;
}

bool rp_start_at_boot(const struct rp_policy *p, bool manual)
{
	return p->kind == RP_ALWAYS || (p->kind == RP_UNLESS_STOPPED && !manual);
}
