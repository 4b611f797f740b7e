#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

bool cg_usable(void)
{
	struct statfs sf;

	return statfs(CG_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC &&
	       access(CG_ROOT "/cgroup.subtree_control", W_OK) == 0;
}

int64_t cg_shares_to_weight(int64_t shares)
{
	if (shares <= 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

int cg_swap_max(int64_t memory, int64_t memory_swap, int64_t *swap_max)
{
	if (memory_swap == 0) {
		/* Docker: swap defaults to as much as memory (total 2x). */
		*swap_max = memory > 0 ? memory : CG_UNSET;
		return 0;
	}
	if (memory_swap == -1) {
		*swap_max = CG_MAX;
		return 0;
	}
	if (memory_swap < 0 || memory <= 0 || memory_swap < memory)
		return -EINVAL;
	*swap_max = memory_swap - memory;
	return 0;
}

static int cg_write(const char *dir, const char *file, const char *val, struct berr *e)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	r = write_file(path, val);
	if (r < 0)
		return berr_set(e, -r, "write %s to %s", val, path);
	return 0;
}

static int cg_write_num(const char *dir, const char *file, int64_t v, struct berr *e)
{
	char buf[32];

	if (v == CG_UNSET)
		return 0;
	if (v == CG_MAX)
		snprintf(buf, sizeof(buf), "max");
	else
		snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(dir, file, buf, e);
}

/* Does subtree_control file list every controller of ctl ("+name")? */
static bool all_enabled(const char *file, const char *const *ctl, size_t n)
{
	char have[512], *w, *save;
	size_t found = 0;
	ssize_t len = read_file(file, have, sizeof(have));

	if (len < 0)
		return false;
	for (w = strtok_r(have, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
		for (size_t i = 0; i < n; i++)
			found += strcmp(w, ctl[i] + 1) == 0;
	}
	return found == n;
}

/* Enable the controllers for children of every ancestor below the root.
 * Best effort per controller: a kernel without cpuset still gets memory. */
static void enable_controllers(const char *path)
{
	static const char *const ctl[] = {"+memory", "+pids", "+cpu", "+cpuset"};
	char dir[4096], file[4200];

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (strlen(dir) > strlen(CG_ROOT))
		enable_controllers(dir);
	snprintf(file, sizeof(file), "%s/cgroup.subtree_control", dir);
	if (all_enabled(file, ctl, ARRAY_SIZE(ctl)))
		return; /* the common case after the first start: one read */
	/* A controller the kernel lacks fails here, and again, reported,
	 * when a limit needs it (write_limits). */
	for (size_t i = 0; i < ARRAY_SIZE(ctl); i++)
		berr_ignore(write_file(file, ctl[i]));
}

static int write_limits(const char *path, const struct sb_limits *l, struct berr *e)
{
	int64_t swap;
	char buf[64];
	int r = 0;

	if (cg_swap_max(l->memory, l->memory_swap, &swap) < 0)
		return berr_msg(e, EINVAL,
				"memory-swap %" PRId64 " with memory %" PRId64
				": must be -1 or at least the memory limit",
				l->memory_swap, l->memory);
	if (l->memory > 0)
		r = cg_write_num(path, "memory.max", l->memory, e);
	/* memory.swap.max is absent when the kernel has no swap accounting. */
	if (r == 0 && swap != CG_UNSET) {
		char f[4200];
		snprintf(f, sizeof(f), "%s/memory.swap.max", path);
		if (access(f, F_OK) == 0)
			r = cg_write_num(path, "memory.swap.max", swap, e);
	}
	if (r == 0 && l->cpu_quota_us > 0) {
		snprintf(buf, sizeof(buf), "%" PRId64 " %" PRId64, l->cpu_quota_us,
			 l->cpu_period_us > 0 ? l->cpu_period_us : 100000);
		r = cg_write(path, "cpu.max", buf, e);
	}
	if (r == 0 && l->cpu_shares > 0)
		r = cg_write_num(path, "cpu.weight", cg_shares_to_weight(l->cpu_shares), e);
	if (r == 0 && l->pids > 0)
		r = cg_write_num(path, "pids.max", l->pids, e);
	if (r == 0 && l->cpuset_cpus && *l->cpuset_cpus)
		r = cg_write(path, "cpuset.cpus", l->cpuset_cpus, e);
	return r;
}

int cg_create(const char *path, const struct sb_limits *l, int *dirfd, struct berr *e)
{
	int r;

	if (strncmp(path, CG_ROOT "/", strlen(CG_ROOT) + 1) != 0 || strstr(path, ".."))
		return berr_msg(e, EINVAL, "cgroup %s: not below " CG_ROOT, path);
	r = mkdir_p(path, 0755);
	if (r < 0)
		return berr_set(e, -r, "create cgroup %s", path);
	/* After mkdir: a parent must exist to enable controllers in it, and
	 * enabling them gives existing children their interface files. */
	enable_controllers(path);
	r = write_limits(path, l, e);
	if (r < 0) {
		rmdir(path);
		return r;
	}
	r = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r < 0) {
		int err = errno;
		rmdir(path);
		return berr_set(e, err, "open cgroup directory");
	}
	*dirfd = r;
	return 0;
}

int cg_set_limits(const char *path, const struct sb_limits *l, struct berr *e)
{
	return write_limits(path, l, e);
}

int cg_freeze(const char *path, bool on, struct berr *e)
{
	return cg_write(path, "cgroup.freeze", on ? "1" : "0", e);
}

static int64_t read_value(const char *dir, const char *file, const char *key);

int cg_frozen(const char *path, bool *frozen, struct berr *e)
{
	char file[4200];
	int64_t v;

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	if (access(file, F_OK) < 0)
		return berr_set(e, errno, "%s", file);
	v = read_value(path, "cgroup.events", "frozen");
	if (v < 0)
		return berr_msg(e, EIO, "%s: no \"frozen\" line", file);
	*frozen = v == 1;
	return 0;
}

int cg_enter(const char *path, pid_t pid, struct berr *e)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return cg_write(path, "cgroup.procs", buf, e);
}

int cg_kill(const char *path, struct berr *e)
{
	char file[4200], line[64];
	FILE *f;

	if (cg_write(path, "cgroup.kill", "1", e) == 0)
		return 0;
	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return berr_set(e, errno, "open %s", file);
	while (fgets(line, sizeof(line), f))
		kill(atoi(line), SIGKILL);
	fclose(f);
	return 0;
}

int cg_remove(const char *path, struct berr *e)
{
	struct berr ignored;

	for (int i = 0; i < 100; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		berr_ignore(cg_kill(path, &ignored)); /* the rmdir says what is left */
		usleep(10000);
	}
	return berr_set(e, errno, "remove cgroup %s", path);
}

/* Value of "key N" in a flat keyed file, or of the whole file when key is
 * NULL ("max" -> CG_MAX). -1 when absent. */
static int64_t read_value(const char *dir, const char *file, const char *key)
{
	char path[4200], buf[4096];
	char *p = buf;
	size_t klen = key ? strlen(key) : 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	if (key) {
		for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
			if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
				break;
		}
		if (!p)
			return -1;
		p += klen + 1;
	}
	if (strncmp(p, "max", 3) == 0)
		return CG_MAX;
	return strtoll(p, NULL, 10);
}

int cg_read_stats(const char *path, struct cg_stats *st, struct berr *e)
{
	if (access(path, F_OK) < 0)
		return berr_set(e, errno, "cgroup %s", path);
	st->memory_current = read_value(path, "memory.current", NULL);
	st->memory_max = read_value(path, "memory.max", NULL);
	st->oom_kill = read_value(path, "memory.events", "oom_kill");
	st->cpu_usage_usec = read_value(path, "cpu.stat", "usage_usec");
	st->pids_current = read_value(path, "pids.current", NULL);
	return 0;
}

/* "64m", "1g", "512k", "1048576": bytes, or -1. */
int cg_parse_bytes(const char *s, int64_t *out)
{
	char *end;
	double v;
	int64_t mul = 1;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0)) /* also NaN */
		return -EINVAL;
	switch (*end) {
	case 'b':
	case 'B':
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1024;
		break;
	case 'm':
	case 'M':
		mul = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		mul = 1024 * 1024 * 1024;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2]))
		return -EINVAL;
	if (v * mul >= 0x1p63)
		return -ERANGE;
	*out = (int64_t)(v * mul);
	return 0;
}
