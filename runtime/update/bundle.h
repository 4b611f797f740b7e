/* bundle.h - the signed update bundle: a small text manifest, then the
 * Unified Kernel Image it describes (docs/disk-image.md).
 *
 *   berth-update-bundle 1
 *   version: 1.4.2
 *   size: 7654321
 *   sha256: <64 hex: the UKI's sha256>
 *   signature: <128 hex: ed25519 over the lines above, through sha256's \n>
 *   <empty line>
 *   <size bytes: the UKI>
 *
 * The signature covers the version, the size and the digest, so it binds
 * the payload. Keys are ed25519 (nettle's hogweed): the private key file
 * holds the 32-byte seed, the public key file the 32-byte key, each as 64
 * hex digits and a newline. Parsing is pure (fuzzed); verifying the
 * payload's digest is the caller's (it may not hold it in memory).
 */
#ifndef BERTH_UPDATE_BUNDLE_H
#define BERTH_UPDATE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

#define UPD_KEY_LEN 32
#define UPD_SIG_LEN 64
#define UPD_HEADER_MAX 1024 /* the manifest is at most this long */
#define UPD_VERSION_MAX 64

struct upd_manifest {
	char version[UPD_VERSION_MAX]; /* printable, no spaces */
	uint64_t size;		       /* of the payload */
	uint8_t sha256[32];
	uint8_t sig[UPD_SIG_LEN];
	size_t signed_len; /* bytes of the manifest the signature covers */
	size_t header_len; /* bytes before the payload */
};

/* Parse the manifest at the start of buf (len bytes, at least up to the
 * empty line). -EINVAL with the reason in e for anything but the format
 * above. */
BERR_MUST int upd_manifest_parse(const char *buf, size_t len, struct upd_manifest *m,
				 struct berr *e);
/* The manifest of a payload: version, size, digest, signed with key;
 * out gets UPD_HEADER_MAX bytes at most. Returns its length or -errno. */
BERR_MUST int upd_manifest_make(const char *version, uint64_t size, const uint8_t sha256[32],
				const uint8_t seed[UPD_KEY_LEN], char *out, size_t outsize,
				struct berr *e);
/* The signature of the manifest's signed part checks with pub. -EBADMSG
 * when it does not. */
BERR_MUST int upd_manifest_verify(const char *buf, const struct upd_manifest *m,
				  const uint8_t pub[UPD_KEY_LEN], struct berr *e);

/* A version string a manifest may carry: 1..63 of [A-Za-z0-9._+~-]. */
BERR_MUST int upd_version_check(const char *v, struct berr *e);

/* Key files: 64 hex digits and a newline. */
BERR_MUST int upd_key_parse(const char *text, uint8_t key[UPD_KEY_LEN], struct berr *e);
BERR_MUST int upd_key_load(const char *path, uint8_t key[UPD_KEY_LEN], struct berr *e);
/* The public key of a seed. */
void upd_key_public(const uint8_t seed[UPD_KEY_LEN], uint8_t pub[UPD_KEY_LEN]);
/* n bytes as lower hex, NUL-terminated (out: 2n + 1). */
void upd_hex(const uint8_t *b, size_t n, char *out);

#endif
