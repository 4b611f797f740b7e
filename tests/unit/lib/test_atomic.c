/* write_file_atomic's order of durable steps, seen through wrapped fsync
 * and rename (linked with -Wl,--wrap=fsync,--wrap=rename): the file's
 * data is synced before the rename, the directory after it; a failing
 * step leaves the old content and no temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/file.h"

int __real_fsync(int fd);
int __real_rename(const char *from, const char *to);

static char steps[64];	/* F: fsync of a file, D: of a directory, R: rename */
static char fail_at;	/* the step that fails with EIO, or 0 */

static void step(char c)
{
	size_t n = strlen(steps);

	if (n + 1 < sizeof(steps))
		steps[n] = c;
}

int __wrap_fsync(int fd)
{
	struct stat st;
	char c = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? 'D' : 'F';

	step(c);
	if (fail_at == c) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

int __wrap_rename(const char *from, const char *to)
{
	step('R');
	if (fail_at == 'R') {
		errno = EIO;
		return -1;
	}
	return __real_rename(from, to);
}

static char dir[] = "/tmp/berth-test-atomic-XXXXXX";

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n - 2; /* . and .. */
}

static void expect_content(const char *name, const char *want)
{
	char path[256], buf[64] = { 0 };
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) == strlen(want));
	fclose(f);
	assert_string_equal(buf, want);
}

static void test_order_file_rename_dir(void **state)
{
	char path[256];

	(void)state;
	path_of(path, sizeof(path), "state.json");
	memset(steps, 0, sizeof(steps));
	assert_int_equal(write_file_atomic(path, "one", 3, 0600), 0);
	assert_string_equal(steps, "FRD");
	expect_content("state.json", "one");
	assert_int_equal(entries(), 1);
}

static void test_failures_keep_the_old_file(void **state)
{
	char path[256];
	const char fails[] = "FR";

	(void)state;
	path_of(path, sizeof(path), "state.json");
	for (size_t i = 0; i < strlen(fails); i++) {
		fail_at = fails[i];
		assert_int_equal(write_file_atomic(path, "two", 3, 0600), -EIO);
		fail_at = 0;
		expect_content("state.json", "one");
		assert_int_equal(entries(), 1); /* no temporary file left */
	}
	/* the directory's fsync failing: the new content is in place, but
	 * the caller hears that it may not be durable */
	fail_at = 'D';
	assert_int_equal(write_file_atomic(path, "six", 3, 0600), -EIO);
	fail_at = 0;
	expect_content("state.json", "six");
}

static void test_fsync_parent(void **state)
{
	char path[256];

	(void)state;
	path_of(path, sizeof(path), "x");
	memset(steps, 0, sizeof(steps));
	assert_int_equal(fsync_parent(path), 0);
	assert_int_equal(fsync_parent("/state"), 0);
	assert_string_equal(steps, "DD");
	path_of(path, sizeof(path), "missing/x");
	assert_int_equal(fsync_parent(path), -ENOENT);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_file_rename_dir),
		cmocka_unit_test(test_failures_keep_the_old_file),
		cmocka_unit_test(test_fsync_parent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
