/* cli_stats.c - `berth stats`: Docker's columns (CPU %, MEM USAGE / LIMIT,
 * MEM %, NET I/O, BLOCK I/O, PIDS) from the container's cgroup v2 files and
 * its network namespace's /proc/PID/net/dev, read by the CLI process; the
 * supervisor is not involved. Two samples a second apart give CPU %. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_exec.h"
#include "cli_ctr.h"
#include "flags.h"
#include "runtime/container/container.h"
#include "runtime/container/stats.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"
#include "runtime/lib/template.h"
#include "runtime/sandbox/cgroup.h"

#define STATS_MAX 1024
#define STATS_TABLE                                                                   \
	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t" \
	"{{.BlockIO}}\t{{.PIDs}}"

struct stats_opts {
	bool all, no_stream, no_trunc;
	const char *format;
};

#define S(f) struct stats_opts, f
static const struct flg stats_flags[] = {
	FLG_BOOL('a', "all", S(all), "Show all containers (default shows just running)"),
	FLG_STRING(0, "format", S(format), "Format output using a custom template"),
	FLG_BOOL(0, "no-stream", S(no_stream),
		 "Disable streaming stats and only pull the first result"),
	FLG_BOOL(0, "no-trunc", S(no_trunc), "Do not truncate output"),
	FLG_END,
};

const struct flg_cmd cli_stats_cmd = {
	.path = "stats",
	.usage = "[OPTIONS] [CONTAINER...]",
	.desc = "Display a live stream of container(s) resource usage statistics",
	.flags = stats_flags,
	.max_args = -1,
};

static const struct tmpl_header stats_headers[] = {
	{ "ID", "CONTAINER ID" },    { "Container", "CONTAINER" }, { "Name", "NAME" },
	{ "CPUPerc", "CPU %" },	     { "MemUsage", "MEM USAGE / LIMIT" },
	{ "MemPerc", "MEM %" },	     { "NetIO", "NET I/O" },	   { "BlockIO", "BLOCK I/O" },
	{ "PIDs", "PIDS" },	     { NULL, NULL },
};

struct sample {
	char id[CTR_ID_LEN + 1];
	char name[CTR_NAME_MAX];
	const char *ref;	/* what the user named it, or NULL */
	pid_t pid;		/* its init while running, else 0 */
	bool ok;		/* the cgroup could be read */
	struct cg_stats cg;
	int64_t mem;		/* memory.current less inactive_file */
	struct st_io io;
};

static int64_t host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (int64_t)pages * size : 0;
}

/* One container's numbers now. */
static void take_one(struct sample *s)
{
	char cg[256], path[400], text[8192];
	struct berr e;

	memset(&s->io, 0, sizeof(s->io));
	s->mem = 0;
	s->ok = false;
	if (s->pid <= 0)
		return;
	ctr_cgroup_path(s->id, cg, sizeof(cg));
	if (cg_read_stats(cg, &s->cg, &e) < 0)
		return;
	s->ok = true;
	snprintf(path, sizeof(path), "%s/memory.stat", cg);
	s->mem = st_mem_usage(s->cg.memory_current,
			      read_file(path, text, sizeof(text)) >= 0 ? st_keyed(text, "inactive_file") : 0);
	snprintf(path, sizeof(path), "%s/io.stat", cg);
	if (read_file(path, text, sizeof(text)) >= 0)
		st_parse_iostat(text, &s->io);
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)s->pid);
	if (read_file(path, text, sizeof(text)) >= 0)
		st_parse_netdev(text, &s->io);
}

static void take(struct sample *s, int n)
{
	for (int i = 0; i < n; i++)
		take_one(&s[i]);
}

/* Fill a[n] from the container's files; false if they cannot be read. */
static bool load_target(const char *root, const char *id, struct sample *a)
{
	struct ctr_state st;
	struct ctr_config c;
	struct berr e;

	if (ctr_state_load(root, id, &st, &e) < 0 || ctr_config_load(root, id, &c, &e) < 0)
		return false;
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->name, sizeof(a->name), "%s", c.name);
	a->pid = st.status == CTR_RUNNING ? st.pid : 0;
	ctr_config_free(&c);
	return true;
}

/* Every running container (all: every one), or the ones named; their
 * count, or -1 after printing the error. */
static int stats_targets(const char *root, bool all, char **refs, int nrefs, struct sample *a)
{
	int n = 0;

	for (int i = 0; i < nrefs && n < STATS_MAX; i++) {
		char id[CTR_ID_LEN + 1];

		if (cli_find_container(root, refs[i], id) < 0)
			return -1;
		if (load_target(root, id, &a[n])) {
			a[n].ref = refs[i];
			n++;
		}
	}
	if (nrefs == 0) {
		char dir[600];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/run/berth/containers", root);
		d = opendir(dir);
		while (d && (de = readdir(d)) && n < STATS_MAX) {
			if (strlen(de->d_name) == CTR_ID_LEN && load_target(root, de->d_name, &a[n]) &&
			    (all || a[n].pid > 0))
				n++;
		}
		if (d)
			closedir(d);
	}
	return n;
}

/* One row as the template sees it (Docker's field names). */
static json_t *stats_row(const struct sample *a, const struct sample *b, double secs,
			 bool no_trunc)
{
	char cpu[32], memp[32], use[32], lim[32], mem[80], r[32], w[32], net[80], blk[80];
	int64_t limit = 0;

	if (b->ok) {
		limit = b->cg.memory_max > 0 ? b->cg.memory_max : host_memory();
		st_percent(a->ok ? st_cpu_percent(b->cg.cpu_usage_usec - a->cg.cpu_usage_usec, secs)
				 : 0.0,
			   cpu, sizeof(cpu));
		st_percent(limit ? 100.0 * b->mem / limit : 0.0, memp, sizeof(memp));
	} else {
		snprintf(cpu, sizeof(cpu), b->pid > 0 ? "--" : "0.00%%");
		snprintf(memp, sizeof(memp), "%s", cpu);
	}
	st_size_binary(b->mem, use, sizeof(use));
	st_size_binary(limit, lim, sizeof(lim));
	snprintf(mem, sizeof(mem), "%s / %s", use, lim);
	st_size_decimal(b->io.rx, r, sizeof(r));
	st_size_decimal(b->io.tx, w, sizeof(w));
	snprintf(net, sizeof(net), "%s / %s", r, w);
	st_size_decimal(b->io.rd, r, sizeof(r));
	st_size_decimal(b->io.wr, w, sizeof(w));
	snprintf(blk, sizeof(blk), "%s / %s", r, w);
	return json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "ID", b->id,
			 (size_t)(no_trunc ? CTR_ID_LEN : 12), "Container",
			 b->ref ? b->ref : b->id, "Name", b->name, "CPUPerc", cpu, "MemUsage", mem,
			 "MemPerc", memp, "NetIO", net, "BlockIO", blk, "PIDs",
			 (json_int_t)(b->ok ? b->cg.pids_current : 0));
}

static int stats_print(const struct stats_opts *o, const struct sample *a,
		       const struct sample *b, int n, double secs)
{
	json_t *rows = json_array();
	int rc;

	for (int i = 0; rows && i < n; i++)
		json_array_append_new(rows, stats_row(&a[i], &b[i], secs, o->no_trunc));
	if (!rows)
		return 1;
	rc = tmpl_print(o->format && *o->format ? o->format : STATS_TABLE, rows, stats_headers);
	json_decref(rows);
	fflush(stdout);
	return rc;
}

int cli_stats(const char *root, int argc, char **argv)
{
	struct stats_opts o = { 0 };
	struct flg_out args;
	struct sample *a, *b;
	int n, rc = 0;

	if (flg_verb(&cli_stats_cmd, &o, argc, argv, &args) < 0)
		return args.status;
	if (!cg_usable()) {
		fprintf(stderr, "berth: stats need cgroup v2, which this host does not have "
				"mounted at /sys/fs/cgroup\n");
		return 1;
	}
	a = calloc(STATS_MAX, sizeof(*a));
	b = calloc(STATS_MAX, sizeof(*b));
	if (!a || !b || (n = stats_targets(root, o.all, args.argv, args.argc, a)) < 0) {
		free(a);
		free(b);
		return 1;
	}
	memcpy(b, a, STATS_MAX * sizeof(*a));
	do {
		uint64_t t0 = now_ns();

		take(a, n);
		usleep(1000000);
		take(b, n);
		if (!o.no_stream)
			printf("\033[2J\033[H");
		rc = stats_print(&o, a, b, n, (now_ns() - t0) / 1e9);
	} while (!o.no_stream && rc == 0);
	free(a);
	free(b);
	return rc;
}
