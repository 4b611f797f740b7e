#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/update/slots.h"

static struct upd_entry parse_ok(const char *name)
{
	struct upd_entry en;

	if (upd_entry_parse(name, &en) != 0)
		fail_msg("%s did not parse", name);
	return en;
}

static void test_entry_names(void **state)
{
	struct upd_entry en;
	char buf[UPD_NAME_MAX];

	(void)state;
	en = parse_ok("berth-1-a.efi");
	assert_int_equal(en.gen, 1);
	assert_int_equal(en.slot, 'a');
	assert_int_equal(en.left, -1);
	assert_string_equal(upd_entry_state(&en), "good");
	en = parse_ok("berth-12-b+3.efi");
	assert_int_equal(en.gen, 12);
	assert_int_equal(en.left, 3);
	assert_int_equal(en.done, 0);
	assert_string_equal(upd_entry_state(&en), "trying");
	en = parse_ok("berth-3-b+0-3.efi");
	assert_int_equal(en.left, 0);
	assert_int_equal(en.done, 3);
	assert_string_equal(upd_entry_state(&en), "bad");
	upd_entry_name(3, 'b', 2, 1, buf, sizeof(buf));
	assert_string_equal(buf, "berth-3-b+2-1.efi");
	upd_entry_name(3, 'b', 3, 0, buf, sizeof(buf));
	assert_string_equal(buf, "berth-3-b+3.efi");
	upd_entry_name(3, 'b', -1, 0, buf, sizeof(buf));
	assert_string_equal(buf, "berth-3-b.efi");
	const char *bad[] = { "berth-1-c.efi", "berth--a.efi", "berth-01-a.efi", "berth-1-a",
			      "berth-1-a.efi.tmp", ".berth-1-a.efi.tmp", "berth-1-a+.efi",
			      "berth-1-a+1-.efi", "berth-1-a+1-2-3.efi", "BOOTX64.EFI",
			      "berth-99999999999-a.efi", "berth-1-ab.efi" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (upd_entry_parse(bad[i], &en) != -EINVAL)
			fail_msg("%s parsed", bad[i]);
	}
}

static int cmp(const void *a, const void *b)
{
	return upd_entry_order(a, b);
}

/* systemd-boot's order: no tries left last, then the highest generation */
static void test_order(void **state)
{
	struct upd_entry en[3];

	(void)state;
	en[0] = parse_ok("berth-1-a.efi");
	en[1] = parse_ok("berth-2-b+3.efi");
	en[2] = parse_ok("berth-0-b.efi");
	qsort(en, 3, sizeof(en[0]), cmp);
	assert_string_equal(en[0].name, "berth-2-b+3.efi");
	assert_string_equal(en[1].name, "berth-1-a.efi");
	en[0] = parse_ok("berth-1-a.efi");
	en[1] = parse_ok("berth-2-b+0-3.efi");
	en[2] = parse_ok("berth-10-a+1-2.efi");
	qsort(en, 3, sizeof(en[0]), cmp);
	assert_string_equal(en[0].name, "berth-10-a+1-2.efi");
	assert_string_equal(en[1].name, "berth-1-a.efi");
	assert_string_equal(en[2].name, "berth-2-b+0-3.efi");
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A minimal PE: MZ, e_lfanew 0x40, PE header, two sections. */
static size_t make_pe(uint8_t *pe, const char *osrel)
{
	size_t n = strlen(osrel);

	memset(pe, 0, 1024);
	pe[0] = 'M';
	pe[1] = 'Z';
	le32(pe + 0x3c, 0x40);
	memcpy(pe + 0x40, "PE\0\0", 4);
	pe[0x40 + 6] = 2;			/* sections */
	pe[0x40 + 20] = 16;			/* optional header size */
	memcpy(pe + 0x40 + 24 + 16, ".text", 5);
	memcpy(pe + 0x40 + 24 + 16 + 40, ".osrel", 6);
	le32(pe + 0x40 + 24 + 16 + 40 + 8, (uint32_t)n);   /* VirtualSize */
	le32(pe + 0x40 + 24 + 16 + 40 + 16, 512);	    /* SizeOfRawData */
	le32(pe + 0x40 + 24 + 16 + 40 + 20, 0x200);	    /* PointerToRawData */
	memcpy(pe + 0x200, osrel, n);
	return 0x200 + 512;
}

static void test_pe_osrel(void **state)
{
	uint8_t pe[1024];
	size_t len = make_pe(pe, "NAME=\"Berth\"\nVERSION=\"1.4.2\"\n"), olen;
	const char *o = upd_pe_osrel(pe, len, &olen);
	char v[64];

	(void)state;
	assert_non_null(o);
	assert_true(upd_osrel_version(o, olen, v, sizeof(v)));
	assert_string_equal(v, "1.4.2");
	/* cut inside the section table or the data: no section */
	assert_null(upd_pe_osrel(pe, 0x40 + 24 + 16 + 60, &olen));
	assert_null(upd_pe_osrel(pe, 0x200 + 10, &olen));
	pe[0] = 'X';
	assert_null(upd_pe_osrel(pe, len, &olen));
	assert_false(upd_osrel_version("NAME=x\n", 7, v, sizeof(v)));
	assert_true(upd_osrel_version("VERSION=2", 9, v, sizeof(v)));
	assert_string_equal(v, "2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_names),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_pe_osrel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
