/* oci_create.c - create (the init waits on exec.fifo), start (releases
 * it), run (both, then wait and delete unless detached). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_config.h"
#include "oci_hooks.h"
#include "oci_rt.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

#define CONFIG_MAX (4 << 20)

struct create_opts {
	const char *bundle, *pid_file, *console_socket;
	bool no_pivot, no_new_keyring, detach, keep;
	int preserve_fds;
};

#define C(f) struct create_opts, f
#define CREATE_FLAGS                                                                               \
	FLG_STRING('b', "bundle", C(bundle), "The bundle `DIR` (default: the current directory)"), \
	    FLG_STRING(0, "pid-file", C(pid_file), "Write the container's pid to `FILE`"),        \
	    FLG_STRING(0, "console-socket", C(console_socket),                                    \
		       "Send the pty master to the AF_UNIX socket at `PATH`"),                     \
	    FLG_BOOL(0, "no-pivot", C(no_pivot), "Accepted; berth always uses pivot_root"),       \
	    FLG_BOOL(0, "no-new-keyring", C(no_new_keyring), "Accepted; no session keyring is made"), \
	    FLG_INT(0, "preserve-fds", C(preserve_fds), "Pass `N` more fds (3..3+N-1) to the container")

static const struct flg create_flags[] = {CREATE_FLAGS, FLG_END};
static const struct flg run_flags[] = {
    CREATE_FLAGS,
    FLG_BOOL('d', "detach", C(detach), "Detach from the container's process"),
    FLG_BOOL(0, "keep", C(keep), "Do not delete the container after it exits"),
    FLG_END,
};

static const struct flg_cmd create_cmd = {
    .path = "create", .usage = "[OPTIONS] CONTAINER-ID", .flags = create_flags,
    .desc = "Create a container (its process waits for start)", .min_args = 1, .max_args = 1};
static const struct flg_cmd run_cmd = {
    .path = "run", .usage = "[OPTIONS] CONTAINER-ID", .flags = run_flags,
    .desc = "Create and start a container", .min_args = 1, .max_args = 1};
static const struct flg_cmd start_cmd = {
    .path = "start", .usage = "CONTAINER-ID", .desc = "Start a created container",
    .min_args = 1, .max_args = 1};

/* What create builds and undoes on failure. */
struct creation {
	struct oci_ctx *x;
	struct oci_config cfg;
	struct oci_state st;
	struct sb_spec spec;
	char seccomp[4200], fifo[4200];
	int master, slave;
	bool made_dir;
	struct oci_child child;
	int idfds[OCI_MAX_MOUNTS]; /* idmapped mounts' sources, -1 */
};

static int read_config(struct creation *c, const char *bundle, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX + 16];
	size_t len;
	int r;

	if (!realpath(bundle, c->st.bundle))
		return berr_set(e, errno, "bundle %s", bundle);
	snprintf(path, sizeof(path), "%s/config.json", c->st.bundle);
	r = read_file_all(path, CONFIG_MAX, &text, &len);
	if (r < 0)
		return berr_set(e, -r, "read %s", path);
	r = oci_config_parse(text, len, c->st.bundle, &c->cfg, e);
	if (r < 0)
		return berr_wrap(e, "config.json");
	for (int i = 0; i < c->cfg.nwarnings; i++)
		oci_log(c->x, "warning", "config.json: %s", c->cfg.warnings[i]);
	return 0;
}

/* cgroupsPath under /sys/fs/cgroup (default berth-oci/ID); none on a host
 * without a usable cgroup2, with a warning, as `berth daemon` does. */
static int pick_cgroup(struct creation *c, struct berr *e)
{
	const char *p = c->cfg.cgroups_path;

	if (p && strchr(p, ':'))
		return berr_msg(e, EINVAL,
				"linux.cgroupsPath \"%s\" is a systemd slice:prefix:name; berth "
				"supports cgroupfs paths only (no --systemd-cgroup)", p);
	if (p && (strstr(p, "/../") || strncmp(p, "../", 3) == 0))
		return berr_msg(e, EINVAL, "linux.cgroupsPath \"%s\" leaves the hierarchy", p);
	if (!cg_usable()) {
		oci_log(c->x, "warning", "cgroup v2 is not usable on this host: the container "
					 "runs without a cgroup (no resource limits, no pause)");
		return 0;
	}
	while (p && *p == '/')
		p++;
	if (p && *p)
		snprintf(c->st.cgroup, sizeof(c->st.cgroup), "%s/%s", CG_ROOT, p);
	else
		snprintf(c->st.cgroup, sizeof(c->st.cgroup), "%s/berth-oci/%s", CG_ROOT, c->st.id);
	return 0;
}

static int make_state_dir(struct creation *c, struct berr *e)
{
	char *text;
	int r = mkdir_p(c->x->root, 0711);

	if (r < 0)
		return berr_set(e, -r, "create %s", c->x->root);
	if (mkdir(c->st.dir, 0711) < 0)
		return errno == EEXIST ? berr_msg(e, EEXIST, "container with id exists: %s", c->st.id)
				       : berr_set(e, errno, "create %s", c->st.dir);
	c->made_dir = true;
	snprintf(c->fifo, sizeof(c->fifo), "%s/exec.fifo", c->st.dir);
	/* writable by the container's user, who opens it (as runc: 0622) */
	if (mkfifo(c->fifo, 0622) < 0 || chmod(c->fifo, 0622) < 0)
		return berr_set(e, errno, "create %s", c->fifo);
	if (!c->cfg.seccomp)
		return 0;
	snprintf(c->seccomp, sizeof(c->seccomp), "%s/seccomp.json", c->st.dir);
	text = json_dumps(c->cfg.seccomp, JSON_COMPACT);
	r = text ? write_file_atomic(c->seccomp, text, strlen(text), 0600) : -ENOMEM;
	free(text);
	return r < 0 ? berr_set(e, -r, "write %s", c->seccomp) : 0;
}

/* prestart and createRuntime, while the init waits (sb_spec.parent_setup). */
static int run_create_hooks(pid_t child, void *ctx, struct berr *e)
{
	struct oci_state *st = ((struct oci_child *)ctx)->st;
	json_t *state;
	int r;

	if (!st->hooks)
		return 0;
	st->pid = child;
	state = oci_state_json(st, "creating");
	r = oci_hooks_run(st->hooks, "prestart", state, -1, e);
	if (r == 0)
		r = oci_hooks_run(st->hooks, "createRuntime", state, -1, e);
	json_decref(state);
	return r;
}

static void fill_spec(struct creation *c, const struct create_opts *o)
{
	struct sb_spec *s = &c->spec;

	oci_config_spec(&c->cfg, s);
	s->id = c->st.id;
	s->cgroup = c->st.cgroup[0] ? c->st.cgroup : NULL;
	s->seccomp = c->seccomp[0] ? c->seccomp : "unconfined";
	s->exec_fifo = c->fifo;
	s->preserve_fds = o->preserve_fds;
	s->stdin_fd = c->slave >= 0 ? c->slave : 0;
	s->stdout_fd = c->slave >= 0 ? c->slave : 1;
	s->stderr_fd = c->slave >= 0 ? c->slave : 2;
	s->parent_setup = run_create_hooks;
	s->parent_ctx = &c->child;
	s->child_step = oci_child_step;
	s->seccomp_listener = c->cfg.listener && c->cfg.seccomp;
	c->child = (struct oci_child){&c->st, c->cfg.listener, c->cfg.listener_meta, -1, {-1, -1}};
}

static int open_console(struct creation *c, const struct create_opts *o, struct berr *e)
{
	if (!c->cfg.proc.terminal)
		return 0;
	if (!o->console_socket) {
		if (!o->detach && isatty(0))
			return 0; /* run in the foreground: our own terminal */
		return berr_msg(e, EINVAL, "process.terminal needs --console-socket");
	}
	return oci_console_open(c->cfg.proc.rows, c->cfg.proc.cols, &c->master, &c->slave, e);
}

static int do_create(struct creation *c, const char *id, const struct create_opts *o,
		     struct berr *e)
{
	pid_t pid;
	int r;

	snprintf(c->st.id, sizeof(c->st.id), "%s", id);
	snprintf(c->st.dir, sizeof(c->st.dir), "%s/%s", c->x->root, id);
	r = read_config(c, o->bundle ? o->bundle : ".", e);
	if (r == 0)
		r = pick_cgroup(c, e);
	if (r == 0)
		r = make_state_dir(c, e);
	if (r == 0)
		r = open_console(c, o, e);
	if (r < 0)
		return r;
	snprintf(c->st.rootfs, sizeof(c->st.rootfs), "%s", c->cfg.rootfs);
	iso_time_ns(wall_ns(), c->st.created, sizeof(c->st.created));
	c->st.annotations = json_incref(json_object_get(c->cfg.json, "annotations"));
	c->st.hooks = json_incref(json_object_get(c->cfg.json, "hooks"));
	fill_spec(c, o);
	r = oci_idmounts_open(&c->cfg, c->idfds, e);
	if (r < 0)
		return r;
	c->spec.fsmount_fds = c->cfg.nidmounts ? c->idfds : NULL;
	if (c->spec.seccomp_listener &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->child.notify) < 0)
		return berr_set(e, errno, "socketpair");
	r = sb_start(&c->spec, &pid, e);
	if (r < 0)
		return r;
	c->st.pid = pid;
	c->st.start_time = oci_pid_start_time(pid);
	r = c->spec.seccomp_listener ? oci_child_send_listener(&c->child, e) : 0;
	if (r == 0)
		r = oci_state_save(&c->st, e);
	if (r == 0 && o->pid_file)
		r = oci_write_pid_file(o->pid_file, pid, e);
	if (r == 0 && c->master >= 0)
		r = oci_console_send(o->console_socket, c->master, e);
	if (r < 0)
		kill_and_reap(pid);
	return r;
}

static void creation_end(struct creation *c, bool failed)
{
	if (failed && c->made_dir)
		oci_state_remove(c->st.dir);
	if (failed && c->spec.cgroup && c->st.pid > 0) {
		struct berr ignored; /* best effort after the failure reported */
		berr_ignore(cg_remove(c->spec.cgroup, &ignored));
	}
	if (c->master >= 0)
		close(c->master);
	if (c->slave >= 0)
		close(c->slave);
	for (int i = 0; i < 2; i++) {
		if (c->child.notify[i] >= 0)
			close(c->child.notify[i]);
	}
	for (int i = 0; i < OCI_MAX_MOUNTS; i++) {
		if (c->idfds[i] >= 0)
			close(c->idfds[i]);
	}
	oci_state_free(&c->st);
	oci_config_free(&c->cfg);
}

static int create_common(struct oci_ctx *x, const struct flg_cmd *cmd, int argc, char **argv,
			 struct create_opts *o, struct creation *c)
{
	struct flg_out a;
	struct berr e;
	int r;

	memset(c, 0, sizeof(*c));
	c->x = x;
	c->master = c->slave = -1;
	c->child.notify[0] = c->child.notify[1] = -1;
	for (int i = 0; i < OCI_MAX_MOUNTS; i++)
		c->idfds[i] = -1;
	r = oci_flags(x, cmd, o, argc, argv, &a);
	if (r != 0)
		return r; /* -1 after --help */
	if (oci_check_id(a.argv[0], &e) < 0 || do_create(c, a.argv[0], o, &e) < 0) {
		oci_log(x, "error", "%s", e.msg);
		creation_end(c, true);
		return 1;
	}
	return 0;
}

int oci_cmd_create(struct oci_ctx *x, int argc, char **argv)
{
	struct create_opts o = {0};
	struct creation c;
	int r = create_common(x, &create_cmd, argc, argv, &o, &c);

	if (r == 0)
		creation_end(&c, false);
	return oci_exit(r);
}

/* Open the FIFO without blocking, wait for the init's byte and then for
 * EOF (its exec closes the FIFO: the process runs), giving up when the
 * init is gone before the byte. */
static int release(struct oci_state *s, struct berr *e)
{
	char fifo[4200], b;
	_cleanup_fd_ int fd = -1;
	bool got = false;

	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", s->dir);
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return berr_set(e, errno, "open %s", fifo);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n = poll(&p, 1, 100) > 0 ? read(fd, &b, 1) : -1;

		got |= n == 1;
		if (n == 0 && got)
			break;
		if (n != 1 && !oci_alive(s)) {
			if (got)
				break;
			return berr_msg(e, ESRCH, "the container's process exited before start");
		}
	}
	if (unlink(fifo) < 0)
		return berr_set(e, errno, "remove %s", fifo);
	return 0;
}

static int start_state(struct oci_ctx *x, struct oci_state *s, struct berr *e)
{
	const char *status = oci_status(s);
	json_t *state;
	int r;

	if (strcmp(status, "created") != 0)
		return berr_msg(e, EINVAL, "cannot start a container that is %s", status);
	r = release(s, e);
	if (r < 0 || !s->hooks)
		return r;
	state = oci_state_json(s, "running");
	r = oci_hooks_run(s->hooks, "poststart", state, -1, e);
	json_decref(state);
	if (r < 0)
		oci_log(x, "warning", "%s", e->msg);
	return 0;
}

int oci_cmd_start(struct oci_ctx *x, int argc, char **argv)
{
	struct oci_state s;
	struct flg_out a;
	struct berr e;
	int r = oci_flags(x, &start_cmd, NULL, argc, argv, &a);

	if (r != 0)
		return oci_exit(r);
	r = oci_state_load(x, a.argv[0], &s, &e);
	if (r == 0)
		r = start_state(x, &s, &e);
	oci_state_free(&s);
	if (r < 0)
		oci_log(x, "error", "%s", e.msg);
	return r < 0 ? 1 : 0;
}

static pid_t forward_to;

static void forward(int sig)
{
	kill(forward_to, sig);
}

/* run in the foreground: signals go to the container, its exit code is
 * ours, and the container is deleted unless --keep. */
static int run_foreground(struct creation *c, bool keep)
{
	struct sigaction sa = {.sa_handler = forward};
	struct berr e;
	int code;

	forward_to = c->st.pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	code = oci_wait_child(c->st.pid);
	if (!keep && oci_destroy(c->x, &c->st, true, &e) < 0)
		oci_log(c->x, "warning", "%s", e.msg);
	return code;
}

int oci_cmd_run(struct oci_ctx *x, int argc, char **argv)
{
	struct create_opts o = {0};
	struct creation c;
	struct berr e;
	int r = create_common(x, &run_cmd, argc, argv, &o, &c);

	if (r != 0)
		return oci_exit(r);
	if (start_state(x, &c.st, &e) < 0) {
		oci_log(x, "error", "%s", e.msg);
		berr_ignore(oci_destroy(x, &c.st, true, &e));
		creation_end(&c, false);
		return 1;
	}
	if (!o.detach)
		r = run_foreground(&c, o.keep);
	creation_end(&c, false);
	return r;
}
