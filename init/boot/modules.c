#include "modules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

/* modules.dep of a distribution kernel is some 100 KiB. */
#define MOD_FILE_MAX (16u << 20)

static void normalise(char *dst, size_t size, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n = 0;

	base = base ? base + 1 : path;
	while (*base && n + 1 < size) {
		if (strncmp(base, ".ko", 3) == 0 && (base[3] == '\0' || base[3] == '.'))
			break;
		dst[n++] = *base == '-' ? '_' : *base;
		base++;
	}
	dst[n] = '\0';
}

int mod_db_find(const struct mod_db *db, const char *name)
{
	char want[256];
	int lo = 0, hi = db->count - 1;

	normalise(want, sizeof(want), name);
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(db->entries[db->by_name[mid]].name, want);

		if (c == 0)
			return db->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static const struct mod_db *sort_db;

static int by_name_cmp(const void *a, const void *b)
{
	return strcmp(sort_db->entries[*(const int *)a].name,
		      sort_db->entries[*(const int *)b].name);
}

static int index_names(struct mod_db *db)
{
	db->by_name = calloc(db->count ? db->count : 1, sizeof(int));
	if (!db->by_name)
		return -ENOMEM;
	for (int i = 0; i < db->count; i++)
		db->by_name[i] = i;
	sort_db = db;
	qsort(db->by_name, db->count, sizeof(int), by_name_cmp);
	sort_db = NULL;
	return 0;
}

bool mod_db_is_builtin(const struct mod_db *db, const char *name)
{
	char want[256];

	normalise(want, sizeof(want), name);
	for (int i = 0; i < db->nbuiltin; i++) {
		if (strcmp(db->builtin[i], want) == 0)
			return true;
	}
	return false;
}

static char *next_line(const char **text)
{
	const char *s = *text, *nl;
	char *line;

	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	if (!nl)
		nl = s + strlen(s);
	line = strndup(s, nl - s);
	*text = *nl ? nl + 1 : nl;
	return line;
}

static int parse_builtin(struct mod_db *db, const char *text)
{
	char *line;

	while ((line = next_line(&text))) {
		char name[256];
		char **grown;

		normalise(name, sizeof(name), strstrip(line));
		free(line);
		if (!*name)
			continue;
		grown = realloc(db->builtin, (db->nbuiltin + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		db->builtin = grown;
		if (!(db->builtin[db->nbuiltin] = strdup(name)))
			return -ENOMEM;
		db->nbuiltin++;
	}
	return 0;
}

/* First pass: one entry per line. Second pass: dependency names -> indices. */
int mod_db_parse(struct mod_db *db, const char *dep_text, const char *builtin_text,
		 struct berr *e)
{
	const char *t = dep_text;
	char **deplines = NULL;
	char *line;
	int lineno = 0, r = 0;

	memset(db, 0, sizeof(*db));
	while ((line = next_line(&t))) {
		char *colon, name[256];
		struct mod_entry *grown;
		char **dl;

		lineno++;
		colon = strchr(line, ':');
		if (!colon) {
			if (*strstrip(line) == '\0') {
				free(line);
				continue;
			}
			free(line);
			r = berr_msg(e, EINVAL, "modules.dep line %d: no ':'", lineno);
			goto fail;
		}
		*colon = '\0';
		grown = realloc(db->entries, (db->count + 1) * sizeof(*grown));
		dl = realloc(deplines, (db->count + 1) * sizeof(*dl));
		if (grown)
			db->entries = grown;
		if (dl)
			deplines = dl;
		if (!grown || !dl) {
			free(line);
			r = berr_set(e, ENOMEM, "modules.dep");
			goto fail;
		}
		normalise(name, sizeof(name), strstrip(line));
		db->entries[db->count] = (struct mod_entry){
			.name = strdup(name), .path = strdup(strstrip(line)) };
		deplines[db->count] = strdup(colon + 1);
		free(line);
		if (!db->entries[db->count].name || !db->entries[db->count].path ||
		    !deplines[db->count]) {
			db->count++;
			r = berr_set(e, ENOMEM, "modules.dep");
			goto fail;
		}
		db->count++;
	}
	if (index_names(db) < 0) {
		r = berr_set(e, ENOMEM, "modules.dep");
		goto fail;
	}
	for (int i = 0; i < db->count; i++) {
		char *save = NULL;

		for (char *tok = strtok_r(deplines[i], " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save)) {
			int idx = mod_db_find(db, tok);
			int *grown;

			if (idx < 0) {
				r = berr_msg(e, ENOENT, "modules.dep: %s needs %s, which is not listed",
					     db->entries[i].path, tok);
				goto fail;
			}
			grown = realloc(db->entries[i].deps, (db->entries[i].ndeps + 1) * sizeof(int));
			if (!grown) {
				r = berr_set(e, ENOMEM, "modules.dep");
				goto fail;
			}
			db->entries[i].deps = grown;
			db->entries[i].deps[db->entries[i].ndeps++] = idx;
		}
	}
	if (builtin_text && parse_builtin(db, builtin_text) < 0) {
		r = berr_set(e, ENOMEM, "modules.builtin");
		goto fail;
	}
out:
	for (int i = 0; deplines && i < db->count; i++)
		free(deplines[i]);
	free(deplines);
	return r;
fail:
	for (int i = 0; deplines && i < db->count; i++)
		free(deplines[i]);
	free(deplines);
	deplines = NULL;
	mod_db_free(db);
	goto out;
}

int mod_db_load(struct mod_db *db, const char *dir, struct berr *e)
{
	char path[1024];
	_cleanup_free_ char *dep = NULL;
	_cleanup_free_ char *builtin = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	r = read_file_all(path, MOD_FILE_MAX, &dep, &len);
	if (r < 0)
		return berr_set(e, -r, "%s", path);
	snprintf(path, sizeof(path), "%s/modules.builtin", dir);
	if (read_file_all(path, MOD_FILE_MAX, &builtin, &len) < 0)
		builtin = NULL; /* optional: then no module counts as built in */
	return mod_db_parse(db, dep, builtin, e);
}

void mod_db_free(struct mod_db *db)
{
	for (int i = 0; i < db->count; i++) {
		free(db->entries[i].name);
		free(db->entries[i].path);
		free(db->entries[i].deps);
	}
	free(db->entries);
	free(db->by_name);
	for (int i = 0; i < db->nbuiltin; i++)
		free(db->builtin[i]);
	free(db->builtin);
	memset(db, 0, sizeof(*db));
}

enum { MARK_NONE, MARK_ACTIVE, MARK_DONE };

static int resolve_idx(struct mod_db *db, int idx, int *order, int *count, int max,
		       struct berr *e)
{
	struct mod_entry *m = &db->entries[idx];

	if (m->mark == MARK_DONE)
		return 0;
	for (int i = 0; i < *count; i++) {
		if (order[i] == idx) {
			m->mark = MARK_DONE;
			return 0;
		}
	}
	if (m->mark == MARK_ACTIVE)
		return berr_msg(e, ELOOP, "module dependency loop at %s", m->name);
	m->mark = MARK_ACTIVE;
	for (int i = 0; i < m->ndeps; i++) {
		int r = resolve_idx(db, m->deps[i], order, count, max, e);
		if (r < 0) {
			m->mark = MARK_NONE;
			return r;
		}
	}
	m->mark = MARK_DONE;
	if (*count >= max)
		return berr_msg(e, E2BIG, "too many modules");
	order[(*count)++] = idx;
	return 0;
}

int mod_resolve(struct mod_db *db, const char *name, int *order, int *count, int max,
		struct berr *e)
{
	int idx = mod_db_find(db, name);

	if (idx < 0) {
		if (mod_db_is_builtin(db, name))
			return 0;
		return berr_msg(e, ENOENT, "module %s: not found in modules.dep", name);
	}
	for (int i = 0; i < db->count; i++)
		db->entries[i].mark = MARK_NONE;
	return resolve_idx(db, idx, order, count, max, e);
}

static int finit_module_path(const char *dir, const char *rel, struct berr *e)
{
	char path[1024];
	_cleanup_fd_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_set(e, errno, "open %s", path);
	if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
		return berr_set(e, errno, "load %s", path);
	return 0;
}

static void reportf(void (*report)(void *, const char *), void *ctx, const char *msg)
{
	if (report)
		report(ctx, msg);
}

int mod_load_list(const char *dir, const char *const names[], int n,
		  void (*report)(void *ctx, const char *msg), void *ctx)
{
	struct mod_db db;
	struct berr e;
	int *order, count = 0, loaded = 0;

	if (mod_db_load(&db, dir, &e) < 0) {
		reportf(report, ctx, e.msg);
		return 0;
	}
	order = calloc(db.count ? db.count : 1, sizeof(int));
	if (!order) {
		reportf(report, ctx, "modules: out of memory");
		mod_db_free(&db);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (mod_resolve(&db, names[i], order, &count, db.count, &e) < 0)
			reportf(report, ctx, e.msg);
	}
	for (int i = 0; i < count; i++) {
		if (finit_module_path(dir, db.entries[order[i]].path, &e) < 0)
			reportf(report, ctx, e.msg);
		else
			loaded++;
	}
	free(order);
	mod_db_free(&db);
	return loaded;
}

int mod_load_one(const char *name, struct berr *e)
{
	struct utsname u;
	char dir[512];
	struct mod_db db;
	int order[64], count = 0, r;

	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	r = mod_db_load(&db, dir, e);
	if (r < 0)
		return r;
	r = mod_resolve(&db, name, order, &count, (int)ARRAY_SIZE(order), e);
	for (int i = 0; r == 0 && i < count; i++)
		r = finit_module_path(dir, db.entries[order[i]].path, e);
	mod_db_free(&db);
	return r;
}
