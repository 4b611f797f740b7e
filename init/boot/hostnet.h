/* hostnet.h - the appliance's own network: lo, eth0, bridge berth0, NAT. */
#ifndef BERTH_HOSTNET_H
#define BERTH_HOSTNET_H

#include "cmdline.h"

#define BRIDGE_NAME "berth0"

/* Start the iptables transaction for Berth's chains in the background (it
 * does not need the bridge to exist); hostnet_setup() collects it. */
int hostnet_rules_start(const struct boot_params *p);

/* Bring up lo and eth0 (static from berth.ip= or DHCP via busybox udhcpc in
 * the background), create the bridge with its address, and install Berth's
 * iptables chains in one iptables-restore transaction. Each failure is
 * logged; returns the number of failures. */
int hostnet_setup(const struct boot_params *p);

#endif
