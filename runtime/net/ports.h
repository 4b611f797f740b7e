/* ports.h - published ports (`-p`, `-P`): parse, expand, pick host ports,
 * print, and their iptables rules.
 *
 * Forms, as Docker's: [[IP:][HOSTPORT]:]CTRPORT[/tcp|/udp], where each port
 * may be a range A-B. CTRPORT alone (or an empty HOSTPORT) publishes on a
 * host port picked from the ephemeral range; a host range of the same size
 * as the container range maps port by port; a host range with one
 * container port means "any free one of these". A spec is expanded into
 * one map per container port (port_expand), whose host port the
 * supervisor picks when the container starts (port_pick, port_pick_list).
 *
 * Each published port is one DNAT rule in nat chain BERTH, one MASQUERADE
 * in POSTROUTING for hairpin (the container reaching its own published
 * port through a host address) and one ACCEPT in filter BERTH-FORWARD; a
 * container's rules go in and out in one iptables-restore transaction.
 */
#ifndef BERTH_PORTS_H
#define BERTH_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

/* Most ports one container publishes (a range counts each port). */
#define PORTS_MAX 100
/* Room for PORTS_MAX canonical specs joined by commas. */
#define PORTS_TEXT_MAX (PORTS_MAX * 32 + 1)

struct port_map {
	char ip[16];		 /* host address, "0.0.0.0" = all */
	uint16_t host, host_end; /* host range; 0, 0 = any ephemeral port */
	uint16_t ctr, ctr_end;	 /* container range, 1..65535 */
	bool udp;
};

/* One spec as the user wrote it (or as port_spec wrote it). -EINVAL with
 * the reason in e for anything else, including container and host ranges
 * of different sizes. */
int port_parse(const char *spec, struct port_map *p, struct berr *e);
/* One map per container port into out[max]; *n gets the count. A host
 * range with one container port stays a range (any one of it). -E2BIG
 * beyond max. */
int port_expand(const struct port_map *p, struct port_map *out, int max, int *n, struct berr *e);
/* "0.0.0.0:8080->80/tcp", as `docker ps` prints one picked port. */
void port_format(const struct port_map *p, char *buf, size_t size);
/* The canonical spec "IP:HOST:CTR/PROTO" (each may be a range, HOST may be
 * empty), which port_parse reads back. */
void port_spec(const struct port_map *p, char *buf, size_t size);
/* Could a and b take the same host port? (ranges: any overlap) */
bool port_conflict(const struct port_map *a, const struct port_map *b);

/* Give the expanded map p one host port no map in taken[n] holds: its own
 * port, the first free one of its range, or for an ephemeral one the next
 * free port of [lo, hi] after *last (as Docker's allocator, which then
 * moves *last on). -EADDRINUSE with Docker's message when there is none. */
int port_pick(struct port_map *p, const struct port_map *taken, int n, uint16_t lo, uint16_t hi,
	      uint16_t *last, struct berr *e);

/* The rules for picked maps v[n] of the container at ctr_ip behind
 * bridge: add (-A) or delete (-D). -ENOSPC if buf is too small. */
int port_rules(const struct port_map *v, int n, const char *ctr_ip, const char *bridge, bool add,
	       char *buf, size_t size, struct berr *e);

/* The rules (as port_rules) for the picked ports in text, comma-joined
 * canonical specs as a container's state keeps them (port_list_parse):
 * the number of ports, 0 (buf untouched) when there are none, or -errno. */
int port_list_rules(const char *text, const char *ctr_ip, const char *bridge, bool add, char *buf,
		    size_t size, struct berr *e);

/* The ephemeral port range [lo, hi], as Docker reads it, from the text of
 * /proc/sys/net/ipv4/ip_local_port_range; NULL or anything but "LO HI"
 * with 1 <= LO <= HI <= 65535 gives the kernel's default 32768-60999. */
void port_ephemeral_range(const char *text, uint16_t *lo, uint16_t *hi);

/* Pick the host ports of one container: specs[] as the user wrote them
 * (NULL-terminated; NULL: none), each port against held[nheld] (the picked
 * ports of the running containers, as port_list_parse reads them) and
 * against the container's own picks before it; ephemeral ones from
 * [lo, hi] as port_pick. The picks go into out as comma-joined canonical
 * specs ("" when there are none, and on failure). -EINVAL for a bad spec,
 * -E2BIG beyond PORTS_MAX, -EADDRINUSE as port_pick, -ENOSPC when out is
 * too small (PORTS_TEXT_MAX is enough), -ENOMEM. */
int port_pick_list(char *const *specs, const char *const *held, int nheld, uint16_t lo, uint16_t hi,
		   uint16_t *last, char *out, size_t size, struct berr *e);

/* Picked maps as `docker ps` shows them: "0.0.0.0:8080->80/tcp, ...",
 * runs of consecutive ports as one range ("0.0.0.0:8000-8002->80-82/tcp"). */
void port_list_format(const struct port_map *v, int n, char *buf, size_t size);

/* Comma-joined canonical specs (as a container's state keeps its picked
 * ports) into v[max]; malformed items are skipped. Returns the count. */
int port_list_parse(const char *text, struct port_map *v, int max);

#endif
