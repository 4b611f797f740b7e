/* oci_exec.c - exec: a process (--process JSON, or argv after the ID)
 * in a running container, through the sandbox's sb_exec: the container's
 * namespaces, cgroup and seccomp profile, the process's user and
 * capabilities. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_config.h"
#include "oci_rt.h"
#include "runtime/lib/file.h"
#include "runtime/lib/strv.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/caps.h"
#include "runtime/sandbox/cgroup.h"

struct exec_opts {
	const char *process, *console_socket, *pid_file, *cwd, *user;
	struct strv env, caps;
	bool tty, detach, no_new_privs;
	int preserve_fds;
};

#define X(f) struct exec_opts, f
static const struct flg exec_flags[] = {
    FLG_STRING('p', "process", X(process), "The process as an OCI process JSON `FILE`"),
    FLG_STRING(0, "console-socket", X(console_socket),
	       "Send the pty master to the AF_UNIX socket at `PATH`"),
    FLG_STRING(0, "pid-file", X(pid_file), "Write the process's pid to `FILE`"),
    FLG_STRING(0, "cwd", X(cwd), "The working directory"),
    FLG_STRING('u', "user", X(user), "UID[:GID]"),
    FLG_STRINGS('e', "env", X(env), "Set an environment variable"),
    FLG_STRINGS('c', "cap", X(caps), "Add a capability"),
    FLG_BOOL('t', "tty", X(tty), "Give the process a pty"),
    FLG_BOOL('d', "detach", X(detach), "Do not wait for the process"),
    FLG_BOOL(0, "no-new-privs", X(no_new_privs), "Set no_new_privs"),
    FLG_INT(0, "preserve-fds", X(preserve_fds), "Pass `N` more fds (3..3+N-1)"),
    FLG_DOC(FLG_T_STRING, 0, "process-label", NULL), /* accepted, no SELinux */
    FLG_DOC(FLG_T_STRING, 0, "apparmor", NULL),	 /* accepted, no AppArmor */
    FLG_END,
};
static const struct flg_cmd exec_cmd = {
    .path = "exec", .usage = "[OPTIONS] CONTAINER-ID [COMMAND [ARG...]]", .flags = exec_flags,
    .min_args = 1, .max_args = -1, .stop_at_operand = true,
    .desc = "Run a process in a running container"};

struct execution {
	struct oci_config cfg;	/* the container's config, or holds --process */
	struct oci_process proc;
	struct sb_spec spec;
	char seccomp[4200];
	int master, slave;
};

static int load_json(const char *path, json_t **out, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	json_error_t je;
	size_t len;
	int r = read_file_all(path, 4 << 20, &text, &len);

	if (r < 0)
		return berr_set(e, -r, "read %s", path);
	*out = json_loadb(text, len, 0, &je);
	if (!*out)
		return berr_msg(e, EINVAL, "%s: line %d: %s", path, je.line, je.text);
	return 0;
}

/* argv form: the container's own process with these changes, as runc. */
static int argv_process(struct execution *x, const struct oci_state *s, struct exec_opts *o,
			char **argv, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX + 16];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/config.json", s->bundle);
	r = read_file_all(path, 4 << 20, &text, &len);
	if (r < 0)
		return berr_set(e, -r, "read %s", path);
	r = oci_config_parse(text, len, s->bundle, &x->cfg, e);
	if (r < 0)
		return berr_wrap(e, "%s", path);
	x->proc = x->cfg.proc;
	x->proc.args = argv;
	x->proc.terminal = o->tty;
	x->proc.cwd = o->cwd ? o->cwd : "/";
	if (o->user)
		snprintf(x->proc.user, sizeof(x->proc.user), "%s", o->user);
	if (o->no_new_privs)
		x->proc.no_new_privs = true;
	for (int i = 0; i < o->caps.n; i++) {
		uint64_t bit;

		if (sb_cap_parse(o->caps.v[i], &bit) < 0)
			return berr_msg(e, EINVAL, "unknown capability %s", o->caps.v[i]);
		x->proc.caps |= bit;
	}
	for (char **v = x->cfg.proc.env; v && *v; v++) {
		char key[256];

		snprintf(key, sizeof(key), "%.*s", (int)strcspn(*v, "="), *v);
		if (!env_has(&o->env, key) && strv_add(&o->env, *v) < 0)
			return berr_msg(e, ENOMEM, "out of memory");
	}
	x->proc.env = o->env.v;
	return 0;
}

static int build_process(struct execution *x, const struct oci_state *s, struct exec_opts *o,
			 int argc, char **argv, struct berr *e)
{
	int r;

	if (!o->process) {
		if (argc < 1)
			return berr_msg(e, EINVAL, "exec: no command (give --process or a command)");
		return argv_process(x, s, o, argv, e);
	}
	r = load_json(o->process, &x->cfg.json, e);
	if (r == 0)
		r = oci_process_parse(&x->cfg, x->cfg.json, &x->proc, e);
	if (r == 0 && o->tty)
		x->proc.terminal = true;
	return r < 0 ? berr_wrap(e, "--process %s", o->process) : 0;
}

static void fill_spec(struct execution *x, const struct oci_state *s, const struct exec_opts *o)
{
	struct sb_spec *sp = &x->spec;

	oci_process_spec(&x->proc, sp);
	sp->set_oom_score_adj = false; /* the container's, as runc */
	sp->id = s->id;
	sp->preserve_fds = o->preserve_fds;
	snprintf(x->seccomp, sizeof(x->seccomp), "%s/seccomp.json", s->dir);
	sp->seccomp = access(x->seccomp, F_OK) == 0 ? x->seccomp : "unconfined";
	sp->stdin_fd = x->slave >= 0 ? x->slave : 0;
	sp->stdout_fd = x->slave >= 0 ? x->slave : 1;
	sp->stderr_fd = x->slave >= 0 ? x->slave : 2;
}

static int do_exec(struct oci_ctx *ctx, struct execution *x, const struct oci_state *s,
		   struct exec_opts *o, int argc, char **argv, pid_t *pid, struct berr *e)
{
	const char *status = oci_status(s);
	int r;

	if (strcmp(status, "running") != 0 && strcmp(status, "created") != 0)
		return berr_msg(e, EINVAL, "cannot exec in a %s container", status);
	r = build_process(x, s, o, argc, argv, e);
	if (r == 0 && x->proc.terminal && o->console_socket)
		r = oci_console_open(x->proc.rows, x->proc.cols, &x->master, &x->slave, e);
	else if (r == 0 && x->proc.terminal && (o->detach || !isatty(0)))
		r = berr_msg(e, EINVAL, "exec: a tty needs --console-socket");
	if (r < 0)
		return r;
	fill_spec(x, s, o);
	r = sb_exec(s->pid, s->cgroup[0] && cg_usable() ? s->cgroup : NULL, &x->spec, pid, e);
	if (r == 0 && o->pid_file)
		r = oci_write_pid_file(o->pid_file, *pid, e);
	if (r == 0 && x->master >= 0)
		r = oci_console_send(o->console_socket, x->master, e);
	if (r < 0 && *pid > 0)
		kill_and_reap(*pid);
	(void)ctx;
	return r;
}

int oci_cmd_exec(struct oci_ctx *ctx, int argc, char **argv)
{
	struct exec_opts o = {0};
	struct execution x = {.master = -1, .slave = -1};
	struct oci_state s = {0};
	struct flg_out a;
	struct berr e;
	pid_t pid = 0;
	int r = oci_flags(ctx, &exec_cmd, &o, argc, argv, &a);

	if (r != 0)
		return oci_exit(r);
	r = oci_state_load(ctx, a.argv[0], &s, &e);
	if (r == 0)
		r = do_exec(ctx, &x, &s, &o, a.argc - 1, a.argv + 1, &pid, &e);
	if (x.master >= 0)
		close(x.master);
	if (x.slave >= 0)
		close(x.slave);
	oci_config_free(&x.cfg);
	strv_free(&o.env);
	strv_free(&o.caps);
	oci_state_free(&s);
	if (r < 0) {
		oci_log(ctx, "error", "%s", e.msg);
		return 1;
	}
	return o.detach ? 0 : oci_wait_child(pid);
}
