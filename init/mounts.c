#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../runtime/log.h"
#include "../runtime/util.h"

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

static int copy_tree(int src, int dst, dev_t dev, struct berr *e);

static int copy_reg(int src, int dst, const char *name, const struct stat *st, struct berr *e)
{
	_cleanup_fd_ int in = openat(src, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_fd_ int out = -1;
	off_t left = st->st_size;

	if (in < 0)
		return berr_set(e, errno, "open %s", name);
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0)
		return berr_set(e, errno, "create %s", name);
	while (left > 0) {
		ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : left);
		if (n < 0)
			return berr_set(e, errno, "copy %s", name);
		if (n == 0)
			break;
		left -= n;
	}
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return berr_set(e, errno, "chown %s", name);
	return 0;
}

static int copy_entry(int src, int dst, const char *name, dev_t dev, struct berr *e)
{
	struct stat st;
	int r = 0;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(e, errno, "stat %s", name);
	if (S_ISDIR(st.st_mode) && strcmp(name, NEWROOT + 1) == 0)
		return 0; /* the target itself */
	if (S_ISDIR(st.st_mode)) {
		_cleanup_fd_ int s = -1;
		_cleanup_fd_ int d = -1;

		if (mkdirat(dst, name, st.st_mode & 07777) < 0 && errno != EEXIST)
			return berr_set(e, errno, "mkdir %s", name);
		fchownat(dst, name, st.st_uid, st.st_gid, 0);
		if (st.st_dev != dev)
			return 0; /* a mount point: moved, not copied */
		s = openat(src, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (s < 0 || d < 0)
			return berr_set(e, errno, "open directory %s", name);
		r = copy_tree(s, d, dev, e);
		if (r < 0)
			return berr_wrap(e, "%s", name);
		unlinkat(src, name, AT_REMOVEDIR);
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		r = copy_reg(src, dst, name, &st, e);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return berr_set(e, errno, "readlink %s", name);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return berr_set(e, errno, "symlink %s", name);
		fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	} else {
		if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
			return berr_set(e, errno, "mknod %s", name);
		fchownat(dst, name, st.st_uid, st.st_gid, 0);
	}
	if (r == 0)
		unlinkat(src, name, 0); /* free the initramfs copy as we go */
	return r;
}

static int copy_tree(int src, int dst, dev_t dev, struct berr *e)
{
	int dupfd = dup(src);
	DIR *dir = dupfd >= 0 ? fdopendir(dupfd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!dir) {
		if (dupfd >= 0)
			close(dupfd);
		return berr_set(e, errno, "opendir");
	}
	while (r == 0 && (de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = copy_entry(src, dst, de->d_name, dev, e);
	}
	closedir(dir);
	return r;
}

int root_move_to_tmpfs(struct berr *e)
{
	_cleanup_fd_ int src = -1;
	_cleanup_fd_ int dst = -1;
	struct stat st;
	int r;

	if (mkdir(NEWROOT, 0755) < 0 && errno != EEXIST)
		return berr_set(e, errno, "mkdir %s", NEWROOT);
	if (mount("rootfs", NEWROOT, "tmpfs", 0, "mode=0755") < 0)
		return berr_set(e, errno, "mount tmpfs on %s", NEWROOT);
	src = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dst = open(NEWROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src < 0 || dst < 0 || fstat(src, &st) < 0)
		return berr_set(e, errno, "open roots");
	r = copy_tree(src, dst, st.st_dev, e);
	if (r < 0)
		return berr_wrap(e, "copy initramfs to tmpfs");
	for (size_t i = 0; i < ARRAY_SIZE(moved); i++) {
		char target[256];

		snprintf(target, sizeof(target), NEWROOT "%s", moved[i]);
		mkdir(target, 0755);
		if (mount(moved[i], target, NULL, MS_MOVE, NULL) < 0 && errno != EINVAL)
			log_err("move mount %s: %s", moved[i], strerror(errno));
	}
	if (chdir(NEWROOT) < 0)
		return berr_set(e, errno, "chdir %s", NEWROOT);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return berr_set(e, errno, "move %s to /", NEWROOT);
	if (chroot(".") < 0 || chdir("/") < 0)
		return berr_set(e, errno, "chroot to new root");
	return 0;
}
