/* cli_network.h - `berth network` (create, ls, inspect, rm, prune; Docker's
 * flags, output and exit codes) and run's --network NAME, --ip and
 * --network-alias. The supervisor creates and removes networks
 * (init/supervisor/networks.c); runtime/net/network.h is what one is. */
#ifndef BERTH_CLI_NETWORK_H
#define BERTH_CLI_NETWORK_H

#include "flags.h"
#include "runtime/container/container.h"
#include "runtime/compose/compose.h"
#include "runtime/lib/strv.h"
#include "runtime/net/network.h"

extern const struct flg_cmd cli_network_cmd;
/* network connect, network disconnect (cli_netconn.c) */
extern const struct flg_cmd cli_net_connect_cmd, cli_net_disconnect_cmd;

int cli_network(const char *root, int argc, char **argv);

/* c->network is set: on a user network, check that it exists and that ip
 * (--ip, may be NULL) is in its subnet, and put ip and aliases
 * (--network-alias) into c; on the others refuse them as Docker does.
 * nets: every --network given; the second and later ones (NAME or
 * name=NET,alias=A,ip=IP) become c->xnets (cli_network_run_more). 0, or
 * 125 after printing the error. */
BERR_MUST int cli_network_run_config(const char *root, const char *ip,
				     const struct strv *aliases, const struct strv *nets,
				     struct ctr_config *c);
BERR_MUST int cli_network_run_more(const char *root, const struct strv *nets,
				   struct ctr_config *c);

/* ip (may be NULL) is a host of d's subnet; -1 after Docker's error. */
BERR_MUST int cli_network_ip_check(const struct net_def *d, const char *ip);
/* Neither ip nor aliases given (on a network that is not a user one);
 * else -1 after Docker's error. */
BERR_MUST int cli_network_not_user(const char *ip, int naliases);

/* c is on further network name; inspect's NetworkSettings.Networks
 * entries of c's further networks (their addresses while it runs). */
struct json_t;
bool cli_network_on(const struct ctr_config *c, const char *name);
void cli_network_xnets_json(const char *root, const struct ctr_config *c,
			    const struct ctr_state *s, struct json_t *nets);

/* The project's networks the services want[] join (PROJECT_default, or
 * those of their networks: key), labelled with the project: made if
 * missing before `compose up` starts them (0, or 1 after the error; an
 * external one must exist); removed by `compose down` once the
 * containers are gone (external ones stay). Each says so as Compose does. */
BERR_MUST int cli_network_compose_up(const char *root, const char *project,
				     const struct compose_file *f, const bool *want);
void cli_network_compose_down(const char *root, const char *project);

#endif
