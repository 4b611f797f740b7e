/* hostcfg.h - the part of a container's HostConfig beyond the core of
 * container.h: what `--add-host`, `--dns`, `--dns-search`, `--dns-option`,
 * `--tmpfs`, `--ulimit`, `--sysctl`, `--device`, `--device-cgroup-rule`,
 * `--init`, `--stop-signal`
 * and `--log-opt` ask for (docs/run-options.md).
 *
 * The CLI checks each value as Docker does (hx_*_parse, hx_*_check: pure,
 * one readable message in e); config.json keeps them under "HostConfig"
 * with Docker's names, which is also what `inspect` prints. The
 * supervisor turns them into the sandbox's spec (hostcfg_spec.c) and the
 * container's /etc/hosts and /etc/resolv.conf lines.
 */
#ifndef BERTH_HOSTCFG_H
#define BERTH_HOSTCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"
#include "runtime/sandbox/sandbox.h"

#define HX_MAX 16		/* tmpfs mounts, devices, ulimits: each at most */
#define HX_DEV_RULES 32		/* device rules (DEVBPF_MAX_EXTRA): a directory's nodes one each */
#define HX_LOG_SIZE (10 << 20)	/* json-file's max-size when none is given */
#define HX_LOG_FILES 3		/* and max-file */
#define HX_LOG_FILES_MAX 100	/* max-file at most */
#define HX_INIT_PATH "/sbin/docker-init" /* where --init's init is, as Docker's */

struct hx_ulimit {
	char name[16];		/* "nofile" */
	int64_t soft, hard;	/* -1: unlimited */
};

struct hx_device {
	char *host, *ctr;	/* absolute paths */
	char perms[4];		/* a non-empty part of "rwm" */
};

struct ctr_hostx {
	char **extra_hosts;	/* "HOST:IP" (IP may be host-gateway), NULL = none */
	char **dns, **dns_search, **dns_opt;
	char **tmpfs;		/* "PATH" or "PATH:OPTIONS" */
	char **sysctls;		/* "KEY=VALUE" */
	struct hx_ulimit ulimits[HX_MAX];
	int nulimits;
	struct hx_device devices[HX_MAX];
	int ndevices;
	char **cgroup_rules;	/* --device-cgroup-rule "c 1:3 rwm", NULL = none */
	bool init;		/* --init: HX_INIT_PATH runs the command as its child */
	int stop_signal;	/* 0: SIGTERM */
	int oom_score_adj;	/* --oom-score-adj; 0: the supervisor's (set by the parent) */
	int64_t log_max_size;	/* bytes; 0: HX_LOG_SIZE */
	char log_size_text[24];	/* max-size as given ("1k"), for inspect */
	int log_max_file;	/* 0: HX_LOG_FILES */
	int log_driver;		/* HX_LOG_JSON, HX_LOG_LOCAL (the same files), HX_LOG_NONE */
};

enum { HX_LOG_JSON, HX_LOG_LOCAL, HX_LOG_NONE };

/* --log-driver: json-file, local or none, or -1; and back. */
int hx_log_driver_parse(const char *name);
const char *hx_log_driver_name(int driver);

/* RLIMIT_* of a ulimit name ("nofile"), or -1. */
int hx_ulimit_index(const char *name);
/* --ulimit NAME=SOFT[:HARD] (HARD = SOFT when not given; -1 unlimited). */
BERR_MUST int hx_ulimit_parse(const char *s, struct hx_ulimit *u, struct berr *e);
/* --device HOST[:CTR][:PERMS]; d->host and d->ctr malloc'd (hx_free). */
BERR_MUST int hx_device_parse(const char *s, struct hx_device *d, struct berr *e);
/* "rwm" or part of it as BPF_DEVCG_ACC_* bits. */
unsigned hx_device_access(const char *perms);
/* --device-cgroup-rule as Docker's CLI takes one: "TYPE MAJOR:MINOR
 * ACCESS", TYPE a, b or c, MAJOR and MINOR a number or *, ACCESS 1 to 3
 * of r, w, m; into r (type 'a' any, * as DEVBPF_ANY). */
BERR_MUST int hx_cgroup_rule_parse(const char *s, struct sb_devrule *r, struct berr *e);
/* --tmpfs PATH[:OPTIONS]: an absolute path and mount(8)'s tmpfs options. */
BERR_MUST int hx_tmpfs_check(const char *s, struct berr *e);
/* --sysctl KEY=VALUE: one of a namespace the container has of its own, as
 * Docker and runc allow: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*
 * (IPC), net.* unless host_net. */
BERR_MUST int hx_sysctl_check(const char *s, bool host_net, struct berr *e);
/* --add-host HOST:IP (or HOST=IP); IP an IPv4 or IPv6 address or host-gateway. */
BERR_MUST int hx_host_check(const char *s, struct berr *e);
/* --dns IP. */
BERR_MUST int hx_dns_check(const char *s, struct berr *e);
/* --log-opt max-size=SIZE or max-file=N into x. */
BERR_MUST int hx_log_opt(struct ctr_hostx *x, const char *s, struct berr *e);

/* The HostConfig keys of x, Docker's names and shapes (Dns, DnsOptions,
 * DnsSearch, ExtraHosts, Tmpfs, Ulimits, Sysctls, Devices, Init,
 * LogConfig); StopSignal is Config's in Docker and is returned apart (a
 * new reference or NULL). */
struct json_t;
struct json_t *hx_to_json(const struct ctr_hostx *x, struct json_t **stop_signal);
/* Back from that object and StopSignal (either may be NULL: the defaults). */
BERR_MUST int hx_from_json(struct json_t *hc, struct json_t *stop_signal, struct ctr_hostx *x,
			   struct berr *e);
void hx_free(struct ctr_hostx *x);

/* The log's max-size in bytes and max-file, defaults filled in. */
int64_t hx_log_size(const struct ctr_hostx *x);
int hx_log_files(const struct ctr_hostx *x);

/* The stop signal of x: SIGTERM unless --stop-signal said otherwise. */
int hx_stop_signal(const struct ctr_hostx *x);

/* /etc/hosts: text (malloc'd, *len bytes) with "IP\tHOST" for each
 * extra host appended (host-gateway as gateway); the new text, or NULL
 * (text freed) on ENOMEM. */
char *hx_hosts_append(const struct ctr_hostx *x, const char *gateway, char *text, size_t *len);
/* /etc/resolv.conf: in (the host's, filtered) with its nameserver,
 * search and options lines replaced by --dns, --dns-search and
 * --dns-option where given; cut at size - 1. */
void hx_resolv(const struct ctr_hostx *x, const char *in, char *out, size_t size);

/* Docker's RLIMIT_NOFILE for a container (containerd's 1024:524288) when
 * no --ulimit nofile is given; the hard part at most the caller's own. */
#define HX_NOFILE_SOFT 1024
#define HX_NOFILE_HARD 524288
/* x's ulimits as setrlimit's, with the default nofile (`exec` gets them
 * too, as Docker's); the count. */
int hx_rlimits(const struct ctr_hostx *x, struct sb_rlimit out[HX_MAX]);

/* daemon.json's "default-ulimits" (Docker's {"NAME": {"Name": NAME,
 * "Soft": N, "Hard": N}}) added to x for each name x has no ulimit of
 * (hostcfg_defaults.c). merge takes the parsed value (NULL: none);
 * hx_default_ulimits reads ROOT/etc/berth/daemon.json (missing: none). A
 * bad entry is one message naming it; x may then hold part of them. */
BERR_MUST int hx_ulimits_merge(struct json_t *defaults, struct ctr_hostx *x, struct berr *e);
BERR_MUST int hx_default_ulimits(const char *root, struct ctr_hostx *x, struct berr *e);
/* ROOT/etc/berth/daemon.json (its path into path) parsed into *doc, or
 * *doc NULL when there is none; JSON that does not parse is an error
 * naming the file and line. */
BERR_MUST int hx_daemon_json(const char *root, char path[4096], struct json_t **doc,
			     struct berr *e);

/* What the sandbox needs for x, kept while sb_start runs. */
struct hx_spec {
	struct sb_rlimit rlimits[HX_MAX];
	struct sb_fsmount fsmounts[2 * HX_MAX + 1]; /* tmpfs, the init, devices */
	char data[HX_MAX][256];
	struct sb_devrule rules[HX_DEV_RULES];
	char init_path[600];
	char **argv;		/* with --init: the init, "--", the command */
};

/* Fill b from x and put it into s (rlimits, sysctls, tmpfs mounts, the
 * init's bind and argv, binds of the devices' nodes and their
 * device-program rules, then the cgroup rules'). root is
 * the supervisor's (the init binary is kept in ROOT/run/berth). A device
 * that is not there fails with its name; cgroup rules without cgroup2
 * (no device program to put them in) fail too. hx_spec_free(b)
 * afterwards. */
BERR_MUST int hx_spec_fill(const char *root, const struct ctr_hostx *x, struct hx_spec *b,
			   struct sb_spec *s, struct berr *e);
void hx_spec_free(struct hx_spec *b);

/* berth as the container's init (tini's job, argv[0] "docker-init"):
 * `docker-init -- CMD [ARG...]` runs CMD as its child, forwards the
 * signals it gets to it, reaps every zombie, and exits with CMD's exit
 * code (128 + N after signal N). */
int hx_init_main(int argc, char **argv);

#endif
