/* oci_userns.c - config.json's user namespace: a "user" entry of
 * linux.namespaces and linux.uidMappings / gidMappings, as containerd and
 * podman send them for --userns; checked into the sandbox's maps. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>

#include "oci_priv.h"
#include "runtime/sandbox/userns.h"

static int parse_line(json_t *v, const char *where, int i, struct sb_idmap *m, struct berr *e)
{
	int64_t in = -1, out = -1, size = -1;
	char at[48];
	int r;

	snprintf(at, sizeof(at), "%s[%d]", where, i);
	if (!json_is_object(v))
		return berr_msg(e, EINVAL, "%s: not an object", at);
	r = oci_get_int(v, at, "containerID", &in, e);
	if (r == 0)
		r = oci_get_int(v, at, "hostID", &out, e);
	if (r == 0)
		r = oci_get_int(v, at, "size", &size, e);
	if (r < 0)
		return r;
	if (in < 0 || out < 0 || size < 0 || in > UINT32_MAX || out > UINT32_MAX ||
	    size > UINT32_MAX)
		return berr_msg(e, EINVAL, "%s: needs containerID, hostID and size (0..4294967295)",
				at);
	*m = (struct sb_idmap){(uint32_t)in, (uint32_t)out, (uint32_t)size};
	return 0;
}

int oci_parse_map(struct oci_config *c, json_t *o, const char *at, const char *key,
		  struct sb_idmap **out, int *n, struct berr *e)
{
	char where[48];
	json_t *a, *v;
	size_t i;
	int r = oci_get_arr(o, at, key, &a, e);

	snprintf(where, sizeof(where), "%s.%s", at, key);
	if (r < 0 || !a)
		return r;
	*out = oci_alloc(c, json_array_size(a) + 1, sizeof(**out));
	if (!*out)
		return berr_msg(e, ENOMEM, "%s: out of memory", where);
	json_array_foreach(a, i, v)
	{
		if (i >= UNS_MAP_MAX)
			break; /* uns_map_check names the limit */
		r = parse_line(v, where, (int)i, &(*out)[i], e);
		if (r < 0)
			return r;
	}
	*n = (int)json_array_size(a);
	return uns_map_check(*out, *n, where, e);
}

int oci_parse_userns(struct oci_config *c, json_t *lx, struct berr *e)
{
	int r = oci_parse_map(c, lx, "linux", "uidMappings", &c->uid_map, &c->nuid_map, e);

	if (r == 0)
		r = oci_parse_map(c, lx, "linux", "gidMappings", &c->gid_map, &c->ngid_map, e);
	if (r < 0)
		return r;
	for (int i = 0; i < c->njoins; i++) {
		if (c->joins[i].type == CLONE_NEWUSER) {
			c->nuid_map = c->ngid_map = 0; /* the joined namespace has its own */
			return 0;
		}
	}
	if (!(c->namespaces & CLONE_NEWUSER)) {
		if (c->nuid_map || c->ngid_map)
			return berr_msg(e, EINVAL,
					"linux.uidMappings: set, but linux.namespaces has "
					"no user namespace");
		return 0;
	}
	if (!c->nuid_map || !c->ngid_map)
		return berr_msg(e, EINVAL,
				"linux.namespaces: a user namespace needs "
				"linux.uidMappings and linux.gidMappings");
	return 0;
}
