/* cli_compose.h - `berth compose [-f FILE] [-p PROJECT] up|down|ps|restart|
 * stop|start|config`: the services of a Compose file (compose.h) as
 * containers made by the same code as `berth run -d`. */
#ifndef BERTH_CLI_COMPOSE_H
#define BERTH_CLI_COMPOSE_H

#include "flags.h"

extern const struct flg_cmd cli_compose_cmd;

int cli_compose(const char *root, int argc, char **argv);

#endif
