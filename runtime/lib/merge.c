/* merge.c - a container's command from the image's config and the run
 * flags; see merge.h. */
#include "merge.h"

#include <errno.h>

static int add_all(struct strv *out, char *const *v)
{
	for (; v && *v; v++) {
		if (strv_add(out, *v) < 0)
			return -ENOMEM;
	}
	return 0;
}

int merge_argv(const char *entrypoint, char *const *img_entrypoint, char *const *img_cmd,
	       int argc, char *const *argv, struct strv *out)
{
	int r = 0;

	if (entrypoint) {
		if (*entrypoint)
			r = strv_add(out, entrypoint);
	} else {
		r = add_all(out, img_entrypoint);
	}
	if (r == 0 && argc > 0) {
		for (int i = 0; r == 0 && i < argc; i++)
			r = strv_add(out, argv[i]);
	} else if (r == 0 && !entrypoint) {
		r = add_all(out, img_cmd);
	}
	if (r < 0)
		return r;
	return out->n > 0 ? 0 : -EINVAL;
}
