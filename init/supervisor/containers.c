#include "containers.h"
#include "init/boot/datadisk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init/boot/timeline.h"
#include "runtime/net/bridge.h"
#include "runtime/sandbox/cgroup.h"
#include "runtime/container/container.h"
#include "runtime/net/iptables.h"
#include "runtime/lib/log.h"
#include "runtime/net/ports.h"
#include "runtime/net/resolv.h"
#include "runtime/container/restart.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/tty.h"
#include "runtime/container/volume.h"
#include "runtime/lib/util.h"
#include "health.h"

#define LOG_MAX_BYTES (10 << 20)
#define LOG_FILES 3

struct ctr;
struct ipt_pending;

struct logpipe {
	int kind; /* EV_CTR_LOG: first, the supervisor's event tag */
	int fd;
	struct ctr *c;
	const char *stream;
	char buf[4096];
	size_t len;
};

/* One end of an attach session (or the stdin pipe) in the epoll set. */
enum { ATT_IN = 1, ATT_OUT, ATT_STDIN };
struct att_end {
	int kind; /* EV_CTR_ATTACH */
	int role;
	int fd;
	struct ctr *c;
};

/* The stdio an attached CLI reaches: the pty master (run -t, held in
 * out.fd) or the stdin pipe (run -i), relayed from/to the session's FIFOs
 * with bounded buffers. */
struct ctr_io {
	bool attached;		/* the FIFOs exist */
	struct att_end in;	/* "in" FIFO, read end */
	struct att_end out;	/* "out" FIFO, write end; -1 until the CLI has it open */
	struct att_end stdin_w;	/* -i without -t: the container's stdin pipe */
	bool in_eof;		/* the CLI closed "in": close stdin once ibuf is out */
	char ibuf[4096];
	size_t ilen, ioff;
	char obuf[16384];
	size_t olen;
	unsigned short rows, cols;
};

struct waiter {
	char *path;
	char *text;	/* the reply when done; NULL: the exit code */
	struct waiter *next;
};

struct ctr {
	struct ctr_config cfg;
	struct ctr_state st;
	struct logpipe out, err;
	int logfd;
	off_t logsize;
	uint64_t kill_at;	/* monotonic deadline for SIGKILL, 0 = none */
	bool remove_when_dead;
	bool start_when_dead;	/* restart */
	bool remove_volumes;	/* rm -v: its anonymous volumes go too */
	bool log_failing;	/* a log write failed: reported once */
	/* Restart policy: the wait before the next start (restart_at,
	 * monotonic, 0 = none) follows rp_decide()'s schedule. */
	struct rp_policy policy;
	struct rp_track rtrack;
	uint64_t restart_at, started_mono;
	bool unhealthy_kill;	/* stopped for being unhealthy: a failure */
	struct hc_run *hc;	/* its health check, NULL = none */
	struct waiter *waiters;
	struct ctr_io io;
	int hostsfd;		/* its /etc/hosts while on the bridge (O_APPEND) */
	struct ctr *next;
};

struct ctrs {
	char root[512];
	bool pid1;
	int epfd;
	struct ctl_server *ctl;
	struct ctr *list;
	struct {
		int kind;
		int fd;
	} timer;
	bool cgroup_ok;
	bool shutting_down;	/* no restarts from here on */
	char bridge_cidr[64];
	uint16_t last_port;	/* the last ephemeral host port handed out */
	struct ipt_pending *ipt_pending; /* iptables-restore removals running */
	/* Removed containers, freed by ctrs_reclaim() once the supervisor's
	 * batch of epoll events (which may still name them) is done. */
	struct ctr *dead;
};

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Which disk ran out, for errors of Berth's own writes. */
static const char *full_hint(const struct ctrs *cs, int err)
{
	if (err != ENOSPC && err != EDQUOT)
		return "";
	if (!cs->pid1)
		return " (the disk holding the root directory is full)";
	return dd_mounted() ? " (the data disk " DATA_DIR " is full)" : " (/run is full)";
}

static void save_state(struct ctrs *cs, struct ctr *c)
{
	struct berr e;

	if (ctr_state_save(cs->root, c->cfg.id, &c->st, &e) < 0)
		log_err("container %.12s: %s%s; its previous state is kept", c->cfg.id, e.msg,
			full_hint(cs, e.code));
}

/* ---- lookup ---- */

static struct ctr *find(struct ctrs *cs, const char *ref, struct ctl_reply *r)
{
	const char *ids[1024], *names[1024];
	struct ctr *by_index[1024];
	int n = 0, i;

	for (struct ctr *c = cs->list; c && n < 1024; c = c->next) {
		ids[n] = c->cfg.id;
		names[n] = c->cfg.name;
		by_index[n++] = c;
	}
	i = ctr_lookup(ref, ids, names, n);
	if (i >= 0)
		return by_index[i];
	if (r && i == -EEXIST)
		reply_error(r, "multiple IDs found with provided prefix: %s", ref);
	else if (r)
		reply_error(r, "No such container: %s", ref);
	return NULL;
}

/* ---- timer (stop grace periods) ---- */

static void rearm(struct ctrs *cs)
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

static void restart_due(struct ctrs *cs, struct ctr *c);
static void health_timer(struct ctrs *cs, struct ctr *c, uint64_t now);

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
		if (c->restart_at && c->restart_at <= now)
			restart_due(cs, c);
		if (c->hc && c->st.status == CTR_RUNNING)
			health_timer(cs, c, now);
	}
	rearm(cs);
}

/* ---- logs ---- */

static void log_open(struct ctrs *cs, struct ctr *c)
{
	char path[600];
	struct stat st;

	ctr_log_path(cs->root, c->cfg.id, path, sizeof(path));
	c->logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (c->logfd < 0)
		log_err("container %.12s: open log %s: %s", c->cfg.id, path, strerror(errno));
	c->logsize = (c->logfd >= 0 && fstat(c->logfd, &st) == 0) ? st.st_size : 0;
}

/* 10 MiB x 3 files: <id>.log, .log.1, .log.2. */
static void log_rotate(struct ctrs *cs, struct ctr *c)
{
	char base[600], from[620], to[620];

	ctr_log_path(cs->root, c->cfg.id, base, sizeof(base));
	for (int i = LOG_FILES - 1; i > 0; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", base);
		else
			snprintf(from, sizeof(from), "%s.%d", base, i - 1);
		snprintf(to, sizeof(to), "%s.%d", base, i);
		rename(from, to);
	}
	if (c->logfd >= 0)
		close(c->logfd);
	log_open(cs, c);
}

/* One log line: "<RFC 3339 time> <stream> <text>\n". */
static void log_line(struct ctrs *cs, struct ctr *c, const char *stream, const char *text,
		     size_t len)
{
	char head[64], ts[48];
	struct iovec {
		const void *b;
		size_t l;
	} parts[3];
	size_t total;

	if (c->logfd < 0)
		return;
	ctr_format_time(real_ns(), ts, sizeof(ts));
	snprintf(head, sizeof(head), "%s %s ", ts, stream);
	parts[0] = (struct iovec){ head, strlen(head) };
	parts[1] = (struct iovec){ text, len };
	parts[2] = (struct iovec){ "\n", 1 };
	total = parts[0].l + parts[1].l + 1;
	{
		char line[sizeof(head) + sizeof(c->out.buf) + 1];
		memcpy(line, parts[0].b, parts[0].l);
		memcpy(line + parts[0].l, text, len);
		line[total - 1] = '\n';
		if (write_all(c->logfd, line, total) < 0) {
			int err = errno;

			/* No half lines: cut what got out. */
			if (ftruncate(c->logfd, c->logsize) < 0)
				log_debug("container %.12s: truncate log: %s", c->cfg.id, strerror(errno));
			if (!c->log_failing)
				log_err("container %.12s: write log %s/run/berth/logs/%s.log: %s%s; "
					"dropping its output until there is room",
					c->cfg.id, cs->root, c->cfg.id, strerror(err), full_hint(cs, err));
			c->log_failing = true;
			return;
		}
	}
	c->log_failing = false;
	c->logsize += total;
	if (c->logsize > LOG_MAX_BYTES)
		log_rotate(cs, c);
}

static void pipe_flush(struct ctrs *cs, struct logpipe *p, bool all)
{
	char *start = p->buf, *nl;

	while ((nl = memchr(start, '\n', p->len - (start - p->buf)))) {
		log_line(cs, p->c, p->stream, start, nl - start);
		start = nl + 1;
	}
	p->len -= start - p->buf;
	memmove(p->buf, start, p->len);
	if (p->len && (all || p->len == sizeof(p->buf))) {
		log_line(cs, p->c, p->stream, p->buf, p->len);
		p->len = 0;
	}
}

static void pipe_close(struct ctrs *cs, struct logpipe *p)
{
	if (p->fd < 0)
		return;
	epoll_ctl(cs->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	p->fd = -1;
	pipe_flush(cs, p, true);
}

/* ---- attach (run -i, run -t) ---- */

static void att_path(struct ctrs *cs, struct ctr *c, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/run/berth/attach/%s%s%s", cs->root, c->cfg.id, *name ? "/" : "",
		 name);
}

/* Watch fd for events; none: out of the set, so a hung-up end we are not
 * ready to serve cannot spin the loop. */
static void ep_want(struct ctrs *cs, int fd, void *tag, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.ptr = tag };

	if (fd < 0)
		return;
	if (!events) {
		epoll_ctl(cs->epfd, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	if (epoll_ctl(cs->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(cs->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void ep_close(struct ctrs *cs, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(cs->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* The master is not read while the CLI lags a whole chunk behind: the
 * container waits, as it would on a slow terminal. */
static bool out_paused(struct ctr *c)
{
	return c->io.out.fd >= 0 && c->io.olen > sizeof(c->io.obuf) - sizeof(c->out.buf);
}

static void att_update(struct ctrs *cs, struct ctr *c)
{
	struct ctr_io *io = &c->io;

	if (c->cfg.tty && c->out.fd >= 0)
		ep_want(cs, c->out.fd, &c->out,
			(out_paused(c) ? 0 : EPOLLIN) | (io->ilen ? EPOLLOUT : 0));
	if (!c->cfg.tty)
		ep_want(cs, io->stdin_w.fd, &io->stdin_w, io->ilen ? EPOLLOUT : 0);
	ep_want(cs, io->in.fd, &io->in, io->ilen ? 0 : EPOLLIN);
	ep_want(cs, io->out.fd, &io->out, io->olen ? EPOLLOUT : 0);
}

/* End the session: the CLI is done or gone. The container carries on;
 * without -t its stdin closes (Docker's StdinOnce). */
static void att_close(struct ctrs *cs, struct ctr *c)
{
	struct ctr_io *io = &c->io;
	char path[700];

	if (!io->attached)
		return;
	ep_close(cs, &io->in.fd);
	ep_close(cs, &io->out.fd);
	if (!c->cfg.tty)
		ep_close(cs, &io->stdin_w.fd);
	io->ilen = io->olen = 0;
	io->attached = io->in_eof = false;
	att_path(cs, c, "in", path, sizeof(path));
	unlink(path);
	att_path(cs, c, "out", path, sizeof(path));
	unlink(path);
	att_path(cs, c, "", path, sizeof(path));
	rmdir(path);
	att_update(cs, c);
}

/* Input from the CLI to the master or the stdin pipe, as far as it goes. */
static void in_flush(struct ctrs *cs, struct ctr *c)
{
	struct ctr_io *io = &c->io;
	int fd = c->cfg.tty ? c->out.fd : io->stdin_w.fd;

	if (fd < 0)
		io->ilen = 0; /* nowhere to go: dropped */
	while (io->ilen) {
		ssize_t n = write(fd, io->ibuf + io->ioff, io->ilen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* nowhere to go (the container closed its stdin): dropped */
			io->ilen = 0;
			if (!c->cfg.tty)
				ep_close(cs, &io->stdin_w.fd);
			break;
		}
		io->ioff += n;
		io->ilen -= n;
	}
	if (!io->ilen && io->in_eof && !c->cfg.tty)
		ep_close(cs, &io->stdin_w.fd);
	att_update(cs, c);
}

static void in_readable(struct ctrs *cs, struct ctr *c)
{
	struct ctr_io *io = &c->io;
	ssize_t n;

	if (io->ilen || io->in.fd < 0)
		return;
	n = read(io->in.fd, io->ibuf, sizeof(io->ibuf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The CLI closed "in": its stdin ended (-i) or it is gone. */
		if (c->cfg.tty) {
			att_close(cs, c);
			return;
		}
		ep_close(cs, &io->in.fd);
		io->in_eof = true;
	} else {
		io->ioff = 0;
		io->ilen = n;
	}
	in_flush(cs, c);
}

static void out_flush(struct ctrs *cs, struct ctr *c)
{
	struct ctr_io *io = &c->io;

	while (io->olen && io->out.fd >= 0) {
		ssize_t n = write(io->out.fd, io->obuf, io->olen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			att_close(cs, c); /* the reader is gone */
			return;
		}
		memmove(io->obuf, io->obuf + n, io->olen - n);
		io->olen -= n;
	}
	att_update(cs, c);
}

/* A tty container's output also goes to the attached CLI, once it has
 * "out" open (before that, only to the log). */
static void att_output(struct ctrs *cs, struct ctr *c, const char *data, size_t n)
{
	struct ctr_io *io = &c->io;
	size_t room = sizeof(io->obuf) - io->olen;

	if (!io->attached)
		return;
	if (io->out.fd < 0) {
		char path[700];

		att_path(cs, c, "out", path, sizeof(path));
		io->out.fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		if (io->out.fd < 0)
			return;
	}
	if (n > room)
		n = room; /* only when draining a dead container for a slow CLI */
	memcpy(io->obuf + io->olen, data, n);
	io->olen += n;
	out_flush(cs, c);
}

static void att_event(struct ctrs *cs, struct att_end *a)
{
	if (a->role == ATT_IN)
		in_readable(cs, a->c);
	else if (a->role == ATT_OUT)
		out_flush(cs, a->c);
	else
		in_flush(cs, a->c);
}

/* Read what is there; never block on a container. final: it is dead,
 * take all that is left even when the CLI lags. */
static void pipe_read(struct ctrs *cs, struct logpipe *p, bool final)
{
	bool tty = p->c->cfg.tty && p == &p->c->out;

	for (;;) {
		ssize_t n;

		if (p->fd < 0 || (tty && !final && out_paused(p->c)))
			return;
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			pipe_close(cs, p);
			return;
		}
		if (tty)
			att_output(cs, p->c, p->buf + p->len, n);
		p->len += n;
		pipe_flush(cs, p, false);
	}
}

/* ---- start ---- */

/* ---- names on the bridge: /etc/hosts ----
 *
 * Every running bridge container's /etc/hosts names all of them
 * ("IP<tab>HOSTNAME NAME"), so they reach each other by name without a
 * DNS server in PID 1. The files are bind-mounted, so they are written in
 * place (a rename would not reach the mounts): a start appends its line
 * to the others' files, an exit rewrites them without it. */

static const char *ctr_hostname(const struct ctr *c)
{
	return c->cfg.hostname && *c->cfg.hostname ? c->cfg.hostname : "localhost";
}

static bool on_bridge(const struct ctr *o)
{
	return o->st.status == CTR_RUNNING && o->st.ip[0];
}

static size_t hosts_line(const struct ctr *c, const char *ip, char *buf, size_t size)
{
	const char *h = ctr_hostname(c);
	bool both = strcmp(h, c->cfg.name) != 0;
	int n = snprintf(buf, size, "%s\t%.63s%s%s\n", ip, h, both ? " " : "", both ? c->cfg.name : "");

	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* c's file (c at ip): the base lines, its own, the other bridge
 * containers' but gone's. malloc'd; NULL on ENOMEM. */
static char *hosts_text(struct ctrs *cs, const struct ctr *c, const char *ip,
			const struct ctr *gone, size_t *len)
{
	static const char base[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
	size_t cap = sizeof(base) + 256, off;
	char *buf;

	for (struct ctr *o = cs->list; o; o = o->next)
		cap += on_bridge(o) ? 256 : 0;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	memcpy(buf, base, sizeof(base) - 1);
	off = sizeof(base) - 1;
	off += hosts_line(c, ip, buf + off, cap - off);
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o != gone && on_bridge(o))
			off += hosts_line(o, o->st.ip, buf + off, cap - off);
	}
	*len = off;
	return buf;
}

static void hosts_path(struct ctrs *cs, const struct ctr *c, char *buf, size_t size)
{
	char dir[512];

	ctr_dir(cs->root, c->cfg.id, dir, sizeof(dir));
	snprintf(buf, size, "%s/hosts", dir);
}

/* Write o's file in place (its container has it bind-mounted), through
 * the descriptor held while it runs: one write per neighbour and start. */
static void hosts_put(struct ctrs *cs, struct ctr *o, const char *text, size_t len, bool append)
{
	(void)cs;
	if (o->hostsfd < 0)
		return;
	if ((!append && ftruncate(o->hostsfd, 0) < 0) || write_all(o->hostsfd, text, len) < 0)
		log_warn("container %.12s: update /etc/hosts: %s", o->cfg.id, strerror(errno));
}

static void hosts_open(struct ctrs *cs, struct ctr *c)
{
	char path[600];

	hosts_path(cs, c, path, sizeof(path));
	c->hostsfd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (c->hostsfd < 0)
		log_warn("container %.12s: open %s: %s", c->cfg.id, path, strerror(errno));
}

static void hosts_close(struct ctr *c)
{
	if (c->hostsfd >= 0)
		close(c->hostsfd);
	c->hostsfd = -1;
}

/* c now runs on the bridge: its line into every other one's file. */
static void hosts_add(struct ctrs *cs, struct ctr *c)
{
	char line[256];
	size_t len = hosts_line(c, c->st.ip, line, sizeof(line));

	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && on_bridge(o))
			hosts_put(cs, o, line, len, true);
	}
}

/* c left the bridge: the others' files without it. */
static void hosts_remove(struct ctrs *cs, struct ctr *c)
{
	for (struct ctr *o = cs->list; o; o = o->next) {
		size_t len;
		char *text;

		if (o == c || !on_bridge(o))
			continue;
		text = hosts_text(cs, o, o->st.ip, c, &len);
		if (text)
			hosts_put(cs, o, text, len, false);
		free(text);
	}
}

static void write_etc_files(struct ctrs *cs, struct ctr *c, const char *dir, const char *ip)
{
	char path[700], buf[4096], resolv[4096];
	const char *host = ctr_hostname(c);

	snprintf(path, sizeof(path), "%s/hostname", dir);
	snprintf(buf, sizeof(buf), "%.63s\n", host);
	write_file_atomic(path, buf, strlen(buf), 0644);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	snprintf(buf, sizeof(buf),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (ip && *ip) {
		size_t len;
		char *text = hosts_text(cs, c, ip, NULL, &len);

		if (text)
			write_file_atomic(path, text, len, 0644);
		free(text);
	} else {
		write_file_atomic(path, buf, strlen(buf), 0644);
	}
	/* The host's resolvers, less loopback ones (see resolv.h). */
	if (read_file("/etc/resolv.conf", resolv, sizeof(resolv)) < 0)
		resolv[0] = '\0';
	resolv_filter(resolv, buf, sizeof(buf));
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	write_file_atomic(path, buf, strlen(buf), 0644);
}

/* Paths and the sandbox spec for a container (buffers live in *sp). */
struct spec_buf {
	struct sb_spec spec;
	char dir[512], upper[560], work[560], rootfs[560], hosts[560], resolv[560],
		hostname[560], cgroup[256], netns[64];
	struct sb_mount mounts[64];
	const char *lower[128];
};

static void build_spec(struct ctrs *cs, struct ctr *c, struct spec_buf *sp)
{
	struct ctr_config *k = &c->cfg;
	int n = 0;

	memset(sp, 0, sizeof(*sp));
	ctr_dir(cs->root, k->id, sp->dir, sizeof(sp->dir));
	snprintf(sp->upper, sizeof(sp->upper), "%s/upper", sp->dir);
	snprintf(sp->work, sizeof(sp->work), "%s/work", sp->dir);
	snprintf(sp->rootfs, sizeof(sp->rootfs), "%s/rootfs", sp->dir);
	snprintf(sp->hosts, sizeof(sp->hosts), "%s/hosts", sp->dir);
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
}

static void watch_pipe(struct ctrs *cs, struct logpipe *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };

	fcntl(p->fd, F_SETFL, O_NONBLOCK);
	if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0)
		log_err("container %.12s: watch log pipe: %s", p->c->cfg.id, strerror(errno));
}

/* Exit code for a start that failed, as `docker run` reports it. */
static int start_failure_status(int code)
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

/* ---- published ports' rules ----
 *
 * iptables-restore runs beside the supervisor's other work: a start's
 * rules go in while the sandbox is set up (collected before the start is
 * answered), an exit's come out while the loop carries on (the process is
 * reaped with the other children). An addition first waits for the
 * removals still running, so rules never go in before an older removal of
 * the same rules. */
struct ipt_pending {
	struct ipt_job job;
	char ip[16];
	char *ports;	/* what it removes: to go on port by port if it fails */
	/* answered once the rules are out (rm -f, wait of the container) */
	struct waiter *waiters;
	int exit_code;
	struct ipt_pending *next;
};

static void notify_waiters(struct ctrs *cs, struct waiter *list, int exit_code);

static int rules_text(const char *ports, const char *ip, bool add, char *buf, size_t size,
		      struct berr *e)
{
	struct port_map m[PORTS_MAX];
	int n = port_list_parse(ports, m, PORTS_MAX);

	if (n == 0)
		return 0;
	return port_rules(m, n, ip, BR_NAME, add, buf, size, e) < 0 ? -e->code : n;
}

/* A removal failed as a whole (some rule already gone, e.g. after a
 * reboot): port by port, so no rule is left behind. */
static void remove_one_by_one(const char *ports, const char *ip)
{
	struct port_map m[PORTS_MAX];
	char rules[1024];
	struct berr e;
	int n = port_list_parse(ports, m, PORTS_MAX);

	for (int i = 0; i < n; i++) {
		if (port_rules(&m[i], 1, ip, BR_NAME, false, rules, sizeof(rules), &e) == 0)
			ipt_restore(rules, &e);
	}
}

static void pending_done(struct ctrs *cs, struct ipt_pending *p, int status)
{
	struct berr e;

	if (ipt_restore_collect(&p->job, status, &e) < 0) {
		log_warn("network: remove published ports of %s: %s; one by one", p->ip, e.msg);
		remove_one_by_one(p->ports, p->ip);
	}
	notify_waiters(cs, p->waiters, p->exit_code);
	free(p->ports);
	free(p);
}

/* Wait for the removals still running. */
static void pending_drain(struct ctrs *cs)
{
	while (cs->ipt_pending) {
		struct ipt_pending *p = cs->ipt_pending;

		cs->ipt_pending = p->next;
		pending_done(cs, p, wait_pid(p->job.pid));
	}
}

/* A reaped child that was one of them? */
static bool pending_reaped(struct ctrs *cs, pid_t pid, int status)
{
	for (struct ipt_pending **pp = &cs->ipt_pending; *pp; pp = &(*pp)->next) {
		struct ipt_pending *p = *pp;

		if (p->job.pid != pid)
			continue;
		*pp = p->next;
		pending_done(cs, p, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return true;
	}
	return false;
}

/* Start adding the rules of c's picked ports (c->st.ports) for a
 * container at ip; job->pid stays -1 when there are none. */
static int ports_add_start(struct ctrs *cs, struct ctr *c, const char *ip, struct ipt_job *job,
			   struct berr *e)
{
	static char rules[PORTS_MAX * 400];
	int n;

	job->pid = -1;
	job->out = -1;
	n = rules_text(c->st.ports, ip, true, rules, sizeof(rules), e);
	if (n <= 0)
		return n < 0 ? berr_wrap(e, "add published ports") : 0;
	pending_drain(cs);
	if (ipt_restore_start(job, rules, e) < 0)
		return berr_wrap(e, "add published ports");
	return 0;
}

static int ports_add_finish(struct ipt_job *job, struct berr *e)
{
	int r;

	if (job->pid < 0)
		return 0;
	r = ipt_restore_finish(job, e);
	job->pid = -1;
	return r < 0 ? berr_wrap(e, "add published ports") : 0;
}

/* Take the rules of ports (picked ports, as st.ports) for ip out, in the
 * background; NULL when done already (or nothing to do). */
static struct ipt_pending *ports_remove(struct ctrs *cs, const char *ports, const char *ip)
{
	static char rules[PORTS_MAX * 400];
	struct ipt_pending *p;
	struct berr e;
	int n = rules_text(ports, ip, false, rules, sizeof(rules), &e);

	if (n <= 0) {
		if (n < 0)
			log_err("network: remove published ports of %s: %s", ip, e.msg);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->ports = strdup(ports);
	if (!p || !p->ports || ipt_restore_start(&p->job, rules, &e) < 0) {
		/* cannot run it in the background: here and now */
		if (!p || !p->ports || ipt_restore(rules, &e) < 0)
			remove_one_by_one(ports, ip);
		if (p)
			free(p->ports);
		free(p);
		return NULL;
	}
	snprintf(p->ip, sizeof(p->ip), "%s", ip);
	p->next = cs->ipt_pending;
	cs->ipt_pending = p;
	return p;
}

/* The ephemeral port range, as Docker reads it. */
static void ephemeral_range(uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	unsigned a, b;

	*lo = 32768;
	*hi = 60999;
	if (read_file("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf)) >= 0 &&
	    sscanf(buf, "%u %u", &a, &b) == 2 && a >= 1 && a <= b && b <= 65535) {
		*lo = a;
		*hi = b;
	}
}

/* Pick c's host ports (its own, a free one of a range, or an ephemeral
 * one) against those running containers hold, into c->st.ports. A port
 * taken is Docker's "port is already allocated". */
static int ports_pick(struct ctrs *cs, struct ctr *c, struct berr *e)
{
	struct port_map *taken = NULL, want[PORTS_MAX], one[PORTS_MAX];
	int nt = 0, cap = 0, nw = 0, r = 0;
	uint16_t lo = 0, hi = 0;
	size_t off = 0;

	c->st.ports[0] = '\0';
	for (char **p = c->cfg.ports; p && *p; p++) {
		struct port_map m;
		int k;

		if (port_parse(*p, &m, e) < 0 || port_expand(&m, one, PORTS_MAX - nw, &k, e) < 0)
			return -e->code;
		memcpy(want + nw, one, k * sizeof(*one));
		nw += k;
	}
	if (nw == 0)
		return 0;
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o->st.status == CTR_RUNNING && o->st.ports[0]) {
			cap++;
			for (const char *q = o->st.ports; *q; q++)
				cap += *q == ',';
		}
	}
	taken = malloc((cap + nw) * sizeof(*taken));
	if (!taken)
		return berr_set(e, ENOMEM, "published ports");
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o->st.status == CTR_RUNNING && o->st.ports[0])
			nt += port_list_parse(o->st.ports, taken + nt, PORTS_MAX);
	}
	for (int i = 0; i < nw && r == 0; i++) {
		char spec[64];

		if (!want[i].host && !lo)
			ephemeral_range(&lo, &hi);
		r = port_pick(&want[i], taken, nt, lo, hi, &cs->last_port, e);
		if (r < 0)
			break;
		taken[nt++] = want[i]; /* its own ports count too */
		port_spec(&want[i], spec, sizeof(spec));
		off += snprintf(c->st.ports + off, sizeof(c->st.ports) - off, "%s%s", off ? "," : "",
				spec);
	}
	free(taken);
	if (r < 0)
		c->st.ports[0] = '\0';
	return r;
}

/* The network namespace to join: none for a new empty one, the
 * supervisor's for host, a running container's for container:REF. */
static int network_path(struct ctrs *cs, struct ctr *c, char *buf, size_t size, struct berr *e)
{
	enum ctr_net mode;
	const char *ref;
	struct ctr *o;

	buf[0] = '\0';
	if (ctr_network_parse(c->cfg.network, &mode, &ref, e) < 0)
		return -e->code;
	if (mode == CTR_NET_HOST) {
		snprintf(buf, size, "/proc/self/ns/net");
	} else if (mode == CTR_NET_CONTAINER) {
		o = find(cs, ref, NULL);
		if (!o)
			return berr_msg(e, EINVAL, "No such container: %s", ref);
		if (o == c || o->st.status != CTR_RUNNING || o->st.pid <= 0)
			return berr_msg(e, EINVAL,
					"cannot join network of a non running container: %s", ref);
		snprintf(buf, size, "/proc/%d/ns/net", (int)o->st.pid);
	}
	return 0;
}

/* A bridge container's address and the veth set-up for sb_start(), its
 * published ports' rules started in job (start_one collects them); a
 * no-op (l->ip empty) in the other modes. */
static int network_acquire(struct ctrs *cs, struct ctr *c, struct br_lease *l,
			   struct ipt_job *job, struct berr *e)
{
	enum ctr_net mode;
	const char *ref;

	memset(l, 0, sizeof(*l));
	if (ctr_network_parse(c->cfg.network, &mode, &ref, e) < 0)
		return -e->code;
	if (mode != CTR_NET_BRIDGE)
		return 0;
	if (ports_pick(cs, c, e) < 0 || br_ensure(cs->bridge_cidr, e) < 0 ||
	    br_acquire(cs->root, cs->bridge_cidr, c->cfg.id, l, e) < 0) {
		c->st.ports[0] = '\0';
		return -e->code;
	}
	if (ports_add_start(cs, c, l->ip, job, e) < 0) {
		struct berr ignored;

		br_release(cs->root, cs->bridge_cidr, c->cfg.id, &ignored);
		l->ip[0] = '\0';
		c->st.ports[0] = '\0';
		return -e->code;
	}
	return 0;
}

static int start_one(struct ctrs *cs, struct ctr *c, struct berr *e)
{
	struct br_lease lease = { 0 };
	struct ipt_job job = { .pid = -1, .out = -1 };
	struct spec_buf sp;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, in[2] = { -1, -1 };
	bool rules_failed = false;
	pid_t pid;
	int r;

	if (c->st.status == CTR_RUNNING)
		return 0;
	build_spec(cs, c, &sp);
	r = network_path(cs, c, sp.netns, sizeof(sp.netns), e);
	if (r < 0)
		goto fail;
	sp.spec.netns_path = sp.netns[0] ? sp.netns : NULL;
	if (mkdir_p(sp.upper, 0755) < 0 || mkdir_p(sp.work, 0700) < 0 ||
	    mkdir_p(sp.rootfs, 0755) < 0)
		return berr_set(e, errno, "create %s", sp.dir);
	r = network_acquire(cs, c, &lease, &job, e);
	if (r < 0)
		goto fail;
	if (lease.ip[0]) {
		sp.spec.parent_setup = br_attach;
		sp.spec.parent_ctx = &lease;
	}
	write_etc_files(cs, c, sp.dir, lease.ip);
	r = open_stdio(c, out, err, in, &sp.spec, e);
	if (r < 0)
		goto fail;
	r = sb_start(&sp.spec, &pid, e);
	close_fds(&out[1], 1);
	close_fds(&err[1], 1);
	close_fds(&in[0], 1);
	if (r == 0 && ports_add_finish(&job, e) < 0) {
		/* it runs, its ports are not published: no start */
		rules_failed = true;
		kill(pid, SIGKILL);
		wait_pid(pid);
		sb_cleanup(&sp.spec);
		r = -e->code;
	}
	if (r < 0)
		goto fail;
	if (c->logfd < 0)
		log_open(cs, c);
	c->out = (struct logpipe){ .kind = EV_CTR_LOG, .fd = out[0], .c = c, .stream = "stdout" };
	c->err = (struct logpipe){ .kind = EV_CTR_LOG, .fd = err[0], .c = c, .stream = "stderr" };
	watch_pipe(cs, &c->out);
	if (c->err.fd >= 0)
		watch_pipe(cs, &c->err);
	if (in[1] >= 0) {
		c->io.stdin_w.fd = in[1];
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	}
	att_update(cs, c);
	c->st.status = CTR_RUNNING;
	c->st.pid = pid;
	c->st.exit_code = 0;
	c->st.oom_killed = false;
	c->st.started_ns = real_ns();
	c->st.finished_ns = 0;
	c->st.error[0] = '\0';
	memcpy(c->st.ip, lease.ip, sizeof(c->st.ip));
	memcpy(c->st.gateway, lease.gateway, sizeof(c->st.gateway));
	memcpy(c->st.mac, lease.mac, sizeof(c->st.mac));
	c->st.ip_prefix = lease.prefix;
	c->restart_at = 0;
	c->started_mono = now_ns();
	if (c->hc)
		hcr_begin(c->hc, &c->cfg.health, c->started_mono);
	save_state(cs, c);
	if (c->st.ip[0]) {
		hosts_open(cs, c);
		hosts_add(cs, c);
	}
	rearm(cs);
	if (cs->pid1 && !timeline_get("first-container"))
		timeline_mark("first-container"); /* boot to the first service's exec */
	log_info("container %.12s (%s): started, pid %d", c->cfg.id, c->cfg.name, (int)pid);
	return 0;
fail:
	close_fds(out, 2);
	close_fds(err, 2);
	close_fds(in, 2);
	if (lease.ip[0]) {
		struct berr ignored;

		if (!rules_failed && ports_add_finish(&job, &ignored) == 0)
			ports_remove(cs, c->st.ports, lease.ip);
		if (br_release(cs->root, cs->bridge_cidr, c->cfg.id, &ignored) < 0)
			log_err("container %.12s: %s", c->cfg.id, ignored.msg);
		c->st.ports[0] = '\0';
	}
	snprintf(c->st.error, sizeof(c->st.error), "%s", e->msg);
	c->st.exit_code = start_failure_status(e->code);
	save_state(cs, c);
	return r;
}

/* ---- exit, removal ---- */

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

#define REMOVING ".removing-"

/* Container trees are ours. The tree is renamed aside at once (its name is
 * free again, and every reader skips names that are not 64 hex digits),
 * then /bin/rm removes it in the background: neither the recursion nor a
 * big upper dir holds up PID 1's loop. The rm is reaped with the others;
 * load_existing() removes what a crash left aside. */
static void remove_tree(const char *path)
{
	static unsigned seq;
	char aside[700];
	char *argv[] = { "/bin/rm", "-rf", aside, NULL };
	pid_t pid;
	int r;

	if (strstr(path, REMOVING)) {
		snprintf(aside, sizeof(aside), "%s", path);
	} else {
		snprintf(aside, sizeof(aside), "%s" REMOVING "%d-%u", path, (int)getpid(), seq++);
		if (rename(path, aside) < 0) {
			if (errno == ENOENT)
				return;
			snprintf(aside, sizeof(aside), "%s", path); /* in place, then */
		}
	}
	r = spawn_cmd(argv, NULL, -1, false, &pid);
	if (r < 0)
		log_err("remove %s: start /bin/rm: %s", aside, strerror(-r));
}

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
	hosts_close(c);
	free(c->hc); /* its fds went with remove_ctr() */
	ctr_config_free(&c->cfg);
	free(c);
}

static struct ctr *ctr_new(void)
{
	struct ctr *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->logfd = -1;
	c->hostsfd = -1;
	c->out.fd = c->err.fd = -1;
	c->io.in = (struct att_end){ EV_CTR_ATTACH, ATT_IN, -1, c };
	c->io.out = (struct att_end){ EV_CTR_ATTACH, ATT_OUT, -1, c };
	c->io.stdin_w = (struct att_end){ EV_CTR_ATTACH, ATT_STDIN, -1, c };
	return c;
}

/* A bridge container's address goes back when it stops running. */
static struct ipt_pending *net_down(struct ctrs *cs, struct ctr *c)
{
	struct ipt_pending *p;
	struct berr e;

	if (!c->st.ip[0])
		return NULL;
	p = ports_remove(cs, c->st.ports, c->st.ip);
	if (br_release(cs->root, cs->bridge_cidr, c->cfg.id, &e) < 0)
		log_err("container %.12s: %s%s", c->cfg.id, e.msg, full_hint(cs, e.code));
	c->st.ip[0] = c->st.gateway[0] = c->st.mac[0] = c->st.ports[0] = '\0';
	c->st.ip_prefix = 0;
	hosts_close(c);
	hosts_remove(cs, c);
	return p;
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

static void remove_ctr(struct ctrs *cs, struct ctr *c)
{
	char dir[512], log[600], old[620];
	struct berr e;
	struct ctr **pp = &cs->list;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->hc)
		hcr_end(cs->epfd, c->hc);
	net_down(cs, c);
	/* A release that failed (a full disk) would leak the address. */
	if (br_release(cs->root, cs->bridge_cidr, c->cfg.id, &e) < 0)
		log_err("container %.12s: %s%s", c->cfg.id, e.msg, full_hint(cs, e.code));
	ctr_dir(cs->root, c->cfg.id, dir, sizeof(dir));
	ctr_log_path(cs->root, c->cfg.id, log, sizeof(log));
	unlink(log);
	for (int i = 1; i < LOG_FILES; i++) {
		snprintf(old, sizeof(old), "%s.%d", log, i);
		unlink(old);
	}
	remove_tree(dir);
	/* rm -v and --rm take the anonymous volumes along, as Docker's. */
	if (c->remove_volumes || c->cfg.auto_remove)
		remove_anon_volumes(cs, c);
	log_info("container %.12s (%s): removed", c->cfg.id, c->cfg.name);
	c->next = cs->dead;
	cs->dead = c;
}

void ctrs_reclaim(struct ctrs *cs)
{
	while (cs->dead) {
		struct ctr *c = cs->dead;

		cs->dead = c->next;
		ctr_free(c);
	}
}

/* ---- restart policies, health checks ---- */

/* The policy and, when configured, the health check of a container. */
static int ctr_setup_policy(struct ctr *c, struct berr *e)
{
	if (rp_parse(c->cfg.restart, &c->policy, e) < 0)
		return -e->code;
	if (hc_enabled(&c->cfg.health)) {
		c->hc = hcr_new(EV_CTR_HEALTH);
		if (!c->hc)
			return berr_set(e, ENOMEM, "health check");
		c->st.health = &c->hc->st;
	}
	return 0;
}

/* After an exit was recorded: restart per policy (status restarting, a
 * start on the timer after the backoff), or stay exited. */
static void restart_plan(struct ctrs *cs, struct ctr *c)
{
	uint64_t delay, now = now_ns();
	uint64_t ran_ms = c->started_mono ? (now - c->started_mono) / 1000000ull : 0;
	bool failed = c->st.exit_code != 0 || c->unhealthy_kill;

	c->unhealthy_kill = false;
	if (cs->shutting_down || c->remove_when_dead || c->cfg.auto_remove || c->start_when_dead ||
	    !rp_decide(&c->policy, &c->rtrack, failed, ran_ms, c->st.manual_stop, &delay))
		return;
	c->st.status = CTR_RESTARTING;
	c->st.restart_count++;
	c->restart_at = now + delay * 1000000ull;
	log_info("container %.12s (%s): restart %d in %llu ms (policy %s)", c->cfg.id, c->cfg.name,
		 c->st.restart_count, (unsigned long long)delay, rp_name(c->policy.kind));
}

static void restart_due(struct ctrs *cs, struct ctr *c)
{
	struct berr e;

	c->restart_at = 0;
	if (c->st.status != CTR_RESTARTING && c->st.status != CTR_EXITED)
		return;
	if (start_one(cs, c, &e) < 0) {
		/* As Docker: a restart that fails leaves it exited. */
		log_err("container %.12s (%s): restart failed: %s", c->cfg.id, c->cfg.name, e.msg);
		c->st.status = CTR_EXITED;
		c->st.finished_ns = real_ns();
		save_state(cs, c);
	}
}

static void health_timer(struct ctrs *cs, struct ctr *c, uint64_t now)
{
	char cg[256];

	ctr_cgroup_path(c->cfg.id, cg, sizeof(cg));
	hcr_timer(cs->epfd, c->hc, &c->cfg, c->st.pid, cs->cgroup_ok ? cg : NULL, now);
}

static int stop_one(struct ctrs *cs, struct ctr *c, int timeout, int sig);

/* A health probe ended: record it; an unhealthy container with a
 * restart policy is stopped (and so restarted by its policy). */
static bool health_reaped(struct ctrs *cs, pid_t pid, int status)
{
	for (struct ctr *c = cs->list; c; c = c->next) {
		bool changed;

		if (!c->hc || !hcr_reaped(cs->epfd, c->hc, pid, status, &c->cfg.health,
					  c->st.started_ns, now_ns(), &changed))
			continue;
		if (c->st.status != CTR_RUNNING)
			return true;
		if (changed)
			log_info("container %.12s (%s): health %s", c->cfg.id, c->cfg.name,
				 hc_status_name(c->hc->st.status));
		if (changed && c->hc->st.status == HC_UNHEALTHY && c->policy.kind != RP_NO) {
			log_warn("container %.12s (%s): unhealthy; stopping it for its restart policy",
				 c->cfg.id, c->cfg.name);
			c->unhealthy_kill = true;
			stop_one(cs, c, c->cfg.stop_timeout > 0 ? c->cfg.stop_timeout : 10, SIGTERM);
		}
		save_state(cs, c);
		rearm(cs);
		return true;
	}
	return false;
}

/* Answer the waiters (taken off their container, which may be gone). */
static void notify_waiters(struct ctrs *cs, struct waiter *list, int exit_code)
{
	while (list) {
		struct waiter *w = list;
		struct ctl_reply r = { 0 };

		list = w->next;
		if (w->text)
			reply_printf(&r, "%s", w->text);
		else
			reply_printf(&r, "%d\n", exit_code);
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

	if (pending_reaped(cs, pid, status) || health_reaped(cs, pid, status))
		return true;
	for (c = cs->list; c; c = c->next) {
		if (c->st.status == CTR_RUNNING && c->st.pid == pid)
			break;
	}
	if (!c)
		return false;
	pipe_read(cs, &c->out, true);
	pipe_read(cs, &c->err, true);
	pipe_close(cs, &c->out);
	pipe_close(cs, &c->err);
	/* What the CLI should still see is in "out" before the wait answer. */
	out_flush(cs, c);
	att_close(cs, c);
	ep_close(cs, &c->io.stdin_w.fd);
	c->st.status = CTR_EXITED;
	c->st.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	c->st.oom_killed = oom_killed(cs, c);
	c->st.finished_ns = real_ns();
	c->st.pid = 0;
	c->kill_at = 0;
	if (c->hc)
		hcr_end(cs->epfd, c->hc);
	build_spec(cs, c, &sp);
	sb_cleanup(&sp.spec);
	pend = net_down(cs, c);
	log_info("container %.12s (%s): exited %d%s", c->cfg.id, c->cfg.name, c->st.exit_code,
		 c->st.oom_killed ? " (OOM killed)" : "");
	restart_plan(cs, c);
	save_state(cs, c);
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
	rearm(cs);
	/* Remove before answering, so `rm -f` and `run --rm` return when it is gone. */
	if (c->remove_when_dead || c->cfg.auto_remove) {
		remove_ctr(cs, c);
	} else if (c->start_when_dead) {
		struct berr e;
		c->start_when_dead = false;
		if (start_one(cs, c, &e) < 0)
			log_err("container %.12s: restart: %s", c->cfg.id, e.msg);
	}
	notify_waiters(cs, waiters, exit_code);
	return true;
}

void ctrs_event(struct ctrs *cs, void *tag, unsigned events)
{
	struct logpipe *p = tag;

	if (tag == &cs->timer) {
		on_timer(cs);
		return;
	}
	if (*(int *)tag == EV_CTR_ATTACH) {
		att_event(cs, tag);
		return;
	}
	if (*(int *)tag == EV_CTR_HEALTH) {
		hcr_readable(cs->epfd, tag);
		return;
	}
	/* A tty's master is also where the CLI's input goes. */
	if ((events & EPOLLOUT) && p->fd >= 0)
		in_flush(cs, p->c);
	if (events & ~EPOLLOUT)
		pipe_read(cs, p, false);
}

/* ---- verbs ---- */

static int stop_one(struct ctrs *cs, struct ctr *c, int timeout, int sig)
{
	if (c->st.status != CTR_RUNNING || c->st.pid <= 0)
		return 0;
	if (kill(c->st.pid, sig) < 0)
		return -errno;
	if (sig != SIGKILL && timeout >= 0) {
		uint64_t at = now_ns() + (uint64_t)timeout * 1000000000ull;
		if (!c->kill_at || at < c->kill_at)
			c->kill_at = at;
		rearm(cs);
	}
	return 0;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < -1 || v > 100000)
		return -1;
	*out = (int)v;
	return 0;
}

static int signal_number(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "HUP", SIGHUP },	  { "INT", SIGINT },   { "QUIT", SIGQUIT },
		     { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		     { "TERM", SIGTERM }, { "STOP", SIGSTOP }, { "CONT", SIGCONT },
		     { "ALRM", SIGALRM }, { "WINCH", SIGWINCH } };
	int n;

	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (strcasecmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	}
	return parse_int(s, &n) == 0 && n > 0 && n < 65 ? n : -1;
}

/* The mode parses and a container: target exists (it must run at start). */
static bool network_valid(struct ctrs *cs, const struct ctr_config *k, struct ctl_reply *r)
{
	enum ctr_net mode;
	const char *ref;
	struct berr e;

	if (ctr_network_parse(k->network, &mode, &ref, &e) < 0) {
		reply_error(r, "%s", e.msg);
		return false;
	}
	return mode != CTR_NET_CONTAINER || find(cs, ref, r) != NULL;
}

static void verb_create(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct ctr *c;
	struct berr e;
	char dir[512];
	const char *id = req->argc == 2 ? req->argv[1] : "";

	if (strlen(id) != CTR_ID_LEN || strspn(id, "0123456789abcdef") != CTR_ID_LEN) {
		reply_error(r, "create: want one 64-hex container ID (the CLI prepares it)");
		*status = 1;
		return;
	}
	c = ctr_new();
	if (!c) {
		reply_error(r, "create: out of memory");
		*status = 1;
		return;
	}
	ctr_dir(cs->root, id, dir, sizeof(dir));
	if (ctr_config_load(cs->root, id, &c->cfg, &e) < 0) {
		reply_error(r, "create: %s", e.msg);
		*status = 1;
		free(c);
		return;
	}
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (strcmp(o->cfg.name, c->cfg.name) == 0 || strcmp(o->cfg.id, id) == 0) {
			reply_error(r,
				    "Conflict. The container name \"/%s\" is already in use by "
				    "container \"%s\". You have to remove (or rename) that "
				    "container to be able to reuse that name.",
				    c->cfg.name, o->cfg.id);
			*status = 125;
			ctr_config_free(&c->cfg);
			free(c);
			remove_tree(dir);
			return;
		}
	}
	if (!ctr_name_valid(c->cfg.name)) {
		reply_error(r, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
			       "allowed", c->cfg.name);
		*status = 125;
		ctr_config_free(&c->cfg);
		free(c);
		remove_tree(dir);
		return;
	}
	e.code = 0;
	if (!network_valid(cs, &c->cfg, r) || ctr_setup_policy(c, &e) < 0) {
		if (e.code && !r->len)
			reply_error(r, "%s", e.msg);
		*status = 125;
		ctr_config_free(&c->cfg);
		free(c->hc);
		free(c);
		remove_tree(dir);
		return;
	}
	c->st.status = CTR_CREATED;
	save_state(cs, c);
	/* The log exists from now on, so an attached CLI can open it before
	 * the start (a --rm container may be gone by the time it looks). */
	log_open(cs, c);
	c->next = cs->list;
	cs->list = c;
	reply_printf(r, "%s\n", id);
}

static void verb_start(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		       int *status)
{
	if (req->argc < 2) {
		reply_error(r, "\"start\" requires at least 1 argument");
		*status = 1;
		return;
	}
	for (int i = 1; i < req->argc; i++) {
		struct ctr *c = find(cs, req->argv[i], r);
		struct berr e;

		if (!c) {
			*status = 1;
			continue;
		}
		if (c->st.status != CTR_RUNNING) {
			/* A start by the user: as Docker, the count starts again. */
			c->st.manual_stop = false;
			c->st.restart_count = 0;
			c->rtrack = (struct rp_track){ 0 };
		}
		if (start_one(cs, c, &e) < 0) {
			reply_error(r, "failed to start container %s: %s", req->argv[i], e.msg);
			*status = start_failure_status(e.code);
			continue;
		}
		reply_printf(r, "%s\n", req->argv[i]);
	}
}

static void verb_stop_kill(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			   int *status)
{
	bool is_kill = strcmp(req->argv[0], "kill") == 0;
	bool restart = strcmp(req->argv[0], "restart") == 0;
	int timeout = -2, sig = is_kill ? SIGKILL : SIGTERM, i = 1;

	for (; i < req->argc && req->argv[i][0] == '-'; i++) {
		const char *a = req->argv[i];
		if (!is_kill && (strcmp(a, "-t") == 0 || strcmp(a, "--time") == 0) &&
		    i + 1 < req->argc && parse_int(req->argv[i + 1], &timeout) == 0) {
			i++;
		} else if (is_kill && (strcmp(a, "-s") == 0 || strcmp(a, "--signal") == 0) &&
			   i + 1 < req->argc && (sig = signal_number(req->argv[i + 1])) > 0) {
			i++;
		} else {
			reply_error(r, "%s: bad option or value: %s", req->argv[0], a);
			*status = 1;
			return;
		}
	}
	if (i >= req->argc) {
		reply_error(r, "\"%s\" requires at least 1 argument", req->argv[0]);
		*status = 1;
		return;
	}
	for (; i < req->argc; i++) {
		struct ctr *c = find(cs, req->argv[i], r);
		int t, rc;

		if (!c) {
			*status = 1;
			continue;
		}
		t = timeout >= -1 ? timeout : (c->cfg.stop_timeout > 0 ? c->cfg.stop_timeout : 10);
		if (is_kill && c->st.status != CTR_RUNNING && c->st.status != CTR_RESTARTING) {
			reply_error(r, "Cannot kill container: %s: container %s is not running",
				    req->argv[i], c->cfg.id);
			*status = 1;
			continue;
		}
		/* Stopped by the user: no restart (restart: a fresh count). */
		if (restart) {
			c->st.manual_stop = false;
			c->st.restart_count = 0;
			c->rtrack = (struct rp_track){ 0 };
		} else if (c->st.status == CTR_RUNNING || c->st.status == CTR_RESTARTING) {
			c->st.manual_stop = true;
		}
		if (c->st.status == CTR_RESTARTING) {
			c->restart_at = 0;
			c->st.status = CTR_EXITED;
			save_state(cs, c);
			rearm(cs);
		}
		if (restart && c->st.status == CTR_RUNNING)
			c->start_when_dead = true;
		rc = stop_one(cs, c, t, sig);
		if (rc < 0) {
			reply_error(r, "%s %s: %s", req->argv[0], req->argv[i], strerror(-rc));
			*status = 1;
			continue;
		}
		if (restart && c->st.status != CTR_RUNNING) {
			struct berr e;
			if (start_one(cs, c, &e) < 0) {
				reply_error(r, "restart %s: %s", req->argv[i], e.msg);
				*status = 1;
				continue;
			}
		}
		reply_printf(r, "%s\n", req->argv[i]);
	}
}

static int add_waiter(struct ctr *c, const char *path, const char *text)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w || !(w->path = strdup(path)) || (text && !(w->text = strdup(text)))) {
		if (w)
			free(w->path);
		free(w);
		return -ENOMEM;
	}
	w->next = c->waiters;
	c->waiters = w;
	return 0;
}

static void verb_rm(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		    int *status, bool *deferred)
{
	bool force = false, volumes = false;
	int i = 1;

	for (; i < req->argc && req->argv[i][0] == '-'; i++) {
		if (strcmp(req->argv[i], "-f") == 0 || strcmp(req->argv[i], "--force") == 0)
			force = true;
		else if (strcmp(req->argv[i], "-v") == 0 || strcmp(req->argv[i], "--volumes") == 0)
			volumes = true;
		else if (strcmp(req->argv[i], "-fv") == 0 || strcmp(req->argv[i], "-vf") == 0)
			force = volumes = true;
		else {
			reply_error(r, "rm: unknown flag: %s", req->argv[i]);
			*status = 1;
			return;
		}
	}
	if (i >= req->argc) {
		reply_error(r, "\"rm\" requires at least 1 argument");
		*status = 1;
		return;
	}
	for (; i < req->argc; i++) {
		struct ctr *c = find(cs, req->argv[i], r);

		if (!c) {
			*status = 1;
			continue;
		}
		if (c->st.status == CTR_RESTARTING && !force) {
			reply_error(r,
				    "You cannot remove a restarting container %s. Stop the container "
				    "before attempting removal or force remove",
				    c->cfg.id);
			*status = 1;
			continue;
		}
		/* (a refused rm leaves it as it was) */
		if (c->st.status != CTR_RUNNING || force)
			c->remove_volumes |= volumes;
		if (c->st.status == CTR_RUNNING) {
			if (!force) {
				reply_error(r,
					    "You cannot remove a running container %s. Stop the "
					    "container before attempting removal or force remove",
					    c->cfg.id);
				*status = 1;
				continue;
			}
			c->remove_when_dead = true; /* removed once reaped */
			kill(c->st.pid, SIGKILL);
			/* One container: answer once it is gone, as Docker does. */
			if (i == req->argc - 1 && r->len == 0 && req->reply) {
				char text[300];
				snprintf(text, sizeof(text), "%s\n", req->argv[i]);
				if (add_waiter(c, req->reply, text) == 0) {
					*deferred = true;
					return;
				}
			}
		} else {
			remove_ctr(cs, c);
		}
		reply_printf(r, "%s\n", req->argv[i]);
	}
}

static void verb_wait(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		      int *status, bool *deferred)
{
	struct ctr *c;

	if (req->argc != 2) {
		reply_error(r, "\"wait\" requires exactly 1 argument");
		*status = 1;
		return;
	}
	c = find(cs, req->argv[1], r);
	if (!c) {
		*status = 1;
		return;
	}
	/* Like Docker, a created container is waited for until it has run. */
	if ((c->st.status != CTR_RUNNING && c->st.status != CTR_CREATED) || !req->reply) {
		reply_printf(r, "%d\n", c->st.exit_code);
		return;
	}
	if (add_waiter(c, req->reply, NULL) < 0) {
		reply_error(r, "wait: out of memory");
		*status = 1;
		return;
	}
	*deferred = true;
}

/* Rows for the CLI to format: quoted words, one container a line. */
static void verb_ps(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status)
{
	int64_t now = real_ns();

	(void)req;
	(void)status;
	for (struct ctr *c = cs->list; c; c = c->next) {
		char line[8192], cmd[1024], st[128], num[64];
		size_t len = 0, clen = 0;
		char *words[10];

		cmd[0] = '\0';
		for (char **a = c->cfg.argv; a && *a; a++) {
			clen += snprintf(cmd + clen, sizeof(cmd) - clen, "%s%s", a == c->cfg.argv ? "" : " ", *a);
			if (clen >= sizeof(cmd))
				break;
		}
		ctr_status_text(&c->st, now, st, sizeof(st));
		snprintf(num, sizeof(num), "%lld", (long long)c->cfg.created_ns);
		words[0] = c->cfg.id;
		words[1] = c->cfg.name;
		words[2] = c->cfg.image ? c->cfg.image : "";
		words[3] = cmd;
		words[4] = num;
		words[5] = st;
		words[6] = (char *)ctr_status_name(c->st.status);
		/* published ports (canonical specs), shown while it runs */
		words[7] = c->st.status == CTR_RUNNING ? c->st.ports : "";
		line[0] = '\0';
		for (int i = 0; i < 8; i++) {
			if (i)
				line[len++] = ' ';
			if (proto_quote(line, sizeof(line) - 2, &len, words[i]) < 0)
				break;
		}
		line[len++] = '\n';
		reply_write(r, line, len);
	}
}

static int make_fifo(const char *path)
{
	unlink(path);
	if (mkfifo(path, 0600) < 0 || chmod(path, 0600) < 0)
		return -errno;
	return 0;
}

/* attach ID: the session FIFOs of a created or running container with a
 * tty or stdin; the reply is their directory. "out" exists only with -t
 * (without it, the output is read from the log). */
static void verb_attach(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct ctr *c = req->argc == 2 ? find(cs, req->argv[1], r) : NULL;
	char dir[700], in[720], out[720];
	int rc = 0;

	*status = 1;
	if (req->argc != 2)
		reply_error(r, "\"attach\" requires exactly 1 argument");
	if (!c)
		return;
	if (!c->cfg.tty && !c->cfg.interactive) {
		reply_error(r, "container %s has no tty and no stdin to attach to", c->cfg.id);
		return;
	}
	if (c->st.status != CTR_CREATED && c->st.status != CTR_RUNNING) {
		reply_error(r, "You cannot attach to a stopped container, start it first");
		return;
	}
	if (c->io.attached) {
		reply_error(r, "container %s is already attached", c->cfg.id);
		return;
	}
	att_path(cs, c, "", dir, sizeof(dir));
	att_path(cs, c, "in", in, sizeof(in));
	att_path(cs, c, "out", out, sizeof(out));
	if (mkdir_p(dir, 0700) < 0 || chmod(dir, 0700) < 0)
		rc = -errno;
	if (rc == 0)
		rc = make_fifo(in);
	if (rc == 0 && c->cfg.tty)
		rc = make_fifo(out);
	if (rc == 0) {
		c->io.in.fd = open(in, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		rc = c->io.in.fd < 0 ? -errno : 0;
	}
	c->io.attached = true; /* att_close() undoes it all, also on failure */
	if (rc < 0) {
		att_close(cs, c);
		reply_error(r, "attach %s: %s", c->cfg.id, strerror(-rc));
		return;
	}
	att_update(cs, c);
	reply_printf(r, "%s\n", dir);
	*status = 0;
}

/* resize ID ROWS COLS: the tty's window size (now, or at its start). */
static void verb_resize(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct ctr *c = req->argc == 4 ? find(cs, req->argv[1], r) : NULL;
	int rows, cols;

	*status = 1;
	if (req->argc != 4)
		reply_error(r, "usage: resize ID ROWS COLS");
	if (!c)
		return;
	if (parse_int(req->argv[2], &rows) < 0 || parse_int(req->argv[3], &cols) < 0 ||
	    rows < 1 || cols < 1 || rows > 65535 || cols > 65535) {
		reply_error(r, "resize: bad size %s %s", req->argv[2], req->argv[3]);
		return;
	}
	if (!c->cfg.tty) {
		reply_error(r, "container %s has no tty", c->cfg.id);
		return;
	}
	c->io.rows = rows;
	c->io.cols = cols;
	if (c->out.fd >= 0) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		ioctl(c->out.fd, TIOCSWINSZ, &ws);
	}
	*status = 0;
}

bool ctrs_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status,
		  bool *deferred)
{
	const char *v = req->argv[0];

	if (strcmp(v, "create") == 0)
		verb_create(cs, req, r, status);
	else if (strcmp(v, "start") == 0)
		verb_start(cs, req, r, status);
	else if (strcmp(v, "stop") == 0 || strcmp(v, "kill") == 0 || strcmp(v, "restart") == 0)
		verb_stop_kill(cs, req, r, status);
	else if (strcmp(v, "rm") == 0)
		verb_rm(cs, req, r, status, deferred);
	else if (strcmp(v, "wait") == 0)
		verb_wait(cs, req, r, status, deferred);
	else if (strcmp(v, "ps-rows") == 0)
		verb_ps(cs, req, r, status);
	else if (strcmp(v, "attach") == 0)
		verb_attach(cs, req, r, status);
	else if (strcmp(v, "resize") == 0)
		verb_resize(cs, req, r, status);
	else
		return false;
	return true;
}

/* ---- startup, shutdown ---- */

/* Is pid still the process started at started_ns (CLOCK_REALTIME)? Its
 * start time in /proc/PID/stat, in ticks since boot, says so within a
 * second or two, so a reused pid is not mistaken for it. */
static bool same_process(pid_t pid, int64_t started_ns)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	struct timespec boot;
	int64_t start;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_file(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return false;
	/* after "pid (comm)": state is field 3, starttime field 22 */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%*d %*d %llu", &ticks) != 1)
		return false;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	start = real_ns() - ((int64_t)boot.tv_sec * 1000000000ll + boot.tv_nsec) +
		(int64_t)(ticks * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK)));
	return llabs(start - started_ns) < 2000000000ll;
}

/* A container process an earlier supervisor left running (it crashed):
 * nobody reads its output or reaps it now, and it still holds its
 * address on the bridge. End it and wait (a second at most) until it is
 * gone, so its address is free before anyone gets it again. */
static void end_orphan(struct ctr *c)
{
	if (!same_process(c->st.pid, c->st.started_ns))
		return;
	log_warn("container %.12s: pid %d outlived the earlier supervisor; killed", c->cfg.id,
		 (int)c->st.pid);
	kill(c->st.pid, SIGKILL);
	for (int i = 0; i < 100 && same_process(c->st.pid, c->st.started_ns); i++) {
		char path[64], st[512], *p;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->st.pid);
		if (read_file(path, st, sizeof(st)) >= 0 && (p = strrchr(st, ')')) && p[2] == 'Z')
			break; /* dead, its parent has not reaped it yet */
		usleep(10000);
	}
}

static bool ipam_keep(const char *id, void *ctx)
{
	struct ctrs *cs = ctx;

	for (struct ctr *c = cs->list; c; c = c->next) {
		if (strcmp(c->cfg.id, id) == 0)
			return c->st.status == CTR_RUNNING;
	}
	return false;
}

/* A container that was running under an earlier supervisor. PID 1 starts
 * once per boot, so for it the container is from an earlier boot: its
 * process, veth, rules and cgroup died with that boot (and ctrs_open()
 * dropped that boot's addresses). A daemon restarted on the same host
 * undoes its rules and gives its address back. */
static void mark_stale(struct ctrs *cs, struct ctr *c)
{
	end_orphan(c);
	c->st.status = CTR_EXITED;
	c->st.exit_code = 255;
	c->st.pid = 0;
	if (!c->st.finished_ns)
		c->st.finished_ns = real_ns();
	snprintf(c->st.error, sizeof(c->st.error), "%s",
		 cs->pid1 ? "the system rebooted while it ran" : "supervisor restarted");
	if (!cs->pid1)
		net_down(cs, c);
	c->st.ip[0] = c->st.gateway[0] = c->st.mac[0] = c->st.ports[0] = '\0';
	c->st.ip_prefix = 0;
	save_state(cs, c);
}

static void load_existing(struct ctrs *cs)
{
	char dir[600];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/run/berth/containers", cs->root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct ctr *c;
		struct berr e;
		bool stale;

		if (strstr(de->d_name, REMOVING)) {
			char aside[900];
			snprintf(aside, sizeof(aside), "%s/%s", dir, de->d_name);
			remove_tree(aside);
			continue;
		}
		if (strlen(de->d_name) != CTR_ID_LEN)
			continue;
		c = ctr_new();
		if (!c)
			break;
		if (ctr_config_load(cs->root, de->d_name, &c->cfg, &e) < 0 ||
		    ctr_state_load(cs->root, de->d_name, &c->st, &e) < 0) {
			log_warn("container %.12s: %s; skipped", de->d_name, e.msg);
			ctr_config_free(&c->cfg);
			free(c);
			continue;
		}
		stale = c->st.status == CTR_RUNNING || c->st.status == CTR_RESTARTING;
		if (stale)
			mark_stale(cs, c);
		c->next = cs->list;
		cs->list = c;
		/* a --rm container whose end nobody saw goes now, as in Docker */
		if (stale && c->cfg.auto_remove) {
			remove_ctr(cs, c);
			continue;
		}
		if (ctr_setup_policy(c, &e) < 0)
			log_warn("container %.12s: %s; no restart policy", de->d_name, e.msg);
		/* always, and unless-stopped unless the user stopped it:
		 * started again from the loop, with a fresh count (Docker). */
		if (c->st.status == CTR_EXITED && rp_start_at_boot(&c->policy, c->st.manual_stop)) {
			c->st.manual_stop = false;
			c->st.restart_count = 0;
			c->restart_at = now_ns();
			log_info("container %.12s (%s): restart policy %s: starting it again",
				 c->cfg.id, c->cfg.name, rp_name(c->policy.kind));
		}
	}
	closedir(d);
}

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

void ctrs_set_bridge(struct ctrs *cs, const char *cidr)
{
	struct berr e;

	snprintf(cs->bridge_cidr, sizeof(cs->bridge_cidr), "%s", cidr);
	/* Addresses of containers that are gone or no longer run (a crash
	 * between taking an address and recording it; containers an earlier
	 * supervisor ran) go back. */
	if (br_prune(cs->root, cs->bridge_cidr, ipam_keep, cs, &e) < 0)
		log_err("network: %s", e.msg);
}

struct ctrs *ctrs_open(const char *root, bool pid1, int epfd, struct ctl_server *ctl)
{
	struct ctrs *cs = calloc(1, sizeof(*cs));
	struct epoll_event ev;
	char path[600];

	if (!cs)
		return NULL;
	snprintf(cs->root, sizeof(cs->root), "%s", root);
	snprintf(cs->bridge_cidr, sizeof(cs->bridge_cidr), "%s", BR_DEFAULT_CIDR);
	cs->pid1 = pid1;
	cs->epfd = epfd;
	cs->ctl = ctl;
	cs->timer.kind = EV_CTR_TIMER;
	cs->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = &cs->timer;
	epoll_ctl(epfd, EPOLL_CTL_ADD, cs->timer.fd, &ev);
	snprintf(path, sizeof(path), "%s/run/berth/containers", root);
	mkdir_p(path, 0700);
	snprintf(path, sizeof(path), "%s/run/berth/logs", root);
	mkdir_p(path, 0700);
	cs->cgroup_ok = prepare_cgroups(cs);
	/* PID 1 starts once per boot: with /data, the IPAM table (bridge.c's
	 * state file) holds the last boot's addresses, none of them in use. */
	snprintf(path, sizeof(path), "%s/run/berth/network/ipam", root);
	if (pid1 && unlink(path) == 0)
		log_info("network: addresses of the previous boot released");
	load_existing(cs);
	rearm(cs);
	return cs;
}

void ctrs_shutdown(struct ctrs *cs, int max_ms)
{
	uint64_t end = now_ns() + (uint64_t)max_ms * 1000000ull;
	bool any = false;

	cs->shutting_down = true;
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->hc)
			hcr_end(cs->epfd, c->hc);
		if (c->st.status == CTR_RESTARTING) {
			c->restart_at = 0;
			c->st.status = CTR_EXITED;
			save_state(cs, c);
		}
	}
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->st.status == CTR_RUNNING && c->st.pid > 0) {
			kill(c->st.pid, SIGTERM);
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
		for (struct ctr *c = cs->list; c; c = c->next)
			any |= c->st.status == CTR_RUNNING;
		if (any)
			usleep(20000);
	}
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->st.status == CTR_RUNNING && c->st.pid > 0) {
			log_warn("container %.12s: still running at shutdown, SIGKILL", c->cfg.id);
			kill(c->st.pid, SIGKILL);
			if (waitpid(c->st.pid, &(int){ 0 }, 0) == c->st.pid) {
				c->st.status = CTR_EXITED;
				c->st.exit_code = 137;
				c->st.finished_ns = real_ns();
				net_down(cs, c);
				save_state(cs, c);
			}
		}
	}
	/* The logs live on /data when there is one: close them so it can go. */
	for (struct ctr *c = cs->list; c; c = c->next) {
		if (c->logfd >= 0)
			close(c->logfd);
		c->logfd = -1;
	}
}
