/* passwd.h - resolve a container user spec in its /etc/passwd and /etc/group.
 *
 * Pure libc (no NSS: getpwnam would read the host's files), so it is unit
 * tested. Semantics follow Docker: "" is root; "name" or "uid", optionally
 * ":group" or ":gid"; a numeric uid that passwd does not know is still
 * valid (gid 0, HOME /), a name that it does not know is an error.
 * Supplementary groups are the groups that list the user by name, plus its
 * primary group.
 */
#ifndef BERTH_PASSWD_H
#define BERTH_PASSWD_H

#include <sys/types.h>

#include "runtime/lib/err.h"

#define PW_GROUPS_MAX 64

struct pw_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[PW_GROUPS_MAX];
	int ngroups;
	char home[256];
};

/* Resolve spec against the given files (missing files are empty). */
BERR_MUST int pw_resolve(const char *passwd_path, const char *group_path, const char *spec,
			 struct pw_ids *ids, struct berr *e);

#endif
