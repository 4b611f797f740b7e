/* progress.h - Docker's pull output: one line per layer ("a2abf6c4d29d:
 * Pulling fs layer", "Downloading [====>   ]  1.2MB/4.5MB", "Pull
 * complete"), redrawn in place on a terminal; on anything else only the
 * status changes, one plain line each (no progress bars). Quiet: nothing.
 */
#ifndef BERTH_REG_PROGRESS_H
#define BERTH_REG_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct reg_progress {
	FILE *out;
	bool tty, quiet;
	int nlines;		/* lines drawn so far (tty) */
	char (*ids)[16];	/* the short ID of each line */
	int n;
};

/* lines: how many layers; ids[i] "sha256:<hex>" each. */
void reg_progress_start(struct reg_progress *p, FILE *out, bool quiet, int n,
			const char *const *digests);
/* Line i's status ("Pulling fs layer", "Already exists", ...). */
void reg_progress_status(struct reg_progress *p, int i, const char *status);
/* Line i's download progress (tty only). */
void reg_progress_bytes(struct reg_progress *p, int i, uint64_t got, uint64_t total);
void reg_progress_end(struct reg_progress *p);

/* Docker's bar: "[=====>     ]  1.2MB/4.5MB" (50 wide). Pure. */
void reg_progress_bar(uint64_t got, uint64_t total, char *out, size_t size);

#endif
