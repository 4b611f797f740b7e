/* cli_exec.c - exec and top: they act on a running container from the CLI
 * process (root), with the container's own settings; PID 1 is not
 * involved. `stats` is in cli_stats.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_exec.h"
#include "cli_ctr.h"
#include "runtime/container/container.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/tty.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"
#include "runtime/sandbox/sandbox.h"

struct exec_opts {
	bool interactive, tty;
	const char *user, *workdir;
	struct strv env;
};

#define X(f) struct exec_opts, f
static const struct flg exec_flags[] = {
	FLG_STRINGS('e', "env", X(env), "Set environment variables"),
	FLG_BOOL('i', "interactive", X(interactive), "Keep STDIN open even if not attached"),
	FLG_BOOL('t', "tty", X(tty), "Allocate a pseudo-TTY"),
	FLG_STRING('u', "user", X(user), "Username or UID (format: <name|uid>[:<group|gid>])"),
	FLG_STRING('w', "workdir", X(workdir), "Working directory inside the container"),
	FLG_END,
};

const struct flg_cmd cli_exec_cmd = {
	.path = "exec",
	.usage = "[OPTIONS] CONTAINER COMMAND [ARG...]",
	.desc = "Run a command in a running container",
	.flags = exec_flags,
	.min_args = 2,
	.max_args = -1,
	.stop_at_operand = true,
	.args_status = 125,
};

const struct flg_cmd cli_top_cmd = {
	.path = "top",
	.usage = "CONTAINER",
	.desc = "Show a container's processes",
	.min_args = 1,
	.max_args = 1,
};


struct running {
	char id[CTR_ID_LEN + 1];
	struct ctr_config cfg;
	struct ctr_state st;
};

static int load_running(const char *root, const char *ref, struct running *r)
{
	struct berr e;

	if (cli_find_container(root, ref, r->id) < 0)
		return -1;
	if (ctr_config_load(root, r->id, &r->cfg, &e) < 0 ||
	    ctr_state_load(root, r->id, &r->st, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -1;
	}
	if (r->st.status != CTR_RUNNING || r->st.pid <= 0) {
		fprintf(stderr, "berth: container %s is not running\n", r->id);
		ctr_config_free(&r->cfg);
		return -1;
	}
	return 0;
}

static void set_size(void *ctx, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	ioctl(*(int *)ctx, TIOCSWINSZ, &ws);
}

/* exec -t: a pty from the container's own devpts (so `tty` inside names
 * /dev/pts/N as in Docker), else from ours; we relay it to our stdio. */
static int exec_tty(struct running *r, struct sb_spec *spec, bool interactive)
{
	char ptmx[64], cgroup[256];
	_cleanup_fd_ int master = -1, slave = -1, pidfd = -1;
	struct tty_relay relay = { .in_dst = -1, .resize = set_size, .ctx = &master };
	struct berr e;
	pid_t pid;
	int rc;

	snprintf(ptmx, sizeof(ptmx), "/proc/%d/root/dev/pts/ptmx", (int)r->st.pid);
	if (tty_openpty(ptmx, &master, &slave, &e) < 0 &&
	    tty_openpty(NULL, &master, &slave, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		ctr_config_free(&r->cfg);
		return 125;
	}
	spec->tty = true;
	spec->stdin_fd = spec->stdout_fd = spec->stderr_fd = slave;
	relay.ctx = &master;
	{
		unsigned short rows, cols;
		if (tty_winsize(&rows, &cols))
			set_size(&master, rows, cols);
	}
	ctr_cgroup_path(r->id, cgroup, sizeof(cgroup));
	rc = sb_exec(r->st.pid, cg_usable() ? cgroup : NULL, spec, &pid, &e);
	ctr_config_free(&r->cfg);
	if (rc < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return e.code == ENOENT ? 127 : e.code == EACCES ? 126 : 125;
	}
	close(steal_fd(&slave)); /* the master sees EIO once the process is gone */
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	relay.in_dst = interactive ? master : -1;
	relay.out_src = master;
	relay.end_fd = pidfd;
	if (interactive)
		tty_raw_begin();
	rc = tty_relay_run(&relay);
	tty_raw_end();
	if (rc < 0)
		fprintf(stderr, "berth: exec: %s\n", strerror(-rc));
	rc = wait_pid(pid);
	return rc < 0 ? 125 : rc;
}

/* The container's environment, then -e; into a static vector (the
 * process execs or exits after it). */
static char **exec_env(const struct running *r, const struct strv *env)
{
	static char *merged[512];
	int n = 0;

	for (char **p = r->cfg.env; p && *p && n < 300; p++)
		merged[n++] = *p;
	for (int k = 0; k < env->n && k < 200 && n < 510; k++)
		merged[n++] = env->v[k];
	merged[n] = NULL;
	return merged;
}

int cli_exec(const char *root, int argc, char **argv)
{
	struct exec_opts o = { 0 };
	char cgroup[256];
	struct flg_out a;
	struct running r;
	struct sb_spec spec;
	struct sb_rlimit rlimits[HX_MAX];
	struct berr e;
	pid_t pid;
	int status;

	if (flg_verb(&cli_exec_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (load_running(root, a.argv[0], &r) < 0)
		return 125;
	memset(&spec, 0, sizeof(spec));
	spec.env = exec_env(&r, &o.env);
	spec.id = r.id;
	spec.argv = a.argv + 1;
	spec.cwd = o.workdir ? o.workdir : r.cfg.cwd;
	spec.user = o.user ? o.user : r.cfg.user;
	spec.stdin_fd = 0;
	spec.stdout_fd = 1;
	spec.stderr_fd = 2;
	spec.rlimits = rlimits; /* the container's --ulimit, as Docker's exec */
	spec.nrlimits = hx_rlimits(&r.cfg.hostx, rlimits);
	/* no exec --oom-score-adj in Docker; runc gives the container's */
	spec.set_oom_score_adj = r.cfg.hostx.oom_score_adj != 0;
	spec.oom_score_adj = r.cfg.hostx.oom_score_adj;
	if (o.tty)
		return exec_tty(&r, &spec, o.interactive);
	spec.privileged = r.cfg.privileged;
	spec.caps = r.cfg.caps;
	spec.no_new_privs = r.cfg.no_new_privs;
	spec.seccomp = r.cfg.seccomp;
	ctr_cgroup_path(r.id, cgroup, sizeof(cgroup));
	if (sb_exec(r.st.pid, cg_usable() ? cgroup : NULL, &spec, &pid, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		ctr_config_free(&r.cfg);
		return e.code == ENOENT ? 127 : e.code == EACCES ? 126 : 125;
	}
	ctr_config_free(&r.cfg);
	status = wait_pid(pid);
	return status < 0 ? 125 : status;
}

/* ---- top ---- */

/* Processes whose pid namespace is the container's. */
int cli_top(const char *root, int argc, char **argv)
{
	char want[64], path[64], link[64];
	struct running r;
	DIR *d;
	struct dirent *de;
	long hz = sysconf(_SC_CLK_TCK);
	struct flg_out a;

	if (flg_verb(&cli_top_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	if (load_running(root, a.argv[0], &r) < 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)r.st.pid);
	ssize_t n = readlink(path, want, sizeof(want) - 1);
	ctr_config_free(&r.cfg);
	if (n < 0) {
		fprintf(stderr, "berth: %s: %s\n", path, strerror(errno));
		return 1;
	}
	want[n] = '\0';
	printf("%-8s %-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "TIME", "CMD");
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		char pstat[1024], cmd[1024];
		long pid = strtol(de->d_name, NULL, 10);
		int ppid = 0;
		unsigned long ut = 0, st = 0;
		ssize_t m;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
		m = readlink(path, link, sizeof(link) - 1);
		if (m < 0)
			continue;
		link[m] = '\0';
		if (strcmp(link, want) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (read_file(path, pstat, sizeof(pstat)) > 0) {
			char *rp = strrchr(pstat, ')');
			if (rp)
				sscanf(rp + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid,
				       &ut, &st);
		}
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		m = read_file(path, cmd, sizeof(cmd));
		for (ssize_t k = 0; k + 1 < m; k++)
			if (!cmd[k])
				cmd[k] = ' ';
		{
			struct stat sb;
			unsigned long secs = (ut + st) / (hz > 0 ? hz : 100);
			snprintf(path, sizeof(path), "/proc/%ld", pid);
			if (stat(path, &sb) < 0)
				continue;
			printf("%-8u %-8ld %-8d %02lu:%02lu:%02lu %s\n", sb.st_uid, pid, ppid,
			       secs / 3600, secs / 60 % 60, secs % 60, m > 0 ? cmd : "");
		}
	}
	if (d)
		closedir(d);
	return 0;
}
