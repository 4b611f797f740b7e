/* modules.h - load kernel modules the way modprobe would, without kmod.
 *
 * Used when the appliance boots a distribution kernel: PID 1 reads
 * /lib/modules/$(uname -r)/modules.dep (written by depmod at build time),
 * resolves each wanted module's dependencies depth-first and loads them with
 * finit_module(2). Module names compare with '-' and '_' as equal.
 */
#ifndef BERTH_MODULES_H
#define BERTH_MODULES_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/err.h"

struct mod_entry {
	char *name;	/* normalised: '-' -> '_', no directory, no .ko suffix */
	char *path;	/* relative to the modules directory */
	int *deps;	/* indices into mod_db.entries */
	int ndeps;
	int mark;	/* resolver state */
};

struct mod_db {
	struct mod_entry *entries;
	int count;
	int *by_name;	/* entry indices sorted by name, for lookups */
	char **builtin;	/* normalised names from modules.builtin */
	int nbuiltin;
};

/* Parse modules.dep text (and, if not NULL, modules.builtin text). */
BERR_MUST int mod_db_parse(struct mod_db *db, const char *dep_text, const char *builtin_text,
			   struct berr *e);
/* Read <dir>/modules.dep and <dir>/modules.builtin. */
BERR_MUST int mod_db_load(struct mod_db *db, const char *dir, struct berr *e);
void mod_db_free(struct mod_db *db);

BERR_MUST int mod_db_find(const struct mod_db *db, const char *name);
bool mod_db_is_builtin(const struct mod_db *db, const char *name);

/* Append to order[] (capacity max) the indices needed for `name`,
 * dependencies first, skipping those already in order. Returns 0, -ENOENT
 * if the module is unknown (and not built in), -E2BIG, or -ELOOP. */
BERR_MUST int mod_resolve(struct mod_db *db, const char *name, int *order, int *count, int max,
			  struct berr *e);

/* Load a list of modules (with dependencies) from dir. Problems are
 * reported one line each through report(); returns the number loaded. */
int mod_load_list(const char *dir, const char *const names[], int n,
		  void (*report)(void *ctx, const char *msg), void *ctx);

/* Load one module by name from the running kernel's module directory. */
BERR_MUST int mod_load_one(const char *name, struct berr *e);

#endif
