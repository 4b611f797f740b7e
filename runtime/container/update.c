/* update.c - `update`'s settings (update.h). */
#include "update.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sandbox/cgroup.h"

void ctr_update_init(struct ctr_update *u)
{
	u->set =
	    (struct sb_limits){CG_UNSET, CG_UNSET, CG_UNSET, CG_UNSET, CG_UNSET, CG_UNSET, NULL};
	u->restart = NULL;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	/* -1 (unlimited swap) is the only negative value: below it are the
	 * markers CG_MAX and CG_UNSET */
	if (end == s || *end || errno || v < -1)
		return -EINVAL;
	*out = v;
	return 0;
}

int ctr_update_parse(struct ctr_update *u, const char *kv)
{
	const struct {
		const char *key;
		int64_t *field;
	} keys[] = {
	    {"memory", &u->set.memory},		 {"memory-swap", &u->set.memory_swap},
	    {"cpu-quota", &u->set.cpu_quota_us}, {"cpu-period", &u->set.cpu_period_us},
	    {"cpu-shares", &u->set.cpu_shares},	 {"pids", &u->set.pids},
	};
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : 0;

	if (!eq)
		return -EINVAL;
	if (klen == 7 && strncmp(kv, "restart", 7) == 0) {
		u->restart = eq + 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].key) == klen && strncmp(kv, keys[i].key, klen) == 0)
			return parse_i64(eq + 1, keys[i].field);
	}
	return -EINVAL;
}

static void merge_one(int64_t *to, int64_t v)
{
	if (v != CG_UNSET)
		*to = v;
}

void ctr_update_merge(struct sb_limits *to, const struct ctr_update *u)
{
	merge_one(&to->memory, u->set.memory);
	merge_one(&to->memory_swap, u->set.memory_swap);
	merge_one(&to->cpu_quota_us, u->set.cpu_quota_us);
	merge_one(&to->cpu_period_us, u->set.cpu_period_us);
	merge_one(&to->cpu_shares, u->set.cpu_shares);
	merge_one(&to->pids, u->set.pids);
}
