/* network.h - user-defined networks (Docker's bridge driver): what one is,
 * where its definition lives, the subnet it gets, its iptables rules.
 *
 * A network is a JSON file <root>/run/berth/network/networks/NAME.json
 * (on /data with a data disk, so it survives a reboot), written
 * atomically by the supervisor, which alone creates and removes them; the
 * CLI only reads them. Its Linux bridge is "br-" + the first 12 hex digits
 * of its ID, as Docker names it; its addresses are handed out by ipam.c
 * from <root>/run/berth/network/ipam-NAME.
 *
 * The subnet is the one asked for, or the first of Docker's default
 * address pools (172.17-31.0.0/16, then 192.168.0-240.0/20) that overlaps
 * no other network, the default bridge or a route of the host. The rule
 * texts are pure, for iptables-restore (iptables.h).
 */
#ifndef BERTH_NETWORK_H
#define BERTH_NETWORK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "runtime/lib/err.h"

#define NET_NAME_MAX 64
#define NET_LABELS_MAX 16

struct net_cidr {
	uint32_t addr; /* host byte order, the network's first address */
	int prefix;
};

struct net_def {
	char name[NET_NAME_MAX];
	char id[65];
	char bridge[16];	/* br-0123456789ab */
	char subnet[20];	/* 172.18.0.0/16 */
	char gateway[16];	/* 172.18.0.1 */
	bool internal;
	int64_t created_ns;	/* CLOCK_REALTIME */
	int nlabels;
	char labels[NET_LABELS_MAX][256]; /* KEY=VALUE */
};

/* Names of the predefined networks (inline: container.c parses modes). */
static inline bool net_predefined(const char *name)
{
	return strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
	       strcmp(name, "none") == 0 || strcmp(name, "default") == 0;
}

/* Docker's names of containers and networks: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static inline bool net_name_chars(const char *name)
{
	for (size_t i = 0; name[i]; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return name[0] != '\0';
}

/* net_name_chars, shorter than NET_NAME_MAX, not predefined. */
static inline bool net_name_valid(const char *name)
{
	return strlen(name) < NET_NAME_MAX && !net_predefined(name) && net_name_chars(name);
}

/* "A.B.C.D/N" into c (the address masked to its prefix); -EINVAL. */
BERR_MUST int net_cidr_parse(const char *text, struct net_cidr *c);
bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b);
/* The first pool subnet overlapping none of used[n]; -ENOSPC when none. */
BERR_MUST int net_pool_pick(const struct net_cidr *used, int n, struct net_cidr *out);

/* A new definition with ID id (64 hex; its bridge's name from it) and
 * its subnet and gateway settled: subnet and gateway may be NULL (picked,
 * .1); used[n] are the subnets taken. -EINVAL, -EEXIST (overlap) or
 * -ENOSPC (pools used up) with Docker's text in e. */
BERR_MUST int net_def_init(struct net_def *d, const char *id, const char *name,
			   const char *subnet,
			   const char *gateway, const struct net_cidr *used, int n,
			   struct berr *e);

/* The directory of the definitions; a definition's IPAM file. */
void net_dir(const char *root, char *buf, size_t size);
void net_ipam_path(const char *root, const char *name, char *buf, size_t size);

/* The address container id holds on d into ip (16 bytes; "" when none)
 * and its MAC into mac (18 bytes). */
BERR_MUST int net_held(const char *root, const struct net_def *d, const char *id, char *ip,
		       char *mac, struct berr *e);

/* A definition's JSON text (len bytes) for network name: -EINVAL for
 * anything that is not one (a field missing, too long, another name). */
BERR_MUST int net_def_parse(const char *text, size_t len, const char *name, struct net_def *d);
BERR_MUST int net_save(const char *root, const struct net_def *d, struct berr *e);
/* -ENOENT: "network NAME not found", as Docker says it. */
BERR_MUST int net_load(const char *root, const char *name, struct net_def *d, struct berr *e);
/* Remove its definition and IPAM file. */
BERR_MUST int net_remove(const char *root, const char *name, struct berr *e);
/* All definitions, by name; *v malloc'd (free it), *n of them. */
BERR_MUST int net_list(const char *root, struct net_def **v, int *n, struct berr *e);
/* A definition named by its name, full ID or a unique ID prefix. */
BERR_MUST int net_find(const char *root, const char *ref, struct net_def *d, struct berr *e);

/* The rules of d's bridge (masquerade out unless internal, forwarding as
 * berth0's), added or deleted. -ENOSPC when buf is too small. */
BERR_MUST int net_bridge_rules(const struct net_def *d, bool add, char *buf, size_t size);
/* The chains BERTH-ISOLATION-STAGE-1/2 whole (iptables-restore flushes a
 * chain it declares): traffic from one bridge into another is dropped,
 * an internal network's traffic leaves its subnet nowhere. The default
 * bridge (name, subnet) first, then defs[n]. */
BERR_MUST int net_isolation_rules(const char *def_bridge, const struct net_def *defs, int n,
				  char *buf, size_t size);

/* network_up.c, in the supervisor's network namespace. d's bridge with
 * its gateway address, up, and its rules, unless the link is there; the
 * isolation chains rewritten for every network in root's store (the
 * default bridge def_bridge first). A failure leaves no bridge behind. */
BERR_MUST int net_up(const char *root, const char *def_bridge, const struct net_def *d,
		     struct berr *e);
/* d's bridge and rules gone (a missing link or rule is fine), the
 * isolation chains rewritten without it; d's file is removed first. */
BERR_MUST int net_down(const char *root, const char *def_bridge, const struct net_def *d,
		       struct berr *e);

#endif
