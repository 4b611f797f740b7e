/* alltags.c - every tag of a repository; see alltags.h. */
#include "alltags.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "push.h"
#include "reference.h"
#include "regconf.h"
#include "runtime/image/image.h"

#define TAGS_MAX (1u << 20) /* bytes of a page of the tag list */
#define TAGS_PAGES 1000	    /* pages of it */

/* The name, which must not carry a tag or a digest. */
static int repo_ref(const char *name, struct reg_ref *ref, struct berr *e)
{
	int r = reg_ref_parse(name, ref, e);

	if (r == 0 && (ref->tag_given || *ref->digest))
		r = berr_msg(e, EINVAL, "tag can't be used with --all-tags/-a");
	return r;
}

/* The next page's path from a Link header (`<URL>; rel="next"`, URL a
 * path or under the registry's own base), or "" for none. */
static void next_page(const struct reg_client *cl, const char *link, char *path, size_t size)
{
	const char *end = strchr(link, '>');
	size_t blen = strlen(cl->base);

	*path = '\0';
	link += strspn(link, " ");
	if (*link != '<' || !end || !strstr(end, "rel=\"next\""))
		return;
	link++;
	if (!strncmp(link, cl->base, blen) && link[blen] == '/')
		link += blen;
	if (*link == '/')
		snprintf(path, size, "%.*s", (int)(end - link), link);
}

/* One page of the tag list at path: its tags appended to all, *path the
 * next page's ("" after the last). */
static int list_page(struct reg_client *cl, const struct reg_ref *ref, char *path, size_t size,
		     json_t *all, struct berr *e)
{
	struct reg_resp resp = { .max = TAGS_MAX };
	char why[512];
	json_t *doc = NULL;
	int r;

	r = reg_request(cl, NULL, path, NULL, NULL, 0, &resp, e);
	if (r == 0 && resp.status != 200) {
		reg_resp_reason(&resp, why, sizeof(why));
		r = berr_msg(e, resp.status == 404 ? ENOENT : EIO, "registry %s: tags of %s: %s",
			     cl->host, ref->path, why);
	}
	if (r == 0)
		doc = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
	if (r == 0 && json_array_extend(all, json_object_get(doc, "tags")) < 0)
		r = berr_msg(e, EINVAL, "registry %s: tags of %s: not a tag list", cl->host,
			     ref->path);
	if (r == 0)
		next_page(cl, resp.link, path, size);
	json_decref(doc);
	reg_resp_free(&resp);
	return r;
}

/* The registry's tags of ref's repository (a JSON array, new reference),
 * every page of them (Docker's client follows the Link headers too). */
static int list_tags(const char *root, const struct reg_ref *ref, json_t **tags, struct berr *e)
{
	struct reg_conf conf;
	struct reg_client cl;
	char path[1024];
	int r, pages = 0;

	r = reg_conf_load(root, &conf, e);
	if (r < 0)
		return r;
	*tags = json_array();
	r = reg_client_open(&cl, &conf, reg_ref_endpoint(ref), NULL, NULL, e);
	snprintf(path, sizeof(path), "repository:%s:pull", ref->path);
	if (r == 0)
		r = reg_client_scope(&cl, path, e);
	snprintf(path, sizeof(path), "/v2/%s/tags/list", ref->path);
	while (r == 0 && *path && pages++ < TAGS_PAGES)
		r = list_page(&cl, ref, path, sizeof(path), *tags, e);
	if (r == 0 && *path)
		r = berr_msg(e, E2BIG, "registry %s: tags of %s: more than %d pages", cl.host,
			     ref->path, TAGS_PAGES);
	reg_client_close(&cl);
	reg_conf_free(&conf);
	if (r < 0) {
		json_decref(*tags);
		*tags = NULL;
	}
	return r;
}

int reg_pull_all(const char *root, const char *name, const struct reg_pull_opts *o,
		 struct berr *e)
{
	struct reg_pull_opts one = *o;
	FILE *out = o->out ? o->out : stdout;
	char repo[600], fam[600], id[DG_STR_LEN];
	bool fresh = false, got;
	struct reg_ref ref;
	json_t *tags = NULL, *t;
	size_t i;
	int r;

	r = repo_ref(name, &ref, e);
	if (r == 0)
		r = list_tags(root, &ref, &tags, e);
	if (r < 0)
		return r;
	reg_ref_repo(&ref, repo, sizeof(repo));
	one.downloaded = &got;
	json_array_foreach(tags, i, t)
	{
		char full[900];
		if (!json_is_string(t))
			continue;
		snprintf(full, sizeof(full), "%s:%s", repo, json_string_value(t));
		r = reg_pull(root, full, &one, id, e);
		if (r < 0)
			break;
		fresh |= got;
	}
	json_decref(tags);
	if (r < 0)
		return r;
	reg_ref_familiar(&ref, fam, sizeof(fam));
	if (!o->quiet)
		fprintf(out, "Status: %s for %s\n",
			fresh ? "Downloaded newer image" : "Image is up to date", fam);
	fprintf(out, "%s\n", repo);
	return 0;
}

int reg_push_all(const char *root, const char *name, FILE *out, struct berr *e)
{
	struct img_summary *list;
	struct reg_ref ref, r;
	char repo[600];
	size_t n, done = 0;
	int rc;

	rc = repo_ref(name, &ref, e);
	if (rc == 0)
		rc = img_list(root, &list, &n, e);
	if (rc < 0)
		return rc;
	reg_ref_repo(&ref, repo, sizeof(repo));
	fprintf(out, "The push refers to repository [%s]\n", repo);
	for (size_t i = n; rc == 0 && i-- > 0;) { /* oldest first */
		if (!*list[i].ref || reg_ref_parse(list[i].ref, &r, e) < 0 ||
		    strcmp(r.domain, ref.domain) || strcmp(r.path, ref.path))
			continue;
		rc = reg_push_tag(root, list[i].ref, out, e);
		done++;
	}
	free(list);
	if (rc == 0 && !done)
		rc = berr_msg(e, ENOENT, "An image does not exist locally with the tag: %s", name);
	return rc;
}
