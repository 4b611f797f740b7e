/* compose_args.c - a parsed service as the `berth run` arguments that
 * create it: names, labels, limits, network, ports, volumes (./relative
 * and top-level keys resolved), healthcheck, entrypoint and command. */
#include "compose_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Docker's --health-cmd runs its string with a shell; an exec-form test
 * is quoted word by word so the shell gives back the same argv. */
static int shell_quote_join(const struct strv *v, char **out)
{
	size_t cap = 1;
	char *s, *p;

	for (int i = 0; i < v->n; i++)
		cap += strlen(v->v[i]) * 4 + 3;
	s = p = malloc(cap);
	if (!s)
		return -ENOMEM;
	for (int i = 0; i < v->n; i++) {
		if (i)
			*p++ = ' ';
		*p++ = '\'';
		for (const char *c = v->v[i]; *c; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	*out = s;
	return 0;
}

static int add2(struct strv *out, const char *flag, const char *val)
{
	if (!val)
		return 0;
	return strv_add(out, flag) < 0 || strv_add(out, val) < 0 ? -ENOMEM : 0;
}

static int add_each(struct strv *out, const char *flag, const struct strv *v)
{
	for (int i = 0; i < v->n; i++) {
		if (add2(out, flag, v->v[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_health(struct strv *out, const struct compose_health *h)
{
	char num[16];
	int r = 0;

	if (!h->present)
		return 0;
	if (h->disable)
		return strv_add(out, "--no-healthcheck");
	if (h->exec.n) {
		char *cmd;
		if (shell_quote_join(&h->exec, &cmd) < 0)
			return -ENOMEM;
		r = add2(out, "--health-cmd", cmd);
		free(cmd);
	} else {
		r = add2(out, "--health-cmd", h->shell);
	}
	r |= add2(out, "--health-interval", h->interval);
	r |= add2(out, "--health-timeout", h->timeout);
	r |= add2(out, "--health-start-period", h->start_period);
	snprintf(num, sizeof(num), "%d", h->retries);
	if (h->retries >= 0)
		r |= add2(out, "--health-retries", num);
	return r ? -ENOMEM : 0;
}

/* A service's volume as `-v` takes it: ./relative sources under the file's
 * directory, top-level volume keys as the volume's name. */
static int volume_arg(const struct compose_file *f, const char *project, const char *v,
		      char *buf, size_t size)
{
	const char *colon = strchr(v, ':');
	const struct compose_volume *cv;

	if (colon && v[0] == '.' && f->dir) {
		if (strncmp(v, "./", 2) == 0)
			v += 2;
		else if (v[1] == ':')
			v++;
		snprintf(buf, size, "%s%s%s", f->dir, *v == ':' ? "" : "/", v);
	} else if (colon && v[0] != '/' && v[0] != '.' &&
		   (cv = compose_find_volume(f, v, colon - v))) {
		if (cv->name)
			snprintf(buf, size, "%s%s", cv->name, colon);
		else if (cv->external)
			snprintf(buf, size, "%s", v);
		else
			snprintf(buf, size, "%s_%s", project, v);
	} else {
		snprintf(buf, size, "%s", v);
	}
	return 0;
}

/* A service's networks: the first as --network, --network-alias (the
 * service's name and its aliases), --ip; the others as run's further
 * --network name=NET,alias=A,ip=IP. */
static int net_args(const struct compose_file *f, const char *project,
		    const struct compose_service *s, struct strv *out)
{
	char net[300], spec[2048];
	int r = 0;

	for (int k = 0; k < s->nnets; k++) {
		const struct compose_svcnet *n = &s->nets[k];
		size_t len;

		compose_network_name(f, project, n->key, net, sizeof(net));
		if (k == 0) {
			r |= add2(out, "--network", net);
			r |= add2(out, "--network-alias", s->name);
			r |= add_each(out, "--network-alias", &n->aliases);
			r |= add2(out, "--ip", n->ipv4_address);
			continue;
		}
		len = (size_t)snprintf(spec, sizeof(spec), "name=%s,alias=%s", net, s->name);
		for (int i = 0; i < n->aliases.n && len < sizeof(spec); i++)
			len += (size_t)snprintf(spec + len, sizeof(spec) - len, ",alias=%s",
						n->aliases.v[i]);
		if (n->ipv4_address && len < sizeof(spec))
			snprintf(spec + len, sizeof(spec) - len, ",ip=%s", n->ipv4_address);
		r |= add2(out, "--network", spec);
	}
	return r;
}

int compose_run_args(const struct compose_file *f, const char *project, int svc,
		     char *const *extra_labels, struct strv *out)
{
	const struct compose_service *s = &f->svc[svc];
	char name[300], label[600], net[300];
	int r = 0;

	compose_container_name(f, project, svc, name, sizeof(name));
	r |= strv_add(out, "run");
	r |= strv_add(out, "-d");
	r |= add2(out, "--name", name);
	snprintf(label, sizeof(label), "com.docker.compose.project=%s", project);
	r |= add2(out, "--label", label);
	snprintf(label, sizeof(label), "com.docker.compose.service=%s", s->name);
	r |= add2(out, "--label", label);
	r |= add2(out, "--label", "com.docker.compose.container-number=1");
	for (char *const *l = extra_labels; l && *l; l++)
		r |= add2(out, "--label", *l);
	r |= add_each(out, "--label", &s->labels);
	r |= add_each(out, "--expose", &s->expose);
	if (s->privileged)
		r |= strv_add(out, "--privileged");
	if (s->stop_timeout > 0) {
		char t[16];
		snprintf(t, sizeof(t), "%d", s->stop_timeout);
		r |= add2(out, "--stop-timeout", t);
	}
	r |= add2(out, "--hostname", s->hostname);
	r |= add2(out, "--workdir", s->working_dir);
	r |= add2(out, "--user", s->user);
	if (s->read_only)
		r |= strv_add(out, "--read-only");
	r |= add2(out, "--restart", s->restart);
	r |= add2(out, "--memory", s->mem_limit);
	r |= add2(out, "--cpus", s->cpus);
	r |= add2(out, "--pids-limit", s->pids_limit);
	if (s->network_mode && strncmp(s->network_mode, "service:", 8) == 0) {
		int j = compose_find(f, s->network_mode + 8);
		char other[300];

		compose_container_name(f, project, j < 0 ? svc : j, other, sizeof(other));
		snprintf(net, sizeof(net), "container:%s", other);
		r |= add2(out, "--network", net);
	} else if (s->network_mode) {
		r |= add2(out, "--network", s->network_mode);
	} else if (s->nnets) {
		r |= net_args(f, project, s, out);
	} else { /* the project's default network; the service's name resolves */
		snprintf(net, sizeof(net), "%s_default", project);
		r |= add2(out, "--network", net);
		r |= add2(out, "--network-alias", s->name);
	}
	r |= add_each(out, "--publish", &s->ports);
	for (int i = 0; i < s->volumes.n; i++) {
		char spec[4096];
		r |= volume_arg(f, project, s->volumes.v[i], spec, sizeof(spec));
		r |= add2(out, "--volume", spec);
	}
	r |= cw_hostx_args(&s->hostx, out);
	r |= add_each(out, "--cap-add", &s->cap_add);
	r |= add_each(out, "--cap-drop", &s->cap_drop);
	r |= add_each(out, "--env", &s->environment);
	r |= add_health(out, &s->health);
	if (s->entrypoint_set)
		r |= add2(out, "--entrypoint", s->entrypoint.n ? s->entrypoint.v[0] : "");
	r |= strv_add(out, "--");
	r |= strv_add(out, s->image);
	for (int i = 1; s->entrypoint_set && i < s->entrypoint.n; i++)
		r |= strv_add(out, s->entrypoint.v[i]);
	for (int i = 0; s->command_set && i < s->command.n; i++)
		r |= strv_add(out, s->command.v[i]);
	return r ? -ENOMEM : 0;
}
