/* stats.h - what `berth stats` shows, computed as `docker stats` does.
 *
 * Pure functions, no I/O: the CLI reads the files and hands their text in.
 *   st_parse_netdev   the text of /proc/PID/net/dev (the container's network
 *                     namespace): bytes received and sent on every
 *                     interface but lo, summed (Docker sums its networks).
 *   st_parse_iostat   a cgroup v2 io.stat: rbytes and wbytes of every
 *                     device, summed (Docker's BLOCK I/O).
 *   st_size_binary    Docker's units.BytesSize: "%.4g" and B, KiB, MiB, ...
 *                     (MEM USAGE / LIMIT).
 *   st_size_decimal   Docker's units.HumanSizeWithPrecision(x, 3): "%.3g"
 *                     and B, kB, MB, ... (NET I/O, BLOCK I/O).
 *   st_percent        "12.34%", as Docker's CPU % and MEM %.
 *   st_keyed          the number after "KEY " in a flat keyed file
 *                     (memory.stat's inactive_file), 0 if absent.
 * Lines a parser does not understand are skipped: the kernel writes these
 * files, and a line format it adds later must not break stats.
 */
#ifndef BERTH_STATS_H
#define BERTH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct st_io {
	uint64_t rx, tx; /* network: received, sent */
	uint64_t rd, wr; /* block: read, written */
};

void st_parse_netdev(const char *text, struct st_io *io);
void st_parse_iostat(const char *text, struct st_io *io);
void st_size_binary(double bytes, char *buf, size_t size);
void st_size_decimal(double bytes, char *buf, size_t size);
void st_percent(double pct, char *buf, size_t size);
/* CPU % over an interval: usage grown by du microseconds in secs seconds
 * (100 % = one CPU busy, as Docker's on cgroup v2 when not divided). */
double st_cpu_percent(int64_t du, double secs);
uint64_t st_keyed(const char *text, const char *key);
/* Docker's memory use on cgroup v2: memory.current less inactive_file. */
int64_t st_mem_usage(int64_t current, uint64_t inactive_file);

#endif
