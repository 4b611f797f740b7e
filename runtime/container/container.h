/* container.h - a container's configuration and state, as stored on disk.
 *
 * Each container is a directory <root>/run/berth/containers/<id>/ with
 * config.json (what was asked; written once by the CLI, which resolves the
 * image) and state.json (what happened; written by the supervisor). Both
 * are small JSON files written atomically (temp, fsync, rename), so a
 * restarted supervisor finds the truth. The supervisor parses only these.
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lib/err.h"
#include "runtime/net/ports.h"
#include "health.h"
#include "hostcfg.h"
#include "runtime/sandbox/sandbox.h"

#define CTR_ID_LEN 64
#define CTR_NAME_MAX 128

enum ctr_status { CTR_CREATED, CTR_RUNNING, CTR_RESTARTING, CTR_EXITED, CTR_REMOVING };

struct ctr_mount {
	char *source, *target;
	bool read_only;
	char *name;		/* a volume's name (source is its _data); NULL for a bind */
	bool anonymous;		/* an anonymous volume: rm -v and --rm remove it */
	bool nocopy;		/* don't copy the image's content into an empty volume */
};

/* A network the container is on beyond its first (network connect, a
 * Compose service's second network): inside it is eth1, eth2, ... */
struct ctr_xnet {
	char *name;		/* the network's name */
	char *ip;		/* --ip, NULL = any */
	char **aliases;		/* --alias, NULL = none */
};

struct ctr_config {
	char id[CTR_ID_LEN + 1];
	char name[CTR_NAME_MAX];
	char *image;		/* as the user named it */
	char *image_id;		/* sha256:... */
	char **layers;		/* lowest first, NULL-terminated */
	char **argv;		/* the command (entrypoint + cmd merged) */
	char **env;
	char *cwd, *user, *hostname;
	bool tty, interactive, auto_remove;
	bool read_only, privileged, no_new_privs;
	uint64_t caps;
	char *seccomp;		/* NULL = default */
	struct ctr_mount *mounts;
	int nmounts;
	struct sb_limits limits;
	char *cpuset;		/* storage for limits.cpuset_cpus */
	char *restart;		/* "no", "always", "on-failure[:N]", "unless-stopped" */
	char *network;		/* "bridge", "none", "host", "container:REF" or a user network's
				 * name (ctr_network_parse) */
	char *ip;		/* --ip on a user network, NULL = any */
	char **aliases;		/* --network-alias, NULL = none */
	struct ctr_xnet *xnets;	/* the other networks, in the order joined */
	int nxnets;
	char **ports;		/* published ports as port_spec() writes them, NULL = none */
	char **labels;		/* "KEY=VALUE" (--label), NULL = none */
	int stop_timeout;	/* seconds */
	int64_t created_ns;	/* CLOCK_REALTIME */
	struct hc_config health; /* "Healthcheck", merged from the image and run flags */
	struct ctr_hostx hostx;	/* "HostConfig": --add-host, --dns, --tmpfs, ... (hostcfg.h) */
	/* A user namespace (userns-remap): "CTR:HOST:SIZE" lines, NULL = none;
	 * idmap_layers: the layers are idmapped mounts (else remapped copies). */
	char **uid_map, **gid_map;
	bool idmap_layers;
};

struct ctr_state {
	enum ctr_status status;
	pid_t pid;
	int exit_code;
	bool oom_killed;
	int64_t started_ns, finished_ns; /* CLOCK_REALTIME, 0 = never */
	int restart_count;
	char error[256];	/* why the last start failed */
	/* On the bridge while running (empty otherwise). */
	char ip[16], gateway[16], mac[18];
	int ip_prefix;
	/* The published ports with the host ports picked at the start, as
	 * comma-joined port_spec()s (port_list_parse reads them). */
	char ports[PORTS_TEXT_MAX];
	bool manual_stop;	/* stopped or killed by the user: no restart */
	bool paused;		/* running, its cgroup frozen (pause); saved as "Paused" */
	/* Health while it runs (PID 1 points it at its own; saved as
	 * "Health"; NULL = no health check). */
	const struct hc_state *health;
};

const char *ctr_status_name(enum ctr_status s);
/* Docker's State.Status: ctr_status_name, or "paused" for a paused one. */
const char *ctr_state_name(const struct ctr_state *s);

/* 64 random hex digits. */
void ctr_new_id(char id[CTR_ID_LEN + 1]);
/* A Docker-like "adjective_name". */
void ctr_new_name(char *buf, size_t size);
/* Docker's lookup order over n containers: exact name, exact ID, then a
 * unique ID prefix (a leading '/' on the name is fine). Returns the index,
 * -ENOENT when nothing matches, -EEXIST when a prefix is ambiguous. */
BERR_MUST int ctr_lookup(const char *ref, const char *const *ids, const char *const *names, int n);

/* Network modes, as `--network` names them. */
enum ctr_net { CTR_NET_NONE, CTR_NET_HOST, CTR_NET_BRIDGE, CTR_NET_CONTAINER };

/* Parse "none", "host", "bridge" or "container:REF" (REF non-empty) into
 * *mode, with *ref pointing into mode for container:. NULL means the
 * default. A user network's name (network.h's rule) is CTR_NET_BRIDGE
 * with *ref the name; *ref is NULL for the default bridge. -EINVAL for
 * anything else, with the message in e. */
BERR_MUST int ctr_network_parse(const char *spec, enum ctr_net *mode, const char **ref,
				struct berr *e);

/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool ctr_name_valid(const char *name);

/* Containers' cgroups (cgroup2 only) live under this directory. */
#define CTR_CGROUP_PARENT "/sys/fs/cgroup/berth"
void ctr_cgroup_path(const char *id, char *buf, size_t size);

/* Paths under <root>/run/berth. */
void ctr_dir(const char *root, const char *id, char *buf, size_t size);
void ctr_log_path(const char *root, const char *id, char *buf, size_t size);

BERR_MUST int ctr_config_save(const char *root, const struct ctr_config *c, struct berr *e);
BERR_MUST int ctr_config_load(const char *root, const char *id, struct ctr_config *c,
			      struct berr *e);
void ctr_config_free(struct ctr_config *c);
void ctr_xnet_free(struct ctr_xnet *x);
BERR_MUST int ctr_state_save(const char *root, const char *id, const struct ctr_state *s,
			     struct berr *e);
BERR_MUST int ctr_state_load(const char *root, const char *id, struct ctr_state *s, struct berr *e);
/* Docker's State.Health object {Status, FailingStreak, Log}. */
struct json_t;
struct json_t *ctr_health_json(const struct hc_state *h);
/* The "Health" state.json holds (status HC_NONE when it has none). */
BERR_MUST int ctr_health_load(const char *root, const char *id, struct hc_state *h, struct berr *e);

/* "Up 3 minutes (healthy)", "Up 3 minutes (Paused)", "Exited (0) 2 seconds ago", "Restarting (1)
 * 3 seconds ago", "Created". */
void ctr_status_text(const struct ctr_state *s, int64_t now_real_ns, char *buf, size_t size);
/* "3 minutes ago" style. */
void ctr_since(int64_t then_ns, int64_t now_ns, char *buf, size_t size);

#endif
