/* The Compose file: anything at all parses to errors or services, never
 * crashes, with its values interpolated from a few variables (and the
 * same bytes read as a .env file); the start order holds only startable services, each after
 * everything it depends on; each becomes run arguments ending in its
 * image. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/compose/compose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const vars[] = { "A=1", "EMPTY=", "B=${A}", NULL };
	static char *const *const envs[] = { vars, NULL };
	struct compose_file f;
	struct strv dotenv = { 0 };
	char project[64], err[256];

	if (compose_dotenv_parse((const char *)data, size, &dotenv, err, sizeof(err)) == 0) {
		for (int i = 0; i < dotenv.n; i++) {
			if (!strchr(dotenv.v[i], '='))
				abort(); /* every entry is KEY=VALUE */
		}
	}
	strv_free(&dotenv);
	if (compose_parse_env((const char *)data, size, "compose.yaml", envs, &f) == 0 &&
	    f.errors.n)
		abort();
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
