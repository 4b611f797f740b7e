/* config.json: anything parses to a spec or one error, never crashes; a
 * spec that parses has a command, an absolute cwd, a mount namespace and
 * absolute mount targets. */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/oci/oci_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config c;
	struct sb_spec s = {0};
	struct berr e;

	if (oci_config_parse((const char *)data, size, "/bundle", &c, &e) < 0) {
		if (!e.msg[0] || e.code <= 0)
			abort();
		return 0;
	}
	oci_config_spec(&c, &s);
	if (!s.argv || !s.argv[0] || !s.cwd || s.cwd[0] != '/' || !(s.namespaces & CLONE_NEWNS))
		abort();
	for (int i = 0; i < s.nfsmounts; i++) {
		if (s.fsmounts[i].target[0] != '/')
			abort();
	}
	if (!s.masked_paths || !s.readonly_paths || !s.fsmounts)
		abort();
	oci_config_free(&c);
	return 0;
}
