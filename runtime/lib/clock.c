/* clock.c - monotonic and wall-clock time, and RFC 3339 text; see
 * clock.h. */
#include "clock.h"

#include <stdio.h>
#include <time.h>

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void utc_time(int64_t t, const char *fmt, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, fmt, &tm);
}

void iso_time(int64_t t, char *buf, size_t size)
{
	utc_time(t, "%Y-%m-%dT%H:%M:%SZ", buf, size);
}

void go_time(int64_t t, char *buf, size_t size)
{
	utc_time(t, "%Y-%m-%d %H:%M:%S +0000 UTC", buf, size);
}

void iso_time_ns(int64_t ns, char *buf, size_t size)
{
	time_t t = ns / 1000000000;
	struct tm tm;
	char base[32];

	if (ns <= 0) {
		snprintf(buf, size, "0001-01-01T00:00:00Z");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09lldZ", base, (long long)(ns % 1000000000));
}
