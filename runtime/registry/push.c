/* push.c - `docker push`; see push.h. */
#include "push.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "fetch.h"
#include "manifest.h"
#include "reference.h"
#include "regconf.h"
#include "runtime/image/image.h"
#include "runtime/lib/util.h"

/* Blobs larger than this go up in PATCHes of this size (the distribution
 * spec's chunked upload), each retried on its own. */
#define PUSH_CHUNK (4u << 20)

struct push {
	const char *root;
	FILE *out;
	struct reg_ref ref;
	struct reg_conf conf;
	struct reg_client cl;
	char scope[1200];
};

static size_t discard(char *b, size_t size, size_t n, void *arg)
{
	(void)b;
	(void)arg;
	return size * n;
}

/* PUT the file at path to url (a monolithic upload's last step): 0 with
 * *status, 1 when it was cut off (e says how), or -errno. */
static int put_file(struct push *p, const char *url, const char *path, long *status,
		    struct berr *e)
{
	static const char *const extra[] = { "Content-Type: application/octet-stream", NULL };
	struct reg_resp r = { 0 };
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct stat sb;
	CURLcode cc;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &sb) < 0) {
		if (f)
			fclose(f);
		return berr_set(e, errno, "open %s", path);
	}
	if (reg_client_prepare(&p->cl, p->cl.easy, url, extra, &hdrs) < 0) {
		fclose(f);
		return berr_set(e, ENOMEM, "push");
	}
	curl_easy_setopt(p->cl.easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(p->cl.easy, CURLOPT_READDATA, f);
	curl_easy_setopt(p->cl.easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
	curl_easy_setopt(p->cl.easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(p->cl.easy, CURLOPT_HEADERFUNCTION, reg_resp_header_cb);
	curl_easy_setopt(p->cl.easy, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(p->cl.easy, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(p->cl.easy);
	curl_easy_getinfo(p->cl.easy, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	fclose(f);
	if (cc != CURLE_OK) {
		berr_msg(e, EIO, "registry %s: upload: %s", p->cl.host,
			 *errbuf ? errbuf : curl_easy_strerror(cc));
		return 1;
	}
	return 0;
}

/* Where the upload at loc stands after a failed chunk: the registry's
 * "Range: 0-N" (none: nothing yet). */
static int upload_offset(struct push *p, const char *loc, uint64_t *off, struct berr *e)
{
	struct reg_resp r = { 0 };
	unsigned long long a, b;
	int rc = reg_request(&p->cl, NULL, loc, NULL, NULL, 0, &r, e);

	if (rc == 0 && r.status != 204)
		rc = berr_msg(e, EIO, "registry %s: upload status: HTTP %ld", p->cl.host, r.status);
	/* "0-0" is also distribution's answer for an empty upload; a chunk
	 * is never 1 byte */
	if (rc == 0)
		*off = sscanf(r.range + (strncmp(r.range, "bytes=", 6) ? 0 : 6), "%llu-%llu", &a,
			      &b) == 2 && b > 0 ? b + 1 : 0;
	reg_resp_free(&r);
	return rc;
}

/* PATCH one chunk at *off (from fd) to loc: 0 when it was taken (and
 * *off and loc moved on), 1 when it may be tried again (a 5xx, 429, a
 * transport failure: e says which), or -errno. */
static int patch_one(struct push *p, int fd, char *buf, uint64_t size, uint64_t *off, char *loc,
		     size_t locsize, struct berr *e)
{
	size_t len = size - *off < PUSH_CHUNK ? size - *off : PUSH_CHUNK;
	const char *extra[] = { "Content-Type: application/octet-stream", NULL, "Expect:", NULL };
	struct reg_resp r = { 0 };
	char range[80], why[512];
	int rc;

	if (pread(fd, buf, len, *off) != (ssize_t)len)
		return berr_set(e, errno ? errno : EIO, "read blob");
	snprintf(range, sizeof(range), "Content-Range: %" PRIu64 "-%" PRIu64, *off, *off + len - 1);
	extra[1] = range;
	rc = reg_request(&p->cl, "PATCH", loc, extra, buf, len, &r, e) < 0 ? 1 : 0;
	if (rc == 0 && r.status == 202) {
		*off += len;
		if (*r.location)
			snprintf(loc, locsize, "%s", r.location);
	} else if (rc == 0) {
		reg_resp_reason(&r, why, sizeof(why));
		rc = berr_msg(e, EIO, "registry %s: blob upload: %s", p->cl.host, why);
		if (r.status >= 500 || r.status == 429)
			rc = 1;
	}
	reg_resp_free(&r);
	return rc;
}

/* The blob at file in chunks to the upload at loc; a chunk that fails
 * (a 5xx, 429 or a transport failure) is sent again with backoff from where
 * the registry says the upload stands. */
static int patch_chunks(struct push *p, const char *file, uint64_t size, char *loc,
			size_t locsize, struct berr *e)
{
	_cleanup_free_ char *buf = malloc(PUSH_CHUNK);
	_cleanup_fd_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	int attempts = 0, rc = 0;
	uint64_t off = 0;

	if (fd < 0 || !buf)
		return berr_set(e, fd < 0 ? errno : ENOMEM, "open %s", file);
	while (rc == 0 && off < size) {
		rc = patch_one(p, fd, buf, size, &off, loc, locsize, e);
		if (rc == 0)
			attempts = 0;
		if (rc != 1)
			continue;
		if (++attempts >= REG_ATTEMPTS)
			return -e->code;
		reg_sleep_ms(250L << attempts);
		rc = upload_offset(p, loc, &off, e);
	}
	return rc;
}

/* The PUT ?digest= that closes a chunked upload. */
static int put_empty(struct push *p, const char *url, long *status, struct berr *e)
{
	struct reg_resp r = { 0 };
	int rc = reg_request(&p->cl, "PUT", url, NULL, "", 0, &r, e);

	*status = r.status;
	reg_resp_free(&r);
	return rc;
}

/* A repository of the same registry that a local tag names, to mount
 * blobs from (Docker remembers where blobs came from; the store's tags
 * are what Berth knows). "" when none. */
static void mount_source(struct push *p, char *out, size_t size)
{
	struct img_summary *list;
	struct berr e;
	size_t n;

	*out = '\0';
	if (img_list(p->root, &list, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n && !*out; i++) {
		struct reg_ref r;
		if (!*list[i].ref || reg_ref_parse(list[i].ref, &r, &e) < 0)
			continue;
		if (!strcmp(r.domain, p->ref.domain) && strcmp(r.path, p->ref.path))
			snprintf(out, size, "%s", r.path);
	}
	free(list);
}

/* Start an upload (or mount from src): 201 mounted, 202 with *location. */
static int start_upload(struct push *p, const char *digest, const char *src, long *status,
			char *location, size_t size, struct berr *e)
{
	struct reg_resp r = { 0 };
	char path[1200];
	int rc;

	if (*src)
		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/?mount=%s&from=%s", p->ref.path,
			 digest, src);
	else
		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", p->ref.path);
	rc = reg_request(&p->cl, "POST", path, NULL, "", 0, &r, e);
	*status = r.status;
	snprintf(location, size, "%s", r.location);
	reg_resp_free(&r);
	return rc;
}

/* The URL that closes the upload at loc: loc?digest=D. */
static void upload_url(struct push *p, const char *loc, const char *digest, char *url, size_t size)
{
	snprintf(url, size, "%s%s%cdigest=%s", loc[0] == '/' ? p->cl.base : "", loc,
		 strchr(loc, '?') ? '&' : '?', digest);
}

/* A blob up to PUSH_CHUNK in one PUT ?digest= to the upload at loc; a PUT
 * answered 5xx or 429, or cut off, is tried again with backoff on a new
 * upload (the registry may have dropped the old one), as a chunk is. */
static int put_whole(struct push *p, const char *digest, const char *file, char *loc,
		     size_t locsize, long *status, struct berr *e)
{
	for (int attempts = 1;; attempts++) {
		char url[2048];
		int rc;

		upload_url(p, loc, digest, url, sizeof(url));
		rc = put_file(p, url, file, status, e);
		if (rc == 0 && *status < 500 && *status != 429)
			return 0;
		if (rc < 0)
			return rc;
		if (attempts >= REG_ATTEMPTS) /* the last answer, or how it was cut off */
			return rc == 1 ? -e->code : 0;
		reg_sleep_ms(250L << attempts);
		rc = start_upload(p, digest, "", status, loc, locsize, e);
		if (rc == 0 && (*status != 202 || !*loc))
			rc = berr_msg(e, EIO, "registry %s: starting an upload: HTTP %ld",
				      p->cl.host, *status);
		if (rc < 0)
			return rc;
	}
}

static int push_blob(struct push *p, const char *digest, const char *src, struct berr *e)
{
	struct reg_resp r = { 0 };
	char path[1200], file[PATH_MAX], loc[1024], url[2048];
	struct stat sb;
	long status = 0;
	int rc;

	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", p->ref.path, digest);
	rc = reg_request(&p->cl, "HEAD", path, NULL, NULL, 0, &r, e);
	reg_resp_free(&r);
	if (rc < 0)
		return rc;
	if (r.status == 200) {
		fprintf(p->out, "%.12s: Layer already exists\n", digest + 7);
		return 0;
	}
	rc = start_upload(p, digest, src, &status, loc, sizeof(loc), e);
	if (rc == 0 && status == 201) {
		fprintf(p->out, "%.12s: Mounted from %s\n", digest + 7, src);
		return 0;
	}
	if (rc == 0 && (status != 202 || !*loc))
		rc = berr_msg(e, EIO, "registry %s: starting an upload: HTTP %ld", p->cl.host,
			      status);
	if (rc == 0)
		rc = img_blob_path(p->root, digest, file, sizeof(file), e);
	if (rc < 0)
		return rc;
	if (stat(file, &sb) < 0)
		return berr_set(e, errno, "stat %s", file);
	if (sb.st_size <= PUSH_CHUNK) {
		rc = put_whole(p, digest, file, loc, sizeof(loc), &status, e);
	} else {
		rc = patch_chunks(p, file, sb.st_size, loc, sizeof(loc), e);
		upload_url(p, loc, digest, url, sizeof(url));
		if (rc == 0)
			rc = put_empty(p, url, &status, e);
	}
	if (rc == 0 && status != 201)
		rc = berr_msg(e, EIO, "registry %s: blob %s: upload answered HTTP %ld", p->cl.host,
			      digest, status);
	if (rc == 0)
		fprintf(p->out, "%.12s: Pushed\n", digest + 7);
	return rc;
}

static int put_manifest(struct push *p, const char *data, size_t len, struct berr *e)
{
	json_t *doc = json_loadb(data, len, 0, NULL);
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));
	struct reg_resp r = { 0 };
	char ctype[200], path[1200], why[512];
	const char *extra[] = { ctype, NULL };
	int rc;

	snprintf(ctype, sizeof(ctype), "Content-Type: %s", mt ? mt : REG_MT_OCI_MANIFEST);
	json_decref(doc);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", p->ref.path, p->ref.tag);
	rc = reg_request(&p->cl, "PUT", path, extra, data, len, &r, e);
	if (rc == 0 && r.status != 201) {
		reg_resp_reason(&r, why, sizeof(why));
		rc = berr_msg(e, EIO, "registry %s: manifest: %s", p->cl.host, why);
	}
	reg_resp_free(&r);
	return rc;
}

static int push_image(struct push *p, const char *mdata, size_t mlen, struct berr *e)
{
	struct reg_manifest m;
	char src[256];
	int rc;

	rc = reg_manifest_parse(mdata, mlen, NULL, NULL, &m, e);
	if (rc == 0 && m.kind != REG_KIND_IMAGE)
		rc = berr_msg(e, ENOTSUP, "pushing an image index is not supported");
	if (rc < 0)
		return rc;
	mount_source(p, src, sizeof(src));
	if (*src)
		snprintf(p->scope, sizeof(p->scope), "repository:%s:pull,push repository:%s:pull",
			 p->ref.path, src);
	else
		snprintf(p->scope, sizeof(p->scope), "repository:%s:pull,push", p->ref.path);
	rc = reg_client_scope(&p->cl, p->scope, e);
	for (size_t i = m.nlayers; rc == 0 && i-- > 0;)
		rc = push_blob(p, m.layers[i].digest, src, e);
	if (rc == 0)
		rc = push_blob(p, m.config.digest, "", e);
	if (rc == 0)
		rc = put_manifest(p, mdata, mlen, e);
	return rc;
}

/* One tag; header: first the "The push refers to repository" line (once
 * the image is found). */
static int push_tag(const char *root, const char *name, FILE *out, bool header, struct berr *e)
{
	struct push p = { .root = root, .out = out };
	char store[600], repo[600], digest[DG_STR_LEN];
	char *mdata = NULL;
	size_t mlen;
	int rc;

	rc = reg_ref_parse(name, &p.ref, e);
	if (rc == 0 && *p.ref.digest)
		rc = berr_msg(e, EINVAL, "cannot push a digest reference");
	if (rc < 0)
		return rc;
	reg_ref_store_name(&p.ref, store, sizeof(store));
	if (img_manifest(root, store, &mdata, &mlen, digest, e) < 0)
		return berr_msg(e, ENOENT, "An image does not exist locally with the tag: %s", name);
	rc = reg_conf_load(root, &p.conf, e);
	if (rc == 0) {
		reg_ref_repo(&p.ref, repo, sizeof(repo));
		if (header)
			fprintf(out, "The push refers to repository [%s]\n", repo);
		rc = reg_client_open(&p.cl, &p.conf, reg_ref_endpoint(&p.ref), NULL, NULL, e);
		if (rc == 0)
			rc = push_image(&p, mdata, mlen, e);
		reg_client_close(&p.cl);
		reg_conf_free(&p.conf);
	}
	if (rc == 0)
		fprintf(out, "%s: digest: %s size: %zu\n", p.ref.tag, digest, mlen);
	free(mdata);
	return rc;
}

int reg_push(const char *root, const char *name, FILE *out, struct berr *e)
{
	return push_tag(root, name, out, true, e);
}

int reg_push_tag(const char *root, const char *name, FILE *out, struct berr *e)
{
	return push_tag(root, name, out, false, e);
}
