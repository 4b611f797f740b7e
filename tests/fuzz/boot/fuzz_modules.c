/* modules.dep and modules.builtin as PID 1 reads them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/boot/modules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct mod_db db;
	struct berr e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (mod_db_parse(&db, text, text, &e) == 0) {
		int order[64], count = 0;
		for (int i = 0; i < db.count && i < 8; i++)
			berr_ignore(mod_resolve(&db, db.entries[i].name, order, &count, 64, &e));
		mod_db_free(&db);
	}
	free(text);
	return 0;
}
