/* err.h - caller-owned error reports.
 *
 * Fallible functions return 0 or -errno and describe what went wrong in a
 * struct berr the caller owns. Each layer may add context in front
 * ("create web: mount overlay: No space left on device"). No allocation, so
 * it is safe in PID 1, in a forked child and after a failed malloc.
 */
#ifndef BERTH_ERR_H
#define BERTH_ERR_H

#include <stddef.h>

#define BERR_MSG_MAX 512

/* On every function whose result says whether it failed (0 or -errno, a
 * length or -errno, -1): a caller that drops the result does not compile
 * (the build has -Werror). */
#define BERR_MUST __attribute__((warn_unused_result))

struct berr {
	int code;		/* positive errno, 0 when unset */
	char msg[BERR_MSG_MAX];
};

/* Record "<fmt>: strerror(code)" (or just <fmt> when code is 0 is not
 * allowed: pass EINVAL for bad input). Returns -code. */
int berr_set(struct berr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a message without appending strerror. Returns -code. */
int berr_msg(struct berr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend "<fmt>: " to the message already recorded. Returns -e->code. */
int berr_wrap(struct berr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void berr_clear(struct berr *e);

/* Drop the result of a BERR_MUST call on purpose; the call says why in a
 * comment. (GCC does not let a (void) cast silence warn_unused_result.)
 * Rarely right: cleanup after an earlier failure, a best effort whose
 * failure is already reported. */
static inline void berr_ignore(long r)
{
	(void)r;
}

#endif
