/* oci_idmap.c - idmapped bind mounts: a mount's "idmap"/"ridmap" option
 * or its own uidMappings/gidMappings (runtime spec 1.1). Files of the
 * source owned by an id I (on disk) appear owned by the id that the maps
 * give for containerID I: the mount's maps, or without them the
 * container's user namespace's, so that files owned by root on the host
 * belong to the container's root.
 *
 * The runtime makes each one before sb_start: a scratch user namespace
 * with the maps, then open_tree + mount_setattr(MOUNT_ATTR_IDMAP) of the
 * source (runtime/sandbox/userns.h); the container's init attaches that
 * detached clone at the target instead of cloning the source itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "oci_priv.h"
#include "runtime/sandbox/userns.h"

int oci_parse_idmount(struct oci_config *c, json_t *v, int i, int idmap, struct berr *e)
{
	struct oci_idmount *m;
	struct sb_idmap *uid = NULL, *gid = NULL;
	char where[32];
	int nuid = 0, ngid = 0;
	int r;

	snprintf(where, sizeof(where), "mounts[%d]", i);
	r = oci_parse_map(c, v, where, "uidMappings", &uid, &nuid, e);
	if (r == 0)
		r = oci_parse_map(c, v, where, "gidMappings", &gid, &ngid, e);
	if (r < 0 || (!idmap && !nuid && !ngid))
		return r;
	if (!(c->mounts[i].flags & MS_BIND))
		return berr_msg(e, EINVAL, "%s: an idmapped mount must be a bind mount", where);
	if (!nuid != !ngid)
		return berr_msg(e, EINVAL, "%s: an idmapped mount needs both uidMappings and "
					   "gidMappings", where);
	if (!c->idmounts)
		c->idmounts = oci_alloc(c, OCI_MAX_MOUNTS, sizeof(*c->idmounts));
	if (!c->idmounts)
		return berr_msg(e, ENOMEM, "%s: out of memory", where);
	m = &c->idmounts[c->nidmounts++];
	*m = (struct oci_idmount){i, idmap == 2, uid, gid, nuid, ngid};
	return 0;
}

int oci_idmounts_check(struct oci_config *c, struct berr *e)
{
	for (int k = 0; k < c->nidmounts; k++) {
		struct oci_idmount *m = &c->idmounts[k];

		if (m->nuid)
			continue;
		if (!c->nuid_map)
			return berr_msg(e, EINVAL,
					"mounts[%d]: idmap needs uidMappings and gidMappings, or "
					"a user namespace with maps", m->index);
		*m = (struct oci_idmount){m->index, m->recursive, c->uid_map, c->gid_map,
					  c->nuid_map, c->ngid_map};
	}
	return 0;
}

int oci_idmounts_open(const struct oci_config *c, int *fds, struct berr *e)
{
	int r = 0;

	for (int i = 0; i < OCI_MAX_MOUNTS; i++)
		fds[i] = -1;
	for (int k = 0; r == 0 && k < c->nidmounts; k++) {
		const struct oci_idmount *m = &c->idmounts[k];
		struct sb_spec maps = {.uid_map = m->uid, .gid_map = m->gid, .nuid_map = m->nuid,
				       .ngid_map = m->ngid};
		const char *src = c->mounts[m->index].source;
		int nsfd = -1;

		r = uns_scratch(&maps, &nsfd, e);
		if (r < 0)
			berr_set(e, -r, "user namespace for the idmapped mount of %s", src);
		else
			r = uns_idmap_tree(src, nsfd, m->recursive, &fds[m->index], e);
		if (nsfd >= 0)
			close(nsfd);
		if (r < 0)
			berr_wrap(e, "mounts[%d]", m->index);
	}
	return r;
}
