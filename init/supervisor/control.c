#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"

#define REPLY_MAX (4u << 20)

static void reply_grow(struct ctl_reply *r, size_t need)
{
	size_t cap;
	char *g;

	if (r->truncated || r->len + need + 1 <= r->cap)
		return;
	cap = r->cap ? r->cap : 1024;
	while (cap < r->len + need + 1)
		cap *= 2;
	if (cap > REPLY_MAX || !(g = realloc(r->buf, cap))) {
		r->truncated = true;
		return;
	}
	r->buf = g;
	r->cap = cap;
}

void reply_write(struct ctl_reply *r, const void *data, size_t len)
{
	reply_grow(r, len);
	if (r->truncated)
		return;
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = '\0';
}

static void reply_vprintf(struct ctl_reply *r, const char *prefix, const char *fmt, va_list ap)
{
	char line[4096];
	int n = snprintf(line, sizeof(line), "%s", prefix);

	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	reply_write(r, line, strlen(line));
}

void reply_printf(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vprintf(r, "", fmt, ap);
	va_end(ap);
}

void reply_error(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vprintf(r, "@err ", fmt, ap);
	va_end(ap);
	reply_write(r, "\n", 1);
}

bool ctl_reply_path_ok(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	const char *name;

	if (strncmp(path, dir, n) != 0 || path[n] != '/')
		return false;
	name = path + n + 1;
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* The FIFO an earlier process left (fd), if it is still the one at path. */
static bool reuse_fifo(struct ctl_server *s, int fd)
{
	struct stat a, b;

	if (fd < 0)
		return false;
	if (fstat(fd, &a) == 0 && lstat(s->path, &b) == 0 && S_ISFIFO(b.st_mode) &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
		s->fd = fd;
		fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK);
		log_info("control: %s taken over; requests written meanwhile are answered now",
			 s->path);
		return true;
	}
	close(fd);
	return false;
}

int ctl_open(struct ctl_server *s, const char *root, int epfd, int kind, int out_kind,
	     int inherited, struct berr *e)
{
	char dir[512];
	struct stat st;
	struct epoll_event ev;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->out_kind = out_kind;
	s->epfd = epfd;
	s->fd = -1;
	s->timer.fd = -1;
	s->euid = geteuid();
	snprintf(dir, sizeof(dir), "%s/run/berth", root);
	snprintf(s->path, sizeof(s->path), "%s/control", dir);
	snprintf(s->reply_dir, sizeof(s->reply_dir), "%s/reply", dir);
	if (mkdir_p(dir, 0700) < 0 || mkdir_p(s->reply_dir, 0700) < 0)
		return berr_set(e, errno, "create %s", dir);
	chmod(dir, 0700);
	chmod(s->reply_dir, 0700);
	if (!reuse_fifo(s, inherited)) {
		unlink(s->path);
		if (mkfifo(s->path, 0600) < 0)
			return berr_set(e, errno, "mkfifo %s", s->path);
		s->fd = open(s->path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	}
	if (s->fd < 0 || fstat(s->fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return berr_set(e, errno ? errno : EINVAL, "open %s", s->path);
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return berr_set(e, errno, "watch %s", s->path);
	/* The partial-line timer comes back as the FIFO's own event. */
	s->timer.kind = kind;
	s->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.data.ptr = &s->timer;
	if (s->timer.fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, s->timer.fd, &ev) < 0)
		return berr_set(e, errno, "partial-line timer for %s", s->path);
	return 0;
}

static void out_free(struct ctl_server *s, struct ctl_out *o)
{
	struct ctl_out **pp = &s->pending;

	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp)
		*pp = o->next;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, o->fd, NULL);
	close(o->fd);
	free(o->buf);
	free(o);
}

int ctl_open_reply(struct ctl_server *s, const char *path)
{
	struct stat st;
	int fd;

	if (!ctl_reply_path_ok(s->reply_dir, path)) {
		log_warn("control: reply path %s is not inside %s; request answered in the log",
			 path, s->reply_dir);
		return -1;
	}
	/* openat(2) itself: musl's open() follows an O_CLOEXEC open with an
	 * fcntl for kernels older than 2.6.23, a syscall more per request */
	fd = syscall(SYS_openat, AT_FDCWD, path,
		     O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_warn("control: open reply %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != s->euid) {
		log_warn("control: reply %s is not a FIFO of ours; dropped", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The held reply FIFO for path (no longer held), or -1. */
static int held_take(struct ctl_server *s, const char *path)
{
	for (struct ctl_held **pp = &s->held, *h; (h = *pp); pp = &h->next) {
		if (strcmp(h->path, path) == 0) {
			int fd = h->fd;

			*pp = h->next;
			free(h->path);
			free(h);
			return fd;
		}
	}
	return -1;
}

/* A request was deferred: its FIFO is opened now and kept, with a first
 * keep-alive byte, so its client knows it is in hand. */
static void ctl_hold(struct ctl_server *s, const char *path)
{
	struct ctl_held *h = calloc(1, sizeof(*h));
	static const char ka = PROTO_KEEPALIVE;

	if (!h || !(h->path = strdup(path)) || (h->fd = ctl_open_reply(s, path)) < 0) {
		if (h)
			free(h->path);
		free(h);
		return;
	}
	(void)!write(h->fd, &ka, 1);
	h->next = s->held;
	s->held = h;
	if (!s->keep_due)
		s->keep_due = now_ns() + PROTO_KEEPALIVE_MS * 1000000ull;
}

/* Every PROTO_KEEPALIVE_MS, a byte to each held FIFO; a client that has
 * gone (EPIPE) is let go. */
static void keep_alive(struct ctl_server *s)
{
	static const char ka = PROTO_KEEPALIVE;
	uint64_t now = now_ns();

	if (!s->keep_due || now < s->keep_due)
		return;
	for (struct ctl_held **pp = &s->held, *h; (h = *pp);) {
		if (write(h->fd, &ka, 1) < 0 && errno != EAGAIN) {
			*pp = h->next;
			close(h->fd);
			free(h->path);
			free(h);
		} else {
			pp = &h->next;
		}
	}
	s->keep_due = s->held ? now + PROTO_KEEPALIVE_MS * 1000000ull : 0;
}

/* Write what the pipe takes; true when it is all out (or the client went
 * away: EPIPE), false when the rest waits for EPOLLOUT. */
static bool out_write(struct ctl_out *o)
{
	while (o->off < o->len) {
		ssize_t n = write(o->fd, o->buf + o->off, o->len - o->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN;
		o->off += n;
	}
	return true;
}

/* Write what the pipe takes now; keep the rest for EPOLLOUT. */
void ctl_send(struct ctl_server *s, const char *path, struct ctl_reply *r, int status)
{
	char tail[64];
	struct ctl_out *o, now;
	struct epoll_event ev;

	if (r->truncated)
		reply_error(r, "reply truncated at %u bytes", REPLY_MAX);
	snprintf(tail, sizeof(tail), PROTO_STATUS_PREFIX "%d\n", status);
	r->truncated = false;
	reply_write(r, tail, strlen(tail));
	now = (struct ctl_out){ .kind = s->out_kind, .fd = held_take(s, path), .buf = r->buf,
				.len = r->len };
	if (now.fd < 0)
		now.fd = ctl_open_reply(s, path);
	if (now.fd < 0)
		return;
	if (out_write(&now) || !(o = malloc(sizeof(*o)))) { /* the common case: all out */
		close(now.fd);
		return;
	}
	*o = now;
	r->buf = NULL; /* the rest goes on EPOLLOUT */
	o->next = s->pending;
	s->pending = o;
	ev.events = EPOLLOUT;
	ev.data.ptr = o;
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, o->fd, &ev);
}

void ctl_out_ready(struct ctl_server *s, struct ctl_out *o, unsigned events)
{
	(void)events;
	if (out_write(o))
		out_free(s, o);
}

void ctl_flush(struct ctl_server *s, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (s->pending && now_ns() < end) {
		struct pollfd p = { .fd = s->pending->fd, .events = POLLOUT };
		if (poll(&p, 1, 50) > 0)
			ctl_out_ready(s, s->pending, EPOLLOUT);
	}
	while (s->pending)
		out_free(s, s->pending);
	while (s->held)
		close(held_take(s, s->held->path));
}

static void log_reply(const struct ctl_reply *r, int status)
{
	const char *p = r->buf;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		log_info("control: %.*s", n, p);
		p += n + (nl ? 1 : 0);
	}
	if (status)
		log_warn("control: request failed with status %d", status);
}

/* For a line we cannot parse, answer on the reply FIFO if its first word
 * names one plainly (the path checks still apply). */
static void reject_line(struct ctl_server *s, const char *line, const char *why)
{
	struct ctl_reply reply = { 0 };
	char path[512];
	size_t n = 0;

	log_warn("control: malformed request: %s", why);
	if (line[0] != '@')
		return;
	for (const char *p = line + 1; *p > ' ' && *p < 0x7f && n + 1 < sizeof(path); p++)
		path[n++] = *p;
	path[n] = '\0';
	reply_error(&reply, "malformed request: %s", why);
	ctl_send(s, path, &reply, 2);
	free(reply.buf);
}

/* The reply buffer for the next request: the last one's, emptied. */
static void reply_take_spare(struct ctl_server *s, struct ctl_reply *r)
{
	*r = (struct ctl_reply){ .buf = steal_ptr(&s->spare), .cap = s->spare_cap };
	if (r->buf)
		r->buf[0] = '\0';
}

static void reply_keep_spare(struct ctl_server *s, struct ctl_reply *r)
{
	if (!s->spare && r->cap <= 65536) {
		s->spare = steal_ptr(&r->buf);
		s->spare_cap = r->cap;
	}
	free(r->buf);
}

static void handle_line(struct ctl_server *s, char *line, ctl_handler handle, void *ctx)
{
	struct proto_request req;
	struct ctl_reply reply;
	char copy[PROTO_LINE_MAX + 1];
	struct berr e;
	int status = 0;
	bool deferred = false;

	memcpy(copy, line, strlen(line) + 1); /* split_lines: at most PROTO_LINE_MAX */
	if (proto_parse_request(line, &req, &e) < 0) {
		reject_line(s, copy, e.msg);
		return;
	}
	reply_take_spare(s, &reply);
	if (req.argc == 0) {
		reply_error(&reply, "empty request");
		status = 1;
	} else {
		handle(ctx, &req, &reply, &status, &deferred);
	}
	if (deferred) {
		if (req.reply)
			ctl_hold(s, req.reply);
	} else if (req.reply)
		ctl_send(s, req.reply, &reply, status);
	else
		log_reply(&reply, status);
	reply_keep_spare(s, &reply);
}

/* What is left of a line is garbage: log it once and forget it. */
static void drop_partial(struct ctl_server *s, const char *why)
{
	if (s->len || s->discarding)
		log_warn("control: dropped %zu bytes of an unfinished line (%s)", s->len, why);
	s->len = 0;
	s->discarding = false;
	s->partial_since = 0;
}

/* Legitimate writers write whole lines of at most PIPE_BUF at once, so a
 * line that has not been finished by the end of one read can only grow
 * by a second write of the same writer, promptly. Anything left longer is
 * garbage, and so is what is left when a new chunk starts the way every
 * CLI request starts ("@" and the reply directory, perhaps quoted): one
 * writer can then never stall the next. */
static bool chunk_starts_request(const struct ctl_server *s, const char *p, size_t n)
{
	size_t dl = strlen(s->reply_dir);

	if (n && (p[0] == '\'' || p[0] == '"')) { /* the word may be quoted */
		p++;
		n--;
	}
	return n > dl + 1 && p[0] == '@' && memcmp(p + 1, s->reply_dir, dl) == 0 &&
	       p[dl + 1] == '/';
}

/* Where a CLI request starts inside a line, when garbage without a newline
 * and the request came in one read: 0 if it does not. A request's words
 * are separated by blanks (and may be quoted), so a start right after a
 * blank or a quote is an argument and left alone. */
static size_t embedded_request(const struct ctl_server *s, const char *line, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		char c = line[i], before = line[i - 1];

		if ((c == '@' || c == '\'' || c == '"') && before != ' ' && before != '\t' &&
		    before != '\'' && before != '"' && chunk_starts_request(s, line + i, n - i))
			return i;
	}
	return 0;
}

/* The FIFO's timer: an unfinished line's limit, else the next keep-alive. */
static void arm_partial_timer(struct ctl_server *s)
{
	struct itimerspec its = { 0 };
	uint64_t now = now_ns();

	if (s->len || s->discarding) {
		if (!s->partial_since)
			s->partial_since = now;
		its.it_value.tv_nsec = CTL_PARTIAL_MS * 1000000l;
	} else {
		s->partial_since = 0;
		if (s->keep_due)
			its.it_value.tv_nsec = s->keep_due > now ? s->keep_due - now : 1;
	}
	bool arm = its.it_value.tv_nsec != 0; /* before the split: N whole seconds arm too */

	its.it_value.tv_sec = its.it_value.tv_nsec / 1000000000l;
	its.it_value.tv_nsec %= 1000000000l;
	/* disarmed already: nothing to set (a storm's batches mostly) */
	if (s->timer.fd >= 0 && (s->timer_armed || arm)) {
		timerfd_settime(s->timer.fd, 0, &its, NULL);
		s->timer_armed = arm;
	}
}

static bool partial_stale(const struct ctl_server *s)
{
	return s->partial_since &&
	       now_ns() - s->partial_since >= (uint64_t)CTL_PARTIAL_MS * 1000000ull;
}

/* Handle every complete line in buf[0..len); keep the rest. */
static void split_lines(struct ctl_server *s, ctl_handler handle, void *ctx)
{
	char *start = s->buf, *nl;

	while ((nl = memchr(start, '\n', s->len - (start - s->buf)))) {
		size_t off = embedded_request(s, start, nl - start);

		if (off) {
			log_warn("control: dropped %zu bytes of an unfinished line (a new request "
				 "started)",
				 off + (s->discarding ? PROTO_LINE_MAX : 0));
			start += off;
			s->discarding = false;
		}
		*nl = '\0';
		if (s->discarding)
			s->discarding = false;
		else if (memchr(start, '\0', nl - start))
			reject_line(s, start, "NUL byte in line");
		else
			handle_line(s, start, handle, ctx);
		start = nl + 1;
	}
	s->len -= start - s->buf;
	memmove(s->buf, start, s->len);
	if (s->len == PROTO_LINE_MAX) {
		if (!s->discarding) {
			char why[64];
			s->buf[s->len - 1] = '\0';
			snprintf(why, sizeof(why), "longer than %d bytes", PROTO_LINE_MAX);
			reject_line(s, s->buf, why);
		}
		s->discarding = true;
		s->len = 0;
	}
}

void ctl_readable(struct ctl_server *s, ctl_handler handle, void *ctx)
{
	uint64_t ticks;

	/* timerfd_settime() clears what a disarmed timer had counted */
	if (s->timer_armed)
		(void)!read(s->timer.fd, &ticks, sizeof(ticks));
	keep_alive(s);
	if (partial_stale(s))
		drop_partial(s, "not finished within " CTL_PARTIAL_TEXT);
	for (;;) {
		size_t old = s->len;
		ssize_t n = read(s->fd, s->buf + s->len, PROTO_LINE_MAX - s->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((old || s->discarding) && chunk_starts_request(s, s->buf + old, n)) {
			drop_partial(s, "a new request started");
			memmove(s->buf, s->buf + old, n);
		}
		s->len += n;
		split_lines(s, handle, ctx);
		if ((size_t)n < PROTO_LINE_MAX - old)
			break; /* the FIFO is empty: epoll says when it is not */
	}
	arm_partial_timer(s);
}
