#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/registry/reference.h"

/* s parsed, printed back as "domain|path|tag|digest|tag_given". */
static const char *parsed(const char *s)
{
	static char buf[1024];
	struct reg_ref r;
	struct berr e;

	if (reg_ref_parse(s, &r, &e) < 0) {
		snprintf(buf, sizeof(buf), "ERR %s", e.msg);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s|%s|%s|%s|%d", r.domain, r.path, r.tag, r.digest,
		 r.tag_given);
	return buf;
}

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_docker_rules(void **state)
{
	assert_string_equal(parsed("nginx"), "docker.io|library/nginx|latest||0");
	assert_string_equal(parsed("nginx:1.25"), "docker.io|library/nginx|1.25||1");
	assert_string_equal(parsed("user/app"), "docker.io|user/app|latest||0");
	assert_string_equal(parsed("docker.io/nginx"), "docker.io|library/nginx|latest||0");
	assert_string_equal(parsed("index.docker.io/library/nginx:x"),
			    "docker.io|library/nginx|x||1");
	assert_string_equal(parsed("localhost/app"), "localhost|app|latest||0");
	assert_string_equal(parsed("localhost:5000/a/b/c:v1"), "localhost:5000|a/b/c|v1||1");
	assert_string_equal(parsed("reg.example.com/app"), "reg.example.com|app|latest||0");
	assert_string_equal(parsed("127.0.0.1:5000/team/app:1"), "127.0.0.1:5000|team/app|1||1");
	assert_string_equal(parsed("a0/b.c__d-e--f_g"), "docker.io|a0/b.c__d-e--f_g|latest||0");
	assert_string_equal(parsed("nginx@sha256:" HEX), "docker.io|library/nginx||sha256:" HEX "|0");
	assert_string_equal(parsed("nginx:1@sha256:" HEX), "docker.io|library/nginx|1|sha256:" HEX "|1");
	/* an upper-case first component is a registry host, as Docker's */
	assert_string_equal(parsed("Host/app"), "Host|app|latest||0");
}

static void test_refusals(void **state)
{
	assert_string_equal(parsed("Nginx"),
			    "ERR invalid reference format: repository name (Nginx) must be lowercase");
	assert_string_equal(parsed(""), "ERR invalid reference format");
	assert_string_equal(parsed("nginx:"), "ERR invalid reference format");
	assert_string_equal(parsed(":tag"), "ERR invalid reference format");
	assert_string_equal(parsed("a//b"), "ERR invalid reference format");
	assert_string_equal(parsed("a/"), "ERR invalid reference format");
	assert_string_equal(parsed("-a"), "ERR invalid reference format");
	assert_string_equal(parsed("a__-b"), "ERR invalid reference format");
	assert_string_equal(parsed("a___b"), "ERR invalid reference format");
	assert_string_equal(parsed("nginx:-x"), "ERR invalid reference format");
	assert_string_equal(parsed("nginx@sha256:abc"), "ERR invalid reference format");
	assert_string_equal(parsed("nginx@md5:" HEX), "ERR invalid reference format");
	assert_string_equal(parsed("host:port/app"), "ERR invalid reference format");
	assert_string_equal(parsed("a b"), "ERR invalid reference format");
	{
		char tag[200];
		memset(tag, 'x', sizeof(tag));
		memcpy(tag, "nginx:", 6);
		tag[6 + 129] = '\0'; /* 129-char tag: one too many */
		assert_string_equal(parsed(tag), "ERR invalid reference format");
		tag[6 + 128] = '\0'; /* 128: the longest tag */
		assert_int_equal(strncmp(parsed(tag), "docker.io|library/nginx|xxx", 27), 0);
	}
}

static void test_names(void **state)
{
	struct reg_ref r;
	struct berr e;
	char out[512];

	assert_int_equal(reg_ref_parse("nginx", &r, &e), 0);
	reg_ref_familiar(&r, out, sizeof(out));
	assert_string_equal(out, "nginx");
	reg_ref_store_name(&r, out, sizeof(out));
	assert_string_equal(out, "nginx:latest");
	reg_ref_full(&r, out, sizeof(out));
	assert_string_equal(out, "docker.io/library/nginx:latest");
	assert_string_equal(reg_ref_endpoint(&r), "registry-1.docker.io");
	assert_int_equal(reg_ref_parse("user/app:2", &r, &e), 0);
	reg_ref_familiar(&r, out, sizeof(out));
	assert_string_equal(out, "user/app");
	assert_int_equal(reg_ref_parse("localhost:5000/app@sha256:" HEX, &r, &e), 0);
	reg_ref_store_name(&r, out, sizeof(out));
	assert_string_equal(out, "");
	reg_ref_full(&r, out, sizeof(out));
	assert_string_equal(out, "localhost:5000/app@sha256:" HEX);
	assert_string_equal(reg_ref_endpoint(&r), "localhost:5000");
	reg_auth_key("", out, sizeof(out));
	assert_string_equal(out, "https://index.docker.io/v1/");
	reg_auth_key("docker.io", out, sizeof(out));
	assert_string_equal(out, "https://index.docker.io/v1/");
	reg_auth_key("https://reg.example:5000/v2/", out, sizeof(out));
	assert_string_equal(out, "reg.example:5000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_rules),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("reference", tests, NULL, NULL);
}
