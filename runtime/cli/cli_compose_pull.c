/* cli_compose_pull.c - images for `berth compose`: `compose pull
 * [SERVICE...]` and each service's pull_policy before `up` makes its
 * container (always, missing/if_not_present the default, never; daily,
 * weekly, every_<duration>: when the image's last pull, as the store
 * recorded it, is older; one never pulled is), as Compose's spec says. At boot (BERTH_COMPOSE_WAIT, set by PID 1) a
 * service whose image cannot be pulled yet (no network, an unreachable
 * registry) is put off and tried again with backoff while the others go
 * on (cli_compose_up.c); PID 1 itself never speaks HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_compose_priv.h"
#include "cli_run.h"
#include "runtime/image/image.h"
#include "runtime/registry/pull.h"

struct pull_opts {
	bool quiet, ignore_failures;
};

#define PO(f) struct pull_opts, f
static const struct flg pull_flags[] = {
	FLG_BOOL('q', "quiet", PO(quiet), "Pull without printing progress information"),
	FLG_BOOL(0, "ignore-pull-failures", PO(ignore_failures),
		 "Pull what it can and ignores images with pull failures"),
	FLG_END,
};

static int compose_pull(void *ctx, int argc, char **argv);

const struct flg_cmd cli_compose_pull_cmd = {
	.path = "compose pull",
	.usage = "[OPTIONS] [SERVICE...]",
	.desc = "Pull service images",
	.flags = pull_flags,
	.run = compose_pull,
	.max_args = -1,
};

/* " NAME WHAT" on stdout, as Docker Compose reports a service's image. */
static void say(const char *service, const char *what)
{
	printf(" %s %s\n", service, what);
	fflush(stdout);
}

static const char *policy_of(const struct compose_service *s)
{
	const char *p = s->pull_policy;

	return !p || !strcmp(p, "if_not_present") ? "missing" : p;
}

/* Pull one service's image; 0, or 1 after saying why not. */
static int pull_service(struct cli_project *o, const struct compose_service *s, bool quiet)
{
	struct reg_pull_opts po = { .quiet = quiet, .out = quiet ? NULL : stdout };
	char id[DG_STR_LEN];
	struct berr e;

	say(s->name, "Pulling");
	if (reg_pull(o->root, s->image, &po, id, &e) < 0) {
		fprintf(stderr, "berth: service %s: %s\n", s->name, e.msg);
		return 1;
	}
	if (quiet)
		fflush(stdout);
	say(s->name, "Pulled");
	return 0;
}

static int compose_pull(void *ctx, int argc, char **argv)
{
	struct cli_project *o = ctx;
	bool want[COMPOSE_MAX_SERVICES] = { 0 };
	struct pull_opts p = { 0 };
	struct flg_out a;
	int rc = 0;

	if (flg_verb(&cli_compose_pull_cmd, &p, argc, argv, &a) < 0)
		return a.status;
	if (cli_compose_load(o) < 0 || cli_compose_wanted(o, a.argc, a.argv, false, want) < 0)
		return 1;
	for (int i = 0; i < o->f.nsvc; i++) {
		const struct compose_service *s = &o->f.svc[i];

		if (!want[i] || s->status != COMPOSE_OK)
			continue;
		if (!strcmp(policy_of(s), "never")) {
			say(s->name, "Skipped - pull_policy is never");
			continue;
		}
		rc |= pull_service(o, s, p.quiet);
	}
	return rc && !p.ignore_failures ? 1 : 0;
}

int cli_compose_pull_for_up(struct cli_project *o, int svc)
{
	const struct compose_service *s = &o->f.svc[svc];
	bool boot = getenv("BERTH_COMPOSE_WAIT") != NULL;
	struct img_info info;
	struct berr e;

	int64_t every = 0;
	bool due = true;

	if (!strcmp(policy_of(s), "never"))
		return 0; /* a missing image is reported by run */
	if (strcmp(policy_of(s), "always") && img_resolve(o->root, s->image, &info, &e) == 0) {
		/* daily, weekly, every_: due once the last pull is that old */
		due = compose_pull_refresh(policy_of(s), &every) &&
		      (int64_t)time(NULL) - info.pulled >= every;
		img_info_free(&info);
	}
	if (!due)
		return 0;
	if (pull_service(o, s, true) == 0)
		return 0;
	return boot ? 3 : 1;
}
