/* restart.h - restart policies and their backoff, as Docker's restart
 * manager has them; pure logic, no clock and no I/O.
 *
 * Policies: "no", "always", "unless-stopped", "on-failure[:N]" (N > 0: at
 * most N restarts after the last manual start). After each exit the
 * supervisor asks rp_decide() whether and when to start it again: the
 * delay starts at 100 ms and doubles each restart up to 1 min, and goes
 * back to 100 ms when the container had run for 10 s or more. A container
 * the user stopped (stop, kill) is not restarted. At supervisor start,
 * rp_start_at_boot() tells which exited containers to start again.
 */
#ifndef BERTH_RESTART_H
#define BERTH_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/lib/err.h"

#define RP_DELAY_MIN_MS 100ull
#define RP_DELAY_MAX_MS 60000ull
#define RP_RESET_AFTER_MS 10000ull

enum rp_kind { RP_NO, RP_ALWAYS, RP_ON_FAILURE, RP_UNLESS_STOPPED };

struct rp_policy {
	enum rp_kind kind;
	int max_retries; /* on-failure only; 0 = no limit */
};

/* Parse a policy as `--restart` takes it (NULL or "" = "no"). Docker's
 * messages on bad input ("invalid restart policy: ..."); -EINVAL. */
BERR_MUST int rp_parse(const char *spec, struct rp_policy *p, struct berr *e);
/* "no", "always", "on-failure", "unless-stopped". */
const char *rp_name(enum rp_kind k);

/* The restart state the supervisor keeps for a container. */
struct rp_track {
	uint64_t delay_ms; /* the last delay used; 0 = none yet */
	int count;	   /* restarts since the last manual start (on-failure:N) */
};

/* After an exit: true when the container is to be started again, with the
 * wait in *delay_ms. failed: the exit counts as a failure (exit code not
 * 0, or it was killed for being unhealthy); ran_ms: how long it ran;
 * manual: the user stopped or killed it. Advances t when true. */
bool rp_decide(const struct rp_policy *p, struct rp_track *t, bool failed, uint64_t ran_ms,
	       bool manual, uint64_t *delay_ms);

/* At supervisor start, for a container not running: always, or
 * unless-stopped that the user did not stop. */
bool rp_start_at_boot(const struct rp_policy *p, bool manual);

#endif
