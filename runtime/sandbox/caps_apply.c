/* caps_apply.c - set a process's capability sets with libcap. */
#include "caps.h"

#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static int last_cap(void)
{
	int last = cap_max_bits() - 1;

	return last > 63 ? 63 : last;
}

int caps_drop_bounding(uint64_t keep, struct berr *e)
{
	for (int i = 0; i <= last_cap(); i++) {
		if (caps_has(keep, i))
			continue;
		if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
			return berr_set(e, errno, "drop capability %s from bounding set",
					caps_name(i) ? caps_name(i) : "?");
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berr_set(e, errno, "prctl PR_SET_KEEPCAPS");
	return 0;
}

int caps_set(uint64_t keep, struct berr *e)
{
	cap_t c = cap_init();
	int r = 0;

	/* Berth may itself run with a reduced bounding set (in a container):
	 * "all" means all that we have. */
	for (int i = 0; i <= last_cap(); i++) {
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) != 1)
			keep &= ~(1ull << i);
	}

	if (!c)
		return berr_set(e, errno, "cap_init");
	for (int i = 0; i <= last_cap(); i++) {
		cap_value_t v = i;

		if (!caps_has(keep, i))
			continue;
		if (cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
		    cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0) {
			r = berr_set(e, errno, "cap_set_flag %d", i);
			break;
		}
	}
	if (r == 0 && cap_set_proc(c) < 0)
		r = berr_set(e, errno, "capset");
	cap_free(c);
	if (r == 0 && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		r = berr_set(e, errno, "prctl PR_SET_KEEPCAPS");
	if (r == 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		r = berr_set(e, errno, "clear ambient capabilities");
	return r;
}
