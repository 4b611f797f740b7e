/* oci_config.h - an OCI runtime bundle's config.json, parsed and checked
 * into the sandbox's one internal spec (struct sb_spec).
 *
 * Pure logic over jansson (no system calls but realpath-free path joins),
 * so it is unit tested and fuzzed. Every bad input is one error naming the
 * field ("process.args: not an array of strings"); unknown keys are
 * ignored, as the spec says. Fields the kernel or berth cannot honour
 * but that are harmless to skip (apparmor, selinux labels, blockIO, ...)
 * become warnings the caller prints; fields whose absence would weaken
 * the container (time namespace offsets) are errors.
 * The config owns every string the spec points at until oci_config_free.
 */
#ifndef BERTH_OCI_CONFIG_H
#define BERTH_OCI_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/lib/err.h"
#include "runtime/sandbox/sandbox.h"

#define OCI_WARN_MAX 8
#define OCI_MAX_MOUNTS 64 /* the sandbox's SBFS_MAX_MOUNTS */

enum oci_hook_kind {
	OCI_PRESTART,
	OCI_CREATE_RUNTIME,
	OCI_CREATE_CONTAINER,
	OCI_START_CONTAINER,
	OCI_POSTSTART,
	OCI_POSTSTOP,
	OCI_NHOOKS,
};

struct oci_hook {
	const char *path;
	char **args;	/* NULL-terminated; NULL = { path } */
	char **env;
	int timeout;	/* seconds, 0 = none */
};

/* A process: config.json's "process" or exec's --process file. */
struct oci_process {
	char **args, **env;	/* NULL-terminated */
	const char *cwd;
	char user[48];		/* "uid:gid" for the sandbox */
	gid_t *gids;
	int ngids;
	bool terminal;
	unsigned rows, cols;	/* consoleSize, 0 = unset */
	uint64_t caps;		/* the bounding set (the sets collapse to one) */
	bool no_new_privs;
	struct sb_rlimit *rlimits;
	int nrlimits;
	bool has_oom_score_adj;
	int oom_score_adj;
};

/* An idmapped bind mount: mounts[index] with the "idmap" or "ridmap"
 * option or maps of its own (oci_idmap.c). */
struct oci_idmount {
	int index;
	bool recursive;		/* ridmap: the submounts too */
	const struct sb_idmap *uid, *gid; /* its own maps, or the user namespace's */
	int nuid, ngid;
};

struct oci_config {
	json_t *json;		/* owns the strings */
	void **allocs;		/* everything else the config owns */
	int nallocs;
	struct oci_process proc;
	char rootfs[4096];	/* bundle + root.path */
	bool root_readonly;
	const char *hostname;
	struct sb_fsmount *mounts;
	int nmounts;
	struct oci_idmount *idmounts;
	int nidmounts;
	struct oci_hook *hooks[OCI_NHOOKS];
	int nhooks[OCI_NHOOKS];
	unsigned long namespaces;
	struct sb_nsjoin *joins;
	int njoins;
	struct sb_idmap *uid_map, *gid_map; /* linux.uidMappings, gidMappings */
	int nuid_map, ngid_map;
	struct sb_device *devices;
	int ndevices;
	const char *cgroups_path; /* NULL = unset */
	struct sb_limits limits;
	bool devices_allow_all;
	char **sysctls;
	json_t *seccomp;	/* linux.seccomp, NULL = none */
	const char *listener, *listener_meta; /* its listenerPath, listenerMetadata */
	const char **masked, **readonly; /* NULL-terminated, never NULL */
	unsigned long rootfs_propagation;
	char warnings[OCI_WARN_MAX][160];
	int nwarnings;
};

/* Parse text (len bytes) of the bundle at bundle (an absolute path). On
 * failure c is freed and e says which field and why. */
BERR_MUST int oci_config_parse(const char *text, size_t len, const char *bundle,
			       struct oci_config *c, struct berr *e);
void oci_config_free(struct oci_config *c);

/* A "process" object alone (exec --process); allocations go to c. */
BERR_MUST int oci_process_parse(struct oci_config *c, json_t *p, struct oci_process *proc,
				struct berr *e);

/* linux.resources (also update --resources) into limits. */
BERR_MUST int oci_resources_parse(struct oci_config *c, json_t *r, struct sb_limits *l,
				  bool *allow_all, struct berr *e);

/* mounts[i]'s idmapping (idmap: 0 none, 1 "idmap", 2 "ridmap" in its
 * options), recorded in c->idmounts; oci_idmounts_check after the linux
 * object gives the ones without maps the user namespace's. */
BERR_MUST int oci_parse_idmount(struct oci_config *c, json_t *v, int i, int idmap,
				struct berr *e);
BERR_MUST int oci_idmounts_check(struct oci_config *c, struct berr *e);
/* The runtime's part: fds[OCI_MAX_MOUNTS] (-1 but for the idmapped
 * mounts) of idmapped clones of their sources, for sb_spec.fsmount_fds. */
BERR_MUST int oci_idmounts_open(const struct oci_config *c, int *fds, struct berr *e);

/* The process's fields of a sandbox spec (exec uses them alone). */
void oci_process_spec(const struct oci_process *p, struct sb_spec *s);

/* The sandbox spec of the container: everything but id, cgroup, stdio,
 * exec_fifo and seccomp, which the runtime fills. */
void oci_config_spec(const struct oci_config *c, struct sb_spec *s);

#endif
