/* Published-port specs: from the CLI, and read back by the supervisor
 * from config.json. Whatever parses formats back to the same map. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/net/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[128], canon[64], rules[PORTS_MAX * 400];
	struct port_map p, q, v[PORTS_MAX];
	struct berr e;
	size_t len = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;
	int n;

	memcpy(spec, data, len);
	spec[len] = '\0';
	if (port_parse(spec, &p, &e) < 0)
		return 0;
	if (p.ctr == 0 || p.ctr_end < p.ctr || p.host_end < p.host || (!p.host && p.host_end))
		abort();
	port_spec(&p, canon, sizeof(canon));
	if (port_parse(canon, &q, &e) < 0 || memcmp(&p, &q, sizeof(p)) != 0)
		abort();
	if (port_expand(&p, v, PORTS_MAX, &n, &e) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (v[i].ctr != v[i].ctr_end || v[i].ctr < p.ctr || v[i].ctr > p.ctr_end)
			abort();
	}
	if (port_rules(v, n, "172.17.0.2", "berth0", true, rules, sizeof(rules), &e) < 0 ||
	    strchr(rules, '\n') == rules)
		abort();
	return 0;
}
