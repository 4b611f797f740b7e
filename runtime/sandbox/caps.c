#include "caps.h"

#include <errno.h>
#include <strings.h>

#include "sandbox.h"

static const char *const cap_names[CAPS_LAST + 1] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

const char *caps_name(int cap)
{
	return cap >= 0 && cap <= CAPS_LAST ? cap_names[cap] : NULL;
}

bool caps_has(uint64_t mask, int cap)
{
	return cap >= 0 && cap < 64 && (mask >> cap) & 1;
}

uint64_t sb_default_caps(void)
{
	static const char *const docker[] = {
	    "CHOWN",   "DAC_OVERRIDE", "FSETID",	   "FOWNER",
	    "MKNOD",   "NET_RAW",      "SETGID",	   "SETUID",
	    "SETFCAP", "SETPCAP",      "NET_BIND_SERVICE", "SYS_CHROOT",
	    "KILL",    "AUDIT_WRITE",
	};
	uint64_t mask = 0, m;

	for (unsigned i = 0; i < sizeof(docker) / sizeof(docker[0]); i++) {
		if (sb_cap_parse(docker[i], &m) == 0)
			mask |= m;
	}
	return mask;
}

int sb_cap_parse(const char *name, uint64_t *mask)
{
	if (!name)
		return -EINVAL;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	if (strcasecmp(name, "ALL") == 0) {
		*mask = CAPS_ALL;
		return 0;
	}
	for (int i = 0; i <= CAPS_LAST; i++) {
		if (strcasecmp(name, cap_names[i]) == 0) {
			*mask = 1ull << i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Docker: start from the defaults (or nothing when ALL is dropped), add,
 * then drop. */
int caps_compute(uint64_t base, char **add, int nadd, char **drop, int ndrop, uint64_t *out)
{
	uint64_t caps = base, m;

	for (int i = 0; i < ndrop; i++) {
		if (sb_cap_parse(drop[i], &m) < 0)
			return -EINVAL;
		if (m == CAPS_ALL)
			caps = 0;
	}
	for (int i = 0; i < nadd; i++) {
		if (sb_cap_parse(add[i], &m) < 0)
			return -EINVAL;
		caps |= m;
	}
	for (int i = 0; i < ndrop; i++) {
		if (sb_cap_parse(drop[i], &m) == 0 && m != CAPS_ALL)
			caps &= ~m;
	}
	*out = caps;
	return 0;
}
