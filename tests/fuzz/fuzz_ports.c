// sources: runtime/ports.c runtime/err.c
/* Published-port specs: from the CLI, and read back by the supervisor
 * from config.json. Whatever parses formats back to the same map. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[128], canon[64], rules[512];
	struct port_map p, q;
	struct berr e;
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;

	memcpy(spec, data, n);
	spec[n] = '\0';
	if (port_parse(spec, &p, &e) < 0)
		return 0;
	if (p.host == 0 || p.ctr == 0)
		abort();
	port_spec(&p, canon, sizeof(canon));
	if (port_parse(canon, &q, &e) < 0 || memcmp(&p, &q, sizeof(p)) != 0)
		abort();
	if (port_rules(&p, 1, "172.17.0.2", "berth0", true, rules, sizeof(rules), &e) < 0 ||
	    strchr(rules, '\n') == rules)
		abort();
	return 0;
}
