/* handover.h - descriptors that outlive the supervisor's process
 * (docs/architecture.md, "What survives what").
 *
 * The supervisor registers every descriptor a successor must take back:
 * the control FIFO ("control"), each running container's output pipes or
 * pty master ("<id>.out", "<id>.err") and stdin pipe ("<id>.in"), and a
 * pidfd of each start's child while the start is under way ("<id>.start":
 * the successor ends it, ctr_adopt.c). The
 * registry lives in a memfd mapped shared, so nothing has to be written
 * when the process dies:
 *   PID 1      on a fault, crash.c clears close-on-exec on every registered
 *              descriptor and on the memfd, and re-execs berth with the
 *              memfd's number; the new process maps it again (hov_open
 *              with that fd) and takes the descriptors back by name. The
 *              header also carries the fault history, the console's pid
 *              and the boot timeline.
 *   daemon     a keeper process (keeper.c) holds a copy of each registered
 *              descriptor; `berth daemon` started again after SIGKILL
 *              takes them back from it (hov_open_keeper).
 * Names are at most HOV_NAME_MAX - 1 bytes. Every function is safe to call
 * when the registry could not be set up (it then does nothing).
 */
#ifndef BERTH_HANDOVER_H
#define BERTH_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lib/err.h"

#define HOV_NAME_MAX 76
#define HOV_MAX 8192 /* descriptors */
#define HOV_FAULTS 8 /* remembered faults */

struct hov_fault {
	uint64_t mono_ns;	/* CLOCK_MONOTONIC */
	int64_t wall_ns;
	int signo;
	uintptr_t addr;
};

/* The memfd's first bytes. */
struct hov_header {
	uint32_t magic, count;
	pid_t console_pid;	/* the console shell, a child that survives exec */
	uint32_t nfaults;	/* total since boot */
	struct hov_fault faults[HOV_FAULTS]; /* the latest, faults[(nfaults-1) % HOV_FAULTS] */
	unsigned char timeline[1100];	/* timeline_save() */
	unsigned char datadisk[400];	/* dd_save() */
};

/* PID 1: map the registry inherited as memfd fd (-1: a fresh one). The
 * descriptors it lists are then available to hov_take(). A second call
 * does nothing. */
BERR_MUST int hov_open(int fd, struct berr *e);
/* berth daemon: take the descriptors of an earlier daemon's keeper under
 * root, or start a keeper; registered descriptors are copied to it. */
BERR_MUST int hov_open_keeper(const char *root, struct berr *e);
/* Register (replacing any entry of that name) and unregister by fd. */
void hov_put(int fd, const char *name);
void hov_drop(int fd);
/* A descriptor an earlier process left under name, now ours (and no
 * longer registered: put it again to keep it across the next crash);
 * -1 if there is none. */
int hov_take(const char *name);
/* Close what nobody took (containers that ended meanwhile). */
void hov_take_done(void);
/* A clean daemon exit: the keeper lets go of everything and ends. */
void hov_bye(void);

/* For crash.c: the mapped header (NULL without a registry), the memfd,
 * and each registered fd (async-signal-safe: reads the mapping only). */
struct hov_header *hov_header(void);
int hov_memfd(void);
int hov_fd_at(uint32_t i);

#endif
