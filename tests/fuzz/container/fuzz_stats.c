/* The text `berth stats` reads from /proc/PID/net/dev, io.stat and
 * memory.stat: whatever it is, the parsers stay inside it and the sums
 * only grow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct st_io io = { 0 }, more;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	st_parse_netdev(text, &io);
	more = io;
	st_parse_iostat(text, &more);
	if (more.rx != io.rx || more.tx != io.tx)
		abort();
	(void)st_keyed(text, "inactive_file");
	free(text);
	return 0;
}
