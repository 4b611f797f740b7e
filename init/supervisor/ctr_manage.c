/* ctr_manage.c - the control verbs that change a container in place:
 * pause and unpause (the cgroup v2 freezer), rename and update (limits
 * and restart policy: live through the cgroup files while it runs, kept
 * in config.json for its next start either way).
 *
 *   pause REF...            unpause REF...
 *   rename REF NEWNAME
 *   update KEY=VALUE... REF...   keys: memory, memory-swap, cpu-quota,
 *                                cpu-period, cpu-shares, pids, restart
 *
 * The CLI has checked and converted the values (cli_manage.c); the
 * supervisor still refuses what does not parse. Each answers the refs it
 * did, one a line, and Docker's error text for the others.
 */
#include "ctrs_priv.h"
#include "events.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container/update.h"
#include "runtime/lib/file.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

/* A running container's cgroup, or NULL with Docker's error in r. */
static const char *running_cgroup(struct ctrs *cs, struct ctr *c, const char *ref, char *cg,
				  size_t size, struct ctl_reply *r)
{
	if (c->st.status != CTR_RUNNING) {
		reply_error(r, "Container %s is not running", ref);
		return NULL;
	}
	if (!cs->cgroup_ok) {
		reply_error(r,
			    "Cannot pause or unpause container %s: the cgroup v2 freezer is not "
			    "available (/sys/fs/cgroup is not a cgroup2 mount on this host)",
			    ref);
		return NULL;
	}
	ctr_cgroup_path(c->cfg.id, cg, size);
	return cg;
}

static void verb_pause(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status)
{
	bool on = strcmp(req->argv[0], "pause") == 0;

	if (req->argc < 2) {
		reply_error(r, "\"%s\" requires at least 1 argument", req->argv[0]);
		*status = 1;
		return;
	}
	for (int i = 1; i < req->argc; i++) {
		const char *ref = req->argv[i];
		struct ctr *c = ctrs_find(cs, ref, r);
		char cg[256];
		struct berr e;

		if (!c || !running_cgroup(cs, c, ref, cg, sizeof(cg), r)) {
			*status = 1;
			continue;
		}
		if (c->st.paused == on) {
			reply_error(
			    r, on ? "Container %s is already paused" : "Container %s is not paused",
			    c->cfg.id);
			*status = 1;
			continue;
		}
		if (cg_freeze(cg, on, &e) < 0) {
			reply_error(r, "Cannot %s container %s: %s", req->argv[0], ref, e.msg);
			*status = 1;
			continue;
		}
		c->st.paused = on;
		ctrs_save_state(cs, c);
		ev_ctr(c, on ? "pause" : "unpause", NULL);
		reply_printf(r, "%s\n", ref);
	}
}

/* Thaw a paused container that is being stopped or killed, after its
 * signal was sent, so that it can act on it (as Docker does). */
void ctrs_thaw_for_signal(struct ctrs *cs, struct ctr *c)
{
	char cg[256];
	struct berr e;

	if (!c->st.paused || !cs->cgroup_ok)
		return;
	ctr_cgroup_path(c->cfg.id, cg, sizeof(cg));
	if (cg_freeze(cg, false, &e) < 0)
		log_warn("container %.12s: thaw: %s", c->cfg.id, e.msg);
	c->st.paused = false;
	ctrs_save_state(cs, c);
}

static void save_config(struct ctrs *cs, struct ctr *c, struct ctl_reply *r, int *status)
{
	struct berr e;

	if (ctr_config_save(cs->root, &c->cfg, &e) < 0) {
		reply_error(r, "%s: %s", c->cfg.name, e.msg);
		*status = 1;
	}
}

static void verb_rename(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct ctr *c;
	const char *name;
	bool on_bridge;

	*status = 1;
	if (req->argc != 3) {
		reply_error(r, "\"rename\" requires exactly 2 arguments");
		return;
	}
	name = req->argv[2][0] == '/' ? req->argv[2] + 1 : req->argv[2];
	c = ctrs_find(cs, req->argv[1], r);
	if (!c)
		return;
	if (strcmp(c->cfg.name, name) == 0) {
		reply_error(r, "Renaming a container with the same name as its current name");
		return;
	}
	if (!ctr_name_valid(name) || strlen(name) >= sizeof(c->cfg.name)) {
		reply_error(r,
			    "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
			    "allowed",
			    name);
		return;
	}
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (strcmp(o->cfg.name, name) == 0) {
			reply_error(
			    r,
			    "Error when allocating new name: Conflict. The container name "
			    "\"/%s\" is already in use by container \"%s\". You have to "
			    "remove (or rename) that container to be able to reuse that name.",
			    name, o->cfg.id);
			return;
		}
	}
	/* The neighbours' /etc/hosts name it: out under the old name, in
	 * under the new one. */
	on_bridge = c->st.status == CTR_RUNNING && c->st.ip[0];
	if (on_bridge)
		ctrs_hosts_remove(cs, c);
	char old[sizeof(c->cfg.name)];
	snprintf(old, sizeof(old), "%s", c->cfg.name);
	snprintf(c->cfg.name, sizeof(c->cfg.name), "%s", name);
	ctrs_ps_forget(c);
	if (on_bridge)
		ctrs_hosts_add(cs, c);
	*status = 0;
	save_config(cs, c, r, status);
	ev_ctr(c, "rename", "oldName=/%s", old);
}

/* Write the new limits into a running container's cgroup. cg_set_limits
 * leaves 0 ("unlimited") alone, so those are written as "max" here. */
static int apply_live(struct ctrs *cs, struct ctr *c, const struct sb_limits *set, struct berr *e)
{
	char cg[256], f[300];

	if (c->st.status != CTR_RUNNING || !cs->cgroup_ok)
		return 0;
	ctr_cgroup_path(c->cfg.id, cg, sizeof(cg));
	if (cg_set_limits(cg, &c->cfg.limits, e) < 0)
		return -e->code;
	if (set->pids == 0) {
		snprintf(f, sizeof(f), "%s/pids.max", cg);
		if (write_file(f, "max") < 0)
			return berr_set(e, errno, "%s", f);
	}
	if (set->cpu_quota_us == 0) {
		snprintf(f, sizeof(f), "%s/cpu.max", cg);
		if (write_file(f, "max 100000") < 0)
			return berr_set(e, errno, "%s", f);
	}
	return 0;
}

static int update_one(struct ctrs *cs, struct ctr *c, const struct ctr_update *u, struct berr *e)
{
	const struct sb_limits *set = &u->set;
	const char *restart = u->restart;
	struct sb_limits old = c->cfg.limits;
	struct rp_policy rp;
	char *keep = NULL;
	int64_t swap;

	if (restart && c->cfg.auto_remove && strcmp(restart, "no") != 0)
		return berr_msg(e, EINVAL,
				"Restart policy cannot be updated because AutoRemove "
				"is enabled for the container");
	if (restart && rp_parse(restart, &rp, e) < 0)
		return -e->code;
	if (set->memory != CG_UNSET && set->memory_swap == CG_UNSET && old.memory_swap > 0 &&
	    set->memory > old.memory_swap)
		return berr_msg(e, EINVAL,
				"Memory limit should be smaller than already set "
				"memoryswap limit, update the memoryswap at the same time");
	ctr_update_merge(&c->cfg.limits, u);
	if (cg_swap_max(c->cfg.limits.memory, c->cfg.limits.memory_swap, &swap) < 0) {
		c->cfg.limits = old;
		return berr_msg(e, EINVAL,
				"Minimum memoryswap limit should be larger than memory "
				"limit, see usage");
	}
	if (apply_live(cs, c, set, e) < 0) {
		c->cfg.limits = old;
		return -e->code;
	}
	if (restart && !(keep = strdup(restart)))
		return berr_set(e, ENOMEM, "update");
	if (keep) {
		free(c->cfg.restart);
		c->cfg.restart = keep;
		c->policy = rp;
	}
	return ctr_config_save(cs->root, &c->cfg, e);
}

static void verb_update(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct ctr_update u;
	int i = 1;

	ctr_update_init(&u);
	for (; i < req->argc && strchr(req->argv[i], '='); i++) {
		if (ctr_update_parse(&u, req->argv[i]) < 0) {
			reply_error(r, "update: bad setting %s", req->argv[i]);
			*status = 1;
			return;
		}
	}
	if (i >= req->argc) {
		reply_error(r, "\"update\" requires at least 1 argument");
		*status = 1;
		return;
	}
	for (; i < req->argc; i++) {
		struct ctr *c = ctrs_find(cs, req->argv[i], r);
		struct berr e;

		if (!c) {
			*status = 1;
			continue;
		}
		if (update_one(cs, c, &u, &e) < 0) {
			reply_error(r, "Cannot update container %s: %s", c->cfg.id, e.msg);
			*status = 1;
			continue;
		}
		ev_ctr(c, "update", NULL);
		reply_printf(r, "%s\n", req->argv[i]);
	}
}

bool ctrs_manage_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			 int *status)
{
	const char *v = req->argv[0];

	if (strcmp(v, "pause") == 0 || strcmp(v, "unpause") == 0)
		verb_pause(cs, req, r, status);
	else if (strcmp(v, "rename") == 0)
		verb_rename(cs, req, r, status);
	else if (strcmp(v, "update") == 0)
		verb_update(cs, req, r, status);
	else
		return false;
	return true;
}
