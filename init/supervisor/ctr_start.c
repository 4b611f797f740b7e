/* ctr_start.c - starting a container: the sandbox spec from its config,
 * its stdio, its network (ctr_net.c) and /etc files (ctr_hosts.c), then
 * sb_start(); a start that fails leaves nothing behind and records why. */
#include "ctrs_priv.h"
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <unistd.h>

#include "init/boot/timeline.h"
#include "runtime/lib/log.h"
#include "runtime/lib/tty.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/userns.h"

/* The config's maps (checked by the CLI; a line that does not parse
 * now leaves the map short and sb_start refuses it). */
static void build_userns(const struct ctr_config *k, struct spec_buf *sp)
{
	struct berr e;

	for (int i = 0; k->uid_map && k->uid_map[i] && i < UNS_MAP_MAX; i++)
		sp->spec.nuid_map += uns_map_parse(k->uid_map[i], &sp->uid_map[i], &e) == 0;
	for (int i = 0; k->gid_map && k->gid_map[i] && i < UNS_MAP_MAX; i++)
		sp->spec.ngid_map += uns_map_parse(k->gid_map[i], &sp->gid_map[i], &e) == 0;
	sp->spec.uid_map = sp->uid_map;
	sp->spec.gid_map = sp->gid_map;
	sp->spec.idmap_lowers = k->idmap_layers;
}

void ctrs_build_spec(struct ctrs *cs, struct ctr *c, struct spec_buf *sp)
{
	struct ctr_config *k = &c->cfg;
	int n = 0;

	memset(sp, 0, sizeof(*sp));
	ctr_dir(cs->root, k->id, sp->dir, sizeof(sp->dir));
	snprintf(sp->upper, sizeof(sp->upper), "%s/upper", sp->dir);
	snprintf(sp->work, sizeof(sp->work), "%s/work", sp->dir);
	snprintf(sp->rootfs, sizeof(sp->rootfs), "%s/rootfs", sp->dir);
	snprintf(sp->hosts, sizeof(sp->hosts), "%s/hosts", sp->dir);
	ctrs_hosts_shared_path(cs, c, sp->hosts, sizeof(sp->hosts));
	snprintf(sp->resolv, sizeof(sp->resolv), "%s/resolv.conf", sp->dir);
	snprintf(sp->hostname, sizeof(sp->hostname), "%s/hostname", sp->dir);
	for (char **l = k->layers; l && *l && n < (int)ARRAY_SIZE(sp->lower); l++)
		sp->lower[n++] = *l;
	for (int i = 0; i < k->nmounts && i < (int)ARRAY_SIZE(sp->mounts); i++)
		sp->mounts[i] = (struct sb_mount){ k->mounts[i].source, k->mounts[i].target,
						   k->mounts[i].read_only,
						   k->mounts[i].name && !k->mounts[i].nocopy };
	sp->spec = (struct sb_spec){
		.id = k->id,
		.hostname = k->hostname && *k->hostname ? k->hostname : NULL,
		.lowerdirs = sp->lower,
		.nlower = n,
		.upperdir = sp->upper,
		.workdir = sp->work,
		.rootfs = sp->rootfs,
		.read_only = k->read_only,
		.mounts = sp->mounts,
		.nmounts = k->nmounts < 64 ? k->nmounts : 64,
		.hosts_file = sp->hosts,
		.resolv_file = sp->resolv,
		.hostname_file = sp->hostname,
		.argv = k->argv,
		.env = k->env,
		.cwd = k->cwd,
		.user = k->user,
		.tty = k->tty,
		.stdin_fd = -1,
		.stdout_fd = -1,
		.stderr_fd = -1,
		.privileged = k->privileged,
		.caps = k->caps,
		.no_new_privs = k->no_new_privs,
		.seccomp = k->seccomp,
		.limits = k->limits,
	};
	if (cs->cgroup_ok) {
		ctr_cgroup_path(k->id, sp->cgroup, sizeof(sp->cgroup));
		sp->spec.cgroup = sp->cgroup;
	}
	build_userns(k, sp);
}

void ctrs_watch_pipe(struct ctrs *cs, struct logpipe *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };

	fcntl(p->fd, F_SETFL, O_NONBLOCK);
	if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0)
		log_err("container %.12s: watch log pipe: %s", p->c->cfg.id, strerror(errno));
}

/* Exit code for a start that failed, as `docker run` reports it. */
int ctrs_start_failure_status(int code)
{
	return code == ENOENT ? 127 : code == EACCES ? 126 : 125;
}

/* The container's stdio: a pty (-t: the slave on 0, 1 and 2, the master
 * kept in out[0]) or pipes for stdout and stderr, and stdin for -i. */
static int open_stdio(struct ctr *c, int out[2], int err[2], int in[2], struct sb_spec *spec,
		      struct berr *e)
{
	if (c->cfg.tty) {
		int r = tty_openpty(NULL, &out[0], &out[1], e);

		if (r < 0)
			return r;
		if (c->io.rows) {
			struct winsize ws = { .ws_row = c->io.rows, .ws_col = c->io.cols };
			ioctl(out[0], TIOCSWINSZ, &ws);
		}
		spec->stdin_fd = spec->stdout_fd = spec->stderr_fd = out[1];
		return 0;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    (c->cfg.interactive && pipe2(in, O_CLOEXEC) < 0))
		return berr_set(e, errno, "pipe");
	spec->stdin_fd = in[0];
	spec->stdout_fd = out[1];
	spec->stderr_fd = err[1];
	return 0;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* What a start that failed leaves: nothing but the error in its state. */
static void start_failed(struct ctrs *cs, struct ctr *c, struct ctr_starting *st,
			 const struct berr *e)
{
	close_fds(st->fds, 6);
	if (st->lease.ip[0]) {
		struct berr ignored;

		/* a job that failed may have committed one table of two: out too */
		berr_ignore(ctrs_ports_add_finish(&st->job, &ignored));
		ctrs_ports_remove(cs, c->st.ports, st->lease.ip, st->lease.bridge);
		if (ctrs_addr_release(cs, c, &ignored) < 0)
			log_err("container %.12s: %s", c->cfg.id, ignored.msg);
		ctrs_xnets_down(cs, c);
		c->st.ports[0] = '\0';
		ctrs_hosts_remove(cs, c); /* its line in the shared file */
	}
	snprintf(c->st.error, sizeof(c->st.error), "%s", e->msg);
	c->st.exit_code = ctrs_start_failure_status(e->code);
	ctrs_save_state(cs, c);
	ctrs_att_close(cs, c); /* `start -a` gets its error; its session ends */
}

/* Steps 1 to 6 of a start: everything up to the child's release. */
static int start_begin(struct ctrs *cs, struct ctr *c, struct ctr_starting *st, struct berr *e)
{
	struct spec_buf *sp = malloc(sizeof(*sp));
	struct ctrs_attach att = { &st->lease, c }; /* used in sb_start_begin */
	int r;

	if (!sp)
		return berr_set(e, ENOMEM, "start");
	ctrs_build_spec(cs, c, sp);
	r = ctrs_network_path(cs, c, sp->netns, sizeof(sp->netns), e);
	if (r < 0)
		goto out;
	sp->spec.netns_path = sp->netns[0] ? sp->netns : NULL;
	if (mkdir_p(sp->upper, 0755) < 0 || mkdir_p(sp->work, 0700) < 0 ||
	    mkdir_p(sp->rootfs, 0755) < 0) {
		r = berr_set(e, errno, "create %s", sp->dir);
		goto out;
	}
	r = hx_spec_fill(cs->root, &c->cfg.hostx, &sp->hx, &sp->spec, e);
	if (r == 0)
		r = ctrs_network_acquire(cs, c, &st->lease, &st->job, e);
	if (r < 0)
		goto out;
	if (st->lease.ip[0]) {
		sp->spec.parent_setup = ctrs_attach_all;
		sp->spec.parent_ctx = &att;
	}
	r = ctrs_write_etc_files(cs, c, sp->dir, st->lease.ip, e);
	if (r == 0)
		r = open_stdio(c, st->fds, st->fds + 2, st->fds + 4, &sp->spec, e);
	if (r == 0)
		r = sb_start_begin(&sp->spec, &st->pid, &st->fd, e);
	close_fds(&st->fds[1], 1); /* the child's ends */
	close_fds(&st->fds[3], 1);
	close_fds(&st->fds[4], 1);
out:
	hx_spec_free(&sp->hx);
	free(sp);
	return r;
}

/* Steps 7 and 8, once the child has exec'd and the rules are in: it runs. */
static void start_running(struct ctrs *cs, struct ctr *c, struct ctr_starting *st)
{
	if (c->logfd < 0)
		ctrs_log_open(cs, c);
	c->out = (struct logpipe){ .kind = EV_CTR_LOG, .fd = st->fds[0], .c = c, .stream = "stdout" };
	c->err = (struct logpipe){ .kind = EV_CTR_LOG, .fd = st->fds[2], .c = c, .stream = "stderr" };
	st->fds[0] = st->fds[2] = -1;
	ctrs_watch_pipe(cs, &c->out);
	if (c->err.fd >= 0)
		ctrs_watch_pipe(cs, &c->err);
	if (st->fds[5] >= 0) {
		c->io.stdin_w.fd = st->fds[5];
		fcntl(st->fds[5], F_SETFL, O_NONBLOCK);
		st->fds[5] = -1;
	}
	ctrs_handover_put(c);
	ctrs_att_update(cs, c);
	c->st.status = CTR_RUNNING;
	c->st.pid = st->pid;
	c->st.exit_code = 0;
	c->st.oom_killed = false;
	c->st.started_ns = wall_ns();
	c->st.finished_ns = 0;
	c->st.error[0] = '\0';
	memcpy(c->st.ip, st->lease.ip, sizeof(c->st.ip));
	memcpy(c->st.gateway, st->lease.gateway, sizeof(c->st.gateway));
	memcpy(c->st.mac, st->lease.mac, sizeof(c->st.mac));
	c->st.ip_prefix = st->lease.prefix;
	c->restart_at = 0;
	c->started_mono = now_ns();
	ev_ctr(c, "start", NULL);
	if (c->hc)
		hcr_begin(c->hc, &c->cfg.health, c->started_mono);
	ctrs_save_state(cs, c);
	if (c->st.ip[0]) {
		ctrs_hosts_open(cs, c);
		ctrs_hosts_add(cs, c);
	}
	ctrs_rearm(cs);
	if (cs->pid1 && !timeline_get("first-container"))
		timeline_mark("first-container"); /* boot to the first service's exec */
	log_info("container %.12s (%s): started, pid %d", c->cfg.id, c->cfg.name, (int)st->pid);
}

int ctrs_start_one(struct ctrs *cs, struct ctr *c, struct berr *e)
{
	struct ctr_starting *st;
	struct epoll_event ev;
	int r;

	if (c->st.status == CTR_RUNNING || c->starting)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return berr_set(e, ENOMEM, "start");
	*st = (struct ctr_starting){ .kind = EV_CTR_START, .fd = -1, .pid = -1,
				     .job = { .pid = -1, .out = -1 },
				     .fds = { -1, -1, -1, -1, -1, -1 }, .pidfd = -1, .c = c };
	r = start_begin(cs, c, st, e);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = st };
	if (r == 0 && (fcntl(st->fd, F_SETFL, O_NONBLOCK) < 0 ||
		       epoll_ctl(cs->epfd, EPOLL_CTL_ADD, st->fd, &ev) < 0))
		r = berr_set(e, errno, "watch the start of container %.12s", c->cfg.id);
	if (r < 0) {
		if (st->fd >= 0) {
			close(st->fd);
			ctrs_start_kill(cs, c, st);
		}
		start_failed(cs, c, st, e);
		free(st);
		return r;
	}
	c->starting = st;
	ctrs_start_handover(c, st);
	return 0;
}

/* The child's answer, its exit or the rules' job came: finish the start
 * when all it waits for is there. */
void ctrs_start_step(struct ctrs *cs, struct ctr_starting *st)
{
	struct ctr *c = st->c;
	struct berr e;
	int r;

	if (st->done)
		return; /* an event of the batch it was finished in */
	if (st->fd >= 0) {
		r = sb_start_result(st->fd, &st->err);
		if (r == -EAGAIN && !st->reaped)
			return;
		st->rc = r == -EAGAIN ? berr_msg(&st->err, ECHILD, "it ended unanswered") : r;
		ctrs_ep_close(cs, &st->fd);
	}
	if (st->job.pid > 0 && st->rc == 0)
		return; /* the published ports' rules are not in yet */
	c->starting = NULL;
	ctrs_start_handover_end(st);
	r = st->rc;
	e = st->err;
	if (st->job_done &&
	    ipt_restore_collect(&st->job, st->job_rc, r < 0 ? &(struct berr){ 0 } : &e) < 0 &&
	    r == 0) /* it runs, its ports are not published: no start */
		r = berr_wrap(&e, "add published ports");
	if (r < 0) {
		if (!st->reaped)
			ctrs_start_kill(cs, c, st);
		if (st->restart) { /* as Docker: a restart that fails leaves it exited */
			c->st.status = CTR_EXITED;
			c->st.finished_ns = wall_ns();
		}
		start_failed(cs, c, st, &e);
	} else {
		start_running(cs, c, st);
	}
	ctrs_start_answer(cs, c, st, r < 0 ? &e : NULL);
	if (r == 0 && st->reaped)
		ctrs_reaped(cs, st->pid, st->status);
}
