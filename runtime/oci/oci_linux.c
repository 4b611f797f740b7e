/* oci_linux.c - config.json's "linux" object: namespaces, devices,
 * cgroupsPath and resources, sysctl, seccomp, masked and read-only paths,
 * rootfs propagation. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "oci_priv.h"
#include "runtime/lib/util.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int flag;
} ns_names[] = {
    {"pid", CLONE_NEWPID},	{"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},	{"uts", CLONE_NEWUTS},	   {"cgroup", CLONE_NEWCGROUP},
    {"user", CLONE_NEWUSER},	{"time", CLONE_NEWTIME},
};

static int parse_ns(struct oci_config *c, json_t *v, int i, unsigned long *seen, struct berr *e)
{
	const char *type = NULL, *path = NULL;
	char where[32];
	size_t k;
	int r;

	snprintf(where, sizeof(where), "linux.namespaces[%d]", i);
	if (!json_is_object(v))
		return berr_msg(e, EINVAL, "%s: not an object", where);
	r = oci_get_str(v, where, "type", &type, e);
	if (r == 0)
		r = oci_get_str(v, where, "path", &path, e);
	if (r < 0)
		return r;
	if (!type)
		return berr_msg(e, EINVAL, "%s.type: missing", where);
	for (k = 0; k < ARRAY_SIZE(ns_names); k++) {
		if (strcmp(ns_names[k].name, type) == 0)
			break;
	}
	if (k == ARRAY_SIZE(ns_names))
		return berr_msg(e, EINVAL, "%s.type: unknown namespace %s", where, type);
	if (*seen & ns_names[k].flag)
		return berr_msg(e, EINVAL, "%s: %s is listed twice", where, type);
	*seen |= ns_names[k].flag;
	if (!path || !*path) {
		c->namespaces |= ns_names[k].flag;
		return 0;
	}
	if (path[0] != '/')
		return berr_msg(e, EINVAL, "%s.path: must be an absolute path", where);
	c->joins[c->njoins++] = (struct sb_nsjoin){ns_names[k].flag, path};
	return 0;
}

/* A container without a mount namespace of its own or joined would
 * pivot the host's root: refused. */
static int parse_namespaces(struct oci_config *c, json_t *lx, struct berr *e)
{
	unsigned long seen = 0;
	json_t *a, *v;
	size_t i;
	int r = oci_get_arr(lx, "linux", "namespaces", &a, e);

	if (r < 0)
		return r;
	c->joins = oci_alloc(c, a ? json_array_size(a) : 0, sizeof(*c->joins));
	if (!c->joins)
		return berr_msg(e, ENOMEM, "linux.namespaces: out of memory");
	json_array_foreach(a, i, v) {
		r = parse_ns(c, v, (int)i, &seen, e);
		if (r < 0)
			return r;
	}
	if (!(seen & CLONE_NEWNS))
		return berr_msg(e, EINVAL, "linux.namespaces: a mount namespace is required");
	if (json_object_get(lx, "timeOffsets"))
		return berr_msg(e, EINVAL, "linux.timeOffsets: not supported");
	if (c->hostname && *c->hostname && !(c->namespaces & CLONE_NEWUTS))
		return berr_msg(e, EINVAL, "hostname: needs a new uts namespace");
	return 0;
}

static int parse_device(json_t *v, int i, struct sb_device *d, struct berr *e)
{
	const char *type = NULL;
	int64_t major = 0, minor = 0, mode = 0666, uid = 0, gid = 0;
	char where[32];
	int r;

	snprintf(where, sizeof(where), "linux.devices[%d]", i);
	if (!json_is_object(v))
		return berr_msg(e, EINVAL, "%s: not an object", where);
	r = oci_get_str(v, where, "path", &d->path, e);
	if (r == 0)
		r = oci_get_str(v, where, "type", &type, e);
	if (r == 0)
		r = oci_get_int(v, where, "major", &major, e);
	if (r == 0)
		r = oci_get_int(v, where, "minor", &minor, e);
	if (r == 0)
		r = oci_get_int(v, where, "fileMode", &mode, e);
	if (r == 0)
		r = oci_get_int(v, where, "uid", &uid, e);
	if (r == 0)
		r = oci_get_int(v, where, "gid", &gid, e);
	if (r < 0)
		return r;
	if (!d->path || strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, "/../"))
		return berr_msg(e, EINVAL, "%s.path: must be under /dev/", where);
	if (!type || strlen(type) != 1 || !strchr("cubp", type[0]))
		return berr_msg(e, EINVAL, "%s.type: must be c, u, b or p", where);
	if (major < 0 || major > 4095 || minor < 0 || minor > 1048575 || mode < 0 ||
	    mode > 07777 || uid < 0 || uid > 0xfffffffe || gid < 0 || gid > 0xfffffffe)
		return berr_msg(e, EINVAL, "%s: major, minor, fileMode, uid or gid out of range",
				where);
	d->type = type[0] == 'b' ? S_IFBLK : type[0] == 'p' ? S_IFIFO : S_IFCHR;
	*d = (struct sb_device){d->path, d->type, (unsigned)major, (unsigned)minor,
				(mode_t)mode, (uid_t)uid, (gid_t)gid};
	return 0;
}

static int parse_devices(struct oci_config *c, json_t *lx, struct berr *e)
{
	json_t *a, *v;
	size_t i;
	int r = oci_get_arr(lx, "linux", "devices", &a, e);

	if (r < 0 || !a)
		return r;
	c->devices = oci_alloc(c, json_array_size(a), sizeof(*c->devices));
	if (!c->devices)
		return berr_msg(e, ENOMEM, "linux.devices: out of memory");
	json_array_foreach(a, i, v) {
		r = parse_device(v, (int)i, &c->devices[i], e);
		if (r < 0)
			return r;
	}
	c->ndevices = (int)json_array_size(a);
	return 0;
}

/* A path list into a NULL-terminated vector, never NULL. */
static int parse_paths(struct oci_config *c, json_t *lx, const char *key, const char ***out,
		       struct berr *e)
{
	char **v;
	int r = oci_get_strv(c, lx, "linux", key, &v, NULL, e);

	if (r < 0)
		return r;
	for (char **p = v; p && *p; p++) {
		if ((*p)[0] != '/')
			return berr_msg(e, EINVAL, "linux.%s: %s is not an absolute path", key, *p);
	}
	if (!v)
		v = oci_alloc(c, 1, sizeof(*v));
	*out = (const char **)v;
	return v ? 0 : berr_msg(e, ENOMEM, "linux.%s: out of memory", key);
}

static int parse_sysctl(struct oci_config *c, json_t *lx, struct berr *e)
{
	json_t *o, *v;
	const char *k;
	size_t n = 0;
	int r = oci_get_obj(lx, "linux", "sysctl", &o, e);

	if (r < 0 || !o)
		return r;
	c->sysctls = oci_alloc(c, json_object_size(o) + 1, sizeof(char *));
	if (!c->sysctls)
		return berr_msg(e, ENOMEM, "linux.sysctl: out of memory");
	json_object_foreach(o, k, v) {
		size_t len = strlen(k) + 2 + (json_is_string(v) ? json_string_length(v) : 0);
		char *kv;

		if (!json_is_string(v))
			return berr_msg(e, EINVAL, "linux.sysctl.%s: not a string", k);
		if (!*k || strchr(k, '/') || strstr(k, ".."))
			return berr_msg(e, EINVAL, "linux.sysctl: bad name \"%s\"", k);
		kv = oci_alloc(c, len, 1);
		if (!kv)
			return berr_msg(e, ENOMEM, "linux.sysctl: out of memory");
		snprintf(kv, len, "%s=%s", k, json_string_value(v));
		c->sysctls[n++] = kv;
	}
	return 0;
}

static int parse_propagation(struct oci_config *c, json_t *lx, struct berr *e)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} props[] = {
	    {"private", MS_PRIVATE},	 {"rprivate", MS_PRIVATE | MS_REC},
	    {"slave", MS_SLAVE},	 {"rslave", MS_SLAVE | MS_REC},
	    {"shared", MS_SHARED},	 {"rshared", MS_SHARED | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	const char *p = NULL;
	int r = oci_get_str(lx, "linux", "rootfsPropagation", &p, e);

	if (r < 0 || !p || !*p)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
		if (strcmp(props[i].name, p) == 0) {
			c->rootfs_propagation = props[i].flags;
			return 0;
		}
	}
	return berr_msg(e, EINVAL, "linux.rootfsPropagation: unknown value %s", p);
}

static int parse_seccomp(struct oci_config *c, json_t *lx, struct berr *e)
{
	const char *def = NULL, *listener = NULL;
	int r = oci_get_obj(lx, "linux", "seccomp", &c->seccomp, e);

	if (r == 0 && c->seccomp)
		r = oci_get_str(c->seccomp, "linux.seccomp", "defaultAction", &def, e);
	if (r == 0 && c->seccomp)
		r = oci_get_str(c->seccomp, "linux.seccomp", "listenerPath", &listener, e);
	if (r == 0 && c->seccomp)
		r = oci_get_str(c->seccomp, "linux.seccomp", "listenerMetadata", &c->listener_meta,
				e);
	if (r < 0 || !c->seccomp)
		return r;
	if (!def)
		return berr_msg(e, EINVAL, "linux.seccomp.defaultAction: missing");
	if (listener && *listener && listener[0] != '/')
		return berr_msg(e, EINVAL, "linux.seccomp.listenerPath: must be an absolute path");
	c->listener = listener && *listener ? listener : NULL;
	return 0;
}

/* Accepted and not applied; the caller prints why. */
static void warn_ignored(struct oci_config *c, json_t *lx)
{
	static const char *const keys[] = {"intelRdt", "mountLabel", "personality"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (json_object_get(lx, keys[i]))
			oci_warn(c, "linux.%s is ignored", keys[i]);
	}
}

int oci_parse_linux(struct oci_config *c, json_t *lx, struct berr *e)
{
	json_t *res = NULL;
	int r = 0;

	if (!lx)
		return berr_msg(e, EINVAL, "linux: missing");
	r = parse_namespaces(c, lx, e);
	if (r == 0)
		r = oci_parse_userns(c, lx, e);
	if (r == 0)
		r = parse_devices(c, lx, e);
	if (r == 0)
		r = oci_get_str(lx, "linux", "cgroupsPath", &c->cgroups_path, e);
	if (r == 0)
		r = oci_get_obj(lx, "linux", "resources", &res, e);
	if (r == 0 && res)
		r = oci_resources_parse(c, res, &c->limits, &c->devices_allow_all, e);
	if (r == 0)
		r = parse_sysctl(c, lx, e);
	if (r == 0)
		r = parse_seccomp(c, lx, e);
	if (r == 0)
		r = parse_paths(c, lx, "maskedPaths", &c->masked, e);
	if (r == 0)
		r = parse_paths(c, lx, "readonlyPaths", &c->readonly, e);
	if (r == 0)
		r = parse_propagation(c, lx, e);
	if (r == 0)
		warn_ignored(c, lx);
	return r;
}
