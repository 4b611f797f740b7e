/* crash.h - PID 1 survives its own faults (docs/architecture.md, "What
 * survives what").
 *
 * crash_install() gives SIGSEGV, SIGBUS, SIGABRT, SIGFPE and SIGILL a
 * handler on an alternate signal stack. On a fault it records the signal
 * and address in the handover registry's header (handover.h), saves the
 * boot timeline there, clears close-on-exec on every registered
 * descriptor (log pipes, pty masters, stdin pipes, the control FIFO) and
 * on the registry's memfd, notes the fault on /dev/kmsg and re-execs the
 * sealed memfd copy of berth (/proc/self/exe) as `init --recover FD`.
 * PID 1's children, the containers, survive exec; the new process adopts
 * them (ctr_adopt.c). Everything the handler does is async-signal-safe.
 *
 * crash_recovering() is that new process's check: how many faults came
 * within CRASH_WINDOW_S seconds; more than CRASH_MAX_FAULTS means a crash
 * loop, and init then gives the console an emergency shell instead of
 * the supervisor, leaving the containers running.
 */
#ifndef BERTH_CRASH_H
#define BERTH_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CRASH_MAX_FAULTS 3
#define CRASH_WINDOW_S 60

/* console_pid: where the console shell's pid is kept (it survives too). */
void crash_install(const pid_t *console_pid);
/* Faults within the window, counting the latest; 0 without a registry. */
int crash_recent_faults(void);
/* "3 (last: SIGSEGV at 0x0, 2026-12-05T21:40:00Z)" or "none". */
void crash_describe(char *buf, size_t size);
/* The test-only fault: refused (false) unless enabled at boot. */
void crash_enable_injection(bool on);
bool crash_injection_enabled(void);
/* Fault now, for real (a NULL write for SIGSEGV, abort() for SIGABRT,
 * raise() for the others). */
void crash_inject(int signo);

#endif
