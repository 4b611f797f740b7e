#include "passwd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split a colon-separated line in place into at most max fields. */
static int split_fields(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	f[n++] = line;
	for (char *p = line; *p && n < max; p++) {
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	return n;
}

static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out <= 0x7fffffffUL;
}

static FILE *open_db(const char *path)
{
	return path ? fopen(path, "re") : NULL;
}

/* Find a passwd entry by name (or by uid when name is NULL). */
static bool find_user(const char *path, const char *name, unsigned long uid, struct pw_ids *ids,
		      char *found_name, size_t name_size)
{
	FILE *f = open_db(path);
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *fl[7];
		unsigned long u, g;

		if (line[0] == '#' || split_fields(line, fl, 7) < 7)
			continue;
		if (!parse_id(fl[2], &u) || !parse_id(fl[3], &g))
			continue;
		if (name ? strcmp(fl[0], name) != 0 : u != uid)
			continue;
		ids->uid = u;
		ids->gid = g;
		snprintf(ids->home, sizeof(ids->home), "%s", fl[5]);
		snprintf(found_name, name_size, "%s", fl[0]);
		found = true;
	}
	fclose(f);
	return found;
}

static bool find_group(const char *path, const char *name, unsigned long *gid)
{
	FILE *f = open_db(path);
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *fl[4];
		unsigned long g;

		if (line[0] == '#' || split_fields(line, fl, 4) < 3 || !parse_id(fl[2], &g))
			continue;
		if (strcmp(fl[0], name) == 0) {
			*gid = g;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void add_group(struct pw_ids *ids, gid_t g)
{
	for (int i = 0; i < ids->ngroups; i++) {
		if (ids->groups[i] == g)
			return;
	}
	if (ids->ngroups < PW_GROUPS_MAX)
		ids->groups[ids->ngroups++] = g;
}

/* Groups whose member list names the user. */
static void collect_groups(const char *path, const char *user, struct pw_ids *ids)
{
	FILE *f = open_db(path);
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *fl[4], *save = NULL;
		unsigned long g;

		if (line[0] == '#' || split_fields(line, fl, 4) < 4 || !parse_id(fl[2], &g))
			continue;
		for (char *m = strtok_r(fl[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			if (strcmp(m, user) == 0)
				add_group(ids, g);
		}
	}
	fclose(f);
}

int pw_resolve(const char *passwd_path, const char *group_path, const char *spec,
	       struct pw_ids *ids, struct berr *e)
{
	char user[256], name[256] = "";
	const char *group = NULL, *colon;
	unsigned long id;
	bool known;

	memset(ids, 0, sizeof(*ids));
	snprintf(ids->home, sizeof(ids->home), "/");
	if (!spec || !*spec)
		spec = "0";
	colon = strchr(spec, ':');
	if ((colon ? (size_t)(colon - spec) : strlen(spec)) >= sizeof(user))
		return berr_msg(e, EINVAL, "user %s: name too long", spec);
	snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (colon)
		group = colon + 1;
	if (!*user || (group && !*group))
		return berr_msg(e, EINVAL, "invalid user spec \"%s\"", spec);

	if (parse_id(user, &id)) {
		known = find_user(passwd_path, NULL, id, ids, name, sizeof(name));
		if (!known)
			ids->uid = id; /* Docker: unknown numeric uid runs with gid 0 */
	} else {
		known = find_user(passwd_path, user, 0, ids, name, sizeof(name));
		if (!known)
			return berr_msg(
			    e, ENOENT, "unable to find user %s: no matching entries in passwd file",
			    user);
	}
	if (group) {
		if (parse_id(group, &id))
			ids->gid = id;
		else if (find_group(group_path, group, &id))
			ids->gid = id;
		else
			return berr_msg(
			    e, ENOENT, "unable to find group %s: no matching entries in group file",
			    group);
	}
	add_group(ids, ids->gid);
	if (known && !group)
		collect_groups(group_path, name, ids);
	return 0;
}
