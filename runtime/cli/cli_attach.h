/* cli_attach.h - the CLI joined to a container's stdio until it exits:
 * `berth attach`, and the attached part of `berth run`. With -t our
 * terminal is relayed (raw) to the container's pty; without, the log's new
 * lines are printed and, with -i, our stdin is fed to the container. The
 * session FIFOs come from the supervisor (`attach ID`). */
#ifndef BERTH_CLI_ATTACH_H
#define BERTH_CLI_ATTACH_H

#include <stdbool.h>

#include "client.h"
#include "flags.h"
#include "runtime/lib/err.h"

extern const struct flg_cmd cli_attach_cmd;

/* `attach CONTAINER`: join a running container's stdio until it exits. */
int cli_attach(const char *root, int argc, char **argv);

/* Open the session FIFOs PID 1 makes for id: "in" (in, with -i) into
 * *in_fd, "out" (out, with -t) into *out_fd. -1 after printing the error. */
BERR_MUST int cli_attach_open(const char *root, const char *id, bool in, bool out, int *in_fd,
			      int *out_fd);
/* Tell the supervisor our terminal's size (the pty follows it). */
void cli_attach_send_size(const char *root, const char *id);
/* Without -t: print the log's new lines from fd (opened before the start;
 * -1: none) and feed our stdin to in_fd (-1: none, closed here) until the
 * `wait` request answers; returns the container's exit code, or 125. */
BERR_MUST int cli_attach_wait(int fd, const char *id, struct client_reply *wait, int in_fd);
/* -t: our terminal raw, relayed to in_fd (-1: no -i) and from out_fd
 * (both closed here) until the `wait` answers; its exit code, or 125. */
BERR_MUST int cli_attach_tty(const char *root, const char *id, struct client_reply *wait, int in_fd,
			     int out_fd);

/* A start with our stdio joined to it (`run -t/-i`, `start -a`): the
 * session FIFOs (with tty or in) before the start, so nothing it prints
 * is missed; the `wait` before the start too, unless restart (an exited
 * container: the wait would answer at once with the last run's code, so
 * it is started first). logfd: the log opened before the start (-1 with a
 * tty), closed here. Returns the container's exit code; when it did not
 * start, the supervisor's code with start_code, else fail_rc; fail_rc
 * when the wait could not be sent. *failed (may be NULL): it did not start. */
struct cli_joined {
	bool tty, in, restart, start_code;
	int fail_rc;
	bool *failed;
};
BERR_MUST int cli_attach_start(const char *root, const char *id, int logfd,
			       const struct cli_joined *j);

#endif
