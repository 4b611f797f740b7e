/* challenge.h - the WWW-Authenticate header of a registry's 401 (RFC 7235):
 *
 *   Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"
 *   Basic realm="Registry Realm"
 *
 * Pure (libc only), unit-tested and fuzzed: the header comes from the
 * network.
 */
#ifndef BERTH_REG_CHALLENGE_H
#define BERTH_REG_CHALLENGE_H

#include "runtime/lib/err.h"

enum reg_scheme { REG_AUTH_NONE, REG_AUTH_BASIC, REG_AUTH_BEARER };

struct reg_challenge {
	enum reg_scheme scheme;
	char realm[1024];
	char service[256];
	char scope[512];
};

/* Parse one header value (without "WWW-Authenticate:"). Schemes are
 * case-insensitive, parameters may be quoted (with \ escapes) or tokens,
 * unknown parameters are skipped. An unknown scheme is -ENOTSUP, bad syntax
 * or a Bearer without realm -EINVAL. */
BERR_MUST int reg_challenge_parse(const char *value, struct reg_challenge *c, struct berr *e);

#endif
