/* containers.h - the supervisor's side of containers.
 *
 * PID 1 (or `berth daemon`) owns every container: it starts them with
 * sb_start_begin() as its own children (a start is finished from the
 * loop when the child has exec'd or failed; its request is answered
 * then), holds their stdout/stderr pipes and writes the logs itself (no
 * shim processes), reaps them, records state, stops them with SIGTERM and
 * a grace period, and removes them. All of it
 * runs inside the supervisor's epoll loop and never blocks on a container.
 *
 * Interactive containers: with -t PID 1 makes a pty at each start (the
 * slave is the container's stdio and /dev/console, the master stays here
 * and is logged as stdout); with -i and no -t, a stdin pipe. Verbs:
 *   attach ID          make <root>/run/berth/attach/<id>/{in,out} (0600 FIFOs
 *                      in a 0700 directory; "out" only with -t) and reply
 *                      with the directory. The CLI opens "out" for reading,
 *                      then "in" for writing. Input from "in" goes to the
 *                      master or the stdin pipe; the master's output also
 *                      goes to "out". Buffers are bounded: a lagging CLI
 *                      pauses the master, a gone one ends the session (and,
 *                      without -t, closes the container's stdin, as Docker's
 *                      StdinOnce). The session ends at the container's exit
 *                      before any wait is answered.
 *   resize ID ROWS COLS  the pty's window size, now or at the next start.
 */
#ifndef BERTH_CONTAINERS_H
#define BERTH_CONTAINERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "control.h"

struct ctrs;

/* Event tags the supervisor routes to ctrs_event(). */
#define EV_CTR_LOG 20
#define EV_CTR_TIMER 21
#define EV_CTR_ATTACH 22
#define EV_CTR_HEALTH 23
#define EV_CTR_PIDFD 24
#define EV_CTR_START 25

/* adopt: containers still running as recorded (same pid and start time)
 * whose output descriptors the handover registry brings back are kept,
 * not ended (PID 1 after a fault, a daemon started again). */
struct ctrs *ctrs_open(const char *root, bool pid1, bool adopt, int epfd,
		       struct ctl_server *ctl);
/* The bridge's address (default 172.17.0.1/16) for bridge containers;
 * addresses of containers that do not run go back to the pool. */
void ctrs_set_bridge(struct ctrs *cs, const char *cidr);
/* A container's pipe or the stop timer is ready. */
void ctrs_event(struct ctrs *cs, void *tag, unsigned events);
/* Free removed containers: call after each batch of epoll events, as a
 * later event of the same batch may still point into one. */
void ctrs_reclaim(struct ctrs *cs);
/* Called for every reaped child; true if it was a container. */
bool ctrs_reaped(struct ctrs *cs, pid_t pid, int status);
/* Control verbs; false if the verb is not a container verb. */
bool ctrs_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status,
		  bool *deferred);
/* Stop every container (SIGTERM, their grace periods, SIGKILL), waiting at
 * most max_ms; used at shutdown. */
void ctrs_shutdown(struct ctrs *cs, int max_ms);

#endif
