/* watchdog.h - the hardware watchdog (berth.watchdog=SECONDS).
 *
 * PID 1 opens /dev/watchdog, sets the timeout (WDIOC_SETTIMEOUT) and pets
 * it from its epoll loop on a timerfd at half the timeout: if the loop
 * stops turning, the machine resets. At a clean shutdown the timeout is
 * raised to cover the shutdown's own waits, and the magic 'V' is written
 * just before reboot(2), so the watchdog is stopped, not tripped.
 */
#ifndef BERTH_WATCHDOG_H
#define BERTH_WATCHDOG_H

#include "runtime/lib/err.h"

struct watchdog {
	int kind;    /* the supervisor's event tag: first */
	int fd;	     /* /dev/watchdog, -1 = off */
	int timerfd; /* fires at half the timeout */
	int timeout; /* seconds, as the driver took it */
};

/* Open and arm; path is "/dev/watchdog" in the appliance. */
BERR_MUST int wd_open(struct watchdog *w, const char *path, int seconds, struct berr *e);
/* The timer fired: pet. */
void wd_pet(struct watchdog *w);
/* A new timeout (shutdown), then pet. */
void wd_set_timeout(struct watchdog *w, int seconds);
/* Stop it cleanly: magic close. */
void wd_close(struct watchdog *w);

#endif
