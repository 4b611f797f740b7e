/* hostcfg_defaults.c - daemon.json's "default-ulimits" (hostcfg.h): for
 * each name a container's --ulimit does not give, dockerd's default, in
 * Docker's form {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}}.
 * Read by the CLI at create, never by PID 1. */
#include "hostcfg.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool named(const struct ctr_hostx *x, const char *name)
{
	for (int i = 0; i < x->nulimits; i++) {
		if (strcmp(x->ulimits[i].name, name) == 0)
			return true;
	}
	return false;
}

/* One entry through --ulimit's own parser: its checks and messages. */
static int one_default(const char *key, json_t *v, struct hx_ulimit *u, struct berr *e)
{
	json_t *name = json_object_get(v, "Name"), *soft = json_object_get(v, "Soft");
	json_t *hard = json_object_get(v, "Hard");
	char spec[96];

	if (!json_is_object(v) || (name && !json_is_string(name)) || !json_is_integer(soft) ||
	    !json_is_integer(hard))
		return berr_msg(e, EINVAL, "%s: not {\"Name\": ..., \"Soft\": N, \"Hard\": N}",
				key);
	snprintf(spec, sizeof(spec), "%.20s=%lld:%lld", name ? json_string_value(name) : key,
		 (long long)json_integer_value(soft), (long long)json_integer_value(hard));
	return hx_ulimit_parse(spec, u, e);
}

int hx_ulimits_merge(json_t *defaults, struct ctr_hostx *x, struct berr *e)
{
	const char *key;
	json_t *v;

	if (!defaults)
		return 0;
	if (!json_is_object(defaults))
		return berr_msg(e, EINVAL, "\"default-ulimits\" is not an object");
	json_object_foreach(defaults, key, v) {
		struct hx_ulimit u;

		if (one_default(key, v, &u, e) < 0)
			return berr_wrap(e, "\"default-ulimits\"");
		if (named(x, u.name))
			continue;
		if (x->nulimits >= HX_MAX)
			return berr_msg(e, E2BIG, "\"default-ulimits\": more than %d ulimits",
					HX_MAX);
		x->ulimits[x->nulimits++] = u;
	}
	return 0;
}

int hx_daemon_json(const char *root, char path[4096], json_t **doc, struct berr *e)
{
	json_error_t je;

	*doc = NULL;
	snprintf(path, 4096, "%s/etc/berth/daemon.json", root);
	if (access(path, F_OK) < 0)
		return 0;
	*doc = json_load_file(path, 0, &je);
	if (!*doc)
		return berr_msg(e, EINVAL, "%s: line %d: %s", path, je.line, je.text);
	return 0;
}

int hx_default_ulimits(const char *root, struct ctr_hostx *x, struct berr *e)
{
	char path[4096];
	json_t *doc;
	int r = hx_daemon_json(root, path, &doc, e);

	if (r < 0 || !doc)
		return r;
	r = hx_ulimits_merge(json_object_get(doc, "default-ulimits"), x, e);
	json_decref(doc);
	return r < 0 ? berr_wrap(e, "%s", path) : 0;
}
