/* etchosts.c - the text of a bridge container's /etc/hosts: one line per
 * container, the base lines first. See etchosts.h. */
#include "etchosts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append to buf (size bytes, off used, cut at size - 1); the length it
 * would have. */
static size_t put(char *buf, size_t size, size_t off, const char *fmt, const char *a,
		  const char *b, const char *c)
{
	size_t at = off < size ? off : size - 1;
	int n = snprintf(buf + at, size - at, fmt, a, b, c);

	return off + (n > 0 ? (size_t)n : 0);
}

size_t etchosts_line(const struct etchosts_entry *h, char *buf, size_t size)
{
	bool both = strcmp(h->hostname, h->name) != 0;
	size_t n;

	if (size == 0)
		return 0;
	n = put(buf, size, 0, "%s\t%.63s%s", h->ip, h->hostname, "");
	n = put(buf, size, n, "%s%s%s", both ? " " : "", both ? h->name : "", "");
	for (char *const *a = h->aliases; a && *a; a++) {
		if (n + strlen(*a) + 2 < ETCHOSTS_LINE_MAX && strcmp(*a, h->name) != 0)
			n = put(buf, size, n, "%s%s%s", " ", *a, "");
	}
	n = put(buf, size, n, "%s%s%s", "\n", "", "");
	return n < size ? n : size - 1;
}

/* ETCHOSTS_LINE_MAX bytes a line: an address, a hostname cut at 63, a
 * container name (under 128, CTR_NAME_MAX) and the aliases that fit. */
char *etchosts_text(const struct etchosts_entry *self, const struct etchosts_entry *others,
		    size_t n, size_t *len)
{
	static const char base[] = ETCHOSTS_BASE;
	size_t cap = sizeof(base) + ETCHOSTS_LINE_MAX * (n + 1), off;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	memcpy(buf, base, sizeof(base) - 1);
	off = sizeof(base) - 1;
	off += etchosts_line(self, buf + off, cap - off);
	for (size_t i = 0; i < n; i++)
		off += etchosts_line(&others[i], buf + off, cap - off);
	buf[off] = '\0';
	*len = off;
	return buf;
}
