/* ports.c - see ports.h. */
#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
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

int port_parse(const char *spec, struct port_map *p, struct berr *e)
{
	const char *proto = strchr(spec, '/'), *end, *c1, *c2;
	struct in_addr a;

	memset(p, 0, sizeof(*p));
	strcpy(p->ip, "0.0.0.0");
	end = proto ? proto : spec + strlen(spec);
	if (proto && strcmp(proto, "/tcp") != 0 && strcmp(proto, "/udp") != 0)
		return berr_msg(e, EINVAL, "port \"%s\": protocol must be tcp or udp", spec);
	p->udp = proto && strcmp(proto, "/udp") == 0;
	c2 = memrchr(spec, ':', end - spec);
	if (!c2)
		return berr_msg(e, EINVAL, "port \"%s\": want [IP:]HOSTPORT:CTRPORT[/udp]", spec);
	c1 = memrchr(spec, ':', c2 - spec);
	if (c1) {
		size_t n = c1 - spec;

		if (n == 0 || n >= sizeof(p->ip))
			return berr_msg(e, EINVAL, "port \"%s\": bad host IP", spec);
		memcpy(p->ip, spec, n);
		p->ip[n] = '\0';
		if (inet_pton(AF_INET, p->ip, &a) != 1)
			return berr_msg(e, EINVAL, "port \"%s\": bad host IP \"%s\"", spec, p->ip);
	}
	if (parse_port(c1 ? c1 + 1 : spec, c2 - (c1 ? c1 + 1 : spec), &p->host) < 0)
		return berr_msg(e, EINVAL, "port \"%s\": bad host port", spec);
	if (parse_port(c2 + 1, end - (c2 + 1), &p->ctr) < 0)
		return berr_msg(e, EINVAL, "port \"%s\": bad container port", spec);
	return 0;
}

void port_format(const struct port_map *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%u->%u/%s", p->ip, p->host, p->ctr, p->udp ? "udp" : "tcp");
}

void port_spec(const struct port_map *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%u:%u/%s", p->ip, p->host, p->ctr, p->udp ? "udp" : "tcp");
}

bool port_conflict(const struct port_map *a, const struct port_map *b)
{
	return a->host == b->host && a->udp == b->udp &&
	       (strcmp(a->ip, b->ip) == 0 || strcmp(a->ip, "0.0.0.0") == 0 ||
		strcmp(b->ip, "0.0.0.0") == 0);
}

int port_rules(const struct port_map *v, int n, const char *ctr_ip, const char *bridge, bool add,
	       char *buf, size_t size, struct berr *e)
{
	const char *op = add ? "-A" : "-D";
	size_t off = 0;
	int k;

	for (int table = 0; table < 2; table++) {
		k = snprintf(buf + off, size - off, "%s\n", table ? "*filter" : "*nat");
		if (k < 0 || (size_t)k >= size - off)
			return berr_msg(e, ENOSPC, "iptables rules too long");
		off += k;
		for (int i = 0; i < n; i++) {
			const char *proto = v[i].udp ? "udp" : "tcp";
			char dst[40] = "";

			if (strcmp(v[i].ip, "0.0.0.0") != 0)
				snprintf(dst, sizeof(dst), " -d %s/32", v[i].ip);
			if (table == 0)
				k = snprintf(buf + off, size - off,
					     "%s BERTH%s ! -i %s -p %s -m %s --dport %u -j DNAT "
					     "--to-destination %s:%u\n",
					     op, dst, bridge, proto, proto, v[i].host, ctr_ip,
					     v[i].ctr);
			else
				k = snprintf(buf + off, size - off,
					     "%s BERTH-FORWARD -d %s/32 ! -i %s -o %s -p %s -m %s "
					     "--dport %u -j ACCEPT\n",
					     op, ctr_ip, bridge, bridge, proto, proto, v[i].ctr);
			if (k < 0 || (size_t)k >= size - off)
				return berr_msg(e, ENOSPC, "iptables rules too long");
			off += k;
		}
		k = snprintf(buf + off, size - off, "COMMIT\n");
		if (k < 0 || (size_t)k >= size - off)
			return berr_msg(e, ENOSPC, "iptables rules too long");
		off += k;
	}
	return 0;
}
