/* copy.h - files in and out of a container's root, for `cp` and `export`.
 *
 * A tree is walked into a stream of tar entries (libarchive's
 * archive_entry) and a stream of entries is put into a directory. Inside
 * a container every path is resolved with the container's root as the
 * root (open_in_root: RESOLVE_IN_ROOT), so "..", absolute paths and
 * absolute or relative symlinks never lead out of it; the walk never
 * follows a symlink below its top, and each file is changed through an fd
 * opened with O_NOFOLLOW, so a container that swaps a name for a symlink
 * while it is copied cannot turn the copy onto the host.
 *
 * Risky work (outside input): call from the CLI, never from PID 1.
 */
#ifndef BERTH_COPY_H
#define BERTH_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "runtime/lib/err.h"

struct archive;
struct archive_entry;

/* Where entries go: a tar being written, or a directory. */
struct cpy_sink {
	struct archive *tar; /* archive_write_*; NULL: put into a directory */
	int rootfd;	     /* the directory: paths resolve with it as the root */
	const char *prefix;  /* where under rootfd ("" = rootfd itself) */
	bool keep_owner;     /* cp -a: the entries' uid and gid (else the caller's) */
	uint64_t bytes;	     /* file data written so far */
};

/* Walk the tree at fd (an O_PATH fd of its top, which may be a symlink:
 * then the link itself is copied) into sink, named name ("": the top's
 * contents without the top itself, the `SRC/.` form). one_fs: do not
 * descend into other mounts (export: /proc, /sys, volumes stay empty). */
BERR_MUST int cpy_walk(int fd, const char *name, bool one_fs, struct cpy_sink *sink,
		       struct berr *e);

/* Put every entry of the tar a (archive_read_*) into sink. Names with
 * ".." or a leading '/' are refused. */
BERR_MUST int cpy_untar(struct archive *a, struct cpy_sink *sink, struct berr *e);

/* Open path in the container root rootfd (O_PATH; follow: the last
 * component may be a symlink to follow) and fstat it. -errno, e filled
 * with "Could not find the file PATH in container" style context by the
 * caller. */
BERR_MUST int cpy_open(int rootfd, const char *path, bool follow, int *fd, struct stat *st);

#endif
