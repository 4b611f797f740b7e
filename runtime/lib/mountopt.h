/* mountopt.h - mount(8)'s option words as mount(2) flags: "ro", "nosuid",
 * "noexec", "rprivate", ... The OCI config's mounts and `--tmpfs` take
 * them; what is not a flag is the filesystem's data ("size=64k"). Pure. */
#ifndef BERTH_MOUNTOPT_H
#define BERTH_MOUNTOPT_H

#include <stdbool.h>

/* Apply the word opt to *flags (MS_* set or cleared) or *prop (a
 * propagation, |MS_REC for the r- forms); false when it is no flag. */
bool mountopt_apply(const char *opt, unsigned long *flags, unsigned long *prop);

#endif
