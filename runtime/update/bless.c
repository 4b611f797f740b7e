/* bless.c - mark a trial boot good (systemd-bless-boot's job), from a
 * child of PID 1, once the box really works. */
#include "update.h"

#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esp.h"
#include "runtime/cli/client.h"
#include "runtime/compose/compose.h"
#include "runtime/container/container.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"
#include "slots.h"

/* The entry systemd-boot counts a try of (LoaderBootCountPath). -ENOENT
 * when this boot is no trial (e->msg then may say nothing). */
static int trial_entry(struct upd_entry *en, struct berr *e)
{
	char path[UPD_NAME_MAX * 2];
	const char *base;

	if (esp_loader_var("LoaderBootCountPath", path, sizeof(path), e) < 0)
		return -e->code;
	base = strrchr(path, '\\');
	base = base ? base + 1 : path;
	if (upd_entry_parse(base, en) < 0)
		return berr_msg(e, EINVAL, "LoaderBootCountPath %s is not a Berth slot", path);
	if (en->left >= 0)
		return 0;
	e->code = ENOENT; /* a good entry: no trial */
	return -ENOENT;
}

int upd_bless(char *slot, struct berr *e)
{
	char good[UPD_NAME_MAX];
	struct upd_entry en;

	*slot = 0;
	if (trial_entry(&en, e) < 0)
		return e->code == ENOENT ? 0 : -e->code;
	if (esp_mount(UPD_ESP_DIR, e) < 0)
		return -e->code;
	upd_entry_name(en.gen, en.slot, -1, 0, good, sizeof(good));
	if (esp_rename(UPD_ESP_DIR, en.name, good, e) < 0)
		return -e->code;
	*slot = en.slot;
	return 0;
}

static bool data_mounted(void)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	return read_file_all("/proc/self/mounts", 4 << 20, &text, &len) == 0 &&
	       strstr(text, " /data ");
}

static bool eth0_up(void)
{
	struct ifaddrs *ifa, *i;
	bool up = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i; i = i->ifa_next)
		up |= i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		      strcmp(i->ifa_name, "eth0") == 0;
	freeifaddrs(ifa);
	return up;
}

/* The compose file's restart-always services. */
static int always_wanted(void)
{
	_cleanup_free_ char *text = NULL;
	struct compose_file f = { 0 };
	size_t len;
	int n = 0;

	if (read_file_all("/etc/berth/compose.yaml", 1 << 20, &text, &len) < 0)
		return 0;
	berr_ignore(compose_parse(text, len, "compose.yaml", &f)); /* the services it could read */
	for (int i = 0; i < f.nsvc; i++)
		n += f.svc[i].restart && strcmp(f.svc[i].restart, "always") == 0;
	compose_free(&f);
	return n;
}

/* Is this restart-always container up (and healthy, with a check)? If
 * not, why. */
static bool ctr_good(const char *id, const struct ctr_config *c, int *restarts, char *why,
		     size_t size)
{
	struct ctr_state s = { 0 };
	struct hc_state h = { 0 };
	struct berr e;

	if (ctr_state_load("", id, &s, &e) < 0 || s.status != CTR_RUNNING) {
		snprintf(why, size, "container %s is not running", c->name);
		return false;
	}
	*restarts += s.restart_count;
	if (hc_enabled(&c->health) &&
	    (ctr_health_load("", id, &h, &e) < 0 || h.status != HC_HEALTHY)) {
		snprintf(why, size, "container %s is %s", c->name,
			 h.status == HC_UNHEALTHY ? "unhealthy" : "not healthy yet");
		return false;
	}
	return true;
}

/* Restart-always containers that are up, the sum of their restart counts
 * (a restart starts the grace period again), the first one's reason that
 * is not. */
static int always_running(int *restarts, char *why, size_t size)
{
	DIR *d = opendir("/run/berth/containers");
	struct dirent *de;
	int n = 0;

	*restarts = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct ctr_config c = { 0 };
		struct berr e;
		char w[160];

		if (de->d_name[0] == '.' || ctr_config_load("", de->d_name, &c, &e) < 0)
			continue;
		if (c.restart && strcmp(c.restart, "always") == 0) {
			if (ctr_good(de->d_name, &c, restarts, w, sizeof(w)))
				n++;
			else if (!*why)
				snprintf(why, size, "%s", w);
		}
		ctr_config_free(&c);
	}
	closedir(d);
	return n;
}

/* Healthy now? If not, the first reason in why. */
static bool box_healthy(int want, int *restarts, char *why, size_t size)
{
	int running;

	*why = '\0';
	*restarts = 0;
	if (!data_mounted())
		snprintf(why, size, "the data disk is not mounted on /data");
	else if (!eth0_up())
		snprintf(why, size, "eth0 has no IPv4 address");
	else if ((running = always_running(restarts, why, size)) < want && !*why)
		snprintf(why, size, "%d of %d restart-always services running", running, want);
	return !*why;
}

/* Record why this try failed, for `update status` after the reboot (the
 * ESP is the one disk every slot sees), and reboot: the next try or the
 * other slot. */
static void bless_give_up(const struct upd_entry *en, const char *why)
{
	char rec[400];
	struct berr e;
	char *argv[] = { "reboot", NULL };
	int n = snprintf(rec, sizeof(rec), "%lu-%c %s\n", en->gen, en->slot, why);

	log_err("update: trial boot of %s not good: %s; rebooting", en->name, why);
	if (esp_mount(UPD_ESP_DIR, &e) < 0 ||
	    write_file_atomic(UPD_ESP_DIR "/" UPD_RESULT, rec, (size_t)n, 0600) < 0)
		log_err("update: cannot record the result on the ESP");
	berr_ignore(client_call("", 1, argv)); /* if it fails, the watchdog or a person acts */
}

int upd_bless_wait(int grace, int timeout)
{
	int64_t t0 = (int64_t)now_ns(), good_since = 0, s = 1000000000ll;
	int want = always_wanted(), last_restarts = -1;
	char slot, why[300], full[360];
	struct upd_entry en;
	struct berr e;

	if (trial_entry(&en, &e) < 0)
		return e.code == ENOENT ? 0 : 1;
	for (;;) {
		int restarts;
		bool ok = box_healthy(want, &restarts, why, sizeof(why));
		int64_t now = (int64_t)now_ns();

		if (ok && last_restarts >= 0 && restarts != last_restarts) {
			ok = false;
			snprintf(why, sizeof(why), "a restart-always container restarted");
		}
		last_restarts = restarts;
		good_since = ok ? (good_since ? good_since : now) : 0;
		if (good_since && now - good_since >= grace * s)
			break;
		if (now - t0 >= timeout * s) {
			snprintf(full, sizeof(full), "not healthy within %d s: %s", timeout,
				 *why ? why : "healthy for less than berth.update-grace");
			bless_give_up(&en, full);
			return 1;
		}
		sleep(2);
	}
	if (upd_bless(&slot, &e) < 0) {
		log_err("update: mark good: %s", e.msg);
		return 1;
	}
	log_info("update: slot %c marked good after %ds of health", slot, grace);
	return 0;
}

struct bless_opts {
	int grace, timeout;
};

#define BL(f) struct bless_opts, f
static const struct flg bless_flags[] = {
	FLG_INT(0, "grace", BL(grace), "Seconds the box must be healthy (default 60)"),
	FLG_INT(0, "timeout", BL(timeout),
		"Seconds to give up after (default 5 x grace, at least 300)"),
	FLG_END,
};

static int bless_run(void *ctx, int argc, char **argv);
const struct flg_cmd upd_bless_cmd = {
	.path = "update bless",
	.usage = "[--grace SECONDS] [--timeout SECONDS]",
	.desc = "Mark this trial boot good once healthy (PID 1 starts it)",
	.flags = bless_flags,
	.run = bless_run,
	.hidden = true,
};

static int bless_run(void *ctx, int argc, char **argv)
{
	struct bless_opts o = { .grace = 60 };
	struct flg_out a;

	(void)ctx;
	if (flg_verb(&upd_bless_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	log_to_kmsg(1);
	if (o.grace < 0)
		o.grace = 0;
	/* the default leaves a slow first start (images, a data disk) time */
	if (o.timeout <= 0)
		o.timeout = o.grace * 5 < 300 ? 300 : o.grace * 5;
	return upd_bless_wait(o.grace, o.timeout);
}
