/* push.c - `docker push`; see push.h. */
#include "push.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"
#include "manifest.h"
#include "reference.h"
#include "regconf.h"
#include "runtime/image/image.h"

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

/* PUT the file at path to url (a monolithic upload's last step). */
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
	if (cc != CURLE_OK)
		return berr_msg(e, EIO, "registry %s: upload: %s", p->cl.host,
				*errbuf ? errbuf : curl_easy_strerror(cc));
	return 0;
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

static int push_blob(struct push *p, const char *digest, const char *src, struct berr *e)
{
	struct reg_resp r = { 0 };
	char path[1200], file[PATH_MAX], loc[1024], url[2048];
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
	snprintf(url, sizeof(url), "%s%s%cdigest=%s", loc[0] == '/' ? p->cl.base : "", loc,
		 strchr(loc, '?') ? '&' : '?', digest);
	rc = put_file(p, url, file, &status, e);
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

int reg_push(const char *root, const char *name, FILE *out, struct berr *e)
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
