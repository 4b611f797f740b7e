#include "mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

struct early_mount {
	const char *source, *target, *type;
	unsigned long flags;
	const char *data;
	bool required;
};

static const struct early_mount early[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", true },
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,gid=5,ptmxmode=0666",
	  false },
	{ "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false },
	{ "mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
	{ "run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", false },
	{ "tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate",
	  false },
};

/* Top-level mount points that travel with the root move. */
static const char *const moved[] = { "/dev", "/proc", "/sys", "/run", "/tmp" };

int mounts_early(struct berr *e)
{
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(early); i++) {
		const struct early_mount *m = &early[i];

		mkdir(m->target, 0755);
		if (mount(m->source, m->target, m->type, m->flags, m->data) == 0 || errno == EBUSY)
			continue;
		if (m->required && r == 0)
			r = berr_set(e, errno, "mount %s on %s", m->type, m->target);
		else
			log_err("mount %s on %s: %s", m->type, m->target, strerror(errno));
	}
	/* /dev/ptmx from devtmpfs is root-only; point it at this devpts. */
	if (access("/dev/pts/ptmx", F_OK) == 0) {
		unlink("/dev/ptmx");
		if (symlink("pts/ptmx", "/dev/ptmx") < 0)
			log_warn("symlink /dev/ptmx: %s", strerror(errno));
	}
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	return r;
}

int mounts_cgroup_controllers(void)
{
	char avail[512];
	char *save = NULL;
	int failed = 0;

	if (read_file("/sys/fs/cgroup/cgroup.controllers", avail, sizeof(avail)) < 0) {
		log_err("cgroup2: cannot read cgroup.controllers: %s", strerror(errno));
		return 1;
	}
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		char word[64];
		int r;

		snprintf(word, sizeof(word), "+%s", c);
		r = write_file("/sys/fs/cgroup/cgroup.subtree_control", word);
		if (r < 0) {
			log_err("cgroup2: enable %s: %s", c, strerror(-r));
			failed++;
		}
	}
	return failed;
}

bool root_is_initramfs(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char mnt[512];
		const char *dash;

		/* id parent major:minor root mountpoint ... - fstype source opts */
		if (sscanf(line, "%*d %*d %*s %*s %511s", mnt) != 1 || strcmp(mnt, "/") != 0)
			continue;
		dash = strstr(line, " - ");
		found = dash && strncmp(dash + 3, "rootfs ", 7) == 0;
	}
	fclose(f);
	return found;
}

#define NEWROOT "/.berth-root"

/*
 * pivot_root(2) refuses a root mount without a parent, which is what the
 * initramfs is. Rather than copying the initramfs (slow under TCG), bind it
 * onto a directory of its own and make that bind mount the root: the files
 * are the same (the initramfs is a tmpfs when no root= is given), but the
 * new root mount has a parent, so every container's copy of it does too.
 */
int root_move_to_tmpfs(struct berr *e)
{
	if (mkdir(NEWROOT, 0755) < 0 && errno != EEXIST)
		return berr_set(e, errno, "mkdir %s", NEWROOT);
	if (mount("/", NEWROOT, NULL, MS_BIND, NULL) < 0)
		return berr_set(e, errno, "bind / on %s", NEWROOT);
	for (size_t i = 0; i < ARRAY_SIZE(moved); i++) {
		char target[256];

		snprintf(target, sizeof(target), NEWROOT "%s", moved[i]);
		if (mount(moved[i], target, NULL, MS_MOVE, NULL) < 0 && errno != EINVAL)
			log_err("move mount %s: %s", moved[i], strerror(errno));
	}
	if (chdir(NEWROOT) < 0)
		return berr_set(e, errno, "chdir %s", NEWROOT);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return berr_set(e, errno, "move %s to /", NEWROOT);
	if (chroot(".") < 0 || chdir("/") < 0)
		return berr_set(e, errno, "chroot to new root");
	/* The mount point we came through is an empty directory now. */
	rmdir(NEWROOT);
	return 0;
}
