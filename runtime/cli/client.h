/* client.h - the CLI's side of the control FIFO. */
#ifndef BERTH_CLIENT_H
#define BERTH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

/* Send argv as one request to the supervisor under root ("" = appliance),
 * copy the reply to stdout (error lines to stderr) and return the status
 * the supervisor gave, or 1 with a message when it cannot be reached. */
BERR_MUST int client_call(const char *root, int argc, char *const argv[]);

/* The same in parts, for callers that do other work while waiting. */
struct client_reply {
	int fd;			/* the reply FIFO, opened non-blocking */
	int cfd;		/* the control FIFO: its queue shows a busy supervisor */
	char buf[8192];
	size_t len;
	int status;		/* from the status line, -1 until seen */
	char *out;		/* the reply's text when collected (client_collect) */
	size_t out_len, cap;
	char path[512];		/* the reply FIFO, unlinked once the answer starts */
	bool alive;		/* a byte came: the supervisor has the request */
	bool eof;		/* the reply FIFO ended */
};
/* Send a request; the reply is read with client_collect(). */
BERR_MUST int client_send(const char *root, int argc, char *const argv[], struct client_reply *cr);
/* client_call's second half: the reply of a request sent with
 * client_send() printed, cr freed; the status, 1 when there is none. */
BERR_MUST int client_print(struct client_reply *cr);
/* Read the whole reply into cr->out (no output printed). The supervisor
 * is taken for wedged after timeout_ms without a byte (keep-alives count:
 * a request it holds gets one every PROTO_KEEPALIVE_MS), unless nothing
 * came yet and it is still working through the requests queued before
 * ours; timeout_ms < 0 waits for ever (BERTH_CLIENT_TIMEOUT=SECONDS
 * replaces any other limit: tests). Returns the status, or -1 on a
 * broken reply or a supervisor that died or is wedged (message on stderr). */
BERR_MUST int client_collect(struct client_reply *cr, int timeout_ms);
/* Read what has come without blocking (keep-alive bytes dropped), for
 * callers that poll cr->fd themselves: true once the reply has ended. */
bool client_reply_done(struct client_reply *cr);
/* Read a streaming reply (events) line by line as it comes: each line but
 * the status goes to on_line. Returns the status, -1 on a broken reply
 * (message on stderr), or -ETIMEDOUT once deadline_ns (monotonic; 0:
 * none) has passed. */
BERR_MUST int client_stream(struct client_reply *cr, uint64_t deadline_ns,
			    void (*on_line)(void *ctx, char *line), void *ctx);
void client_reply_free(struct client_reply *cr);
/* client_ask's second half, for a request sent with client_send: the
 * reply collected, its error lines on stderr, its first other line into
 * *out (when out is not NULL and *out is NULL); cr freed. The status, or
 * 125. */
BERR_MUST int client_finish(struct client_reply *cr, int timeout_ms, char **out);

/* Send argv and wait up to timeout_ms for the answer: its error lines go
 * to stderr ("berth: ..."), its first other line to *out when out is not
 * NULL and *out is (malloc'd; the caller frees it). Returns the status, or
 * 125 when the supervisor could not be asked. */
BERR_MUST int client_ask(const char *root, int argc, char *const argv[], int timeout_ms,
			 char **out);

#endif
