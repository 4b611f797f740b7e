/* reference.c - Docker's image reference rules; see reference.h. */
#include "reference.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define HUB_AUTH_KEY "https://index.docker.io/v1/"

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: alnum runs joined by '.', '_', '__' or '-'+. */
static bool component_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
		return false;
	while (i < n) {
		if (is_alnum_lower(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && s[i + 1] != '_')) {
			i++;
		} else if (s[i] == '_') {
			i += 2;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i >= n || !is_alnum_lower(s[i]))
			return false;
	}
	return true;
}

static bool path_valid(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (!component_valid(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

static bool tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum_lower(t[i]) && !(t[i] >= 'A' && t[i] <= 'Z') && !strchr("_.-", t[i]))
			return false;
	return true;
}

/* A host[:port] as the reference grammar has it (letters, digits, '-',
 * '.', an optional :port; or a [v6] literal). */
static bool domain_valid(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n;

	if (n == 0 || hn == 0)
		return false;
	if (s[0] == '[')
		return memchr(s, ']', n) != NULL;
	for (size_t i = 0; i < hn; i++)
		if (!is_alnum_lower(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '-' &&
		    s[i] != '.')
			return false;
	if (colon) {
		size_t pn = n - hn - 1;
		if (pn == 0 || pn > 5 || strspn(colon + 1, "0123456789") < pn)
			return false;
	}
	return true;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

static int split_name(const char *name, size_t n, struct reg_ref *r, struct berr *e)
{
	const char *slash = memchr(name, '/', n);
	size_t dn = slash ? (size_t)(slash - name) : 0;
	const char *path = name;
	size_t pn = n;

	if (slash && (memchr(name, '.', dn) || memchr(name, ':', dn) ||
		      (dn == 9 && !memcmp(name, "localhost", 9)) || has_upper(name, dn))) {
		if (!domain_valid(name, dn))
			return berr_msg(e, EINVAL, "invalid reference format");
		snprintf(r->domain, sizeof(r->domain), "%.*s", (int)dn, name);
		path = slash + 1;
		pn = n - dn - 1;
	} else {
		snprintf(r->domain, sizeof(r->domain), REG_HUB);
	}
	if (!strcmp(r->domain, "index.docker.io"))
		snprintf(r->domain, sizeof(r->domain), REG_HUB);
	if (has_upper(path, pn))
		return berr_msg(e, EINVAL,
				"invalid reference format: repository name (%.*s) must be lowercase",
				(int)pn, path);
	if (!path_valid(path, pn))
		return berr_msg(e, EINVAL, "invalid reference format");
	if (!strcmp(r->domain, REG_HUB) && !memchr(path, '/', pn))
		snprintf(r->path, sizeof(r->path), "library/%.*s", (int)pn, path);
	else
		snprintf(r->path, sizeof(r->path), "%.*s", (int)pn, path);
	return 0;
}

int reg_ref_parse(const char *s, struct reg_ref *r, struct berr *e)
{
	const char *at, *slash, *colon, *end;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (!s || !*s || strlen(s) > 512)
		return berr_msg(e, EINVAL, "invalid reference format");
	end = s + strlen(s);
	at = strchr(s, '@');
	if (at) {
		const char *d = at + 1;
		if (strncmp(d, "sha256:", 7) || strlen(d) != 71 ||
		    strspn(d + 7, "0123456789abcdef") != 64)
			return berr_msg(e, EINVAL, "invalid reference format");
		snprintf(r->digest, sizeof(r->digest), "%s", d);
		end = at;
	}
	slash = memrchr(s, '/', end - s);
	colon = memrchr(slash ? slash : s, ':', end - (slash ? slash : s));
	if (colon) {
		snprintf(r->tag, sizeof(r->tag), "%.*s", (int)(end - colon - 1), colon + 1);
		if ((size_t)(end - colon - 1) >= sizeof(r->tag) || !tag_valid(r->tag))
			return berr_msg(e, EINVAL, "invalid reference format");
		r->tag_given = true;
		end = colon;
	}
	n = end - s;
	if (n == 0 || n > 255)
		return berr_msg(e, EINVAL, "invalid reference format");
	if (split_name(s, n, r, e) < 0)
		return -EINVAL;
	if (!r->tag_given && !*r->digest)
		snprintf(r->tag, sizeof(r->tag), "latest");
	return 0;
}

void reg_ref_repo(const struct reg_ref *r, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", r->domain, r->path);
}

void reg_ref_familiar(const struct reg_ref *r, char *out, size_t size)
{
	if (strcmp(r->domain, REG_HUB))
		snprintf(out, size, "%s/%s", r->domain, r->path);
	else if (!strncmp(r->path, "library/", 8) && !strchr(r->path + 8, '/'))
		snprintf(out, size, "%s", r->path + 8);
	else
		snprintf(out, size, "%s", r->path);
}

void reg_ref_store_name(const struct reg_ref *r, char *out, size_t size)
{
	char fam[512];

	if (!*r->tag) {
		*out = '\0';
		return;
	}
	reg_ref_familiar(r, fam, sizeof(fam));
	snprintf(out, size, "%s:%s", fam, r->tag);
}

void reg_ref_full(const struct reg_ref *r, char *out, size_t size)
{
	if (*r->digest)
		snprintf(out, size, "%s/%s@%s", r->domain, r->path, r->digest);
	else
		snprintf(out, size, "%s/%s:%s", r->domain, r->path, r->tag);
}

const char *reg_ref_endpoint(const struct reg_ref *r)
{
	return strcmp(r->domain, REG_HUB) ? r->domain : REG_HUB_ENDPOINT;
}

void reg_auth_key(const char *host, char *out, size_t size)
{
	const char *p = host ? host : "";
	size_t n;

	if (!strncmp(p, "https://", 8))
		p += 8;
	else if (!strncmp(p, "http://", 7))
		p += 7;
	n = strcspn(p, "/");
	if (n == 0 || (n == 9 && !strncmp(p, REG_HUB, 9)) ||
	    (n == 15 && !strncmp(p, "index.docker.io", 15)) ||
	    (n == 20 && !strncmp(p, REG_HUB_ENDPOINT, 20)))
		snprintf(out, size, HUB_AUTH_KEY);
	else
		snprintf(out, size, "%.*s", (int)n, p);
}
