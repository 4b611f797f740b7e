/* manifest.c - manifest and index parsing; see manifest.h. */
#include "manifest.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void json_put(json_t **j)
{
	if (*j)
		json_decref(*j);
}

static bool is_layer_type(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(mt, ok[i]))
			return true;
	return false;
}

static int read_desc(json_t *j, struct reg_desc *d, const char *what, struct berr *e)
{
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	json_t *size = json_object_get(j, "size");

	if (!json_is_object(j) || !digest || !dg_valid(digest))
		return berr_msg(e, EINVAL, "manifest: %s has no valid sha256 digest", what);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return berr_msg(e, EINVAL, "manifest: %s has no valid size", what);
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	snprintf(d->media_type, sizeof(d->media_type), "%s", mt ? mt : "");
	d->size = json_integer_value(size);
	return 0;
}

static int parse_image(json_t *m, struct reg_manifest *out, struct berr *e)
{
	json_t *layers = json_object_get(m, "layers"), *l;
	size_t i;
	int r;

	out->kind = REG_KIND_IMAGE;
	r = read_desc(json_object_get(m, "config"), &out->config, "config", e);
	if (r < 0)
		return r;
	if (!json_is_array(layers))
		return berr_msg(e, EINVAL, "manifest: no layers");
	if (json_array_size(layers) > REG_LAYERS_MAX)
		return berr_msg(e, EINVAL, "manifest: more than %d layers", REG_LAYERS_MAX);
	json_array_foreach(layers, i, l)
	{
		struct reg_desc *d = &out->layers[i];
		r = read_desc(l, d, "a layer", e);
		if (r < 0)
			return r;
		if (!is_layer_type(d->media_type))
			return berr_msg(e, ENOTSUP, "manifest: unsupported layer type \"%.100s\"",
					d->media_type);
	}
	out->nlayers = json_array_size(layers);
	return 0;
}

static bool platform_matches(json_t *p, const char *os, const char *arch, const char *variant)
{
	const char *pos = json_string_value(json_object_get(p, "os"));
	const char *parch = json_string_value(json_object_get(p, "architecture"));
	const char *pvar = json_string_value(json_object_get(p, "variant"));

	if (!pos || !parch || strcmp(pos, os) || strcmp(parch, arch))
		return false;
	return !*variant || (pvar && !strcmp(pvar, variant));
}

static int parse_index(json_t *m, const char *platform, struct reg_manifest *out, struct berr *e)
{
	json_t *list = json_object_get(m, "manifests"), *c;
	char os[32] = "linux", arch[32] = "amd64", variant[32] = "";
	size_t i;

	out->kind = REG_KIND_INDEX;
	if (platform && *platform &&
	    sscanf(platform, "%31[^/]/%31[^/]/%31s", os, arch, variant) < 2)
		return berr_msg(e, EINVAL, "invalid platform \"%s\": want os/arch[/variant]",
				platform);
	if (!json_is_array(list))
		return berr_msg(e, EINVAL, "manifest list: no manifests");
	json_array_foreach(list, i, c)
	{
		if (!platform_matches(json_object_get(c, "platform"), os, arch, variant))
			continue;
		if (read_desc(c, &out->pick, "a manifest list entry", e) < 0)
			return -EINVAL;
		return 0;
	}
	return berr_msg(e, ENOENT, "no matching manifest for %s/%s%s%s in the manifest list entries",
			os, arch, *variant ? "/" : "", variant);
}

int reg_manifest_parse(const char *data, size_t len, const char *content_type,
		       const char *platform, struct reg_manifest *m, struct berr *e)
{
	json_t *doc __attribute__((cleanup(json_put))) = NULL;
	const char *mt;
	json_error_t je;

	memset(m, 0, sizeof(*m));
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc))
		return berr_msg(e, EINVAL, "manifest: not a JSON object%s%s", doc ? "" : ": ",
				doc ? "" : je.text);
	if (json_integer_value(json_object_get(doc, "schemaVersion")) == 1 ||
	    (content_type && strstr(content_type, "distribution.manifest.v1+")))
		return berr_msg(e, ENOTSUP,
				"schema 1 manifests are not supported: the image must be pushed "
				"again with a current client");
	mt = json_string_value(json_object_get(doc, "mediaType"));
	if (!mt && content_type && strncmp(content_type, "application/json", 16))
		mt = content_type;
	if (!mt) /* OCI allows leaving mediaType out: tell by the fields */
		mt = json_object_get(doc, "manifests") ? REG_MT_OCI_INDEX : REG_MT_OCI_MANIFEST;
	if (!strcmp(mt, REG_MT_DOCKER_LIST) || !strcmp(mt, REG_MT_OCI_INDEX))
		return parse_index(doc, platform, m, e);
	if (!strcmp(mt, REG_MT_DOCKER_V2) || !strcmp(mt, REG_MT_OCI_MANIFEST))
		return parse_image(doc, m, e);
	return berr_msg(e, ENOTSUP, "unsupported manifest type \"%.100s\"", mt);
}
