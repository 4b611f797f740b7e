/* ctr_adopt.c - containers a supervisor finds still running: after PID 1
 * re-exec'd itself on a fault (they are still its children) or when
 * `berth daemon` is started again after it was killed (they are not). The
 * container's process must be the one recorded (pid and start time), and
 * its output pipe or pty master must have come through the handover
 * registry (handover.h); then its log, address, rules and restart policy
 * carry on as if nothing happened. */
#include "ctrs_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "handover.h"
#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"

/* Fields of /proc/PID/stat after "pid (comm)": field 3 is the state. */
static bool proc_stat(pid_t pid, char *buf, size_t size, char **after)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return pid > 0 && read_file(path, buf, size) >= 0 && (*after = strrchr(buf, ')'));
}

/* Is pid still the process recorded as started at started_ns
 * (CLOCK_REALTIME, when it exec'd)? Its start time in /proc/PID/stat (in
 * ticks since boot) is its clone, before that by however long its setup
 * took (seconds under load): a process that has the pid now and started
 * before started_ns (give or take a second or two) can only be it, as a
 * reused pid's process (this boot or a later one) started after it died. */
bool ctrs_same_process(pid_t pid, int64_t started_ns)
{
	char buf[1024], *p;
	unsigned long long ticks;
	struct timespec boot;
	int64_t start;

	if (!proc_stat(pid, buf, sizeof(buf), &p))
		return false;
	/* state is field 3, starttime field 22 */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%*d %*d %llu", &ticks) != 1)
		return false;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	start = wall_ns() - ((int64_t)boot.tv_sec * 1000000000ll + boot.tv_nsec) +
		(int64_t)(ticks * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK)));
	return start - started_ns < 2000000000ll;
}

static bool is_our_child(pid_t pid)
{
	char buf[1024], *p;
	int ppid;

	return proc_stat(pid, buf, sizeof(buf), &p) && sscanf(p + 1, " %*c %d", &ppid) == 1 &&
	       ppid == getpid();
}

static void hov_name(const struct ctr *c, const char *what, char *buf, size_t size)
{
	snprintf(buf, size, "%s.%s", c->cfg.id, what);
}

/* Its descriptors into the registry, so they outlive this process too. */
void ctrs_handover_put(struct ctr *c)
{
	char name[HOV_NAME_MAX];

	hov_name(c, "out", name, sizeof(name));
	hov_put(c->out.fd, name);
	hov_name(c, "err", name, sizeof(name));
	hov_put(c->err.fd, name);
	hov_name(c, "in", name, sizeof(name));
	hov_put(c->io.stdin_w.fd, name);
}

static int take(const struct ctr *c, const char *what)
{
	char name[HOV_NAME_MAX];

	hov_name(c, what, name, sizeof(name));
	return hov_take(name);
}

void ctrs_start_handover(struct ctr *c, struct ctr_starting *st)
{
	char name[HOV_NAME_MAX];

	st->pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	hov_name(c, "start", name, sizeof(name));
	hov_put(st->pidfd, name);
}

void ctrs_start_handover_end(struct ctr_starting *st)
{
	if (st->pidfd < 0)
		return;
	hov_drop(st->pidfd);
	close(st->pidfd);
	st->pidfd = -1;
}

/* The earlier process had c's start under way: its child (set up halfway,
 * nothing of the user's run yet) is killed, its cgroup removed, and c is
 * left as before the start with the reason (a restart by its policy is
 * simply due again). Its address goes back with the others nobody holds
 * (ctrs_set_bridge). */
void ctrs_start_interrupted(struct ctrs *cs, struct ctr *c)
{
	int fd = take(c, "start");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct spec_buf *sp;

	if (fd < 0)
		return;
	syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
	poll(&p, 1, 2000); /* gone from its cgroup once it is a zombie */
	close(fd);
	sp = malloc(sizeof(*sp));
	if (sp) {
		ctrs_build_spec(cs, c, sp);
		sb_cleanup(&sp->spec);
		free(sp);
	}
	log_warn("container %.12s (%s): its start was under way when the supervisor %s; ended",
		 c->cfg.id, c->cfg.name, cs->pid1 ? "faulted" : "was killed");
	if (c->st.status == CTR_RESTARTING)
		return;
	snprintf(c->st.error, sizeof(c->st.error), "the start was interrupted: the supervisor %s",
		 cs->pid1 ? "faulted" : "was killed");
	c->st.exit_code = 125;
	ctrs_save_state(cs, c);
}

/* Not our child: a pidfd tells when it ends. */
static void watch_pidfd(struct ctrs *cs, struct ctr *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->pidw };

	c->pidw.kind = EV_CTR_PIDFD;
	c->pidw.fd = (int)syscall(SYS_pidfd_open, c->st.pid, 0);
	if (c->pidw.fd < 0 || epoll_ctl(cs->epfd, EPOLL_CTL_ADD, c->pidw.fd, &ev) < 0)
		log_err("container %.12s: watch pid %d: %s; its end will go unnoticed", c->cfg.id,
			(int)c->st.pid, strerror(errno));
}

bool ctrs_adopt(struct ctrs *cs, struct ctr *c)
{
	int out, err, in;

	if (c->st.status != CTR_RUNNING || !ctrs_same_process(c->st.pid, c->st.started_ns))
		return false;
	out = take(c, "out");
	err = take(c, "err");
	in = take(c, "in");
	if (out < 0) { /* its output has nowhere to go: as before, it ends */
		if (err >= 0)
			close(err);
		if (in >= 0)
			close(in);
		return false;
	}
	ctrs_log_open(cs, c);
	c->out = (struct logpipe){ .kind = EV_CTR_LOG, .fd = out, .c = c, .stream = "stdout" };
	c->err = (struct logpipe){ .kind = EV_CTR_LOG, .fd = err, .c = c, .stream = "stderr" };
	ctrs_watch_pipe(cs, &c->out);
	if (err >= 0)
		ctrs_watch_pipe(cs, &c->err);
	c->io.stdin_w.fd = in;
	ctrs_handover_put(c);
	if (!is_our_child(c->st.pid))
		watch_pidfd(cs, c);
	c->started_mono = now_ns();
	if (c->hc)
		hcr_begin(c->hc, &c->cfg.health, c->started_mono);
	ctrs_xnets_adopt(cs, c);
	if (c->st.ip[0])
		ctrs_hosts_open(cs, c);
	log_info("container %.12s (%s): adopted, pid %d%s", c->cfg.id, c->cfg.name,
		 (int)c->st.pid, c->pidw.fd >= 0 ? " (not our child: watched by pidfd)" : "");
	return true;
}

/* The exit status of a process that is not our child: its parent now
 * (the host's init or a subreaper) reaps it, but while it is a zombie its
 * /proc/PID/stat still has it (field 52). 255 when it is gone already. */
static int foreign_status(pid_t pid)
{
	char buf[1024], *p, state;
	int code;

	if (!proc_stat(pid, buf, sizeof(buf), &p) || sscanf(p + 1, " %c", &state) != 1 ||
	    state != 'Z')
		return 255 << 8;
	/* after the state: fields 4..51, then exit_code */
	for (int field = 3; field <= 52 && p; field++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p, " %d", &code) == 1 ? code : 255 << 8;
}

void ctrs_adopted_exit(struct ctrs *cs, struct ctr *c)
{
	pid_t pid = c->st.pid;

	ctrs_adopt_forget(cs, c);
	if (c->st.status == CTR_RUNNING && pid > 0)
		(void)ctrs_reaped(cs, pid, foreign_status(pid));
}

void ctrs_adopt_forget(struct ctrs *cs, struct ctr *c)
{
	ctrs_ep_close(cs, &c->pidw.fd);
}

/* At shutdown: wait up to ms for an adopted process that is not our child. */
bool ctrs_adopted_wait(struct ctrs *cs, struct ctr *c, int ms)
{
	struct pollfd p = { .fd = c->pidw.fd, .events = POLLIN };

	if (c->pidw.fd < 0 || poll(&p, 1, ms) <= 0)
		return false;
	ctrs_adopted_exit(cs, c);
	return true;
}
