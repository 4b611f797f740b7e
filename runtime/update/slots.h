/* slots.h - the two boot slots as systemd-boot sees them (pure; no I/O).
 *
 * Each slot is one Unified Kernel Image in \EFI\Linux of the EFI system
 * partition, named
 *
 *   berth-GEN-SLOT[+LEFT[-DONE]].efi      e.g. berth-3-b+2-1.efi
 *
 * SLOT is a or b; GEN grows with every apply or rollback. The os-release
 * in a Berth UKI carries no ID, so systemd-boot orders entries by name
 * alone: entries with no tries left last, then the highest GEN first
 * (strverscmp on the name, descending). +LEFT-DONE is the Boot Loader
 * Specification's boot counter: systemd-boot renames the file before each
 * try (LEFT - 1, DONE + 1); a name without a counter is a good entry
 * (systemd-bless-boot's meaning); LEFT 0 is a bad one.
 */
#ifndef BERTH_UPDATE_SLOTS_H
#define BERTH_UPDATE_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

#define UPD_NAME_MAX 64
#define UPD_TRIES 3

struct upd_entry {
	char name[UPD_NAME_MAX];
	unsigned long gen;
	char slot; /* 'a' or 'b' */
	int left;  /* tries left; -1: no counter (good) */
	int done;  /* tries done; 0 when there is no counter */
};

/* Parse a file name of \EFI\Linux; -EINVAL when it is not a slot's. */
BERR_MUST int upd_entry_parse(const char *name, struct upd_entry *en);
/* The name of GEN-SLOT with the counter (left >= 0) or without. */
void upd_entry_name(unsigned long gen, char slot, int left, int done, char *out, size_t size);
/* systemd-boot's order: < 0 when a boots before b. */
int upd_entry_order(const struct upd_entry *a, const struct upd_entry *b);
/* "good", "trying" or "bad". */
const char *upd_entry_state(const struct upd_entry *en);

/* The .osrel section (os-release) of a PE image, or NULL; *len its size. */
const char *upd_pe_osrel(const uint8_t *pe, size_t len, size_t *osrel_len);
/* VERSION= from os-release text (quotes removed) into out; false if none. */
bool upd_osrel_version(const char *text, size_t len, char *out, size_t size);

#endif
