/* A network's definition <root>/run/berth/network/networks/NAME.json,
 * read by the supervisor: whatever it accepts names the bridge its ID
 * gives (PID 1 deletes that link at rm), a subnet that parses and
 * NUL-terminated fields; its rules' text always fits or says so. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/net/network.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_def d;
	struct net_cidr c;
	char buf[4096];

	if (net_def_parse((const char *)data, size, "front", &d) < 0)
		return 0;
	if (strcmp(d.name, "front") != 0 || strncmp(d.bridge, "br-", 3) != 0 ||
	    strncmp(d.bridge + 3, d.id, 12) != 0 || strlen(d.bridge) != 15 ||
	    net_cidr_parse(d.subnet, &c) < 0 || d.nlabels > NET_LABELS_MAX)
		abort();
	for (int i = 0; i < d.nlabels; i++) {
		if (!memchr(d.labels[i], '\0', sizeof(d.labels[i])))
			abort();
	}
	if (net_bridge_rules(&d, true, buf, sizeof(buf)) < 0 ||
	    net_isolation_rules("berth0", &d, 1, buf, sizeof(buf)) < 0)
		abort();
	return 0;
}
