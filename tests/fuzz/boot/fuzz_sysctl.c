/* Lines of files in /etc/sysctl.d. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/boot/sysctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[2048], path[4096];
	struct sysctl_entry ent;
	struct berr e;
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;

	memcpy(line, data, n);
	line[n] = '\0';
	if (sysctl_parse_line(line, &ent, &e) == 1) {
		if (!*ent.key || strstr(ent.key, ".."))
			abort();
		berr_ignore(sysctl_key_path("/proc/sys", ent.key, path, sizeof(path)));
	}
	return 0;
}
