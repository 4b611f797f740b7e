/* remap.c - daemon.json's userns-remap and /etc/subuid, /etc/subgid; see
 * remap.h. */
#include "remap.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostcfg.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define SUBID_MAX (256 * 1024)
#define REMAP_SIZE 65536
#define REMAP_FIRST 100000

int remap_setting(const char *root, char *setting, size_t size, struct berr *e)
{
	char path[4096];
	json_t *doc, *v;
	int r = hx_daemon_json(root, path, &doc, e);

	setting[0] = '\0';
	if (r < 0 || !doc)
		return r;
	v = json_object_get(doc, "userns-remap");
	if (v && !json_is_string(v)) {
		json_decref(doc);
		return berr_msg(e, EINVAL, "%s: \"userns-remap\" is not a string", path);
	}
	snprintf(setting, size, "%s", v ? json_string_value(v) : "");
	json_decref(doc);
	return 0;
}

/* One "NAME:START:COUNT" line: its range, or false when it is another's
 * or not a range line. */
static bool subid_line(const char *line, const char *name, uint32_t *start, uint32_t *count)
{
	size_t n = strlen(name);
	struct sb_idmap m;
	char text[UNS_MAP_TEXT + 2];
	struct berr e;
	const char *rest;

	if (name[0] && (strncmp(line, name, n) != 0 || line[n] != ':'))
		return false;
	rest = name[0] ? line + n + 1 : strchr(line, ':');
	if (!rest)
		return false;
	rest += !name[0];
	snprintf(text, sizeof(text), "0:%.*s", (int)strcspn(rest, "\n"), rest);
	if (uns_map_parse(text, &m, &e) < 0)
		return false;
	*start = m.outside;
	*count = m.count;
	return true;
}

int remap_parse_subid(const char *text, const char *name, struct sb_idmap *m, int *n,
		      struct berr *e)
{
	uint32_t start, count, inside = 0;

	*n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!subid_line(l, name, &start, &count))
			continue;
		if (*n == UNS_MAP_MAX)
			return berr_msg(e, E2BIG, "%s has more than %d ranges", name, UNS_MAP_MAX);
		if ((uint64_t)inside + count > UINT32_MAX)
			return berr_msg(e, EINVAL, "the ranges of %s are too large", name);
		m[(*n)++] = (struct sb_idmap){inside, start, count};
		inside += count;
	}
	return *n ? uns_map_check(m, *n, name, e) : 0;
}

uint32_t remap_next_start(const char *text)
{
	uint64_t next = REMAP_FIRST;
	uint32_t start, count;

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (subid_line(l, "", &start, &count) && (uint64_t)start + count > next)
			next = (uint64_t)start + count;
	}
	return next + REMAP_SIZE > UINT32_MAX ? 0 : (uint32_t)next;
}

/* Append "dockremap:START:65536" to file (temp + rename); text is its
 * content so far. */
static int add_default(char *path, const char *text, struct berr *e)
{
	uint32_t start = remap_next_start(text);
	size_t len = strlen(text);
	_cleanup_free_ char *out = malloc(len + 64);
	int r;

	if (!out)
		return berr_set(e, ENOMEM, "%s", path);
	if (!start)
		return berr_msg(e, ERANGE, "%s: no free range of %d ids", path, REMAP_SIZE);
	len = snprintf(out, len + 64, "%s%sdockremap:%u:%d\n", text,
		       len && text[len - 1] != '\n' ? "\n" : "", start, REMAP_SIZE);
	*strrchr(path, '/') = '\0'; /* a --root of the host daemon may have no etc/ */
	r = mkdir_p(path, 0755);
	path[strlen(path)] = '/';
	if (r == 0)
		r = write_file_atomic(path, out, len, 0644);
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}

static int load_ranges(const char *root, const char *file, const char *name, bool create,
		       struct sb_idmap *m, int *n, struct berr *e)
{
	char path[4096];
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/etc/%s", root, file);
	r = read_file_all(path, SUBID_MAX, &text, &len);
	if (r == -ENOENT && create)
		text = strdup(""), r = text ? 0 : -ENOMEM;
	if (r < 0)
		return berr_set(e, -r, "userns-remap: read %s", path);
	r = remap_parse_subid(text, name, m, n, e);
	if (r == 0 && *n == 0 && create) {
		r = add_default(path, text, e);
		if (r == 0)
			return load_ranges(root, file, name, false, m, n, e);
	}
	if (r == 0 && *n == 0)
		r = berr_msg(e, ENOENT, "userns-remap: %s has no range for \"%s\"", path, name);
	return r < 0 ? berr_wrap(e, "userns-remap") : 0;
}

int remap_resolve(const char *root, const char *setting, struct remap *m, struct berr *e)
{
	bool dflt = strcmp(setting, "default") == 0;
	const char *colon = strchr(setting, ':');
	int r;

	memset(m, 0, sizeof(*m));
	if (dflt)
		setting = "dockremap";
	snprintf(m->user, sizeof(m->user), "%.*s", colon ? (int)(colon - setting) : 63, setting);
	snprintf(m->group, sizeof(m->group), "%s", colon ? colon + 1 : m->user);
	if (!m->user[0] || !m->group[0] || strchr(m->group, ':'))
		return berr_msg(e, EINVAL, "userns-remap \"%s\": want default, USER or USER:GROUP",
				setting);
	r = load_ranges(root, "subuid", m->user, dflt, m->uid, &m->nuid, e);
	if (r == 0)
		r = load_ranges(root, "subgid", m->group, dflt, m->gid, &m->ngid, e);
	return r;
}
