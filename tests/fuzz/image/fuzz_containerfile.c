/* Containerfiles come from users: parsing and expanding every word of
 * every instruction must never crash, and errors always name a line. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/image/containerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *bargs[] = {"A=1", "B=two"};
	struct cf_file f;
	struct cf_scope s;
	struct berr e;

	if (cf_parse("Containerfile", (const char *)data, size, &f, &e) < 0) {
		if (strncmp(e.msg, "Containerfile:", 14) != 0 && e.code != ENOMEM)
			abort();
		return 0;
	}
	if (f.n == 0 || (f.escape != '\\' && f.escape != '`'))
		abort();
	if (cf_scope_init(&s, bargs, 2) < 0)
		abort();
	for (size_t i = 0; i < f.n; i++) {
		struct cf_inst *in = &f.inst[i];

		if (!in->text || in->line < 1)
			abort();
		if (in->kind == CF_FROM)
			cf_scope_enter_stage(&s);
		for (size_t j = 0; j < in->nargs; j++) {
			char *out = NULL;

			if (in->kind == CF_ARG) {
				berr_ignore(cf_scope_arg(&s, in->args[j], f.escape, &e));
			} else if (cf_expand(in->args[j], f.escape, &s, &out, &e) == 0) {
				if (in->kind == CF_ENV) {
					char *k, *v;
					if (cf_split_kv(out, &k, &v) == 0) {
						berr_ignore(cf_scope_setenv(&s, k, v));
						free(k);
						free(v);
					}
				}
				free(out);
			}
		}
	}
	cf_scope_free(&s);
	cf_free(&f);
	return 0;
}
