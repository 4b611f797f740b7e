/* compose_boot.h - the appliance's workload at boot.
 *
 * Early in boot PID 1 starts `berth compose -f /etc/berth/compose.yaml
 * up -d` (or the file berth.compose= names) in a child, with BERTH_COMPOSE_WAIT set: it reads the file while
 * PID 1 brings the network up, then waits until the supervisor answers
 * before it asks for anything. Parsing the file and making the containers
 * happen outside PID 1's address space and never block its loop. The child relays every line that command prints to the console
 * and to /dev/kmsg, prefixed "berth compose: ", and ends with
 * "berth compose: up finished (exit N)".
 */
#ifndef BERTH_COMPOSE_BOOT_H
#define BERTH_COMPOSE_BOOT_H

/* Start it for FILE (berth.compose=, default /etc/berth/compose.yaml) if
 * the file exists; "none" starts nothing. Marks the "compose" milestone. */
void compose_boot_spawn(const char *file);

#endif
