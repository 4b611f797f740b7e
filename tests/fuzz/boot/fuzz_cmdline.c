/* The kernel command line PID 1 reads from /proc/cmdline. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/boot/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct boot_params p;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	cmdline_defaults(&p);
	cmdline_parse(s, &p, NULL, NULL);
	if (strlen(p.bridge_cidr) >= sizeof(p.bridge_cidr) || strlen(p.data) >= sizeof(p.data))
		abort();
	free(s);
	return 0;
}
