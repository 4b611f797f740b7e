/* ipam.c - see ipam.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

static uint32_t mask_of(int prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static int parse_addr(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = ntohl(a.s_addr);
	return 0;
}

void ipam_ntoa(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
}

int ipam_init(struct ipam *p, const char *cidr, struct berr *e)
{
	char a[32], *end;
	const char *slash = strchr(cidr, '/');
	long prefix;

	memset(p, 0, sizeof(*p));
	if (!slash || (size_t)(slash - cidr) >= sizeof(a))
		return berr_msg(e, EINVAL, "subnet \"%s\": want A.B.C.D/N", cidr);
	memcpy(a, cidr, slash - cidr);
	a[slash - cidr] = '\0';
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (parse_addr(a, &p->gateway) < 0 || !slash[1] || *end || prefix < 1 || prefix > 30)
		return berr_msg(e, EINVAL, "subnet \"%s\": want A.B.C.D/N with N in 1..30", cidr);
	p->prefix = (int)prefix;
	if ((p->gateway & ~mask_of(p->prefix)) == 0 ||
	    (p->gateway | mask_of(p->prefix)) == 0xffffffffu)
		return berr_msg(e, EINVAL, "subnet \"%s\": the gateway is not a host address",
				cidr);
	return 0;
}

void ipam_free(struct ipam *p)
{
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

static int find_id(const struct ipam *p, const char *id)
{
	for (int i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].id, id) == 0)
			return i;
	}
	return -1;
}

uint32_t ipam_lookup(const struct ipam *p, const char *id)
{
	int i = find_id(p, id);

	return i < 0 ? 0 : p->v[i].addr;
}

static bool usable(const struct ipam *p, uint32_t addr)
{
	uint32_t m = mask_of(p->prefix);

	return (addr & m) == (p->gateway & m) && (addr & ~m) != 0 && (addr & ~m) != ~m &&
	       addr != p->gateway;
}

/* Put (addr, id) at index i, keeping v sorted. */
static int insert_at(struct ipam *p, int i, uint32_t addr, const char *id)
{
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 16;
		struct ipam_entry *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	memmove(&p->v[i + 1], &p->v[i], (p->n - i) * sizeof(*p->v));
	p->v[i].addr = addr;
	snprintf(p->v[i].id, sizeof(p->v[i].id), "%s", id);
	p->n++;
	return 0;
}

int ipam_alloc(struct ipam *p, const char *id, uint32_t *addr, struct berr *e)
{
	uint32_t m = mask_of(p->prefix), cand = (p->gateway & m) + 1;
	int i = find_id(p, id);

	if (i >= 0) {
		*addr = p->v[i].addr;
		return 0;
	}
	/* v is sorted: the first gap at or above cand is the lowest free. */
	for (i = 0; i < p->n; i++) {
		while (!usable(p, cand) && (cand & ~m) != ~m)
			cand++;
		if (p->v[i].addr > cand)
			break;
		if (p->v[i].addr == cand)
			cand++;
	}
	while (!usable(p, cand) && (cand & ~m) != ~m)
		cand++;
	if (!usable(p, cand)) {
		char net[16];

		ipam_ntoa(p->gateway & m, net);
		return berr_msg(e, ENOSPC, "no free address left in %s/%d", net, p->prefix);
	}
	if (insert_at(p, i, cand, id) < 0)
		return berr_set(e, ENOMEM, "allocate address");
	*addr = cand;
	return 0;
}

int ipam_take(struct ipam *p, const char *id, const char *want, uint32_t *addr, struct berr *e)
{
	uint32_t a;
	int i;

	if (parse_addr(want, &a) < 0 || !usable(p, a))
		return berr_msg(e, EINVAL, "no configured subnet contains IP address %s", want);
	for (i = 0; i < p->n && p->v[i].addr < a; i++)
		;
	if (i < p->n && p->v[i].addr == a) {
		if (strcmp(p->v[i].id, id) != 0)
			return berr_msg(e, EADDRINUSE, "Address already in use: %s", want);
		*addr = a;
		return 0;
	}
	if (find_id(p, id) >= 0) {
		berr_ignore(ipam_release(p, id)); /* it holds one: found just now */
		return ipam_take(p, id, want, addr, e);
	}
	if (insert_at(p, i, a, id) < 0)
		return berr_set(e, ENOMEM, "allocate address");
	*addr = a;
	return 0;
}

int ipam_release(struct ipam *p, const char *id)
{
	int i = find_id(p, id);

	if (i < 0)
		return -ENOENT;
	memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(*p->v));
	p->n--;
	return 0;
}

char *ipam_format(const struct ipam *p)
{
	size_t size = 64 + (size_t)p->n * (16 + IPAM_ID_LEN + 2), off;
	char *buf = malloc(size), a[16];

	if (!buf)
		return NULL;
	ipam_ntoa(p->gateway, a);
	off = snprintf(buf, size, "subnet %s/%d\n", a, p->prefix);
	for (int i = 0; i < p->n; i++) {
		ipam_ntoa(p->v[i].addr, a);
		off += snprintf(buf + off, size - off, "%s %s\n", a, p->v[i].id);
	}
	return buf;
}

static bool id_valid(const char *id)
{
	return strlen(id) == IPAM_ID_LEN && strspn(id, "0123456789abcdef") == IPAM_ID_LEN;
}

/* The IDs a parse has seen, an open-addressing set of pointers into its
 * copy of the text, so that a table of thousands parses in O(n), not
 * O(n^2) string compares. */
struct idset {
	const char **v;
	size_t mask;
};

static int idset_init(struct idset *s, const char *text)
{
	size_t lines = 1, size = 16;

	for (const char *c = text; (c = strchr(c, '\n')); c++)
		lines++;
	while (size < 2 * lines)
		size *= 2;
	s->mask = size - 1;
	s->v = calloc(size, sizeof(*s->v));
	return s->v ? 0 : -ENOMEM;
}

/* false when id is in s already */
static bool idset_add(struct idset *s, const char *id)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a of the first 16 digits */
	size_t i;

	for (int k = 0; k < 16; k++)
		h = (h ^ (unsigned char)id[k]) * 1099511628211ull;
	for (i = h & s->mask; s->v[i]; i = (i + 1) & s->mask) {
		if (strcmp(s->v[i], id) == 0)
			return false;
	}
	s->v[i] = id;
	return true;
}

/* One "ADDR ID" line into the sorted table (a file written by
 * ipam_format() is in order: appended). */
static int parse_entry(struct ipam *p, struct idset *ids, char *line, int lineno,
		       struct berr *e)
{
	char *sp = strchr(line, ' ');
	uint32_t addr;
	int i;

	if (!sp)
		return berr_msg(e, EINVAL, "line %d: want \"ADDRESS ID\"", lineno);
	*sp = '\0';
	if (parse_addr(line, &addr) < 0 || !usable(p, addr))
		return berr_msg(e, EINVAL, "line %d: \"%s\" is no host address of the subnet",
				lineno, line);
	if (!id_valid(sp + 1))
		return berr_msg(e, EINVAL, "line %d: want a 64-hex container ID", lineno);
	if (!idset_add(ids, sp + 1))
		return berr_msg(e, EINVAL, "line %d: container %.12s holds two addresses", lineno,
				sp + 1);
	i = p->n;
	if (i && p->v[i - 1].addr >= addr)
		for (i = 0; i < p->n && p->v[i].addr < addr; i++)
			;
	if (i < p->n && p->v[i].addr == addr)
		return berr_msg(e, EINVAL, "line %d: %s is handed out twice", lineno, line);
	if (insert_at(p, i, addr, sp + 1) < 0)
		return berr_set(e, ENOMEM, "line %d", lineno);
	return 0;
}

int ipam_parse(struct ipam *p, const char *text, struct berr *e)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL, *line, want[48], a[16];
	struct idset ids = { 0 };
	int lineno = 0, r = 0;

	if (!copy || idset_init(&ids, text) < 0) {
		free(ids.v);
		return berr_set(e, ENOMEM, "parse");
	}
	ipam_ntoa(p->gateway, a);
	snprintf(want, sizeof(want), "subnet %s/%d", a, p->prefix);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, want) != 0) {
				r = berr_msg(e, EINVAL, "line 1: want \"%s\"", want);
				break;
			}
			continue;
		}
		r = parse_entry(p, &ids, line, lineno, e);
		if (r < 0) {
			ipam_free(p);
			break;
		}
	}
	free(ids.v);
	if (r < 0)
		return r;
	if (lineno == 0)
		return berr_msg(e, EINVAL, "empty; want \"%s\" first", want);
	return 0;
}

int ipam_load(struct ipam *p, const char *path, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 64 * 1024;
	ssize_t n;

	/* A full /16 is about 5 MB of text; grow until it fits. */
	for (;;) {
		free(buf);
		buf = malloc(size);
		if (!buf)
			return berr_set(e, ENOMEM, "read %s", path);
		n = read_file(path, buf, size);
		if (n == -ENOENT)
			return 0;
		if (n < 0)
			return berr_set(e, (int)-n, "read %s", path);
		if ((size_t)n < size - 1)
			break;
		size *= 2;
	}
	if (ipam_parse(p, buf, e) < 0)
		return berr_wrap(e, "address state %s", path);
	return 0;
}

int ipam_save(const struct ipam *p, const char *path, struct berr *e)
{
	_cleanup_free_ char *text = ipam_format(p);
	int r;

	if (!text)
		return berr_set(e, ENOMEM, "save %s", path);
	r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		return berr_set(e, -r, "save %s", path);
	return 0;
}

void ipam_mac(uint32_t a, char buf[18])
{
	snprintf(buf, 18, "02:42:%02x:%02x:%02x:%02x", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
}
