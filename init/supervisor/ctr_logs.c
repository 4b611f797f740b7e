/* ctr_logs.c - a container's output into its log: one line per output
 * line, "<RFC 3339 time> <stream> <text>", rotated at its max-size over
 * its max-file files (--log-opt; 10 MiB and 3 by default); a full disk
 * drops whole lines, never half ones. */
#include "ctrs_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handover.h"
#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"

void ctrs_log_open(struct ctrs *cs, struct ctr *c)
{
	char path[600];
	struct stat st;

	c->logfd = -1; /* --log-driver none: the output goes to attached clients only */
	c->logsize = 0;
	if (c->cfg.hostx.log_driver == HX_LOG_NONE)
		return;
	ctr_log_path(cs->root, c->cfg.id, path, sizeof(path));
	c->logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (c->logfd < 0)
		log_err("container %.12s: open log %s: %s", c->cfg.id, path, strerror(errno));
	c->logsize = (c->logfd >= 0 && fstat(c->logfd, &st) == 0) ? st.st_size : 0;
}

/* max-file files: <id>.log, .log.1, .log.2, ... (one: the log starts
 * over). A rename that fails is logged; when the live log itself cannot
 * move, it grows on and the next try comes max-size later. */
static void log_rotate(struct ctrs *cs, struct ctr *c)
{
	char base[600], from[620], to[620];
	int files = hx_log_files(&c->cfg.hostx);

	ctr_log_path(cs->root, c->cfg.id, base, sizeof(base));
	if (files == 1 && unlink(base) < 0)
		log_err("container %.12s: start its log over: %s", c->cfg.id, strerror(errno));
	for (int i = files - 1; i > 0; i--) {
		int err;

		if (i == 1)
			snprintf(from, sizeof(from), "%s", base);
		else
			snprintf(from, sizeof(from), "%s.%d", base, i - 1);
		snprintf(to, sizeof(to), "%s.%d", base, i);
		if (rename(from, to) == 0 || errno == ENOENT) /* ENOENT: no older one yet */
			continue;
		err = errno;
		log_err("container %.12s: rotate log: rename %s: %s%s", c->cfg.id, from,
			strerror(err), ctrs_full_hint(cs, err));
		if (i == 1) {
			c->logsize = 0;
			return;
		}
	}
	if (c->logfd >= 0)
		close(c->logfd);
	ctrs_log_open(cs, c);
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
	iso_time_ns(wall_ns(), ts, sizeof(ts));
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
					c->cfg.id, cs->root, c->cfg.id, strerror(err),
					ctrs_full_hint(cs, err));
			c->log_failing = true;
			return;
		}
	}
	c->log_failing = false;
	c->logsize += total;
	if (c->logsize > hx_log_size(&c->cfg.hostx))
		log_rotate(cs, c);
}

void ctrs_pipe_flush(struct ctrs *cs, struct logpipe *p, bool all)
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

void ctrs_pipe_close(struct ctrs *cs, struct logpipe *p)
{
	if (p->fd < 0)
		return;
	epoll_ctl(cs->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	hov_drop(p->fd);
	close(p->fd);
	p->fd = -1;
	ctrs_pipe_flush(cs, p, true);
}
