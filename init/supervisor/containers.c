/* containers.c - the supervisor's container table: lookup, saving a
 * container's state, the one timer for every container's deadlines,
 * entries, epoll dispatch, open and shutdown. The rest of the container
 * work is in the ctr_*.c files of this folder, one concern each; what they
 * share is in ctrs_priv.h, the contract is containers.h. */
#include "ctrs_priv.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init/boot/datadisk.h"
#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/sandbox/cgroup.h"

/* Which disk ran out, for errors of Berth's own writes. */
const char *ctrs_full_hint(const struct ctrs *cs, int err)
{
	if (err != ENOSPC && err != EDQUOT)
		return "";
	if (!cs->pid1)
		return " (the disk holding the root directory is full)";
	return dd_mounted() ? " (the data disk " DATA_DIR " is full)" : " (/run is full)";
}

void ctrs_save_state(struct ctrs *cs, struct ctr *c)
{
	struct berr e;

	if (ctr_state_save(cs->root, c->cfg.id, &c->st, &e) < 0)
		log_err("container %.12s: %s%s; its previous state is kept", c->cfg.id, e.msg,
			ctrs_full_hint(cs, e.code));
}

/* ---- lookup ---- */

/* Every container, however many (up to 1024 on the stack). */
struct ctr *ctrs_find(struct ctrs *cs, const char *ref, struct ctl_reply *r)
{
	const char *sv[2 * 1024], **v = sv;
	struct ctr *sc[1024], **cv = sc, *found = NULL;
	int n = 0, m = 1024, i = -ENOMEM;

	for (struct ctr *c = cs->list; c; c = c->next)
		n++;
	if (n > m) {
		v = malloc(2 * (size_t)n * sizeof(*v));
		cv = malloc((size_t)n * sizeof(*cv));
		m = n;
	}
	n = 0;
	for (struct ctr *c = cs->list; v && cv && c; c = c->next, n++) {
		v[n] = c->cfg.id;
		v[m + n] = c->cfg.name;
		cv[n] = c;
	}
	if (v && cv)
		i = ctr_lookup(ref, v, v + m, n);
	if (i >= 0)
		found = cv[i];
	if (v != sv) {
		free(v);
		free(cv);
	}
	if (found)
		return found;
	if (r && i == -ENOMEM)
		reply_error(r, "find %s: out of memory", ref);
	else if (r && i == -EEXIST)
		reply_error(r, "multiple IDs found with provided prefix: %s", ref);
	else if (r)
		reply_error(r, "No such container: %s", ref);
	return NULL;
}

/* ---- timer (stop grace periods, restarts, health probes) ---- */

void ctrs_rearm(struct ctrs *cs)
{
	struct itimerspec its = { 0 };
	uint64_t next = 0, now = now_ns();

	for (struct ctr *c = cs->list; c; c = c->next) {
		uint64_t h = c->hc ? hcr_due(c->hc) : 0;

		if (c->kill_at && (!next || c->kill_at < next))
			next = c->kill_at;
		if (c->restart_at && (!next || c->restart_at < next))
			next = c->restart_at;
		if (h && (!next || h < next))
			next = h;
	}
	if (next) {
		uint64_t d = next > now ? next - now : 1000;
		its.it_value.tv_sec = d / 1000000000ull;
		its.it_value.tv_nsec = d % 1000000000ull;
	}
	timerfd_settime(cs->timer.fd, 0, &its, NULL);
}

/* Restarts due together (crash-loopers started together stay in step)
 * are started at most RESTART_SLICE_NS of the loop's time at once; the
 * rest are left due, so the timer fires again at once, after the control
 * FIFO and the other events had their turn. Under TCG a start costs PID 1
 * some 50 ms: fifty in one go held requests for seconds. */
#define RESTART_SLICE_NS 50000000ull

static void on_timer(struct ctrs *cs)
{
	uint64_t ticks, now = now_ns();

	(void)!read(cs->timer.fd, &ticks, sizeof(ticks));
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->kill_at && c->kill_at <= now) {
			c->kill_at = 0;
			if (c->st.status == CTR_RUNNING && c->st.pid > 0) {
				log_info("container %.12s: grace period over, SIGKILL", c->cfg.id);
				kill(c->st.pid, SIGKILL);
			}
		}
		if (c->restart_at && c->restart_at <= now && now_ns() - now < RESTART_SLICE_NS)
			ctrs_restart_due(cs, c);
		if (c->hc && c->st.status == CTR_RUNNING)
			ctrs_health_timer(cs, c, now);
	}
	ctrs_rearm(cs);
}

/* ---- entries ---- */

static void ctr_free(struct ctr *c)
{
	while (c->waiters) {
		struct waiter *w = c->waiters;
		c->waiters = w->next;
		free(w->path);
		free(w->text);
		free(w);
	}
	if (c->logfd >= 0)
		close(c->logfd);
	if (c->io.stdin_w.fd >= 0)
		close(c->io.stdin_w.fd);
	ctrs_hosts_close(c);
	free(c->hc); /* its fds went with ctrs_remove_ctr() */
	free(c->aside);
	ctr_config_free(&c->cfg);
	free(c->xl);
	free(c->row.text);
	free(c);
}

struct ctr *ctrs_ctr_new(void)
{
	struct ctr *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->logfd = -1;
	c->hostsfd = -1;
	c->out.fd = c->err.fd = -1;
	c->pidw.fd = -1;
	c->io.in = (struct att_end){ EV_CTR_ATTACH, ATT_IN, -1, c };
	c->io.out = (struct att_end){ EV_CTR_ATTACH, ATT_OUT, -1, c };
	c->io.stdin_w = (struct att_end){ EV_CTR_ATTACH, ATT_STDIN, -1, c };
	return c;
}

void ctrs_reclaim(struct ctrs *cs)
{
	ctrs_commit(cs);
	while (cs->done_starts) {
		struct ctr_starting *st = cs->done_starts;

		cs->done_starts = st->next;
		free(st);
	}
	while (cs->dead) {
		struct ctr *c = cs->dead;

		cs->dead = c->next;
		ctr_free(c);
	}
}

void ctrs_event(struct ctrs *cs, void *tag, unsigned events)
{
	struct logpipe *p = tag;

	if (tag == &cs->timer) {
		on_timer(cs);
		return;
	}
	if (*(int *)tag == EV_CTR_ATTACH) {
		ctrs_att_event(cs, tag);
		return;
	}
	if (*(int *)tag == EV_CTR_HEALTH) {
		hcr_readable(cs->epfd, tag);
		return;
	}
	if (*(int *)tag == EV_CTR_START) {
		ctrs_start_step(cs, tag);
		return;
	}
	if (*(int *)tag == EV_CTR_PIDFD) {
		ctrs_adopted_exit(cs, (struct ctr *)((char *)tag - offsetof(struct ctr, pidw)));
		return;
	}
	/* A tty's master is also where the CLI's input goes. */
	if ((events & EPOLLOUT) && p->fd >= 0)
		ctrs_in_flush(cs, p->c);
	if (events & ~EPOLLOUT)
		ctrs_pipe_read(cs, p, false);
}

/* ---- open, shutdown ---- */

static bool prepare_cgroups(struct ctrs *cs)
{
	char ctl[512];

	if (!cg_usable()) {
		log_warn("cgroup v2 is not mounted at /sys/fs/cgroup (a v1 or hybrid host): "
			 "containers run without resource limits");
		return false;
	}
	if (mkdir(CTR_CGROUP_PARENT, 0755) < 0 && errno != EEXIST) {
		log_warn("cgroup: create %s: %s; containers run without resource limits",
			 CTR_CGROUP_PARENT, strerror(errno));
		return false;
	}
	if (read_file("/sys/fs/cgroup/cgroup.subtree_control", ctl, sizeof(ctl)) >= 0) {
		char *save = NULL;
		for (char *t = strtok_r(ctl, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
			char word[64];
			snprintf(word, sizeof(word), "+%s", t);
			if (write_file(CTR_CGROUP_PARENT "/cgroup.subtree_control", word) < 0)
				log_warn("cgroup: enable %s for containers: %s", t, strerror(errno));
		}
	}
	return true;
}

/* <root>/run/berth/<name>; without it no container can be created, which
 * each create then says, so here it is only logged. */
static void state_dir(struct ctrs *cs, const char *name)
{
	char path[600];
	int r;

	snprintf(path, sizeof(path), "%s/run/berth/%s", cs->root, name);
	r = mkdir_p(path, 0700);
	if (r < 0)
		log_err("create %s: %s%s", path, strerror(-r), ctrs_full_hint(cs, -r));
}

struct ctrs *ctrs_open(const char *root, bool pid1, bool adopt, int epfd,
		       struct ctl_server *ctl)
{
	struct ctrs *cs = calloc(1, sizeof(*cs));
	struct epoll_event ev;
	char path[600];

	if (!cs)
		return NULL;
	snprintf(cs->root, sizeof(cs->root), "%s", root);
	snprintf(cs->bridge_cidr, sizeof(cs->bridge_cidr), "%s", BR_DEFAULT_CIDR);
	cs->pid1 = pid1;
	cs->adopt = adopt;
	cs->epfd = epfd;
	cs->ctl = ctl;
	cs->shared_hostsfd = -1;
	cs->timer.kind = EV_CTR_TIMER;
	cs->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = &cs->timer;
	epoll_ctl(epfd, EPOLL_CTL_ADD, cs->timer.fd, &ev);
	state_dir(cs, "containers");
	state_dir(cs, "logs");
	cs->cgroup_ok = prepare_cgroups(cs);
	/* PID 1 starts once per boot: with /data, the IPAM table (bridge.c's
	 * state file) holds the last boot's addresses, none of them in use. */
	snprintf(path, sizeof(path), "%s/run/berth/network/ipam", root);
	if (pid1 && !adopt && unlink(path) == 0)
		log_info("network: addresses of the previous boot released");
	ctrs_load_existing(cs);
	ctrs_rearm(cs);
	return cs;
}

void ctrs_shutdown(struct ctrs *cs, int max_ms)
{
	uint64_t end = now_ns() + (uint64_t)max_ms * 1000000ull;
	bool any = false;

	cs->shutting_down = true;
	for (struct ctr *c = cs->list; c; c = c->next) {
		ctrs_start_cancel(cs, c);
		if (c->hc)
			hcr_end(cs->epfd, c->hc);
		if (c->st.status == CTR_RESTARTING) {
			c->restart_at = 0;
			c->st.status = CTR_EXITED;
			ctrs_save_state(cs, c);
		}
	}
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->st.status == CTR_RUNNING && c->st.pid > 0) {
			kill(c->st.pid, hx_stop_signal(&c->cfg.hostx));
			any = true;
		}
	}
	while (any && now_ns() < end) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid > 0) {
			ctrs_reaped(cs, pid, st);
			continue;
		}
		any = false;
		for (struct ctr *c = cs->list; c; c = c->next) {
			if (c->st.status == CTR_RUNNING && c->pidw.fd >= 0)
				ctrs_adopted_wait(cs, c, 0);
			any |= c->st.status == CTR_RUNNING;
		}
		if (any)
			usleep(20000);
	}
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->st.status == CTR_RUNNING && c->st.pid > 0) {
			log_warn("container %.12s: still running at shutdown, SIGKILL", c->cfg.id);
			kill(c->st.pid, SIGKILL);
			if (ctrs_adopted_wait(cs, c, 1000))
				continue;
			if (waitpid(c->st.pid, &(int){ 0 }, 0) == c->st.pid) {
				c->st.status = CTR_EXITED;
				c->st.exit_code = 137;
				c->st.finished_ns = wall_ns();
				ctrs_net_down(cs, c);
				ctrs_save_state(cs, c);
			}
		}
	}
	ctrs_commit(cs);
	/* The logs live on /data when there is one: close them so it can go. */
	ctrs_hosts_shared_close(cs);
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->logfd >= 0)
			close(c->logfd);
		c->logfd = -1;
	}
}
