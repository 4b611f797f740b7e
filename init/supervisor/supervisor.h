/* supervisor.h - the loop PID 1 (and `berth daemon`) lives in.
 *
 * One epoll set: a signalfd (children, shutdown signals), the control FIFO,
 * pending replies and the console's respawn timer. Every child is reaped,
 * including orphans re-parented to us. Never returns in PID 1.
 */
#ifndef BERTH_SUPERVISOR_H
#define BERTH_SUPERVISOR_H

#include <stdbool.h>

#include "init/boot/console.h"
#include "runtime/lib/err.h"

enum sup_action { SUP_RUN = 0, SUP_POWEROFF, SUP_REBOOT, SUP_HALT, SUP_EXIT };

struct sup_opts {
	const char *root;	/* "" in the appliance, DIR for `berth daemon --root DIR` */
	bool pid1;
	struct console *console; /* NULL when no console shell is kept */
	const char *bridge_cidr; /* berth0's address; NULL = 172.17.0.1/16 */
	int watchdog;		/* berth.watchdog=SECONDS: pet /dev/watchdog; 0 = off */
	/* PID 1 after a fault: the handover registry inherited across the
	 * re-exec (crash.h); -1 at boot. Its containers are adopted. */
	int handover_fd;
	bool recovering;
	bool debug;		/* berth.debug: the test-only debug-fault verb works */
};

/* Run until shutdown. PID 1 ends in reboot(2); the daemon returns 0. */
BERR_MUST int sup_run(const struct sup_opts *o);

#endif
