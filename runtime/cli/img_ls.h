/* img_ls.h - `berth images` (and `image ls`): the image store's rows,
 * filtered (--filter reference, dangling, label, before, since) and
 * printed as docker images does: a table, --digests, --format json or a
 * Go template, -q. */
#ifndef BERTH_IMG_LS_H
#define BERTH_IMG_LS_H

#include "flags.h"

extern const struct flg img_ls_flags[];

/* The verb under the path c names (images, image ls). */
int img_ls_run(const struct flg_cmd *c, const char *root, int argc, char **argv);

#endif
