/* cli_run_userns.c - `run --userns` and daemon.json's userns-remap for a
 * new container: its maps, its layers presented with their owners
 * (idmapped mounts where the layers' filesystem takes them, otherwise
 * remapped copies), its volumes handed to the mapped root, and the
 * directories on the way to them made passable for it (others' x bit,
 * as Docker makes its root 0711 when it remaps). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_run_priv.h"
#include "runtime/container/remap.h"
#include "runtime/image/layer_remap.h"
#include "runtime/sandbox/userns.h"

/* Every directory from path's parent up to root gets the others' x bit. */
static void make_passable(const char *root, const char *path)
{
	char p[4096];
	size_t rl = strlen(root);
	struct stat st;
	char *slash;

	snprintf(p, sizeof(p), "%s", path);
	while ((slash = strrchr(p, '/')) && (size_t)(slash - p) >= rl && slash != p) {
		*slash = '\0';
		if (stat(p, &st) == 0 && !(st.st_mode & S_IXOTH))
			berr_ignore(
			    chmod(p, (st.st_mode & 07777) | S_IXOTH)); /* then EACCES says it */
	}
	if (rl > 1 && stat(root, &st) == 0 && !(st.st_mode & S_IXOTH))
		berr_ignore(chmod(root, (st.st_mode & 07777) | S_IXOTH));
}

static bool empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return d && n == 0;
}

static char **map_lines(const struct sb_idmap *m, int n)
{
	char **v = calloc(n + 1, sizeof(*v));

	for (int i = 0; v && i < n; i++) {
		char t[UNS_MAP_TEXT];

		uns_map_format(&m[i], t);
		v[i] = strdup(t);
		if (!v[i]) {
			strv_freev(v);
			return NULL;
		}
	}
	return v;
}

/* Idmapped mounts when every layer's filesystem takes them
 * (BERTH_USERNS_COPY=1 asks for copies anyway), else copies. */
static int present_layers(const char *root, const struct remap *m, struct ctr_config *c,
			  struct berr *e)
{
	const struct layer_maps lm = {m->uid, m->gid, m->nuid, m->ngid};
	const char *force = getenv("BERTH_USERNS_COPY");
	char copy[4096];

	c->idmap_layers = !(force && !strcmp(force, "1"));
	for (char **l = c->layers; c->idmap_layers && l && *l; l++)
		c->idmap_layers = !**l || uns_idmap_supported(*l);
	for (char **l = c->layers; l && *l; l++) {
		if (!**l)
			continue;
		if (!c->idmap_layers) {
			char *dup;
			int r = layer_remap(root, *l, &lm, copy, sizeof(copy), e);

			if (r < 0)
				return r;
			dup = strdup(copy);
			if (!dup)
				return berr_set(e, ENOMEM, "layers");
			free(*l);
			*l = dup;
		}
		make_passable(root, *l);
	}
	return 0;
}

/* A volume still root's and empty becomes the mapped root's. */
static void own_volumes(const char *root, const struct remap *m, struct ctr_config *c)
{
	uint32_t uid, gid;
	struct stat st;

	uns_map_host(m->uid, m->nuid, 0, &uid);
	uns_map_host(m->gid, m->ngid, 0, &gid);
	for (int i = 0; i < c->nmounts; i++) {
		const char *src = c->mounts[i].source;

		if (!c->mounts[i].name || stat(src, &st) < 0)
			continue;
		if (st.st_uid == 0 && empty_dir(src))
			berr_ignore(chown(src, uid, gid)); /* else it stays root's: EACCES inside */
		make_passable(root, src);
	}
}

/* Which mapping, if any: --userns host, remap (the daemon's user, or
 * dockremap), or the daemon's default. */
static int userns_setting(const char *root, const struct run_opts *o, char *set, size_t size,
			  struct berr *e)
{
	int r = remap_setting(root, set, size, e);

	if (r < 0 || !o->userns || !*o->userns)
		return r;
	if (!strcmp(o->userns, "host")) {
		set[0] = '\0';
		return 0;
	}
	if (strcmp(o->userns, "remap"))
		return berr_msg(e, EINVAL, "--userns: invalid USER mode \"%s\" (host or remap)",
				o->userns);
	if (!set[0])
		snprintf(set, size, "default");
	return 0;
}

int cli_run_userns(const char *root, const struct run_opts *o, struct ctr_config *c)
{
	struct remap m;
	struct berr e;
	char set[128];
	int r = userns_setting(root, o, set, sizeof(set), &e);

	if (r == 0 && set[0] && c->privileged)
		r = berr_msg(&e, EINVAL,
			     "privileged mode is incompatible with user namespaces.  You must run "
			     "the container in the host namespace when running privileged mode "
			     "(--userns=host)");
	if (r == 0 && set[0] && c->network && !strcmp(c->network, "host"))
		r = berr_msg(&e, EINVAL,
			     "Cannot share the host's network namespace when user "
			     "namespaces are enabled (--userns=host)");
	if (r == 0 && set[0])
		r = remap_resolve(root, set, &m, &e);
	if (r == 0 && set[0])
		r = present_layers(root, &m, c, &e);
	if (r < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 125;
	}
	if (!set[0])
		return 0;
	own_volumes(root, &m, c);
	{
		char dir[512];

		ctr_dir(root, c->id, dir, sizeof(dir));
		make_passable(root, dir);
	}
	c->uid_map = map_lines(m.uid, m.nuid);
	c->gid_map = map_lines(m.gid, m.ngid);
	if (!c->uid_map || !c->gid_map) {
		fprintf(stderr, "berth: out of memory\n");
		return 125;
	}
	return 0;
}
