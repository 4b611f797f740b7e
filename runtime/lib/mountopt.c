/* mountopt.c - the table of mount(8)'s flag words. */
#include "mountopt.h"

#include <string.h>
#include <sys/mount.h>

#include "util.h"

/* The options table: flags set, flags cleared, or a propagation. */
static const struct {
	const char *name;
	unsigned long set, clear, prop;
} mount_opts[] = {
    {"ro", MS_RDONLY, 0, 0},		{"rw", 0, MS_RDONLY, 0},
    {"nosuid", MS_NOSUID, 0, 0},	{"suid", 0, MS_NOSUID, 0},
    {"nodev", MS_NODEV, 0, 0},		{"dev", 0, MS_NODEV, 0},
    {"noexec", MS_NOEXEC, 0, 0},	{"exec", 0, MS_NOEXEC, 0},
    {"sync", MS_SYNCHRONOUS, 0, 0},	{"async", 0, MS_SYNCHRONOUS, 0},
    {"dirsync", MS_DIRSYNC, 0, 0},	{"mand", MS_MANDLOCK, 0, 0},
    {"nomand", 0, MS_MANDLOCK, 0},	{"noatime", MS_NOATIME, 0, 0},
    {"atime", 0, MS_NOATIME, 0},	{"nodiratime", MS_NODIRATIME, 0, 0},
    {"diratime", 0, MS_NODIRATIME, 0},	{"relatime", MS_RELATIME, 0, 0},
    {"norelatime", 0, MS_RELATIME, 0},	{"strictatime", MS_STRICTATIME, 0, 0},
    {"nostrictatime", 0, MS_STRICTATIME, 0}, {"lazytime", MS_LAZYTIME, 0, 0},
    {"bind", MS_BIND, 0, 0},		{"rbind", MS_BIND | MS_REC, 0, 0},
    {"private", 0, 0, MS_PRIVATE},	{"rprivate", 0, 0, MS_PRIVATE | MS_REC},
    {"shared", 0, 0, MS_SHARED},	{"rshared", 0, 0, MS_SHARED | MS_REC},
    {"slave", 0, 0, MS_SLAVE},		{"rslave", 0, 0, MS_SLAVE | MS_REC},
    {"unbindable", 0, 0, MS_UNBINDABLE}, {"runbindable", 0, 0, MS_UNBINDABLE | MS_REC},
};

bool mountopt_apply(const char *opt, unsigned long *flags, unsigned long *prop)
{
	for (size_t k = 0; k < ARRAY_SIZE(mount_opts); k++) {
		if (strcmp(mount_opts[k].name, opt) == 0) {
			*flags = (*flags & ~mount_opts[k].clear) | mount_opts[k].set;
			*prop |= mount_opts[k].prop;
			return true;
		}
	}
	return false;
}
