/* ports.c - see ports.h. */
#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, size_t len, uint16_t *port)
{
	char buf[8], *end;
	long v;

	if (len == 0 || len >= sizeof(buf) || strspn(s, "0123456789") < len)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtol(buf, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "A" or "A-B" with A <= B. */
static int parse_range(const char *s, size_t len, uint16_t *lo, uint16_t *hi)
{
	const char *dash = memchr(s, '-', len);

	if (!dash) {
		if (parse_port(s, len, lo) < 0)
			return -EINVAL;
		*hi = *lo;
		return 0;
	}
	if (parse_port(s, dash - s, lo) < 0 || parse_port(dash + 1, len - (dash + 1 - s), hi) < 0 ||
	    *hi < *lo)
		return -EINVAL;
	return 0;
}

static int split_proto(const char *spec, struct port_map *p, const char **end, struct berr *e)
{
	const char *proto = strchr(spec, '/');

	*end = proto ? proto : spec + strlen(spec);
	if (proto && strcmp(proto, "/tcp") != 0 && strcmp(proto, "/udp") != 0)
		return berr_msg(e, EINVAL, "port \"%s\": protocol must be tcp or udp", spec);
	p->udp = proto && strcmp(proto, "/udp") == 0;
	return 0;
}

int port_parse(const char *spec, struct port_map *p, struct berr *e)
{
	const char *end, *c1, *c2, *hs;
	struct in_addr a;
	size_t hlen;

	memset(p, 0, sizeof(*p));
	strcpy(p->ip, "0.0.0.0");
	if (split_proto(spec, p, &end, e) < 0)
		return -e->code;
	/* CTR, HOST:CTR or IP:HOST:CTR (an empty IP is all, an empty HOST any) */
	c2 = memrchr(spec, ':', end - spec);
	c1 = c2 ? memrchr(spec, ':', c2 - spec) : NULL;
	if (c1 && c1 != spec) {
		size_t n = c1 - spec;

		if (n >= sizeof(p->ip))
			return berr_msg(e, EINVAL, "port \"%s\": bad host IP", spec);
		memcpy(p->ip, spec, n);
		p->ip[n] = '\0';
		if (inet_pton(AF_INET, p->ip, &a) != 1)
			return berr_msg(e, EINVAL, "port \"%s\": bad host IP \"%s\"", spec, p->ip);
	}
	hs = c1 ? c1 + 1 : spec;
	hlen = c2 ? (size_t)(c2 - hs) : 0;
	if (hlen && parse_range(hs, hlen, &p->host, &p->host_end) < 0)
		return berr_msg(e, EINVAL, "port \"%s\": bad host port", spec);
	if (parse_range(c2 ? c2 + 1 : spec, end - (c2 ? c2 + 1 : spec), &p->ctr, &p->ctr_end) < 0)
		return berr_msg(e, EINVAL, "port \"%s\": bad container port", spec);
	/* Docker: ranges of different sizes only as "any of these host ports" */
	if (p->host && p->ctr_end != p->ctr && p->host_end - p->host != p->ctr_end - p->ctr)
		return berr_msg(e, EINVAL,
				"port \"%s\": invalid ranges specified for container and host "
				"Ports: %.*s and %.*s",
				spec, (int)(end - (c2 + 1)), c2 + 1, (int)hlen, hs);
	return 0;
}

int port_expand(const struct port_map *p, struct port_map *out, int max, int *n, struct berr *e)
{
	int count = p->ctr_end - p->ctr + 1;

	*n = 0;
	if (count > max)
		return berr_msg(e, E2BIG, "too many published ports (at most %d)", PORTS_MAX);
	for (int i = 0; i < count; i++) {
		out[i] = *p;
		out[i].ctr = out[i].ctr_end = p->ctr + i;
		if (count > 1 && p->host)
			out[i].host = out[i].host_end = p->host + i;
	}
	*n = count;
	return 0;
}

void port_format(const struct port_map *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%u->%u/%s", p->ip, p->host, p->ctr, p->udp ? "udp" : "tcp");
}

static void range_text(uint16_t lo, uint16_t hi, char *buf, size_t size)
{
	if (!lo)
		buf[0] = '\0';
	else if (lo == hi)
		snprintf(buf, size, "%u", lo);
	else
		snprintf(buf, size, "%u-%u", lo, hi);
}

void port_spec(const struct port_map *p, char *buf, size_t size)
{
	char h[16], c[16];

	range_text(p->host, p->host_end, h, sizeof(h));
	range_text(p->ctr, p->ctr_end, c, sizeof(c));
	snprintf(buf, size, "%s:%s:%s/%s", p->ip, h, c, p->udp ? "udp" : "tcp");
}

bool port_conflict(const struct port_map *a, const struct port_map *b)
{
	return a->host && b->host && a->udp == b->udp && a->host <= b->host_end &&
	       b->host <= a->host_end &&
	       (strcmp(a->ip, b->ip) == 0 || strcmp(a->ip, "0.0.0.0") == 0 ||
		strcmp(b->ip, "0.0.0.0") == 0);
}

static bool port_taken(const struct port_map *p, uint16_t port, const struct port_map *taken, int n)
{
	struct port_map one = *p;

	one.host = one.host_end = port;
	for (int i = 0; i < n; i++) {
		if (port_conflict(&one, &taken[i]))
			return true;
	}
	return false;
}

int port_pick(struct port_map *p, const struct port_map *taken, int n, uint16_t lo, uint16_t hi,
	      uint16_t *last, struct berr *e)
{
	if (p->host) {
		for (unsigned port = p->host; port <= p->host_end; port++) {
			if (!port_taken(p, port, taken, n)) {
				p->host = p->host_end = port;
				return 0;
			}
		}
		if (p->host == p->host_end)
			return berr_msg(e, EADDRINUSE,
					"Bind for %s:%u failed: port is already allocated", p->ip,
					p->host);
		return berr_msg(e, EADDRINUSE,
				"Bind for %s:%u-%u failed: port is already allocated", p->ip,
				p->host, p->host_end);
	}
	if (lo == 0 || hi < lo)
		return berr_msg(e, EINVAL, "bad ephemeral port range %u-%u", lo, hi);
	for (unsigned i = 0, span = hi - lo + 1u; i < span; i++) {
		unsigned port = *last >= lo && *last < hi ? *last + 1u + i : lo + i;

		if (port > hi)
			port -= span;
		if (!port_taken(p, port, taken, n)) {
			p->host = p->host_end = port;
			*last = port;
			return 0;
		}
	}
	return berr_msg(e, EADDRINUSE, "Bind for %s:%u/%s failed: all ports are allocated", p->ip,
			p->ctr, p->udp ? "udp" : "tcp");
}

static int put(char *buf, size_t size, size_t *off, struct berr *e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int put(char *buf, size_t size, size_t *off, struct berr *e, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= size - *off)
		return berr_msg(e, ENOSPC, "iptables rules too long");
	*off += k;
	return 0;
}

int port_rules(const struct port_map *v, int n, const char *ctr_ip, const char *bridge, bool add,
	       char *buf, size_t size, struct berr *e)
{
	const char *op = add ? "-A" : "-D";
	size_t off = 0;

	if (size)
		buf[0] = '\0';
	if (put(buf, size, &off, e, "*nat\n") < 0)
		return -e->code;
	for (int i = 0; i < n; i++) {
		const char *proto = v[i].udp ? "udp" : "tcp";
		char dst[40] = "";

		if (strcmp(v[i].ip, "0.0.0.0") != 0)
			snprintf(dst, sizeof(dst), " -d %s/32", v[i].ip);
		/* no "! -i bridge": containers reach published ports too (hairpin) */
		if (put(buf, size, &off, e,
			"%s BERTH%s -p %s -m %s --dport %u -j DNAT --to-destination %s:%u\n", op,
			dst, proto, proto, v[i].host, ctr_ip, v[i].ctr) < 0 ||
		    put(buf, size, &off, e,
			"%s POSTROUTING -s %s/32 -d %s/32 -p %s -m %s --dport %u -j MASQUERADE\n",
			op, ctr_ip, ctr_ip, proto, proto, v[i].ctr) < 0)
			return -e->code;
	}
	if (put(buf, size, &off, e, "COMMIT\n*filter\n") < 0)
		return -e->code;
	for (int i = 0; i < n; i++) {
		const char *proto = v[i].udp ? "udp" : "tcp";

		if (put(buf, size, &off, e,
			"%s BERTH-FORWARD -d %s/32 ! -i %s -o %s -p %s -m %s --dport %u -j "
			"ACCEPT\n",
			op, ctr_ip, bridge, bridge, proto, proto, v[i].ctr) < 0)
			return -e->code;
	}
	return put(buf, size, &off, e, "COMMIT\n");
}

int port_list_rules(const char *text, const char *ctr_ip, const char *bridge, bool add, char *buf,
		    size_t size, struct berr *e)
{
	struct port_map m[PORTS_MAX];
	int n = port_list_parse(text, m, PORTS_MAX);

	if (n == 0)
		return 0;
	return port_rules(m, n, ctr_ip, bridge, add, buf, size, e) < 0 ? -e->code : n;
}

void port_ephemeral_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	unsigned a, b;

	*lo = 32768;
	*hi = 60999;
	if (text && sscanf(text, "%u %u", &a, &b) == 2 && a >= 1 && a <= b && b <= 65535) {
		*lo = a;
		*hi = b;
	}
}

/* The maps of specs[], one per container port, into want[PORTS_MAX]. */
static int expand_specs(char *const *specs, struct port_map *want, int *nw, struct berr *e)
{
	struct port_map one[PORTS_MAX];

	*nw = 0;
	for (char *const *p = specs; p && *p; p++) {
		struct port_map m;
		int k;

		if (port_parse(*p, &m, e) < 0 || port_expand(&m, one, PORTS_MAX - *nw, &k, e) < 0)
			return -e->code;
		memcpy(want + *nw, one, k * sizeof(*one));
		*nw += k;
	}
	return 0;
}

/* The held lists parsed, with room for extra maps after them. */
static struct port_map *parse_held(const char *const *held, int nheld, int extra, int *nt)
{
	struct port_map *taken;
	int cap = 0;

	for (int i = 0; i < nheld; i++) {
		cap++;
		for (const char *q = held[i]; *q; q++)
			cap += *q == ',';
	}
	taken = malloc((cap + extra) * sizeof(*taken));
	*nt = 0;
	for (int i = 0; taken && i < nheld; i++)
		*nt += port_list_parse(held[i], taken + *nt, PORTS_MAX);
	return taken;
}

int port_pick_list(char *const *specs, const char *const *held, int nheld, uint16_t lo, uint16_t hi,
		   uint16_t *last, char *out, size_t size, struct berr *e)
{
	struct port_map *taken, want[PORTS_MAX];
	int nt = 0, nw = 0, r = 0;
	size_t off = 0;

	if (size)
		out[0] = '\0';
	if (expand_specs(specs, want, &nw, e) < 0)
		return -e->code;
	if (nw == 0)
		return 0;
	taken = parse_held(held, nheld, nw, &nt);
	if (!taken)
		return berr_set(e, ENOMEM, "published ports");
	for (int i = 0; i < nw && r == 0; i++) {
		char spec[64];
		int k;

		r = port_pick(&want[i], taken, nt, lo, hi, last, e);
		if (r < 0)
			break;
		taken[nt++] = want[i]; /* its own ports count too */
		port_spec(&want[i], spec, sizeof(spec));
		k = snprintf(out + off, size - off, "%s%s", off ? "," : "", spec);
		if (k < 0 || (size_t)k >= size - off)
			r = berr_msg(e, ENOSPC, "published ports: too many to record");
		else
			off += k;
	}
	free(taken);
	if (r < 0 && size)
		out[0] = '\0';
	return r;
}

void port_list_format(const struct port_map *v, int n, char *buf, size_t size)
{
	size_t off = 0;

	if (size)
		buf[0] = '\0';
	for (int i = 0, j; i < n && off < size; i = j) {
		int k;

		for (j = i + 1; j < n && v[j].udp == v[i].udp && strcmp(v[j].ip, v[i].ip) == 0 &&
				v[j].host == v[j - 1].host + 1 && v[j].ctr == v[j - 1].ctr + 1;
		     j++)
			;
		if (j - i == 1)
			k = snprintf(buf + off, size - off, "%s%s:%u->%u/%s", off ? ", " : "",
				     v[i].ip, v[i].host, v[i].ctr, v[i].udp ? "udp" : "tcp");
		else
			k = snprintf(buf + off, size - off, "%s%s:%u-%u->%u-%u/%s", off ? ", " : "",
				     v[i].ip, v[i].host, v[j - 1].host, v[i].ctr, v[j - 1].ctr,
				     v[i].udp ? "udp" : "tcp");
		if (k < 0)
			break;
		off += (size_t)k;
	}
}

int port_list_parse(const char *text, struct port_map *v, int max)
{
	char item[64];
	struct berr e;
	int n = 0;

	while (text && *text && n < max) {
		size_t len = strcspn(text, ",");

		if (len < sizeof(item)) {
			memcpy(item, text, len);
			item[len] = '\0';
			if (port_parse(item, &v[n], &e) == 0)
				n++;
		}
		text += len;
		if (*text == ',')
			text++;
	}
	return n;
}
