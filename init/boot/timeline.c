#include "timeline.h"

#include <stdio.h>
#include <string.h>

#include "runtime/lib/log.h"
#include "runtime/lib/clock.h"

struct milestone {
	char name[24];
	uint64_t ns;
};

static struct milestone marks[TIMELINE_MAX];
static int nmarks;

/* In time order: a phase that ran on a thread of its own is marked late. */
static void add(const char *name, uint64_t ns)
{
	int i = nmarks;

	if (nmarks >= TIMELINE_MAX)
		return;
	while (i > 0 && marks[i - 1].ns > ns) {
		marks[i] = marks[i - 1];
		i--;
	}
	snprintf(marks[i].name, sizeof(marks[i].name), "%s", name);
	marks[i].ns = ns;
	nmarks++;
}

void timeline_mark(const char *name)
{
	timeline_mark_at(name, now_ns());
}

void timeline_mark_at(const char *name, uint64_t ns)
{
	add(name, ns);
	log_info("boot: %s at %llu.%03llu ms", name, (unsigned long long)(ns / 1000000),
		 (unsigned long long)(ns / 1000 % 1000));
}

uint64_t timeline_get(const char *name)
{
	for (int i = 0; i < nmarks; i++) {
		if (strcmp(marks[i].name, name) == 0)
			return marks[i].ns;
	}
	return 0;
}

size_t timeline_format(char *buf, size_t size)
{
	size_t len = 0;
	uint64_t start = nmarks ? marks[0].ns : 0;
	uint64_t prev = start;

#define APPEND(...)                                                                                \
	do {                                                                                       \
		int n_ = snprintf(buf + len, size - len, __VA_ARGS__);                             \
		if (n_ < 0 || (size_t)n_ >= size - len)                                            \
			return len;                                                                \
		len += n_;                                                                         \
	} while (0)
	buf[0] = '\0';
	APPEND("%-16s %12s %12s %10s\n", "MILESTONE", "SINCE BOOT", "SINCE INIT", "STEP");
	for (int i = 0; i < nmarks; i++) {
		uint64_t t = marks[i].ns;
		APPEND("%-16s %9llu.%02llu %9llu.%02llu %7llu.%02llu\n", marks[i].name,
		       (unsigned long long)(t / 1000000), (unsigned long long)(t / 10000 % 100),
		       (unsigned long long)((t - start) / 1000000),
		       (unsigned long long)((t - start) / 10000 % 100),
		       (unsigned long long)((t - prev) / 1000000),
		       (unsigned long long)((t - prev) / 10000 % 100));
		prev = t;
	}
	APPEND("(milliseconds, CLOCK_MONOTONIC; 'since boot' counts from the kernel's start)\n");
#undef APPEND
	return len;
}

_Static_assert(sizeof(marks) + sizeof(int) <= TIMELINE_BYTES, "TIMELINE_BYTES too small");

void timeline_save(void *dst)
{
	memcpy(dst, &nmarks, sizeof(nmarks));
	memcpy((char *)dst + sizeof(nmarks), marks, sizeof(marks));
}

void timeline_restore(const void *src)
{
	int n;

	memcpy(&n, src, sizeof(n));
	if (n < 0 || n > TIMELINE_MAX)
		return;
	memcpy(marks, (const char *)src + sizeof(n), sizeof(marks));
	nmarks = n;
	for (int i = 0; i < n; i++)
		marks[i].name[sizeof(marks[i].name) - 1] = '\0';
}
