/* duration.h - durations as Go writes them (time.ParseDuration and
 * Duration.String), which is what Docker takes for --health-interval and
 * HEALTHCHECK --interval and prints in inspect. Pure libc.
 *
 * The grammar: an optional sign, then one or more decimal numbers, each
 * with an optional fraction and a unit: "300ms", "-1.5h", "2h45m",
 * "1h2m3.5s". Units are ns, us (or µs, in either of its code points), ms,
 * s, m, h. A bare number is refused except "0". Values are nanoseconds.
 */
#ifndef BERTH_DURATION_H
#define BERTH_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* s as nanoseconds: 0, or -EINVAL with "time: invalid duration \"s\""
 * in e (bad syntax, an unknown or missing unit, past int64). */
BERR_MUST int duration_parse(const char *s, int64_t *ns, struct berr *e);

/* A duration as Go prints it ("30s", "1m30s", "500ms", "1h0m1.5s"). */
void duration_format(int64_t ns, char *buf, size_t size);

#endif
