/* config.json and state.json: the small files the supervisor reads back.
 * Written under /dev/shm: write_file_atomic fsyncs the file and its
 * directory, nearly free on tmpfs (on disk it held this harness to 24
 * inputs a second). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/container/container.h"
#include "runtime/lib/file.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char root[64];

static void put(const char *file, const uint8_t *data, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/run/berth/containers/" ID "/%s", root, file);
	if (write_file_atomic(path, data, size, 0600) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctr_config c;
	struct ctr_state s;
	struct berr e;

	if (!root[0]) {
		char dir[256];
		snprintf(root, sizeof(root), "/dev/shm/berth-fuzz-%d", (int)getpid());
		snprintf(dir, sizeof(dir), "%s/run/berth/containers/" ID, root);
		if (mkdir_p(dir, 0700) < 0)
			abort();
	}
	put("config.json", data, size);
	put("state.json", data, size);
	if (ctr_config_load(root, ID, &c, &e) == 0)
		ctr_config_free(&c);
	berr_ignore(ctr_state_load(root, ID, &s, &e));
	{
		static struct hc_state h;
		berr_ignore(ctr_health_load(root, ID, &h, &e));
	}
	return 0;
}
