/* console.h - the operator's shell on the serial console.
 *
 * PID 1 runs a busybox shell (or, with berth.console=restricted, the berth
 * command prompt) on the console's real tty so job control works, and
 * starts it again when it exits: at once if it ran for a while, otherwise
 * after a delay that doubles up to 10 s, so a broken shell cannot spin.
 */
#ifndef BERTH_CONSOLE_H
#define BERTH_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmdline.h"
#include "runtime/lib/err.h"

struct console {
	enum console_mode mode;
	pid_t pid;
	int timerfd;		/* armed while a respawn is pending */
	uint64_t started_ns;
	unsigned delay_ms;
	char tty[64];
	const char *banner;	/* printed before the shell starts (emergency) */
};

BERR_MUST int console_init(struct console *c, enum console_mode mode);
void console_start(struct console *c);
/* Called for every reaped pid; true if it was the console's shell. */
bool console_reaped(struct console *c, pid_t pid, int status);
/* The respawn timer fired. */
void console_timer(struct console *c);

#endif
