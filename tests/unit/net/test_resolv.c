#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "runtime/net/resolv.h"

static void check(const char *in, const char *want)
{
	char out[512];

	resolv_filter(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_loopback_and_ipv6_go(void **state)
{
	check("# generated\nsearch example.org\nnameserver 127.0.0.53\nnameserver 10.0.2.3\n"
	      "options edns0\n",
	      "# generated\nsearch example.org\nnameserver 10.0.2.3\noptions edns0\n");
	check("nameserver\t127.0.0.1\nnameserver ::1\nnameserver fe80::1\nnameserver 1.1.1.1",
	      "nameserver 1.1.1.1\n");
	/* "127." only at the start of the address */
	check("nameserver 10.127.0.1\n", "nameserver 10.127.0.1\n");
}

static void test_fallback(void **state)
{
	check("", "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	check("nameserver 127.0.0.53\nsearch lan\n",
	      "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	check("nameserver\nnameserverx 1.2.3.4\n",
	      "nameserverx 1.2.3.4\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

static void test_small_buffer_keeps_the_fallback(void **state)
{
	char out[48];

	resolv_filter("search a-very-long-search-domain.example.org\n", out, sizeof(out));
	assert_string_equal(out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_and_ipv6_go),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_small_buffer_keeps_the_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
