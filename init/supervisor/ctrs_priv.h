/* ctrs_priv.h - what the pieces of the supervisor's container table share.
 *
 * Private to init/supervisor/: containers.c (the table, its timer, open
 * and shutdown) and the ctr_*.c files, one concern each: ctr_logs.c,
 * ctr_attach.c, ctr_hosts.c, ctr_net.c, ctr_start.c, ctr_starting.c, ctr_exit.c,
 * ctr_policy.c, ctr_verbs.c, ctr_psrow.c, ctr_manage.c, ctr_startup.c, ctr_adopt.c, networks.c. The contract with the rest of
 * the supervisor is containers.h; nothing outside this folder includes
 * this file. Every function here takes the table (struct ctrs) and works
 * inside the supervisor's epoll loop: none of them blocks on a container.
 * A function's comment is at its definition.
 */
#ifndef BERTH_CTRS_PRIV_H
#define BERTH_CTRS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "containers.h"
#include "health.h"
#include "runtime/container/container.h"
#include "runtime/container/restart.h"
#include "runtime/net/bridge.h"
#include "runtime/net/iptables.h"
#include "runtime/net/network.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/err.h"

/* A container tree being removed: <id>.removing-<pid>-<n>. */
#define REMOVING ".removing-"

struct ctr;
struct ipt_pending;

struct logpipe {
	int kind; /* EV_CTR_LOG: first, the supervisor's event tag */
	int fd;
	struct ctr *c;
	const char *stream;
	char buf[4096];
	size_t len;
};

/* One end of an attach session (or the stdin pipe) in the epoll set. */
enum { ATT_IN = 1, ATT_OUT, ATT_STDIN };
struct att_end {
	int kind; /* EV_CTR_ATTACH */
	int role;
	int fd;
	struct ctr *c;
};

/* The stdio an attached CLI reaches: the pty master (run -t, held in
 * out.fd) or the stdin pipe (run -i), relayed from/to the session's FIFOs
 * with bounded buffers. */
struct ctr_io {
	bool attached;		/* the FIFOs exist */
	struct att_end in;	/* "in" FIFO, read end */
	struct att_end out;	/* "out" FIFO, write end; -1 until the CLI has it open */
	struct att_end stdin_w;	/* -i without -t: the container's stdin pipe */
	bool in_eof;		/* the CLI closed "in": close stdin once ibuf is out */
	char ibuf[4096];
	size_t ilen, ioff;
	char obuf[16384];
	size_t olen;
	unsigned short rows, cols;
};

/* A container's start under way (ctr_start.c): the child is released and
 * sets itself up while the loop goes on; the start is finished when its
 * sync socket answers (exec'd or failed) and the published ports' rules
 * are in. */
struct start_link;
struct ctr_starting {
	int kind;		/* EV_CTR_START */
	int fd;			/* the sync socket; -1 once it answered */
	pid_t pid;
	int rc;			/* the answer: 0 exec'd, else -errno with err */
	struct berr err;
	bool reaped;		/* the child was reaped meanwhile, with status */
	int status;
	bool restart;		/* by its policy: a failure leaves it exited */
	bool done;		/* finished; freed by ctrs_reclaim() */
	struct br_lease lease;
	struct ipt_job job;	/* the ports' rules; pid -1 once reaped */
	bool job_done;
	int job_rc;
	int fds[6];		/* stdout, stderr, stdin pipes (ours: 0, 2, 5) */
	int pidfd;		/* the child's, in the handover registry; -1 = none */
	struct ctr *c;
	struct start_link *asks; /* requests answered when it is finished */
	struct ctr_starting *next; /* on the table's done list */
};

/* A container's ps-rows line, kept until something it shows changes
 * (ctr_verbs.c): the key is what the status text is made of. */
struct ps_row {
	char *text;
	size_t len, cap;
	int64_t since, age;	/* the time the status counts from, whole seconds since */
	int status, exit_code, health;
	bool paused;
};

struct waiter {
	char *path;
	char *text;	/* the reply when done; NULL: the exit code */
	int code;	/* the exit code, once it is known (ctrs_notify_waiters) */
	struct waiter *next;
};

struct ctr {
	struct ctr_config cfg;
	struct ctr_state st;
	struct logpipe out, err;
	int logfd;
	off_t logsize;
	uint64_t kill_at;	/* monotonic deadline for SIGKILL, 0 = none */
	bool remove_when_dead;
	bool start_when_dead;	/* restart */
	bool remove_volumes;	/* rm -v: its anonymous volumes go too */
	bool log_failing;	/* a log write failed: reported once */
	/* Restart policy: the wait before the next start (restart_at,
	 * monotonic, 0 = none) follows rp_decide()'s schedule. */
	struct rp_policy policy;
	struct rp_track rtrack;
	uint64_t restart_at, started_mono;
	bool unhealthy_kill;	/* stopped for being unhealthy: a failure */
	struct hc_run *hc;	/* its health check, NULL = none */
	struct waiter *waiters;
	struct ctr_io io;
	int hostsfd;		/* its /etc/hosts while on the bridge (O_APPEND) */
	bool hosts_listed;	/* its line went into the shared one at its start */
	struct br_lease *xl;	/* while it runs: its leases on cfg.xnets (net_connect.c) */
	char first_if[16];	/* its first network's interface inside; "": eth0 */
	struct {
		int kind;	/* EV_CTR_PIDFD */
		int fd;		/* adopted and not our child: its pidfd, else -1 */
	} pidw;
	struct ctr_starting *starting; /* a start under way, or NULL */
	char *aside;		/* removed: its tree, renamed aside (ctrs_commit) */
	struct ps_row row;
	struct ctr *next;
};

struct ctrs {
	char root[512];
	bool pid1;
	int epfd;
	struct ctl_server *ctl;
	struct ctr *list;
	struct {
		int kind;
		int fd;
	} timer;
	bool cgroup_ok;
	bool adopt;		/* keep containers an earlier process left running */
	bool shutting_down;	/* no restarts from here on */
	char bridge_cidr[64];
	uint16_t last_port;	/* the last ephemeral host port handed out */
	struct ipt_pending *ipt_pending; /* iptables-restore removals running */
	/* Removed containers, freed by ctrs_reclaim() once the supervisor's
	 * batch of epoll events (which may still name them) is done. */
	struct ctr *dead;
	struct waiter *answers;	/* replies sent by ctrs_commit(), in reverse */
	struct ctr_starting *done_starts;
	int shared_hostsfd;	/* the default bridge's shared /etc/hosts (ctr_hosts.c) */
	bool shared_dirty;	/* it names one that went: rewritten by ctrs_commit() */
};

/* Paths and the sandbox spec for a container (buffers live in *sp). */
struct spec_buf {
	struct sb_spec spec;
	char dir[512], upper[560], work[560], rootfs[560], hosts[560], resolv[560],
		hostname[560], cgroup[256], netns[64];
	struct sb_mount mounts[64];
	const char *lower[128];
	struct hx_spec hx;	/* --ulimit, --sysctl, --tmpfs, --device, --init */
	struct sb_idmap uid_map[16], gid_map[16]; /* UNS_MAP_MAX */
};

/* An iptables-restore removal running in the background (ctr_net.c). */
struct ipt_pending {
	struct ipt_job job;
	char ip[16], bridge[16];
	char *ports;	/* what it removes: to go on port by port if it fails */
	/* answered once the rules are out (rm -f, wait of the container) */
	struct waiter *waiters;
	int exit_code;
	struct ipt_pending *next;
};

/* containers.c: the table */
const char *ctrs_full_hint(const struct ctrs *cs, int err);
void ctrs_save_state(struct ctrs *cs, struct ctr *c);
struct ctr *ctrs_find(struct ctrs *cs, const char *ref, struct ctl_reply *r);
void ctrs_rearm(struct ctrs *cs);
struct ctr *ctrs_ctr_new(void);

/* ctr_psrow.c: ps-rows, each container's line kept until it changes */
void ctrs_ps_rows(struct ctrs *cs, struct ctl_reply *r);
void ctrs_ps_forget(struct ctr *c);

/* ctr_logs.c: a container's output into its log */
void ctrs_log_open(struct ctrs *cs, struct ctr *c);
void ctrs_pipe_flush(struct ctrs *cs, struct logpipe *p, bool all);
void ctrs_pipe_close(struct ctrs *cs, struct logpipe *p);

/* ctr_attach.c: attach sessions (run -i, run -t) and reading the pipes */
void ctrs_ep_close(struct ctrs *cs, int *fd);
void ctrs_att_update(struct ctrs *cs, struct ctr *c);
void ctrs_att_close(struct ctrs *cs, struct ctr *c);
void ctrs_in_flush(struct ctrs *cs, struct ctr *c);
void ctrs_out_flush(struct ctrs *cs, struct ctr *c);
void ctrs_att_event(struct ctrs *cs, struct att_end *a);
void ctrs_pipe_read(struct ctrs *cs, struct logpipe *p, bool final);
void ctrs_verb_attach(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status);

/* ctr_hosts.c: the files bind-mounted as /etc/hostname, hosts, resolv.conf */
void ctrs_hosts_open(struct ctrs *cs, struct ctr *c);
void ctrs_hosts_close(struct ctr *c);
void ctrs_hosts_add(struct ctrs *cs, struct ctr *c);
void ctrs_hosts_remove(struct ctrs *cs, struct ctr *c);
/* c joined or left a network while running: its file and those of the
 * containers it shares a network with, rewritten whole. */
void ctrs_hosts_refresh(struct ctrs *cs, struct ctr *c);
/* buf: the bridge's shared file when c's /etc/hosts is that (else left
 * alone); closed at shutdown. */
void ctrs_hosts_shared_path(struct ctrs *cs, const struct ctr *c, char *buf, size_t size);
void ctrs_hosts_shared_close(struct ctrs *cs);
/* The shared file without those that went in this turn (ctrs_commit). */
void ctrs_hosts_commit(struct ctrs *cs);
/* Write them into dir (ip: c's address on the bridge, or ""); a file that
 * cannot be written fails the start, with its path and, if the disk is
 * full, which one. */
BERR_MUST int ctrs_write_etc_files(struct ctrs *cs, struct ctr *c, const char *dir,
				   const char *ip, struct berr *e);

/* ctr_net.c: network namespace, address, published ports' rules */
bool ctrs_pending_reaped(struct ctrs *cs, pid_t pid, int status);
BERR_MUST int ctrs_ports_add_finish(struct ipt_job *job, struct berr *e);
struct ipt_pending *ctrs_ports_remove(struct ctrs *cs, const char *ports, const char *ip,
				      const char *bridge);
BERR_MUST int ctrs_addr_release(struct ctrs *cs, struct ctr *c, struct berr *e);
BERR_MUST int ctrs_network_path(struct ctrs *cs, struct ctr *c, char *buf, size_t size,
				struct berr *e);
BERR_MUST int ctrs_network_acquire(struct ctrs *cs, struct ctr *c, struct br_lease *l,
				   struct ipt_job *job, struct berr *e);
struct ipt_pending *ctrs_net_down(struct ctrs *cs, struct ctr *c);
void ctrs_net_forget(struct ctrs *cs, struct ctr *c);

/* networks.c: user-defined networks */
struct ctr_netref {
	bool user;		/* a user network (def), not the default bridge */
	struct net_def def;
	char cidr[40], ipam[80];
	struct br_net n;	/* points into this struct */
};
bool ctrs_net_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		      int *status);
BERR_MUST int ctrs_net_resolve(struct ctrs *cs, const struct ctr *c, struct ctr_netref *nr,
			       bool up, struct berr *e);
void ctrs_net_event(const struct ctr_netref *nr, const struct ctr *c, const char *action);
void ctrs_net_prune(struct ctrs *cs, bool (*keep)(const char *id, void *ctx));
/* The network named ref ("bridge" or NULL: the default one) as a netref. */
BERR_MUST int ctrs_net_named(struct ctrs *cs, const char *ref, struct ctr_netref *nr, bool up,
			     struct berr *e);

/* net_connect.c: further networks (cfg.xnets), network-connect/disconnect */
bool ctrs_connect_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			  int *status);
/* o's address and aliases on the first of viewer's networks (by config)
 * that o is attached to (while it runs); false when none. */
bool ctrs_net_shared(const struct ctr *viewer, const struct ctr *o, const char **ip,
		     char *const **aliases);
/* Before a start: an address on each further network (c->xl); after it
 * (or a failed start): those addresses back, c->xl freed. */
BERR_MUST int ctrs_xnets_acquire(struct ctrs *cs, struct ctr *c, struct berr *e);
void ctrs_xnets_down(struct ctrs *cs, struct ctr *c);
/* An adopted running c's c->xl again, from the address tables. */
void ctrs_xnets_adopt(struct ctrs *cs, struct ctr *c);
/* sb_spec.parent_setup: the first network's veth (br_attach), then the
 * further ones. */
struct ctrs_attach {
	struct br_lease *lease;
	struct ctr *c;
};
BERR_MUST int ctrs_attach_all(pid_t pid, void *ctx, struct berr *e);

/* ctr_start.c: starting a container */
void ctrs_watch_pipe(struct ctrs *cs, struct logpipe *p);
void ctrs_build_spec(struct ctrs *cs, struct ctr *c, struct spec_buf *sp);
int ctrs_start_failure_status(int code);
/* Begin a start: 0 when it is under way (or c runs already), else the
 * failure, recorded in its state. */
BERR_MUST int ctrs_start_one(struct ctrs *cs, struct ctr *c, struct berr *e);
void ctrs_start_step(struct ctrs *cs, struct ctr_starting *st);

/* ctr_starting.c: starts under way, their requests' replies */
void ctrs_start_kill(struct ctrs *cs, struct ctr *c, struct ctr_starting *st);
void ctrs_start_cancel(struct ctrs *cs, struct ctr *c);
bool ctrs_start_reaped(struct ctrs *cs, pid_t pid, int status);
void ctrs_start_answer(struct ctrs *cs, struct ctr *c, struct ctr_starting *st,
		       const struct berr *e);
/* A start or restart request whose containers' starts are under way is
 * answered once they are all finished, one reply part per argument. */
struct start_ask *ctrs_ask_new(const struct proto_request *req);
void ctrs_ask_mark(struct start_ask *a, int i, const struct ctl_reply *r);
bool ctrs_ask_wait(struct start_ask *a, int i, struct ctr *c, const char *arg);
void ctrs_ask_end(struct start_ask *a, struct ctl_reply *r, int *status, bool *deferred);

/* ctr_exit.c: a container's exit, its removal, the waiters */
void ctrs_remove_tree(const char *path);
void ctrs_remove_ctr(struct ctrs *cs, struct ctr *c);
/* The waiters are answered by the next ctrs_commit(). */
void ctrs_notify_waiters(struct ctrs *cs, struct waiter *list, int exit_code);
/* The end of a turn of the loop: the removals' durable part, done once
 * for all of them, then the replies (ctrs_reclaim, ctrs_shutdown). */
void ctrs_commit(struct ctrs *cs);
/* c goes once it has ended (rm -f, --rm). */
bool ctrs_removing(const struct ctr *c);

/* ctr_policy.c: restart policies, health checks */
BERR_MUST int ctrs_setup_policy(struct ctr *c, struct berr *e);
void ctrs_restart_plan(struct ctrs *cs, struct ctr *c);
void ctrs_restart_due(struct ctrs *cs, struct ctr *c);
void ctrs_health_timer(struct ctrs *cs, struct ctr *c, uint64_t now);
bool ctrs_health_reaped(struct ctrs *cs, pid_t pid, int status);

/* ctr_verbs.c: the control verbs */
BERR_MUST int ctrs_stop_one(struct ctrs *cs, struct ctr *c, int timeout, int sig);

/* ctr_manage.c: pause, unpause, rename, update */
bool ctrs_manage_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			 int *status);
void ctrs_thaw_for_signal(struct ctrs *cs, struct ctr *c);

/* ctr_startup.c: what an earlier supervisor left */
void ctrs_load_existing(struct ctrs *cs);

/* ctr_adopt.c: containers still running when a supervisor starts */
bool ctrs_same_process(pid_t pid, int64_t started_ns);
bool ctrs_adopt(struct ctrs *cs, struct ctr *c);
void ctrs_handover_put(struct ctr *c);
void ctrs_adopted_exit(struct ctrs *cs, struct ctr *c);
void ctrs_adopt_forget(struct ctrs *cs, struct ctr *c);
bool ctrs_adopted_wait(struct ctrs *cs, struct ctr *c, int ms);
/* A start under way is registered (a pidfd of its child) while it lasts;
 * the next process ends one it finds (a fault, a killed daemon). */
void ctrs_start_handover(struct ctr *c, struct ctr_starting *st);
void ctrs_start_handover_end(struct ctr_starting *st);
void ctrs_start_interrupted(struct ctrs *cs, struct ctr *c);

#endif
