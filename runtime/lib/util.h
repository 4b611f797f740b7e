/* util.h - small file and process helpers shared by PID 1 and the CLI. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Cleanup helpers (docs/architecture.md, "Conventions in the code"):
 * `_cleanup_fd_ int fd = -1;` */
void cleanup_fd(int *fd);
void cleanup_free(void *p);
#define _cleanup_fd_ __attribute__((cleanup(cleanup_fd)))
#define _cleanup_free_ __attribute__((cleanup(cleanup_free)))

/* Hand ownership of a cleanup-managed value to the caller. */
static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *r = *p;
	*p = NULL;
	return r;
}

/* Strip leading and trailing whitespace in place; returns the start. */
char *strstrip(char *s);

/* Start argv (argv[0] is a path) with `input` on stdin (NULL: /dev/null)
 * and stdout+stderr on outfd (< 0: /dev/null), optionally in a new session.
 * 0 or -errno; the pid goes to *pid. */
BERR_MUST int spawn_cmd(char *const argv[], const char *input, int outfd, bool new_session,
			pid_t *pid);
/* Wait for one child: its exit status (0..255, 128+signal) or -errno. */
BERR_MUST int wait_pid(pid_t pid);
/* SIGKILL pid and reap it; its status says nothing (we killed it). */
void kill_and_reap(pid_t pid);
/* spawn_cmd + wait_pid. */
BERR_MUST int run_wait(char *const argv[], const char *input, int logfd);

#endif
