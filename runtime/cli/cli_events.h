/* cli_events.h - `berth events`, and what the CLI's own verbs (images,
 * volumes: the stores only the CLI touches) tell the supervisor's event
 * ring. */
#ifndef BERTH_CLI_EVENTS_H
#define BERTH_CLI_EVENTS_H

#include "flags.h"

extern const struct flg_cmd cli_events_cmd;
int cli_events(const char *root, int argc, char **argv);

/* Record an image or volume event (TYPE ACTION ID, one optional
 * "KEY=VALUE"), best effort: a supervisor that cannot be reached, or that
 * refuses, changes nothing for the caller and prints nothing. */
void cli_events_note(const char *root, const char *type, const char *action, const char *id,
		     const char *attr);

/* An image event with ID the image's ID (ref resolved when it can be) and
 * the attribute name=NAME (tag). Not while the image store is locked. */
void cli_events_image(const char *root, const char *action, const char *ref, const char *name);

#endif
