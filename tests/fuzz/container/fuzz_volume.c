/* -v specs (from the CLI) and ext superblocks (PID 1 reads one from every
 * disk attached at boot): whatever parses keeps the module's promises. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/boot/datadisk.h"
#include "runtime/container/volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vol_spec v;
	char spec[256], label[17];
	struct berr e;
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;

	if (dd_ext_label(data, size, label) && strlen(label) > 16)
		abort();
	memcpy(spec, data, n);
	spec[n] = '\0';
	if (vol_spec_parse(spec, &v, &e) < 0)
		return e.code == EINVAL && e.msg[0] ? 0 : (abort(), 0);
	if (v.target[0] != '/' || strcmp(v.target, "/") == 0 || strchr(v.target, ':'))
		abort();
	if ((v.kind == VOL_BIND && v.source[0] != '/') ||
	    (v.kind == VOL_NAMED && !vol_name_valid(v.source)) ||
	    (v.kind == VOL_ANON && v.source[0]) || (v.kind == VOL_BIND && v.nocopy))
		abort();
	return 0;
}
