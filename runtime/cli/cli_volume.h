/* cli_volume.h - `berth volume`, `berth info`, and the mounts of `run`. */
#ifndef BERTH_CLI_VOLUME_H
#define BERTH_CLI_VOLUME_H

#include "flags.h"
#include "runtime/container/container.h"
#include "runtime/lib/err.h"

extern const struct flg_cmd cli_volume_cmd, cli_info_cmd;

/* berth volume create [NAME] | ls [-q] | inspect [-f T] NAME... | rm [-f] NAME... */
int cli_volume(const char *root, int argc, char **argv);
/* berth info: Docker's summary of the containers, images and host. */
int cli_info(const char *root, int argc, char **argv);

/* c->mounts from the -v specs and the image's VOLUMEs (each not covered
 * by a -v gets an anonymous volume), creating volumes as needed. Prints
 * one error and returns -1 on bad input. */
BERR_MUST int cli_volume_mounts(const char *root, char *const *specs, int n,
				char *const *image_volumes, struct ctr_config *c);

/* IDs of the containers (any state) that mount volume name; -ENOMEM when
 * the list is not whole. */
struct strv;
BERR_MUST int cli_volume_users(const char *root, const char *name, struct strv *ids);

/* The anonymous volumes made for c, when PID 1 refused the container. */
void cli_volume_forget_anon(const char *root, const struct ctr_config *c);

#endif
