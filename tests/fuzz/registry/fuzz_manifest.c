/* Manifests and indexes come from the network: whatever parses must hold
 * valid digests, sizes >= 0 and at most REG_LAYERS_MAX layers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/registry/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const platforms[] = { NULL, "linux/arm/v7", "linux" };
	struct reg_manifest m;
	struct berr e;

	for (size_t p = 0; p < 3; p++) {
		if (reg_manifest_parse((const char *)data, size, p ? REG_MT_OCI_INDEX : NULL,
				       platforms[p], &m, &e) < 0)
			continue;
		if (m.kind == REG_KIND_INDEX && !dg_valid(m.pick.digest))
			abort();
		if (m.kind == REG_KIND_IMAGE &&
		    (!dg_valid(m.config.digest) || m.nlayers > REG_LAYERS_MAX))
			abort();
		for (size_t i = 0; m.kind == REG_KIND_IMAGE && i < m.nlayers; i++)
			if (!dg_valid(m.layers[i].digest) || m.layers[i].size < 0)
				abort();
	}
	return 0;
}
