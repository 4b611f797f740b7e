/* WWW-Authenticate headers come from the network. What parses is a known
 * scheme with NUL-terminated fields; a Bearer has a realm. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/registry/challenge.h"
#include "runtime/registry/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096];
	struct reg_challenge c;
	struct reg_ref r;
	struct berr e;
	size_t len = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

	memcpy(text, data, len);
	text[len] = '\0';
	if (reg_challenge_parse(text, &c, &e) == 0) {
		if (c.scheme != REG_AUTH_BASIC && c.scheme != REG_AUTH_BEARER)
			abort();
		if (c.scheme == REG_AUTH_BEARER && !c.realm[0])
			abort();
		if (strlen(c.realm) >= sizeof(c.realm) || strlen(c.scope) >= sizeof(c.scope))
			abort();
	}
	/* image references come from users and compose files: the same input */
	if (reg_ref_parse(text, &r, &e) == 0 && (!r.path[0] || !r.domain[0] ||
						 (!r.tag[0] && !r.digest[0])))
		abort();
	return 0;
}
