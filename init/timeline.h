/* timeline.h - boot milestones with monotonic timestamps.
 *
 * Each milestone goes to /dev/kmsg as it happens and is kept in memory for
 * `berth boot`. The list survives PID 1's re-exec after the root move by
 * travelling in the BERTH_TIMELINE environment variable.
 */
#ifndef BERTH_TIMELINE_H
#define BERTH_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#define TIMELINE_MAX 32
#define TIMELINE_ENV "BERTH_TIMELINE"

void timeline_mark(const char *name);
/* Restore milestones from the environment (after re-exec). */
void timeline_restore(void);
/* "name=ns,name=ns" for the environment of the re-exec'd PID 1. */
int timeline_serialize(char *buf, size_t size);
/* The table `berth boot` prints; returns bytes written (truncated to size). */
size_t timeline_format(char *buf, size_t size);
/* Nanoseconds of a milestone, or 0 when not reached. */
uint64_t timeline_get(const char *name);

#endif
