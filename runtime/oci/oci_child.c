/* oci_child.c - the runtime's part inside the container's init
 * (sb_spec.child_step), and the seccomp listener's way out of it.
 *
 * createContainer hooks run after the container's mounts, in all of its
 * namespaces, before the process's user and capabilities are set; their
 * paths resolve in the runtime's namespace, as the spec says: each hook
 * runs chrooted into a clone of the mount tree taken before the pivot
 * (open_tree), where runc runs them before its pivot_root. startContainer
 * hooks run after start, just before the exec, as the process's user, in
 * the container's root. Their state's pid is the init's on the host.
 * The seccomp listener (SECCOMP_FILTER_FLAG_NEW_LISTENER) goes from the
 * init to create over a socket pair; create sends it to listenerPath
 * with runc's JSON (ociVersion, fds ["seccompFd"], pid, metadata, state).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci_hooks.h"
#include "oci_rt.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/mount_api.h"
#include "runtime/sandbox/userns.h"

static bool has_hooks(const struct oci_child *k, const char *kind)
{
	return json_array_size(json_object_get(k->st->hooks, kind)) > 0;
}

/* Before the pivot the host's /proc still tells the init's host pid. */
static int at_root(struct oci_child *k, struct berr *e)
{
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		k->st->pid = atoi(self);
	}
	if (!has_hooks(k, "createContainer"))
		return 0;
	k->host_root = syscall(SYS_open_tree, AT_FDCWD, "/",
			       OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
	if (k->host_root < 0)
		return berr_set(e, errno, "createContainer hooks: clone the runtime's root");
	return 0;
}

static int run(struct oci_child *k, const char *kind, const char *status, int root,
	       struct berr *e)
{
	json_t *state;
	int r;

	if (!has_hooks(k, kind))
		return 0;
	state = oci_state_json(k->st, status);
	r = oci_hooks_run(k->st->hooks, kind, state, root, e);
	json_decref(state);
	signal(SIGPIPE, SIG_DFL); /* oci_hooks_run ignores it; the exec would keep that */
	return r;
}

int oci_child_step(int at, int fd, void *ctx, struct berr *e)
{
	struct oci_child *k = ctx;
	int r = 0;

	switch (at) {
	case SB_STEP_ROOT:
		return at_root(k, e);
	case SB_STEP_MOUNTED:
		r = run(k, "createContainer", "creating", k->host_root, e);
		if (k->host_root >= 0)
			close(k->host_root);
		return r;
	case SB_STEP_NOTIFY:
		r = uns_send_go(k->notify[1], &fd, 1);
		return r < 0 ? berr_set(e, -r, "pass the seccomp listener") : 0;
	case SB_STEP_START: /* past start: no one reads a report */
		r = run(k, "startContainer", "created", -1, e);
		if (r < 0)
			dprintf(2, "berth: %s\n", e->msg);
		return r;
	}
	return 0;
}

int oci_child_send_listener(struct oci_child *k, struct berr *e)
{
	_cleanup_fd_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	json_t *msg;

	close(k->notify[1]); /* EOF instead of a wait if the init sent nothing */
	k->notify[1] = -1;
	if (uns_recv_go(k->notify[0], &fd, 1) != 1 || fd < 0)
		return berr_msg(e, EPROTO, "seccomp listener: none came from the container");
	msg = json_pack("{s:s, s:[s], s:I, s:o}", "ociVersion", "1.0.2", "fds", "seccompFd", "pid",
			(json_int_t)k->st->pid, "state", oci_state_json(k->st, "creating"));
	if (msg && k->listener_meta)
		json_object_set_new(msg, "metadata", json_string(k->listener_meta));
	text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text)
		return berr_msg(e, ENOMEM, "seccomp listener: out of memory");
	return oci_send_fd(k->listener, fd, text, "seccomp listener", e);
}
