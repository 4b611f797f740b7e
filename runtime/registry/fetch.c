/* fetch.c - parallel, verified, resumable blob downloads; see fetch.h. */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/digest.h"
#include "runtime/lib/file.h"

struct xfer {
	const struct reg_desc *d;
	int line, fd;
	struct dg_ctx dg;
	uint64_t got;
	int attempts;
	int werr; /* errno of a failed write of the blob */
	long long not_before; /* ms, monotonic: the next try */
	bool active, done, first;
	CURL *h;
	struct curl_slist *hdrs;
	struct reg_resp resp; /* headers; the body of an error response */
	char errbuf[CURL_ERROR_SIZE];
	struct reg_progress *p;
	bool dirty;
	const struct reg_fetch_cb *cb;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void grew(struct xfer *x)
{
	if (x->cb && x->cb->grew)
		x->cb->grew(x->cb->ctx, x->line, x->got);
}

/* Body bytes: into the file and the hash; an error response's body to
 * memory; a 200 after a Range request starts the blob over. */
static size_t write_cb(char *b, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	long status = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		if (!x->resp.body)
			x->resp.body = calloc(1, 2048);
		if (x->resp.body && x->resp.len < 2047) {
			size_t k = len < 2047 - x->resp.len ? len : 2047 - x->resp.len;
			memcpy(x->resp.body + x->resp.len, b, k);
			x->resp.len += k;
		}
		return len;
	}
	if (x->first) {
		x->first = false;
		if (status == 200 && x->got > 0) {
			x->got = 0;
			grew(x); /* before the truncate: a reader is told first */
			if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
				return 0;
			dg_init(&x->dg);
		}
	}
	if (x->got + len > (uint64_t)x->d->size)
		return 0; /* more than the descriptor says: refused */
	if ((x->werr = -write_all(x->fd, b, len)) > 0)
		return 0;
	dg_update(&x->dg, b, len);
	x->got += len;
	grew(x);
	/* write-behind: the disk writes while the network still delivers, so
	 * the syncfs before the index finds little left to do */
	if ((x->got >> 22) != ((x->got - len) >> 22))
		sync_file_range(x->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	x->dirty = true;
	return len;
}

static int start(struct reg_client *c, CURLM *m, const char *path, struct xfer *x, struct berr *e)
{
	char url[1024], range[64];
	const char *extra[2] = { NULL, NULL };

	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", c->base, path, x->d->digest);
	if (x->got > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)x->got);
		extra[0] = range;
	}
	if (reg_client_prepare(c, x->h, url, extra, &x->hdrs) < 0)
		return berr_set(e, ENOMEM, "download %s", x->d->digest);
	reg_resp_free(&x->resp);
	memset(&x->resp, 0, sizeof(x->resp));
	x->errbuf[0] = '\0';
	x->first = true;
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, reg_resp_header_cb);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, &x->resp);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	/* bigger reads than curl's 16 KiB: fewer recv and write calls */
	curl_easy_setopt(x->h, CURLOPT_BUFFERSIZE, 256L << 10);
	if (curl_multi_add_handle(m, x->h) != CURLM_OK)
		return berr_msg(e, EIO, "download %s: curl_multi_add_handle failed", x->d->digest);
	x->active = true;
	x->attempts++;
	return 0;
}

static bool retryable(CURLcode cc, long status)
{
	if (cc == CURLE_OK)
		return status >= 500 || status == 429 || status == 401;
	return cc != CURLE_WRITE_ERROR && cc != CURLE_SSL_CACERT && cc != CURLE_PEER_FAILED_VERIFICATION &&
	       cc != CURLE_COULDNT_RESOLVE_HOST && cc != CURLE_URL_MALFORMAT &&
	       cc != CURLE_OUT_OF_MEMORY;
}

/* A transfer ended: done, to be tried again, or a failure of the pull. */
static int finished(struct reg_client *c, struct xfer *x, CURLcode cc, struct berr *e)
{
	long status = 0;
	char dg[DG_STR_LEN], why[512];

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	x->active = false;
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	if (cc == CURLE_OK && (status == 200 || status == 206)) {
		if (x->got != (uint64_t)x->d->size)
			goto retry_or_fail;
		dg_final(&x->dg, dg);
		if (strcmp(dg, x->d->digest))
			return berr_msg(e, EILSEQ,
					"filesystem layer verification failed for digest %s",
					x->d->digest);
		x->done = true;
		return 0;
	}
	if (cc == CURLE_WRITE_ERROR && x->werr)
		return berr_set(e, x->werr, "write blob %s", x->d->digest);
	if (cc == CURLE_WRITE_ERROR && x->got + 1 > (uint64_t)x->d->size)
		return berr_msg(e, EILSEQ, "filesystem layer verification failed for digest %s",
				x->d->digest);
retry_or_fail:
	if (status == 401 && c->chal.scheme == REG_AUTH_BEARER && *c->scope &&
	    reg_client_reauth(c, e) < 0)
		return -e->code;
	if (retryable(cc, status) && x->attempts < REG_ATTEMPTS) {
		x->not_before = now_ms() + (250LL << x->attempts);
		return 0;
	}
	if (cc != CURLE_OK)
		return berr_msg(e, EIO, "registry %s: blob %s: %s", c->host, x->d->digest,
				*x->errbuf ? x->errbuf : curl_easy_strerror(cc));
	x->resp.status = status;
	reg_resp_reason(&x->resp, why, sizeof(why));
	return berr_msg(e, status == 404 ? ENOENT : EIO, "registry %s: blob %s: %s", c->host,
			x->d->digest, why);
}

static void cleanup(CURLM *m, struct xfer *xs, int n)
{
	for (int i = 0; i < n; i++) {
		if (xs[i].h) {
			if (xs[i].active)
				curl_multi_remove_handle(m, xs[i].h);
			curl_easy_cleanup(xs[i].h);
		}
		curl_slist_free_all(xs[i].hdrs);
		reg_resp_free(&xs[i].resp);
		if (xs[i].fd >= 0)
			close(xs[i].fd);
	}
	free(xs);
	curl_multi_cleanup(m);
}

/* Whether one more download may start beside the active ones (fetch.h). */
static bool may_start(int active, long long inflight, int64_t size)
{
	return active < REG_PARALLEL ||
	       (active < REG_PARALLEL_SMALL && inflight + size < REG_INFLIGHT_SMALL);
}

/* Start what may start now. */
static int start_ready(struct reg_client *c, CURLM *m, const char *path, struct xfer *xs, int n,
		       int *left, struct berr *e)
{
	int active = 0;
	long long t = now_ms(), inflight = 0;

	*left = 0;
	for (int i = 0; i < n; i++)
		if (xs[i].active) {
			active++;
			inflight += xs[i].d->size;
		}
	for (int i = 0; i < n; i++) {
		if (xs[i].done)
			continue;
		(*left)++;
		if (xs[i].active || !may_start(active, inflight, xs[i].d->size) ||
		    xs[i].not_before > t)
			continue;
		if (xs[i].attempts == 0)
			reg_progress_bytes(xs[i].p, xs[i].line, 0, xs[i].d->size);
		if (start(c, m, path, &xs[i], e) < 0)
			return -e->code;
		active++;
		inflight += xs[i].d->size;
	}
	return 0;
}

static int open_all(const struct reg_desc *descs, const int *lines, int n, const char *dir,
		    struct reg_progress *p, const struct reg_fetch_cb *cb, struct xfer *xs,
		    struct berr *e)
{
	for (int i = 0; i < n; i++)
		xs[i].fd = -1;
	for (int i = 0; i < n; i++) {
		char file[4096];
		xs[i].cb = cb;
		xs[i].d = &descs[i];
		xs[i].line = lines[i];
		xs[i].p = p;
		dg_init(&xs[i].dg);
		snprintf(file, sizeof(file), "%s/%s", dir, dg_hex(descs[i].digest));
		xs[i].fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		xs[i].h = curl_easy_init();
		if (xs[i].fd < 0 || !xs[i].h)
			return berr_set(e, xs[i].fd < 0 ? errno : ENOMEM, "create %s", file);
	}
	return 0;
}

/* Take the transfers that ended; *ended tells whether one did. */
static int reap(struct reg_client *c, CURLM *m, struct reg_progress *p,
		const struct reg_fetch_cb *cb, bool *ended, struct berr *e)
{
	CURLMsg *msg;
	int q, r = 0;

	while (r == 0 && (msg = curl_multi_info_read(m, &q))) {
		struct xfer *x;
		if (msg->msg != CURLMSG_DONE)
			continue;
		*ended = true;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(m, x->h);
		r = finished(c, x, msg->data.result, e);
		if (r == 0 && x->done) {
			reg_progress_status(p, x->line, "Verifying Checksum");
			reg_progress_status(p, x->line, "Download complete");
			if (cb && cb->done)
				cb->done(cb->ctx, x->line);
		}
	}
	return r;
}

static void draw(struct xfer *xs, int n, struct reg_progress *p, long long *last)
{
	if (!p->tty || now_ms() - *last < 100)
		return;
	*last = now_ms();
	for (int i = 0; i < n; i++)
		if (xs[i].dirty && xs[i].active) {
			xs[i].dirty = false;
			reg_progress_bytes(p, xs[i].line, xs[i].got, xs[i].d->size);
		}
}

int reg_fetch_blobs(struct reg_client *c, const char *path, const struct reg_desc *descs,
		    const int *lines, int n, const char *dir, struct reg_progress *p,
		    const struct reg_fetch_cb *cb, struct berr *e)
{
	CURLM *m = curl_multi_init();
	struct xfer *xs = calloc(n ? n : 1, sizeof(*xs));
	long long last_draw = 0;
	int r, left = n, running;

	if (!m || !xs) {
		free(xs);
		if (m)
			curl_multi_cleanup(m);
		return berr_set(e, ENOMEM, "download");
	}
	r = open_all(descs, lines, n, dir, p, cb, xs, e);
	while (r == 0 && (r = start_ready(c, m, path, xs, n, &left, e)) == 0 && left > 0) {
		bool ended = false;

		if (curl_multi_perform(m, &running) != CURLM_OK)
			r = berr_msg(e, EIO, "download: curl multi failed");
		if (r == 0)
			r = reap(c, m, p, cb, &ended, e);
		if (r == 0 && cb && cb->check)
			r = cb->check(cb->ctx, e);
		/* a transfer that ended is taken before any wait: the poll
		 * would sit out its 100 ms on the idle sockets left */
		if (r == 0 && !ended && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
			r = berr_msg(e, EIO, "download: curl multi failed");
		draw(xs, n, p, &last_draw);
	}
	cleanup(m, xs, n);
	return r;
}
