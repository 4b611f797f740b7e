/* compose.c - the Compose subset: libyaml's document tree walked against
 * the keys we know, each problem reported with its file and line.
 *
 * This file holds the top of the walk (the file, services:, volumes:) and
 * the lookups on a parsed file; compose_yaml.c the node helpers and
 * messages, compose_service.c one service key by key, compose_order.c the
 * checks across services and the start order, compose_args.c a service as
 * `berth run` arguments. */
#include "compose_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void parse_services(struct cw_walk *w, yaml_node_t *v)
{
	struct compose_file *f = w->f;
	int n;

	if (v->type != YAML_MAPPING_NODE) {
		if (!cw_is_null(v))
			cw_report(w, cw_line_of(v), "services: must be a mapping, not %s",
				  cw_type_name(v));
		return;
	}
	n = (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	if (n > COMPOSE_MAX_SERVICES) {
		cw_report(w, cw_line_of(v), "services: more than %d services",
			  COMPOSE_MAX_SERVICES);
		n = COMPOSE_MAX_SERVICES;
	}
	f->svc = calloc(n ? n : 1, sizeof(*f->svc));
	if (!f->svc) {
		w->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		yaml_node_pair_t *p = v->data.mapping.pairs.start + i;
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *name = cw_scalar(k);

		if (!name || !*name) {
			cw_report(w, cw_line_of(k), "services: a service name must be a string");
			continue;
		}
		if (compose_find(f, name) >= 0) {
			cw_report(w, cw_line_of(k), "services: service '%s' is defined twice",
				  name);
			continue;
		}
		f->svc[f->nsvc].name = strdup(name);
		if (!f->svc[f->nsvc].name) {
			w->nomem = true;
			return;
		}
		cw_parse_service(w, k, val, &f->svc[f->nsvc]);
		f->nsvc++;
	}
}

/* volumes: {KEY: null | {name: NAME, external: BOOL}} */
static void parse_volumes(struct cw_walk *w, yaml_node_t *v)
{
	struct compose_file *f = w->f;
	int n;

	if (v->type != YAML_MAPPING_NODE) {
		if (!cw_is_null(v))
			cw_report(w, cw_line_of(v), "volumes: must be a mapping, not %s",
				  cw_type_name(v));
		return;
	}
	n = (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	f->vol = calloc(n + 1, sizeof(*f->vol));
	if (!f->vol) {
		w->nomem = true;
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *key = cw_scalar(k);
		struct compose_volume *cv = &f->vol[f->nvol];
		char where[300];

		if (!key || !cw_volume_name_valid(key)) {
			cw_report(w, cw_line_of(k), "volumes: '%s' is not a valid volume name",
				  key ? key : "?");
			continue;
		}
		snprintf(where, sizeof(where), "volumes.%s", key);
		if (val->type != YAML_MAPPING_NODE && !cw_is_null(val)) {
			cw_report(w, cw_line_of(val), "%s: must be a mapping, not %s", where,
				  cw_type_name(val));
			continue;
		}
		cv->key = strdup(key);
		if (!cv->key) {
			w->nomem = true;
			return;
		}
		f->nvol++;
		for (yaml_node_pair_t *q = val->type == YAML_MAPPING_NODE ? val->data.mapping.pairs.start : NULL;
		     q && q < val->data.mapping.pairs.top; q++) {
			yaml_node_t *vk = cw_node(w, q->key), *vv = cw_node(w, q->value);
			const char *vks = cw_scalar(vk);

			if (vks && strcmp(vks, "name") == 0) {
				if (cw_get_string(w, where, vks, vv, &cv->name) &&
				    !cw_volume_name_valid(cv->name))
					cw_report(w, cw_line_of(vv),
						  "%s: name: '%s' is not a valid volume name",
						  where, cv->name);
			} else if (vks && strcmp(vks, "external") == 0) {
				cw_get_bool(w, where, vks, vv, &cv->external);
			} else {
				cw_report(w, cw_line_of(vk), "%s: unknown key '%s'", where,
					  vks ? vks : "?");
			}
		}
	}
}

const struct compose_volume *compose_find_volume(const struct compose_file *f, const char *key,
						 size_t len)
{
	for (int i = 0; i < f->nvol; i++) {
		if (strlen(f->vol[i].key) == len && strncmp(f->vol[i].key, key, len) == 0)
			return &f->vol[i];
	}
	return NULL;
}

static void parse_top(struct cw_walk *w, yaml_node_t *root)
{
	bool seen_services = false;

	if (!root || cw_is_null(root)) {
		cw_report(w, 0, "empty file: no services");
		w->f->fatal = true;
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(root), "the file must be a mapping (services: ...), not %s",
			  cw_type_name(root));
		w->f->fatal = true;
		return;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = cw_node(w, p->key), *v = cw_node(w, p->value);
		const char *key = cw_scalar(k);

		if (key && strcmp(key, "services") == 0 && !seen_services) {
			seen_services = true;
			parse_services(w, v);
		} else if (key && strcmp(key, "version") == 0) {
			if (!cw_scalar(v))
				cw_report(w, cw_line_of(v), "version: must be a string");
		} else if (key && strcmp(key, "name") == 0) {
			char *name = NULL;
			if (cw_get_string(w, "top level", key, v, &name)) {
				free(w->f->name);
				w->f->name = name;
			}
		} else if (key && strcmp(key, "volumes") == 0 && !w->f->vol) {
			parse_volumes(w, v);
		} else if (key && strcmp(key, "networks") == 0 && !w->f->net) {
			cw_parse_networks(w, v);
		} else if (key && strcmp(key, "services") == 0) {
			cw_report(w, cw_line_of(k), "duplicate key 'services'");
		} else {
			cw_report(w, cw_line_of(k), "unknown top-level key '%s'", key ? key : "?");
		}
	}
	if (!seen_services)
		cw_report(w, 0, "no 'services' key");
}

/* ---- the whole file ---- */

int compose_parse(const char *text, size_t len, const char *path, struct compose_file *f)
{
	return compose_parse_env(text, len, path, NULL, f);
}

int compose_parse_env(const char *text, size_t len, const char *path, char *const *const *envs,
		      struct compose_file *f)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct cw_walk w = {.doc = &doc, .f = f};

	memset(f, 0, sizeof(*f));
	f->path = strdup(path ? path : "compose.yaml");
	if (!f->path)
		return -ENOMEM;
	if (len > COMPOSE_MAX_BYTES) {
		cw_report(&w, 0, "larger than %d bytes", COMPOSE_MAX_BYTES);
		f->fatal = true;
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_mark_t m = parser.problem_mark;
		cw_report(&w, (int)m.line + 1, "invalid YAML: %s%s%s",
			  parser.problem ? parser.problem : "error", parser.context ? " " : "",
			  parser.context ? parser.context : "");
		f->fatal = true;
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	cw_interpolate(&w, envs);
	if (!f->fatal)
		parse_top(&w, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!f->fatal) {
		cw_check_volume_refs(&w);
		cw_check_network_refs(&w);
		compose_order(&w);
	}
	if (w.nomem)
		return -ENOMEM;
	return f->errors.n ? -EINVAL : 0;
}

static void health_free(struct compose_health *h)
{
	free(h->shell);
	strv_free(&h->exec);
	free(h->interval);
	free(h->timeout);
	free(h->start_period);
}

void compose_free(struct compose_file *f)
{
	cw_networks_free(f);
	for (int i = 0; i < f->nsvc; i++) {
		struct compose_service *s = &f->svc[i];
		char **strs[] = { &s->name, &s->image, &s->container_name, &s->hostname,
				  &s->working_dir, &s->user, &s->restart, &s->network_mode,
				  &s->mem_limit, &s->cpus, &s->pids_limit, &s->pull_policy };
		struct strv *lists[] = { &s->entrypoint, &s->command, &s->environment, &s->ports,
					 &s->volumes, &s->cap_add, &s->cap_drop, &s->depends_on,
					 &s->depends_cond, &s->labels, &s->expose, &s->env_file,
					 &s->profiles };

		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(*strs[k]);
		for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
			strv_free(lists[k]);
		health_free(&s->health);
		cw_hostx_free(&s->hostx);
		free(s->volume_lines);
	}
	for (int i = 0; i < f->nvol; i++) {
		free(f->vol[i].key);
		free(f->vol[i].name);
	}
	free(f->vol);
	free(f->dir);
	free(f->svc);
	free(f->name);
	free(f->path);
	strv_free(&f->errors);
	memset(f, 0, sizeof(*f));
}

int compose_find(const struct compose_file *f, const char *name)
{
	for (int i = 0; i < f->nsvc; i++) {
		if (f->svc[i].name && strcmp(f->svc[i].name, name) == 0)
			return i;
	}
	return -1;
}

void compose_project_name(const struct compose_file *f, const char *fallback, char *buf,
			  size_t size)
{
	const char *src = f && f->name ? f->name : fallback ? fallback : "";
	size_t n = 0;

	for (; *src && n + 1 < size; src++) {
		char c = (char)tolower((unsigned char)*src);
		if (isalnum((unsigned char)c) || c == '_' || c == '-')
			buf[n++] = c;
	}
	if (size)
		buf[n] = '\0';
}

void compose_container_name(const struct compose_file *f, const char *project, int svc,
			    char *buf, size_t size)
{
	const struct compose_service *s = &f->svc[svc];

	if (s->container_name)
		snprintf(buf, size, "%s", s->container_name);
	else
		snprintf(buf, size, "%s-%s-1", project, s->name);
}

int compose_split_words(const char *s, struct strv *out)
{
	size_t cap = strlen(s) + 1;
	char *word = malloc(cap);
	size_t n = 0;
	bool in_word = false;
	int r = 0;

	if (!word)
		return -ENOMEM;
	while (*s && r == 0) {
		char c = *s++;

		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				word[n] = '\0';
				r = strv_add(out, word);
				n = 0;
				in_word = false;
			}
		} else if (c == '\'') {
			in_word = true;
			while (*s && *s != '\'')
				word[n++] = *s++;
			if (!*s)
				r = -EINVAL;
			else
				s++;
		} else if (c == '"') {
			in_word = true;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$' ||
						   s[1] == '`'))
					s++;
				word[n++] = *s++;
			}
			if (!*s)
				r = -EINVAL;
			else
				s++;
		} else if (c == '\\') {
			in_word = true;
			if (*s)
				word[n++] = *s++;
		} else {
			in_word = true;
			word[n++] = c;
		}
	}
	if (r == 0 && in_word) {
		word[n] = '\0';
		r = strv_add(out, word);
	}
	free(word);
	return r;
}
