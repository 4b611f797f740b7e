/* resolv.c - see resolv.h. */
#include "resolv.h"

#include <stdbool.h>
#include <string.h>

static const char FALLBACK[] = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";

/* A "nameserver ADDR" line whose ADDR is loopback or IPv6? */
static bool drop_line(const char *l, size_t len, bool *is_ns)
{
	const char *a = l + 10, *end = l + len;

	*is_ns = len >= 10 && strncmp(l, "nameserver", 10) == 0 &&
		 (len == 10 || l[10] == ' ' || l[10] == '\t');
	if (!*is_ns)
		return false;
	while (a < end && (*a == ' ' || *a == '\t'))
		a++;
	if (a == end)
		return true; /* no address: nothing to keep */
	return (end - a >= 4 && strncmp(a, "127.", 4) == 0) || memchr(a, ':', end - a);
}

static bool append(char *out, size_t size, size_t *off, const char *s, size_t len)
{
	if (*off + len + 1 > size)
		return false;
	memcpy(out + *off, s, len);
	*off += len;
	out[*off] = '\0';
	return true;
}

void resolv_filter(const char *in, char *out, size_t size)
{
	size_t off = 0;
	int kept = 0;

	if (!size)
		return;
	out[0] = '\0';
	while (in && *in) {
		size_t len = strcspn(in, "\n");
		bool ns;

		if (!drop_line(in, len, &ns)) {
			if (!append(out, size, &off, in, len) || !append(out, size, &off, "\n", 1))
				break;
			kept += ns;
		}
		in += len;
		if (*in == '\n')
			in++;
	}
	if (kept == 0 && !append(out, size, &off, FALLBACK, sizeof(FALLBACK) - 1)) {
		/* keep room for the fallback: cut the rest */
		off = 0;
		out[0] = '\0';
		append(out, size, &off, FALLBACK, sizeof(FALLBACK) - 1);
	}
}
