/* cli_ctr.h - the container verbs of the CLI (run, create, ps, logs,
 * inspect). They do the risky parsing (image configs, flags) in the CLI
 * process and leave PID 1 only small files and short requests. */
#ifndef BERTH_CLI_CTR_H
#define BERTH_CLI_CTR_H

#include <stdbool.h>

#include "runtime/container/container.h"

/* Exact ID, exact name or unique ID prefix; prints Docker's error. */
int cli_find_container(const char *root, const char *ref, char id[CTR_ID_LEN + 1]);

/* True if any container (running or not) was made from image_id; ctx is
 * the root. For `rmi`, which Docker refuses for such images. */
bool cli_image_in_use(const char *image_id, void *root);

int cli_run(const char *root, int argc, char **argv);	/* run and create */
/* `attach CONTAINER`: join a running container's stdio until it exits. */
int cli_attach(const char *root, int argc, char **argv);
/* `run -d` for `berth compose`: the new container's ID into id, not stdout. */
int cli_run_id(const char *root, int argc, char **argv, char id[CTR_ID_LEN + 1]);
int cli_exec(const char *root, int argc, char **argv);
int cli_top(const char *root, int argc, char **argv);
int cli_stats(const char *root, int argc, char **argv);
int cli_ps(const char *root, int argc, char **argv);
int cli_rm(const char *root, int argc, char **argv);
/* Wait until ref has exited (or is gone): a `wait` request, answered at
 * the exit; its answer is not needed. */
void cli_wait_down(const char *root, const char *ref);
/* `stop`: answered once each container is down, as Docker's. */
int cli_stop(const char *root, int argc, char **argv);
int cli_logs(const char *root, int argc, char **argv);
int cli_inspect(const char *root, int argc, char **argv);
/* `port CONTAINER`: "80/tcp -> 0.0.0.0:8080" per published port while it runs. */
int cli_port(const char *root, int argc, char **argv);

#endif
