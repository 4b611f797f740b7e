/* update.h - `berth update`: apply a signed bundle to the slot that is
 * not running, show the slots, roll back; the build's hidden helpers
 * (keygen, pubkey, sign); mark-good (bless). docs/disk-image.md.
 */
#ifndef BERTH_UPDATE_H
#define BERTH_UPDATE_H

#include "runtime/cli/flags.h"
#include "runtime/lib/err.h"

/* The public key the appliance trusts (in the initramfs, so inside the
 * signed UKI). */
#define UPD_PUBKEY "/etc/berth/update.pub"
/* Where the CLI mounts the ESP in its own mount namespace. */
#define UPD_ESP_DIR "/run/berth/esp"
/* On the ESP: why the last trial boot gave up, "GEN-SLOT REASON\n" (the
 * mark-good child writes it before it reboots; a slot that panicked or
 * hung leaves none). */
#define UPD_RESULT "loader/berth-result"

extern const struct flg_cmd upd_cmd;
int upd_main(const char *root, int argc, char **argv);
/* A verb's failure: "berth: update: MSG" on stderr; returns 1. */
int upd_fail(const struct berr *e);

/* The build's helpers (update_tools.c). */
extern const struct flg_cmd upd_keygen_cmd, upd_pubkey_cmd, upd_sign_cmd, upd_bless_cmd;

/* Mark the booted entry good: drop the boot counter from the file that
 * LoaderBootCountPath names. 0 when done or nothing to do (*slot gets
 * the slot letter, 0 when the boot was no trial). */
BERR_MUST int upd_bless(char *slot, struct berr *e);
/* The trial boot's mark-good, in a child of PID 1: wait until the data
 * disk is mounted, eth0 has an address and every restart-always
 * container has run (healthy, if it has a check) for grace seconds, then
 * upd_bless. After timeout seconds without that, record why on the ESP
 * (UPD_RESULT) and ask the supervisor to reboot (the next try, or the
 * other slot). Returns the exit status for the child. */
int upd_bless_wait(int grace, int timeout);

#endif
