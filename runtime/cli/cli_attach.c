/* cli_attach.c - a CLI joined to a container's stdio (cli_attach.h):
 * the log's new lines and our stdin through the session FIFOs, or our
 * terminal relayed to the container's pty; `berth attach` and an attached
 * `berth run` both use it. */
#include "cli_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_ctr.h"
#include "flags.h"
#include "runtime/container/container.h"
#include "runtime/lib/tty.h"
#include "runtime/lib/util.h"

/* Print new complete log lines from fd: "<time> <stream> <text>". */
static void pump_log(int fd, char *buf, size_t *len, size_t cap)
{
	for (;;) {
		ssize_t n = read(fd, buf + *len, cap - *len - 1);
		char *start = buf, *nl;

		if (n <= 0)
			return;
		*len += n;
		buf[*len] = '\0';
		while ((nl = strchr(start, '\n'))) {
			char *sp1 = strchr(start, ' ');
			char *sp2 = sp1 && sp1 < nl ? strchr(sp1 + 1, ' ') : NULL;
			if (sp2 && sp2 < nl) {
				FILE *to = strncmp(sp1 + 1, "stderr", 6) == 0 ? stderr : stdout;
				fwrite(sp2 + 1, 1, nl - sp2, to);
				fflush(to);
			}
			start = nl + 1;
		}
		*len -= start - buf;
		memmove(buf, start, *len);
		if (*len >= cap - 1)
			*len = 0; /* a line longer than the pipe buffer: drop */
	}
}

/* -i: our stdin to the session's "in" FIFO, closed at our EOF (the
 * container's stdin then ends). in_fd is non-blocking; false once done. */
static bool feed_stdin(int in_fd, struct pollfd *p, char *buf, size_t *len, size_t *off)
{
	ssize_t n;

	if (p[0].revents) {
		n = read(0, buf, 4096);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			return false;
		*len = n > 0 ? n : 0;
		*off = 0;
	}
	if (*len) {
		n = write(in_fd, buf + *off, *len);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0) {
			*off += n;
			*len -= n;
		}
	}
	return true;
}

/* Attached run: stream the log (opened before the start) while waiting
 * for the exit; with -i (in_fd >= 0) also feed our stdin to the container. */
int cli_attach_wait(int fd, const char *id, struct client_reply *wait, int in_fd)
{
	char buf[16384], ibuf[4096];
	size_t len = 0, ilen = 0, ioff = 0;
	int status = -1;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = in_fd >= 0 && !ilen ? 0 : -1, .events = POLLIN },
			{ .fd = ilen ? in_fd : -1, .events = POLLOUT },
			{ .fd = wait->fd, .events = POLLIN },
		};
		int r = poll(p, 3, 50);

		if (fd >= 0)
			pump_log(fd, buf, &len, sizeof(buf));
		if (r > 0 && in_fd >= 0 && !feed_stdin(in_fd, p, ibuf, &ilen, &ioff)) {
			close(in_fd);
			in_fd = -1;
		}
		if (r > 0 && p[2].revents && client_reply_done(wait))
			break;
	}
	if (in_fd >= 0)
		close(in_fd);
	status = client_collect(wait, -1);
	if (fd >= 0)
		pump_log(fd, buf, &len, sizeof(buf));
	if (status != 0) {
		fprintf(stderr, "berth: wait for %.12s failed\n", id);
		return 125;
	}
	return wait->out ? atoi(wait->out) : 125;
}

/* The session FIFOs PID 1 made for us: "in" (with -i) and "out" (-t). */
int cli_attach_open(const char *root, const char *id, bool in, bool out, int *in_fd,
		    int *out_fd)
{
	char *args[] = { "attach", (char *)id, NULL }, path[600];
	_cleanup_free_ char *dir = NULL;

	if (client_ask(root, 2, args, 15000, &dir) != 0 || !dir)
		return -1;
	/* "out" first: PID 1 writes to it only once a reader is there. */
	snprintf(path, sizeof(path), "%s/out", dir);
	if (out && (*out_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fprintf(stderr, "berth: attach: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/in", dir);
	if (in && (*in_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fprintf(stderr, "berth: attach: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int joined_start(const char *root, const char *id, const struct cli_joined *j)
{
	char *sargs[] = { "start", (char *)id, NULL };
	int rc = client_ask(root, 2, sargs, 15000, NULL);

	if (j->failed)
		*j->failed = rc != 0;
	return rc == 0 ? 0 : j->start_code ? rc : j->fail_rc;
}

int cli_attach_start(const char *root, const char *id, int logfd, const struct cli_joined *j)
{
	char *wargs[] = { "wait", (char *)id, NULL };
	_cleanup_fd_ int log = logfd, in_fd = -1, out_fd = -1;
	struct client_reply wait;
	int rc;

	if ((j->tty || j->in) && cli_attach_open(root, id, j->in, j->tty, &in_fd, &out_fd) < 0) {
		if (j->failed)
			*j->failed = true;
		return j->fail_rc;
	}
	if (j->tty)
		cli_attach_send_size(root, id);
	if (j->restart && (rc = joined_start(root, id, j)) != 0)
		return rc;
	if (client_send(root, 2, wargs, &wait) < 0)
		return j->fail_rc;
	rc = j->restart ? 0 : joined_start(root, id, j);
	if (rc == 0 && j->tty)
		rc = cli_attach_tty(root, id, &wait, steal_fd(&in_fd), steal_fd(&out_fd));
	else if (rc == 0)
		rc = cli_attach_wait(log, id, &wait, steal_fd(&in_fd));
	client_reply_free(&wait);
	return rc;
}

struct sess {
	const char *root, *id;
};

static void resize_cb(void *ctx, unsigned short rows, unsigned short cols)
{
	struct sess *s = ctx;
	char r[16], c[16], *args[] = { "resize", (char *)s->id, r, c, NULL };

	snprintf(r, sizeof(r), "%u", rows);
	snprintf(c, sizeof(c), "%u", cols);
	/* a size that does not arrive leaves the old one; client_ask said why */
	berr_ignore(client_ask(s->root, 4, args, 15000, NULL));
}

void cli_attach_send_size(const char *root, const char *id)
{
	unsigned short rows, cols;

	if (tty_winsize(&rows, &cols))
		resize_cb(&(struct sess){ root, id }, rows, cols);
}

static bool wait_ended(void *wait)
{
	return client_reply_done(wait);
}

/* -t: our terminal raw, bytes both ways through the session FIFOs until
 * the container's exit answers the wait; its exit code is ours. */
int cli_attach_tty(const char *root, const char *id, struct client_reply *wait, int in_fd,
		   int out_fd)
{
	struct sess s = { root, id };
	struct tty_relay r = {
		.in_dst = in_fd, .out_src = out_fd, .end_fd = wait->fd, .resize = resize_cb, .ctx = &s,
		.ended = wait_ended, .end_ctx = wait,
	};
	int status, rr;

	if (in_fd >= 0)
		tty_raw_begin();
	rr = tty_relay_run(&r);
	tty_raw_end();
	if (rr < 0)
		fprintf(stderr, "berth: attach %.12s: %s\n", id, strerror(-rr));
	if (in_fd >= 0)
		close(in_fd);
	close(out_fd);
	status = client_collect(wait, -1);
	if (status != 0) {
		fprintf(stderr, "berth: wait for %.12s failed\n", id);
		return 125;
	}
	return wait->out ? atoi(wait->out) : 125;
}

const struct flg_cmd cli_attach_cmd = {
	.path = "attach",
	.usage = "CONTAINER",
	.desc = "Attach to a running container's stdio (its terminal with -t)",
	.min_args = 1,
	.max_args = 1,
};

/* attach CONTAINER: our terminal (-t containers), or our stdin (-i) and
 * the log's new lines, joined to a running container until it exits; its
 * exit code is ours, as with Docker's attach. */
int cli_attach(const char *root, int argc, char **argv)
{
	char id[CTR_ID_LEN + 1], log[600], *wargs[] = { "wait", id, NULL };
	_cleanup_fd_ int logfd = -1, in_fd = -1, out_fd = -1;
	struct client_reply wait;
	struct ctr_config c;
	struct ctr_state st;
	struct flg_out a;
	struct berr e;
	int rc = 1;

	if (flg_verb(&cli_attach_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	if (cli_load_container(root, a.argv[0], id, &c, NULL) < 0)
		return 1;
	if (ctr_state_load(root, id, &st, &e) < 0 || st.status != CTR_RUNNING) {
		fprintf(stderr, "berth: You cannot attach to a stopped container, start it first\n");
		goto out;
	}
	if (c.tty && c.interactive && !isatty(0)) {
		fprintf(stderr, "berth: the input device is not a TTY\n");
		goto out;
	}
	if ((c.tty || c.interactive) &&
	    cli_attach_open(root, id, c.interactive, c.tty, &in_fd, &out_fd) < 0)
		goto out;
	if (!c.tty) {
		ctr_log_path(root, id, log, sizeof(log));
		logfd = open(log, O_RDONLY | O_CLOEXEC);
		if (logfd >= 0)
			lseek(logfd, 0, SEEK_END); /* new output only */
	}
	if (client_send(root, 2, wargs, &wait) < 0)
		goto out;
	if (c.tty) {
		cli_attach_send_size(root, id);
		rc = cli_attach_tty(root, id, &wait, steal_fd(&in_fd), steal_fd(&out_fd));
	} else {
		rc = cli_attach_wait(logfd, id, &wait, steal_fd(&in_fd));
	}
	client_reply_free(&wait);
out:
	ctr_config_free(&c);
	return rc;
}
