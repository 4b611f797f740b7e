/* nsjoin.c - clone a container's init inside a user namespace to join. */
#include "nsjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "userns.h"

const char *nsj_path(const struct sb_spec *spec, int type)
{
	for (int i = 0; i < spec->njoins; i++) {
		if (spec->joins[i].type == type)
			return spec->joins[i].path;
	}
	return NULL;
}

int nsj_join_paths(const struct sb_spec *spec, struct berr *e)
{
	int fd[8], r = 0, i;

	if (spec->njoins > 8)
		return berr_msg(e, E2BIG, "more than 8 namespaces to join");
	for (i = 0; i < spec->njoins; i++)
		fd[i] = -1;
	for (i = 0; r == 0 && i < spec->njoins; i++) {
		if (spec->joins[i].type == CLONE_NEWPID || spec->joins[i].type == CLONE_NEWUSER)
			continue;
		fd[i] = open(spec->joins[i].path, O_RDONLY | O_CLOEXEC);
		if (fd[i] < 0)
			r = berr_set(e, errno, "open namespace %s", spec->joins[i].path);
	}
	for (i = 0; r == 0 && i < spec->njoins; i++) {
		if (fd[i] >= 0 && setns(fd[i], spec->joins[i].type) < 0)
			r = berr_set(e, errno, "join namespace %s", spec->joins[i].path);
	}
	for (i = 0; i < spec->njoins; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
	}
	return r;
}

/* In the extra child: the user namespace (uid and gid 0 there), then the
 * pid namespace to join, then the clone. CLONE_PARENT takes the exit
 * signal from this child (SIGCHLD), so clone3's must be 0. */
static pid_t clone_inside(const struct sb_spec *spec, int userfd, uint64_t flags)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} a = {.flags = flags | CLONE_PARENT};
	const char *pidns = nsj_path(spec, CLONE_NEWPID);
	struct berr e;
	pid_t pid;

	if (setns(userfd, CLONE_NEWUSER) < 0 || uns_child_enter(&e) < 0)
		return -errno;
	if (pidns) {
		_cleanup_fd_ int fd = open(pidns, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
			return -errno;
	}
	pid = syscall(SYS_clone3, &a, sizeof(a));
	return pid < 0 ? -errno : pid;
}

pid_t nsj_clone_in_user(const struct sb_spec *spec, uint64_t flags, const char *cgroup,
			struct berr *e)
{
	const char *path = nsj_path(spec, CLONE_NEWUSER);
	_cleanup_fd_ int userfd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t mid, child = -EPROTO;
	int p[2];

	if (userfd < 0 || pipe2(p, O_CLOEXEC) < 0)
		return berr_set(e, errno, "join user namespace %s", path), -1;
	mid = fork();
	if (mid == 0) {
		close(p[0]);
		child = clone_inside(spec, userfd, flags);
		if (child == 0) { /* the init, the caller's child */
			close(p[1]);
			return 0;
		}
		_exit(write_all(p[1], &child, sizeof(child)) < 0);
	}
	close(p[1]);
	if (mid > 0 && read(p[0], &child, sizeof(child)) != sizeof(child))
		child = -EPROTO;
	close(p[0]);
	if (mid < 0)
		return berr_set(e, errno, "fork"), -1;
	waitpid(mid, NULL, 0);
	if (child < 0)
		return berr_set(e, -child, "join user namespace %s", path), -1;
	if (cgroup && cg_enter(cgroup, child, e) < 0) {
		kill_and_reap(child);
		return -1;
	}
	return child;
}
