/* bridge.h - containers on the bridge: addresses (IPAM) and veth pairs.
 *
 * The supervisor acquires an address for a container before its start
 * (kept in <root>/run/berth/network/ipam, so it survives a restart of the
 * supervisor), attaches the container while its init waits (br_attach as
 * the sandbox's parent_setup), and releases the address when the container
 * exits or its start fails. The veth dies with the container's netns.
 */
#ifndef BERTH_BRIDGE_H
#define BERTH_BRIDGE_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/lib/err.h"

#define BR_NAME "berth0"
#define BR_DEFAULT_CIDR "172.17.0.1/16"

/* A bridge and its address table: the default one (berth0, the table
 * "ipam") or a user network's (br-..., "ipam-NAME"; network.h). */
struct br_net {
	const char *bridge;	/* berth0 */
	const char *cidr;	/* the bridge's address: 172.17.0.1/16 */
	const char *ipam;	/* the table's file name under <root>/run/berth/network */
};

struct br_lease {
	char bridge[16];	/* the bridge it joins */
	char ip[16];		/* 172.17.0.2 */
	int prefix;		/* 16 */
	char gateway[16];	/* 172.17.0.1 */
	char mac[18];		/* 02:42:ac:11:00:02, from the address as Docker's */
	char veth[16];		/* host end: "veth" + 7 hex of the container ID (the
				 * next 7 when a link has that name already) */
	char ifname[16];	/* inside: "" is eth0 with the default route; a
				 * further network's ethN has none */
};

/* The bridge with address cidr, up, and Berth's iptables chains, unless
 * the bridge is there already (PID 1 made it at boot). */
BERR_MUST int br_ensure(const char *cidr, struct berr *e);

/* The address of container id on n: want (--ip) when not NULL, else its
 * old one if it holds one, else the lowest free one. */
BERR_MUST int br_acquire(const char *root, const struct br_net *n, const char *id,
			 const char *want, struct br_lease *l, struct berr *e);
/* Free id's address; holding none is fine. */
BERR_MUST int br_release(const char *root, const struct br_net *n, const char *id,
			 struct berr *e);
/* The same for k IDs at once: one write of the table (removals at scale). */
BERR_MUST int br_release_ids(const char *root, const struct br_net *n, const char *const *ids,
			     int k, struct berr *e);

/* Free the addresses of IDs keep() says no to (containers that are gone
 * or no longer run), as a restarted supervisor finds the table. */
BERR_MUST int br_prune(const char *root, const struct br_net *n,
		       bool (*keep)(const char *id, void *ctx), void *ctx, struct berr *e);

/* sb_spec.parent_setup: ctx is the struct br_lease. */
BERR_MUST int br_attach(pid_t pid, void *ctx, struct berr *e);

#endif
