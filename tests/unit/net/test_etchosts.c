#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/net/etchosts.h"

static void test_line(void **state)
{
	struct etchosts_entry same = {"172.17.0.2", "web", "web", NULL};
	struct etchosts_entry both = {"172.17.0.3", "db.example", "db", NULL};
	char buf[256];

	/* the name only when it is not the hostname */
	assert_int_equal(etchosts_line(&same, buf, sizeof(buf)), strlen("172.17.0.2\tweb\n"));
	assert_string_equal(buf, "172.17.0.2\tweb\n");
	assert_int_equal(etchosts_line(&both, buf, sizeof(buf)),
			 strlen("172.17.0.3\tdb.example db\n"));
	assert_string_equal(buf, "172.17.0.3\tdb.example db\n");
}

static void test_line_cut(void **state)
{
	char host[80], want[128], buf[256], small[8];
	struct etchosts_entry h = {"172.17.0.4", host, "app", NULL};

	/* a hostname is cut at 63 bytes; the name stays whole */
	memset(host, 'h', 70);
	host[70] = '\0';
	snprintf(want, sizeof(want), "172.17.0.4\t%.63s app\n", host);
	assert_int_equal(etchosts_line(&h, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
	/* a small buffer: cut at size - 1, the length says so */
	assert_int_equal(etchosts_line(&h, small, sizeof(small)), sizeof(small) - 1);
	assert_string_equal(small, "172.17.");
	assert_int_equal(etchosts_line(&h, small, 0), 0);
}

static void test_text(void **state)
{
	struct etchosts_entry self = {"172.17.0.2", "web", "web", NULL};
	struct etchosts_entry others[] = {{"172.17.0.3", "db", "db", NULL},
					  {"172.17.0.5", "cache.local", "cache", NULL}};
	size_t len;
	char *t;

	/* the base lines, its own line first, then the others in order */
	t = etchosts_text(&self, others, 2, &len);
	assert_non_null(t);
	assert_string_equal(t, ETCHOSTS_BASE "172.17.0.2\tweb\n"
					     "172.17.0.3\tdb\n"
					     "172.17.0.5\tcache.local cache\n");
	assert_int_equal(len, strlen(t));
	free(t);
	/* alone on the bridge */
	t = etchosts_text(&self, NULL, 0, &len);
	assert_non_null(t);
	assert_string_equal(t, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			       "172.17.0.2\tweb\n");
	assert_int_equal(len, strlen(t));
	free(t);
}

static void test_aliases(void **state)
{
	char *aliases[] = { "db", "cache", "r2", NULL }, big[300], buf[1024];
	char *many[] = { big, big, big, "last", NULL };
	struct etchosts_entry h = { "172.18.0.3", "3fa9", "r2", aliases };
	size_t n;

	/* after the name, each alias but one that is the name */
	assert_int_equal(etchosts_line(&h, buf, sizeof(buf)),
			 strlen("172.18.0.3\t3fa9 r2 db cache\n"));
	assert_string_equal(buf, "172.18.0.3\t3fa9 r2 db cache\n");
	/* aliases that would take the line past ETCHOSTS_LINE_MAX are left out */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	h.aliases = many;
	n = etchosts_line(&h, buf, sizeof(buf));
	assert_true(n < ETCHOSTS_LINE_MAX);
	assert_int_equal(n, strlen("172.18.0.3\t3fa9 r2 ") + strlen(big) + strlen(" last\n"));
	assert_string_equal(buf + n - 6, " last\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line),
	    cmocka_unit_test(test_line_cut),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_aliases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
