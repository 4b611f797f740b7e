/* The Compose file: anything at all parses to errors or services, never
 * crashes; the start order holds only startable services, each after
 * everything it depends on; each becomes run arguments ending in its
 * image. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/compose/compose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct compose_file f;
	char project[64];

	berr_ignore(compose_parse((const char *)data, size, "compose.yaml", &f));
	compose_project_name(&f, "fuzz", project, sizeof(project));
	for (int k = 0; k < f.norder; k++) {
		const struct compose_service *s = &f.svc[f.order[k]];
		struct strv a = { 0 };

		if (s->status != COMPOSE_OK || !s->image)
			abort();
		for (int d = 0; d < s->depends_on.n; d++) {
			int j = compose_find(&f, s->depends_on.v[d]), seen = 0;
			for (int p = 0; p < k; p++)
				seen |= f.order[p] == j;
			if (!seen)
				abort();
		}
		if (compose_run_args(&f, project, f.order[k], NULL, &a) == 0) {
			bool found = false;
			for (int i = 0; i + 1 < a.n; i++)
				found |= strcmp(a.v[i], "--") == 0 && strcmp(a.v[i + 1], s->image) == 0;
			if (!found)
				abort();
		}
		strv_free(&a);
	}
	for (int i = 0; i < f.nsvc; i++) {
		if (f.svc[i].status != COMPOSE_OK && !f.errors.n)
			abort(); /* a service left out is always explained */
	}
	compose_free(&f);
	return 0;
}
