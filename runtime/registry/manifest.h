/* manifest.h - registry manifests: Docker v2 schema 2 and OCI image
 * manifests, Docker manifest lists and OCI indexes (one entry picked by
 * platform). Schema 1 is refused by name. Pure (jansson), unit-tested and
 * fuzzed: the bytes come from the network.
 */
#ifndef BERTH_REG_MANIFEST_H
#define BERTH_REG_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"

#define REG_MT_DOCKER_V2 "application/vnd.docker.distribution.manifest.v2+json"
#define REG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define REG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define REG_ACCEPT                                                                                 \
	REG_MT_OCI_INDEX ", " REG_MT_DOCKER_LIST ", " REG_MT_OCI_MANIFEST ", " REG_MT_DOCKER_V2

#define REG_MANIFEST_MAX (4u << 20) /* bytes: bigger is refused while it streams */
#define REG_LAYERS_MAX 128

struct reg_desc {
	char digest[DG_STR_LEN];
	char media_type[128];
	int64_t size;
};

enum reg_kind { REG_KIND_IMAGE, REG_KIND_INDEX };

struct reg_manifest {
	enum reg_kind kind;
	struct reg_desc config;			   /* IMAGE */
	struct reg_desc layers[REG_LAYERS_MAX];	   /* IMAGE */
	size_t nlayers;
	struct reg_desc pick;			   /* INDEX: the entry for the platform */
};

/* Parse a manifest (content_type: the response's Content-Type, may be
 * NULL: the document's mediaType decides). For an index, pick the entry
 * for platform ("os/arch[/variant]", NULL = linux/amd64). Errors:
 * -ENOTSUP schema 1 or an unknown media type, -ENOENT no entry for the
 * platform ("no matching manifest for linux/arm64 in the manifest list
 * entries"), -EINVAL anything malformed. */
BERR_MUST int reg_manifest_parse(const char *data, size_t len, const char *content_type,
				 const char *platform, struct reg_manifest *m, struct berr *e);

#endif
