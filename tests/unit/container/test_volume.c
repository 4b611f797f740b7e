#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "init/boot/datadisk.h"
#include "runtime/container/volume.h"

static void ok(const char *spec, enum vol_kind kind, const char *src, const char *dst, bool ro,
	       bool nocopy)
{
	struct vol_spec v;
	struct berr e;

	if (vol_spec_parse(spec, &v, &e) != 0)
		fail_msg("%s: %s", spec, e.msg);
	assert_int_equal(v.kind, kind);
	assert_string_equal(v.source, src);
	assert_string_equal(v.target, dst);
	assert_int_equal(v.read_only, ro);
	assert_int_equal(v.nocopy, nocopy);
}

static void bad(const char *spec, const char *needle)
{
	struct vol_spec v;
	struct berr e;

	assert_int_equal(vol_spec_parse(spec, &v, &e), -EINVAL);
	if (!strstr(e.msg, needle))
		fail_msg("%s: \"%s\" lacks \"%s\"", spec, e.msg, needle);
}

static void test_name_vs_path(void **s)
{
	(void)s;
	ok("/host/dir:/ctr", VOL_BIND, "/host/dir", "/ctr", false, false);
	ok("data:/var/lib/db", VOL_NAMED, "data", "/var/lib/db", false, false);
	ok("my_vol.1-x:/x", VOL_NAMED, "my_vol.1-x", "/x", false, false);
	ok("/scratch", VOL_ANON, "", "/scratch", false, false);
	ok("/scratch/", VOL_ANON, "", "/scratch", false, false);
	/* a 64-hex name is a name too (an anonymous volume reused by name) */
	ok("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef:/a", VOL_NAMED,
	   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "/a", false, false);
}

static void test_modes(void **s)
{
	(void)s;
	ok("/h:/c:ro", VOL_BIND, "/h", "/c", true, false);
	ok("/h:/c:rw", VOL_BIND, "/h", "/c", false, false);
	ok("v1:/c:ro,nocopy", VOL_NAMED, "v1", "/c", true, true);
	ok("/scratch:ro", VOL_ANON, "", "/scratch", true, false);
	ok("/scratch:nocopy", VOL_ANON, "", "/scratch", false, true);
	bad("/h:/c:bogus", "invalid mode: bogus");
	bad("v1:/c:", "invalid mode");
	bad("/h:/c:nocopy", "nocopy is for volumes");
}

static void test_errors(void **s)
{
	(void)s;
	bad("", "invalid volume specification");
	bad(":/c", "invalid volume specification: ':/c'");
	bad("a:b:c:d", "invalid volume specification: 'a:b:c:d'");
	bad("rel", "mount path must be absolute");
	bad("v1:rel", "invalid mount path: 'rel' mount path must be absolute");
	bad("v1:/", "destination can't be '/'");
	bad("/h://", "destination can't be '/'");
	bad("./rel:/c", "\"./rel\" includes invalid characters for a local volume name");
	bad("a:/c", "includes invalid characters"); /* one character is too short */
	bad("-x:/c", "includes invalid characters");
	bad("x y:/c", "includes invalid characters");
}

static void test_name_valid(void **s)
{
	(void)s;
	assert_true(vol_name_valid("ab"));
	assert_true(vol_name_valid("A9_.-"));
	assert_false(vol_name_valid("a"));
	assert_false(vol_name_valid(".hidden"));
	assert_false(vol_name_valid("_x"));
	assert_false(vol_name_valid("a/b"));
	assert_false(vol_name_valid(".."));
	assert_false(vol_name_valid(""));
}

static void test_ext_label(void **s)
{
	unsigned char sb[EXT_SB_SIZE] = { 0 };
	char label[17];

	(void)s;
	assert_false(dd_ext_label(sb, sizeof(sb), label));
	sb[0x38] = 0x53;
	sb[0x39] = 0xEF;
	assert_true(dd_ext_label(sb, sizeof(sb), label));
	assert_string_equal(label, "");
	memcpy(sb + 0x78, "berth-data", 10);
	assert_true(dd_ext_label(sb, sizeof(sb), label));
	assert_string_equal(label, "berth-data");
	/* a full 16-byte label has no terminator on disk */
	memcpy(sb + 0x78, "0123456789abcdef", 16);
	assert_true(dd_ext_label(sb, sizeof(sb), label));
	assert_string_equal(label, "0123456789abcdef");
	/* a short read */
	assert_false(dd_ext_label(sb, 0x80, label));
	/* an external journal device: not a filesystem */
	sb[0x60] = 0x08;
	assert_false(dd_ext_label(sb, sizeof(sb), label));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_vs_path), cmocka_unit_test(test_modes),
		cmocka_unit_test(test_errors), cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_ext_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
