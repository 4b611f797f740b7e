/* clock.h - the two clocks and how times are written.
 *
 * now_ns (CLOCK_MONOTONIC) is for deadlines, intervals and backoff: it
 * never jumps. wall_ns (CLOCK_REALTIME) is for what is recorded and shown:
 * a container's Created/StartedAt/FinishedAt, health-check results, log
 * lines. iso_time and iso_time_ns write a wall time in UTC as Docker does
 * (RFC 3339).
 */
#ifndef BERTH_CLOCK_H
#define BERTH_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);
/* Wall clock: nanoseconds since 1970 (UTC). */
int64_t wall_ns(void);

/* t (seconds since 1970) as "2006-01-02T15:04:05Z": image configs and
 * history, volumes' CreatedAt. */
void iso_time(int64_t t, char *buf, size_t size);
/* t (seconds since 1970) as Go's time.String() in UTC, "2006-01-02
 * 15:04:05 +0000 UTC": Docker's CreatedAt in ps and images listings. */
void go_time(int64_t t, char *buf, size_t size);
/* ns (since 1970) as "2006-01-02T15:04:05.999999999Z", Docker's form in
 * inspect and logs; 0 or less is Go's zero time "0001-01-01T00:00:00Z". */
void iso_time_ns(int64_t ns, char *buf, size_t size);

#endif
