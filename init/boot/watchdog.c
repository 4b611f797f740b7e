#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/watchdog.h>

#include "runtime/lib/log.h"

static void arm_timer(struct watchdog *w)
{
	uint64_t ms = (uint64_t)w->timeout * 1000 / 2;
	struct itimerspec its = {
	    .it_interval = {ms / 1000, (ms % 1000) * 1000000},
	    .it_value = {ms / 1000, (ms % 1000) * 1000000},
	};

	timerfd_settime(w->timerfd, 0, &its, NULL);
}

int wd_open(struct watchdog *w, const char *path, int seconds, struct berr *e)
{
	int t = seconds;

	w->fd = open(path, O_WRONLY | O_CLOEXEC);
	if (w->fd < 0)
		return berr_set(e, errno, "open %s", path);
	if (ioctl(w->fd, WDIOC_SETTIMEOUT, &t) < 0) {
		int err = errno;
		/* Without a settable timeout the driver's own one stands. */
		if (ioctl(w->fd, WDIOC_GETTIMEOUT, &t) < 0 || t <= 0) {
			wd_close(w);
			return berr_set(e, err, "%s: set timeout %d s", path, seconds);
		}
		log_warn("watchdog: cannot set %d s (%s); the driver's %d s stands", seconds,
			 strerror(err), t);
	}
	w->timeout = t > 0 ? t : seconds;
	w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->timerfd < 0) {
		int err = errno;
		wd_close(w);
		return berr_set(e, err, "watchdog timer");
	}
	ioctl(w->fd, WDIOC_KEEPALIVE, 0);
	arm_timer(w);
	return 0;
}

void wd_pet(struct watchdog *w)
{
	uint64_t ticks;

	if (w->timerfd >= 0)
		(void)!read(w->timerfd, &ticks, sizeof(ticks));
	if (w->fd >= 0 && ioctl(w->fd, WDIOC_KEEPALIVE, 0) < 0)
		log_err("watchdog: keepalive: %s", strerror(errno));
}

void wd_set_timeout(struct watchdog *w, int seconds)
{
	int t = seconds;

	if (w->fd < 0)
		return;
	if (ioctl(w->fd, WDIOC_SETTIMEOUT, &t) == 0 && t > 0) {
		w->timeout = t;
		arm_timer(w);
	}
	wd_pet(w);
}

void wd_close(struct watchdog *w)
{
	if (w->fd >= 0) {
		/* The magic close: the driver stops the watchdog. */
		if (write(w->fd, "V", 1) != 1)
			log_err("watchdog: magic close: %s", strerror(errno));
		close(w->fd);
		log_info("watchdog: stopped (magic close)");
	}
	w->fd = -1;
	if (w->timerfd >= 0)
		close(w->timerfd);
	w->timerfd = -1;
}
