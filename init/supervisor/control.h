/* control.h - the control FIFO server (docs/architecture.md, "The control
 * protocol").
 *
 * PID 1 opens <root>/run/berth/control read-write (so it never sees EOF),
 * reads without blocking, splits lines, and answers each request on the
 * reply FIFO the request names. Reply paths must be plain names inside
 * <root>/run/berth/reply/, must be FIFOs owned by us, and are opened without
 * following symlinks and without blocking. A reply that does not fit the
 * pipe at once is kept and written as the client drains it; a client that
 * vanished is dropped. Nothing a client sends can stop the server.
 *
 * A deferred request's reply FIFO is opened when the handler defers it and
 * held until ctl_send() answers it (or the client goes): a keep-alive byte
 * (PROTO_KEEPALIVE) goes out at once and every PROTO_KEEPALIVE_MS, so the
 * CLI knows the request is in hand and the supervisor alive; held FIFOs
 * are close-on-exec, so a fault's re-exec ends them (the CLI sees EOF).
 *
 * Legitimate writers write whole lines (at most PIPE_BUF bytes) in one
 * write. A line left unfinished is dropped (and logged) when it has not
 * been finished within CTL_PARTIAL_MS, or as soon as a new request starts
 * ("@" and the reply directory, as every CLI request does); so is a line
 * over the limit. One bad writer cannot stall the next client.
 */
#ifndef BERTH_CONTROL_H
#define BERTH_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lib/err.h"
#include "runtime/lib/proto.h"

/* An unfinished line older than this is dropped. */
#define CTL_PARTIAL_MS 250
#define CTL_PARTIAL_TEXT "250 ms"

struct ctl_reply {
	char *buf;
	size_t len, cap;
	bool truncated;
};

void reply_printf(struct ctl_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error line: the CLI prints it on stderr. */
void reply_error(struct ctl_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_write(struct ctl_reply *r, const void *data, size_t len);

/* Pending output to one client, watched by the supervisor's epoll. */
struct ctl_out {
	int kind; /* first: the supervisor's event tag */
	int fd;
	char *buf;
	size_t len, off;
	struct ctl_out *next;
};

/* A deferred request's reply FIFO, held open until it is answered. */
struct ctl_held {
	char *path;
	int fd;
	struct ctl_held *next;
};

/* A handler fills the reply and status; it may set *deferred to answer
 * later with ctl_send() (it must then copy req->reply). */
typedef void (*ctl_handler)(void *ctx, struct proto_request *req, struct ctl_reply *reply,
			    int *status, bool *deferred);

struct ctl_server {
	int kind;
	int fd;
	int epfd;
	int out_kind;
	char path[512];
	char reply_dir[512];
	char buf[PROTO_LINE_MAX + 1];
	size_t len;
	bool discarding; /* inside an over-long line */
	uint64_t partial_since; /* monotonic ns: the unfinished line's start, 0 = none */
	struct {
		int kind; /* the FIFO's kind: its events go to ctl_readable() too */
		int fd;
	} timer;
	bool timer_armed;
	struct ctl_out *pending;
	struct ctl_held *held;
	uint64_t keep_due;	/* monotonic ns: the next keep-alive */
	uid_t euid;		/* whose reply FIFOs are answered: ours */
	/* The last reply's buffer, for the next (a storm of `ps` would
	 * otherwise allocate, fault in and give back one every request). */
	char *spare;
	size_t spare_cap;
};

/* Create the directories and the FIFO under root ("" for the appliance);
 * inherited: the FIFO's descriptor from an earlier process (handover.h),
 * used when it is still the FIFO at that path (requests written while no
 * supervisor ran are then still in it), else closed; -1 = none. */
BERR_MUST int ctl_open(struct ctl_server *s, const char *root, int epfd, int kind, int out_kind,
		       int inherited, struct berr *e);
/* The control FIFO (or its partial-line timer) is readable: read and
 * handle every complete line, drop a stale unfinished one. */
void ctl_readable(struct ctl_server *s, ctl_handler handle, void *ctx);
/* A pending client became writable (or hung up). */
void ctl_out_ready(struct ctl_server *s, struct ctl_out *o, unsigned events);
/* Open a client's reply FIFO for writing, non-blocking, after the checks
 * above; -1 (logged) when it is refused or gone. */
int ctl_open_reply(struct ctl_server *s, const char *path);
/* Send a reply (the status line is added) to a client's reply FIFO; r->buf
 * may be taken (set to NULL): the caller frees what is left. */
void ctl_send(struct ctl_server *s, const char *path, struct ctl_reply *r, int status);
/* Try to flush everything pending within timeout_ms (used before shutdown). */
void ctl_flush(struct ctl_server *s, int timeout_ms);

/* Checks a reply path names a plain entry directly inside dir. */
bool ctl_reply_path_ok(const char *dir, const char *path);

#endif
