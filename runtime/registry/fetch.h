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

/* What the caller hears of each download: grew(ctx, lines[i], len) after
 * each write to the blob's file, which then holds its first len bytes (a
 * smaller len than before: it starts over, and is truncated after the
 * call); done(ctx, lines[i]) once it is whole and verified; check(ctx, e)
 * between the transfers' turns: below 0 stops the downloads with e. Any
 * may be NULL. */
struct reg_fetch_cb {
	void (*grew)(void *ctx, int line, uint64_t len);
	void (*done)(void *ctx, int line);
	int (*check)(void *ctx, struct berr *e);
	void *ctx;
};

/* Download descs[i] (for progress line lines[i]) from repository path into
 * dir/<hex> each; cb (may be NULL) hears of each. On failure the files
 * already written stay for the caller to remove with dir. */
BERR_MUST int reg_fetch_blobs(struct reg_client *c, const char *path, const struct reg_desc *descs,
			      const int *lines, int n, const char *dir, struct reg_progress *p,
			      const struct reg_fetch_cb *cb, struct berr *e);

#endif
