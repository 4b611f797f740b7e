/* oci_hooks.h - run a config's hooks of one kind, in order, each with the
 * container's state JSON on its stdin, as the runtime spec says; a
 * timeout kills the hook. prestart, createRuntime, poststart and
 * poststop run in the runtime's namespaces; createContainer and
 * startContainer in the container's init (oci_child.c).
 */
#ifndef BERTH_OCI_HOOKS_H
#define BERTH_OCI_HOOKS_H

#include <jansson.h>

#include "runtime/lib/err.h"

/* hooks: config.json's "hooks" object; kind: "prestart", ... A failing
 * hook (start failure, non-zero exit, timeout) is -errno with e naming it.
 * root_fd >= 0: each hook runs chrooted there (a directory fd). */
BERR_MUST int oci_hooks_run(json_t *hooks, const char *kind, json_t *state, int root_fd,
			    struct berr *e);

#endif
