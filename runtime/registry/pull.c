/* pull.c - `docker pull`; see pull.h. */
#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "fetch.h"
#include "manifest.h"
#include "progress.h"
#include "reference.h"
#include "regconf.h"
#include "unpack.h"
#include "runtime/image/image.h"
#include "runtime/image/layer.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define CONFIG_MAX (8u << 20)

struct pull {
	const char *root;
	const struct reg_pull_opts *o;
	FILE *out;
	struct reg_ref ref;
	struct reg_conf conf;
	struct reg_client cl;
	bool cl_open;
	char dir[PATH_MAX];	 /* the layout being filled */
	char mdigest[DG_STR_LEN]; /* what the name points at (list or manifest) */
	struct reg_manifest m;
	char *mdata, *cdata;	 /* the image manifest and config */
	size_t mlen, clen;
	char mchosen[DG_STR_LEN];
};

/* GET a manifest by tag or digest; verify it when asked by digest. */
static int get_manifest(struct pull *p, const char *what, const char *want, char **data,
			size_t *len, char ctype[128], char digest[DG_STR_LEN], struct berr *e)
{
	static const char *const accept[] = { "Accept: " REG_ACCEPT, NULL };
	struct reg_resp r = { .max = REG_MANIFEST_MAX };
	char path[1024], why[512], fam[512];
	int rc;

	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", p->ref.path, what);
	rc = reg_request(&p->cl, NULL, path, accept, NULL, 0, &r, e);
	if (rc == -EFBIG)
		return berr_msg(e, EFBIG, "registry %s: manifest %s:%s is larger than %u MiB: refused",
				p->cl.host, p->ref.path, what, REG_MANIFEST_MAX >> 20);
	if (rc < 0)
		return rc;
	if (r.status != 200) {
		reg_resp_reason(&r, why, sizeof(why));
		reg_resp_free(&r);
		reg_ref_familiar(&p->ref, fam, sizeof(fam));
		if (r.status == 404)
			return berr_msg(e, ENOENT, "manifest for %s:%s not found: %s", fam, what,
					why);
		return berr_msg(e, r.status == 401 || r.status == 403 ? EACCES : EIO,
				"registry %s: %s", p->cl.host, why);
	}
	dg_buffer(r.body ? r.body : "", r.len, digest);
	if ((want && strcmp(digest, want)) || (*r.digest && strcmp(r.digest, digest))) {
		reg_resp_free(&r);
		return berr_msg(e, EILSEQ, "registry %s: manifest %s: digest mismatch (got %s)",
				p->cl.host, what, digest);
	}
	*data = r.body ? r.body : strdup("");
	*len = r.len;
	snprintf(ctype, 128, "%s", r.ctype);
	return *data ? 0 : berr_set(e, ENOMEM, "manifest");
}

/* The name's manifest; for a list, the platform's. */
static int resolve_manifest(struct pull *p, struct berr *e)
{
	char ctype[128], got[DG_STR_LEN];
	const char *what = *p->ref.digest ? p->ref.digest : p->ref.tag;
	int r;

	r = get_manifest(p, what, *p->ref.digest ? p->ref.digest : NULL, &p->mdata, &p->mlen,
			 ctype, p->mdigest, e);
	if (r == 0 && reg_manifest_parse(p->mdata, p->mlen, ctype, p->o->platform, &p->m, e) < 0)
		r = berr_wrap(e, "registry %s: %s:%s", p->cl.host, p->ref.path, what);
	if (r < 0 || p->m.kind == REG_KIND_IMAGE) {
		snprintf(p->mchosen, sizeof(p->mchosen), "%s", p->mdigest);
		return r;
	}
	snprintf(p->mchosen, sizeof(p->mchosen), "%s", p->m.pick.digest);
	free(p->mdata);
	p->mdata = NULL;
	r = get_manifest(p, p->mchosen, p->mchosen, &p->mdata, &p->mlen, ctype, got, e);
	if (r == 0 && reg_manifest_parse(p->mdata, p->mlen, ctype, NULL, &p->m, e) < 0)
		r = berr_wrap(e, "registry %s: %s@%s", p->cl.host, p->ref.path, p->mchosen);
	if (r == 0 && p->m.kind != REG_KIND_IMAGE)
		r = berr_msg(e, EINVAL, "manifest %s: a list inside a list", p->mchosen);
	return r;
}

static int get_config(struct pull *p, struct berr *e)
{
	struct reg_resp r = { .max = CONFIG_MAX };
	char path[1024], dg[DG_STR_LEN], why[512];
	int rc;

	if (p->m.config.size > (int64_t)CONFIG_MAX)
		return berr_msg(e, EFBIG, "image config %s: too large", p->m.config.digest);
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", p->ref.path, p->m.config.digest);
	rc = reg_request(&p->cl, NULL, path, NULL, NULL, 0, &r, e);
	if (rc < 0)
		return rc;
	if (r.status != 200) {
		reg_resp_reason(&r, why, sizeof(why));
		reg_resp_free(&r);
		return berr_msg(e, EIO, "registry %s: config %s: %s", p->cl.host,
				p->m.config.digest, why);
	}
	dg_buffer(r.body ? r.body : "", r.len, dg);
	if (strcmp(dg, p->m.config.digest)) {
		reg_resp_free(&r);
		return berr_msg(e, EILSEQ, "image config verification failed for digest %s",
				p->m.config.digest);
	}
	p->cdata = r.body;
	p->clen = r.len;
	return 0;
}

/* Open the registry (a mirror first for Docker Hub names) and get the
 * manifest and config from the first that has them. */
static int connect_and_resolve(struct pull *p, struct berr *e)
{
	char scope[600], mhost[256];
	int r = 0;

	snprintf(scope, sizeof(scope), "repository:%s:pull", p->ref.path);
	for (size_t i = 0; !strcmp(p->ref.domain, REG_HUB) && p->conf.mirrors &&
			   p->conf.mirrors[i];
	     i++) {
		struct berr me;
		const char *s = p->conf.mirrors[i];
		s += !strncmp(s, "https://", 8) ? 8 : !strncmp(s, "http://", 7) ? 7 : 0;
		snprintf(mhost, sizeof(mhost), "%.*s", (int)strcspn(s, "/"), s);
		if (reg_client_open(&p->cl, &p->conf, mhost, NULL, NULL, &me) == 0 &&
		    reg_client_scope(&p->cl, scope, &me) == 0 && resolve_manifest(p, &me) == 0 &&
		    get_config(p, &me) == 0) {
			p->cl_open = true;
			return 0;
		}
		reg_client_close(&p->cl);
		free(p->mdata);
		p->mdata = NULL;
	}
	r = reg_client_open(&p->cl, &p->conf, reg_ref_endpoint(&p->ref), NULL, NULL, e);
	p->cl_open = true;
	if (r == 0)
		r = reg_client_scope(&p->cl, scope, e);
	if (r == 0)
		r = resolve_manifest(p, e);
	if (r == 0)
		r = get_config(p, e);
	return r;
}

static int write_blob(const char *dir, const char *digest, const char *data, size_t len,
		      struct berr *e)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, dg_hex(digest));
	r = write_file_replace(path, data, len, 0644);
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}

/* index.json of the layout: the image manifest, with the name to tag. */
static int write_index(struct pull *p, struct berr *e)
{
	char name[512], path[PATH_MAX];
	json_t *idx, *desc;
	char *text;
	int r;

	reg_ref_store_name(&p->ref, name, sizeof(name));
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", REG_MT_OCI_MANIFEST, "digest",
			 p->mchosen, "size", (json_int_t)p->mlen);
	if (desc && *name)
		json_object_set_new(desc, "annotations",
				    json_pack("{s:s}", "org.opencontainers.image.ref.name", name));
	idx = json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests", desc);
	text = idx ? json_dumps(idx, JSON_COMPACT) : NULL;
	json_decref(idx);
	if (!text)
		return berr_set(e, ENOMEM, "index.json");
	snprintf(path, sizeof(path), "%s/index.json", p->dir);
	r = write_file_replace(path, text, strlen(text), 0644);
	free(text);
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/oci-layout", p->dir);
		r = write_file_replace(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644);
	}
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}

static void fetched(void *u, int layer)
{
	reg_unpack_queue(u, layer);
}

static void grew(void *u, int layer, uint64_t len)
{
	reg_unpack_grew(u, layer, len);
}

static int unpack_failed(void *u, struct berr *e)
{
	return reg_unpack_check(u, e);
}

/* The layers not in the store: download them (each unpacked while it
 * streams in, unpack.h; a layer that fails to unpack stops the pull); the
 * others are "Already exists" (img_load takes them from the store). */
static int fetch_layers(struct pull *p, struct reg_progress *pg, struct berr *e)
{
	struct reg_desc todo[REG_LAYERS_MAX];
	int lines[REG_LAYERS_MAX], n = 0, r;
	char blobs[PATH_MAX];
	struct reg_fetch_cb cb = { .grew = grew, .done = fetched, .check = unpack_failed };
	struct reg_unpacker *u;

	for (size_t i = 0; i < p->m.nlayers; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(p->m.layers[j].digest, p->m.layers[i].digest);
		if (img_blob_present(p->root, p->m.layers[i].digest)) {
			reg_progress_status(pg, i, "Already exists");
		} else if (!seen) {
			reg_progress_status(pg, i, "Pulling fs layer");
			todo[n] = p->m.layers[i];
			lines[n++] = i;
		}
	}
	snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", p->dir);
	cb.ctx = u = reg_unpack_start(p->dir, &p->m, p->cdata, p->clen);
	r = reg_fetch_blobs(&p->cl, p->ref.path, todo, lines, n, blobs, pg, &cb, e);
	if (reg_unpack_finish(u, r < 0, e) < 0)
		r = -e->code;
	return r;
}

static void loaded_cb(const char *ref, const char *id, void *ctx)
{
	snprintf(ctx, DG_STR_LEN, "%s", id);
	(void)ref;
}

/* Download into the layout and load it into the store. */
static int download(struct pull *p, char id[DG_STR_LEN], struct berr *e)
{
	const char *digests[REG_LAYERS_MAX];
	struct reg_progress pg;
	char base[PATH_MAX], blobs[PATH_MAX];
	int r;

	r = img_store_dir(p->root, base, sizeof(base), e);
	if (r < 0)
		return r;
	snprintf(p->dir, sizeof(p->dir), "%s/.pull-%d", base, (int)getpid());
	layer_rmtree_garbage(p->dir);
	snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", p->dir);
	r = mkdir_p(blobs, 0700);
	if (r < 0)
		return berr_set(e, -r, "create %s", blobs);
	for (size_t i = 0; i < p->m.nlayers; i++)
		digests[i] = p->m.layers[i].digest;
	reg_progress_start(&pg, p->out, p->o->quiet, p->m.nlayers, digests);
	r = fetch_layers(p, &pg, e);
	if (r == 0)
		r = write_blob(p->dir, p->mchosen, p->mdata, p->mlen, e);
	if (r == 0)
		r = write_blob(p->dir, p->m.config.digest, p->cdata, p->clen, e);
	if (r == 0)
		r = write_index(p, e);
	if (r == 0)
		r = img_load_pulled(p->root, p->dir, loaded_cb, id, e);
	if (r == 0)
		img_settle_pulled(p->root);
	for (size_t i = 0; r == 0 && i < p->m.nlayers; i++)
		reg_progress_status(&pg, i, "Pull complete");
	reg_progress_end(&pg);
	return r;
}

/* Docker's "Image is up to date": the name already points at this
 * image. */
static bool up_to_date(struct pull *p, char id[DG_STR_LEN])
{
	struct img_info info;
	struct berr e;
	char name[512];
	bool same;

	reg_ref_store_name(&p->ref, name, sizeof(name));
	if (!*name || img_resolve(p->root, name, &info, &e) < 0)
		return false;
	same = !strcmp(info.id, p->m.config.digest);
	img_info_free(&info);
	if (same)
		snprintf(id, DG_STR_LEN, "%s", p->m.config.digest);
	return same;
}

static void pull_free(struct pull *p)
{
	if (*p->dir)
		layer_rmtree_garbage(p->dir);
	if (p->cl_open)
		reg_client_close(&p->cl);
	reg_conf_free(&p->conf);
	free(p->mdata);
	free(p->cdata);
}

static void say_header(struct pull *p)
{
	if (p->o->quiet)
		return;
	if (!p->ref.tag_given && !*p->ref.digest)
		fprintf(p->out, "Using default tag: latest\n");
	fprintf(p->out, "%s: Pulling from %s\n", *p->ref.digest ? p->ref.digest : p->ref.tag,
		p->ref.path);
	fflush(p->out);
}

int reg_pull(const char *root, const char *name, const struct reg_pull_opts *o,
	     char id[DG_STR_LEN], struct berr *e)
{
	struct pull p = { .root = root, .o = o, .out = o->out ? o->out : stdout };
	char full[700], store[512];
	bool fresh;
	int r;

	r = reg_ref_parse(name, &p.ref, e);
	if (r < 0)
		return r;
	r = reg_conf_load(root, &p.conf, e);
	if (r < 0)
		return r;
	say_header(&p);
	r = connect_and_resolve(&p, e);
	fresh = r == 0 && !up_to_date(&p, id);
	reg_ref_store_name(&p.ref, store, sizeof(store));
	if (r == 0 && !fresh && *store) { /* the pull time compose's daily, weekly go by */
		struct berr me;
		berr_ignore(img_mark_pulled(root, store, &me));
	}
	if (fresh)
		r = download(&p, id, e);
	pull_free(&p);
	if (r < 0)
		return r;
	if (o->downloaded) {
		*o->downloaded = fresh;
		if (!o->quiet)
			fprintf(p.out, "Digest: %s\n", p.mdigest);
		return 0;
	}
	reg_ref_full(&p.ref, full, sizeof(full));
	if (!o->quiet) {
		fprintf(p.out, "Digest: %s\n", p.mdigest);
		fprintf(p.out, "Status: %s for %s\n",
			fresh ? "Downloaded newer image" : "Image is up to date",
			*store ? store : full);
	}
	fprintf(p.out, "%s\n", full);
	return 0;
}
