/* ctr_startup.c - what a starting supervisor finds: containers an earlier
 * boot or supervisor ran (adopted when they still run and their output
 * came through the handover, ctr_adopt.c; otherwise marked exited, their
 * orphans ended, restart policies applied), trees left half removed, and
 * addresses nobody holds. */
#include "ctrs_priv.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"

/* A container process an earlier supervisor left running (it crashed):
 * nobody reads its output or reaps it now, and it still holds its
 * address on the bridge. End it and wait (a second at most) until it is
 * gone, so its address is free before anyone gets it again. */
static void end_orphan(struct ctr *c)
{
	if (!ctrs_same_process(c->st.pid, c->st.started_ns))
		return;
	log_warn("container %.12s: pid %d outlived the earlier supervisor; killed", c->cfg.id,
		 (int)c->st.pid);
	kill(c->st.pid, SIGKILL);
	for (int i = 0; i < 100 && ctrs_same_process(c->st.pid, c->st.started_ns); i++) {
		char path[64], st[512], *p;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->st.pid);
		if (read_file(path, st, sizeof(st)) >= 0 && (p = strrchr(st, ')')) && p[2] == 'Z')
			break; /* dead, its parent has not reaped it yet */
		usleep(10000);
	}
}

static bool ipam_keep(const char *id, void *ctx)
{
	struct ctrs *cs = ctx;

	for (struct ctr *c = cs->list; c; c = c->next) {
		if (strcmp(c->cfg.id, id) == 0)
			return c->st.status == CTR_RUNNING;
	}
	return false;
}

/* A container that was running under an earlier supervisor. PID 1 starts
 * once per boot, so for it the container is from an earlier boot: its
 * process, veth, rules and cgroup died with that boot (and ctrs_open()
 * dropped that boot's addresses). A daemon restarted on the same host
 * undoes its rules and gives its address back. */
static void mark_stale(struct ctrs *cs, struct ctr *c)
{
	end_orphan(c);
	c->st.status = CTR_EXITED;
	c->st.exit_code = 255;
	c->st.pid = 0;
	if (!c->st.finished_ns)
		c->st.finished_ns = wall_ns();
	snprintf(c->st.error, sizeof(c->st.error), "%s",
		 cs->pid1 ? "the system rebooted while it ran" : "supervisor restarted");
	ctrs_net_forget(cs, c);
}

/* A container directory whose files do not load. A file missing: a
 * create cut off between the CLI's preparing the directory and the
 * supervisor's recording it (a crash, a power cut), so the container
 * never existed and its directory goes, unless a CLI may still be at it
 * (a supervisor that adopts: only a directory older than a minute). A
 * file that does not parse: renamed aside as ID.corrupt-TIME with a line
 * naming it, for whoever wants to look; nothing else is touched. */
static void load_failed(struct ctrs *cs, const char *dir, const char *id, const struct berr *e)
{
	char path[700], aside[760];
	const char *missing;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, id);
	if (e->code == ENOENT) {
		snprintf(aside, sizeof(aside), "%s/config.json", path);
		missing = access(aside, F_OK) == 0 ? "state.json" : "config.json";
		if (cs->adopt && stat(path, &st) == 0 && st.st_mtime > time(NULL) - 60) {
			log_warn("container %.12s: no %s yet; skipped (being created?)", id, missing);
			return;
		}
		log_warn("container %.12s: no %s: a create cut off (crash or power loss); removed",
			 id, missing);
		ctrs_remove_tree(path);
		return;
	}
	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, (long long)time(NULL));
	if (rename(path, aside) < 0) {
		log_err("container %.12s: %s; skipped (cannot set it aside: %s)", id, e->msg,
			strerror(errno));
		return;
	}
	log_err("container %.12s: %s; set aside as %s", id, e->msg, aside);
}

void ctrs_load_existing(struct ctrs *cs)
{
	char dir[600];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/run/berth/containers", cs->root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct ctr *c;
		struct berr e;
		bool stale;

		if (strstr(de->d_name, REMOVING)) {
			char aside[900];
			snprintf(aside, sizeof(aside), "%s/%s", dir, de->d_name);
			ctrs_remove_tree(aside);
			continue;
		}
		if (strlen(de->d_name) != CTR_ID_LEN)
			continue;
		c = ctrs_ctr_new();
		if (!c)
			break;
		if (ctr_config_load(cs->root, de->d_name, &c->cfg, &e) < 0 ||
		    ctr_state_load(cs->root, de->d_name, &c->st, &e) < 0) {
			load_failed(cs, dir, de->d_name, &e);
			ctr_config_free(&c->cfg);
			free(c);
			continue;
		}
		if (cs->adopt)
			ctrs_start_interrupted(cs, c);
		stale = c->st.status == CTR_RUNNING || c->st.status == CTR_RESTARTING;
		if (stale && cs->adopt && c->st.status == CTR_RESTARTING) {
			stale = false; /* its next start comes from this process */
			c->restart_at = now_ns() + 1000000000ull;
		} else if (stale && cs->adopt && ctrs_adopt(cs, c)) {
			stale = false;
		}
		else if (stale)
			mark_stale(cs, c);
		if (c->st.status != CTR_RUNNING && c->st.ip[0])
			ctrs_net_forget(cs, c); /* its start was cut off */
		c->next = cs->list;
		cs->list = c;
		/* a --rm container whose end nobody saw goes now, as in Docker */
		if (stale && c->cfg.auto_remove) {
			ctrs_remove_ctr(cs, c);
			continue;
		}
		if (ctrs_setup_policy(c, &e) < 0)
			log_warn("container %.12s: %s; no restart policy", de->d_name, e.msg);
		/* always, and unless-stopped unless the user stopped it:
		 * started again from the loop, with a fresh count (Docker). */
		if (c->st.status == CTR_EXITED && rp_start_at_boot(&c->policy, c->st.manual_stop)) {
			c->st.manual_stop = false;
			c->st.restart_count = 0;
			c->restart_at = now_ns();
			log_info("container %.12s (%s): restart policy %s: starting it again",
				 c->cfg.id, c->cfg.name, rp_name(c->policy.kind));
		}
	}
	closedir(d);
}

void ctrs_set_bridge(struct ctrs *cs, const char *cidr)
{
	struct berr e;

	snprintf(cs->bridge_cidr, sizeof(cs->bridge_cidr), "%s", cidr);
	/* Addresses of containers that are gone or no longer run (a crash
	 * between taking an address and recording it; containers an earlier
	 * supervisor ran) go back. */
	if (br_prune(cs->root, &(struct br_net){ BR_NAME, cs->bridge_cidr, "ipam" }, ipam_keep, cs,
		     &e) < 0)
		log_err("network: %s", e.msg);
	ctrs_net_prune(cs, ipam_keep);
}
