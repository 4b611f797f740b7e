/* cli_prune.h - housekeeping: container prune, image prune [-a], volume
 * prune [-a], system prune [-a] [--volumes], system df [-v], with
 * Docker's prompts, output and "Total reclaimed space". Sizes are what
 * the files take (their apparent sizes): a container's upper layer, a
 * volume's data, the image store before and after. */
#ifndef BERTH_CLI_PRUNE_H
#define BERTH_CLI_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "flags.h"
#include "runtime/container/container.h"

extern const struct flg_cmd cli_container_prune_cmd, cli_image_prune_cmd, cli_volume_prune_cmd,
    cli_system_prune_cmd, cli_system_df_cmd;

/* The apparent size of the files under path (0 when it is not there). */
uint64_t cli_du(const char *path);
/* The apparent size of a container's writable layer (ps --size). */
uint64_t cli_ctr_size(const char *root, const char *id);

/* The subcommands' run functions take the root as ctx (flags.h). */
/* Every container with its config and state; *n of them (malloc'd,
 * cli_ctrs_free). */
struct pr_ctr {
	struct ctr_config c;
	struct ctr_state s;
};
struct pr_ctr *cli_ctrs_load(const char *root, size_t *n);
void cli_ctrs_free(struct pr_ctr *list, size_t n);

/* Docker's prompt ("Are you sure you want to continue? [y/N]") after
 * warning; force answers yes. */
bool cli_prune_confirm(bool force, const char *warning);
int cli_container_prune(void *root, int argc, char **argv);
int cli_image_prune(void *root, int argc, char **argv);
int cli_volume_prune(void *root, int argc, char **argv);
int cli_system_prune(void *root, int argc, char **argv);
int cli_system_df(void *root, int argc, char **argv);

#endif
