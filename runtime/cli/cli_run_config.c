/* cli_run_config.c - what `berth run` makes from its options and the
 * image: the container's config.json contents (Docker's merge of the flags
 * over the image's config, capabilities, volumes) and the checks of its
 * network and ports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_run_priv.h"
#include "cli_ctr.h"
#include "cli_network.h"
#include "cli_volume.h"
#include "runtime/image/image.h"
#include "runtime/net/ports.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/merge.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int caps_from_opts(const struct run_opts *o, uint64_t *caps)
{
	uint64_t c = sb_default_caps(), m;

	for (int i = 0; i < o->cap_add.n; i++) {
		if (sb_cap_parse(o->cap_add.v[i], &m) < 0) {
			fprintf(stderr, "berth: unknown capability: \"%s\"\n", o->cap_add.v[i]);
			return -1;
		}
		c |= m;
	}
	for (int i = 0; i < o->cap_drop.n; i++) {
		if (sb_cap_parse(o->cap_drop.v[i], &m) < 0) {
			fprintf(stderr, "berth: unknown capability: \"%s\"\n", o->cap_drop.v[i]);
			return -1;
		}
		c &= ~m;
	}
	*caps = c;
	return 0;
}

/* Docker's merge: the flags over the image's config; the volumes last. */
int cli_run_make_config(const char *root, const struct run_opts *o, const char *image,
			const struct img_info *img, int argc, char **argv, struct ctr_config *c,
			struct strv *exposed)
{
	struct strv args = { 0 }, env = { 0 }, layers = { 0 };
	bool nomem = false; /* a list that could not grow: reported once */

	memset(c, 0, sizeof(*c));
	if (merge_argv(o->entrypoint_set ? o->entrypoint : NULL, img->config.entrypoint,
		       img->config.cmd, argc, argv, &args) < 0) {
		fprintf(stderr, "berth: No command specified\n");
		return 125;
	}
	for (char **p = img->config.env; p && *p; p++)
		nomem |= env_set(&env, *p) < 0;
	for (int i = 0; i < o->env.n; i++)
		nomem |= env_set(&env, o->env.v[i]) < 0;
	if (!env_has(&env, "PATH"))
		nomem |= env_set(&env, DEFAULT_PATH) < 0;
	for (char **p = img->layers; p && *p; p++)
		nomem |= strv_add(&layers, *p) < 0;
	for (char **p = img->config.exposed_ports; p && *p; p++)
		nomem |= strv_add(exposed, *p) < 0;
	if (!layers.v)
		nomem |= strv_add(&layers, "") < 0; /* keeps the list non-NULL; an empty image */
	ctr_new_id(c->id);
	if (o->name)
		snprintf(c->name, sizeof(c->name), "%s", o->name);
	else
		cli_new_name(root, c->name, sizeof(c->name));
	c->image = strdup(image);
	c->image_id = strdup(img->id);
	c->layers = layers.v;
	c->argv = args.v;
	c->cwd = strdup(o->workdir ? o->workdir : img->config.working_dir ? img->config.working_dir : "");
	c->user = strdup(o->user ? o->user : img->config.user ? img->config.user : "");
	{
		/* Docker's default hostname is the short ID. */
		char hn[128];
		c->hostname = o->hostname ? strdup(o->hostname) : strndup(c->id, 12);
		snprintf(hn, sizeof(hn), "HOSTNAME=%s", c->hostname ? c->hostname : "");
		nomem |= env_set(&env, hn) < 0;
	}
	c->env = env.v;
	c->tty = o->tty;
	c->interactive = o->interactive;
	c->auto_remove = o->rm;
	c->read_only = o->read_only;
	c->privileged = o->privileged;
	c->no_new_privs = o->no_new_privs;
	c->seccomp = o->seccomp ? strdup(o->seccomp) : NULL;
	c->limits = o->limits;
	c->cpuset = o->cpuset ? strdup(o->cpuset) : NULL;
	c->restart = strdup(o->restart ? o->restart : "no");
	c->network = strdup(o->network ? o->network : "bridge");
	if (cli_network_run_config(root, o->ip, &o->net_aliases, &o->networks, c) != 0)
		return 125;
	c->stop_timeout = o->stop_timeout > 0 ? o->stop_timeout : 10;
	/* the image's STOPSIGNAL, unless --stop-signal (cli_run) */
	c->hostx.stop_signal = img->config.stop_signal;
	if (o->labels.n) {
		/* "--label KEY" is KEY with an empty value, as Docker's */
		struct strv l = { 0 };
		for (int i = 0; i < o->labels.n; i++) {
			char kv[4096];
			snprintf(kv, sizeof(kv), "%s%s", o->labels.v[i],
				 strchr(o->labels.v[i], '=') ? "" : "=");
			nomem |= strv_add(&l, kv) < 0;
		}
		c->labels = l.v;
	}
	c->created_ns = wall_ns();
	/* The run flags over the image's HEALTHCHECK, as Docker merges them;
	 * --no-healthcheck is Test ["NONE"]. */
	if (nomem || hc_config_copy(&c->health, &o->health) < 0 ||
	    (!o->no_healthcheck && img->config.healthcheck.test &&
	     hc_merge(&c->health, &img->config.healthcheck) < 0)) {
		fprintf(stderr, "berth: out of memory\n");
		return 125;
	}
	if (o->no_healthcheck) {
		hc_config_free(&c->health);
		c->health.test = calloc(2, sizeof(char *));
		if (c->health.test)
			c->health.test[0] = strdup("NONE");
	}
	{
		struct berr e;
		if (hc_enabled(&c->health) && (hc_validate(&c->health, &e) < 0 ||
					       hc_argv(&c->health, (char *[8]){ 0 }, 8, &e) < 0)) {
			fprintf(stderr, "berth: %s\n", e.msg);
			return 125;
		}
	}
	/* Volumes last, with the image's VOLUMEs: a refused run makes none. */
	if (caps_from_opts(o, &c->caps) < 0 ||
	    cli_volume_mounts(root, o->volumes.v, o->volumes.n, img->config.volumes, c) < 0) {
		return 125;
	}
	return 0;
}

/* The mode's syntax; the supervisor checks that a container: target exists. */
int cli_run_check_network(const char *spec)
{
	enum ctr_net mode;
	const char *ref;
	struct berr e;

	if (ctr_network_parse(spec, &mode, &ref, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -e.code;
	}
	(void)mode;
	(void)ref;
	return 0;
}

/* -p: each well formed, no host port twice, only on the bridge; into
 * canonical specs for the config. */
int cli_run_check_ports(const struct run_opts *o, struct strv *out)
{
	struct port_map *m = calloc(o->publish.n + 1, sizeof(*m)), x[PORTS_MAX];
	enum ctr_net mode;
	const char *ref;
	struct berr e;
	char spec[64];
	int total = 0, k;

	if (!m)
		return -ENOMEM;
	for (int i = 0; i < o->publish.n; i++) {
		if (port_parse(o->publish.v[i], &m[i], &e) < 0 ||
		    port_expand(&m[i], x, PORTS_MAX - total, &k, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			free(m);
			return -EINVAL;
		}
		total += k;
		for (int j = 0; j < i; j++) {
			if (port_conflict(&m[j], &m[i])) {
				fprintf(stderr, "berth: port \"%s\": host port %u published twice\n",
					o->publish.v[i], m[i].host > m[j].host ? m[i].host : m[j].host);
				free(m);
				return -EINVAL;
			}
		}
		port_spec(&m[i], spec, sizeof(spec));
		if (strv_add(out, spec) < 0) {
			fprintf(stderr, "berth: out of memory\n");
			free(m);
			return -ENOMEM;
		}
	}
	free(m);
	if (ctr_network_parse(o->network ? o->network : "bridge", &mode, &ref, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg); /* cli_run_check_network says it first */
		return -EINVAL;
	}
	if ((o->publish.n || o->publish_all) && mode != CTR_NET_BRIDGE) {
		fprintf(stderr, "berth: published ports need --network bridge\n");
		return -EINVAL;
	}
	return 0;
}

/* --expose: PORT[/PROTO], PORT-PORT[/PROTO] (Docker's forms). */
int cli_run_check_expose(const struct run_opts *o)
{
	struct port_map m;
	struct berr e;

	for (int i = 0; i < o->expose.n; i++) {
		if (strchr(o->expose.v[i], ':') || port_parse(o->expose.v[i], &m, &e) < 0) {
			fprintf(stderr, "berth: invalid range format for --expose: %s\n",
				o->expose.v[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* -P: every exposed port (the image's and --expose) on an ephemeral host
 * port, unless -p publishes that container port already. */
int cli_run_publish_all(const struct strv *exposed, const struct strv *expose,
			struct strv *ports)
{
	const struct strv *lists[2] = { exposed, expose };
	struct port_map m, have, x[PORTS_MAX];
	struct berr e;
	char spec[64];
	int n, total = 0;

	for (int i = 0; i < ports->n; i++) {
		if (port_parse(ports->v[i], &have, &e) == 0)
			total += have.ctr_end - have.ctr + 1;
	}
	for (int l = 0; l < 2; l++) {
		for (int i = 0; i < lists[l]->n; i++) {
			if (port_parse(lists[l]->v[i], &m, &e) < 0 || port_expand(&m, x, PORTS_MAX, &n, &e) < 0)
				continue; /* an image's odd entry: Docker skips it too */
			for (int k = 0; k < n; k++) {
				bool published = false;

				for (int j = 0; j < ports->n && !published; j++)
					published = port_parse(ports->v[j], &have, &e) == 0 &&
						    have.udp == x[k].udp && x[k].ctr >= have.ctr &&
						    x[k].ctr <= have.ctr_end;
				if (published)
					continue;
				if (++total > PORTS_MAX) {
					fprintf(stderr, "berth: too many published ports (at most %d)\n",
						PORTS_MAX);
					return -E2BIG;
				}
				port_spec(&x[k], spec, sizeof(spec));
				if (strv_add(ports, spec) < 0) {
					fprintf(stderr, "berth: out of memory\n");
					return -ENOMEM;
				}
			}
		}
	}
	return 0;
}
