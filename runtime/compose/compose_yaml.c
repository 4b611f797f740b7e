/* compose_yaml.c - the walk's view of libyaml's document tree: nodes,
 * scalars and YAML's nulls, the typed getters (string, bool, list) that
 * report a value of the wrong shape, and the one place a problem becomes
 * a "FILE:LINE: ..." message in f->errors. */
#include "compose_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cw_report(struct cw_walk *w, int line, const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;

	if (line > 0)
		n = snprintf(msg, sizeof(msg), "%s:%d: ", w->f->path, line);
	else
		n = snprintf(msg, sizeof(msg), "%s: ", w->f->path);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	if (strv_add(&w->f->errors, msg) < 0)
		w->nomem = true;
}

int cw_line_of(yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

yaml_node_t *cw_node(struct cw_walk *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

const char *cw_scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* An empty plain scalar, "~" or "null": YAML's null. */
bool cw_is_null(yaml_node_t *n)
{
	const char *s = cw_scalar(n);

	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

const char *cw_type_name(yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "empty";
	}
}

/* A string-valued key. Any scalar will do (ports and users are often
 * numbers). Returns false after reporting. */
bool cw_get_string(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		   char **out)
{
	const char *s = cw_scalar(v);

	if (!s || cw_is_null(v)) {
		cw_report(w, cw_line_of(v), "%s: '%s' must be a string, not %s", where, key,
			  s ? "null" : cw_type_name(v));
		return false;
	}
	free(*out);
	*out = strdup(s);
	if (!*out)
		w->nomem = true;
	return true;
}

bool cw_get_bool(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };
	const char *s = cw_scalar(v);

	for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, true;
		if (strcmp(s, no[i]) == 0)
			return *out = false, true;
	}
	cw_report(w, cw_line_of(v), "%s: '%s' must be true or false", where, key);
	return false;
}

/* A list of scalars; a single scalar too when one_ok. */
bool cw_get_list(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		 struct strv *out)
{
	strv_free(out);
	if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *n = cw_node(w, *it);
			const char *s = cw_scalar(n);

			if (!s || cw_is_null(n)) {
				cw_report(w, cw_line_of(n),
					  "%s: each item of '%s' must be a string", where, key);
				return false;
			}
			if (strv_add(out, s) < 0)
				w->nomem = true;
		}
		return true;
	}
	cw_report(w, cw_line_of(v), "%s: '%s' must be a list, not %s", where, key, cw_type_name(v));
	return false;
}

/* A mapping KEY: VALUE or a list of "KEY=VALUE" (environment, labels)
 * into out as "KEY=VALUE"; a null VALUE gives "KEY" (null_value NULL:
 * environment, taken from the caller's) or "KEY=null_value". */
bool cw_get_kv(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
	       const char *null_value, struct strv *out)
{
	strv_free(out);
	if (v->type == YAML_SEQUENCE_NODE) {
		if (!cw_get_list(w, where, key, v, out))
			return false;
		for (int i = 0; i < out->n; i++) {
			if (!out->v[i][0] || out->v[i][0] == '=') {
				cw_report(w, cw_line_of(v), "%s: %s: bad entry '%s'", where, key,
					  out->v[i]);
				return false;
			}
		}
		return true;
	}
	if (v->type != YAML_MAPPING_NODE) {
		cw_report(w, cw_line_of(v), "%s: '%s' must be a mapping or a list, not %s", where,
			  key, cw_type_name(v));
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cw_node(w, p->key), *val = cw_node(w, p->value);
		const char *ks = cw_scalar(k), *vs = cw_scalar(val);
		char *kv;

		if (!ks || !*ks || strchr(ks, '=')) {
			cw_report(w, cw_line_of(k), "%s: %s: bad name", where, key);
			return false;
		}
		if (!vs) {
			cw_report(w, cw_line_of(val), "%s: %s: '%s' must be a string, not %s", where,
				  key, ks, cw_type_name(val));
			return false;
		}
		if (cw_is_null(val) && !null_value)
			kv = strdup(ks);
		else if (asprintf(&kv, "%s=%s", ks, cw_is_null(val) ? null_value : vs) < 0)
			kv = NULL;
		if (!kv || strv_add(out, kv) < 0)
			w->nomem = true;
		free(kv);
	}
	return true;
}
