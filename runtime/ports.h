/* ports.h - published ports (`-p`): parse, print, and their iptables rules.
 *
 * Forms, as Docker's: HOSTPORT:CTRPORT, IP:HOSTPORT:CTRPORT, each with an
 * optional /tcp or /udp (tcp by default). Each published port is one DNAT
 * rule in nat chain BERTH plus one ACCEPT in filter BERTH-FORWARD; a
 * container's rules go in and out in one iptables-restore transaction.
 */
#ifndef BERTH_PORTS_H
#define BERTH_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct port_map {
	char ip[16];		/* host address, "0.0.0.0" = all */
	uint16_t host, ctr;	/* 1..65535 */
	bool udp;
};

/* -EINVAL with the reason in e for anything but the forms above. */
int port_parse(const char *spec, struct port_map *p, struct berr *e);
/* "0.0.0.0:8080->80/tcp", as `docker ps` prints it. */
void port_format(const struct port_map *p, char *buf, size_t size);
/* The canonical spec "IP:HOST:CTR/PROTO", which port_parse reads back. */
void port_spec(const struct port_map *p, char *buf, size_t size);
/* Would a and b take the same host port? */
bool port_conflict(const struct port_map *a, const struct port_map *b);

/* The rules for the container at ctr_ip behind bridge: add (-A) or delete
 * (-D). -ENOSPC if buf is too small. */
int port_rules(const struct port_map *v, int n, const char *ctr_ip, const char *bridge, bool add,
	       char *buf, size_t size, struct berr *e);

#endif
