/* The control FIFO's request lines: PID 1 parses whatever is written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[PROTO_LINE_MAX + 1], out[PROTO_LINE_MAX + 1];
	struct proto_request req;
	struct berr e;
	size_t n = size < PROTO_LINE_MAX ? size : PROTO_LINE_MAX;

	memcpy(line, data, n);
	line[n] = '\0';
	if (proto_parse_request(line, &req, &e) == 0 && req.argc > 0) {
		/* what parses must survive a round trip */
		int len = proto_format_request(out, sizeof(out), req.reply, req.argc, req.argv, &e);
		if (len > 0) {
			struct proto_request back;
			char copy[PROTO_LINE_MAX + 1];
			memcpy(copy, out, len + 1);
			if (proto_parse_request(copy, &back, &e) != 0 || back.argc != req.argc)
				abort();
			for (int i = 0; i < req.argc; i++)
				if (strcmp(back.argv[i], req.argv[i]) != 0)
					abort();
		}
	}
	return 0;
}
