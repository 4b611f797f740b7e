/* rlimits.c - resource limits and the OOM score of a container process
 * (rlimits.h says who sets what). */
#include "rlimits.h"

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "runtime/lib/file.h"

static const struct sb_rlimit *nofile(const struct sb_spec *spec)
{
	for (int i = 0; i < spec->nrlimits; i++) {
		if (spec->rlimits[i].resource == RLIMIT_NOFILE)
			return &spec->rlimits[i];
	}
	return NULL;
}

/* The child's RLIMIT_NOFILE hard limit up to what it will set, when that
 * is more than it has (the soft limit stays: the child's opens need it). */
static int raise_nofile_hard(pid_t child, const struct sb_rlimit *want, struct berr *e)
{
	struct rlimit now;

	if (prlimit(child, RLIMIT_NOFILE, NULL, &now) < 0)
		return berr_set(e, errno, "prlimit: read RLIMIT_NOFILE");
	if (want->hard <= now.rlim_max)
		return 0;
	now.rlim_max = want->hard;
	if (prlimit(child, RLIMIT_NOFILE, &now, NULL) < 0)
		return berr_set(e, errno, "setrlimit nofile %llu:%llu",
				(unsigned long long)want->soft, (unsigned long long)want->hard);
	return 0;
}

int rl_parent_apply(pid_t child, const struct sb_spec *spec, struct berr *e)
{
	char path[64], adj[16];
	int r;

	for (int i = 0; i < spec->nrlimits; i++) {
		const struct sb_rlimit *l = &spec->rlimits[i];
		struct rlimit rl = {l->soft, l->hard};

		if (l->resource == RLIMIT_NOFILE)
			r = raise_nofile_hard(child, l, e);
		else if ((r = prlimit(child, l->resource, &rl, NULL)) < 0)
			r = berr_set(e, errno, "setrlimit %d %llu:%llu", l->resource,
				     (unsigned long long)l->soft, (unsigned long long)l->hard);
		if (r < 0)
			return r;
	}
	if (!spec->set_oom_score_adj)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)child);
	snprintf(adj, sizeof(adj), "%d", spec->oom_score_adj);
	r = write_file(path, adj);
	return r < 0 ? berr_set(e, -r, "set oom_score_adj %s", adj) : 0;
}

int rl_child_nofile(const struct sb_spec *spec, struct berr *e)
{
	const struct sb_rlimit *l = nofile(spec);
	struct rlimit rl;

	if (!l)
		return 0;
	rl = (struct rlimit){l->soft, l->hard};
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return berr_set(e, errno, "setrlimit nofile %llu:%llu", (unsigned long long)l->soft,
				(unsigned long long)l->hard);
	return 0;
}
