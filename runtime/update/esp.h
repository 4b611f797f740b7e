/* esp.h - the EFI system partition and the boot loader's EFI variables.
 *
 * The ESP (GPT partition name berth-esp) is never left mounted: the CLI
 * and the mark-good child mount it in a mount namespace of their own
 * (esp_mount), so a power cut finds it unmounted unless one of them was
 * writing. systemd-boot tells the booted system what it did in EFI
 * variables of its vendor GUID, read from efivarfs:
 * LoaderEntrySelected (the entry booted) and LoaderBootCountPath (the file
 * it renamed for boot counting; absent when the entry has no counter).
 */
#ifndef BERTH_UPDATE_ESP_H
#define BERTH_UPDATE_ESP_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/err.h"
#include "slots.h"

#define ESP_PARTNAME "berth-esp"
#define ESP_LINUX "EFI/Linux" /* below the mount point */
#define ESP_MAX_ENTRIES 16

/* Mount the ESP at dir (created) in a new private mount namespace of the
 * calling process. */
BERR_MUST int esp_mount(const char *dir, struct berr *e);

/* systemd-boot's variable name (LoaderEntrySelected, ...) as UTF-8 into
 * out; mounts efivarfs if needed. -ENOENT when it is not set or the
 * system did not boot through UEFI. */
BERR_MUST int esp_loader_var(const char *name, char *out, size_t size, struct berr *e);
/* The EFI variable NAME-GUID as efivarfs has it (4 bytes of attributes,
 * then the value) in a malloc'd *buf; mounts efivarfs if needed. -ENOENT
 * when it is not set or the system did not boot through UEFI. */
BERR_MUST int esp_efivar(const char *name, char **buf, size_t *len, struct berr *e);
/* True when /sys/firmware/efi exists. */
bool esp_efi_booted(void);

/* The slot entries in dir/EFI/Linux, sorted in systemd-boot's order;
 * returns their count. */
BERR_MUST int esp_entries(const char *dir, struct upd_entry *en, int max, struct berr *e);
/* The version in the os-release of dir/EFI/Linux/NAME ("?" if none). */
void esp_entry_version(const char *dir, const char *name, char *out, size_t size);

/* Rename dir/EFI/Linux/FROM to TO and fsync the directory. */
BERR_MUST int esp_rename(const char *dir, const char *from, const char *to, struct berr *e);
/* Write len bytes to dir/EFI/Linux/NAME: a temp file, fsync, rename,
 * fsync the directory. */
BERR_MUST int esp_write(const char *dir, const char *name, const void *data, size_t len,
			struct berr *e);

#endif
