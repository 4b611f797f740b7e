/* ctr_policy.c - restart policies and health checks from the supervisor's
 * side: the backoff timer before a restart, probes on the same timer, an
 * unhealthy container stopped for its policy. The rules themselves are
 * runtime/container/restart.c and health.c. */
#include "ctrs_priv.h"
#include "events.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "runtime/lib/log.h"
#include "runtime/lib/clock.h"

/* The policy and, when configured, the health check of a container. */
int ctrs_setup_policy(struct ctr *c, struct berr *e)
{
	if (rp_parse(c->cfg.restart, &c->policy, e) < 0)
		return -e->code;
	if (hc_enabled(&c->cfg.health)) {
		c->hc = hcr_new(EV_CTR_HEALTH);
		if (!c->hc)
			return berr_set(e, ENOMEM, "health check");
		c->st.health = &c->hc->st;
	}
	return 0;
}

/* After an exit was recorded: restart per policy (status restarting, a
 * start on the timer after the backoff), or stay exited. */
void ctrs_restart_plan(struct ctrs *cs, struct ctr *c)
{
	uint64_t delay, now = now_ns();
	uint64_t ran_ms = c->started_mono ? (now - c->started_mono) / 1000000ull : 0;
	bool failed = c->st.exit_code != 0 || c->unhealthy_kill;

	c->unhealthy_kill = false;
	if (cs->shutting_down || c->remove_when_dead || c->cfg.auto_remove || c->start_when_dead ||
	    !rp_decide(&c->policy, &c->rtrack, failed, ran_ms, c->st.manual_stop, &delay))
		return;
	c->st.status = CTR_RESTARTING;
	c->st.restart_count++;
	c->restart_at = now + delay * 1000000ull;
	log_info("container %.12s (%s): restart %d in %llu ms (policy %s)", c->cfg.id, c->cfg.name,
		 c->st.restart_count, (unsigned long long)delay, rp_name(c->policy.kind));
}

void ctrs_restart_due(struct ctrs *cs, struct ctr *c)
{
	struct berr e;

	c->restart_at = 0;
	if (c->st.status != CTR_RESTARTING && c->st.status != CTR_EXITED)
		return;
	if (ctrs_start_one(cs, c, &e) < 0) {
		/* As Docker: a restart that fails leaves it exited. */
		log_err("container %.12s (%s): restart failed: %s", c->cfg.id, c->cfg.name, e.msg);
		c->st.status = CTR_EXITED;
		c->st.finished_ns = wall_ns();
		ctrs_save_state(cs, c);
	} else if (c->starting) {
		c->starting->restart = true;
	}
}

void ctrs_health_timer(struct ctrs *cs, struct ctr *c, uint64_t now)
{
	char cg[256];

	ctr_cgroup_path(c->cfg.id, cg, sizeof(cg));
	hcr_timer(cs->epfd, c->hc, &c->cfg, c->st.pid, cs->cgroup_ok ? cg : NULL, now);
}

/* A health probe ended: record it; an unhealthy container with a
 * restart policy is stopped (and so restarted by its policy). */
bool ctrs_health_reaped(struct ctrs *cs, pid_t pid, int status)
{
	for (struct ctr *c = cs->list; c; c = c->next) {
		bool changed;

		if (!c->hc || !hcr_reaped(cs->epfd, c->hc, pid, status, &c->cfg.health,
					  c->st.started_ns, now_ns(), &changed))
			continue;
		if (c->st.status != CTR_RUNNING)
			return true;
		if (changed)
			log_info("container %.12s (%s): health %s", c->cfg.id, c->cfg.name,
				 hc_status_name(c->hc->st.status));
		if (changed)
			ev_ctr_health(c);
		if (changed && c->hc->st.status == HC_UNHEALTHY && c->policy.kind != RP_NO) {
			int r;

			log_warn("container %.12s (%s): unhealthy; stopping it for its restart policy",
				 c->cfg.id, c->cfg.name);
			c->unhealthy_kill = true;
			r = ctrs_stop_one(cs, c, c->cfg.stop_timeout > 0 ? c->cfg.stop_timeout : 10,
					  hx_stop_signal(&c->cfg.hostx));
			if (r < 0)
				log_err("container %.12s: stop: %s", c->cfg.id, strerror(-r));
		}
		ctrs_save_state(cs, c);
		ctrs_rearm(cs);
		return true;
	}
	return false;
}
