/* oci_rt.h - the runtime verbs and their shared helpers (internal to
 * runtime/oci). Each verb takes its argv (argv[0] = the verb's name) and
 * returns the process's exit code, after logging any error with oci_log. */
#ifndef BERTH_OCI_RT_H
#define BERTH_OCI_RT_H

#include <sys/types.h>

#include "oci_state.h"
#include "runtime/cli/flags.h"
#include "runtime/lib/err.h"

/* A flag's destination in a flags table: OF(struct x_opts, field). */
#define OF(T, f) T, f

int oci_cmd_create(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_run(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_start(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_state(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_list(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_kill(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_delete(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_ps(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_pause(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_resume(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_update(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_exec(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_spec(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_features(struct oci_ctx *x, int argc, char **argv);
int oci_cmd_events(struct oci_ctx *x, int argc, char **argv);

/* flg_parse for a verb: 0 to go on; -1 after printing --help; else the
 * exit code (1 after a usage error, logged as runc does). */
int oci_flags(struct oci_ctx *x, const struct flg_cmd *c, void *opts, int argc, char **argv,
	      struct flg_out *out);

/* oci_flags' result as an exit code. */
static inline int oci_exit(int r)
{
	return r < 0 ? 0 : r;
}

/* A pty for a container (rows, cols: 0 = leave); the master goes to the
 * client over the --console-socket with SCM_RIGHTS, as runc sends it. */
BERR_MUST int oci_console_open(unsigned rows, unsigned cols, int *master, int *slave,
			       struct berr *e);
BERR_MUST int oci_console_send(const char *socket_path, int master, struct berr *e);
/* Connect to the AF_UNIX stream socket at socket_path and send text with
 * fd (SCM_RIGHTS); what names the socket in errors ("console"). */
BERR_MUST int oci_send_fd(const char *socket_path, int fd, const char *text, const char *what,
			  struct berr *e);

/* The container init's part (oci_child.c): sb_spec.child_step's context. */
struct oci_child {
	struct oci_state *st;	/* the hooks and the state JSON's fields */
	const char *listener, *listener_meta; /* linux.seccomp's, or NULL */
	int host_root;		/* createContainer hooks: the runtime's tree, else -1 */
	int notify[2];		/* the seccomp listener, from the init to create */
};

int oci_child_step(int at, int fd, void *ctx, struct berr *e);
/* create, after sb_start: the listener to listenerPath, with the state. */
BERR_MUST int oci_child_send_listener(struct oci_child *k, struct berr *e);

/* Kill (when force) and wait for the container's end, remove its cgroup,
 * run the poststop hooks and remove its state. */
BERR_MUST int oci_destroy(struct oci_ctx *x, struct oci_state *s, bool force, struct berr *e);

/* Wait for a child; its exit code, 128 + signal when killed. */
int oci_wait_child(pid_t pid);

#endif
