/* events.c - the ring of lifecycle events and its followers (events.h).
 *
 * Events are kept as the very lines a follower is sent, each malloc'd to
 * its length; the ring drops the oldest once it holds EV_RING_MAX events
 * or EV_RING_BYTES bytes. A follower is its reply FIFO, written with
 * O_NONBLOCK: what the pipe does not take waits in the follower's buffer
 * for EPOLLOUT, up to EV_FOLLOWER_BYTES; past that the follower gets an
 * error line and its status, and is closed once those are out (or at
 * once, when its reader has gone: EPOLLERR on the FIFO). */
#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ctrs_priv.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

#define EV_LINE_MAX 2048
#define EV_ATTRS_MAX 64

struct ev_follower {
	int kind; /* first: the supervisor's event tag */
	int fd;
	char *buf;
	size_t len, off;
	bool closing;		/* fell behind: finish the error line, then close */
	int64_t until_ns;	/* 0: follow until the reader goes */
	struct ev_follower *next;
};

struct ev_rec {
	int64_t ns;
	char *line;
	size_t len;
};

/* The ring lives apart from the initialised state: inside it, it would
 * put EV_RING_MAX records of zeroes into the binary's .data. */
static struct ev_rec ev_ring[EV_RING_MAX];

static struct {
	int epfd, kind;
	struct ctl_server *ctl;
	struct ev_rec *ring;
	int head, n;		/* oldest at head */
	size_t bytes;
	struct ev_follower *followers;
	int nfollowers;
} evs = { .epfd = -1, .ring = ev_ring };

void ev_init(int epfd, int kind, struct ctl_server *ctl)
{
	evs.epfd = epfd;
	evs.kind = kind;
	evs.ctl = ctl;
}

/* ---- followers ---- */

static void follower_drop(struct ev_follower *f)
{
	struct ev_follower **pp = &evs.followers;

	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp)
		*pp = f->next;
	epoll_ctl(evs.epfd, EPOLL_CTL_DEL, f->fd, NULL);
	close(f->fd);
	free(f->buf);
	free(f);
	evs.nfollowers--;
}

/* Write what the pipe takes; watch for EPOLLOUT while anything is left.
 * False when the follower was dropped. */
static bool follower_flush(struct ev_follower *f)
{
	struct epoll_event ev = { .data.ptr = f };

	while (f->off < f->len) {
		ssize_t n = write(f->fd, f->buf + f->off, f->len - f->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			follower_drop(f); /* EPIPE: the reader went away */
			return false;
		}
		f->off += n;
	}
	if (f->off == f->len) {
		f->off = f->len = 0;
		if (f->closing) {
			follower_drop(f);
			return false;
		}
	}
	/* nothing pending: still told (EPOLLERR) when the reader goes */
	ev.events = f->off < f->len ? EPOLLOUT : 0;
	epoll_ctl(evs.epfd, EPOLL_CTL_MOD, f->fd, &ev);
	return true;
}

static void follower_append(struct ev_follower *f, const char *s, size_t len)
{
	char *g;

	if (f->off && f->off == f->len)
		f->off = f->len = 0;
	if (f->off > EV_FOLLOWER_BYTES / 2) { /* keep the buffer's front in use */
		memmove(f->buf, f->buf + f->off, f->len - f->off);
		f->len -= f->off;
		f->off = 0;
	}
	g = realloc(f->buf, f->len + len + 1);
	if (!g) {
		f->closing = true;
		return;
	}
	f->buf = g;
	memcpy(f->buf + f->len, s, len);
	f->len += len;
}

/* One event line for f, or its disconnection when it fell behind. */
static void follower_send(struct ev_follower *f, const char *line, size_t len)
{
	static const char behind[] =
		"@err events: this reader fell behind (more than 256 KiB unread); the "
		"supervisor disconnected it\n@status 1\n";

	if (f->closing)
		return;
	if (f->len - f->off + len > EV_FOLLOWER_BYTES) {
		log_warn("events: a follower fell behind by more than %d KiB; disconnected",
			 EV_FOLLOWER_BYTES / 1024);
		f->closing = true;
		follower_append(f, behind, sizeof(behind) - 1);
	} else {
		follower_append(f, line, len);
	}
	follower_flush(f);
}

void ev_follower_ready(void *follower, unsigned events)
{
	struct ev_follower *f = follower;

	if (events & (EPOLLERR | EPOLLHUP)) {
		follower_drop(f);
		return;
	}
	follower_flush(f);
}

/* ---- the ring ---- */

static void ring_add(int64_t ns, char *line, size_t len)
{
	while (evs.n && (evs.n == EV_RING_MAX || evs.bytes + len > EV_RING_BYTES)) {
		struct ev_rec *old = &evs.ring[evs.head];

		evs.bytes -= old->len;
		free(old->line);
		evs.head = (evs.head + 1) % EV_RING_MAX;
		evs.n--;
	}
	evs.ring[(evs.head + evs.n) % EV_RING_MAX] = (struct ev_rec){ ns, line, len };
	evs.n++;
	evs.bytes += len;
}

static int quote(char *buf, size_t *len, const char *word)
{
	if (*len && *len + 1 < EV_LINE_MAX)
		buf[(*len)++] = ' ';
	return proto_quote(buf, EV_LINE_MAX - 1, len, word);
}

void ev_emit(const char *type, const char *action, const char *id, char *const *attrs, int n)
{
	char buf[EV_LINE_MAX], ns_text[24];
	int64_t ns = wall_ns();
	size_t len = 0;
	char *line;

	snprintf(ns_text, sizeof(ns_text), "%lld", (long long)ns);
	if (quote(buf, &len, ns_text) < 0 || quote(buf, &len, type) < 0 ||
	    quote(buf, &len, action) < 0 || quote(buf, &len, id) < 0)
		return;
	for (int i = 0; i < n; i++) {
		size_t keep = len;
		if (quote(buf, &len, attrs[i]) < 0) {
			len = keep; /* the attributes that fit */
			break;
		}
	}
	buf[len++] = '\n';
	line = malloc(len);
	if (!line)
		return;
	memcpy(line, buf, len);
	ring_add(ns, line, len);
	for (struct ev_follower *f = evs.followers, *next; f; f = next) {
		next = f->next;
		follower_send(f, line, len);
	}
}

/* ---- containers ---- */

static void ctr_event(const struct ctr *c, const char *action, const char *extra)
{
	char *attrs[EV_ATTRS_MAX], image[600], name[CTR_NAME_MAX + 8];
	int n = 0;

	snprintf(image, sizeof(image), "image=%s", c->cfg.image ? c->cfg.image : "");
	snprintf(name, sizeof(name), "name=%s", c->cfg.name);
	attrs[n++] = image;
	attrs[n++] = name;
	if (extra)
		attrs[n++] = (char *)extra;
	for (char **l = c->cfg.labels; l && *l && n < EV_ATTRS_MAX; l++)
		attrs[n++] = *l;
	ev_emit("container", action, c->cfg.id, attrs, n);
}

void ev_ctr(const struct ctr *c, const char *action, const char *fmt, ...)
{
	char extra[256];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(extra, sizeof(extra), fmt, ap);
		va_end(ap);
	}
	ctr_event(c, action, fmt ? extra : NULL);
}

void ev_ctr_exit(const struct ctr *c)
{
	if (c->st.oom_killed)
		ev_ctr(c, "oom", NULL);
	ev_ctr(c, "die", "exitCode=%d", c->st.exit_code);
}

void ev_ctr_health(const struct ctr *c)
{
	char action[64];

	if (!c->hc)
		return;
	snprintf(action, sizeof(action), "health_status: %s", hc_status_name(c->hc->st.status));
	ctr_event(c, action, NULL);
}

/* ---- the verbs ---- */

static int parse_ns(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The kept events from since (and up to until when it is not 0). */
static void backlog(int64_t since, int64_t until, struct ctl_reply *r, struct ev_follower *f)
{
	for (int i = 0; i < evs.n; i++) {
		const struct ev_rec *e = &evs.ring[(evs.head + i) % EV_RING_MAX];

		if (e->ns < since || (until && e->ns > until))
			continue;
		if (f)
			follower_append(f, e->line, e->len);
		else
			reply_write(r, e->line, e->len);
	}
}

/* A new follower on the request's reply FIFO, sent the backlog since
 * since (none when 0). */
static void follow(struct proto_request *req, int64_t since, struct ctl_reply *r, int *status,
		   bool *deferred)
{
	struct epoll_event ev = { .events = 0 };
	struct ev_follower *f;
	int fd;

	if (!req->reply || evs.nfollowers >= EV_FOLLOWERS_MAX) {
		reply_error(r, req->reply ? "events: %d readers follow already; no more"
					  : "events: following needs a reply FIFO",
			    EV_FOLLOWERS_MAX);
		*status = 1;
		return;
	}
	*deferred = true;
	fd = ctl_open_reply(evs.ctl, req->reply);
	f = fd >= 0 ? calloc(1, sizeof(*f)) : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	f->kind = evs.kind;
	f->fd = fd;
	ev.data.ptr = f;
	if (epoll_ctl(evs.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(f);
		return;
	}
	f->next = evs.followers;
	evs.followers = f;
	evs.nfollowers++;
	follower_append(f, "@follow\n", 8); /* the stream is open: the CLI may unlink it */
	if (since)
		backlog(since, 0, NULL, f);
	follower_flush(f);
}

/* events [SINCE_NS [UNTIL_NS]]: until in the past answers at once. */
static void verb_events(struct proto_request *req, struct ctl_reply *r, int *status,
			bool *deferred)
{
	int64_t since = 0, until = 0;

	if (req->argc > 3 || (req->argc > 1 && parse_ns(req->argv[1], &since) < 0) ||
	    (req->argc > 2 && parse_ns(req->argv[2], &until) < 0)) {
		reply_error(r, "usage: events [SINCE_NS [UNTIL_NS]]");
		*status = 1;
		return;
	}
	if (until && until <= wall_ns()) {
		backlog(since, until, r, NULL);
		return;
	}
	follow(req, since, r, status, deferred);
}

static bool word_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");

	return n && n <= 32 && !s[n];
}

/* event TYPE ACTION ID [KEY=VALUE...]: what the CLI did to an image or a
 * volume (only the CLI touches those stores). */
static void verb_event(struct proto_request *req, struct ctl_reply *r, int *status)
{
	const char *type = req->argc > 1 ? req->argv[1] : "";

	if (req->argc < 4 || (strcmp(type, "image") != 0 && strcmp(type, "volume") != 0) ||
	    !word_ok(req->argv[2]) || !*req->argv[3]) {
		reply_error(r, "usage: event image|volume ACTION ID [KEY=VALUE...]");
		*status = 1;
		return;
	}
	for (int i = 4; i < req->argc; i++) {
		if (!strchr(req->argv[i], '=')) {
			reply_error(r, "event: attribute '%s' is not KEY=VALUE", req->argv[i]);
			*status = 1;
			return;
		}
	}
	ev_emit(type, req->argv[2], req->argv[3], req->argv + 4, req->argc - 4);
}

bool ev_request(struct proto_request *req, struct ctl_reply *r, int *status, bool *deferred)
{
	if (strcmp(req->argv[0], "events") == 0)
		verb_events(req, r, status, deferred);
	else if (strcmp(req->argv[0], "event") == 0)
		verb_event(req, r, status);
	else
		return false;
	return true;
}
