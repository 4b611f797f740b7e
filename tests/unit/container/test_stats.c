#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "runtime/container/stats.h"

static const char netdev[] =
	"Inter-|   Receive                                                |  Transmit\n"
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
	"errs drop fifo colls carrier compressed\n"
	"    lo:    9000      10    0    0    0     0          0         0     9000      10    "
	"0    0    0     0       0          0\n"
	"  eth0:    1296      12    0    0    0     0          0         0      648       8    "
	"0    0    0     0       0          0\n"
	"  eth1: 1000000       1    0    0    0     0          0         0        2       1    "
	"0    0    0     0       0          0\n";

static void test_netdev_sums_all_but_lo(void **state)
{
	struct st_io io = { 0 };

	(void)state;
	st_parse_netdev(netdev, &io);
	assert_int_equal(io.rx, 1296 + 1000000);
	assert_int_equal(io.tx, 648 + 2);
	/* headers only, garbage, a truncated line: nothing counted */
	memset(&io, 0, sizeof(io));
	st_parse_netdev("Inter-|\n face |\n  eth0: 12 3\nxx: a b c\n", &io);
	assert_int_equal(io.rx, 0);
	assert_int_equal(io.tx, 0);
}

static void test_iostat_sums_devices(void **state)
{
	struct st_io io = { 0 };

	(void)state;
	st_parse_iostat("253:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
			"253:16 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"
			"8:0 xrbytes=5 wbytes=1",
			&io);
	assert_int_equal(io.rd, 4196);
	assert_int_equal(io.wr, 8193);
}

static void size_is(void (*fn)(double, char *, size_t), double v, const char *want)
{
	char buf[32];

	fn(v, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* What docker stats prints (go-units BytesSize and HumanSizeWithPrecision). */
static void test_sizes_as_docker(void **state)
{
	(void)state;
	size_is(st_size_binary, 0, "0B");
	size_is(st_size_binary, 1536, "1.5KiB");
	size_is(st_size_binary, 1577058, "1.504MiB");
	size_is(st_size_binary, 536870912, "512MiB");
	size_is(st_size_binary, 1073741824.0 * 1.9517, "1.952GiB");
	size_is(st_size_decimal, 0, "0B");
	size_is(st_size_decimal, 648, "648B");
	size_is(st_size_decimal, 1296, "1.3kB");
	size_is(st_size_decimal, 4096000, "4.1MB");
	size_is(st_size_decimal, 999999, "1e+03kB");
}

static void test_percent_and_cpu(void **state)
{
	char buf[32];

	(void)state;
	st_percent(0, buf, sizeof(buf));
	assert_string_equal(buf, "0.00%");
	st_percent(12.345, buf, sizeof(buf));
	assert_string_equal(buf, "12.35%");
	/* 500 ms of CPU in 1 s is half a CPU; 2 s in 1 s is two CPUs */
	assert_true(st_cpu_percent(500000, 1.0) > 49.99 && st_cpu_percent(500000, 1.0) < 50.01);
	assert_true(st_cpu_percent(2000000, 1.0) > 199.99);
	assert_true(st_cpu_percent(-5, 1.0) == 0.0);
}

static void test_memory_usage(void **state)
{
	const char stat[] = "anon 1000\nfile 8192\ninactive_file_x 1\ninactive_file 4096\n";

	(void)state;
	assert_int_equal(st_keyed(stat, "inactive_file"), 4096);
	assert_int_equal(st_keyed(stat, "anon"), 1000);
	assert_int_equal(st_keyed(stat, "missing"), 0);
	assert_int_equal(st_mem_usage(10000, 4096), 5904);
	assert_int_equal(st_mem_usage(1000, 4096), 1000);
	assert_int_equal(st_mem_usage(-1, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netdev_sums_all_but_lo),
		cmocka_unit_test(test_iostat_sums_devices),
		cmocka_unit_test(test_sizes_as_docker),
		cmocka_unit_test(test_percent_and_cpu),
		cmocka_unit_test(test_memory_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
