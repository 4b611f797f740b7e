#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/registry/challenge.h"

static void test_bearer(void **state)
{
	struct reg_challenge c;
	struct berr e;

	assert_int_equal(reg_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
					     "service=\"registry.docker.io\","
					     "scope=\"repository:library/nginx:pull\"",
					     &c, &e),
			 0);
	assert_int_equal(c.scheme, REG_AUTH_BEARER);
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/nginx:pull");
	/* case, spaces, token values, escapes, unknown parameters */
	assert_int_equal(reg_challenge_parse("  bEARER  error=\"insufficient_scope\" , Realm = "
					     "\"http://h:1/t?a=\\\"b\\\"\",service=svc",
					     &c, &e),
			 0);
	assert_string_equal(c.realm, "http://h:1/t?a=\"b\"");
	assert_string_equal(c.service, "svc");
	assert_string_equal(c.scope, "");
}

static void test_basic_and_refusals(void **state)
{
	struct reg_challenge c;
	struct berr e;

	assert_int_equal(reg_challenge_parse("Basic realm=\"Registry Realm\"", &c, &e), 0);
	assert_int_equal(c.scheme, REG_AUTH_BASIC);
	assert_string_equal(c.realm, "Registry Realm");
	assert_int_equal(reg_challenge_parse("Basic", &c, &e), 0);
	assert_int_equal(reg_challenge_parse("Negotiate abc", &c, &e), -ENOTSUP);
	assert_string_equal(e.msg, "unsupported authentication scheme \"Negotiate\"");
	assert_int_equal(reg_challenge_parse("", &c, &e), -ENOTSUP);
	assert_int_equal(reg_challenge_parse("Bearer service=\"x\"", &c, &e), -EINVAL);
	assert_string_equal(e.msg, "WWW-Authenticate: Bearer challenge without a realm");
	assert_int_equal(reg_challenge_parse("Bearer realm=\"unterminated", &c, &e), -EINVAL);
	assert_int_equal(reg_challenge_parse("Bearer realm", &c, &e), -EINVAL);
	assert_int_equal(reg_challenge_parse("Bearer realm=\"a\" junk", &c, &e), -EINVAL);
	assert_int_equal(reg_challenge_parse("Bearer=x", &c, &e), -EINVAL);
}

static void test_long_values_truncate(void **state)
{
	struct reg_challenge c;
	struct berr e;
	char big[4000];

	snprintf(big, sizeof(big), "Bearer realm=\"%03000d\"", 7);
	assert_int_equal(reg_challenge_parse(big, &c, &e), 0);
	assert_int_equal(strlen(c.realm), sizeof(c.realm) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_basic_and_refusals),
		cmocka_unit_test(test_long_values_truncate),
	};
	return cmocka_run_group_tests_name("challenge", tests, NULL, NULL);
}
