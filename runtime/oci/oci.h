/* oci.h - berth as an OCI runtime: runc's command line (`berth oci VERB`,
 * or berth called as "runc"), one-shot processes, no daemon and no shim.
 *
 * containerd's runc shim, podman/conmon and k3s drive it as they drive
 * runc: create leaves the container's init waiting on ROOT/ID/exec.fifo
 * (as a child of the caller's subreaper, once this process exits), start
 * releases it, state/kill/delete/exec/ps/pause/resume/update act on the
 * state kept under --root (default /run/berth-oci). The container itself
 * is built by the sandbox (runtime/sandbox) from the spec that
 * oci_config.h makes of config.json: the same code as `berth run`.
 * docs/oci-runtime.md is the user's description.
 */
#ifndef BERTH_OCI_H
#define BERTH_OCI_H

#include <stdbool.h>

/* Is this process the OCI runtime? Called as "runc" or "*-runc" (a
 * symlink, e.g. berth-runc), or given one of runc's global flags that
 * berth's own CLI does not have (--log, --log-format, --systemd-cgroup)
 * before the verb: containerd's runc shim always passes --log and
 * --log-format, so it can run build/berth as it is. */
bool oci_invoked(int argc, char **argv);

/* argv[0] is "oci" (berth oci ...) or "runc"; full_argv is the
 * process's whole argv (for selfexe_seal). Returns the exit code. */
int oci_main(int argc, char **argv, char **full_argv);

#endif
