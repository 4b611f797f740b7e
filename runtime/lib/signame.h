/* signame.h - signals by name, as Docker and runc take them: "KILL",
 * "SIGKILL", "sigkill" or "9". Pure libc. */
#ifndef BERTH_SIGNAME_H
#define BERTH_SIGNAME_H

/* The signal s names, or 0 when it names none (numbers 1..NSIG-1). */
int sig_parse(const char *s);

/* "SIGTERM" for 15; NULL for a number without a name. */
const char *sig_name(int sig);

#endif
