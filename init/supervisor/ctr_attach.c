/* ctr_attach.c - attach sessions (run -i, run -t, attach): the session
 * FIFOs, the relay between them and the pty master or stdin pipe with
 * bounded buffers, and reading a container's output pipes, which also
 * feed an attached CLI. */
#include "ctrs_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handover.h"
#include "runtime/lib/file.h"

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

void ctrs_ep_close(struct ctrs *cs, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(cs->epfd, EPOLL_CTL_DEL, *fd, NULL);
	hov_drop(*fd);
	close(*fd);
	*fd = -1;
}

/* The master is not read while the CLI lags a whole chunk behind: the
 * container waits, as it would on a slow terminal. */
static bool out_paused(struct ctr *c)
{
	return c->io.out.fd >= 0 && c->io.olen > sizeof(c->io.obuf) - sizeof(c->out.buf);
}

void ctrs_att_update(struct ctrs *cs, struct ctr *c)
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
void ctrs_att_close(struct ctrs *cs, struct ctr *c)
{
	struct ctr_io *io = &c->io;
	char path[700];

	if (!io->attached)
		return;
	ctrs_ep_close(cs, &io->in.fd);
	ctrs_ep_close(cs, &io->out.fd);
	if (!c->cfg.tty)
		ctrs_ep_close(cs, &io->stdin_w.fd);
	io->ilen = io->olen = 0;
	io->attached = io->in_eof = false;
	att_path(cs, c, "in", path, sizeof(path));
	unlink(path);
	att_path(cs, c, "out", path, sizeof(path));
	unlink(path);
	att_path(cs, c, "", path, sizeof(path));
	rmdir(path);
	ctrs_att_update(cs, c);
}

/* Input from the CLI to the master or the stdin pipe, as far as it goes. */
void ctrs_in_flush(struct ctrs *cs, struct ctr *c)
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
				ctrs_ep_close(cs, &io->stdin_w.fd);
			break;
		}
		io->ioff += n;
		io->ilen -= n;
	}
	if (!io->ilen && io->in_eof && !c->cfg.tty)
		ctrs_ep_close(cs, &io->stdin_w.fd);
	ctrs_att_update(cs, c);
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
			ctrs_att_close(cs, c);
			return;
		}
		ctrs_ep_close(cs, &io->in.fd);
		io->in_eof = true;
	} else {
		io->ioff = 0;
		io->ilen = n;
	}
	ctrs_in_flush(cs, c);
}

void ctrs_out_flush(struct ctrs *cs, struct ctr *c)
{
	struct ctr_io *io = &c->io;

	while (io->olen && io->out.fd >= 0) {
		ssize_t n = write(io->out.fd, io->obuf, io->olen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			ctrs_att_close(cs, c); /* the reader is gone */
			return;
		}
		memmove(io->obuf, io->obuf + n, io->olen - n);
		io->olen -= n;
	}
	ctrs_att_update(cs, c);
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
	ctrs_out_flush(cs, c);
}

void ctrs_att_event(struct ctrs *cs, struct att_end *a)
{
	if (a->role == ATT_IN)
		in_readable(cs, a->c);
	else if (a->role == ATT_OUT)
		ctrs_out_flush(cs, a->c);
	else
		ctrs_in_flush(cs, a->c);
}

/* Read what is there; never block on a container. final: it is dead,
 * take all that is left even when the CLI lags. */
void ctrs_pipe_read(struct ctrs *cs, struct logpipe *p, bool final)
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
			ctrs_pipe_close(cs, p);
			return;
		}
		if (tty)
			att_output(cs, p->c, p->buf + p->len, n);
		p->len += n;
		ctrs_pipe_flush(cs, p, false);
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
void ctrs_verb_attach(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status)
{
	struct ctr *c = req->argc == 2 ? ctrs_find(cs, req->argv[1], r) : NULL;
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
	/* exited: `start -a` attaches before it starts it again */
	if (c->st.status != CTR_CREATED && c->st.status != CTR_RUNNING &&
	    c->st.status != CTR_EXITED) {
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
	c->io.attached = true; /* ctrs_att_close() undoes it all, also on failure */
	if (rc < 0) {
		ctrs_att_close(cs, c);
		reply_error(r, "attach %s: %s", c->cfg.id, strerror(-rc));
		return;
	}
	ctrs_att_update(cs, c);
	reply_printf(r, "%s\n", dir);
	*status = 0;
}
