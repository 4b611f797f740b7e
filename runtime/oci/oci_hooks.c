/* oci_hooks.c - hooks: fork, state on stdin, exec, wait with a timeout. */
#include "oci_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define HOOK_ARGS_MAX 256

/* A NULL-terminated vector of the strings of a JSON array (pointers into
 * it), or def when absent. */
static char **vec(json_t *a, char **buf, char *def)
{
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (json_is_string(v) && n < HOOK_ARGS_MAX)
			buf[n++] = (char *)json_string_value(v);
	}
	if (n == 0 && def)
		buf[n++] = def;
	buf[n] = NULL;
	return buf;
}

static int wait_hook(pid_t pid, int timeout, const char *path, struct berr *e)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), status;
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd >= 0 && poll(&p, 1, timeout > 0 ? timeout * 1000 : -1) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pidfd);
		return berr_msg(e, ETIMEDOUT, "hook %s: timed out after %d s", path, timeout);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (waitpid(pid, &status, 0) < 0)
		return berr_set(e, errno, "hook %s: wait", path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return berr_msg(e, ECHILD, "hook %s: killed by signal %d", path, WTERMSIG(status));
	return berr_msg(e, ECHILD, "hook %s: exit status %d", path, WEXITSTATUS(status));
}

static int run_hook(json_t *h, const char *state, int root_fd, struct berr *e)
{
	const char *path = json_string_value(json_object_get(h, "path"));
	char *args[HOOK_ARGS_MAX + 1], *env[HOOK_ARGS_MAX + 1];
	int in[2], r;
	pid_t pid;

	if (!path)
		return berr_msg(e, EINVAL, "hook without a path");
	if (pipe2(in, O_CLOEXEC) < 0)
		return berr_set(e, errno, "hook %s: pipe", path);
	vec(json_object_get(h, "args"), args, (char *)path);
	vec(json_object_get(h, "env"), env, NULL);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		if (root_fd >= 0 && (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0))
			_exit(126);
		execve(path, args, env);
		_exit(127);
	}
	close(in[0]);
	if (pid < 0) {
		close(in[1]);
		return berr_set(e, errno, "hook %s: fork", path);
	}
	/* a hook that does not read its stdin gets EPIPE, not us killed */
	signal(SIGPIPE, SIG_IGN);
	berr_ignore(write_all(in[1], state, strlen(state)));
	close(in[1]);
	r = wait_hook(pid, (int)json_integer_value(json_object_get(h, "timeout")), path, e);
	return r;
}

int oci_hooks_run(json_t *hooks, const char *kind, json_t *state, int root_fd, struct berr *e)
{
	json_t *list = json_object_get(hooks, kind), *h;
	_cleanup_free_ char *text = NULL;
	size_t i;

	if (json_array_size(list) == 0)
		return 0;
	text = json_dumps(state, JSON_COMPACT);
	if (!text)
		return berr_msg(e, ENOMEM, "%s hooks: out of memory", kind);
	json_array_foreach(list, i, h) {
		int r = run_hook(h, text, root_fd, e);

		if (r < 0)
			return berr_wrap(e, "%s", kind);
	}
	return 0;
}
