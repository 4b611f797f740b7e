#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/sandbox/passwd.h"

static char pw_path[64], gr_path[64];

static int write_samples(void **state)
{
	FILE *f;
	int fd;

	snprintf(pw_path, sizeof(pw_path), "/tmp/berth-passwd-XXXXXX");
	fd = mkstemp(pw_path);
	f = fdopen(fd, "w");
	fputs("# comment\n"
	      "root:x:0:0:root:/root:/bin/sh\n"
	      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	      "broken line without fields\n"
	      "www:x:33:33:www-data:/var/www:/bin/false\n"
	      "app:x:1000:1000::/home/app:/bin/sh\n"
	      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
	      f);
	fclose(f);
	snprintf(gr_path, sizeof(gr_path), "/tmp/berth-group-XXXXXX");
	fd = mkstemp(gr_path);
	f = fdopen(fd, "w");
	fputs("root:x:0:\n"
	      "daemon:x:1:\n"
	      "www:x:33:app\n"
	      "audio:x:29:app,www\n"
	      "app:x:1000:\n"
	      "video:x:44:notapp\n"
	      "nogroup:x:65534:\n",
	      f);
	fclose(f);
	(void)state;
	return 0;
}

static int remove_samples(void **state)
{
	(void)state;
	unlink(pw_path);
	unlink(gr_path);
	return 0;
}

static void test_empty_is_root(void **state)
{
	struct pw_ids ids;
	struct berr e;

	assert_int_equal(pw_resolve(pw_path, gr_path, "", &ids, &e), 0);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(ids.gid, 0);
	assert_string_equal(ids.home, "/root");
	assert_int_equal(pw_resolve(pw_path, gr_path, NULL, &ids, &e), 0);
	assert_int_equal(ids.uid, 0);
}

static void test_name_with_supplementary_groups(void **state)
{
	struct pw_ids ids;
	struct berr e;

	assert_int_equal(pw_resolve(pw_path, gr_path, "app", &ids, &e), 0);
	assert_int_equal(ids.uid, 1000);
	assert_int_equal(ids.gid, 1000);
	assert_string_equal(ids.home, "/home/app");
	assert_int_equal(ids.ngroups, 3);
	assert_int_equal(ids.groups[0], 1000);
	assert_int_equal(ids.groups[1], 33);
	assert_int_equal(ids.groups[2], 29);
}

static void test_numeric_known_and_unknown(void **state)
{
	struct pw_ids ids;
	struct berr e;

	assert_int_equal(pw_resolve(pw_path, gr_path, "33", &ids, &e), 0);
	assert_int_equal(ids.uid, 33);
	assert_int_equal(ids.gid, 33);
	assert_string_equal(ids.home, "/var/www");
	/* www is a member of audio (29). */
	assert_int_equal(ids.ngroups, 2);
	/* Unknown uid: still valid, gid 0, HOME / (Docker). */
	assert_int_equal(pw_resolve(pw_path, gr_path, "4242", &ids, &e), 0);
	assert_int_equal(ids.uid, 4242);
	assert_int_equal(ids.gid, 0);
	assert_string_equal(ids.home, "/");
	assert_int_equal(ids.ngroups, 1);
}

static void test_user_and_group(void **state)
{
	struct pw_ids ids;
	struct berr e;

	assert_int_equal(pw_resolve(pw_path, gr_path, "app:audio", &ids, &e), 0);
	assert_int_equal(ids.uid, 1000);
	assert_int_equal(ids.gid, 29);
	assert_int_equal(ids.ngroups, 1);
	assert_int_equal(pw_resolve(pw_path, gr_path, "4242:44", &ids, &e), 0);
	assert_int_equal(ids.uid, 4242);
	assert_int_equal(ids.gid, 44);
	assert_int_equal(pw_resolve(pw_path, gr_path, "nobody:nogroup", &ids, &e), 0);
	assert_int_equal(ids.uid, 65534);
	assert_int_equal(ids.gid, 65534);
}

static void test_missing_user_and_group(void **state)
{
	struct pw_ids ids;
	struct berr e;

	assert_int_equal(pw_resolve(pw_path, gr_path, "ghost", &ids, &e), -ENOENT);
	assert_string_equal(e.msg, "unable to find user ghost: no matching entries in passwd file");
	assert_int_equal(pw_resolve(pw_path, gr_path, "app:ghosts", &ids, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "unable to find group ghosts"));
	/* "notapp" in video's member list is not "app". */
	assert_int_equal(pw_resolve(pw_path, gr_path, "app", &ids, &e), 0);
	for (int i = 0; i < ids.ngroups; i++)
		assert_int_not_equal(ids.groups[i], 44);
}

static void test_bad_specs(void **state)
{
	struct pw_ids ids;
	struct berr e;

	assert_int_equal(pw_resolve(pw_path, gr_path, ":0", &ids, &e), -EINVAL);
	assert_int_equal(pw_resolve(pw_path, gr_path, "app:", &ids, &e), -EINVAL);
	assert_int_equal(pw_resolve(pw_path, gr_path, "-1", &ids, &e), -ENOENT);
}

static void test_missing_files(void **state)
{
	struct pw_ids ids;
	struct berr e;

	assert_int_equal(pw_resolve("/nonexistent/passwd", "/nonexistent/group", "0", &ids, &e), 0);
	assert_int_equal(ids.uid, 0);
	assert_string_equal(ids.home, "/");
	assert_int_equal(pw_resolve("/nonexistent/passwd", NULL, "root", &ids, &e), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_is_root),
	    cmocka_unit_test(test_name_with_supplementary_groups),
	    cmocka_unit_test(test_numeric_known_and_unknown),
	    cmocka_unit_test(test_user_and_group),
	    cmocka_unit_test(test_missing_user_and_group),
	    cmocka_unit_test(test_bad_specs),
	    cmocka_unit_test(test_missing_files),
	};
	return cmocka_run_group_tests(tests, write_samples, remove_samples);
}
