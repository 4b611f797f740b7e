/* sbcheck.h - will this box's firmware load a UKI, with Secure Boot on?
 *
 * When the firmware refuses an entry, systemd-boot hands control back to
 * it and the box stops in the firmware's boot menu, the try spent, until
 * someone power cycles it. So `update apply` on a box that booted with
 * Secure Boot on (the SecureBoot EFI variable) refuses, before it writes
 * anything, an image with no Authenticode signature or one whose signer's
 * certificate does not chain to an X.509 certificate in the firmware's db
 * variable (mbedTLS's X.509, which the registry's TLS already links).
 * Only the certificates are checked, not the Authenticode digest: the
 * bundle's ed25519 signature already binds the image's bytes. Hash
 * entries of db and dbx are not consulted.
 */
#ifndef BERTH_UPDATE_SBCHECK_H
#define BERTH_UPDATE_SBCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

/* True when the firmware booted this system with Secure Boot on. */
bool sb_enabled(void);

/* 0 when a certificate of db trusts the signer of the PE image pe;
 * -EKEYREJECTED (unsigned, or another key) with the reason in e. */
BERR_MUST int sb_check_image(const uint8_t *pe, size_t len, struct berr *e);

#endif
