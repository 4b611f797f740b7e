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

/* What the caller hears of each download: stream(ctx, lines[i]) as descs[i]
 * begins, an fd (or -1) that gets its bytes as they arrive (closed by
 * fetch.c at the end of the first attempt: only a stream that saw every
 * byte saw the whole blob); done(ctx, lines[i]) once it is whole and
 * verified. Either may be NULL. */
struct reg_fetch_cb {
	int (*stream)(void *ctx, int line);
	void (*done)(void *ctx, int line);
	void *ctx;
};

/* Download descs[i] (for progress line lines[i]) from repository path into
 * dir/<hex> each; cb (may be NULL) hears of each. On failure the files
 * already written stay for the caller to remove with dir. */
BERR_MUST int reg_fetch_blobs(struct reg_client *c, const char *path, const struct reg_desc *descs,
			      const int *lines, int n, const char *dir, struct reg_progress *p,
			      const struct reg_fetch_cb *cb, struct berr *e);

#endif
