/* ipam.h - addresses for containers on the bridge's subnet.
 *
 * Pure logic over a small table (which container holds which address),
 * plus its state file <root>/run/berth/network/ipam, so a restarted
 * supervisor hands out no address twice. The file is text:
 *
 *   subnet 172.17.0.1/16
 *   172.17.0.2 <64-hex container id>
 *   ...
 *
 * An address is never handed out twice; the network address, the gateway
 * (the bridge's own address) and the broadcast address are never handed
 * out; the lowest free address comes first, so a released one is reused.
 */
#ifndef BERTH_IPAM_H
#define BERTH_IPAM_H

#include <stdint.h>
#include <stddef.h>

#include "runtime/lib/err.h"

#define IPAM_ID_LEN 64

struct ipam_entry {
	uint32_t addr;		/* host byte order */
	char id[IPAM_ID_LEN + 1];
};

struct ipam {
	uint32_t gateway;	/* host byte order; the bridge's address */
	int prefix;		/* 1..30 */
	struct ipam_entry *v;	/* sorted by addr */
	int n, cap;
};

/* An empty table for "A.B.C.D/N" (the gateway and its prefix). */
BERR_MUST int ipam_init(struct ipam *p, const char *cidr, struct berr *e);
void ipam_free(struct ipam *p);

/* The address held by id, or the lowest free one, now held by id.
 * -ENOSPC when the subnet is full. */
BERR_MUST int ipam_alloc(struct ipam *p, const char *id, uint32_t *addr, struct berr *e);
/* Address want ("a.b.c.d", Docker's --ip) for id: -EINVAL when it is not
 * a host address of the subnet (or the gateway), -EADDRINUSE when another
 * id holds it; id gives up another address it held. */
BERR_MUST int ipam_take(struct ipam *p, const char *id, const char *want, uint32_t *addr,
			struct berr *e);
/* Free id's address; -ENOENT when it holds none. */
BERR_MUST int ipam_release(struct ipam *p, const char *id);
/* The address id holds, 0 when none. */
uint32_t ipam_lookup(const struct ipam *p, const char *id);

/* The state file's text in a malloc'd string (NULL on ENOMEM). */
char *ipam_format(const struct ipam *p);
/* Parse state text into an initialised, empty table whose subnet it must
 * match; -EINVAL naming the line for anything malformed. */
BERR_MUST int ipam_parse(struct ipam *p, const char *text, struct berr *e);

/* Load (a missing file is an empty table) and save (atomically). */
BERR_MUST int ipam_load(struct ipam *p, const char *path, struct berr *e);
BERR_MUST int ipam_save(const struct ipam *p, const char *path, struct berr *e);

/* "a.b.c.d" of a host-order address; buf holds 16 bytes. */
void ipam_ntoa(uint32_t addr, char buf[16]);
/* The MAC Docker gives a container at addr: 02:42 and the address. */
void ipam_mac(uint32_t addr, char buf[18]);

#endif
