#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/image/layer_rules.h"

static const char *clean(const char *in)
{
	static char buf[256];

	if (lr_clean_path(in, buf, sizeof(buf)) < 0)
		return NULL;
	return buf;
}

static void test_clean_path(void **state)
{
	assert_string_equal(clean("a/b/c"), "a/b/c");
	assert_string_equal(clean("./a"), "a");
	assert_string_equal(clean("./a//b/./c/"), "a/b/c");
	assert_string_equal(clean("./"), "");
	assert_string_equal(clean("."), "");
	assert_string_equal(clean("a/..b/c.."), "a/..b/c..");
	assert_string_equal(clean("d1/d2/d3/d4/d5/d6/d7/file"), "d1/d2/d3/d4/d5/d6/d7/file");
	assert_null(clean("../etc/passwd"));
	assert_null(clean("a/../../x"));
	assert_null(clean("a/.."));
	assert_null(clean("./.."));
	assert_null(clean("/etc/passwd"));
	assert_null(clean("/"));
	assert_null(clean(""));
	{
		char small[4];
		assert_int_equal(lr_clean_path("abcdef", small, sizeof(small)), -ENAMETOOLONG);
	}
}

static void test_symlink_escapes(void **state)
{
	/* Absolute targets resolve inside the container's root. */
	assert_false(lr_symlink_escapes("bin/sh", "/bin/busybox"));
	assert_false(lr_symlink_escapes("etc/x", "/../../../etc/passwd"));
	assert_false(lr_symlink_escapes("bin/sh", "busybox"));
	assert_false(lr_symlink_escapes("usr/bin/x", "../../bin/busybox"));
	assert_false(lr_symlink_escapes("a/b/c/l", "./../../x"));
	assert_false(lr_symlink_escapes("a/l", "b/../../x"));
	assert_true(lr_symlink_escapes("l", ".."));
	assert_true(lr_symlink_escapes("l", "../x"));
	assert_true(lr_symlink_escapes("l", "a/../../x"));
	assert_true(lr_symlink_escapes("a/l", "../../x"));
	assert_true(lr_symlink_escapes("usr/bin/x", "../../../etc/passwd"));
	assert_true(lr_symlink_escapes("d1/d2/d3/l", "../../../.."));
	assert_false(lr_symlink_escapes("d1/d2/d3/l", "../../.."));
	assert_true(lr_symlink_escapes("a/l", "./.././../x"));
	assert_true(lr_symlink_escapes("l", ""));
	assert_true(lr_symlink_escapes("l", NULL));
}

static void test_whiteouts(void **state)
{
	const char *hidden = NULL;

	assert_int_equal(lr_whiteout("file", &hidden), LR_WH_NONE);
	assert_int_equal(lr_whiteout(".whfile", &hidden), LR_WH_NONE);
	assert_int_equal(lr_whiteout(".wh.file", &hidden), LR_WH_FILE);
	assert_string_equal(hidden, "file");
	assert_int_equal(lr_whiteout(".wh..hidden", &hidden), LR_WH_FILE);
	assert_string_equal(hidden, ".hidden");
	assert_int_equal(lr_whiteout(".wh..wh..opq", &hidden), LR_WH_OPAQUE);
	assert_int_equal(lr_whiteout(".wh.", &hidden), LR_WH_INVALID);
	assert_int_equal(lr_whiteout(".wh..", &hidden), LR_WH_INVALID);
	assert_int_equal(lr_whiteout(".wh...", &hidden), LR_WH_INVALID);
	assert_int_equal(lr_whiteout(".wh..wh.x", &hidden), LR_WH_INVALID);
}

static const char *norm(const char *in)
{
	static char buf[256];

	if (lr_ref_normalize(in, buf, sizeof(buf)) < 0)
		return NULL;
	return buf;
}

static void test_ref_normalize(void **state)
{
	char name[256], tag[64];

	assert_string_equal(norm("busybox"), "busybox:latest");
	assert_string_equal(norm("busybox:1.36"), "busybox:1.36");
	assert_string_equal(norm("library/busybox"), "library/busybox:latest");
	assert_string_equal(norm("localhost:5000/app"), "localhost:5000/app:latest");
	assert_string_equal(norm("localhost:5000/app:v2"), "localhost:5000/app:v2");
	assert_string_equal(norm("my-app_x.y:V1_2-rc.3"), "my-app_x.y:V1_2-rc.3");
	assert_string_equal(norm("docker.io/library/busybox:1.36"), "busybox:1.36");
	assert_string_equal(norm("docker.io/library/busybox"), "busybox:latest");
	assert_string_equal(norm("docker.io/someone/app"), "someone/app:latest");
	assert_string_equal(norm("index.docker.io/library/nginx:alpine"), "nginx:alpine");
	assert_string_equal(norm("ghcr.io/org/app:1"), "ghcr.io/org/app:1");
	assert_null(norm(""));
	assert_null(norm("Busybox"));
	assert_null(norm("busybox:"));
	assert_null(norm(":tag"));
	assert_null(norm("a//b"));
	assert_null(norm("a/"));
	assert_null(norm("busybox:-x"));
	assert_null(norm("busybox@sha256:0000"));
	assert_null(norm("bad name"));
	assert_null(norm("a:b:c"));

	lr_ref_split("localhost:5000/app:v2", name, sizeof(name), tag, sizeof(tag));
	assert_string_equal(name, "localhost:5000/app");
	assert_string_equal(tag, "v2");
	lr_ref_split("busybox", name, sizeof(name), tag, sizeof(tag));
	assert_string_equal(name, "busybox");
	assert_string_equal(tag, "");
}

static void test_looks_like_id(void **state)
{
	assert_true(lr_looks_like_id("abcd"));
	assert_true(lr_looks_like_id("0123456789ab"));
	assert_true(lr_looks_like_id("sha256:0123456789ab"));
	assert_true(lr_looks_like_id(
	    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(
	    lr_looks_like_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"));
	assert_false(lr_looks_like_id("abc"));
	assert_false(lr_looks_like_id("sha256:"));
	assert_false(lr_looks_like_id("ABCD"));
	assert_false(lr_looks_like_id("busybox"));
}

static void test_human(void **state)
{
	char b[64];

	lr_human_size(0, b, sizeof(b));
	assert_string_equal(b, "0B");
	lr_human_size(512, b, sizeof(b));
	assert_string_equal(b, "512B");
	lr_human_size(1200, b, sizeof(b));
	assert_string_equal(b, "1.2kB");
	lr_human_size(4261000, b, sizeof(b));
	assert_string_equal(b, "4.26MB");
	lr_human_size(77800000000ull, b, sizeof(b));
	assert_string_equal(b, "77.8GB");

	lr_human_since(0, b, sizeof(b));
	assert_string_equal(b, "Less than a second ago");
	lr_human_since(1, b, sizeof(b));
	assert_string_equal(b, "1 second ago");
	lr_human_since(42, b, sizeof(b));
	assert_string_equal(b, "42 seconds ago");
	lr_human_since(90, b, sizeof(b));
	assert_string_equal(b, "About a minute ago");
	lr_human_since(600, b, sizeof(b));
	assert_string_equal(b, "10 minutes ago");
	lr_human_since(3600, b, sizeof(b));
	assert_string_equal(b, "About an hour ago");
	lr_human_since(5 * 3600, b, sizeof(b));
	assert_string_equal(b, "5 hours ago");
	lr_human_since(3 * 86400, b, sizeof(b));
	assert_string_equal(b, "3 days ago");
	lr_human_since(21 * 86400, b, sizeof(b));
	assert_string_equal(b, "3 weeks ago");
	lr_human_since(90 * 86400, b, sizeof(b));
	assert_string_equal(b, "3 months ago");
	lr_human_since(3 * 365 * 86400LL, b, sizeof(b));
	assert_string_equal(b, "3 years ago");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_path),	  cmocka_unit_test(test_symlink_escapes),
	    cmocka_unit_test(test_whiteouts),	  cmocka_unit_test(test_ref_normalize),
	    cmocka_unit_test(test_looks_like_id),
	    cmocka_unit_test(test_human),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
