/* ctr_exit.c - a container's end: reaping it (what is left in its pipes,
 * the attach session, exit code and OOM kill, cgroup, network, restart
 * policy, waiters) and removing it (tree, logs, address, anonymous
 * volumes). */
#include "ctrs_priv.h"
#include "events.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container/volume.h"
#include "runtime/image/layer.h"
#include "runtime/lib/log.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

static bool oom_killed(struct ctrs *cs, struct ctr *c)
{
	char path[300];
	struct cg_stats st;
	struct berr e;

	if (!cs->cgroup_ok)
		return false;
	ctr_cgroup_path(c->cfg.id, path, sizeof(path));
	return cg_read_stats(path, &st, &e) == 0 && st.oom_kill > 0;
}

/* Remove path, or the trees the removed containers on dead set aside. A
 * tree of a few dozen entries (a --rm container that wrote little) is
 * removed here; a forked child removes the rest. Exec'ing /bin/rm (a
 * dynamic program on most hosts) was a third of the CPU time of a `run
 * --rm`. The child holds none of PID 1's descriptors and none of its
 * fault handlers. */
static void spawn_rmtree(const char *path, const struct ctr *dead)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	pid_t pid;
	int bad;

	if (path && layer_rmtree_some(path, 64) != -EAGAIN)
		return; /* what could not go is swept at the next start */
	pid = fork();
	if (pid < 0)
		log_err("remove %s: fork: %s", path ? path : "trees", strerror(errno));
	if (pid != 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++)
		signal(faults[i], SIG_DFL);
	syscall(SYS_close_range, 3, ~0U, 0);
	bad = path && layer_rmtree(path) < 0;
	for (; dead; dead = dead->next)
		bad |= dead->aside && layer_rmtree(dead->aside) < 0;
	_exit(bad);
}

/* Container trees are ours. The tree is renamed aside at once (its name
 * is free again, and every reader skips names that are not 64 hex
 * digits) into aside (path itself if the rename fails); false when it is
 * gone already. */
static bool set_aside(const char *path, char *aside, size_t size)
{
	static unsigned seq;

	if (strstr(path, REMOVING)) {
		snprintf(aside, size, "%s", path);
		return true;
	}
	snprintf(aside, size, "%s" REMOVING "%d-%u", path, (int)getpid(), seq++);
	if (rename(path, aside) == 0)
		return true;
	snprintf(aside, size, "%s", path); /* in place, then */
	return errno != ENOENT;
}

/* The rename is made durable before anything in the tree is unlinked, so
 * a power cut leaves it whole under either name. Then it is removed, a
 * big one by a child in the background: neither the recursion nor a big
 * upper dir holds up PID 1's loop. The child is reaped with the others;
 * ctrs_load_existing() removes what a crash left aside. */
static void sync_aside(const char *aside)
{
	int r = fsync_parent(aside);

	if (r < 0) /* the removal may come back after a power cut: whole */
		log_warn("remove %s: sync its directory: %s", aside, strerror(-r));
}

void ctrs_remove_tree(const char *path)
{
	char aside[700];

	if (!set_aside(path, aside, sizeof(aside)))
		return;
	sync_aside(aside);
	spawn_rmtree(aside, NULL);
}

/* c's anonymous volumes that no other container uses (c is off the list). */
static void remove_anon_volumes(struct ctrs *cs, struct ctr *c)
{
	for (int i = 0; i < c->cfg.nmounts; i++) {
		const struct ctr_mount *m = &c->cfg.mounts[i];
		bool used = false;
		struct berr e;

		if (!m->anonymous || !m->name)
			continue;
		for (struct ctr *o = cs->list; o && !used; o = o->next) {
			for (int k = 0; k < o->cfg.nmounts && !used; k++)
				used = o->cfg.mounts[k].name && strcmp(o->cfg.mounts[k].name, m->name) == 0;
		}
		if (!used && vol_remove(cs->root, m->name, &e) < 0 && e.code != ENOENT)
			log_err("container %.12s: %s", c->cfg.id, e.msg);
	}
}

bool ctrs_removing(const struct ctr *c)
{
	return c->remove_when_dead || c->cfg.auto_remove;
}

/* Off the table and its tree aside; its address, the rename's fsync, the
 * tree's removal and the answers follow in ctrs_commit(), once for all
 * the containers removed in this turn of the loop. */
void ctrs_remove_ctr(struct ctrs *cs, struct ctr *c)
{
	char dir[512], log[600], old[620], aside[700];
	struct ctr **pp = &cs->list;

	ctrs_start_cancel(cs, c);
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->hc)
		hcr_end(cs->epfd, c->hc);
	c->remove_when_dead = true; /* its address goes in ctrs_commit() */
	ctrs_net_down(cs, c);
	ctr_dir(cs->root, c->cfg.id, dir, sizeof(dir));
	ctr_log_path(cs->root, c->cfg.id, log, sizeof(log));
	unlink(log);
	for (int i = 1; i < hx_log_files(&c->cfg.hostx); i++) {
		snprintf(old, sizeof(old), "%s.%d", log, i);
		unlink(old);
	}
	if (set_aside(dir, aside, sizeof(aside)) && !(c->aside = strdup(aside)))
		ctrs_remove_tree(aside); /* no memory: here and now */
	/* rm -v and --rm take the anonymous volumes along, as Docker's. */
	if (c->remove_volumes || c->cfg.auto_remove)
		remove_anon_volumes(cs, c);
	log_info("container %.12s (%s): removed", c->cfg.id, c->cfg.name);
	ev_ctr(c, "destroy", NULL);
	/* a wait on a created container removed: answered, not held for ever */
	ctrs_notify_waiters(cs, c->waiters, c->st.exit_code);
	c->waiters = NULL;
	c->next = cs->dead;
	cs->dead = c;
}

/* Waiters taken off their container, which may be gone. */
void ctrs_notify_waiters(struct ctrs *cs, struct waiter *list, int exit_code)
{
	while (list) {
		struct waiter *w = list;

		list = w->next;
		w->code = exit_code;
		w->next = cs->answers;
		cs->answers = w;
	}
}

/* The addresses of the containers removed in this turn go back, one
 * write of each table (a user network's: one each, they are few). */
static void release_ids(struct ctrs *cs, const struct br_net *n, const char **ids, int k)
{
	struct berr e;

	/* A release that failed (a full disk) would leak the address. */
	if (k && br_release_ids(cs->root, n, ids, k, &e) < 0)
		log_err("network: %s%s", e.msg, ctrs_full_hint(cs, e.code));
}

static void release_addrs(struct ctrs *cs)
{
	const char *ids[64];
	struct ctr_netref nr;
	struct berr e;
	int n = 0;

	for (struct ctr *c = cs->dead; c; c = c->next) {
		if (ctrs_net_resolve(cs, c, &nr, false, &e) < 0)
			continue; /* its network and table are gone */
		if (nr.user) {
			release_ids(cs, &nr.n, (const char *[]){ c->cfg.id }, 1);
			continue;
		}
		ids[n++] = c->cfg.id;
		if (n == (int)ARRAY_SIZE(ids)) {
			release_ids(cs, &nr.n, ids, n);
			n = 0;
		}
	}
	release_ids(cs, &(struct br_net){ BR_NAME, cs->bridge_cidr, "ipam" }, ids, n);
}

void ctrs_commit(struct ctrs *cs)
{
	struct waiter *w, *order = NULL;
	const struct ctr *first = NULL;
	int trees = 0;

	release_addrs(cs);
	ctrs_hosts_commit(cs);
	for (const struct ctr *c = cs->dead; c; c = c->next) {
		if (c->aside && !trees++)
			first = c;
	}
	if (trees) {
		sync_aside(first->aside); /* all in one directory */
		spawn_rmtree(trees == 1 ? first->aside : NULL, trees == 1 ? NULL : cs->dead);
	}
	for (struct ctr *c = cs->dead; c; c = c->next) { /* done (shutdown commits too) */
		free(c->aside);
		c->aside = NULL;
	}
	while ((w = cs->answers)) {
		cs->answers = w->next;
		w->next = order;
		order = w;
	}
	while ((w = order)) {
		struct ctl_reply r = { 0 };

		order = w->next;
		if (w->text)
			reply_printf(&r, "%s", w->text);
		else
			reply_printf(&r, "%d\n", w->code);
		ctl_send(cs->ctl, w->path, &r, 0);
		free(r.buf);
		free(w->path);
		free(w->text);
		free(w);
	}
}

bool ctrs_reaped(struct ctrs *cs, pid_t pid, int status)
{
	struct spec_buf sp;
	struct waiter *waiters;
	struct ipt_pending *pend;
	struct ctr *c;
	int exit_code;

	if (ctrs_pending_reaped(cs, pid, status) || ctrs_health_reaped(cs, pid, status) ||
	    ctrs_start_reaped(cs, pid, status))
		return true;
	for (c = cs->list; c; c = c->next) {
		if (c->st.status == CTR_RUNNING && c->st.pid == pid)
			break;
	}
	if (!c)
		return false;
	ctrs_adopt_forget(cs, c);
	ctrs_pipe_read(cs, &c->out, true);
	ctrs_pipe_read(cs, &c->err, true);
	ctrs_pipe_close(cs, &c->out);
	ctrs_pipe_close(cs, &c->err);
	/* What the CLI should still see is in "out" before the wait answer. */
	ctrs_out_flush(cs, c);
	ctrs_att_close(cs, c);
	ctrs_ep_close(cs, &c->io.stdin_w.fd);
	c->st.status = CTR_EXITED;
	c->st.paused = false;
	c->st.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	c->st.oom_killed = oom_killed(cs, c);
	c->st.finished_ns = wall_ns();
	c->st.pid = 0;
	c->kill_at = 0;
	if (c->hc)
		hcr_end(cs->epfd, c->hc);
	ctrs_build_spec(cs, c, &sp);
	sb_cleanup(&sp.spec);
	pend = ctrs_net_down(cs, c);
	log_info("container %.12s (%s): exited %d%s", c->cfg.id, c->cfg.name, c->st.exit_code,
		 c->st.oom_killed ? " (OOM killed)" : "");
	ev_ctr_exit(c);
	ctrs_restart_plan(cs, c);
	if (!ctrs_removing(c)) /* (it goes: its tree goes whole) */
		ctrs_save_state(cs, c);
	exit_code = c->st.exit_code;
	waiters = c->waiters;
	c->waiters = NULL;
	/* rm -f is answered once its rules are out too (a later start waits
	 * for that anyway); wait (run's too) right away, with the exit code. */
	if (pend) {
		struct waiter **wp = &waiters;

		pend->exit_code = exit_code;
		while (*wp) {
			struct waiter *w = *wp;

			if (w->text) {
				*wp = w->next;
				w->next = pend->waiters;
				pend->waiters = w;
			} else {
				wp = &w->next;
			}
		}
	}
	ctrs_rearm(cs);
	/* Remove before answering, so `rm -f` and `run --rm` return when it is gone. */
	if (ctrs_removing(c)) {
		ctrs_remove_ctr(cs, c);
	} else if (c->start_when_dead) {
		struct berr e;
		c->start_when_dead = false;
		if (ctrs_start_one(cs, c, &e) < 0)
			log_err("container %.12s: restart: %s", c->cfg.id, e.msg);
	}
	ctrs_notify_waiters(cs, waiters, exit_code);
	return true;
}
