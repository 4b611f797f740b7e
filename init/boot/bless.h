/* bless.h - a trial boot of an update slot (docs/disk-image.md).
 *
 * When systemd-boot booted an entry that still counts its tries (it set
 * LoaderBootCountPath), PID 1 arms the watchdog (berth.watchdog, or
 * BLESS_WATCHDOG seconds when not given), so a hang becomes a reset and
 * burns a try, and starts the mark-good child, `berth update bless
 * --grace berth.update-grace`, which drops the counter once the box is
 * healthy. Nothing happens on a boot without UEFI or without a counter.
 */
#ifndef BERTH_BLESS_H
#define BERTH_BLESS_H

#include "cmdline.h"

#define BLESS_WATCHDOG 30

/* After the network and the data disk phases, before the supervisor
 * starts (it reads p->watchdog). */
void bless_boot(struct boot_params *p);

#endif
