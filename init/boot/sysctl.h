/* sysctl.h - the files in /etc/sysctl.d, as sysctl(8) and systemd-sysctl read it.
 *
 * Lines are `key = value`; '#' and ';' start comments; a key may use dots or
 * slashes; a leading '-' on the key means a failure to write it is not an
 * error. Files apply in lexical order of their names.
 */
#ifndef BERTH_SYSCTL_H
#define BERTH_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/err.h"

struct sysctl_entry {
	char *key;
	char *value;
	bool ignore_failure;
};

/* Parse one line in place: 1 for an entry, 0 for blank/comment, -EINVAL
 * (reason in e) for a malformed line. */
BERR_MUST int sysctl_parse_line(char *line, struct sysctl_entry *ent, struct berr *e);

/* "net.ipv4.ip_forward" -> "<root>/net/ipv4/ip_forward". 0 or -ENAMETOOLONG/-EINVAL. */
BERR_MUST int sysctl_key_path(const char *root, const char *key, char *buf, size_t size);

struct sysctl_hooks {
	/* Called once when a net.bridge.* key is missing; returns 0 if it
	 * loaded br_netfilter (the write is then retried). */
	int (*load_br_netfilter)(void *ctx);
	void (*report)(void *ctx, const char *msg); /* one line per problem */
	void *ctx;
};

struct sysctl_stats {
	int applied, failed, bad_lines;
};

/* Apply every *.conf in dir to the tree at proc_sys (normally /proc/sys). */
void sysctl_apply_dir(const char *dir, const char *proc_sys, const struct sysctl_hooks *hooks,
		      struct sysctl_stats *st);

#endif
