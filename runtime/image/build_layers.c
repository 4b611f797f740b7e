/* build_layers.c - the layers of the image a build works on: finding a
 * path in them (through whiteouts), adding a directory as a new layer,
 * scratch directories; see build_priv.h. */
#include "build_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image.h"
#include "layer.h"
#include "runtime/lib/strv.h"

/* ---------------------------------------------------------------- layers */

/* The unpacked layer directories, lowest first. */
char **lower_dirs(struct builder *b, size_t *n)
{
	json_t *ids = diff_ids(b), *v;
	char **dirs = calloc(json_array_size(ids) + 1, sizeof(char *));
	size_t i;

	*n = 0;
	json_array_foreach(ids, i, v)
	{
		const char *d = json_string_value(v);
		if (!dirs || !dg_valid(d) ||
		    asprintf(&dirs[i], "%s/layers/%s", b->store, dg_hex(d)) < 0) {
			strv_freev(dirs);
			return NULL;
		}
		*n = i + 1;
	}
	return dirs;
}

/* Does a parent of rel in this layer dir hide what lower layers hold
 * (a whiteout, an opaque directory)? */
static bool hidden_below(const char *layer, const char *rel)
{
	char p[PATH_MAX], v[4];
	size_t base = strlen(layer) + 1;
	struct stat s;

	snprintf(p, sizeof(p), "%s/%s", layer, rel);
	for (char *slash = strchr(p + base, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (lstat(p, &s) == 0) {
			if (S_ISCHR(s.st_mode) && s.st_rdev == 0)
				return true;
			if (S_ISDIR(s.st_mode) &&
			    lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v) - 1) == 1 && v[0] == 'y')
				return true;
		}
		*slash = '/';
	}
	return false;
}

/* Does the image (its layers, top down) have rel ("etc/passwd")? A
 * whiteout in a higher layer hides it. found gets the host path. */
bool image_lookup(struct builder *b, const char *rel, struct stat *sb, char *found, size_t size)
{
	size_t n;
	char **dirs = lower_dirs(b, &n);
	bool ok = false;

	for (size_t i = n; dirs && i-- > 0 && !ok;) {
		char p[PATH_MAX], wh[PATH_MAX];
		const char *base = strrchr(rel, '/');
		struct stat s;

		snprintf(wh, sizeof(wh), "%s/%.*s.wh.%s", dirs[i],
			 base ? (int)(base - rel + 1) : 0, rel, base ? base + 1 : rel);
		if (lstat(wh, &s) == 0)
			break;
		snprintf(p, sizeof(p), "%s/%s", dirs[i], rel);
		if (lstat(p, &s) == 0) {
			if (S_ISCHR(s.st_mode) && s.st_rdev == 0)
				break; /* an overlay whiteout */
			ok = true;
			if (sb)
				*sb = s;
			if (found)
				snprintf(found, size, "%s", p);
		} else if (hidden_below(dirs[i], rel)) {
			break;
		}
	}
	strv_freev(dirs);
	return ok;
}

/* Tar the directory into a new layer of the store and add it to the
 * state. */
int add_layer_excluding(struct builder *b, const char *dir, const char *const *exclude)
{
	char tar[PATH_MAX];
	_cleanup_json_ json_t *desc = NULL;
	int fd, r;

	snprintf(tar, sizeof(tar), "%s/layer-%d.tar", b->tmp, ++b->seq);
	fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_set(b->e, errno, "create %s", tar);
	r = layer_tar_dir_excluding(dir, fd, b->clamp, exclude, b->e);
	close(fd);
	if (r == 0)
		r = img_add_layer(b->o->root, tar, &desc, b->e);
	unlink(tar);
	if (r < 0)
		return r;
	if (json_array_append(b->st.layers, desc) < 0 ||
	    json_array_append_new(diff_ids(b),
				  json_string(json_string_value(json_object_get(desc, "digest")))) <
		0)
		return berr_set(b->e, ENOMEM, "build");
	return 0;
}

int add_layer_from(struct builder *b, const char *dir)
{
	return add_layer_excluding(b, dir, NULL);
}

int new_scratch_dir(struct builder *b, const char *what, char *out, size_t size)
{
	snprintf(out, size, "%s/%s-%d", b->tmp, what, ++b->seq);
	if (mkdir(out, 0755) < 0)
		return berr_set(b->e, errno, "create %s", out);
	return 0;
}
