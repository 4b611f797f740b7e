/* client.h - the CLI's side of the control FIFO. */
#ifndef BERTH_CLIENT_H
#define BERTH_CLIENT_H

/* Send argv as one request to the supervisor under root ("" = appliance),
 * copy the reply to stdout (error lines to stderr) and return the status
 * the supervisor gave, or 1 with a message when it cannot be reached. */
int client_call(const char *root, int argc, char *const argv[]);

#endif
