#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/image/build_rules.h"

#define P1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define P2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void test_cache_key_inputs(void **state)
{
	char a[DG_STR_LEN], b[DG_STR_LEN];

	bld_cache_key(P1, "/bin/sh -c true", "", a);
	bld_cache_key(P1, "/bin/sh -c true", NULL, b);
	assert_string_equal(a, b); /* stable, and no files == "" */
	assert_true(dg_valid(a));
	bld_cache_key(P2, "/bin/sh -c true", "", b);
	assert_string_not_equal(a, b); /* parent */
	bld_cache_key(P1, "/bin/sh -c false", "", b);
	assert_string_not_equal(a, b); /* instruction */
	bld_cache_key(P1, "/bin/sh -c true", "sha256:ff", b);
	assert_string_not_equal(a, b); /* the files read */
	/* moving bytes between the parts changes the key */
	bld_cache_key(P1, "ab", "c", a);
	bld_cache_key(P1, "a", "bc", b);
	assert_string_not_equal(a, b);
}

static void test_run_created_by(void **state)
{
	char *shell[] = {"echo $HOME && ls"};
	char *exec[] = {"/bin/busybox", "--install", "-s", "a \"q\""};
	char *env[] = {"VERSION=2.5", "DIR=/opt"};
	char *s;

	s = bld_run_created_by(shell, 1, false, NULL, 0);
	assert_string_equal(s, "/bin/sh -c echo $HOME && ls");
	free(s);
	s = bld_run_created_by(shell, 1, false, env, 2);
	assert_string_equal(s, "|2 VERSION=2.5 DIR=/opt /bin/sh -c echo $HOME && ls");
	free(s);
	s = bld_run_created_by(exec, 4, true, env, 1);
	assert_string_equal(s, "|1 VERSION=2.5 RUN [\"/bin/busybox\" \"--install\" \"-s\" \"a \\\"q\\\"\"]");
	free(s);
	/* a build arg's value is part of the key material */
	{
		char k1[DG_STR_LEN], k2[DG_STR_LEN];
		char *e1[] = {"V=1"}, *e2[] = {"V=2"};
		char *c1 = bld_run_created_by(shell, 1, false, e1, 1);
		char *c2 = bld_run_created_by(shell, 1, false, e2, 1);
		bld_cache_key(P1, c1, "", k1);
		bld_cache_key(P1, c2, "", k2);
		assert_string_not_equal(k1, k2);
		free(c1);
		free(c2);
	}
}

static void test_quote_list(void **state)
{
	char *v[] = {"sh"};
	char *s = bld_quote_list(v, 1);

	assert_string_equal(s, "[\"sh\"]");
	free(s);
	s = bld_quote_list(v, 0);
	assert_string_equal(s, "[]");
	free(s);
}

static void test_ignore_rules(void **state)
{
	struct bld_ignore ig;

	assert_int_equal(bld_ignore_parse("# comment\n\n  *.tmp \n/docs/\n./build\n"
					  "!docs/keep.md\n**/*.o\nsecret?.txt\n[ab].c\n",
					  &ig),
			 0);
	assert_int_equal(ig.n, 7);
	assert_true(bld_ignored(&ig, "x.tmp"));
	assert_false(bld_ignored(&ig, "dir/x.tmp")); /* '*' stays in one element */
	assert_true(bld_ignored(&ig, "docs"));
	assert_true(bld_ignored(&ig, "docs/a/b.md")); /* below an excluded dir */
	assert_false(bld_ignored(&ig, "docs/keep.md")); /* re-included */
	assert_true(bld_ignored(&ig, "build/out"));
	assert_true(bld_ignored(&ig, "a/b/c.o"));
	assert_true(bld_ignored(&ig, "c.o"));
	assert_true(bld_ignored(&ig, "secret1.txt"));
	assert_false(bld_ignored(&ig, "secret12.txt"));
	assert_true(bld_ignored(&ig, "a.c"));
	assert_false(bld_ignored(&ig, "c.c"));
	assert_false(bld_ignored(&ig, "Containerfile"));
	bld_ignore_free(&ig);
	assert_int_equal(bld_ignore_parse("", &ig), 0);
	assert_false(bld_ignored(&ig, "anything"));
	bld_ignore_free(&ig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_key_inputs),
		cmocka_unit_test(test_run_created_by),
		cmocka_unit_test(test_quote_list),
		cmocka_unit_test(test_ignore_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
