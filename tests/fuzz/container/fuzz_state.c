/* config.json and state.json: the small files the supervisor reads back,
 * through the loaders the supervisor uses (ctr_config_load, ctr_state_load,
 * ctr_health_load), fed from memory: the harness includes container.c with
 * its one file read, json_load_file, turned into json_loadb of the input
 * (same flags). Writing and reading the files per input held this harness
 * to 24 inputs a second on disk, 700 on tmpfs; the file path itself is
 * covered by tests/unit/container/test_container.c. Whatever loads is then
 * described (`berth ps` STATUS) and its health encoded again, every log
 * entry kept. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *input;
static size_t input_size;

static json_t *load_input(const char *path, size_t flags, json_error_t *je)
{
	(void)path;
	errno = 0;
	return json_loadb((const char *)input, input_size, flags, je);
}

#define json_load_file(path, flags, je) load_input(path, flags, je)
#include "runtime/container/container.c"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hc_state h;
	struct ctr_config c;
	struct ctr_state s;
	struct berr e;
	char text[128];
	json_t *j;

	input = data;
	input_size = size;
	if (ctr_config_load("/nonexistent", ID, &c, &e) == 0) {
		if (strcmp(c.id, ID) != 0 || !c.argv || !c.argv[0] || !c.layers || !c.env)
			abort();
		ctr_config_free(&c);
	} else if (!e.msg[0]) {
		abort();
	}
	if (ctr_state_load("/nonexistent", ID, &s, &e) < 0)
		return 0;
	if (ctr_health_load("/nonexistent", ID, &h, &e) < 0 || h.nlog > HC_LOG_MAX)
		abort(); /* the same bytes loaded as state */
	s.health = &h;
	ctr_status_text(&s, 0, text, sizeof(text));
	if (!text[0])
		abort();
	j = ctr_health_json(&h); /* every entry kept, whatever its output */
	if (!j || json_array_size(json_object_get(j, "Log")) != (size_t)h.nlog)
		abort();
	json_decref(j);
	return 0;
}
