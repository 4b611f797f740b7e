/* health.h - health checks as Docker has them; pure logic, no I/O.
 *
 * A check is Docker's Healthcheck: Test ["CMD", argv...], ["CMD-SHELL",
 * "command"] (run with /bin/sh -c) or ["NONE"] (disabled); Interval,
 * Timeout and StartPeriod in nanoseconds (0 = Docker's defaults 30s, 30s,
 * 0s) and Retries (0 = 3). It comes from the image (HEALTHCHECK) and the
 * run flags, merged as Docker merges them. The supervisor runs the check
 * (init/health.c) and feeds each result to hc_record(), which moves the
 * status starting -> healthy/unhealthy and keeps the last five results.
 */
#ifndef BERTH_HEALTH_H
#define BERTH_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/err.h"

#define HC_DEFAULT_INTERVAL_NS (30ll * 1000000000ll)
#define HC_DEFAULT_TIMEOUT_NS (30ll * 1000000000ll)
#define HC_DEFAULT_RETRIES 3
#define HC_LOG_MAX 5
#define HC_OUTPUT_MAX 4096

struct hc_config {
	char **test;				 /* NULL-terminated; NULL = none given */
	int64_t interval, timeout, start_period; /* ns, 0 = default */
	int retries;				 /* 0 = default */
};

enum hc_status { HC_NONE, HC_STARTING, HC_HEALTHY, HC_UNHEALTHY };

struct hc_result {
	int64_t start_ns, end_ns; /* CLOCK_REALTIME */
	int exit_code;		  /* -1: it could not run or timed out */
	char output[HC_OUTPUT_MAX];
};

struct hc_state {
	enum hc_status status;
	int failing_streak;
	struct hc_result log[HC_LOG_MAX]; /* oldest first */
	int nlog;
};

/* "starting", "healthy", "unhealthy", "none". */
const char *hc_status_name(enum hc_status s);
BERR_MUST int hc_status_parse(const char *name); /* -1 when unknown */

/* Docker's merge of the run flags (user) over the image's check: each
 * field the user left unset comes from the image. Strings are copied. */
BERR_MUST int hc_merge(struct hc_config *user, const struct hc_config *image);
/* A check is configured and not ["NONE"]. */
bool hc_enabled(const struct hc_config *h);
/* The command to run: CMD's arguments, or /bin/sh -c for CMD-SHELL.
 * argv has room for max entries (NULL-terminated); -EINVAL when the test
 * names no command. */
BERR_MUST int hc_argv(const struct hc_config *h, char **argv, int max, struct berr *e);
/* Field values after defaults. */
int64_t hc_interval(const struct hc_config *h);
int64_t hc_timeout(const struct hc_config *h);
int hc_retries(const struct hc_config *h);
/* Check the fields as Docker does ("Interval in Healthcheck cannot be
 * less than 1ms", negative retries). */
BERR_MUST int hc_validate(const struct hc_config *h, struct berr *e);
void hc_config_free(struct hc_config *h);
BERR_MUST int hc_config_copy(struct hc_config *dst, const struct hc_config *src);

/* Docker's JSON form {"Test": [...], "Interval": ns, "Timeout": ns,
 * "StartPeriod": ns, "Retries": n}; from_json ignores what is not there
 * (h zeroed first; a NULL or non-object gives the empty config). */
struct json_t;
BERR_MUST int hc_from_json(struct json_t *o, struct hc_config *h);
struct json_t *hc_to_json(const struct hc_config *h);

/* Start of a run: "starting", streak 0 (the log stays). */
void hc_begin(struct hc_state *s);
/* One result. started_ns is when the container started: a failure within
 * the start period does not count while it is still starting. Returns
 * true when the status changed. */
bool hc_record(struct hc_state *s, const struct hc_config *h, int64_t started_ns,
	       const struct hc_result *r);

#endif
