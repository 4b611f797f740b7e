/* layer_rules.h - pure rules of the image store (libc only, unit-tested).
 *
 * Layer entry paths: which tar names are safe and their clean form; which
 * symlink targets stay inside the layer; how OCI whiteout names map to
 * overlayfs. Image references: "name" -> "name:latest", what looks like an
 * image ID. Listing: the Go-template subset of `images --format`, human
 * sizes and ages, and a small tab-aligned table writer.
 */
#ifndef BERTH_LAYER_RULES_H
#define BERTH_LAYER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

/* Clean a tar entry name into `out` ("./a//b/" -> "a/b"; "." -> "").
 * Refuses absolute names, ".." components and empty results from odd
 * input. Returns 0 or -EINVAL (-ENAMETOOLONG when out is too small). */
BERR_MUST int lr_clean_path(const char *name, char *out, size_t size);

/* True when a symlink at clean path `link_path` with relative `target`
 * resolves (lexically, from the link's directory) outside the layer root.
 * Absolute targets resolve inside the container's root at run time: false. */
bool lr_symlink_escapes(const char *link_path, const char *target);

enum lr_whiteout {
	LR_WH_NONE,    /* an ordinary name */
	LR_WH_FILE,    /* ".wh.NAME": hide NAME from lower layers */
	LR_WH_OPAQUE,  /* ".wh..wh..opq": the directory hides lower contents */
	LR_WH_INVALID, /* ".wh." prefix with an unusable rest */
};

/* Classify a base name; for LR_WH_FILE *hidden points at NAME in base. */
enum lr_whiteout lr_whiteout(const char *base, const char **hidden);

/* Normalise an image reference: "name" -> "name:latest", "name:tag" kept,
 * "host:5000/name" -> "host:5000/name:latest"; Docker Hub's
 * "docker.io/library/name" and "docker.io/user/name" lose the prefix, as
 * `docker images` shows them. Refuses digests (@), empty
 * parts, upper case in the name and bad characters. 0 or -EINVAL. */
BERR_MUST int lr_ref_normalize(const char *ref, char *out, size_t size);

/* True when s is an ID or ID prefix: optional "sha256:", then 4..64 lower
 * hex digits. */
bool lr_looks_like_id(const char *s);

/* Split a normalised "name:tag" into its parts (at the last ':' after the
 * last '/'). */
void lr_ref_split(const char *ref, char *name, size_t nsize, char *tag, size_t tsize);

/* Docker's human sizes: "512B", "1.2kB", "4.26MB" (3 significant digits,
 * powers of 1000). */
void lr_human_size(uint64_t bytes, char *out, size_t size);

/* Docker's CreatedSince: "Less than a second ago", "5 minutes ago", ... */
void lr_human_since(int64_t seconds, char *out, size_t size);

#endif
