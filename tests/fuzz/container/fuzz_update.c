/* update's KEY=VALUE words: PID 1 parses what any client wrote in an
 * `update` request. Whatever parses sets exactly the key it names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/update.h"
#include "runtime/sandbox/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char kv[256];
	struct ctr_update u;
	struct sb_limits l = {0};
	int64_t *f = &u.set.memory;
	int set = 0;
	size_t n = size < sizeof(kv) - 1 ? size : sizeof(kv) - 1;

	memcpy(kv, data, n);
	kv[n] = '\0';
	ctr_update_init(&u);
	if (ctr_update_parse(&u, kv) < 0)
		return 0;
	for (int i = 0; i < 6; i++)
		set += f[i] != CG_UNSET;
	if (set + (u.restart != NULL) != 1 || !strchr(kv, '='))
		abort();
	if (u.restart && (u.restart < kv || u.restart > kv + n))
		abort();
	ctr_update_merge(&l, &u);
	return 0;
}
