/* fetch.h - blob downloads: up to REG_PARALLEL at once (curl multi; Docker's
 * max-concurrent-downloads), and up to REG_PARALLEL_SMALL (containers/image's
 * 6) while the downloads in flight add up to less than REG_INFLIGHT_SMALL
 * bytes: small layers are latency-bound, not bandwidth-bound. Each
 * hashed while it streams and refused when its size or sha256 is not the
 * descriptor's; transport failures, 5xx and 429 retried with backoff,
 * resuming with Range where the server allows it; an expired token is
 * fetched again. Private to runtime/registry/.
 */
#ifndef BERTH_REG_FETCH_H
#define BERTH_REG_FETCH_H

#include "client.h"
#include "manifest.h"
#include "progress.h"

#define REG_PARALLEL 3
#define REG_PARALLEL_SMALL 6
#define REG_INFLIGHT_SMALL (64LL << 20)
#define REG_ATTEMPTS 6

/* Called with lines[i] once descs[i] is whole and verified. */
typedef void (*reg_fetched_fn)(void *ctx, int line);

/* Download descs[i] (for progress line lines[i]) from repository path into
 * dir/<hex> each; done (may be NULL) hears of each. On failure the files
 * already written stay for the caller to remove with dir. */
BERR_MUST int reg_fetch_blobs(struct reg_client *c, const char *path, const struct reg_desc *descs,
			      const int *lines, int n, const char *dir, struct reg_progress *p,
			      reg_fetched_fn done, void *ctx, struct berr *e);

#endif
