#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lib/file.h"

static char dir[] = "/tmp/berth-test-file-XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0600), 0);
}

/* read_file_all of dir/name with max: its result, and the text when 0. */
static int read_back(const char *name, size_t max, const char *want)
{
	char path[256], *text;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = read_file_all(path, max, &text, &len);
	if (r < 0) {
		assert_null(text);
		return r;
	}
	assert_int_equal(len, strlen(want));
	assert_string_equal(text, want);
	free(text);
	return 0;
}

static void test_read_whole(void **state)
{
	char big[10000];

	put("small", "hello\n");
	assert_int_equal(read_back("small", 6, "hello\n"), 0);
	assert_int_equal(read_back("small", 5, NULL), -EFBIG);
	memset(big, 'x', sizeof(big) - 1); /* more than one read's buffer */
	big[sizeof(big) - 1] = '\0';
	put("big", big);
	assert_int_equal(read_back("big", 1 << 20, big), 0);
	put("empty", "");
	assert_int_equal(read_back("empty", 0, ""), 0);
	assert_int_equal(read_back("none", 100, NULL), -ENOENT);
}

static void test_mkdir_and_beneath(void **state)
{
	char path[256];
	int dfd, fd;

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mkdir_p(path, 0700), 0);
	assert_int_equal(mkdir_p(path, 0700), 0); /* there already */
	put("a/b/f", "x");
	snprintf(path, sizeof(path), "%s/a", dir);
	dfd = open(path, O_PATH | O_DIRECTORY);
	assert_true(dfd >= 0);
	/* openat2 (Linux 5.6) is required: berth has no other way to resolve
	 * a path beneath a directory, so no skip where it is missing */
	fd = open_beneath(dfd, "b/f", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlinkat("../../..", dfd, "b/up"), 0);
	errno = 0;
	assert_int_equal(open_beneath(dfd, "../small", O_RDONLY), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(open_beneath(dfd, "b/up/small", O_RDONLY), -1);
	assert_int_equal(open_beneath(dfd, "/etc/passwd", O_RDONLY), -1);
	close(dfd);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_whole),
		cmocka_unit_test(test_mkdir_and_beneath),
	};
	return cmocka_run_group_tests_name("file", tests, setup, teardown);
}
