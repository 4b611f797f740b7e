/* ctr_net.c - a container on the network: the namespace it joins, its
 * address on the bridge, its published ports (picked by ports.c) and their
 * rules.
 *
 * iptables-restore runs beside the supervisor's other work: a start's
 * rules go in while the sandbox is set up (collected before the start is
 * answered), an exit's come out while the loop carries on (the process is
 * reaped with the other children). An addition first waits for the
 * removals still running, so rules never go in before an older removal of
 * the same rules. */
#include "ctrs_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "runtime/lib/log.h"
#include "runtime/lib/util.h"
#include "runtime/net/ports.h"
#include "runtime/net/publish.h"

static void pending_done(struct ctrs *cs, struct ipt_pending *p, int status)
{
	struct berr e;

	if (ipt_restore_collect(&p->job, status, &e) < 0) {
		log_warn("network: remove published ports of %s: %s; one by one", p->ip, e.msg);
		pub_remove_one_by_one(p->ports, p->ip, p->bridge);
	}
	ctrs_notify_waiters(cs, p->waiters, p->exit_code);
	free(p->ports);
	free(p);
}

/* Wait for the removals still running. */
static void pending_drain(struct ctrs *cs)
{
	while (cs->ipt_pending) {
		struct ipt_pending *p = cs->ipt_pending;

		cs->ipt_pending = p->next;
		pending_done(cs, p, wait_pid(p->job.pid));
	}
}

/* A reaped child that was one of them? */
bool ctrs_pending_reaped(struct ctrs *cs, pid_t pid, int status)
{
	for (struct ipt_pending **pp = &cs->ipt_pending; *pp; pp = &(*pp)->next) {
		struct ipt_pending *p = *pp;

		if (p->job.pid != pid)
			continue;
		*pp = p->next;
		pending_done(cs, p, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return true;
	}
	return false;
}

/* Start adding the rules of c's picked ports (c->st.ports) for a
 * container at ip; job->pid stays -1 when there are none. */
static int ports_add_start(struct ctrs *cs, struct ctr *c, const struct br_lease *l,
			   struct ipt_job *job, struct berr *e)
{
	static char rules[PORTS_MAX * 400];
	int n;

	job->pid = -1;
	job->out = -1;
	n = port_list_rules(c->st.ports, l->ip, l->bridge, true, rules, sizeof(rules), e);
	if (n <= 0)
		return n < 0 ? berr_wrap(e, "add published ports") : 0;
	pending_drain(cs);
	if (ipt_restore_start(job, rules, e) < 0)
		return berr_wrap(e, "add published ports");
	return 0;
}

int ctrs_ports_add_finish(struct ipt_job *job, struct berr *e)
{
	int r;

	if (job->pid < 0)
		return 0;
	r = ipt_restore_finish(job, e);
	job->pid = -1;
	return r < 0 ? berr_wrap(e, "add published ports") : 0;
}

/* Take the rules of ports (picked ports, as st.ports) for ip on bridge
 * out, in the background; NULL when done already (or nothing to do). */
struct ipt_pending *ctrs_ports_remove(struct ctrs *cs, const char *ports, const char *ip,
				      const char *bridge)
{
	static char rules[PORTS_MAX * 400];
	struct ipt_pending *p;
	struct berr e;
	int n = port_list_rules(ports, ip, bridge, false, rules, sizeof(rules), &e);

	if (n <= 0) {
		if (n < 0)
			log_err("network: remove published ports of %s: %s", ip, e.msg);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->ports = strdup(ports);
	if (!p || !p->ports || ipt_restore_start(&p->job, rules, &e) < 0) {
		/* cannot run it in the background: here and now */
		if (!p || !p->ports || ipt_restore(rules, &e) < 0)
			pub_remove_one_by_one(ports, ip, bridge);
		if (p)
			free(p->ports);
		free(p);
		return NULL;
	}
	snprintf(p->ip, sizeof(p->ip), "%s", ip);
	snprintf(p->bridge, sizeof(p->bridge), "%s", bridge);
	p->next = cs->ipt_pending;
	cs->ipt_pending = p;
	return p;
}

/* Pick c's host ports (its own, a free one of a range, or an ephemeral
 * one) against those running containers hold, into c->st.ports. A port
 * taken is Docker's "port is already allocated". */
static int ports_pick(struct ctrs *cs, struct ctr *c, struct berr *e)
{
	const char **held;
	uint16_t lo, hi;
	int n = 0, r;

	c->st.ports[0] = '\0';
	if (!c->cfg.ports || !*c->cfg.ports)
		return 0;
	for (struct ctr *o = cs->list; o; o = o->next)
		n += o != c && o->st.status == CTR_RUNNING && o->st.ports[0];
	held = malloc((n + 1) * sizeof(*held));
	if (!held)
		return berr_set(e, ENOMEM, "published ports");
	n = 0;
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o->st.status == CTR_RUNNING && o->st.ports[0])
			held[n++] = o->st.ports;
	}
	pub_ephemeral_range(&lo, &hi);
	r = port_pick_list(c->cfg.ports, held, n, lo, hi, &cs->last_port, c->st.ports,
			   sizeof(c->st.ports), e);
	free(held);
	return r;
}

/* The network namespace to join: none for a new empty one, the
 * supervisor's for host, a running container's for container:REF. */
int ctrs_network_path(struct ctrs *cs, struct ctr *c, char *buf, size_t size, struct berr *e)
{
	enum ctr_net mode;
	const char *ref;
	struct ctr *o;

	buf[0] = '\0';
	if (ctr_network_parse(c->cfg.network, &mode, &ref, e) < 0)
		return -e->code;
	if (mode == CTR_NET_HOST) {
		snprintf(buf, size, "/proc/self/ns/net");
	} else if (mode == CTR_NET_CONTAINER) {
		o = ctrs_find(cs, ref, NULL);
		if (!o)
			return berr_msg(e, EINVAL, "No such container: %s", ref);
		if (o == c || o->st.status != CTR_RUNNING || o->st.pid <= 0)
			return berr_msg(e, EINVAL,
					"cannot join network of a non running container: %s", ref);
		snprintf(buf, size, "/proc/%d/ns/net", (int)o->st.pid);
	}
	return 0;
}

/* The picked ports and the address are recorded before their rules go
 * in, so a supervisor that comes after a fault or a kill during the
 * start takes the rules out again (ctrs_net_forget). */
static void record_ports(struct ctrs *cs, struct ctr *c, const struct br_lease *l)
{
	struct ctr_state s = c->st;
	struct berr e;

	memcpy(s.ip, l->ip, sizeof(s.ip));
	if (c->st.ports[0] && ctr_state_save(cs->root, c->cfg.id, &s, &e) < 0)
		log_warn("container %.12s: %s%s", c->cfg.id, e.msg, ctrs_full_hint(cs, e.code));
}

/* A bridge container's address and the veth set-up for sb_start(), its
 * published ports' rules started in job (ctrs_start_one collects them); a
 * no-op (l->ip empty) in the other modes. On a user network, its bridge
 * is made if it is not there and the network gets a connect event. */
int ctrs_network_acquire(struct ctrs *cs, struct ctr *c, struct br_lease *l, struct ipt_job *job,
			 struct berr *e)
{
	struct ctr_netref nr;
	enum ctr_net mode;
	const char *ref;

	memset(l, 0, sizeof(*l));
	if (ctr_network_parse(c->cfg.network, &mode, &ref, e) < 0)
		return -e->code;
	if (mode != CTR_NET_BRIDGE)
		return 0;
	if (br_ensure(cs->bridge_cidr, e) < 0 || ctrs_net_resolve(cs, c, &nr, true, e) < 0)
		return -e->code;
	if (ports_pick(cs, c, e) < 0 ||
	    br_acquire(cs->root, &nr.n, c->cfg.id, nr.user ? c->cfg.ip : NULL, l, e) < 0) {
		c->st.ports[0] = '\0';
		return -e->code;
	}
	record_ports(cs, c, l);
	if (ctrs_xnets_acquire(cs, c, e) < 0 || ports_add_start(cs, c, l, job, e) < 0) {
		struct berr rel;

		ctrs_xnets_down(cs, c);
		if (br_release(cs->root, &nr.n, c->cfg.id, &rel) < 0)
			log_err("container %.12s: %s", c->cfg.id, rel.msg);
		l->ip[0] = '\0';
		c->st.ports[0] = '\0';
		return -e->code;
	}
	ctrs_net_event(&nr, c, "connect");
	return 0;
}

/* c's address on its network goes back (holding none is fine). */
int ctrs_addr_release(struct ctrs *cs, struct ctr *c, struct berr *e)
{
	struct ctr_netref nr;

	if (ctrs_net_resolve(cs, c, &nr, false, e) < 0)
		return e->code == ENOENT ? 0 : -e->code; /* the network and its table are gone */
	return br_release(cs->root, &nr.n, c->cfg.id, e);
}

/* A bridge container's address goes back when it stops running. */
struct ipt_pending *ctrs_net_down(struct ctrs *cs, struct ctr *c)
{
	struct ipt_pending *p = NULL;
	struct ctr_netref nr;
	struct berr e;

	if (!c->st.ip[0])
		return NULL;
	ctrs_hosts_remove(cs, c); /* while its addresses still name it */
	ctrs_hosts_close(c);
	ctrs_xnets_down(cs, c);
	if (ctrs_net_resolve(cs, c, &nr, false, &e) < 0)
		log_err("container %.12s: %s", c->cfg.id, e.msg);
	else
		p = ctrs_ports_remove(cs, c->st.ports, c->st.ip, nr.n.bridge);
	/* one that goes gives it back with the others of the turn (ctrs_commit) */
	if (!ctrs_removing(c) && ctrs_addr_release(cs, c, &e) < 0)
		log_err("container %.12s: %s%s", c->cfg.id, e.msg, ctrs_full_hint(cs, e.code));
	ctrs_net_event(&nr, c, "disconnect");
	c->st.ip[0] = c->st.gateway[0] = c->st.mac[0] = c->st.ports[0] = '\0';
	c->st.ip_prefix = 0;
	return p;
}

/* c found not running with an address recorded: a start cut off after
 * its ports were picked (record_ports), or a container whose supervisor
 * ended while it ran. Its rules and address go, unless the system has
 * rebooted since (PID 1 at boot: they went with the boot). */
void ctrs_net_forget(struct ctrs *cs, struct ctr *c)
{
	if (!cs->pid1 || cs->adopt)
		ctrs_net_down(cs, c);
	c->st.ip[0] = c->st.gateway[0] = c->st.mac[0] = c->st.ports[0] = '\0';
	c->st.ip_prefix = 0;
	ctrs_save_state(cs, c);
}
