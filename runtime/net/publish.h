/* publish.h - a container's published ports on this host.
 *
 * What ports.h leaves to its caller because it touches the host: the
 * kernel's ephemeral port range to pick from, and the way out when the
 * removal of a container's rules fails as a whole. A container's rules go
 * in and out in one iptables-restore transaction (iptables.h) whose text
 * port_list_rules() makes from the picked ports its state keeps, on the
 * container's bridge (berth0 or a user network's).
 */
#ifndef BERTH_PUBLISH_H
#define BERTH_PUBLISH_H

#include <stdint.h>

/* The ephemeral port range, as Docker reads it: the kernel's
 * ip_local_port_range, or its default 32768-60999 when that cannot be
 * read (see port_ephemeral_range). */
void pub_ephemeral_range(uint16_t *lo, uint16_t *hi);

/* Take the rules of ports (picked ports, as a container's state keeps
 * them) for the container at ip out port by port, one transaction each,
 * so no rule is left behind when a removal failed as a whole (some rule
 * already gone, e.g. after a reboot), on bridge. Errors are ignored: each rule that
 * is still there goes. */
void pub_remove_one_by_one(const char *ports, const char *ip, const char *bridge);

#endif
