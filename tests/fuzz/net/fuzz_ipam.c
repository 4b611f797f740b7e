/* The address state file <root>/run/berth/network/ipam, read by the
 * supervisor: whatever it accepts holds no address twice, only host
 * addresses of the subnet, and formats back to text that parses again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/net/ipam.h"

static void check(const struct ipam *p)
{
	for (int i = 0; i < p->n; i++) {
		if (i && p->v[i - 1].addr >= p->v[i].addr)
			abort();
		if (p->v[i].addr == p->gateway || (p->v[i].addr >> 16) != (172u << 8 | 17))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipam p, q;
	struct berr e;
	char *text = malloc(size + 1), *again;
	uint32_t a;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ipam_init(&p, "172.17.0.1/16", &e) < 0)
		abort();
	if (ipam_parse(&p, text, &e) == 0) {
		check(&p);
		if (ipam_alloc(&p, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
			       &a, &e) == 0)
			check(&p);
		again = ipam_format(&p);
		if (again) {
			if (ipam_init(&q, "172.17.0.1/16", &e) < 0 || ipam_parse(&q, again, &e) < 0 || q.n != p.n)
				abort();
			ipam_free(&q);
			free(again);
		}
	}
	ipam_free(&p);
	free(text);
	return 0;
}
