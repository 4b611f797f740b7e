/* events.h - the supervisor's lifecycle events, for `berth events`.
 *
 * Each event (container create, start, kill, die, oom, health_status,
 * restart, destroy; image tag and delete and volume create and destroy,
 * which the CLI reports with the `event` verb) is kept in a ring bounded
 * both in count (EV_RING_MAX) and in bytes (EV_RING_BYTES); the oldest go
 * first. A follower (the `events` verb) gets the kept events since a
 * time and then each new one as it happens, written without blocking: a
 * follower that lets more than EV_FOLLOWER_BYTES pile up unread is
 * disconnected with an error line telling it so, and one that went away
 * is dropped. Nothing here can make PID 1 wait.
 *
 * Wire format, one event per line, each word quoted as proto_quote does:
 *     TIME_NS TYPE ACTION ID [KEY=VALUE...]
 * The CLI (runtime/cli/cli_events.c) filters and formats them.
 *
 * The state is the module's own (one supervisor per process); the hooks
 * are single calls at the lifecycle points of init/supervisor/.
 */
#ifndef BERTH_EVENTS_H
#define BERTH_EVENTS_H

#include <stdbool.h>

#include "control.h"

#define EV_RING_MAX 512
#define EV_RING_BYTES (128 * 1024)
#define EV_FOLLOWERS_MAX 16
#define EV_FOLLOWER_BYTES (256 * 1024)

struct ctr;

/* Watch followers on epfd with the event tag kind; replies go where ctl
 * allows them (its reply directory and checks). */
void ev_init(int epfd, int kind, struct ctl_server *ctl);

/* Record an event and send it to the followers. attrs: "KEY=VALUE"
 * strings, n of them (sorted by the CLI). */
void ev_emit(const char *type, const char *action, const char *id, char *const *attrs, int n);

/* A container's event, with its image, name and labels as attributes,
 * plus one more "KEY=VALUE" made from fmt when fmt is not NULL. */
void ev_ctr(const struct ctr *c, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Its exit: oom first when the kernel killed it, then die with exitCode. */
void ev_ctr_exit(const struct ctr *c);
/* Its health changed: "health_status: healthy". */
void ev_ctr_health(const struct ctr *c);

/* The control verbs `events [SINCE_NS [UNTIL_NS]]` (may defer: the
 * request becomes a follower) and `event TYPE ACTION ID [KEY=VALUE...]`
 * (the CLI's image and volume events). False when req is neither. */
bool ev_request(struct proto_request *req, struct ctl_reply *r, int *status, bool *deferred);

/* A follower became writable, or its reader went away. */
void ev_follower_ready(void *follower, unsigned events);

#endif
