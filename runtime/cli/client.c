/* client.c - the CLI's side of the control FIFO (client.h): a request
 * line with the path of a private reply FIFO, then the reply read back. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/clock.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/util.h"

/* Silence after which the supervisor is taken for wedged (it sends a
 * keep-alive every PROTO_KEEPALIVE_MS while it holds a request). */
#define REPLY_SILENCE_MS 15000
#define CANNOT_CONNECT                                                                             \
	"berth: Cannot connect to the berth daemon at %s. Is the berth daemon running?"

static char reply_path[512];

static void drop_reply_fifo(void)
{
	if (reply_path[0])
		unlink(reply_path);
	reply_path[0] = '\0';
}

/* cr's own FIFO: with several requests under way (run's wait and start)
 * the global one is only the last. */
static void drop_own_fifo(struct client_reply *cr)
{
	if (strcmp(cr->path, reply_path) == 0)
		reply_path[0] = '\0';
	if (cr->path[0])
		unlink(cr->path);
	cr->path[0] = '\0';
}

static void on_interrupt(int sig)
{
	drop_reply_fifo();
	signal(sig, SIG_DFL);
	raise(sig);
}

int client_send(const char *root, int argc, char *const argv[], struct client_reply *cr)
{
	char control[512], req[PROTO_LINE_MAX + 1];
	unsigned char rnd[6];
	_cleanup_fd_ int cfd = -1;
	struct berr e;
	int len;

	memset(cr, 0, sizeof(*cr));
	cr->fd = cr->cfd = -1;
	cr->status = -1;
	snprintf(control, sizeof(control), "%s/run/berth/control", root);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(reply_path, sizeof(reply_path), "%s/run/berth/reply/%d-%02x%02x%02x%02x%02x%02x",
		 root, (int)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	snprintf(cr->path, sizeof(cr->path), "%s", reply_path);
	len = proto_format_request(req, sizeof(req), reply_path, argc, argv, &e);
	if (len < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		reply_path[0] = '\0';
		return -1;
	}
	/* Docker's words when nothing answers: no control FIFO, or no reader */
	if (access(control, F_OK) < 0) {
		fprintf(stderr, CANNOT_CONNECT "\n", control);
		reply_path[0] = '\0';
		return -1;
	}
	if (mkfifo(reply_path, 0600) < 0) {
		fprintf(stderr, "berth: cannot create a reply FIFO %s: %s (is berth running%s%s?)\n",
			reply_path, strerror(errno), *root ? " with --root " : "", root);
		reply_path[0] = '\0';
		return -1;
	}
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	signal(SIGPIPE, SIG_IGN);
	cr->fd = open(reply_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cfd = open(control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (cr->fd >= 0 && cfd < 0 && (errno == ENXIO || errno == ENOENT)) {
		fprintf(stderr, CANNOT_CONNECT "\n", control);
		drop_reply_fifo();
		return -1;
	}
	if (cr->fd < 0 || cfd < 0) {
		fprintf(stderr, "berth: %s: %s (is berth running?)\n",
			cr->fd < 0 ? reply_path : control, strerror(errno));
		drop_reply_fifo();
		return -1;
	}
	for (int tries = 0;; tries++) {
		ssize_t n = write(cfd, req, len);
		if (n == len)
			break;
		if (n < 0 && errno == EAGAIN && tries < 500) {
			usleep(10000); /* the FIFO is full: the supervisor is busy */
			continue;
		}
		fprintf(stderr, "berth: send request: %s\n", n < 0 ? strerror(errno) : "short write");
		drop_reply_fifo();
		return -1;
	}
	cr->cfd = steal_fd(&cfd);
	return 0;
}

/* The silence after which the supervisor is taken for wedged: ms, or
 * BERTH_CLIENT_TIMEOUT seconds (tests); < 0: none. */
static int silence_ms(int ms)
{
	const char *env = getenv("BERTH_CLIENT_TIMEOUT");

	return ms > 0 && env && atoi(env) > 0 ? atoi(env) * 1000 : ms;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Wait until the reply FIFO is readable; false when the supervisor is
 * taken for wedged: limit_ms without a byte, unless none came yet and the
 * supervisor is still working through the requests queued in the control
 * FIFO before ours (the queue shrinks; a few times at most, so a request
 * lost with a fault is not waited for while others are served). */
static bool wait_reply(struct client_reply *cr, int limit_ms)
{
	int queued = INT_MAX, q, more = 8;

	while (wait_readable(cr->fd, limit_ms) == 0) {
		if (cr->alive || cr->cfd < 0 || ioctl(cr->cfd, FIONREAD, &q) < 0 || q == 0 ||
		    q >= queued || more-- == 0)
			return false;
		queued = q;
	}
	return true;
}

static void wedged(struct client_reply *cr, int limit_ms)
{
	if (cr->alive)
		fprintf(stderr, "berth: the supervisor stopped answering (nothing for %d s while "
				"it held the request)\n", limit_ms / 1000);
	else
		fprintf(stderr, "berth: no reply from the supervisor within %d s\n",
			limit_ms / 1000);
	drop_own_fifo(cr);
}

/* p[0..n) without keep-alive bytes; the new length. */
static size_t strip_keepalive(char *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i] != PROTO_KEEPALIVE)
			p[k++] = p[i];
	return k;
}

/* Read what has come, without blocking (cr->fd readable or not): the
 * reply's bytes appended to cr->out. -1 when out of memory. */
static int take(struct client_reply *cr)
{
	char chunk[4096];

	while (!cr->eof) {
		ssize_t n = read(cr->fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		if (n == 0 && !cr->alive && wait_readable(cr->fd, 0) == 0)
			return 0; /* no writer yet (the FIFO reads as ended) */
		cr->eof = n == 0;
		if (!cr->alive) {
			cr->alive = true;
			drop_own_fifo(cr);
		}
		n = strip_keepalive(chunk, n);
		if (cr->out_len + (size_t)n + 1 > cr->cap) {
			char *g = realloc(cr->out, (cr->out_len + n + 1) * 2);

			if (!g) {
				fprintf(stderr, "berth: out of memory\n");
				return -1;
			}
			cr->out = g;
			cr->cap = (cr->out_len + n + 1) * 2;
		}
		memcpy(cr->out + cr->out_len, chunk, n);
		cr->out_len += n;
		cr->out[cr->out_len] = '\0';
	}
	return 0;
}

bool client_reply_done(struct client_reply *cr)
{
	return take(cr) < 0 || cr->eof;
}

int client_collect(struct client_reply *cr, int timeout_ms)
{
	timeout_ms = silence_ms(timeout_ms);
	while (!cr->eof) {
		if (!wait_reply(cr, timeout_ms)) {
			wedged(cr, timeout_ms);
			return -1;
		}
		if (take(cr) < 0)
			return -1;
	}
	drop_own_fifo(cr);
	/* The last line is the status. */
	if (cr->out_len && cr->out[cr->out_len - 1] == '\n') {
		char *last = cr->out + cr->out_len - 1;

		while (last > cr->out && last[-1] != '\n')
			last--;
		if (proto_status_line(last, &cr->status)) {
			*last = '\0';
			cr->out_len = last - cr->out;
			return cr->status;
		}
	}
	fprintf(stderr, "berth: %s\n", cr->out_len ? "the reply ended without a status" :
			"the supervisor went away before answering");
	return -1;
}

int client_stream(struct client_reply *cr, uint64_t deadline_ns,
		  void (*on_line)(void *ctx, char *line), void *ctx)
{
	for (;;) {
		uint64_t now = now_ns();
		int64_t left = deadline_ns ? (int64_t)(deadline_ns - now) / 1000000 : -1;
		char *nl;
		ssize_t n;

		if (deadline_ns && now >= deadline_ns)
			return -ETIMEDOUT;
		if (!cr->alive && (left < 0 || left > silence_ms(REPLY_SILENCE_MS)))
			left = silence_ms(REPLY_SILENCE_MS);
		if (!cr->alive ? !wait_reply(cr, (int)left) : wait_readable(cr->fd, (int)left) == 0) {
			if (cr->alive)
				continue;
			wedged(cr, (int)left);
			return -1;
		}
		n = read(cr->fd, cr->buf + cr->len, sizeof(cr->buf) - 1 - cr->len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			fprintf(stderr, "berth: the supervisor ended the reply without a status\n");
			return -1;
		}
		if (!cr->alive)
			drop_own_fifo(cr);
		cr->alive = true;
		cr->len += strip_keepalive(cr->buf + cr->len, n);
		cr->buf[cr->len] = '\0';
		while ((nl = strchr(cr->buf, '\n'))) {
			*nl = '\0';
			if (proto_status_line(cr->buf, &cr->status))
				return cr->status;
			on_line(ctx, cr->buf);
			cr->len -= nl + 1 - cr->buf;
			memmove(cr->buf, nl + 1, cr->len + 1);
		}
		if (cr->len == sizeof(cr->buf) - 1)
			cr->len = 0; /* a line longer than the buffer: dropped */
	}
}

void client_reply_free(struct client_reply *cr)
{
	drop_own_fifo(cr); /* an answer no longer wanted */
	if (cr->fd >= 0)
		close(cr->fd);
	if (cr->cfd >= 0)
		close(cr->cfd);
	cr->fd = cr->cfd = -1;
	free(cr->out);
	cr->out = NULL;
}

int client_call(const char *root, int argc, char *const argv[])
{
	struct client_reply cr;

	if (client_send(root, argc, argv, &cr) < 0)
		return 1;
	return client_print(&cr);
}

int client_print(struct client_reply *cr)
{
	/* `wait` too: the supervisor's keep-alives carry it to the exit */
	int status = client_collect(cr, REPLY_SILENCE_MS);

	for (char *l = cr->out, *nl; status >= 0 && l && *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(l, "@err ", 5) == 0)
			fprintf(stderr, "berth: %s\n", l + 5);
		else
			printf("%s\n", l);
		if (!nl)
			break;
	}
	client_reply_free(cr);
	return status < 0 ? 1 : status;
}

int client_ask(const char *root, int argc, char *const argv[], int timeout_ms, char **out)
{
	struct client_reply cr;

	if (client_send(root, argc, argv, &cr) < 0)
		return 125;
	return client_finish(&cr, timeout_ms, out);
}

int client_finish(struct client_reply *cr, int timeout_ms, char **out)
{
	int status = client_collect(cr, timeout_ms);

	if (status < 0)
		status = 125;
	/* error lines go to stderr, the rest to the caller */
	for (char *l = cr->out, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(l, "@err ", 5) == 0)
			fprintf(stderr, "berth: %s\n", l + 5);
		else if (out && !*out)
			*out = strdup(l);
		if (!nl)
			break;
	}
	client_reply_free(cr);
	return status;
}
