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

int upd_bless(char *slot, struct berr *e)
{
	char path[UPD_NAME_MAX * 2], good[UPD_NAME_MAX];
	struct upd_entry en;
	const char *base;

	*slot = 0;
	if (esp_loader_var("LoaderBootCountPath", path, sizeof(path), e) < 0)
		return e->code == ENOENT ? 0 : -e->code;
	base = strrchr(path, '\\');
	base = base ? base + 1 : path;
	if (upd_entry_parse(base, &en) < 0)
		return berr_msg(e, EINVAL, "LoaderBootCountPath %s is not a Berth slot", path);
	if (en.left < 0)
		return 0;
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

/* Restart-always containers running (and healthy, with a check), and the
 * sum of their restart counts (a restart resets the grace period). */
static int always_running(int *restarts)
{
	DIR *d = opendir("/run/berth/containers");
	struct dirent *de;
	int n = 0;

	*restarts = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct ctr_config c = { 0 };
		struct ctr_state s = { 0 };
		struct hc_state h = { 0 };
		struct berr e;
		bool ok;

		if (de->d_name[0] == '.' || ctr_config_load("", de->d_name, &c, &e) < 0)
			continue;
		ok = c.restart && strcmp(c.restart, "always") == 0 &&
		     ctr_state_load("", de->d_name, &s, &e) == 0 && s.status == CTR_RUNNING &&
		     (!hc_enabled(&c.health) ||
		      (ctr_health_load("", de->d_name, &h, &e) == 0 && h.status == HC_HEALTHY));
		n += ok;
		*restarts += s.restart_count;
		ctr_config_free(&c);
	}
	closedir(d);
	return n;
}

static void bless_give_up(const char *why)
{
	struct berr e;
	char *argv[] = { "reboot", NULL };

	log_err("update: trial boot not good: %s; rebooting", why);
	if (esp_mount(UPD_ESP_DIR, &e) < 0 ||
	    write_file_atomic(UPD_ESP_DIR "/loader/berth-result", why, strlen(why), 0600) < 0)
		log_err("update: cannot record the result on the ESP");
	berr_ignore(client_call("", 1, argv)); /* if it fails, the watchdog or a person acts */
}

int upd_bless_wait(int grace)
{
	int64_t t0 = (int64_t)now_ns(), good_since = 0, limit = 5ll * grace;
	int want = always_wanted(), last_restarts = -1;
	char slot, why[200];
	struct berr e;

	if (limit < 300)
		limit = 300;
	for (;;) {
		int restarts, running = always_running(&restarts);
		int64_t now = (int64_t)now_ns();
		bool ok = data_mounted() && eth0_up() && running >= want &&
			  (last_restarts < 0 || restarts == last_restarts);

		last_restarts = restarts;
		good_since = ok ? (good_since ? good_since : now) : 0;
		if (good_since && now - good_since >= (int64_t)grace * 1000000000ll)
			break;
		if (now - t0 >= limit * 1000000000ll) {
			snprintf(why, sizeof(why), "not healthy within %llds: data disk %s, eth0 %s, "
				 "%d of %d restart-always services running",
				 (long long)limit, data_mounted() ? "mounted" : "missing",
				 eth0_up() ? "up" : "down", running, want);
			bless_give_up(why);
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
	int grace;
};

#define BL(f) struct bless_opts, f
static const struct flg bless_flags[] = {
	FLG_INT(0, "grace", BL(grace), "Seconds the box must be healthy (default 60)"),
	FLG_END,
};

static int bless_run(void *ctx, int argc, char **argv);
const struct flg_cmd upd_bless_cmd = {
	.path = "update bless",
	.usage = "[--grace SECONDS]",
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
	return upd_bless_wait(o.grace < 0 ? 0 : o.grace);
}
