/* The update bundle's manifest and the slot names and PE headers on the
 * ESP: `berth update` parses whatever file it is given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/update/bundle.h"
#include "runtime/update/slots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upd_manifest m;
	struct upd_entry en;
	char name[UPD_NAME_MAX + 8], v[64];
	const char *osrel;
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1, olen;
	struct berr e;

	if (upd_manifest_parse((const char *)data, size, &m, &e) == 0 &&
	    (m.header_len > size || m.signed_len >= m.header_len))
		abort();
	memcpy(name, data, n);
	name[n] = '\0';
	if (upd_entry_parse(name, &en) == 0) {
		char back[UPD_NAME_MAX];

		upd_entry_name(en.gen, en.slot, en.left, en.done, back, sizeof(back));
		/* "+N-0" is accepted and written back as "+N" */
		if (strcmp(back, name) != 0 && !strstr(name, "-0.efi"))
			abort();
	}
	osrel = upd_pe_osrel(data, size, &olen);
	if (osrel && (osrel < (const char *)data || osrel + olen > (const char *)data + size))
		abort();
	if (osrel)
		(void)upd_osrel_version(osrel, olen, v, sizeof(v));
	return 0;
}
