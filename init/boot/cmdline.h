/* cmdline.h - the appliance's `berth.*` kernel command-line parameters.
 *
 * The kernel drops dotted parameters from init's argv and environment, so
 * PID 1 reads /proc/cmdline itself. Unknown berth.* keys and bad values are
 * reported through the warn callback and ignored; boot goes on.
 */
#ifndef BERTH_CMDLINE_H
#define BERTH_CMDLINE_H

#include <stdbool.h>

enum console_mode { CONSOLE_SHELL, CONSOLE_RESTRICTED, CONSOLE_NONE };
enum ip_mode { IP_DHCP, IP_STATIC, IP_NONE };

struct boot_params {
	enum console_mode console;
	enum ip_mode ip_mode;
	char ip_cidr[64];	/* berth.ip=ADDR/PREFIX,GATEWAY */
	char ip_gateway[64];
	char bridge_cidr[64];	/* berth.bridge=ADDR/PREFIX, default 172.17.0.1/16 */
	char data[128];		/* berth.data=LABEL or /dev/..., default berth-data */
	bool debug;
	int watchdog;		/* seconds, 0 = off */
	char compose[256];	/* berth.compose=PATH|none, default /etc/berth/compose.yaml */
	int update_grace;	/* berth.update-grace=SECONDS, default 60 (bless.h) */
	int update_timeout;	/* berth.update-timeout=SECONDS, 0: the mark-good child's default */
};

typedef void (*cmdline_warn_fn)(void *ctx, const char *msg);

void cmdline_defaults(struct boot_params *p);
/* Parse a whole command line. Returns the number of warnings issued. */
int cmdline_parse(const char *cmdline, struct boot_params *p, cmdline_warn_fn warn, void *ctx);

#endif
