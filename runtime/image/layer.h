/* layer.h - unpack layer tarballs (tar or tar+gzip) safely.
 *
 * Every write happens relative to the new layer directory by walking it
 * with O_NOFOLLOW, so no entry can write through a symlink; names with ".."
 * or a leading '/', hard links to outside, and relative symlinks that
 * resolve outside the layer are refused with an error naming the entry. A
 * refused or failed archive leaves nothing behind. OCI whiteouts become
 * overlayfs ones (.wh.NAME -> 0/0 char device NAME, .wh..wh..opq ->
 * trusted.overlay.opaque=y). Ownership, modes, mtimes and device nodes are
 * kept (the caller is root).
 *
 * Runs in the CLI or a forked child, never in PID 1 (docs/architecture.md,
 * "Rules for PID 1").
 */
#ifndef BERTH_LAYER_H
#define BERTH_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/err.h"

enum {
	/* An image archive, not a layer: files, directories and relative
	 * symlinks inside it only; no whiteout mapping, ownership or times. */
	LAYER_PLAIN = 1 << 0,
	/* No write-behind: the files' data is left to the kernel's own
	 * writeback (a pull's layer, made durable later: image.h). */
	LAYER_LAZY = 1 << 1,
};

/* Extract the tar stream on fd (plain or gzip, detected) into the new
 * directory dest (must not exist). diffid gets the sha256 of the
 * uncompressed tar; tee_fd >= 0 also receives those uncompressed bytes.
 * On failure dest is removed. 0 or -errno. */
BERR_MUST int layer_extract(int fd, const char *dest, unsigned flags, int tee_fd,
			    char diffid[DG_STR_LEN], uint64_t *tar_size, struct berr *e);

/* Unpack a layer into layers_dir/<diffid-hex>/ (extract into a temp dir,
 * then rename, so a crash never leaves half a layer in place). With
 * expected set, an existing layer is reused without reading fd, and a
 * different diff_id is an error. *created tells whether this call made the
 * directory. 0 or -errno. */
BERR_MUST int layer_unpack(const char *layers_dir, int fd, const char *expected, int tee_fd,
			   char diffid[DG_STR_LEN], bool *created, struct berr *e);
/* The same; without sync the files are not synced before the rename (for
 * a directory the caller syncs as a whole before it uses what is in it). */
BERR_MUST int layer_unpack_sync(const char *layers_dir, int fd, const char *expected, int tee_fd,
				char diffid[DG_STR_LEN], bool *created, bool sync, struct berr *e);

/* Where a layer's bytes come from when not from an fd: read(ctx, buf, n)
 * as read(2) (0 at the end; -1 with errno set on failure). */
struct layer_reader {
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	void *ctx;
};
/* layer_unpack_sync without sync, tee or write-behind (LAYER_LAZY),
 * reading from rd. */
BERR_MUST int layer_unpack_from(const char *layers_dir, const struct layer_reader *rd,
				const char *expected, char diffid[DG_STR_LEN], struct berr *e);

/* Remove a directory tree without following symlinks. 0 or -errno
 * (a missing path is 0). */
BERR_MUST int layer_rmtree(const char *path);
/* The same for at most budget entries: -EAGAIN when more are left (for a
 * caller that must not take long, and then hands the rest on). */
BERR_MUST int layer_rmtree_some(const char *path, int budget);
/* layer_rmtree of what is garbage already: a scratch or temporary tree
 * (.tmp-, .rm-, .load-, a build's scratch directory) or what a failed
 * operation made. A failure is not reported: what stays is removed by the
 * next store_open (store_sweep) or build (sweep_builds), or, for blobs and
 * layers no image uses, by a prune. */
void layer_rmtree_garbage(const char *path);

/* Write the tree under dir as an uncompressed tar on out_fd, entries
 * sorted by name, no atime/ctime, mtimes clamped to clamp_mtime when it is
 * >= 0 (SOURCE_DATE_EPOCH: reproducible layers). overlayfs whiteouts (0/0
 * character devices, trusted.overlay.opaque=y directories) become OCI
 * whiteouts (.wh.NAME, DIR/.wh..wh..opq). 0 or -errno. */
BERR_MUST int layer_tar_dir(const char *dir, int out_fd, int64_t clamp_mtime, struct berr *e);
/* The same, leaving out the entries at the given relative paths
 * ("proc", "etc/hosts") with whatever is below them. */
BERR_MUST int layer_tar_dir_excluding(const char *dir, int out_fd, int64_t clamp_mtime,
				      const char *const *exclude, struct berr *e);

#endif
