/* userns.c - user namespace maps and the start's userns steps; see
 * userns.h. */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#include "mount_api.h"

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

int uns_map_check(const struct sb_idmap *m, int n, const char *what, struct berr *e)
{
	if (n < 1 || n > UNS_MAP_MAX)
		return berr_msg(e, EINVAL, "%s: needs 1 to %d ranges, not %d", what, UNS_MAP_MAX,
				n);
	for (int i = 0; i < n; i++) {
		if (m[i].count == 0)
			return berr_msg(e, EINVAL, "%s[%d]: size must be at least 1", what, i);
		if ((uint64_t)m[i].inside + m[i].count > UINT32_MAX ||
		    (uint64_t)m[i].outside + m[i].count > UINT32_MAX)
			return berr_msg(e, EINVAL, "%s[%d]: range ends past 4294967294", what, i);
		for (int j = 0; j < i; j++) {
			if (overlaps(m[i].inside, m[i].count, m[j].inside, m[j].count) ||
			    overlaps(m[i].outside, m[i].count, m[j].outside, m[j].count))
				return berr_msg(e, EINVAL, "%s[%d]: overlaps %s[%d]", what, i, what,
						j);
		}
	}
	return 0;
}

static int parse_u32(const char *s, char **end, uint32_t *out)
{
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 10);
	if (errno || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int uns_map_parse(const char *text, struct sb_idmap *m, struct berr *e)
{
	uint32_t v[3];
	const char *p = text;
	char *end = NULL;

	for (int i = 0; i < 3; i++) {
		if (parse_u32(p, &end, &v[i]) < 0 || *end != (i < 2 ? ':' : '\0'))
			return berr_msg(e, EINVAL,
					"id map \"%s\": want CONTAINER-ID:HOST-ID:SIZE (numbers)",
					text);
		p = end + 1;
	}
	*m = (struct sb_idmap){v[0], v[1], v[2]};
	return uns_map_check(m, 1, "id map", e);
}

void uns_map_format(const struct sb_idmap *m, char out[UNS_MAP_TEXT])
{
	snprintf(out, UNS_MAP_TEXT, "%" PRIu32 ":%" PRIu32 ":%" PRIu32, m->inside, m->outside,
		 m->count);
}

bool uns_map_host(const struct sb_idmap *m, int n, uint32_t id, uint32_t *host)
{
	for (int i = 0; i < n; i++) {
		if (id >= m[i].inside && id - m[i].inside < m[i].count) {
			*host = m[i].outside + (id - m[i].inside);
			return true;
		}
	}
	return false;
}

static int write_map(pid_t child, const char *file, const struct sb_idmap *m, int n, struct berr *e)
{
	char path[64], text[UNS_MAP_MAX * 36] = "";
	size_t len = 0;
	int r;

	for (int i = 0; i < n && i < UNS_MAP_MAX; i++)
		len += snprintf(text + len, sizeof(text) - len,
				"%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", m[i].inside, m[i].outside,
				m[i].count);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)child, file);
	r = write_file(path, text);
	return r < 0 ? berr_set(e, -r, "write %s", file) : 0;
}

int uns_write_maps(pid_t child, const struct sb_spec *spec, struct berr *e)
{
	int r = write_map(child, "uid_map", spec->uid_map, spec->nuid_map, e);

	if (r == 0)
		r = write_map(child, "gid_map", spec->gid_map, spec->ngid_map, e);
	return r;
}

/* The mapped root, or -EINVAL when the maps leave root out. */
static int mapped_root(const struct sb_spec *spec, uid_t *uid, gid_t *gid, struct berr *e)
{
	uint32_t u, g;

	if (!uns_map_host(spec->uid_map, spec->nuid_map, 0, &u) ||
	    !uns_map_host(spec->gid_map, spec->ngid_map, 0, &g))
		return berr_msg(e, EINVAL, "the user namespace's maps do not map root (0)");
	*uid = u;
	*gid = g;
	return 0;
}

int uns_delegate_cgroup(const char *path, const struct sb_spec *spec, struct berr *e)
{
	static const char *const files[] = {"", "/cgroup.procs", "/cgroup.threads",
					    "/cgroup.subtree_control"};
	char p[4096];
	uid_t uid;
	gid_t gid;
	int r = mapped_root(spec, &uid, &gid, e);

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s%s", path, files[i]);
		if (lchown(p, uid, gid) < 0 && errno != ENOENT)
			r = berr_set(e, errno, "delegate cgroup: chown %s", p);
	}
	return r;
}

/* The overlay's upper and work directories belong to the mapped root
 * (the overlay writes them with the mounter's credentials); only when
 * they are still root's, so a restart keeps what is there. */
int uns_own_dirs(const struct sb_spec *spec, struct berr *e)
{
	const char *dirs[] = {spec->upperdir, spec->workdir};
	uid_t uid;
	gid_t gid;
	int r = mapped_root(spec, &uid, &gid, e);

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(dirs); i++) {
		struct stat sb;

		if (!dirs[i] || lstat(dirs[i], &sb) < 0 || sb.st_uid != 0)
			continue;
		if (lchown(dirs[i], uid, gid) < 0)
			r = berr_set(e, errno, "chown %s to the mapped root", dirs[i]);
	}
	return r;
}

int uns_idmap_tree(const char *path, int nsfd, bool recursive, int *out, struct berr *e)
{
	struct mnt_api_attr a = {.attr_set = MNT_API_ATTR_IDMAP, .userns_fd = (uint64_t)nsfd};
	int rec = recursive ? AT_RECURSIVE : 0;
	_cleanup_fd_ int fd =
	    syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC | rec);

	if (fd < 0)
		return berr_set(e, errno, "open_tree %s", path);
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | rec, &a, sizeof(a)) < 0)
		return berr_set(e, errno, "idmapped mount of %s", path);
	*out = steal_fd(&fd);
	return 0;
}

int uns_idmap_lowers(pid_t child, const struct sb_spec *spec, int *fds, struct berr *e)
{
	char path[64];
	_cleanup_fd_ int nsfd = -1;
	int r = 0;

	for (int i = 0; i < spec->nlower; i++)
		fds[i] = -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_set(e, errno, "open %s", path);
	for (int i = 0; r == 0 && i < spec->nlower; i++)
		r = uns_idmap_tree(spec->lowerdirs[i], nsfd, false, &fds[i], e);
	for (int i = 0; r < 0 && i < spec->nlower; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	return r;
}

/* The parent's part of a user namespace while the child waits: its maps,
 * then the idmapped layers to send with the go; on failure the child is
 * killed and reaped. */
int uns_parent_setup(const struct sb_spec *spec, pid_t child, int *fds, struct berr *e)
{
	int r = 0;

	for (int i = 0; i < UNS_FDS_MAX; i++)
		fds[i] = -1;
	if (spec->nuid_map == 0)
		return 0;
	r = uns_write_maps(child, spec, e);
	if (r == 0 && spec->idmap_lowers)
		r = uns_idmap_lowers(child, spec, fds, e);
	if (r < 0)
		kill_and_reap(child);
	return r < 0 ? berr_wrap(e, "user namespace") : 0;
}

void uns_close_fds(const struct sb_spec *spec, int *fds)
{
	for (int i = 0; spec->idmap_lowers && i < spec->nlower; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
}

int uns_child_enter(struct berr *e)
{
	if (setresgid(0, 0, 0) < 0)
		return berr_set(e, errno, "setgid 0 in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return berr_set(e, errno, "setuid 0 in the user namespace");
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return berr_set(e, errno, "setgroups in the user namespace");
	return 0;
}

int uns_attach_lowers(const struct sb_spec *spec, const int *fds, struct berr *e)
{
	for (int i = 0; fds && i < spec->nlower; i++) {
		if (fds[i] < 0)
			continue;
		if (syscall(SYS_move_mount, fds[i], "", AT_FDCWD, spec->lowerdirs[i],
			    MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return berr_set(e, errno, "attach idmapped layer %s", spec->lowerdirs[i]);
		close(fds[i]);
	}
	return 0;
}

int uns_send_go(int sock, const int *fds, int n)
{
	char buf[CMSG_SPACE(sizeof(int) * UNS_FDS_MAX)];
	struct iovec iov = {.iov_base = "g", .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (n > UNS_FDS_MAX)
		return -E2BIG;
	if (n > 0) {
		memset(buf, 0, sizeof(buf));
		mh.msg_control = buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	/* MSG_NOSIGNAL: a child that died already must not SIGPIPE PID 1. */
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int uns_recv_go(int sock, int *fds, int max)
{
	char buf[CMSG_SPACE(sizeof(int) * UNS_FDS_MAX)], go;
	struct iovec iov = {.iov_base = &go, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		int got = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		if (got > max)
			return -E2BIG;
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * got);
	}
	return 1;
}

bool uns_differs(pid_t pid)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat("/proc/self/ns/user", &mine) < 0 || stat(path, &theirs) < 0)
		return false;
	return mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev;
}

static int scratch_maps(pid_t pid)
{
	static const char *const files[] = { "uid_map", "gid_map" };
	char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		if (write_file(path, "0 100000 65536\n") < 0)
			return -1;
	}
	return 0;
}

int uns_scratch(const struct sb_spec *maps, int *nsfd, struct berr *e)
{
	char path[64];
	int ready[2], hold[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) == 1)
			berr_ignore(read(hold[0], &c, 1));
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	*nsfd = -1;
	if (pid > 0 && read(ready[0], &c, 1) == 1 && c == 'y') {
		/* both maps: an idmapped mount wants the namespace's gids too */
		if (maps ? uns_write_maps(pid, maps, e) == 0 : scratch_maps(pid) == 0) {
			snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
			*nsfd = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	close(ready[0]);
	close(hold[1]);
	if (pid > 0)
		berr_ignore(wait_pid(pid)); /* it exits at the EOF on hold */
	return *nsfd >= 0 ? 0 : (maps ? -e->code : -EPERM);
}

bool uns_idmap_supported(const char *path)
{
	static dev_t seen[8];
	static bool answer[8];
	static int nseen;
	struct stat sb;
	struct berr e;
	_cleanup_fd_ int nsfd = -1, fd = -1;
	bool ok;

	if (stat(path, &sb) < 0)
		return false;
	for (int i = 0; i < nseen; i++) {
		if (seen[i] == sb.st_dev)
			return answer[i];
	}
	ok = uns_scratch(NULL, &nsfd, &e) == 0 && uns_idmap_tree(path, nsfd, false, &fd, &e) == 0;
	if (nseen < (int)ARRAY_SIZE(seen)) {
		seen[nseen] = sb.st_dev;
		answer[nseen++] = ok;
	}
	return ok;
}
