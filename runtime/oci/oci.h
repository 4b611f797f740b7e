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

/* argv[0] is "oci" (berth oci ...) or "runc"; full_argv is the
 * process's whole argv (for selfexe_seal). Returns the exit code. */
int oci_main(int argc, char **argv, char **full_argv);

#endif
