/* slots.c - slot names, systemd-boot's order, a UKI's os-release. */
#include "slots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal number at *s (no sign, no leading zero unless 0); moves *s. */
static int number(const char **s, unsigned long *out)
{
	char *end;

	if (**s < '0' || **s > '9' || ((*s)[0] == '0' && (*s)[1] >= '0' && (*s)[1] <= '9'))
		return -EINVAL;
	errno = 0;
	*out = strtoul(*s, &end, 10);
	if (errno || end - *s > 9)
		return -EINVAL;
	*s = end;
	return 0;
}

int upd_entry_parse(const char *name, struct upd_entry *en)
{
	const char *s = name;
	unsigned long left, done = 0;

	memset(en, 0, sizeof(*en));
	if (strlen(name) >= sizeof(en->name) || strncmp(s, "berth-", 6) != 0)
		return -EINVAL;
	s += 6;
	if (number(&s, &en->gen) < 0 || *s++ != '-' || (*s != 'a' && *s != 'b'))
		return -EINVAL;
	en->slot = *s++;
	en->left = -1;
	if (*s == '+') {
		s++;
		if (number(&s, &left) < 0)
			return -EINVAL;
		if (*s == '-') {
			s++;
			if (number(&s, &done) < 0)
				return -EINVAL;
		}
		en->left = (int)left;
		en->done = (int)done;
	}
	if (strcmp(s, ".efi") != 0)
		return -EINVAL;
	snprintf(en->name, sizeof(en->name), "%s", name);
	return 0;
}

void upd_entry_name(unsigned long gen, char slot, int left, int done, char *out, size_t size)
{
	if (left < 0)
		snprintf(out, size, "berth-%lu-%c.efi", gen, slot);
	else if (done > 0)
		snprintf(out, size, "berth-%lu-%c+%d-%d.efi", gen, slot, left, done);
	else
		snprintf(out, size, "berth-%lu-%c+%d.efi", gen, slot, left);
}

int upd_entry_order(const struct upd_entry *a, const struct upd_entry *b)
{
	if ((a->left == 0) != (b->left == 0))
		return a->left == 0 ? 1 : -1;
	if (a->gen != b->gen)
		return a->gen > b->gen ? -1 : 1;
	if (a->slot != b->slot)
		return a->slot > b->slot ? -1 : 1;
	return 0;
}

const char *upd_entry_state(const struct upd_entry *en)
{
	return en->left < 0 ? "good" : en->left == 0 ? "bad" : "trying";
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* PE/COFF: the DOS header's e_lfanew, "PE\0\0", the file header's section
 * count and optional-header size, then 40-byte section headers. */
const char *upd_pe_osrel(const uint8_t *pe, size_t len, size_t *osrel_len)
{
	size_t off, sec;
	unsigned nsec;

	if (len < 0x40 || pe[0] != 'M' || pe[1] != 'Z')
		return NULL;
	off = le32(pe + 0x3c);
	if (off > len || len - off < 24 || memcmp(pe + off, "PE\0\0", 4) != 0)
		return NULL;
	nsec = le16(pe + off + 6);
	sec = off + 24 + le16(pe + off + 20);
	for (unsigned i = 0; i < nsec; i++, sec += 40) {
		size_t size, at;

		if (sec > len || len - sec < 40)
			return NULL;
		if (memcmp(pe + sec, ".osrel\0", 7) != 0)
			continue;
		size = le32(pe + sec + 8);  /* VirtualSize: the data without padding */
		at = le32(pe + sec + 20);   /* PointerToRawData */
		if (size > le32(pe + sec + 16))
			size = le32(pe + sec + 16);
		if (at > len || size > len - at)
			return NULL;
		*osrel_len = size;
		return (const char *)pe + at;
	}
	return NULL;
}

bool upd_osrel_version(const char *text, size_t len, char *out, size_t size)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *eol = nl ? nl : end;

		if (eol - p > 8 && memcmp(p, "VERSION=", 8) == 0) {
			const char *v = p + 8;
			size_t n = eol - v;

			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v++;
				n -= 2;
			}
			if (n >= size || memchr(v, '\0', n))
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = eol + 1;
	}
	return false;
}
