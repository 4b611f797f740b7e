/* stats.c - parsing and formatting for `berth stats` (see stats.h). */
#include "stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines of /proc/net/dev after its two header lines:
 * "  eth0: RXBYTES RXPACKETS ... (8 receive fields) TXBYTES ..." */
void st_parse_netdev(const char *text, struct st_io *io)
{
	const char *line = text;

	while (line && *line) {
		const char *colon = strchr(line, ':'), *nl = strchr(line, '\n');
		const char *name = line;
		unsigned long long f[9];

		while (*name == ' ')
			name++;
		if (colon && (!nl || colon < nl) && strncmp(name, "lo:", 3) != 0 &&
		    sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
			   &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8]) == 9) {
			io->rx += f[0];
			io->tx += f[8];
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
void st_parse_iostat(const char *text, struct st_io *io)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);

		for (const char *p = line; p < end; p++) {
			uint64_t *to = NULL;

			if (p != line && p[-1] != ' ')
				continue;
			if (strncmp(p, "rbytes=", 7) == 0)
				to = &io->rd;
			else if (strncmp(p, "wbytes=", 7) == 0)
				to = &io->wr;
			if (to)
				*to += strtoull(p + 7, NULL, 10);
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* go-units' CustomSize: divide by base while it is at least base. */
static void custom_size(double v, double base, const char *const *u, int nu, int prec,
			char *buf, size_t size)
{
	int i = 0;

	if (v < 0)
		v = 0;
	while (v >= base && i < nu - 1) {
		v /= base;
		i++;
	}
	snprintf(buf, size, "%.*g%s", prec, v, u[i]);
}

void st_size_binary(double bytes, char *buf, size_t size)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

	custom_size(bytes, 1024.0, u, 7, 4, buf, size);
}

void st_size_decimal(double bytes, char *buf, size_t size)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };

	custom_size(bytes, 1000.0, u, 7, 3, buf, size);
}

void st_percent(double pct, char *buf, size_t size)
{
	snprintf(buf, size, "%.2f%%", pct < 0 ? 0.0 : pct);
}

double st_cpu_percent(int64_t du, double secs)
{
	if (du <= 0 || secs <= 0)
		return 0.0;
	return du / (secs * 1e4);
}

uint64_t st_keyed(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	}
	return 0;
}

int64_t st_mem_usage(int64_t current, uint64_t inactive_file)
{
	if (current <= 0)
		return 0;
	return (uint64_t)current > inactive_file ? current - (int64_t)inactive_file : current;
}
