/* proto.h - the control FIFO protocol (docs/architecture.md, "The control
 * protocol"), both ends.
 *
 * A request is one line of at most PROTO_LINE_MAX bytes (PIPE_BUF, so
 * concurrent writers never interleave):
 *
 *     [@REPLY-FIFO] VERB [ARG...]\n
 *
 * Words are separated by blanks and quoted as in the shell: '...' keeps
 * everything literally, "..." allows \" and \\, a backslash outside quotes
 * escapes the next byte. Control bytes (other than tab) are refused, so
 * binary garbage gets a clear error. An operator may type `echo ps >
 * /run/berth/control` without a reply FIFO; the answer then goes to the log.
 *
 * A reply is any number of text lines followed by one status line
 * "@status N"; N becomes the CLI's exit code. While the supervisor holds a
 * request it answers later (a start under way, wait, rm -f, events), it
 * keeps the reply FIFO open and writes a keep-alive byte (PROTO_KEEPALIVE,
 * never part of a reply) at once and every PROTO_KEEPALIVE_MS: the CLI
 * waits as long as those come, and sees the end of the FIFO if the
 * supervisor dies.
 */
#ifndef BERTH_PROTO_H
#define BERTH_PROTO_H

#include <stddef.h>

#include "err.h"

#define PROTO_LINE_MAX 4096
#define PROTO_ARGS_MAX 256
#define PROTO_STATUS_PREFIX "@status "
#define PROTO_KEEPALIVE '\0'
#define PROTO_KEEPALIVE_MS 1000

struct proto_request {
	const char *reply;	/* reply FIFO path, or NULL */
	int argc;
	char *argv[PROTO_ARGS_MAX + 1];
};

/* Split `line` (NUL-terminated, no trailing newline needed) in place into
 * words. Returns the number of words or -EINVAL with a reason in e. */
BERR_MUST int proto_split(char *line, char **argv, int max, struct berr *e);

/* Parse one request line in place. An empty line gives argc 0. */
BERR_MUST int proto_parse_request(char *line, struct proto_request *req, struct berr *e);

/* Append `arg`, quoted so proto_split gives it back unchanged, to buf at
 * *len. Returns 0 or -ENOSPC. */
BERR_MUST int proto_quote(char *buf, size_t size, size_t *len, const char *arg);

/* Build a full request line (with newline) from argv. Returns its length or
 * -E2BIG when it would exceed PROTO_LINE_MAX. */
BERR_MUST int proto_format_request(char *buf, size_t size, const char *reply, int argc,
				   char *const argv[], struct berr *e);

/* If `line` is a status line, store its code and return 1; else 0. */
int proto_status_line(const char *line, int *code);

#endif
