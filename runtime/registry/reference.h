/* reference.h - image references by Docker's rules (distribution/reference).
 *
 *   nginx                      docker.io/library/nginx:latest
 *   user/app:1.0               docker.io/user/app:1.0
 *   host:5000/team/app         host:5000/team/app:latest
 *   localhost/app@sha256:HEX   by digest (a tag given too is kept for show)
 *
 * The first component is a registry host when it has a '.' or a ':' or is
 * "localhost"; index.docker.io is docker.io. Path components are lower
 * case [a-z0-9] joined by '.', '_', '__' or dashes; tags [A-Za-z0-9_]
 * then up to 127 of [A-Za-z0-9_.-]; the whole name at most 255 bytes.
 * Pure (libc only), unit-tested and fuzzed.
 */
#ifndef BERTH_REG_REFERENCE_H
#define BERTH_REG_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/err.h"

#define REG_HUB "docker.io"
#define REG_HUB_ENDPOINT "registry-1.docker.io"

struct reg_ref {
	char domain[256]; /* "docker.io", "host:5000" */
	char path[256];	  /* "library/nginx" */
	char tag[129];	  /* "latest"; "" when only a digest was given */
	char digest[80];  /* "sha256:<hex>" or "" */
	bool tag_given;	  /* the text named a tag (else "latest" was assumed) */
};

/* Parse s. Errors are Docker's: "invalid reference format",
 * "invalid reference format: repository name (library/Nginx) must be
 * lowercase". 0 or -EINVAL. */
BERR_MUST int reg_ref_parse(const char *s, struct reg_ref *r, struct berr *e);

/* "docker.io/library/nginx" (the full repository name). */
void reg_ref_repo(const struct reg_ref *r, char *out, size_t size);
/* The familiar name, as `docker images` shows it: "nginx", "user/app",
 * "host:5000/app". */
void reg_ref_familiar(const struct reg_ref *r, char *out, size_t size);
/* The familiar name with ":tag" (the store's ref), or "" when pulled by
 * digest only. */
void reg_ref_store_name(const struct reg_ref *r, char *out, size_t size);
/* "docker.io/library/nginx:latest" or "...@sha256:..." (what `pull` prints
 * last). */
void reg_ref_full(const struct reg_ref *r, char *out, size_t size);
/* The host to talk to: registry-1.docker.io for docker.io. */
const char *reg_ref_endpoint(const struct reg_ref *r);

/* A registry name as login/logout and auth.json use it: "" or docker.io
 * names give Docker Hub's key "https://index.docker.io/v1/"; a URL loses
 * its scheme and path. */
void reg_auth_key(const char *host, char *out, size_t size);

#endif
