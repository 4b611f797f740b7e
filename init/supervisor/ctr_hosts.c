/* ctr_hosts.c - the files the supervisor writes for a container and
 * bind-mounts into it: /etc/hostname, /etc/resolv.conf and /etc/hosts.
 *
 * Names on a network: every running container's /etc/hosts names all
 * those on its networks, the default bridge or user networks ("IP<tab>
 * HOSTNAME NAME ALIAS...", the address and aliases of the first network
 * they share), so they reach each other by name without a DNS server in
 * PID 1, and not the containers of other networks. The files are bind-mounted, so they are
 * written in place (a rename would not reach the mounts): a start appends
 * its line to the others' files, an exit rewrites them without it. The
 * text is runtime/net/etchosts.c's; here are the descriptors.
 *
 * Most containers are on the default bridge alone, with the default
 * hostname and nothing of their own in the file (hosts_shared): those
 * share one file, <root>/run/berth/network/hosts.bridge, naming every
 * container on the bridge. A start or an exit is then one write of it,
 * not one rewrite per neighbour, each as long as their number: removing
 * 1000 containers rewrote 500,000 files. A shared container connected to
 * a further network later keeps the shared file (its bind mount is made
 * at the start): the names of that network are not in it. */
#include "ctrs_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/net/etchosts.h"
#include "runtime/net/resolv.h"

static const char *ctr_hostname(const struct ctr *c)
{
	return c->cfg.hostname && *c->cfg.hostname ? c->cfg.hostname : "localhost";
}

/* o runs on one of c's networks (the default bridge or user networks,
 * ctrs_net_shared): names resolve only between containers of one
 * network. *ip and *al: o's address and aliases there. */
static bool on_bridge(const struct ctr *o, const struct ctr *c, const char **ip, char *const **al)
{
	return o->st.status == CTR_RUNNING && ctrs_net_shared(c, o, ip, al);
}

/* c as its neighbours' files name it, at ip with aliases al. */
static struct etchosts_entry hosts_entry(const struct ctr *c, const char *ip, char *const *al)
{
	return (struct etchosts_entry){ ip, ctr_hostname(c), c->cfg.name, al };
}

/* c's file is the bridge's shared one: on the default bridge alone, its
 * hostname the default (its own line first would not matter), no aliases
 * and no --add-host lines. */
static bool hosts_shared(const struct ctr *c)
{
	return c->cfg.network && strcmp(c->cfg.network, "bridge") == 0 && !c->cfg.nxnets &&
	       !c->cfg.aliases && !(c->cfg.hostx.extra_hosts && *c->cfg.hostx.extra_hosts) &&
	       c->cfg.hostname && strncmp(c->cfg.hostname, c->cfg.id, 12) == 0 &&
	       !c->cfg.hostname[12];
}

void ctrs_hosts_shared_path(struct ctrs *cs, const struct ctr *c, char *buf, size_t size)
{
	if (hosts_shared(c))
		snprintf(buf, size, "%s/run/berth/network/hosts.bridge", cs->root);
}

/* c has an address on the default bridge (*ip, aliases *al there). */
static bool on_default_bridge(const struct ctr *c, const char **ip, char *const **al)
{
	static struct ctr viewer; /* on the default bridge alone */

	viewer.cfg.network = (char *)"bridge";
	return ctrs_net_shared(&viewer, c, ip, al);
}

/* o is named in the shared file at *ip: it runs on the default bridge, or
 * it shares the file and is starting (it has the address already). */
static bool shared_member(const struct ctr *o, const struct ctr *gone, const char **ip,
			  char *const **al)
{
	if (o == gone)
		return false;
	if (o->starting && o->starting->lease.ip[0] && hosts_shared(o)) {
		*ip = o->starting->lease.ip;
		*al = NULL;
		return true;
	}
	return o->st.status == CTR_RUNNING && on_default_bridge(o, ip, al);
}

/* The shared file, opened (or created) at first use; 1 when it was not
 * open before, 0 when it was, or -errno. */
static int shared_open(struct ctrs *cs)
{
	char path[600];

	if (cs->shared_hostsfd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/run/berth/network/hosts.bridge", cs->root);
	cs->shared_hostsfd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	return cs->shared_hostsfd < 0 ? -errno : 1;
}

/* The shared file whole, without gone. */
static int shared_rewrite(struct ctrs *cs, const struct ctr *gone)
{
	struct etchosts_entry *v;
	char *text;
	char *const *al;
	const char *ip;
	size_t n = 0, len = strlen(ETCHOSTS_BASE);
	int r = shared_open(cs);

	if (r < 0)
		return r;
	r = 0;
	for (struct ctr *o = cs->list; o; o = o->next)
		n++;
	v = malloc((n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (shared_member(o, gone, &ip, &al))
			v[n++] = hosts_entry(o, ip, al);
	}
	text = n ? etchosts_text(&v[0], v + 1, n - 1, &len) : strdup(ETCHOSTS_BASE);
	if (!text)
		r = -ENOMEM;
	else if (ftruncate(cs->shared_hostsfd, 0) < 0 ||
		 write_all(cs->shared_hostsfd, text, len) < 0)
		r = -errno;
	free(text);
	free(v);
	return r;
}

/* One that goes (gone) is taken out at the end of the turn, once for
 * all that went in it (ctrs_hosts_commit): a rewrite is O(n). */
static void shared_update(struct ctrs *cs, const struct ctr *c, const struct ctr *gone)
{
	char *const *al;
	const char *ip;
	int r;

	if (cs->shared_hostsfd < 0 && !hosts_shared(c))
		return; /* no container has it */
	if (!hosts_shared(c) && !on_default_bridge(c, &ip, &al))
		return;
	cs->shared_dirty = gone != NULL;
	r = gone ? 0 : shared_rewrite(cs, NULL);
	if (r < 0)
		log_warn("update the bridge's shared /etc/hosts: %s", strerror(-r));
}

void ctrs_hosts_commit(struct ctrs *cs)
{
	int r = cs->shared_dirty ? shared_rewrite(cs, NULL) : 0;

	cs->shared_dirty = false;
	if (r < 0)
		log_warn("update the bridge's shared /etc/hosts: %s", strerror(-r));
}

void ctrs_hosts_shared_close(struct ctrs *cs)
{
	if (cs->shared_hostsfd >= 0)
		close(cs->shared_hostsfd);
	cs->shared_hostsfd = -1;
}

/* text with c's --add-host lines (host-gateway: berth0's address);
 * NULL on ENOMEM, text freed. */
static char *with_extra_hosts(struct ctrs *cs, const struct ctr *c, char *text, size_t *len)
{
	char gw[64];

	snprintf(gw, sizeof(gw), "%.*s", (int)strcspn(cs->bridge_cidr, "/"), cs->bridge_cidr);
	return text ? hx_hosts_append(&c->cfg.hostx, gw, text, len) : NULL;
}

/* c's file (c at ip): the base lines, its own, the other bridge
 * containers' but gone's. malloc'd; NULL on ENOMEM. */
static char *hosts_text(struct ctrs *cs, const struct ctr *c, const char *ip,
			const struct ctr *gone, size_t *len)
{
	struct etchosts_entry self = hosts_entry(c, ip, c->cfg.aliases), *others;
	char *const *al;
	const char *oip;
	size_t n = 0;
	char *text;

	for (struct ctr *o = cs->list; o; o = o->next)
		n += on_bridge(o, c, &oip, &al);
	others = malloc((n + 1) * sizeof(*others));
	if (!others)
		return NULL;
	n = 0;
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o != gone && on_bridge(o, c, &oip, &al))
			others[n++] = hosts_entry(o, oip, al);
	}
	text = etchosts_text(&self, others, n, len);
	free(others);
	return with_extra_hosts(cs, c, text, len);
}

static void hosts_path(struct ctrs *cs, const struct ctr *c, char *buf, size_t size)
{
	char dir[512];

	ctr_dir(cs->root, c->cfg.id, dir, sizeof(dir));
	snprintf(buf, size, "%s/hosts", dir);
}

/* Write o's file in place (its container has it bind-mounted), through
 * the descriptor held while it runs: one write per neighbour and start. */
static void hosts_put(struct ctrs *cs, struct ctr *o, const char *text, size_t len, bool append)
{
	(void)cs;
	if (o->hostsfd < 0)
		return;
	if ((!append && ftruncate(o->hostsfd, 0) < 0) || write_all(o->hostsfd, text, len) < 0)
		log_warn("container %.12s: update /etc/hosts: %s", o->cfg.id, strerror(errno));
}

void ctrs_hosts_open(struct ctrs *cs, struct ctr *c)
{
	char path[600];

	if (hosts_shared(c)) { /* the bridge's file, held by the table */
		if (shared_open(cs) < 0)
			log_warn("container %.12s: open the bridge's /etc/hosts: %s", c->cfg.id,
				 strerror(errno));
		return;
	}
	hosts_path(cs, c, path, sizeof(path));
	c->hostsfd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (c->hostsfd < 0)
		log_warn("container %.12s: open %s: %s", c->cfg.id, path, strerror(errno));
}

void ctrs_hosts_close(struct ctr *c)
{
	if (c->hostsfd >= 0)
		close(c->hostsfd);
	c->hostsfd = -1;
}

/* c now runs on the bridge: its line into every other one's file. */
void ctrs_hosts_add(struct ctrs *cs, struct ctr *c)
{
	char line[ETCHOSTS_LINE_MAX];
	char *const *al;
	const char *ip;

	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o->hostsfd >= 0 && ctrs_net_shared(o, c, &ip, &al)) {
			struct etchosts_entry self = hosts_entry(c, ip, al);

			hosts_put(cs, o, line, etchosts_line(&self, line, sizeof(line)), true);
		}
	}
	if (!hosts_shared(c) || !c->hosts_listed)
		shared_update(cs, c, NULL);
	c->hosts_listed = false;
}

/* o's file whole, without gone. */
static void hosts_rewrite(struct ctrs *cs, struct ctr *o, const struct ctr *gone)
{
	size_t len = strlen(ETCHOSTS_BASE);
	char *text = o->st.ip[0] ? hosts_text(cs, o, o->st.ip, gone, &len) :
				   with_extra_hosts(cs, o, strdup(ETCHOSTS_BASE), &len);

	if (text)
		hosts_put(cs, o, text, len, false);
	free(text);
}

/* c left the bridge: the others' files without it. */
void ctrs_hosts_remove(struct ctrs *cs, struct ctr *c)
{
	char *const *al;
	const char *ip;

	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o->hostsfd >= 0 && ctrs_net_shared(o, c, &ip, &al))
			hosts_rewrite(cs, o, c);
	}
	shared_update(cs, c, c);
}

void ctrs_hosts_refresh(struct ctrs *cs, struct ctr *c)
{
	char *const *al;
	const char *ip;

	hosts_rewrite(cs, c, NULL);
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (o != c && o->hostsfd >= 0 && ctrs_net_shared(o, c, &ip, &al))
			hosts_rewrite(cs, o, NULL);
	}
	shared_update(cs, c, NULL);
}

/* dir/name with text; a failure names the file and, when the disk is
 * full, which disk. */
static int put_etc_file(struct ctrs *cs, const char *dir, const char *name, const char *text,
			size_t len, struct berr *e)
{
	char path[700];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = write_file_replace(path, text, len, 0644); /* rebuilt at every start */
	if (r < 0)
		return berr_msg(e, -r, "write %s: %s%s", path, strerror(-r), ctrs_full_hint(cs, -r));
	return 0;
}

/* c's /etc/hosts at its start (at ip on the bridge, or ""): its own file,
 * or its line appended to the shared one (the whole file first when it was
 * not open yet: what an earlier boot left in it goes). */
static int write_hosts(struct ctrs *cs, struct ctr *c, const char *dir, const char *ip,
		       struct berr *e)
{
	size_t len = strlen(ETCHOSTS_BASE);
	char *hosts, line[ETCHOSTS_LINE_MAX];
	int r;

	if (*ip && hosts_shared(c)) {
		struct etchosts_entry self = hosts_entry(c, ip, NULL);

		r = shared_open(cs);
		if (r > 0)
			r = shared_rewrite(cs, c);
		if (r >= 0 && write_all(cs->shared_hostsfd, line,
					etchosts_line(&self, line, sizeof(line))) < 0)
			r = -errno;
		if (r < 0)
			return berr_msg(e, -r, "write %s/run/berth/network/hosts.bridge: %s%s", cs->root,
					strerror(-r), ctrs_full_hint(cs, -r));
		c->hosts_listed = true;
		return 0;
	}
	if (*ip)
		hosts = hosts_text(cs, c, ip, NULL, &len);
	else
		hosts = with_extra_hosts(cs, c, strdup(ETCHOSTS_BASE), &len);
	if (!hosts)
		return berr_set(e, ENOMEM, "%s/hosts", dir);
	r = put_etc_file(cs, dir, "hosts", hosts, len, e);
	free(hosts);
	return r;
}

int ctrs_write_etc_files(struct ctrs *cs, struct ctr *c, const char *dir, const char *ip,
			 struct berr *e)
{
	char buf[4096], resolv[4096];
	int r;

	snprintf(buf, sizeof(buf), "%.63s\n", ctr_hostname(c));
	r = put_etc_file(cs, dir, "hostname", buf, strlen(buf), e);
	if (r == 0)
		r = write_hosts(cs, c, dir, ip ? ip : "", e);
	if (r < 0)
		return r;
	/* The host's resolvers, less loopback ones (see resolv.h). */
	if (read_file("/etc/resolv.conf", resolv, sizeof(resolv)) < 0)
		resolv[0] = '\0';
	resolv_filter(resolv, buf, sizeof(buf));
	hx_resolv(&c->cfg.hostx, buf, resolv, sizeof(resolv)); /* --dns, --dns-search, ... */
	return put_etc_file(cs, dir, "resolv.conf", resolv, strlen(resolv), e);
}
