/* --format templates: the parser and the evaluator over any text a user
 * types, on any JSON. Input: the template, then a NUL byte and the data
 * (JSON; a container-like object when it does not parse). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/template.h"

static const char sample[] =
    "{\"Names\":\"web\",\"N\":3,\"F\":1.5,\"E\":\"\",\"Nil\":null,\"Labels\":\"a=1,b=2\","
    "\"Mounts\":[{\"Source\":\"/a\"},{\"Source\":\"/b\"}],\"Config\":{\"Labels\":{\"k\":\"v\"},"
    "\"Cmd\":[\"sh\",\"-c\"]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tl = nul ? (size_t)(nul - data) : size;
	char *text = malloc(tl + 1), *out = NULL;
	json_t *obj = nul ? json_loadb((const char *)nul + 1, size - tl - 1, JSON_DECODE_ANY, NULL)
			  : NULL;
	struct tmpl *t;
	struct berr e;
	size_t len = 0;

	if (!text)
		return 0;
	/* every bound reached 1000x sooner: the same checks, not a 20-million
	 * step run for each input that finds a loop */
	tmpl_set_limits(20000L, 64u << 10, 256u << 10, 1000);
	memcpy(text, data, tl);
	text[tl] = '\0';
	if (!obj)
		obj = json_loads(sample, 0, NULL);
	if (tmpl_parse(text, &t, &e) == 0) {
		/* a failed run leaves a message; either way the output is a string */
		if (tmpl_exec(t, obj, false, &out, &len, &e) == 0 && strlen(out) > len)
			abort();
		free(out);
		out = NULL;
		len = 0;
		berr_ignore(tmpl_exec(t, obj, true, &out, &len, &e)); /* the header pass */
		tmpl_free(t);
	} else if (!e.msg[0]) {
		abort(); /* every refusal says why */
	}
	free(out);
	free(text);
	json_decref(obj);
	return 0;
}
