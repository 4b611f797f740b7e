/* compose_networks.c - Compose's networks: key, at the top of the file
 * (the project's networks: driver bridge only, internal, labels,
 * ipam.config[].subnet/gateway, external + name) and in a service (a list
 * of keys, or a map of key: {aliases, ipv4_address}), the check that a
 * service names only declared networks, and the networks' real names. */
#include "compose_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ipam: {driver: default, config: [{subnet, gateway}]}: the first config. */
static void get_ipam(struct cw_walk *w, const char *where, yaml_node_t *v,
		     struct compose_network *n)
{
	for (yaml_node_pair_t *p = v->type == YAML_MAPPING_NODE ? v->data.mapping.pairs.start : NULL;
	     p && p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *c = cw_node(w, p->value);
		const char *key = cw_scalar(k);
		yaml_node_t *first;

		if (key && strcmp(key, "driver") == 0)
			continue;
		if (!key || strcmp(key, "config") || c->type != YAML_SEQUENCE_NODE) {
			cw_report(w, cw_line_of(k), "%s.ipam: unknown key '%s'", where, key ? key : "?");
			continue;
		}
		if (c->data.sequence.items.start == c->data.sequence.items.top)
			continue;
		first = cw_node(w, *c->data.sequence.items.start);
		for (yaml_node_pair_t *q = first->type == YAML_MAPPING_NODE ?
						   first->data.mapping.pairs.start : NULL;
		     q && q < first->data.mapping.pairs.top; q++) {
			yaml_node_t *qk = cw_node(w, q->key), *qv = cw_node(w, q->value);
			const char *s = cw_scalar(qk);

			if (s && strcmp(s, "subnet") == 0)
				cw_get_string(w, where, s, qv, &n->subnet);
			else if (s && strcmp(s, "gateway") == 0)
				cw_get_string(w, where, s, qv, &n->gateway);
			else
				cw_report(w, cw_line_of(qk), "%s.ipam.config: unknown key '%s'",
					  where, s ? s : "?");
		}
	}
}

static void get_network(struct cw_walk *w, const char *where, yaml_node_t *v,
			struct compose_network *n)
{
	for (yaml_node_pair_t *p = v->type == YAML_MAPPING_NODE ? v->data.mapping.pairs.start : NULL;
	     p && p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *key = cw_scalar(k);
		char *driver = NULL;

		if (!key) {
			cw_report(w, cw_line_of(k), "%s: a key must be a string", where);
		} else if (strcmp(key, "name") == 0) {
			cw_get_string(w, where, key, val, &n->name);
		} else if (strcmp(key, "external") == 0) {
			cw_get_bool(w, where, key, val, &n->external);
		} else if (strcmp(key, "internal") == 0) {
			cw_get_bool(w, where, key, val, &n->internal);
		} else if (strcmp(key, "labels") == 0) {
			cw_get_kv(w, where, key, val, "", &n->labels);
		} else if (strcmp(key, "ipam") == 0) {
			get_ipam(w, where, val, n);
		} else if (strcmp(key, "driver") == 0) {
			if (cw_get_string(w, where, key, val, &driver) && strcmp(driver, "bridge"))
				cw_report(w, cw_line_of(val), "%s: driver '%s': only the bridge "
					  "driver is supported", where, driver);
			free(driver);
		} else {
			cw_report(w, cw_line_of(k), "%s: unknown key '%s'", where, key);
		}
	}
}

void cw_parse_networks(struct cw_walk *w, yaml_node_t *v)
{
	struct compose_file *f = w->f;
	int n;

	if (v->type != YAML_MAPPING_NODE) {
		if (!cw_is_null(v))
			cw_report(w, cw_line_of(v), "networks: must be a mapping, not %s",
				  cw_type_name(v));
		return;
	}
	n = (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	f->net = calloc(n + 1, sizeof(*f->net));
	if (!f->net) {
		w->nomem = true;
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *key = cw_scalar(k);
		struct compose_network *cn = &f->net[f->nnet];
		char where[300];

		if (!key || !cw_volume_name_valid(key)) {
			cw_report(w, cw_line_of(k), "networks: '%s' is not a valid network name",
				  key ? key : "?");
			continue;
		}
		snprintf(where, sizeof(where), "networks.%s", key);
		cn->key = strdup(key);
		if (!cn->key) {
			w->nomem = true;
			return;
		}
		f->nnet++;
		if (val->type != YAML_MAPPING_NODE && !cw_is_null(val))
			cw_report(w, cw_line_of(val), "%s: must be a mapping, not %s", where,
				  cw_type_name(val));
		else
			get_network(w, where, val, cn);
	}
}

/* One entry of a service's networks map: null or {aliases, ipv4_address}. */
static bool get_svcnet(struct cw_walk *w, const char *where, yaml_node_t *v,
		       struct compose_svcnet *n)
{
	bool ok = true;

	for (yaml_node_pair_t *p = v->type == YAML_MAPPING_NODE ? v->data.mapping.pairs.start : NULL;
	     p && p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *key = cw_scalar(k);

		if (key && strcmp(key, "aliases") == 0) {
			ok &= cw_get_list(w, where, key, val, &n->aliases);
		} else if (key && strcmp(key, "ipv4_address") == 0) {
			ok &= cw_get_string(w, where, key, val, &n->ipv4_address);
		} else {
			cw_report(w, cw_line_of(k), "%s: unknown key '%s'", where, key ? key : "?");
			ok = false;
		}
	}
	if (v->type != YAML_MAPPING_NODE && !cw_is_null(v)) {
		cw_report(w, cw_line_of(v), "%s: must be a mapping, not %s", where, cw_type_name(v));
		ok = false;
	}
	return ok;
}

bool cw_service_networks(struct cw_walk *w, const char *where, yaml_node_t *v,
			 struct compose_service *s)
{
	bool list = v->type == YAML_SEQUENCE_NODE, ok = true;
	struct strv keys = { 0 };
	char at[400];
	int n;

	if (list)
		ok = cw_get_list(w, where, "networks", v, &keys);
	else if (v->type != YAML_MAPPING_NODE)
		return cw_get_list(w, where, "networks", v, &keys); /* says what it wants */
	n = list ? keys.n : (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	s->nets = calloc(n + 1, sizeof(*s->nets));
	s->nets_line = cw_line_of(v);
	for (int i = 0; ok && s->nets && i < n; i++) {
		yaml_node_pair_t *p = list ? NULL : v->data.mapping.pairs.start + i;
		const char *key = list ? keys.v[i] : cw_scalar(cw_node(w, p->key));

		s->nets[i].key = strdup(key ? key : "");
		s->nets[i].line = p ? cw_line_of(cw_node(w, p->key)) : s->nets_line;
		s->nnets++;
		snprintf(at, sizeof(at), "%s.networks.%s", where, key ? key : "?");
		if (p)
			ok &= get_svcnet(w, at, cw_node(w, p->value), &s->nets[i]);
	}
	strv_free(&keys);
	w->nomem |= !s->nets;
	return ok;
}

const struct compose_network *compose_find_network(const struct compose_file *f, const char *key)
{
	for (int i = 0; i < f->nnet; i++) {
		if (strcmp(f->net[i].key, key) == 0)
			return &f->net[i];
	}
	return NULL;
}

void cw_check_network_refs(struct cw_walk *w)
{
	struct compose_file *f = w->f;

	for (int i = 0; i < f->nsvc; i++) {
		struct compose_service *s = &f->svc[i];

		if (s->nnets && s->network_mode) {
			cw_report(w, s->nets_line, "services.%s: 'network_mode' and 'networks' "
				  "cannot be combined", s->name);
			s->status = COMPOSE_INVALID;
		}
		for (int k = 0; k < s->nnets; k++) {
			if (strcmp(s->nets[k].key, "default") && !compose_find_network(f, s->nets[k].key)) {
				cw_report(w, s->nets[k].line, "services.%s.networks: network '%s' is "
					  "not declared under the top-level networks", s->name,
					  s->nets[k].key);
				s->status = COMPOSE_INVALID;
			}
		}
	}
}

void compose_network_name(const struct compose_file *f, const char *project, const char *key,
			  char *buf, size_t size)
{
	const struct compose_network *n = compose_find_network(f, key);

	if (n && n->name)
		snprintf(buf, size, "%s", n->name);
	else if (n && n->external)
		snprintf(buf, size, "%s", key);
	else
		snprintf(buf, size, "%s_%s", project, key);
}

void cw_networks_free(struct compose_file *f)
{
	for (int i = 0; i < f->nsvc; i++) {
		for (int k = 0; k < f->svc[i].nnets; k++) {
			free(f->svc[i].nets[k].key);
			free(f->svc[i].nets[k].ipv4_address);
			strv_free(&f->svc[i].nets[k].aliases);
		}
		free(f->svc[i].nets);
	}
	for (int i = 0; i < f->nnet; i++) {
		free(f->net[i].key);
		free(f->net[i].name);
		free(f->net[i].subnet);
		free(f->net[i].gateway);
		strv_free(&f->net[i].labels);
	}
	free(f->net);
}
