/* cli_diff.c - `berth diff`: what a container changed in its root, from
 * its overlay's upper layer: A (added), C (changed: the path is in an
 * image layer too), D (deleted: an overlayfs whiteout), sorted by path
 * as Docker's. The files Berth mounts into every container (/proc, /sys,
 * /dev, /etc/hosts, /etc/hostname, /etc/resolv.conf) are left out. */
#include "cli_cp.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli_ctr.h"
#include "runtime/container/container.h"
#include "runtime/lib/file.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"

const struct flg_cmd cli_diff_cmd = {
    .path = "diff",
    .usage = "CONTAINER",
    .desc = "Inspect changes to files or directories on a container's filesystem",
    .min_args = 1,
    .max_args = 1,
};

/* nftw's walk has no context argument: the one diff being made. */
static struct {
	size_t upper_len;
	char *const *layers;
	struct strv lines;
	int err;
} diff;

static bool mounted_by_berth(const char *path)
{
	static const char *const skip[] = {"/proc",	 "/sys",	  "/dev",
					   "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"};

	for (size_t i = 0; i < ARRAY_SIZE(skip); i++) {
		size_t n = strlen(skip[i]);
		if (strncmp(path, skip[i], n) == 0 && (!path[n] || path[n] == '/'))
			return true;
	}
	return false;
}

/* The path is in one of the image's layers (resolved inside it). */
static bool in_image(const char *path)
{
	for (char *const *l = diff.layers; l && *l; l++) {
		int lfd = open(*l, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

		if (lfd < 0)
			continue;
		fd = open_in_root(lfd, path, O_PATH | O_NOFOLLOW);
		close(lfd);
		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

static int diff_one(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	const char *path = fpath + diff.upper_len;
	char line[4200];
	char kind;

	(void)type;
	if (ftw->level == 0 || mounted_by_berth(path))
		return 0;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		kind = 'D';
	else
		kind = in_image(path) ? 'C' : 'A';
	snprintf(line, sizeof(line), "%s\t%c %s", path, kind, path);
	if (strv_add(&diff.lines, line) < 0) {
		diff.err = ENOMEM;
		return 1;
	}
	return 0;
}

static int sort_by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_diff(const char *root, int argc, char **argv)
{
	char id[CTR_ID_LEN + 1], upper[600];
	struct ctr_config c;
	struct flg_out a;
	int r;

	if (flg_verb(&cli_diff_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	if (cli_load_container(root, a.argv[0], id, &c, NULL) < 0)
		return 1;
	ctr_dir(root, id, upper, sizeof(upper));
	strncat(upper, "/upper", sizeof(upper) - strlen(upper) - 1);
	diff.upper_len = strlen(upper);
	diff.layers = c.layers;
	r = access(upper, F_OK) == 0 ? nftw(upper, diff_one, 16, FTW_PHYS) : 0;
	if (r != 0 || diff.err)
		fprintf(stderr, "berth: diff %s: %s\n", a.argv[0],
			strerror(diff.err ? diff.err : errno));
	if (diff.lines.n)
		qsort(diff.lines.v, diff.lines.n, sizeof(char *), sort_by_path);
	for (int i = 0; i < diff.lines.n; i++)
		printf("%s\n", strchr(diff.lines.v[i], '\t') + 1);
	strv_free(&diff.lines);
	ctr_config_free(&c);
	return r != 0 || diff.err ? 1 : 0;
}
