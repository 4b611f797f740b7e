/* cli_ctr.h - the container verbs of the CLI that read what the supervisor
 * recorded or pass short requests to it: ps (cli_ps.c), logs, inspect,
 * port, rm and stop; and the lookup of a container by name or ID that every verb uses.
 * run and create are in cli_run.h, attach in cli_attach.h, exec, top and
 * stats in cli_exec.h. */
#ifndef BERTH_CLI_CTR_H
#define BERTH_CLI_CTR_H

#include <stdbool.h>

#include "flags.h"
#include "runtime/container/container.h"
#include "runtime/lib/err.h"

extern const struct flg_cmd cli_rm_cmd, cli_stop_cmd, cli_ps_cmd, cli_logs_cmd, cli_inspect_cmd,
	cli_port_cmd;

/* Exact ID, exact name or unique ID prefix; prints Docker's error. */
BERR_MUST int cli_find_container(const char *root, const char *ref, char id[CTR_ID_LEN + 1]);

/* A generated "adjective_name" no container has yet (after ten tries, the
 * last one: the supervisor's create then says it is taken). */
void cli_new_name(const char *root, char *buf, size_t size);

/* cli_find_container, then its config (freed with ctr_config_free) and,
 * when s is not NULL, its state; -1 after printing the error. */
BERR_MUST int cli_load_container(const char *root, const char *ref, char id[CTR_ID_LEN + 1],
				 struct ctr_config *c, struct ctr_state *s);

/* True if any container (running or not) was made from image_id; ctx is
 * the root. For `rmi`, which Docker refuses for such images. */
bool cli_image_in_use(const char *image_id, void *root);

int cli_ps(const char *root, int argc, char **argv);
int cli_rm(const char *root, int argc, char **argv);
/* Wait until ref has exited (or is gone): a `wait` request, answered at
 * the exit; its answer is not needed. */
void cli_wait_down(const char *root, const char *ref);
/* `stop`: answered once each container is down, as Docker's. */
int cli_stop(const char *root, int argc, char **argv);
int cli_logs(const char *root, int argc, char **argv);
int cli_inspect(const char *root, int argc, char **argv);
/* `port CONTAINER [PORT[/PROTO]]`: "80/tcp -> 0.0.0.0:8080" per published
 * port while it runs, or "0.0.0.0:8080" for the one asked. */
int cli_port(const char *root, int argc, char **argv);

#endif
