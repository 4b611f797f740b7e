/* health.h - running a container's health check from the supervisor.
 *
 * Each check is one forked child of the supervisor (the "probe"): it joins
 * the container with sb_exec() (exec semantics: the container's
 * namespaces, cgroup, user, capabilities and seccomp), waits for the
 * command and exits with its status. So nothing of the check runs in
 * PID 1's own address space. PID 1 keeps only the probe's output pipe (the
 * first 4 KiB are kept, as Docker does), a deadline on the caller's timer
 * for the timeout (then SIGTERM to the probe, which SIGKILLs the command;
 * SIGKILL to the probe if it still lingers) and reaps the probe like any
 * child. Results go through hc_record() (runtime/health.h).
 */
#ifndef BERTH_INIT_HEALTH_H
#define BERTH_INIT_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/container/container.h"
#include "runtime/container/health.h"

struct hc_run {
	int kind;     /* EV_CTR_HEALTH: first, the supervisor's event tag */
	int fd;	      /* the running probe's output, -1 */
	pid_t pid;    /* the running probe, 0 = none */
	bool discard; /* its container stopped: no result from it */
	bool timed_out;
	uint64_t next_at;  /* monotonic: the next probe, 0 = none planned */
	uint64_t deadline; /* monotonic: the running probe's timeout */
	int64_t start_real;
	size_t outlen;
	char out[HC_OUTPUT_MAX];
	struct hc_state st; /* status, streak and the last results */
};

struct hc_run *hcr_new(int kind);
void hcr_free(int epfd, struct hc_run *h);
/* The container started: "starting", first check after one interval. */
void hcr_begin(struct hc_run *h, const struct hc_config *cfg, uint64_t now);
/* The container stopped: no more checks; a running probe is killed. */
void hcr_end(int epfd, struct hc_run *h);
/* When the caller's timer must fire next for this check (0 = never). */
uint64_t hcr_due(const struct hc_run *h);
/* Timer: start a due probe into the running container (pid, cgroup or
 * NULL), or end one past its timeout. */
void hcr_timer(int epfd, struct hc_run *h, const struct ctr_config *k, pid_t pid,
	       const char *cgroup, uint64_t now);
/* The probe's output pipe is readable. */
void hcr_readable(int epfd, struct hc_run *h);
/* pid was reaped: true if it was this check's probe. *changed: the
 * health status moved (starting/healthy/unhealthy). */
bool hcr_reaped(int epfd, struct hc_run *h, pid_t pid, int status, const struct hc_config *cfg,
		int64_t started_real, uint64_t now, bool *changed);

#endif
