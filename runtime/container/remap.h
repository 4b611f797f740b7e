/* remap.h - Docker's user-namespace remapping: daemon.json's
 * "userns-remap" and the subordinate id ranges of ROOT/etc/subuid and
 * ROOT/etc/subgid ("NAME:START:COUNT" lines, as shadow-utils writes them).
 *
 *   "userns-remap": "default"      the user dockremap; its ranges are
 *                                  added (START after every range already
 *                                  there, from 100000, COUNT 65536) when
 *                                  the files have none, as Docker does
 *   "userns-remap": "NAME[:GROUP]" NAME's ranges in subuid, GROUP's (or
 *                                  NAME's) in subgid; none is an error
 *
 * Container ids 0.. are mapped onto the ranges in file order, as Docker
 * does. Runs in the CLI (it may write /etc/subuid), never in PID 1.
 */
#ifndef BERTH_REMAP_H
#define BERTH_REMAP_H

#include <stdbool.h>

#include "runtime/lib/err.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/sandbox/userns.h"

struct remap {
	char user[64], group[64];
	struct sb_idmap uid[UNS_MAP_MAX], gid[UNS_MAP_MAX];
	int nuid, ngid;
};

/* daemon.json's "userns-remap" into setting (empty when unset or ""). */
BERR_MUST int remap_setting(const char *root, char *setting, size_t size, struct berr *e);

/* The maps of setting ("default", "NAME", "NAME:GROUP"). */
BERR_MUST int remap_resolve(const char *root, const char *setting, struct remap *m, struct berr *e);

/* Pure, for the tests: name's ranges in the text of a subuid/subgid file
 * into m (container ids from 0, consecutive); *n = 0 when none. */
BERR_MUST int remap_parse_subid(const char *text, const char *name, struct sb_idmap *m, int *n,
				struct berr *e);
/* Where a new 65536-id range starts: 100000, or after the highest range
 * of text. */
uint32_t remap_next_start(const char *text);

#endif
