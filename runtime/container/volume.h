/* volume.h - volumes: `-v` specs, named and anonymous volumes on disk.
 *
 * A volume is a directory <base>/NAME/ holding _data (what containers
 * see) and volume.json (CreatedAt, Anonymous). <base> is
 * <root>/data/berth/volumes when the data disk is mounted (PID 1 makes
 * <root>/data/berth only then), else <root>/var/lib/berth/volumes (memory
 * in the appliance; the daemon's root on a host). The first container to
 * mount an empty volume copies the image's content at its path in (as
 * Docker does), from the sandbox's child, before pivot_root.
 */
#ifndef BERTH_VOLUME_H
#define BERTH_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

#define VOL_NAME_MAX 128
#define VOL_PATH_MAX 4096

enum vol_kind { VOL_BIND, VOL_NAMED, VOL_ANON };

struct vol_spec {
	enum vol_kind kind;
	char source[VOL_PATH_MAX];	/* host path (bind) or volume name (named); "" for anon */
	char target[VOL_PATH_MAX];	/* absolute, inside the container */
	bool read_only;
	bool nocopy;			/* don't copy the image's content in */
};

/* Docker's -v grammar: /HOST:/CTR[:MODE], NAME:/CTR[:MODE], /CTR[:MODE]
 * (anonymous). MODE: ro, rw, nocopy, comma-separated. A source that is
 * not an absolute path is a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+).
 * -EINVAL with Docker's message for anything else. */
BERR_MUST int vol_spec_parse(const char *spec, struct vol_spec *v, struct berr *e);
bool vol_name_valid(const char *name);

/* <base> as above; the directory need not exist. */
void vol_base(const char *root, char *buf, size_t size);
/* <base>/NAME/_data */
void vol_data_path(const char *root, const char *name, char *buf, size_t size);

/* Create NAME (or, name "" or NULL, a new 64-hex one) unless it exists;
 * out gets the name. *created says whether it was new. */
BERR_MUST int vol_create(const char *root, const char *name, bool anonymous, char out[VOL_NAME_MAX],
			 bool *created, struct berr *e);
bool vol_exists(const char *root, const char *name);

struct vol_info {
	char name[VOL_NAME_MAX];
	char mountpoint[VOL_PATH_MAX];
	char created_at[40];	/* RFC 3339, seconds, UTC */
	bool anonymous;
};
BERR_MUST int vol_inspect(const char *root, const char *name, struct vol_info *out, struct berr *e);
/* Every volume's name, sorted; free with vol_names_free. */
BERR_MUST int vol_list(const char *root, char ***names, int *n, struct berr *e);
void vol_names_free(char **names, int n);
/* Remove the volume's directory (no in-use check: callers do it). */
BERR_MUST int vol_remove(const char *root, const char *name, struct berr *e);

/* In the sandbox child, before pivot_root: when dst (a volume's _data) is
 * empty, copy the directory target of the container's root (resolved
 * inside rootfs, symlinks included) into it with its owner and mode. */
BERR_MUST int vol_copy_up(const char *rootfs, const char *target, const char *dst, struct berr *e);

#endif
