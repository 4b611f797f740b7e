#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/registry/manifest.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static int parse(const char *doc, const char *ctype, const char *platform, struct reg_manifest *m,
		 struct berr *e)
{
	return reg_manifest_parse(doc, strlen(doc), ctype, platform, m, e);
}

static void test_image(void **state)
{
	struct reg_manifest m;
	struct berr e;
	const char *doc =
	    "{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_DOCKER_V2 "\","
	    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
	    "\"digest\":\"" D1 "\",\"size\":7},\"layers\":["
	    "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" D2
	    "\",\"size\":100},"
	    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D3
	    "\",\"size\":5}]}";

	assert_int_equal(parse(doc, NULL, NULL, &m, &e), 0);
	assert_int_equal(m.kind, REG_KIND_IMAGE);
	assert_string_equal(m.config.digest, D1);
	assert_int_equal(m.config.size, 7);
	assert_int_equal(m.nlayers, 2);
	assert_string_equal(m.layers[0].digest, D2);
	assert_int_equal(m.layers[1].size, 5);
	/* OCI without mediaType: told by its fields */
	assert_int_equal(parse("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},"
			       "\"layers\":[]}",
			       "application/json", NULL, &m, &e),
			 0);
	assert_int_equal(m.kind, REG_KIND_IMAGE);
}

static const char *index_doc =
    "{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_OCI_INDEX "\",\"manifests\":["
    "{\"digest\":\"" D1 "\",\"size\":10,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
    "\"variant\":\"v7\"}},"
    "{\"digest\":\"" D2 "\",\"size\":20,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"digest\":\"" D3 "\",\"size\":30,\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\"}}]}";

static void test_index(void **state)
{
	struct reg_manifest m;
	struct berr e;

	assert_int_equal(parse(index_doc, NULL, NULL, &m, &e), 0);
	assert_int_equal(m.kind, REG_KIND_INDEX);
	assert_string_equal(m.pick.digest, D2);
	assert_int_equal(parse(index_doc, NULL, "linux/arm/v7", &m, &e), 0);
	assert_string_equal(m.pick.digest, D1);
	assert_int_equal(parse(index_doc, NULL, "windows/amd64", &m, &e), 0);
	assert_string_equal(m.pick.digest, D3);
	assert_int_equal(parse(index_doc, NULL, "linux/arm64", &m, &e), -ENOENT);
	assert_string_equal(e.msg, "no matching manifest for linux/arm64 in the manifest list entries");
	assert_int_equal(parse(index_doc, NULL, "linux", &m, &e), -EINVAL);
}

static void test_refusals(void **state)
{
	struct reg_manifest m;
	struct berr e;

	assert_int_equal(parse("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", NULL, NULL,
			       &m, &e),
			 -ENOTSUP);
	assert_non_null(strstr(e.msg, "schema 1"));
	assert_int_equal(parse("{}", "application/vnd.docker.distribution.manifest.v1+prettyjws",
			       NULL, &m, &e),
			 -ENOTSUP);
	assert_int_equal(parse("{\"mediaType\":\"text/html\"}", NULL, NULL, &m, &e), -ENOTSUP);
	assert_int_equal(parse("<html>", NULL, NULL, &m, &e), -EINVAL);
	assert_int_equal(parse("{\"config\":{\"digest\":\"sha256:12\",\"size\":1},\"layers\":[]}",
			       NULL, NULL, &m, &e),
			 -EINVAL);
	assert_int_equal(parse("{\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
			       NULL, NULL, &m, &e),
			 -EINVAL);
	assert_int_equal(parse("{\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":["
			       "{\"mediaType\":\"application/zip\",\"digest\":\"" D2
			       "\",\"size\":1}]}",
			       NULL, NULL, &m, &e),
			 -ENOTSUP);
	assert_int_equal(parse("{\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[],"
			       "\"layers\":[]}",
			       NULL, NULL, &m, &e),
			 -EINVAL); /* duplicate keys */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
