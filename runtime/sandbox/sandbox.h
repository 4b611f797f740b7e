/* sandbox.h - start one container process in fresh namespaces.
 *
 * The supervisor (PID 1 or `berth daemon`) calls sb_start(); it clones the
 * container's init directly as its own child (no shim), into the container's
 * cgroup (clone3 + CLONE_INTO_CGROUP when cgroup2 is there) and into new
 * mnt, pid, ipc, uts, cgroup and net namespaces. The child waits on a sync
 * socket while the parent finishes its side (cgroup limits, then the
 * caller's parent_setup: the veth into the child's netns), then mounts the overlay root, pivots into it, sets up /proc /sys /dev,
 * masks paths, resolves the user in the container's /etc/passwd, drops
 * capabilities, sets no_new_privs, loads seccomp and execs. Any failure in the
 * child reaches the parent over the sync pipe as a message with context, and
 * sb_start() undoes what was done and returns it in e.
 * With uid/gid maps the child also gets a new user namespace that owns the
 * others; userns.h says who does what then.
 */
#ifndef BERTH_SANDBOX_H
#define BERTH_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lib/err.h"

struct sb_mount {
	const char *source;	/* host path */
	const char *target;	/* path inside the container */
	bool read_only;
	bool copy_up;		/* a volume: when empty, copy the image's target in first */
};

/* A mount as the OCI runtime spec describes it (sb_spec.fsmounts): a bind
 * (flags has MS_BIND; the source is a host path, cloned before the pivot)
 * or a filesystem of any type, mounted after the pivot. Targets are
 * resolved inside the container's root. */
struct sb_fsmount {
	const char *type;	/* "proc", "tmpfs", ...; ignored for binds */
	const char *source;
	const char *target;	/* absolute, inside the container */
	unsigned long flags;	/* MS_* (MS_BIND, MS_RDONLY, MS_NOSUID, ...) */
	unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (|MS_REC), 0 = leave */
	const char *data;	/* filesystem options, NULL = none */
};

/* A device node to create in the container's /dev (OCI linux.devices). */
struct sb_device {
	const char *path;	/* absolute, inside the container */
	mode_t type;		/* S_IFCHR, S_IFBLK or S_IFIFO */
	unsigned major, minor;
	mode_t mode;		/* permission bits */
	uid_t uid;
	gid_t gid;
};

/* A device the device program allows besides the defaults. */
struct sb_devrule {
	char type;		/* 'c', 'b' or 'a' (any) */
	unsigned major, minor;	/* ~0u: any (devices_bpf.h) */
	unsigned access;	/* BPF_DEVCG_ACC_MKNOD, _READ, _WRITE */
};

struct sb_rlimit {
	int resource;		/* RLIMIT_* */
	uint64_t soft, hard;
};

/* An existing namespace to join instead of creating one. A user
 * namespace is joined first, by an extra child that then clones the
 * init (nsjoin.h); the pid namespace by the parent for the clone; the
 * others by the init, all opened before the first setns. */
struct sb_nsjoin {
	int type;		/* CLONE_NEW*: NET IPC UTS CGROUP PID USER NS (mount) TIME */
	const char *path;	/* /proc/PID/ns/net, a bind-mounted nsfs file, ... */
};

/* One line of a user namespace's uid or gid map (userns.h). */
struct sb_idmap {
	uint32_t inside, outside, count;
};

struct sb_limits {
	int64_t memory;		/* bytes, 0 = unlimited */
	int64_t memory_swap;	/* bytes incl. memory (Docker semantics), 0 = default, -1 = unlimited */
	int64_t cpu_quota_us;	/* per cpu_period_us; 0 = unlimited (--cpus 0.5 -> 50000/100000) */
	int64_t cpu_period_us;
	int64_t cpu_shares;	/* Docker shares (2..262144), 0 = default; mapped to cpu.weight */
	int64_t pids;		/* 0 = unlimited */
	const char *cpuset_cpus; /* NULL = all */
};

struct sb_spec {
	const char *id;		/* 64 hex */
	const char *hostname;
	/* Root filesystem: overlay of lowerdirs (lowest first) + upper/work. */
	const char *const *lowerdirs;
	int nlower;
	const char *upperdir, *workdir;
	const char *rootfs;	/* where the overlay is mounted (host path) */
	bool read_only;		/* --read-only */
	const struct sb_mount *mounts;
	int nmounts;
	/* Files written by the supervisor and bind-mounted read-only. */
	const char *hosts_file, *resolv_file, *hostname_file;
	/* Process. */
	char *const *argv;
	char *const *env;
	const char *cwd;	/* "" or NULL = / */
	const char *user;	/* "", "name", "uid", "name:group", "uid:gid" */
	bool tty;		/* stdin/stdout/stderr are a pty the caller made */
	int stdin_fd, stdout_fd, stderr_fd; /* -1 = /dev/null */
	/* Security. */
	bool privileged;
	uint64_t caps;		/* bitmask of CAP_* to keep (bounding, effective, permitted) */
	bool no_new_privs;
	const char *seccomp;	/* NULL = Docker's default, "unconfined", or a JSON profile path */
	/* Resources. */
	const char *cgroup;	/* absolute cgroup2 directory to create, NULL = none */
	struct sb_limits limits;
	/* Network: a new empty netns when netns_path is NULL; else setns into it. */
	const char *netns_path;
	/* The OCI path (runtime/oci) sets these; `berth run` leaves them 0. */
	unsigned long namespaces; /* CLONE_NEW* to create; 0 = mnt pid ipc uts cgroup net */
	const struct sb_nsjoin *joins; /* joined instead (not with the same bit in namespaces) */
	int njoins;
	/* Non-NULL: exactly these mounts instead of the default /proc /dev
	 * /sys; the default device nodes and /dev links are still made when
	 * /dev is not a bind. */
	const struct sb_fsmount *fsmounts;
	int nfsmounts;
	const int *fsmount_fds;	/* NULL, or per fsmount a source the caller made
				 * (an idmapped clone) to attach, -1 = none */
	const struct sb_device *devices;
	int ndevices;
	/* `berth run`'s --tmpfs, --init, --device: fsmounts (and devices)
	 * come after the default mounts instead of replacing them. */
	bool fsmounts_extra;
	const struct sb_devrule *dev_rules; /* allowed besides the defaults */
	int ndev_rules;
	const char *const *masked_paths;   /* NULL = the defaults (none when privileged) */
	const char *const *readonly_paths; /* NULL-terminated; NULL = the defaults */
	char *const *sysctls;	/* "net.ipv4.ip_forward=1", NULL-terminated, or NULL */
	unsigned long rootfs_propagation; /* MS_* for / after the pivot, 0 = private */
	const struct sb_rlimit *rlimits;
	int nrlimits;
	const gid_t *extra_gids; /* added to the user's supplementary groups */
	int nextra_gids;
	bool set_oom_score_adj;
	int oom_score_adj;
	bool devices_allow_all;	/* no device program (a rule allowing every device) */
	int preserve_fds;	/* fds 3..3+N-1 stay open across the exec */
	/* A new user namespace with these maps when nuid_map > 0 (userns.h);
	 * the layers are then idmapped mounts (idmap_lowers), or the caller
	 * made them owned by the mapped ids (a remapped copy). */
	const struct sb_idmap *uid_map, *gid_map;
	int nuid_map, ngid_map;
	bool idmap_lowers;
	/* Non-NULL (OCI create): the child, ready, reports success to
	 * sb_start (which returns) and then blocks opening this FIFO for
	 * writing until `start` reads it; then it execs. */
	const char *exec_fifo;
	/* Called in the caller's process after the clone, while the child still
	 * waits (so its namespaces exist, by pid): set up what must come from
	 * outside, the network. A failure (-errno, e filled) fails the start;
	 * the child is then killed and reaped without ever running, and the
	 * callback must already have undone its own work. NULL = nothing. */
	int (*parent_setup)(pid_t child, void *ctx, struct berr *e);
	void *parent_ctx;
	/* Non-NULL (OCI hooks): called in the container's init with
	 * parent_ctx at each enum sb_step; a failure before SB_STEP_START
	 * fails the start as any other. fd: the listener, else -1. */
	int (*child_step)(int step, int fd, void *ctx, struct berr *e);
	/* Load the seccomp filter with SECCOMP_FILTER_FLAG_NEW_LISTENER, before
	 * waiting for start, and hand the listener to child_step. */
	bool seccomp_listener;
};

enum sb_step {
	SB_STEP_ROOT,	 /* namespaces joined, before the root is entered (host paths) */
	SB_STEP_MOUNTED, /* after the container's mounts, before the user and caps */
	SB_STEP_NOTIFY,	 /* the seccomp listener fd, before waiting for start */
	SB_STEP_START,	 /* after start, as the process's user, just before the exec */
};

/* Docker's 14 default capabilities. */
uint64_t sb_default_caps(void);
/* Parse "CAP_NET_ADMIN"/"NET_ADMIN"/"ALL" into a bitmask; -EINVAL if unknown. */
BERR_MUST int sb_cap_parse(const char *name, uint64_t *mask);

/* Start the container; on success *pid is the container's init (a child of
 * the caller) and it has exec'd the command. */
BERR_MUST int sb_start(const struct sb_spec *spec, pid_t *pid, struct berr *e);

/* sb_start in two halves, for a caller that must not wait (the
 * supervisor): begin returns once the child is released, with the sync
 * socket in *sync_fd (close-on-exec, blocking: the caller may set
 * O_NONBLOCK). It becomes readable when the child has exec'd (EOF) or
 * failed (its report), also when it was killed before. sb_start_result
 * reads it: 0 exec'd, -EAGAIN no answer yet on a non-blocking socket,
 * else the child's error in e; then the caller kills and reaps the child
 * (unless it reaped it already) and calls sb_cleanup(). */
BERR_MUST int sb_start_begin(const struct sb_spec *spec, pid_t *pid, int *sync_fd,
			     struct berr *e);
BERR_MUST int sb_start_result(int sync_fd, struct berr *e);

/* Run argv inside a running container's namespaces and cgroup (exec). */
BERR_MUST int sb_exec(pid_t container_pid, const char *cgroup, const struct sb_spec *spec,
		      pid_t *pid, struct berr *e);

/* Remove the container's cgroup and unmount its rootfs after it exited. */
void sb_cleanup(const struct sb_spec *spec);

#endif
