/* layer_rules.c - pure rules of the image store; see layer_rules.h. */
#include "layer_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lr_clean_path(const char *name, char *out, size_t size)
{
	const char *p = name;
	size_t len = 0;

	if (!name || !*name || name[0] == '/' || size == 0)
		return -EINVAL;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = end - p;

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len + (len > 0) + n + 1 > size)
				return -ENAMETOOLONG;
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = *end ? end + 1 : end;
	}
	out[len] = '\0';
	return 0;
}

bool lr_symlink_escapes(const char *link_path, const char *target)
{
	const char *p;
	long depth = 0;

	if (!target || !*target)
		return true;
	if (target[0] == '/')
		return false;
	/* Depth of the link's directory: one per '/' in the clean path. */
	for (p = link_path; *p; p++)
		depth += *p == '/';
	for (p = target; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = end - p;

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p = *end ? end + 1 : end;
	}
	return false;
}

enum lr_whiteout lr_whiteout(const char *base, const char **hidden)
{
	const char *rest;

	if (strncmp(base, ".wh.", 4) != 0)
		return LR_WH_NONE;
	if (strcmp(base, ".wh..wh..opq") == 0)
		return LR_WH_OPAQUE;
	rest = base + 4;
	if (!*rest || strcmp(rest, ".") == 0 || strcmp(rest, "..") == 0 ||
	    strncmp(rest, ".wh.", 4) == 0 || strchr(rest, '/'))
		return LR_WH_INVALID;
	if (hidden)
		*hidden = rest;
	return LR_WH_FILE;
}

static bool tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (; *t; t++) {
		char c = *t;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Name: '/'-separated non-empty components of [a-z0-9._-]; the first may be
 * a registry host with a ':port' when more components follow. */
static bool name_valid(const char *name, size_t n)
{
	const char *slash = memchr(name, '/', n);
	size_t comp = 0;

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c == '/') {
			if (comp == 0)
				return false;
			comp = 0;
			continue;
		}
		comp++;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-')
			continue;
		if (slash && name + i < slash && (c == ':' || (c >= 'A' && c <= 'Z')))
			continue;
		return false;
	}
	return comp > 0;
}

static const char *const hub_prefixes[] = {"docker.io/library/", "index.docker.io/library/",
					   "docker.io/", "index.docker.io/"};

int lr_ref_normalize(const char *ref, char *out, size_t size)
{
	const char *slash, *colon;
	size_t nlen;
	int n;

	if (!ref || !*ref || strchr(ref, '@'))
		return -EINVAL;
	/* Docker Hub names in their familiar form, as `docker images` shows. */
	for (size_t i = 0; i < sizeof(hub_prefixes) / sizeof(hub_prefixes[0]); i++) {
		size_t n = strlen(hub_prefixes[i]);
		if (strncmp(ref, hub_prefixes[i], n) == 0 && ref[n]) {
			ref += n;
			break;
		}
	}
	slash = strrchr(ref, '/');
	colon = strrchr(slash ? slash : ref, ':');
	nlen = colon ? (size_t)(colon - ref) : strlen(ref);
	if (!name_valid(ref, nlen))
		return -EINVAL;
	if (colon && !tag_valid(colon + 1))
		return -EINVAL;
	n = snprintf(out, size, "%.*s:%s", (int)nlen, ref, colon ? colon + 1 : "latest");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

bool lr_looks_like_id(const char *s)
{
	size_t n;

	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	n = strlen(s);
	if (n < 4 || n > 64)
		return false;
	return strspn(s, "0123456789abcdef") == n;
}

void lr_ref_split(const char *ref, char *name, size_t nsize, char *tag, size_t tsize)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');

	if (!colon) {
		snprintf(name, nsize, "%s", ref);
		snprintf(tag, tsize, "%s", "");
		return;
	}
	snprintf(name, nsize, "%.*s", (int)(colon - ref), ref);
	snprintf(tag, tsize, "%s", colon + 1);
}

void lr_human_size(uint64_t bytes, char *out, size_t size)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000.0;
		i++;
	}
	snprintf(out, size, "%.3g%s", v, units[i]);
}

void lr_human_since(int64_t s, char *out, size_t size)
{
	int64_t minutes = s / 60, hours = (s + 1800) / 3600;

	if (s < 1)
		snprintf(out, size, "Less than a second ago");
	else if (s == 1)
		snprintf(out, size, "1 second ago");
	else if (s < 60)
		snprintf(out, size, "%lld seconds ago", (long long)s);
	else if (minutes == 1)
		snprintf(out, size, "About a minute ago");
	else if (minutes < 60)
		snprintf(out, size, "%lld minutes ago", (long long)minutes);
	else if (hours == 1)
		snprintf(out, size, "About an hour ago");
	else if (hours < 48)
		snprintf(out, size, "%lld hours ago", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(out, size, "%lld days ago", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(out, size, "%lld weeks ago", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(out, size, "%lld months ago", (long long)(hours / 24 / 30));
	else
		snprintf(out, size, "%lld years ago", (long long)(s / 3600 / 24 / 365));
}
