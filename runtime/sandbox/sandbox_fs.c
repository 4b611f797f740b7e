#include "sandbox_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "runtime/container/volume.h"

#include "mount_api.h"
#include "nsjoin.h"

#define OVL_OPTS_MAX 4096

static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static int do_mount(const char *src, const char *tgt, const char *type, unsigned long flags,
		    const char *data, struct berr *e)
{
	if (mount(src, tgt, type, flags, data) < 0)
		return berr_set(e, errno, "mount %s on %s", type ? type : src, tgt);
	return 0;
}

/* Bind mounts ignore most flags on the first call: remount to apply them. */
static int bind_mount(const char *src, const char *tgt, unsigned long flags, struct berr *e)
{
	int r = do_mount(src, tgt, NULL, MS_BIND | MS_REC, NULL, e);

	if (r == 0 && flags)
		r = do_mount(NULL, tgt, NULL, MS_BIND | MS_REMOUNT | flags, NULL, e);
	return r;
}

/* overlayfs splits its options at ',' and lowerdir at ':'. */
static int check_layer_path(const char *path, struct berr *e)
{
	if (!path || path[0] != '/' || strpbrk(path, ",:\\"))
		return berr_msg(e, EINVAL,
				"overlay layer path \"%s\" must be absolute, without ',' ':' '\\'",
				path ? path : "");
	return 0;
}

static int mount_overlay(const struct sb_spec *spec, struct berr *e)
{
	char opts[OVL_OPTS_MAX];
	size_t n = 0;

	for (int i = 0; i < spec->nlower; i++) {
		if (check_layer_path(spec->lowerdirs[i], e) < 0)
			return -EINVAL;
	}
	if ((spec->upperdir && check_layer_path(spec->upperdir, e) < 0) ||
	    (spec->workdir && check_layer_path(spec->workdir, e) < 0))
		return -EINVAL;

	/* overlayfs lists the top-most lower layer first. */
	n += snprintf(opts + n, sizeof(opts) - n, "lowerdir=");
	for (int i = spec->nlower - 1; i >= 0 && n < sizeof(opts); i--)
		n += snprintf(opts + n, sizeof(opts) - n, "%s%s", spec->lowerdirs[i], i ? ":" : "");
	if (n < sizeof(opts) && spec->upperdir && spec->workdir)
		n += snprintf(opts + n, sizeof(opts) - n, ",upperdir=%s,workdir=%s", spec->upperdir,
			      spec->workdir);
	if (n >= sizeof(opts))
		return berr_msg(e, E2BIG, "overlay options for %s exceed a page", spec->rootfs);
	return do_mount("overlay", spec->rootfs, "overlay", MS_NODEV, opts, e);
}

/* A detached copy of the mount tree at path (open_tree OPEN_TREE_CLONE):
 * it survives the pivot, unlike a path under the old root, and is attached
 * afterwards with move_mount. */
static int open_source(const char *path, int *fd, struct berr *e)
{
	*fd = -1;
	if (!path)
		return 0;
	*fd = syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
	if (*fd < 0)
		return berr_set(e, errno, "open_tree %s", path);
	return 0;
}

int sbfs_enter_root(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	int r;

	st->hosts_fd = st->resolv_fd = st->hostname_fd = st->console_fd = -1;
	st->proc_fd = st->sys_fd = -1;
	st->userns = spec->nuid_map > 0 || nsj_path(spec, CLONE_NEWUSER);
	for (int i = 0; i < SBFS_MAX_MOUNTS; i++)
		st->fs_fd[i] = -1;
	if (spec->nmounts > SBFS_MAX_MOUNTS || spec->nfsmounts > SBFS_MAX_MOUNTS)
		return berr_msg(e, E2BIG, "more than %d mounts", SBFS_MAX_MOUNTS);
	if (!spec->rootfs)
		return berr_msg(e, EINVAL, "no rootfs");
	r = do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, e);
	if (r == 0 && st->userns)
		r = sbfs_userns_open(spec, st, e);
	if (r < 0)
		return r;
	if (spec->nlower > 0)
		r = mount_overlay(spec, e);
	else
		r = bind_mount(spec->rootfs, spec->rootfs, 0, e);
	if (r < 0)
		return r;
	for (int i = 0; i < spec->nmounts && r == 0; i++) {
		if (spec->mounts[i].copy_up && spec->mounts[i].source)
			r = vol_copy_up(spec->rootfs, spec->mounts[i].target,
					spec->mounts[i].source, e);
		if (r == 0)
			r = open_source(spec->mounts[i].source, &st->vol_fd[i], e);
	}
	for (int i = 0; i < spec->nfsmounts && r == 0; i++) {
		const struct sb_fsmount *m = &spec->fsmounts[i];

		if (spec->fsmount_fds && spec->fsmount_fds[i] >= 0)
			st->fs_fd[i] = spec->fsmount_fds[i]; /* the child's copy */
		else if (m->flags & MS_BIND)
			r = open_source(m->source, &st->fs_fd[i], e);
	}
	if (r == 0)
		r = open_source(spec->hosts_file, &st->hosts_fd, e);
	if (r == 0)
		r = open_source(spec->resolv_file, &st->resolv_fd, e);
	if (r == 0)
		r = open_source(spec->hostname_file, &st->hostname_fd, e);
	/* The pty the caller made becomes /dev/console, as in Docker with -t.
	 * By name: the fd's own mount belongs to the parent's namespace, and
	 * open_tree() clones only mounts of ours. No name, no console. */
	if (r == 0 && spec->tty && isatty(0)) {
		char tty[128];

		if (ttyname_r(0, tty, sizeof(tty)) == 0)
			r = open_source(tty, &st->console_fd, e);
	}
	if (r < 0)
		return r;
	/* pivot_root(".", "."): the old root ends up on top of the new one and
	 * is detached at once, so no directory for it is needed in the image. */
	if (chdir(spec->rootfs) < 0)
		return berr_set(e, errno, "chdir %s", spec->rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berr_set(e, errno, "pivot_root %s", spec->rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return berr_set(e, errno, "detach the old root");
	if (spec->rootfs_propagation &&
	    mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
		return berr_set(e, errno, "set the propagation of /");
	if (chdir("/") < 0)
		return berr_set(e, errno, "chdir /");
	return 0;
}

/* Create a mount point (a directory, or an empty file when the source is
 * not a directory) inside the new root. */
static int make_target(const char *path, bool dir, struct berr *e)
{
	char parent[4096];
	char *slash;
	int r, fd;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		r = mkdir_p(parent, 0755);
		if (r < 0)
			return berr_set(e, -r, "create %s", parent);
	}
	if (dir) {
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return berr_set(e, errno, "create %s", path);
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno != EEXIST && errno != EISDIR && errno != ELOOP)
		return berr_set(e, errno, "create %s", path);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int bind_fd(int fd, const char *target, unsigned long flags, struct berr *e)
{
	struct stat sb;
	int r;

	if (fstat(fd, &sb) < 0)
		return berr_set(e, errno, "stat source of %s", target);
	r = make_target(target, S_ISDIR(sb.st_mode), e);
	if (r < 0)
		return r;
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = berr_set(e, errno, "move_mount");
	else if (flags)
		r = do_mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL, e);
	if (r < 0)
		berr_wrap(e, "bind %s", target);
	return r;
}

static int mount_proc(struct sbfs_state *st, struct berr *e)
{
	int r;

	if (st->proc_fd >= 0) /* a user namespace: made before the pivot */
		return bind_fd(st->proc_fd, "/proc", 0, e);
	r = make_target("/proc", true, e);
	return r ? r : do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, e);
}

static int mount_sys(struct sbfs_state *st, bool privileged, struct berr *e)
{
	unsigned long ro = privileged ? 0 : MS_RDONLY;
	int r = make_target("/sys", true, e);

	if (r == 0 && st->sys_fd >= 0)
		r = bind_fd(st->sys_fd, "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, e);
	else if (r == 0)
		r = do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, NULL,
			     e);
	/* The container's own cgroup (cgroup namespace) at /sys/fs/cgroup. */
	if (r == 0) {
		struct berr ignored; /* best effort: absent on cgroup v1 hosts */
		do_mount("cgroup2", "/sys/fs/cgroup", "cgroup2",
			 MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, NULL, &ignored);
	}
	return r;
}

const struct sbfs_dev_node sbfs_dev_nodes[SBFS_DEV_NODES] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* The caller's pty lives in a devpts the container cannot see, so its
 * name means nothing inside (`tty` would say "not a tty"); stdio reopened
 * through the /dev/console bind is the same terminal under a name that
 * resolves. */
static int stdio_on_console(struct berr *e)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return berr_set(e, errno, "open /dev/console");
	for (int i = 0; i < 3; i++) {
		if (dup2(fd, i) < 0) {
			close(fd);
			return berr_set(e, errno, "dup2 /dev/console to %d", i);
		}
	}
	close(fd);
	return 0;
}

/* The default nodes; existing ones are kept when may_exist (an OCI
 * config's /dev may come with some). */
static int make_dev_nodes(struct sbfs_state *st, bool may_exist, struct berr *e)
{
	mode_t mask = umask(0); /* 0666 past the umask: no chmod after each */
	char path[64];
	int r = 0;

	for (size_t i = 0; r == 0 && i < SBFS_DEV_NODES; i++) {
		snprintf(path, sizeof(path), "/dev/%s", sbfs_dev_nodes[i].name);
		if (st->userns) /* mknod is refused: the host's node */
			r = bind_fd(st->dev_fd[i], path, 0, e);
		else if (mknod(path, S_IFCHR | 0666,
			       makedev(sbfs_dev_nodes[i].major, sbfs_dev_nodes[i].minor)) < 0 &&
			 !(may_exist && errno == EEXIST))
			r = berr_set(e, errno, "mknod %s", path);
	}
	umask(mask);
	return r;
}

/* /dev/fd, std* and ptmx links, then the caller's pty as /dev/console. */
static int dev_links_console(struct sbfs_state *st, bool may_exist, struct berr *e)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", "/dev/fd"},	{"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
	    {"pts/ptmx", "/dev/ptmx"},
	};
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(links); i++) {
		if (symlink(links[i][0], links[i][1]) < 0 && !(may_exist && errno == EEXIST))
			r = berr_set(e, errno, "symlink %s", links[i][1]);
	}
	if (r == 0 && st->console_fd >= 0)
		r = bind_fd(st->console_fd, "/dev/console", MS_NOSUID | MS_NOEXEC, e);
	if (r == 0 && st->console_fd >= 0)
		r = stdio_on_console(e);
	return r;
}

static int mount_dev(struct sbfs_state *st, struct berr *e)
{
	int r = make_target("/dev", true, e);

	if (r == 0)
		r = do_mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			     "mode=755,size=65536k", e);
	if (r == 0)
		r = make_dev_nodes(st, false, e);
	if (r == 0)
		r = make_target("/dev/pts", true, e);
	if (r == 0)
		r = do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			     "newinstance,ptmxmode=0666,mode=0620,gid=5", e);
	if (r == 0)
		r = make_target("/dev/shm", true, e);
	if (r == 0)
		r = do_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     "mode=1777,size=65536k", e);
	if (r == 0)
		r = make_target("/dev/mqueue", true, e);
	if (r == 0)
		r = do_mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     NULL, e);
	if (r == 0)
		r = dev_links_console(st, false, e);
	return r;
}

/* One entry of spec->fsmounts. "cgroup" (v1) becomes the container's own
 * cgroup2, best effort as in mount_sys: a v1 host may not allow it. */
static int fsmount_one(const struct sb_fsmount *m, int fd, struct berr *e)
{
	unsigned long fl = m->flags & ~(MS_BIND | MS_REC);
	int r;

	if ((m->flags & MS_BIND) || fd >= 0) { /* fd: a user namespace's proc or sysfs */
		r = bind_fd(fd, m->target, fl, e);
	} else if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
		struct berr ignored;

		r = make_target(m->target, true, e);
		if (r == 0)
			berr_ignore(do_mount("cgroup2", m->target, "cgroup2", fl, NULL, &ignored));
	} else {
		r = make_target(m->target, true, e);
		if (r == 0)
			r = do_mount(m->source ? m->source : m->type, m->target, m->type, fl,
				     m->data, e);
	}
	if (r == 0 && m->propagation)
		r = do_mount(NULL, m->target, NULL, m->propagation, NULL, e);
	return r;
}

static int make_devices(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	for (int i = 0; i < spec->ndevices; i++) {
		const struct sb_device *d = &spec->devices[i];
		int r = st->userns ? bind_fd(st->dev_fd[SBFS_DEV_NODES + i], d->path, 0, e)
				   : make_target(d->path, false, e);

		if (r < 0)
			return r;
		if (st->userns) /* the host's node, bound: mknod is refused */
			continue;
		unlink(d->path); /* make_target left an empty file */
		if (mknod(d->path, d->type | d->mode, makedev(d->major, d->minor)) < 0)
			return berr_set(e, errno, "mknod %s", d->path);
		if (chmod(d->path, d->mode) < 0 || chown(d->path, d->uid, d->gid) < 0)
			return berr_set(e, errno, "set owner and mode of %s", d->path);
	}
	return 0;
}

/* An OCI config's mounts in order; /dev then gets the default nodes,
 * links and console unless it is a bind of the host's. */
static int mount_list(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	bool dev_bound = false;
	int r = 0;

	for (int i = 0; r == 0 && i < spec->nfsmounts; i++) {
		const struct sb_fsmount *m = &spec->fsmounts[i];

		r = fsmount_one(m, st->fs_fd[i], e);
		if (st->fs_fd[i] >= 0)
			close(st->fs_fd[i]);
		if (strcmp(m->target, "/dev") == 0)
			dev_bound = m->flags & MS_BIND;
	}
	if (r < 0 || dev_bound)
		return r;
	r = make_target("/dev", true, e);
	if (r == 0)
		r = make_dev_nodes(st, true, e);
	if (r == 0)
		r = dev_links_console(st, true, e);
	if (r == 0)
		r = make_devices(spec, st, e);
	return r;
}

/* "net.ipv4.ip_forward=1" into /proc/sys/net/ipv4/ip_forward. */
static int write_sysctls(char *const *sysctls, struct berr *e)
{
	for (; sysctls && *sysctls; sysctls++) {
		const char *eq = strchr(*sysctls, '=');
		char path[512];
		int r;

		if (!eq)
			return berr_msg(e, EINVAL, "sysctl %s: no value", *sysctls);
		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - *sysctls), *sysctls);
		for (char *p = path + 10; *p; p++)
			*p = *p == '.' ? '/' : *p;
		r = write_file(path, eq + 1);
		if (r < 0)
			return berr_set(e, -r, "sysctl %.*s", (int)(eq - *sysctls), *sysctls);
	}
	return 0;
}

/* Files: /dev/null on top. Directories: an empty read-only tmpfs. */
static int mask_path(const char *path, struct berr *e)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return 0;
	if (S_ISDIR(sb.st_mode))
		return do_mount("tmpfs", path, "tmpfs",
				MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0", e);
	return do_mount("/dev/null", path, NULL, MS_BIND, NULL, e);
}

static int readonly_path(const char *path, struct berr *e)
{
	if (access(path, F_OK) < 0)
		return 0;
	return bind_mount(path, path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, e);
}

static int bind_supervisor_files(struct sbfs_state *st, struct berr *e)
{
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r = 0;

	if (st->hosts_fd >= 0)
		r = bind_fd(st->hosts_fd, "/etc/hosts", ro, e);
	if (r == 0 && st->resolv_fd >= 0)
		r = bind_fd(st->resolv_fd, "/etc/resolv.conf", ro, e);
	if (r == 0 && st->hostname_fd >= 0)
		r = bind_fd(st->hostname_fd, "/etc/hostname", ro, e);
	return r;
}

static int mask_and_protect(const struct sb_spec *spec, struct berr *e)
{
	int r = 0;

	if (spec->masked_paths) {
		for (const char *const *p = spec->masked_paths; r == 0 && *p; p++)
			r = mask_path(*p, e);
	} else {
		for (size_t i = 0; r == 0 && !spec->privileged && i < ARRAY_SIZE(masked_paths); i++)
			r = mask_path(masked_paths[i], e);
	}
	if (spec->readonly_paths) {
		for (const char *const *p = spec->readonly_paths; r == 0 && *p; p++)
			r = readonly_path(*p, e);
	} else {
		for (size_t i = 0; r == 0 && !spec->privileged && i < ARRAY_SIZE(readonly_paths);
		     i++)
			r = readonly_path(readonly_paths[i], e);
	}
	return r;
}

static int mount_defaults(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	int r = mount_proc(st, e);

	if (r == 0)
		r = mount_dev(st, e);
	if (r == 0)
		r = mount_sys(st, spec->privileged, e);
	return r;
}

/* fsmounts_extra: the spec's mounts and devices over the defaults. */
static int mount_extra(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	int r = 0;

	for (int i = 0; i < spec->nfsmounts; i++) {
		if (r == 0)
			r = fsmount_one(&spec->fsmounts[i], st->fs_fd[i], e);
		if (st->fs_fd[i] >= 0)
			close(st->fs_fd[i]);
	}
	return r ? r : make_devices(spec, st, e);
}

int sbfs_setup(const struct sb_spec *spec, struct sbfs_state *st, struct berr *e)
{
	int r = spec->fsmounts && !spec->fsmounts_extra ? mount_list(spec, st, e)
							: mount_defaults(spec, st, e);

	if (r == 0 && spec->fsmounts_extra)
		r = mount_extra(spec, st, e);
	if (r == 0)
		r = write_sysctls(spec->sysctls, e);
	for (int i = 0; r == 0 && i < spec->nmounts; i++) {
		unsigned long fl = MS_NOSUID | MS_NODEV;

		if (spec->mounts[i].read_only)
			fl |= MS_RDONLY;
		r = bind_fd(st->vol_fd[i], spec->mounts[i].target, fl, e);
		close(st->vol_fd[i]);
	}
	if (r == 0)
		r = bind_supervisor_files(st, e);
	if (r == 0)
		r = mask_and_protect(spec, e);
	if (r == 0 && spec->read_only)
		r = do_mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV, NULL, e);
	return r;
}
