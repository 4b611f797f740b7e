/* file.h - whole files and directories: read a file into a buffer or into
 * memory, write one in place or atomically, mkdir -p, and open a path
 * without leaving a directory (or with a directory as its root). Used by
 * PID 1 and the CLI alike.
 *
 * Functions return 0 (or a length) or -errno, as the rest of the library;
 * open_beneath returns an fd or -1 with errno, as open(2) does.
 */
#ifndef BERTH_FILE_H
#define BERTH_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Read a whole (small) file into buf, NUL-terminated; returns length or -errno. */
BERR_MUST ssize_t read_file(const char *path, char *buf, size_t size);

/* Read fd to its end into a malloc'd, NUL-terminated *text of *len bytes:
 * 0, -EFBIG when it holds more than max bytes (nothing is kept), or
 * -errno. */
BERR_MUST int read_fd_all(int fd, size_t max, char **text, size_t *len);
/* read_fd_all of the file at path. */
BERR_MUST int read_file_all(const char *path, size_t max, char **text, size_t *len);

/* Write data to an existing file (sysctl, cgroup knobs). 0 or -errno. */
BERR_MUST int write_file(const char *path, const char *data);
/* Write a file atomically and durably: a temporary file next to it,
 * fsync, rename over path, fsync of the directory. After a crash or power
 * cut path holds the old or the new content, never a mix, and once this
 * returned 0 the new one. On failure the temporary file is gone and path
 * is untouched (unless only the directory's fsync failed). 0 or -errno. */
BERR_MUST int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same without the fsyncs, for files rebuilt at every use (a
 * container's /etc/hosts, resolv.conf, hostname: written at each start):
 * readers see the old or the new whole file, but after a power cut it may
 * be either, or empty. Each fsync on ext4 is a journal commit. */
BERR_MUST int write_file_replace(const char *path, const void *data, size_t len, mode_t mode);
/* fsync the directory that holds path (after a rename or create in it). */
BERR_MUST int fsync_parent(const char *path);
/* Write all of buf to fd, retrying on EINTR; 0 or -errno. */
BERR_MUST int write_all(int fd, const void *buf, size_t len);

/* mkdir -p; 0 or -errno. */
BERR_MUST int mkdir_p(const char *path, mode_t mode);

/* Open path (relative) below the directory dfd without leaving it:
 * openat2 with RESOLVE_BENEATH and no magic links, so "..", an absolute
 * path or a symlink that points out fails (EXDEV). O_CLOEXEC is added to
 * flags. An fd, or -1 with errno set. */
BERR_MUST int open_beneath(int dfd, const char *path, int flags);

/* Open path with dfd as the root directory: openat2 with RESOLVE_IN_ROOT
 * and no magic links, so "..", an absolute path and an absolute symlink
 * all resolve inside dfd, as they would for a process chrooted there (how
 * `cp` reaches into a container). An fd, or -1 with errno set. */
BERR_MUST int open_in_root(int dfd, const char *path, int flags);

#endif
