/* oci_state.h - a container's state under the runtime root: ROOT/ID/
 * holds state.json (written atomically), exec.fifo (while created) and
 * seccomp.json. The status is derived each time, as runc does: the init's
 * pid (checked against its start time, so a reused pid is not taken for
 * it), the FIFO, and the cgroup's freezer.
 */
#ifndef BERTH_OCI_STATE_H
#define BERTH_OCI_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/lib/err.h"

#define OCI_DEFAULT_ROOT "/run/berth-oci"

struct oci_ctx {
	const char *root;	/* --root */
	const char *log_path;	/* --log, NULL = stderr only */
	bool log_json;		/* --log-format json */
	bool debug;
	char **argv0;		/* the process's argv, for selfexe_seal */
};

struct oci_state {
	char id[1025];
	char dir[4096];		/* ROOT/ID */
	pid_t pid;
	unsigned long long start_time; /* /proc/PID/stat field 22 */
	char bundle[4096];
	char rootfs[4096];
	char cgroup[4096];	/* absolute cgroup2 dir, "" = none */
	char created[64];	/* RFC 3339 */
	json_t *annotations;	/* owned */
	json_t *hooks;		/* owned: config.json's hooks (poststop runs at delete) */
};

/* The ID as runc allows it: [A-Za-z0-9_+.-], not "." or "..". */
BERR_MUST int oci_check_id(const char *id, struct berr *e);

BERR_MUST int oci_state_load(const struct oci_ctx *x, const char *id, struct oci_state *s,
			     struct berr *e);
BERR_MUST int oci_state_save(const struct oci_state *s, struct berr *e);
void oci_state_free(struct oci_state *s);
/* Remove ROOT/ID and the files berth keeps there. */
void oci_state_remove(const char *dir);

/* "creating", "created", "running", "paused" or "stopped". */
const char *oci_status(const struct oci_state *s);
bool oci_alive(const struct oci_state *s);
/* The state JSON of the OCI spec (new reference). */
json_t *oci_state_json(const struct oci_state *s, const char *status);

/* /proc/PID/stat's start time, 0 when the process is gone. */
unsigned long long oci_pid_start_time(pid_t pid);

/* Write the pid to path atomically (temp + rename), as runc. */
BERR_MUST int oci_write_pid_file(const char *path, pid_t pid, struct berr *e);

/* The log: --log as JSON or text lines, and errors on stderr. */
void oci_log(const struct oci_ctx *x, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
