/* sandbox.c - clone the container's init into namespaces and a cgroup,
 * wait for its setup over the sync socket, report errors with context.
 *
 * Protection of the host binary (CVE-2019-5736): the child makes itself
 * non-dumpable before anything else, so until its execve() no process of
 * the container can open /proc/PID/exe (or ptrace it) without
 * CAP_SYS_PTRACE, and that is not in the default set. sb_start()'s child
 * is in the container before any container process exists; sb_exec()'s
 * child joins a running container and is protected the same way; execve()
 * then replaces the berth image with the container's program.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "devices_bpf.h"
#include "nsjoin.h"
#include "runtime/lib/log.h"
#include "passwd.h"
#include "rlimits.h"
#include "sandbox_exec.h"
#include "sandbox_fs.h"
#include "seccomp.h"
#include "userns.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif


/* struct clone_args of clone3(2), version 2 (with cgroup). */
struct sb_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};

struct child_report {
	int code;
	char msg[BERR_MSG_MAX];
};

struct child_ctx {
	const struct sb_spec *spec;
	int sync_fd;
	int netns_fd;			/* sb_start: join this netns instead of a new one */
	int pidfd;			/* sb_exec: the container's init */
	int fifo_fd;			/* O_PATH fd of spec->exec_fifo, or -1 */
	int orig_sync_fd;		/* the socket's first number, closed with it */
	const struct sc_filter *filter; /* NULL: unconfined */
	bool join_user;			/* sb_exec: the container has its own user namespace */
	int *idmap_fds;			/* sb_start, in the child: the idmapped layers */
};

static pid_t clone_into(uint64_t flags, int cgfd)
{
	struct sb_clone_args a;

	memset(&a, 0, sizeof(a));
	a.flags = flags;
	a.exit_signal = SIGCHLD;
	if (cgfd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = cgfd;
	}
	return syscall(SYS_clone3, &a, sizeof(a));
}

static void child_fail(int fd, const struct berr *e)
{
	struct child_report rep = {.code = e->code > 0 ? e->code : EINVAL};

	memcpy(rep.msg, e->msg, sizeof(rep.msg));
	rep.msg[sizeof(rep.msg) - 1] = '\0';
	/* Nothing is left to report a failed report with; the parent then
	 * sees only the exit. */
	berr_ignore(write_all(fd, &rep, sizeof(rep)));
	_exit(127);
}

/* Put the given fds (or /dev/null) on 0, 1, 2; copies first so that
 * crossed fds (stdout on 2, stderr on 1) survive. */
static int setup_stdio(const struct sb_spec *spec, struct berr *e)
{
	int src[3] = {spec->stdin_fd, spec->stdout_fd, spec->stderr_fd};
	int tmp[3];

	for (int i = 0; i < 3; i++) {
		if (src[i] < 0)
			tmp[i] = open("/dev/null", (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
		else
			tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0)
			return berr_set(e, errno, "set up stdio fd %d", i);
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(tmp[i], i) < 0)
			return berr_set(e, errno, "dup2 stdio fd %d", i);
		close(tmp[i]);
	}
	return 0;
}

/* The raw calls: musl's wrappers stop every thread around each one (four
 * signal-mask calls apiece), and this child has only the one thread. */
static int switch_user(const struct pw_ids *ids, struct berr *e)
{
	if (syscall(SYS_setgroups, ids->ngroups, ids->groups) < 0)
		return berr_set(e, errno, "setgroups");
	if (syscall(SYS_setresgid, ids->gid, ids->gid, ids->gid) < 0)
		return berr_set(e, errno, "setgid %u", (unsigned)ids->gid);
	if (syscall(SYS_setresuid, ids->uid, ids->uid, ids->uid) < 0)
		return berr_set(e, errno, "setuid %u", (unsigned)ids->uid);
	return 0;
}

/* Everything from fd 3 on closes at the exec, except the caller's
 * preserved fds 3..3+n-1. */
static void keep_fds(int n)
{
	for (int fd = 3; fd < 3 + n; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0)
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	syscall(SYS_close_range, 3 + (n > 0 ? n : 0), ~0U, CLOSE_RANGE_CLOEXEC);
}

/* OCI create: report success to sb_start (EOF on the sync socket), then
 * block until `start` opens the FIFO for reading. Past this point no one
 * waits for a report: a failure is one line on the container's stderr.
 * The written end stays open until the exec closes it, so `start` sees
 * EOF once the process runs (runc's order: startContainer hooks before,
 * poststart after). */
static void wait_for_start(const struct child_ctx *c)
{
	char path[64];
	int fd;

	close(c->sync_fd);
	if (c->orig_sync_fd >= 0)
		close(c->orig_sync_fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->fifo_fd);
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		dprintf(2, "berth: wait for start: %s\n", strerror(errno));
		_exit(127);
	}
	close(c->fifo_fd);
}

static int step(const struct sb_spec *spec, int at, int fd, struct berr *e)
{
	return spec->child_step ? spec->child_step(at, fd, spec->parent_ctx, e) : 0;
}

/* With seccomp_listener, the listener goes to child_step (the OCI
 * runtime sends it to the seccomp agent) and is closed here. */
static int load_filter(const struct child_ctx *c, struct berr *e)
{
	int fd, r;

	if (!c->spec->seccomp_listener) {
		r = sc_load(c->filter);
		return r < 0 ? berr_set(e, -r, "load seccomp filter") : 0;
	}
	fd = sc_load_listener(c->filter);
	if (fd < 0)
		return berr_set(e, -fd, "load seccomp filter with a listener");
	r = step(c->spec, SB_STEP_NOTIFY, fd, e);
	close(fd);
	return r;
}

/* Common tail of sb_start and sb_exec, inside the container's root: user,
 * capabilities, no_new_privs, seccomp (last), exec. */
static int finish_and_exec(const struct child_ctx *c, struct berr *e)
{
	const struct sb_spec *spec = c->spec;
	uint64_t keep = spec->privileged ? CAPS_ALL : spec->caps;
	const char *cwd = spec->cwd && *spec->cwd ? spec->cwd : "/";
	char exe[4096];
	struct pw_ids ids;
	char **env;
	int r;

	r = pw_resolve("/etc/passwd", "/etc/group", spec->user, &ids, e);
	if (r < 0)
		return r;
	for (int i = 0; i < spec->nextra_gids && ids.ngroups < PW_GROUPS_MAX; i++)
		ids.groups[ids.ngroups++] = spec->extra_gids[i];
	env = sb_build_env(spec, &ids, e);
	if (!env)
		return -e->code;
	if (cwd[0] != '/')
		return berr_msg(e, EINVAL, "working directory %s is not absolute", cwd);
	r = mkdir_p(cwd, 0755); /* Docker creates a missing working dir */
	if (r < 0)
		return berr_set(e, -r, "create working directory %s", cwd);
	if (setsid() < 0 && errno != EPERM)
		return berr_set(e, errno, "setsid");
	if (spec->tty && ioctl(0, TIOCSCTTY, 0) < 0)
		return berr_set(e, errno, "set controlling terminal");
	r = caps_drop_bounding(keep, e);
	if (r < 0)
		return r;
	/* Without no_new_privs only a privileged process may load a filter. */
	if (c->filter && !spec->no_new_privs) {
		r = load_filter(c, e);
		if (r < 0)
			return r;
	}
	r = switch_user(&ids, e);
	if (r == 0)
		r = caps_set(keep, e);
	if (r < 0)
		return r;
	if (chdir(cwd) < 0)
		return berr_set(e, errno, "chdir to working directory %s", cwd);
	r = sb_find_exec(spec->argv[0], env, exe, sizeof(exe), e);
	if (r < 0)
		return r;
	if (spec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berr_set(e, errno, "prctl PR_SET_NO_NEW_PRIVS");
	keep_fds(spec->preserve_fds);
	/* a listener leaves while the creator still waits (runc's order) */
	if (c->filter && spec->no_new_privs && spec->seccomp_listener && load_filter(c, e) < 0)
		return -e->code;
	if (c->fifo_fd >= 0)
		wait_for_start(c);
	r = rl_child_nofile(spec, e);
	if (r == 0)
		r = step(spec, SB_STEP_START, -1, e);
	if (r == 0 && c->filter && spec->no_new_privs && !spec->seccomp_listener)
		r = load_filter(c, e);
	if (r < 0)
		return r;
	execve(exe, spec->argv, env);
	if (errno == EACCES || errno == ENOEXEC)
		return berr_msg(e, EACCES, "exec: \"%s\": permission denied", spec->argv[0]);
	return berr_set(e, errno, "exec: \"%s\"", spec->argv[0]);
}

/* The namespaces sb_start creates. */
static uint64_t sb_namespaces(const struct sb_spec *spec)
{
	uint64_t def = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	uint64_t user = spec->nuid_map > 0 ? CLONE_NEWUSER : 0;

	if (spec->namespaces || spec->njoins)
		return spec->namespaces | user;
	return (spec->netns_path ? def : def | CLONE_NEWNET) | user;
}

/* A new network namespace has only lo, and it is down; Docker's "none"
 * network still has it up. */
static int loopback_up(struct berr *e)
{
	struct ifreq ifr;
	_cleanup_fd_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return berr_set(e, errno, "socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return berr_set(e, errno, "get flags of lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return berr_set(e, errno, "bring lo up");
	return 0;
}

static int join_namespaces(const struct child_ctx *c, struct berr *e)
{
	if (c->netns_fd >= 0 && setns(c->netns_fd, CLONE_NEWNET) < 0)
		return berr_set(e, errno, "join network namespace %s", c->spec->netns_path);
	return nsj_join_paths(c->spec, e);
}

static int child_build(const struct child_ctx *c, struct berr *e)
{
	const struct sb_spec *spec = c->spec;
	struct sbfs_state st;
	int r;

	r = join_namespaces(c, e);
	if (r == 0 && (sb_namespaces(spec) & CLONE_NEWNET))
		r = loopback_up(e);
	if (r < 0)
		return r;
	if (spec->hostname && *spec->hostname &&
	    sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return berr_set(e, errno, "sethostname %s", spec->hostname);
	st.idmap_fds = c->idmap_fds;
	r = step(spec, SB_STEP_ROOT, -1, e);
	if (r == 0)
		r = sbfs_enter_root(spec, &st, e);
	if (r == 0)
		r = sbfs_setup(spec, &st, e);
	if (r == 0)
		r = step(spec, SB_STEP_MOUNTED, -1, e);
	if (r < 0)
		return r;
	return finish_and_exec(c, e);
}

static int child_join(const struct child_ctx *c, struct berr *e)
{
	int ns = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP;

	if (setns(c->pidfd, ns | (c->join_user ? CLONE_NEWUSER : 0)) < 0)
		return berr_set(e, errno, "join the container's namespaces");
	if (c->join_user && uns_child_enter(e) < 0)
		return -e->code;
	return finish_and_exec(c, e);
}

/* Bit sig-1 of a "SigIgn:" or "SigCgt:" line of /proc/self/status. */
static uint64_t status_mask(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : ~0ull;
}

/* The supervisor blocks signals for its signalfd, ignores some and
 * catches faults: a handler would run in this child before its exec, an
 * ignored signal and the mask would survive the exec. Only the signals
 * the status lists as ignored or caught are reset (one read instead of 64
 * sigaction calls, each a few microseconds under a hypervisor); all of
 * them when it cannot be read. */
static void reset_signals(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	uint64_t set = ~0ull;
	char status[4096];
	sigset_t none;

	if (read_file("/proc/self/status", status, sizeof(status)) > 0)
		set = status_mask(status, "\nSigIgn:") | status_mask(status, "\nSigCgt:");
	for (int sig = 1; sig < NSIG && sig <= 64; sig++) {
		if (set & (1ull << (sig - 1)))
			sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Runs in the clone: never returns. */
static void child_main(struct child_ctx *c, bool join)
{
	static int idmap_fds[UNS_FDS_MAX];
	struct berr e;
	int fd = fcntl(c->sync_fd, F_DUPFD_CLOEXEC, 3);

	berr_clear(&e);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	reset_signals();
	if (fd < 0)
		_exit(127);
	c->orig_sync_fd = c->sync_fd;
	c->sync_fd = fd;
	/* The parent's go (with the idmapped layers), or EOF when it gave up. */
	if (uns_recv_go(fd, idmap_fds, UNS_FDS_MAX) != 1)
		_exit(127);
	c->idmap_fds = c->spec->idmap_lowers ? idmap_fds : NULL;
	if (!join && c->spec->nuid_map > 0 && uns_child_enter(&e) < 0)
		child_fail(fd, &e);
	if (setup_stdio(c->spec, &e) < 0)
		child_fail(fd, &e);
	if (join)
		child_join(c, &e);
	else
		child_build(c, &e);
	child_fail(fd, &e);
}

/* Release the child (the go byte, with the idmapped layers); on failure
 * it is reaped. */
static int release(int fd, pid_t pid, const int *fds, int nfds, struct berr *e)
{
	int r = uns_send_go(fd, fds, nfds);

	if (r < 0) {
		kill_and_reap(pid);
		return berr_set(e, -r, "release container process");
	}
	return 0;
}

int sb_start_result(int fd, struct berr *e)
{
	struct child_report rep;
	ssize_t n;

	do
		n = read(fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (n != (ssize_t)sizeof(rep))
		return berr_set(e, n < 0 ? errno : EPROTO, "read from container process");
	rep.msg[sizeof(rep.msg) - 1] = '\0';
	return berr_msg(e, rep.code, "%s", rep.msg);
}

/* Release the child, then wait for its exec (EOF on the close-on-exec
 * socket) or its report. On failure the child is reaped. */
static int release_and_wait(int fd, pid_t pid, const int *fds, int nfds, struct berr *e)
{
	int r = release(fd, pid, fds, nfds, e);

	if (r == 0 && (r = sb_start_result(fd, e)) < 0)
		kill_and_reap(pid);
	return r;
}

/* The caller's part while the child waits (its network); on failure the
 * child, never released, is killed and reaped. */
static int parent_setup(const struct sb_spec *spec, pid_t child, struct berr *e)
{
	int r;

	if (!spec->parent_setup)
		return 0;
	r = spec->parent_setup(child, spec->parent_ctx, e);
	if (r < 0)
		kill_and_reap(child);
	return r;
}

/* Privileged containers and "unconfined" get no filter. */
static int compile_filter(const struct sb_spec *spec, struct sc_filter *f, bool *use,
			  struct berr *e)
{
	*use = false;
	memset(f, 0, sizeof(*f));
	if (spec->seccomp && strcmp(spec->seccomp, "unconfined") == 0)
		return 0;
	if (spec->privileged && !spec->seccomp)
		return 0;
	*use = true;
	return sc_compile(spec->seccomp, spec->privileged ? CAPS_ALL : spec->caps, f, e);
}

/* Undo cg_create after a failed start; what cannot go is logged (an empty
 * cgroup left under berth/). */
static void remove_cgroup(const char *path)
{
	struct berr e;

	if (cg_remove(path, &e) < 0)
		log_warn("%s", e.msg);
}

/* The cgroup with limits and the device program, or -1 without cgroup2. */
static int prepare_cgroup(const struct sb_spec *spec, int *cgfd, struct berr *e)
{
	static bool warned;
	int r;

	*cgfd = -1;
	if (!spec->cgroup)
		return 0;
	if (!cg_usable()) {
		if (!warned)
			log_warn("cgroup2 is not usable here: containers run without a cgroup "
				 "(no limits, no device program)");
		warned = true;
		return 0;
	}
	r = cg_create(spec->cgroup, &spec->limits, cgfd, e);
	if (r < 0)
		return r;
	if (!spec->privileged && !spec->devices_allow_all) {
		r = devbpf_attach(*cgfd, spec->dev_rules, spec->ndev_rules, e);
		if (r < 0) {
			close(*cgfd);
			*cgfd = -1;
			remove_cgroup(spec->cgroup);
			return r;
		}
	}
	return 0;
}

static int check_spec(const struct sb_spec *spec, struct berr *e)
{
	if (!spec->argv || !spec->argv[0])
		return berr_msg(e, EINVAL, "no command");
	if (spec->nlower < 0 || spec->nmounts < 0 || (spec->nlower && !spec->lowerdirs) ||
	    (spec->nmounts && !spec->mounts))
		return berr_msg(e, EINVAL, "bad spec");
	if (spec->nuid_map > 0 || spec->ngid_map > 0) {
		if (uns_map_check(spec->uid_map, spec->nuid_map, "uid map", e) < 0 ||
		    uns_map_check(spec->gid_map, spec->ngid_map, "gid map", e) < 0)
			return -EINVAL;
		if (spec->idmap_lowers && spec->nlower > UNS_FDS_MAX)
			return berr_msg(e, E2BIG, "more than %d idmapped layers", UNS_FDS_MAX);
	}
	return 0;
}

/* Open what the child uses by fd: the netns to join, the exec FIFO. */
static int open_child_fds(const struct sb_spec *spec, struct child_ctx *c, int *netns_fd,
			  int *fifo_fd, struct berr *e)
{
	if (spec->netns_path) {
		*netns_fd = open(spec->netns_path, O_RDONLY | O_CLOEXEC);
		if (*netns_fd < 0)
			return berr_set(e, errno, "open network namespace %s", spec->netns_path);
		c->netns_fd = *netns_fd;
	}
	if (spec->exec_fifo) {
		*fifo_fd = open(spec->exec_fifo, O_PATH | O_CLOEXEC);
		if (*fifo_fd < 0)
			return berr_set(e, errno, "open %s", spec->exec_fifo);
		c->fifo_fd = *fifo_fd;
	}
	return 0;
}

/* A pid namespace to join is entered by this process for the one clone
 * (children go there); the others by the child. */
static pid_t clone_child(const struct sb_spec *spec, uint64_t flags, int cgfd, struct berr *e)
{
	_cleanup_fd_ int own = -1, target = -1;
	pid_t child;

	if (nsj_path(spec, CLONE_NEWUSER))
		return nsj_clone_in_user(spec, flags, cgfd >= 0 ? spec->cgroup : NULL, e);
	for (int i = 0; i < spec->njoins; i++) {
		if (spec->joins[i].type != CLONE_NEWPID)
			continue;
		own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		target = open(spec->joins[i].path, O_RDONLY | O_CLOEXEC);
		if (own < 0 || target < 0 || setns(target, CLONE_NEWPID) < 0)
			return berr_set(e, errno, "join pid namespace %s", spec->joins[i].path);
	}
	child = clone_into(flags, cgfd);
	if (child < 0)
		berr_set(e, errno, "clone3");
	if (child != 0 && own >= 0 && setns(own, CLONE_NEWPID) < 0)
		log_err("start: cannot return to own pid namespace: %s", strerror(errno));
	return child;
}

int sb_start_begin(const struct sb_spec *spec, pid_t *pid, int *sync_fd, struct berr *e)
{
	uint64_t flags = sb_namespaces(spec);
	struct sc_filter filter;
	struct child_ctx c = {.spec = spec, .netns_fd = -1, .pidfd = -1, .fifo_fd = -1};
	_cleanup_fd_ int netns_fd = -1, cgfd = -1, fifo_fd = -1;
	int idmap_fds[UNS_FDS_MAX];
	int sv[2], r;
	bool use_filter;
	pid_t child;

	r = check_spec(spec, e);
	if (r == 0)
		r = compile_filter(spec, &filter, &use_filter, e);
	if (r < 0)
		return berr_wrap(e, "start container");
	c.filter = use_filter ? &filter : NULL;
	r = open_child_fds(spec, &c, &netns_fd, &fifo_fd, e);
	if (r < 0)
		goto out;
	r = prepare_cgroup(spec, &cgfd, e);
	if (r < 0)
		goto out;
	if (spec->nuid_map > 0) {
		r = uns_own_dirs(spec, e);
		if (r == 0 && cgfd >= 0)
			r = uns_delegate_cgroup(spec->cgroup, spec, e);
		if (r < 0)
			goto out_cg;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = berr_set(e, errno, "socketpair");
		goto out_cg;
	}
	child = clone_child(spec, flags, cgfd, e);
	if (child == 0) {
		close(sv[0]);
		c.sync_fd = sv[1];
		child_main(&c, false);
	}
	close(sv[1]);
	if (child < 0) {
		r = -e->code;
		close(sv[0]);
		goto out_cg;
	}
	r = uns_parent_setup(spec, child, idmap_fds, e);
	if (r == 0 && (r = rl_parent_apply(child, spec, e)) < 0)
		kill_and_reap(child);
	if (r == 0)
		r = parent_setup(spec, child, e);
	if (r == 0)
		r = release(sv[0], child, idmap_fds, spec->idmap_lowers ? spec->nlower : 0, e);
	uns_close_fds(spec, idmap_fds);
	if (r == 0) {
		*pid = child;
		*sync_fd = sv[0];
		goto out;
	}
	close(sv[0]);
out_cg:
	if (cgfd >= 0)
		remove_cgroup(spec->cgroup);
out:
	if (use_filter)
		sc_filter_free(&filter);
	return r < 0 ? berr_wrap(e, "start container") : 0;
}

int sb_start(const struct sb_spec *spec, pid_t *pid, struct berr *e)
{
	int fd, r = sb_start_begin(spec, pid, &fd, e);

	if (r < 0)
		return r;
	r = sb_start_result(fd, e);
	close(fd);
	if (r == 0)
		return 0;
	kill_and_reap(*pid);
	if (spec->cgroup && cg_usable())
		remove_cgroup(spec->cgroup);
	return berr_wrap(e, "start container");
}

int sb_exec(pid_t container_pid, const char *cgroup, const struct sb_spec *spec, pid_t *pid,
	    struct berr *e)
{
	struct sc_filter filter;
	struct child_ctx c = {.spec = spec, .netns_fd = -1, .fifo_fd = -1};
	_cleanup_fd_ int pidfd = -1, own_pidns = -1, cgfd = -1;
	int sv[2] = {-1, -1}, r;
	bool use_filter;
	pid_t child;

	r = check_spec(spec, e);
	if (r == 0)
		r = compile_filter(spec, &filter, &use_filter, e);
	if (r < 0)
		return berr_wrap(e, "exec in container");
	c.filter = use_filter ? &filter : NULL;
	pidfd = syscall(SYS_pidfd_open, container_pid, 0);
	own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (pidfd < 0 || own_pidns < 0) {
		r = berr_set(e, errno, "open container process %d", (int)container_pid);
		goto out;
	}
	c.pidfd = pidfd;
	c.join_user = uns_differs(container_pid);
	if (cgroup && cg_usable()) {
		cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgfd < 0) {
			r = berr_set(e, errno, "open cgroup %s", cgroup);
			goto out;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = berr_set(e, errno, "socketpair");
		goto out;
	}
	/* Children of this process go to the container's pid namespace for
	 * the one clone, so the exec'd process is still our child. */
	if (setns(pidfd, CLONE_NEWPID) < 0) {
		r = berr_set(e, errno, "join the container's pid namespace");
		goto out;
	}
	child = clone_into(0, cgfd);
	if (child == 0) {
		close(sv[0]);
		c.sync_fd = sv[1];
		child_main(&c, true);
	}
	if (setns(own_pidns, CLONE_NEWPID) < 0)
		log_err("exec: cannot return to own pid namespace: %s", strerror(errno));
	if (child < 0) {
		r = berr_set(e, errno, "clone3");
		goto out;
	}
	close(sv[1]);
	sv[1] = -1;
	r = rl_parent_apply(child, spec, e);
	if (r < 0)
		kill_and_reap(child);
	else
		r = release_and_wait(sv[0], child, NULL, 0, e);
	if (r == 0)
		*pid = child;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (use_filter)
		sc_filter_free(&filter);
	return r < 0 ? berr_wrap(e, "exec in container") : 0;
}

void sb_cleanup(const struct sb_spec *spec)
{
	struct berr e;

	/* The overlay lives in the container's mount namespace (private), so
	 * it is gone with it; this only matters if a caller shared it. */
	if (spec->rootfs)
		umount2(spec->rootfs, MNT_DETACH);
	if (spec->cgroup && cg_usable() && cg_remove(spec->cgroup, &e) < 0)
		log_warn("%s", e.msg);
}
