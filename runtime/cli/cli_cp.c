/* cli_cp.c - `berth cp` with Docker's rules for where a copy lands
 * (cli_cp.h). */
#include "cli_cp.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_ctr.h"
#include "runtime/container/copy.h"
#include "runtime/container/ctr_root.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

struct cp_opts {
	bool archive, follow, quiet;
};

#define C(f) struct cp_opts, f
static const struct flg cp_flags[] = {
    FLG_BOOL('a', "archive", C(archive), "Archive mode (copy all uid/gid information)"),
    FLG_BOOL('L', "follow-link", C(follow), "Always follow symbol link in SRC_PATH"),
    FLG_BOOL('q', "quiet", C(quiet), "Suppress progress output during copy"),
    FLG_END,
};

const struct flg_cmd cli_cp_cmd = {
    .path = "cp",
    .usage = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
	     "       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
    .desc = "Copy files/folders between a container and the local filesystem",
    .flags = cp_flags,
    .min_args = 2,
    .max_args = 2,
};

/* One side of the copy: a container's path, a host path, or "-". */
struct cp_end {
	const char *arg;
	char ref[256]; /* the container, "" for the host */
	const char *path;
	int rootfd;  /* the container's root; AT_FDCWD on the host */
	bool stream; /* "-" */
};

/* Docker's split: a path that starts with '/' or '.' is local; else
 * "NAME:PATH" names a container. */
static void cp_split(const char *arg, struct cp_end *end)
{
	const char *colon = strchr(arg, ':');

	memset(end, 0, sizeof(*end));
	end->arg = arg;
	end->rootfd = AT_FDCWD;
	end->path = arg;
	end->stream = strcmp(arg, "-") == 0;
	if (arg[0] == '/' || arg[0] == '.' || !colon || (size_t)(colon - arg) >= sizeof(end->ref))
		return;
	snprintf(end->ref, sizeof(end->ref), "%.*s", (int)(colon - arg), arg);
	end->path = *(colon + 1) ? colon + 1 : "/";
}

/* The container's root into end->rootfd; 1 after an error (printed). */
static int cp_attach(const char *root, struct cp_end *end)
{
	char id[CTR_ID_LEN + 1];
	struct ctr_config c;
	struct ctr_state s;
	struct berr e;
	int r;

	if (cli_load_container(root, end->ref, id, &c, &s) < 0)
		return 1;
	r = ctr_root_open(root, &c, &s, &end->rootfd, &e);
	ctr_config_free(&c);
	if (r < 0) {
		fprintf(stderr, "berth: %s: %s\n", end->ref, e.msg);
		return 1;
	}
	return 0;
}

/* Open a path of either side (a container's inside its root). */
static int cp_open(const struct cp_end *end, const char *path, int flags)
{
	if (end->ref[0])
		return open_in_root(end->rootfd, *path ? path : "/", flags);
	return open(path, flags | O_CLOEXEC);
}

static bool is_dir_form(const char *p)
{
	size_t n = strlen(p);

	return n && p[n - 1] == '/';
}

/* "SRC/." copies what is in SRC, not SRC itself. */
static bool is_contents_form(const char *p)
{
	size_t n = strlen(p);

	return (n >= 2 && strcmp(p + n - 2, "/.") == 0) || strcmp(p, ".") == 0;
}

/* The last name of path ("" for "/"), trailing slashes and "/." dropped. */
static void last_name(const char *path, char *out, size_t size)
{
	char copy[PATH_MAX];
	size_t n;

	snprintf(copy, sizeof(copy), "%s", path);
	n = strlen(copy);
	while (n > 1 && (copy[n - 1] == '/' || (copy[n - 1] == '.' && copy[n - 2] == '/')))
		copy[--n] = '\0';
	snprintf(out, size, "%s", strcmp(copy, "/") == 0 ? "" : basename(copy));
}

/* The directory a copy lands in, as the sink's root and prefix: a
 * container's stays its root with the path as prefix; a host's is opened
 * (*hostfd) and becomes the root. 0, or 1 after printing the error. */
static int cp_sink_dir(const struct cp_end *dst, const char *dir, struct cpy_sink *sink,
		       int *hostfd)
{
	int fd = cp_open(dst, dir, O_PATH | O_DIRECTORY);

	if (fd < 0) {
		fprintf(stderr, "berth: %s%s%s: %s\n", dst->ref, dst->ref[0] ? ":" : "", dir,
			errno == ENOENT ? "no such directory" : strerror(errno));
		return 1;
	}
	if (dst->ref[0]) {
		close(fd);
		sink->rootfd = dst->rootfd;
		while (*dir == '/')
			dir++;
		sink->prefix = dir;
	} else {
		*hostfd = fd;
		sink->rootfd = fd;
		sink->prefix = "";
	}
	return 0;
}

/* Docker's rules for where SRC lands at DEST: into DEST when it is a
 * directory (as SRC's name, or its contents for "SRC/."), else as DEST.
 * name gets the top's name in the copy; parent keeps the directory's
 * path alive for sink->prefix. 0, or 1 after printing the error. */
static int cp_plan(const struct cp_end *dst, const struct stat *src, bool contents,
		   const char *src_name, struct cpy_sink *sink, char *name, size_t size,
		   char *parent, int *hostfd)
{
	_cleanup_fd_ int fd = cp_open(dst, dst->path, O_PATH);
	char copy[PATH_MAX];
	struct stat st;

	snprintf(parent, PATH_MAX, "%s", dst->path);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(name, size, "%s", contents ? "" : src_name);
		return cp_sink_dir(dst, parent, sink, hostfd);
	}
	if (fd < 0 && errno != ENOENT) {
		fprintf(stderr, "berth: %s: %s\n", dst->arg, strerror(errno));
		return 1;
	}
	if (fd >= 0 && S_ISDIR(src->st_mode)) {
		fprintf(stderr, "berth: cannot overwrite non-directory \"%s\" with a directory\n",
			dst->arg);
		return 1;
	}
	if (is_dir_form(dst->path) && !S_ISDIR(src->st_mode)) {
		fprintf(stderr, "berth: %s: %s\n", dst->arg,
			fd >= 0 ? "not a directory" : "no such directory");
		return 1;
	}
	last_name(dst->path, name, size);
	snprintf(copy, sizeof(copy), "%s", dst->path);
	snprintf(parent, PATH_MAX, "%s", dirname(copy));
	return cp_sink_dir(dst, parent, sink, hostfd);
}

/* A tar of SRC on stdout. */
static int cp_to_stream(int srcfd, const char *name, struct berr *e)
{
	struct archive *a = archive_write_new();
	struct cpy_sink sink = {.tar = a, .prefix = ""};
	int r;

	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, 1) != ARCHIVE_OK) {
		r = berr_msg(e, EIO, "tar: %s", a ? archive_error_string(a) : "out of memory");
	} else {
		r = cpy_walk(srcfd, name, false, &sink, e);
		if (archive_write_close(a) != ARCHIVE_OK && r == 0)
			r = berr_msg(e, EIO, "write the tar: %s", archive_error_string(a));
	}
	archive_write_free(a);
	return r;
}

/* "cp - CONTAINER:DIR": a tar (plain or gzip) from stdin into the sink. */
static int cp_from_stream(struct cpy_sink *sink, struct berr *e)
{
	struct archive *a = archive_read_new();
	int r;

	if (!a)
		return berr_set(e, ENOMEM, "tar");
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_fd(a, 0, 65536) != ARCHIVE_OK)
		r = berr_msg(e, EIO, "read the tar on stdin: %s", archive_error_string(a));
	else
		r = cpy_untar(a, sink, e);
	archive_read_free(a);
	return r;
}

/* Both sides are known and the container's root is open: copy. */
static int cp_run(struct cp_end *src, struct cp_end *dst, const struct cp_opts *o)
{
	struct cpy_sink sink = {.keep_owner = o->archive, .prefix = ""};
	char src_name[NAME_MAX + 1], name[NAME_MAX + 1], parent[PATH_MAX];
	_cleanup_fd_ int srcfd = -1, hostfd = -1;
	struct stat st;
	struct berr e;
	int r;

	if (src->stream) {
		if (cp_sink_dir(dst, dst->path, &sink, &hostfd) != 0)
			return 1;
		r = cp_from_stream(&sink, &e);
	} else {
		srcfd = cp_open(src, src->path, O_PATH | (o->follow ? 0 : O_NOFOLLOW));
		if (srcfd < 0 || fstat(srcfd, &st) < 0) {
			if (src->ref[0] && errno == ENOENT)
				fprintf(stderr,
					"berth: Could not find the file %s in container %s\n",
					src->path, src->ref);
			else
				fprintf(stderr, "berth: %s: %s\n", src->arg, strerror(errno));
			return 1;
		}
		last_name(src->path, src_name, sizeof(src_name));
		if (dst->stream)
			r = cp_to_stream(srcfd, src_name, &e);
		else if (cp_plan(dst, &st, is_contents_form(src->path), src_name, &sink, name,
				 sizeof(name), parent, &hostfd) != 0)
			return 1;
		else
			r = cpy_walk(srcfd, name, false, &sink, &e);
	}
	if (r < 0) {
		fprintf(stderr, "berth: cp: %s\n", e.msg);
		return 1;
	}
	if (!o->quiet && !dst->stream && isatty(2))
		fprintf(stderr, "Successfully copied %llu bytes to %s\n",
			(unsigned long long)sink.bytes, dst->arg);
	return 0;
}

int cli_cp(const char *root, int argc, char **argv)
{
	struct cp_opts o = {0};
	struct cp_end src, dst;
	struct flg_out a;
	int r;

	if (flg_verb(&cli_cp_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	cp_split(a.argv[0], &src);
	cp_split(a.argv[1], &dst);
	if (src.ref[0] && dst.ref[0]) {
		fprintf(stderr, "berth: copying between containers is not supported\n");
		return 1;
	}
	if (!src.ref[0] && !dst.ref[0]) {
		fprintf(stderr, "berth: must specify at least one container source\n");
		return 1;
	}
	r = cp_attach(root, src.ref[0] ? &src : &dst);
	if (r == 0)
		r = cp_run(&src, &dst, &o);
	if (src.rootfd >= 0)
		close(src.rootfd);
	if (dst.rootfd >= 0)
		close(dst.rootfd);
	return r;
}

/* ---------------------------------------------------------------- export */

struct export_opts {
	const char *output;
};

#define X(f) struct export_opts, f
static const struct flg export_flags[] = {
    FLG_STRING('o', "output", X(output), "Write to a file, instead of STDOUT"),
    FLG_END,
};

const struct flg_cmd cli_export_cmd = {
    .path = "export",
    .usage = "[OPTIONS] CONTAINER",
    .desc = "Export a container's filesystem as a tar archive",
    .flags = export_flags,
    .min_args = 1,
    .max_args = 1,
};

/* The container's files as a tar on fd: its root without what is
 * mounted in it (/proc, /sys, /dev, volumes, the /etc files). */
static int export_to(int rootfd, int fd, struct berr *e)
{
	struct archive *a = archive_write_new();
	struct cpy_sink sink = {.tar = a, .prefix = ""};
	int r;

	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		r = berr_msg(e, EIO, "tar: %s", a ? archive_error_string(a) : "out of memory");
	} else {
		r = cpy_walk(rootfd, "", true, &sink, e);
		if (archive_write_close(a) != ARCHIVE_OK && r == 0)
			r = berr_msg(e, EIO, "write the tar: %s", archive_error_string(a));
	}
	archive_write_free(a);
	return r;
}

/* -o FILE: written beside it and renamed once whole. */
static int export_file(int rootfd, const char *output, struct berr *e)
{
	char tmp[PATH_MAX];
	_cleanup_fd_ int fd = -1;
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%d", output, (int)getpid()) >= sizeof(tmp))
		return berr_msg(e, ENAMETOOLONG, "%s", output);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return berr_set(e, errno, "%s", output);
	r = export_to(rootfd, fd, e);
	if (r == 0 && (fsync(fd) < 0 || rename(tmp, output) < 0))
		r = berr_set(e, errno, "%s", output);
	if (r < 0)
		unlink(tmp);
	return r;
}

int cli_export(const char *root, int argc, char **argv)
{
	struct export_opts o = {0};
	struct cp_end end;
	struct flg_out a;
	struct berr e;
	int r;

	if (flg_verb(&cli_export_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (!o.output && isatty(1)) {
		fprintf(stderr, "berth: cowardly refusing to save to a terminal. Use the -o flag "
				"or redirect\n");
		return 1;
	}
	cp_split("", &end);
	snprintf(end.ref, sizeof(end.ref), "%s", a.argv[0]);
	if (cp_attach(root, &end) != 0)
		return 1;
	r = o.output ? export_file(end.rootfd, o.output, &e) : export_to(end.rootfd, 1, &e);
	close(end.rootfd);
	if (r < 0) {
		fprintf(stderr, "berth: export %s: %s\n", a.argv[0], e.msg);
		return 1;
	}
	return 0;
}
