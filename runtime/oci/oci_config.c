/* oci_config.c - config.json: the top level, process, root, mounts and
 * hooks (the linux object is in oci_linux.c). */
#include "oci_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "oci_priv.h"
#include "runtime/lib/mountopt.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/caps.h"


static const struct {
	const char *name;
	int res;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},		  {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},	  {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimit(json_t *o, int i, struct sb_rlimit *rl, struct berr *e)
{
	char where[48];
	const char *type = NULL;
	int64_t soft = -1, hard = -1;
	int r;

	snprintf(where, sizeof(where), "process.rlimits[%d]", i);
	if (!json_is_object(o))
		return berr_msg(e, EINVAL, "%s: not an object", where);
	r = oci_get_str(o, where, "type", &type, e);
	if (r == 0)
		r = oci_get_int(o, where, "soft", &soft, e);
	if (r == 0)
		r = oci_get_int(o, where, "hard", &hard, e);
	if (r < 0)
		return r;
	if (!type || soft < 0 || hard < 0)
		return berr_msg(e, EINVAL, "%s: needs type, soft and hard", where);
	if ((uint64_t)soft > (uint64_t)hard)
		return berr_msg(e, EINVAL, "%s: soft %lld is above hard %lld", where,
				(long long)soft, (long long)hard);
	for (size_t k = 0; k < ARRAY_SIZE(rlimit_names); k++) {
		if (strcmp(rlimit_names[k].name, type) == 0) {
			*rl = (struct sb_rlimit){rlimit_names[k].res, soft, hard};
			return 0;
		}
	}
	return berr_msg(e, EINVAL, "%s: unknown type %s", where, type);
}

static int parse_rlimits(struct oci_config *c, json_t *p, struct oci_process *proc,
			 struct berr *e)
{
	json_t *a, *v;
	size_t i;
	int r = oci_get_arr(p, "process", "rlimits", &a, e);

	if (r < 0 || !a)
		return r;
	proc->rlimits = oci_alloc(c, json_array_size(a), sizeof(*proc->rlimits));
	if (!proc->rlimits)
		return berr_msg(e, ENOMEM, "process.rlimits: out of memory");
	json_array_foreach(a, i, v) {
		r = parse_rlimit(v, (int)i, &proc->rlimits[i], e);
		if (r < 0)
			return r;
	}
	proc->nrlimits = (int)json_array_size(a);
	return 0;
}

/* The spec has five sets; the sandbox keeps one (bounding = permitted =
 * effective). The bounding set is taken; differing sets are a warning. */
static int parse_caps(struct oci_config *c, json_t *p, struct oci_process *proc, struct berr *e)
{
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	uint64_t masks[ARRAY_SIZE(sets)] = {0};
	json_t *caps;
	int r = oci_get_obj(p, "process", "capabilities", &caps, e);

	if (r < 0 || !caps)
		return r;
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
		char **names;
		int n;

		r = oci_get_strv(c, caps, "process.capabilities", sets[s], &names, &n, e);
		for (int i = 0; r == 0 && i < n; i++) {
			uint64_t bit;

			if (sb_cap_parse(names[i], &bit) < 0 || strcasecmp(names[i], "ALL") == 0)
				return berr_msg(e, EINVAL, "process.capabilities.%s: unknown capability %s",
						sets[s], names[i]);
			masks[s] |= bit;
		}
		if (r < 0)
			return r;
	}
	proc->caps = masks[0];
	if (masks[1] != masks[0] || masks[2] != masks[0])
		oci_warn(c, "process.capabilities: the effective and permitted sets are taken to be "
			    "the bounding set");
	return 0;
}

static int parse_user(struct oci_config *c, json_t *p, struct oci_process *proc, struct berr *e)
{
	int64_t uid = 0, gid = 0;
	json_t *user, *gids, *v;
	size_t i;
	int r = oci_get_obj(p, "process", "user", &user, e);

	if (r == 0 && user)
		r = oci_get_int(user, "process.user", "uid", &uid, e);
	if (r == 0 && user)
		r = oci_get_int(user, "process.user", "gid", &gid, e);
	if (r < 0)
		return r;
	if (uid < 0 || uid > 0xfffffffe || gid < 0 || gid > 0xfffffffe)
		return berr_msg(e, EINVAL, "process.user: uid and gid must be 0..4294967294");
	snprintf(proc->user, sizeof(proc->user), "%lld:%lld", (long long)uid, (long long)gid);
	r = user ? oci_get_arr(user, "process.user", "additionalGids", &gids, e) : 0;
	if (r < 0 || !user || !gids)
		return r;
	proc->gids = oci_alloc(c, json_array_size(gids), sizeof(gid_t));
	if (!proc->gids)
		return berr_msg(e, ENOMEM, "process.user: out of memory");
	json_array_foreach(gids, i, v) {
		json_int_t g = json_integer_value(v);

		if (!json_is_integer(v) || g < 0 || g > 0xfffffffe)
			return berr_msg(e, EINVAL, "process.user.additionalGids[%zu]: not a gid", i);
		proc->gids[i] = (gid_t)g;
	}
	proc->ngids = (int)json_array_size(gids);
	return 0;
}

static int parse_console(json_t *p, struct oci_process *proc, struct berr *e)
{
	int64_t h = 0, w = 0;
	json_t *cs;
	int r = oci_get_obj(p, "process", "consoleSize", &cs, e);

	if (r == 0 && cs)
		r = oci_get_int(cs, "process.consoleSize", "height", &h, e);
	if (r == 0 && cs)
		r = oci_get_int(cs, "process.consoleSize", "width", &w, e);
	if (r < 0)
		return r;
	if (h < 0 || h > 65535 || w < 0 || w > 65535)
		return berr_msg(e, EINVAL, "process.consoleSize: height and width must be 0..65535");
	proc->rows = (unsigned)h;
	proc->cols = (unsigned)w;
	return 0;
}

static int parse_security(struct oci_config *c, json_t *p, struct oci_process *proc,
			  struct berr *e)
{
	const char *apparmor = NULL, *selinux = NULL;
	int64_t oom = 0;
	int r = oci_get_bool(p, "process", "noNewPrivileges", &proc->no_new_privs, e);

	if (r == 0)
		r = oci_get_str(p, "process", "apparmorProfile", &apparmor, e);
	if (r == 0)
		r = oci_get_str(p, "process", "selinuxLabel", &selinux, e);
	if (r == 0)
		r = oci_get_int(p, "process", "oomScoreAdj", &oom, e);
	if (r < 0)
		return r;
	if (oom < -1000 || oom > 1000)
		return berr_msg(e, EINVAL, "process.oomScoreAdj: %lld is not in -1000..1000",
				(long long)oom);
	proc->has_oom_score_adj = json_object_get(p, "oomScoreAdj") != NULL;
	proc->oom_score_adj = (int)oom;
	if ((apparmor && *apparmor) || (selinux && *selinux))
		oci_warn(c, "process: apparmorProfile and selinuxLabel are ignored "
			    "(no LSM support in berth)");
	return 0;
}

int oci_process_parse(struct oci_config *c, json_t *p, struct oci_process *proc, struct berr *e)
{
	int n = 0, r;

	memset(proc, 0, sizeof(*proc));
	if (!json_is_object(p))
		return berr_msg(e, EINVAL, "process: not an object");
	r = oci_get_strv(c, p, "process", "args", &proc->args, &n, e);
	if (r == 0)
		r = oci_get_strv(c, p, "process", "env", &proc->env, NULL, e);
	if (r == 0)
		r = oci_get_str(p, "process", "cwd", &proc->cwd, e);
	if (r == 0)
		r = oci_get_bool(p, "process", "terminal", &proc->terminal, e);
	if (r < 0)
		return r;
	if (n == 0 || !proc->args[0][0])
		return berr_msg(e, EINVAL, "process.args: no command");
	if (!proc->cwd || proc->cwd[0] != '/')
		return berr_msg(e, EINVAL, "process.cwd: must be an absolute path");
	r = parse_user(c, p, proc, e);
	if (r == 0)
		r = parse_console(p, proc, e);
	if (r == 0)
		r = parse_caps(c, p, proc, e);
	if (r == 0)
		r = parse_rlimits(c, p, proc, e);
	if (r == 0)
		r = parse_security(c, p, proc, e);
	return r;
}

static int parse_root(struct oci_config *c, json_t *top, const char *bundle, struct berr *e)
{
	const char *path = NULL;
	json_t *root;
	int n, r = oci_get_obj(top, "", "root", &root, e);

	if (r == 0 && root)
		r = oci_get_str(root, "root", "path", &path, e);
	if (r == 0 && root)
		r = oci_get_bool(root, "root", "readonly", &c->root_readonly, e);
	if (r < 0)
		return r;
	if (!path || !*path)
		return berr_msg(e, EINVAL, "root.path: missing");
	if (path[0] == '/')
		n = snprintf(c->rootfs, sizeof(c->rootfs), "%s", path);
	else
		n = snprintf(c->rootfs, sizeof(c->rootfs), "%s/%s", bundle, path);
	if (n >= (int)sizeof(c->rootfs))
		return berr_msg(e, ENAMETOOLONG, "root.path: too long");
	return 0;
}

static int parse_hook_list(struct oci_config *c, json_t *hooks, int kind, const char *name,
			   struct berr *e)
{
	json_t *a, *v;
	size_t i;
	int r = oci_get_arr(hooks, "hooks", name, &a, e);

	if (r < 0 || !a)
		return r;
	c->hooks[kind] = oci_alloc(c, json_array_size(a), sizeof(struct oci_hook));
	if (!c->hooks[kind])
		return berr_msg(e, ENOMEM, "hooks: out of memory");
	json_array_foreach(a, i, v) {
		struct oci_hook *h = &c->hooks[kind][i];
		int64_t timeout = 0;
		char where[48];

		snprintf(where, sizeof(where), "hooks.%s[%zu]", name, i);
		if (!json_is_object(v))
			return berr_msg(e, EINVAL, "%s: not an object", where);
		r = oci_get_str(v, where, "path", &h->path, e);
		if (r == 0)
			r = oci_get_strv(c, v, where, "args", &h->args, NULL, e);
		if (r == 0)
			r = oci_get_strv(c, v, where, "env", &h->env, NULL, e);
		if (r == 0)
			r = oci_get_int(v, where, "timeout", &timeout, e);
		if (r < 0)
			return r;
		if (!h->path || h->path[0] != '/')
			return berr_msg(e, EINVAL, "%s.path: must be an absolute path", where);
		if (json_object_get(v, "timeout") && (timeout <= 0 || timeout > 86400))
			return berr_msg(e, EINVAL, "%s.timeout: must be 1..86400 seconds", where);
		h->timeout = (int)timeout;
	}
	c->nhooks[kind] = (int)json_array_size(a);
	return 0;
}

static int parse_hooks(struct oci_config *c, json_t *top, struct berr *e)
{
	static const char *const names[OCI_NHOOKS] = {
	    "prestart", "createRuntime", "createContainer", "startContainer", "poststart",
	    "poststop",
	};
	json_t *hooks;
	int r = oci_get_obj(top, "", "hooks", &hooks, e);

	for (int k = 0; r == 0 && hooks && k < OCI_NHOOKS; k++)
		r = parse_hook_list(c, hooks, k, names[k], e);
	return r;
}

/* Unknown options go to the filesystem as data ("mode=755,size=65536k");
 * x-* options are for tools and dropped, as in mount(8). */
static int parse_mount_opts(struct oci_config *c, char **opts, struct sb_fsmount *m,
			    const char *where, int *idmap, struct berr *e)
{
	size_t len = 0;
	char *data;

	for (char **o = opts; o && *o; o++)
		len += strlen(*o) + 1;
	data = oci_alloc(c, len + 1, 1);
	if (!data)
		return berr_msg(e, ENOMEM, "%s: out of memory", where);
	for (char **o = opts; o && *o; o++) {
		if (strcmp(*o, "idmap") == 0 || strcmp(*o, "ridmap") == 0)
			*idmap = **o == 'r' ? 2 : 1;
		else if (!mountopt_apply(*o, &m->flags, &m->propagation) &&
		    strncmp(*o, "x-", 2) != 0 && strcmp(*o, "tmpcopyup") != 0) {
			if (*data)
				strcat(data, ",");
			strcat(data, *o);
		}
	}
	m->data = *data ? data : NULL;
	return 0;
}

static int parse_mount(struct oci_config *c, json_t *v, int i, const char *bundle,
		       struct sb_fsmount *m, struct berr *e)
{
	char where[32], **opts;
	int r, idmap = 0;

	snprintf(where, sizeof(where), "mounts[%d]", i);
	if (!json_is_object(v))
		return berr_msg(e, EINVAL, "%s: not an object", where);
	r = oci_get_str(v, where, "destination", &m->target, e);
	if (r == 0)
		r = oci_get_str(v, where, "type", &m->type, e);
	if (r == 0)
		r = oci_get_str(v, where, "source", &m->source, e);
	if (r == 0)
		r = oci_get_strv(c, v, where, "options", &opts, NULL, e);
	if (r == 0)
		r = parse_mount_opts(c, opts, m, where, &idmap, e);
	if (r < 0)
		return r;
	if (!m->target || m->target[0] != '/')
		return berr_msg(e, EINVAL, "%s.destination: must be an absolute path", where);
	if (m->type && strcmp(m->type, "bind") == 0)
		m->flags |= MS_BIND;
	if (!(m->flags & MS_BIND) && (!m->type || !*m->type))
		return berr_msg(e, EINVAL, "%s.type: missing (and not a bind mount)", where);
	if ((m->flags & MS_BIND) && (!m->source || !*m->source))
		return berr_msg(e, EINVAL, "%s.source: a bind mount needs a source", where);
	if ((m->flags & MS_BIND) && m->source[0] != '/') {
		size_t n = strlen(bundle) + strlen(m->source) + 2;
		char *abs = oci_alloc(c, n, 1);

		if (!abs)
			return berr_msg(e, ENOMEM, "%s: out of memory", where);
		snprintf(abs, n, "%s/%s", bundle, m->source);
		m->source = abs;
	}
	return oci_parse_idmount(c, v, i, idmap, e);
}

static int parse_mounts(struct oci_config *c, json_t *top, const char *bundle, struct berr *e)
{
	json_t *a, *v;
	size_t i;
	int r = oci_get_arr(top, "", "mounts", &a, e);

	if (r < 0)
		return r;
	if (!a) { /* no mounts at all, not the sandbox's defaults */
		c->mounts = oci_alloc(c, 1, sizeof(*c->mounts));
		return c->mounts ? 0 : berr_msg(e, ENOMEM, "mounts: out of memory");
	}
	if (json_array_size(a) > OCI_MAX_MOUNTS)
		return berr_msg(e, E2BIG, "mounts: more than %d", OCI_MAX_MOUNTS);
	c->mounts = oci_alloc(c, json_array_size(a), sizeof(*c->mounts));
	if (!c->mounts)
		return berr_msg(e, ENOMEM, "mounts: out of memory");
	json_array_foreach(a, i, v) {
		r = parse_mount(c, v, (int)i, bundle, &c->mounts[i], e);
		if (r < 0)
			return r;
	}
	c->nmounts = (int)json_array_size(a);
	return 0;
}

static int parse_top(struct oci_config *c, const char *bundle, struct berr *e)
{
	const char *version = NULL, *domain = NULL;
	json_t *proc, *lx;
	int r = oci_get_str(c->json, "", "ociVersion", &version, e);

	if (r == 0)
		r = oci_get_str(c->json, "", "hostname", &c->hostname, e);
	if (r == 0)
		r = oci_get_str(c->json, "", "domainname", &domain, e);
	if (r == 0)
		r = oci_get_obj(c->json, "", "process", &proc, e);
	if (r == 0)
		r = oci_get_obj(c->json, "", "linux", &lx, e);
	if (r < 0)
		return r;
	if (!version || strncmp(version, "1.", 2) != 0)
		return berr_msg(e, EINVAL, "ociVersion: %s%s%s is not 1.x", version ? "\"" : "",
				version ? version : "missing", version ? "\"" : "");
	if (!proc)
		return berr_msg(e, EINVAL, "process: missing");
	if (domain && *domain)
		oci_warn(c, "domainname is ignored");
	r = oci_process_parse(c, proc, &c->proc, e);
	if (r == 0)
		r = parse_root(c, c->json, bundle, e);
	if (r == 0)
		r = parse_mounts(c, c->json, bundle, e);
	if (r == 0)
		r = parse_hooks(c, c->json, e);
	if (r == 0)
		r = oci_parse_linux(c, lx, e);
	if (r == 0)
		r = oci_idmounts_check(c, e);
	return r;
}

int oci_config_parse(const char *text, size_t len, const char *bundle, struct oci_config *c,
		     struct berr *e)
{
	json_error_t je;
	int r;

	memset(c, 0, sizeof(*c));
	c->json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!c->json)
		return berr_msg(e, EINVAL, "line %d: %s", je.line, je.text);
	if (!json_is_object(c->json)) {
		oci_config_free(c);
		return berr_msg(e, EINVAL, "not a JSON object");
	}
	r = parse_top(c, bundle, e);
	if (r < 0)
		oci_config_free(c);
	return r;
}

void oci_config_free(struct oci_config *c)
{
	for (int i = 0; i < c->nallocs; i++)
		free(c->allocs[i]);
	free(c->allocs);
	json_decref(c->json);
	memset(c, 0, sizeof(*c));
}

void oci_process_spec(const struct oci_process *p, struct sb_spec *s)
{
	s->argv = p->args;
	s->env = p->env;
	s->cwd = p->cwd;
	s->user = p->user;
	s->tty = p->terminal;
	s->caps = p->caps;
	s->no_new_privs = p->no_new_privs;
	s->rlimits = p->rlimits;
	s->nrlimits = p->nrlimits;
	s->extra_gids = p->gids;
	s->nextra_gids = p->ngids;
	s->set_oom_score_adj = p->has_oom_score_adj;
	s->oom_score_adj = p->oom_score_adj;
}

void oci_config_spec(const struct oci_config *c, struct sb_spec *s)
{
	oci_process_spec(&c->proc, s);
	s->hostname = c->hostname;
	s->rootfs = c->rootfs;
	s->read_only = c->root_readonly;
	s->limits = c->limits;
	s->namespaces = c->namespaces;
	s->joins = c->joins;
	s->njoins = c->njoins;
	s->uid_map = c->uid_map;
	s->gid_map = c->gid_map;
	s->nuid_map = c->nuid_map;
	s->ngid_map = c->ngid_map;
	s->fsmounts = c->mounts;
	s->nfsmounts = c->nmounts;
	s->devices = c->devices;
	s->ndevices = c->ndevices;
	s->masked_paths = c->masked;
	s->readonly_paths = c->readonly;
	s->sysctls = c->sysctls;
	s->rootfs_propagation = c->rootfs_propagation;
	s->devices_allow_all = c->devices_allow_all;
}
