/* keeper.h - the descriptor keeper of `berth daemon` (handover.c's
 * daemon side).
 *
 * One small process per daemon root (not per container), listening on
 * <root>/run/berth/keeper.sock (SOCK_SEQPACKET, 0600 in a 0700 directory).
 * It holds a copy of every descriptor the daemon registers, so a daemon
 * killed with SIGKILL leaves the containers' pipes, pty masters and the
 * control FIFO open: containers never see EPIPE or a hangup, and a daemon
 * started again takes them back. It reads nothing from them. It ends when
 * the daemon says goodbye (a clean exit) or its socket is gone.
 * Messages: "P" NAME + fd (put), "D" NAME (drop), "L" (list: answered
 * with "E" NAME + fd per entry, then "Z"), "B" (goodbye).
 */
#ifndef BERTH_KEEPER_H
#define BERTH_KEEPER_H

#include "runtime/lib/err.h"

struct keeper_fd {
	int fd;
	char name[80];
};

/* Connect to root's keeper, starting one if there is none, and take a
 * copy of everything it holds (*got: malloc'd, *n entries). Returns the
 * connected socket. */
BERR_MUST int keeper_connect(const char *root, struct keeper_fd **got, int *n, struct berr *e);
/* Never block: -1 with errno when the keeper does not take it now. */
int keeper_put(int sock, const char *name, int fd);
int keeper_drop(int sock, const char *name);
void keeper_bye(int sock);

#endif
