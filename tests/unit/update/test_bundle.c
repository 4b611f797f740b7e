#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/update/bundle.h"

/* RFC 8032, section 7.1, test 1 */
static const char *rfc_seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *rfc_pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static void key(const char *hex, uint8_t k[UPD_KEY_LEN])
{
	struct berr e;

	assert_int_equal(upd_key_parse(hex, k, &e), 0);
}

static void test_public_key_rfc8032(void **state)
{
	uint8_t seed[UPD_KEY_LEN], pub[UPD_KEY_LEN];
	char hex[2 * UPD_KEY_LEN + 1];

	(void)state;
	key(rfc_seed, seed);
	upd_key_public(seed, pub);
	upd_hex(pub, sizeof(pub), hex);
	assert_string_equal(hex, rfc_pub);
}

/* A manifest for a fake payload digest, signed with the RFC key. */
static int make(char *buf, size_t size, const char *version)
{
	uint8_t seed[UPD_KEY_LEN], sha[32];
	struct berr e;

	key(rfc_seed, seed);
	for (int i = 0; i < 32; i++)
		sha[i] = (uint8_t)i;
	return upd_manifest_make(version, 1234, sha, seed, buf, size, &e);
}

static void test_roundtrip_verifies(void **state)
{
	char buf[UPD_HEADER_MAX];
	uint8_t pub[UPD_KEY_LEN];
	struct upd_manifest m;
	struct berr e;
	int n = make(buf, sizeof(buf), "1.2.3");

	(void)state;
	assert_true(n > 0);
	assert_int_equal(upd_manifest_parse(buf, n, &m, &e), 0);
	assert_string_equal(m.version, "1.2.3");
	assert_int_equal(m.size, 1234);
	assert_int_equal(m.sha256[31], 31);
	assert_int_equal(m.header_len, (size_t)n);
	key(rfc_pub, pub);
	assert_int_equal(upd_manifest_verify(buf, &m, pub, &e), 0);
}

static void test_flipped_byte_refused(void **state)
{
	char buf[UPD_HEADER_MAX];
	uint8_t pub[UPD_KEY_LEN];
	struct upd_manifest m;
	struct berr e;
	int n = make(buf, sizeof(buf), "1.2.3");
	char *p = strstr(buf, "size: 1234");

	(void)state;
	key(rfc_pub, pub);
	p[9] = '5'; /* size 1235: still parses, no longer what was signed */
	assert_int_equal(upd_manifest_parse(buf, n, &m, &e), 0);
	assert_int_equal(upd_manifest_verify(buf, &m, pub, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "signature"));
}

static void test_other_key_refused(void **state)
{
	char buf[UPD_HEADER_MAX];
	uint8_t other[UPD_KEY_LEN], pub[UPD_KEY_LEN];
	struct upd_manifest m;
	struct berr e;
	int n = make(buf, sizeof(buf), "2.0");

	(void)state;
	memset(other, 7, sizeof(other));
	upd_key_public(other, pub);
	assert_int_equal(upd_manifest_parse(buf, n, &m, &e), 0);
	assert_int_equal(upd_manifest_verify(buf, &m, pub, &e), -EBADMSG);
}

static void bad(const char *text, const char *want)
{
	struct upd_manifest m;
	struct berr e;

	assert_int_equal(upd_manifest_parse(text, strlen(text), &m, &e), -EINVAL);
	if (!strstr(e.msg, want))
		fail_msg("%s: got \"%s\", want \"%s\"", text, e.msg, want);
}

static void test_bad_manifests(void **state)
{
	char buf[UPD_HEADER_MAX];
	int n = make(buf, sizeof(buf), "1.0");

	(void)state;
	bad("", "not a berth update bundle");
	bad("PK\3\4 a zip", "not a berth update bundle");
	bad("berth-update-bundle 1\nsize: 1\n", "expected \"version:\"");
	bad("berth-update-bundle 1\nversion: a b\n", "only letters");
	bad("berth-update-bundle 1\nversion: 1\nsize: -1\n", "bad size");
	bad("berth-update-bundle 1\nversion: 1\nsize: 012\n", "bad size");
	bad("berth-update-bundle 1\nversion: 1\nsize: 1\nsha256: zz\n", "bad sha256");
	/* truncated anywhere before the empty line */
	for (int cut = 0; cut < n; cut++) {
		struct upd_manifest m;
		struct berr e;

		assert_int_equal(upd_manifest_parse(buf, cut, &m, &e), -EINVAL);
	}
}

static void test_version_check(void **state)
{
	struct berr e;

	(void)state;
	assert_int_equal(upd_version_check("0.0.412-g6fc1bd4-dirty", &e), 0);
	assert_int_equal(upd_version_check("1.0~rc1+b2", &e), 0);
	assert_int_equal(upd_version_check("", &e), -EINVAL);
	assert_int_equal(upd_version_check("1.0\n", &e), -EINVAL);
	assert_int_equal(upd_version_check("a/b", &e), -EINVAL);
}

static void test_key_parse(void **state)
{
	uint8_t k[UPD_KEY_LEN];
	struct berr e;
	char text[80];

	(void)state;
	snprintf(text, sizeof(text), "%s\n", rfc_pub);
	assert_int_equal(upd_key_parse(text, k, &e), 0);
	assert_int_equal(k[0], 0xd7);
	assert_int_equal(upd_key_parse("d75a98", k, &e), -EINVAL);
	snprintf(text, sizeof(text), "%s junk", rfc_pub);
	assert_int_equal(upd_key_parse(text, k, &e), -EINVAL);
	text[0] = 'X';
	assert_int_equal(upd_key_parse(text, k, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_key_rfc8032),
		cmocka_unit_test(test_roundtrip_verifies),
		cmocka_unit_test(test_flipped_byte_refused),
		cmocka_unit_test(test_other_key_refused),
		cmocka_unit_test(test_bad_manifests),
		cmocka_unit_test(test_version_check),
		cmocka_unit_test(test_key_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
