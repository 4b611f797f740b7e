/* timeline.h - boot milestones with monotonic timestamps.
 *
 * Each milestone goes to /dev/kmsg as it happens and is kept in memory for
 * `berth boot`.
 */
#ifndef BERTH_TIMELINE_H
#define BERTH_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#define TIMELINE_MAX 32

void timeline_mark(const char *name);
/* The same for a time taken earlier (before /dev/kmsg was open). */
void timeline_mark_at(const char *name, uint64_t ns);
/* The table `berth boot` prints; returns bytes written (truncated to size). */
size_t timeline_format(char *buf, size_t size);
/* Nanoseconds of a milestone, or 0 when not reached. */
uint64_t timeline_get(const char *name);
/* The milestones as bytes (at most TIMELINE_BYTES), to carry them across
 * a re-exec of PID 1: save only copies memory (async-signal-safe, for the
 * crash handler), restore takes them back in the new process. */
#define TIMELINE_BYTES (TIMELINE_MAX * 32 + 8)
void timeline_save(void *dst);
void timeline_restore(const void *src);

#endif
