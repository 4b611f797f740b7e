/* etchosts.c - the text of a bridge container's /etc/hosts: one line per
 * container, the base lines first. See etchosts.h. */
#include "etchosts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t etchosts_line(const struct etchosts_entry *h, char *buf, size_t size)
{
	bool both = strcmp(h->hostname, h->name) != 0;
	int n;

	if (size == 0)
		return 0;
	n = snprintf(buf, size, "%s\t%.63s%s%s\n", h->ip, h->hostname, both ? " " : "",
		     both ? h->name : "");
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* 256 bytes a line: an address, a hostname cut at 63 and a container name
 * (under 128, CTR_NAME_MAX) fit. */
char *etchosts_text(const struct etchosts_entry *self, const struct etchosts_entry *others,
		    size_t n, size_t *len)
{
	static const char base[] = ETCHOSTS_BASE;
	size_t cap = sizeof(base) + 256 * (n + 1), off;
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
