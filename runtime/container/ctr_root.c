/* ctr_root.c - a container's root for the CLI (ctr_root.h). */
#include "ctr_root.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "runtime/lib/file.h"

#define OVL_OPTS_MAX 4096

/* lowerdir (top-most first), upperdir, workdir; the paths are refused
 * when overlayfs would split them (',' ':' '\'). */
static int overlay_opts(const struct ctr_config *c, const char *dir, char *opts, size_t size,
			struct berr *e)
{
	size_t n = snprintf(opts, size, "lowerdir=");
	int nl = 0;

	while (c->layers && c->layers[nl])
		nl++;
	if (nl == 0)
		return berr_msg(e, EINVAL, "container %.12s has no image layers", c->id);
	for (int i = nl - 1; i >= 0 && n < size; i--) {
		if (c->layers[i][0] != '/' || strpbrk(c->layers[i], ",:\\"))
			return berr_msg(e, EINVAL, "layer path \"%s\" cannot be mounted",
					c->layers[i]);
		n += snprintf(opts + n, size - n, "%s%s", c->layers[i], i ? ":" : "");
	}
	if (n < size)
		n += snprintf(opts + n, size - n, ",upperdir=%s/upper,workdir=%s/work", dir, dir);
	if (n >= size || strpbrk(dir, ",:\\"))
		return berr_msg(e, E2BIG, "overlay options for %.12s do not fit", c->id);
	return 0;
}

/* Its overlay on its rootfs directory, in a mount namespace of our own. */
static int mount_stopped(const char *root, const struct ctr_config *c, int *fd, struct berr *e)
{
	char dir[512], path[600], opts[OVL_OPTS_MAX];

	ctr_dir(root, c->id, dir, sizeof(dir));
	if (overlay_opts(c, dir, opts, sizeof(opts), e) < 0)
		return -e->code;
	for (const char *sub = "upper\0work\0rootfs\0"; *sub; sub += strlen(sub) + 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
		if (mkdir_p(path, strcmp(sub, "work") == 0 ? 0700 : 0755) < 0)
			return berr_set(e, errno, "%s", path);
	}
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	if (unshare(CLONE_NEWNS) < 0)
		return berr_set(e, errno, "a mount namespace for the container's files");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berr_set(e, errno, "make the mounts private");
	if (mount("overlay", path, "overlay", MS_NODEV, opts) < 0)
		return berr_set(e, errno, "mount the container's overlay on %s", path);
	*fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return berr_set(e, errno, "%s", path);
	return 0;
}

int ctr_root_open(const char *root, const struct ctr_config *c, const struct ctr_state *s, int *fd,
		  struct berr *e)
{
	char proc[64];

	if ((s->status == CTR_RUNNING || s->status == CTR_RESTARTING) && s->pid > 0) {
		snprintf(proc, sizeof(proc), "/proc/%d/root", (int)s->pid);
		*fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*fd >= 0)
			return 0;
		if (errno != ENOENT && errno != ESRCH)
			return berr_set(e, errno, "%s", proc);
		/* it has just ended: its files are in its layers */
	}
	return mount_stopped(root, c, fd, e);
}
