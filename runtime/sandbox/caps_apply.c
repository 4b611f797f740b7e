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

/* The permitted set, from one capget (libcap's cap_get_proc would
 * allocate and read the same). */
static uint64_t permitted_now(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (capget(&h, d) < 0)
		return 0;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
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

	if (!c)
		return berr_set(e, errno, "cap_init");
	/* Berth may itself run with fewer capabilities (in a container): "all"
	 * means all that we have. One capget instead of a read of each bit of
	 * the bounding set (caps_drop_bounding left keep's part of it). */
	keep &= permitted_now();
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
