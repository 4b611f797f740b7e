/* build_meta.c - the instructions that change only the image config
 * (ENV LABEL MAINTAINER USER WORKDIR VOLUME EXPOSE CMD ENTRYPOINT
 * HEALTHCHECK ARG STOPSIGNAL): what changes and its history text, then applying it;
 * see build_priv.h. */
#include "build_priv.h"

#include "runtime/lib/signame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* USER, WORKDIR and STOPSIGNAL: the config key, or the instruction's word. */
static const char *one_word_name(enum cf_kind kind, bool key)
{
	if (kind == CF_USER)
		return key ? "User" : "USER";
	if (kind == CF_WORKDIR)
		return key ? "WorkingDir" : "WORKDIR";
	return key ? "StopSignal" : "STOPSIGNAL";
}

/* Go's %q of a JSON string list. */
static char *quote_list(json_t *list)
{
	size_t n = json_array_size(list);
	char **v = calloc(n + 1, sizeof(char *));
	char *q;

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = (char *)(json_string_value(json_array_get(list, i)) ?: "");
	q = bld_quote_list(v, n);
	free(v);
	return q;
}

static json_t *command_list(const struct cf_inst *in)
{
	json_t *a = json_array();

	if (!in->json)
		return json_pack("[s, s, s]", "/bin/sh", "-c", in->args[0]);
	for (size_t i = 0; a && i < in->nargs; i++)
		json_array_append_new(a, json_string(in->args[i]));
	return a;
}

static void env_set(json_t *env, const char *name, const char *value)
{
	size_t i, k = strlen(name);
	json_t *v;
	char *kv;

	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return;
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, name, k) == 0 && s[k] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* ENV and LABEL: expanded "K=V" words. */
static int step_kv(struct builder *b, const char *kw, char **created_by, json_t *pairs)
{
	const struct cf_inst *in = b->in;
	char *text = NULL;

	if (asprintf(&text, NOP " %s", kw) < 0)
		return berr_set(b->e, ENOMEM, "build");
	for (size_t i = 0; i < in->nargs; i++) {
		char *word, *k, *v, *n;
		int r = expand(b, in->args[i], &word);
		if (r < 0) {
			free(text);
			return r;
		}
		if (cf_split_kv(word, &k, &v) < 0) {
			free(word);
			free(text);
			return berr_set(b->e, ENOMEM, "build");
		}
		json_array_append_new(pairs, json_pack("[s, s]", k, v));
		if (asprintf(&n, "%s %s", text, word) < 0)
			n = NULL;
		free(text);
		text = n;
		free(word);
		free(k);
		free(v);
		if (!text)
			return berr_set(b->e, ENOMEM, "build");
	}
	*created_by = text;
	return 0;
}

/* The metadata-only instructions: compute what changes (and the history
 * text that keys the cache), then apply it to the config. */
int step_meta(struct builder *b, char **created_by, json_t **change)
{
	const struct cf_inst *in = b->in;
	json_t *ch = json_object();
	char *word = NULL, *t = NULL;
	int r = 0;

	*change = ch;
	switch (in->kind) {
	case CF_ENV:
	case CF_LABEL: {
		json_t *pairs = json_array();
		json_object_set_new(ch, "pairs", pairs);
		return step_kv(b, in->kind == CF_ENV ? "ENV" : "LABEL", created_by, pairs);
	}
	case CF_MAINTAINER:
		json_object_set_new(ch, "author", json_string(in->args[0]));
		r = asprintf(created_by, NOP " MAINTAINER %s", in->args[0]);
		break;
	case CF_USER:
	case CF_WORKDIR:
	case CF_STOPSIGNAL:
		if ((r = expand(b, in->args[0], &word)) < 0)
			return r;
		if (in->kind == CF_STOPSIGNAL && !sig_parse(word)) {
			r = berr_msg(b->e, EINVAL, "STOPSIGNAL: invalid signal: %s", word);
			free(word);
			return r;
		}
		if (in->kind == CF_WORKDIR && word[0] != '/') {
			const char *cur = json_string_value(json_object_get(cfg_config(b), "WorkingDir"));
			char *abs;
			if (asprintf(&abs, "%s/%s", cur && *cur ? (strcmp(cur, "/") ? cur : "") : "",
				     word) < 0) {
				free(word);
				return berr_set(b->e, ENOMEM, "build");
			}
			free(word);
			word = abs;
		}
		json_object_set_new(ch, one_word_name(in->kind, true), json_string(word));
		r = asprintf(created_by, NOP "%s %s", one_word_name(in->kind, false), word);
		break;
	case CF_VOLUME:
	case CF_EXPOSE: {
		json_t *keys = json_array();
		json_object_set_new(ch, "keys", keys);
		r = asprintf(&t, NOP " %s", in->kind == CF_VOLUME ? "VOLUME [" : "EXPOSE");
		for (size_t i = 0; r >= 0 && i < in->nargs; i++) {
			char *n, key[64];
			if ((r = expand(b, in->args[i], &word)) < 0)
				break;
			if (in->kind == CF_EXPOSE) {
				char *end, *slash = strchr(word, '/');
				long port = strtol(word, &end, 10);
				const char *proto = slash ? slash + 1 : "tcp";
				if (end == word || port < 1 || port > 65535 ||
				    (*end && end != slash) ||
				    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))) {
					r = step_err(b, berr_msg(b->e, EINVAL, "EXPOSE: invalid port \"%s\"", word));
					break;
				}
				snprintf(key, sizeof(key), "%ld/%s", port, proto);
				json_array_append_new(keys, json_string(key));
				r = asprintf(&n, "%s %s", t, key);
			} else {
				if (word[0] != '/' || !*word) {
					r = step_err(b, berr_msg(b->e, EINVAL, "VOLUME: \"%s\" is not an absolute path", word));
					break;
				}
				json_array_append_new(keys, json_string(word));
				r = asprintf(&n, "%s%s%s", t, i ? " " : "", word);
			}
			free(word);
			word = NULL;
			free(t);
			t = r < 0 ? NULL : n;
		}
		if (r >= 0 && in->kind == CF_VOLUME) {
			char *n;
			r = asprintf(&n, "%s]", t);
			free(t);
			t = r < 0 ? NULL : n;
		}
		if (r < 0) {
			free(t);
			free(word);
			return -b->e->code ? -b->e->code : berr_set(b->e, ENOMEM, "build");
		}
		*created_by = t;
		return 0;
	}
	case CF_CMD:
	case CF_ENTRYPOINT: {
		json_t *cmd = command_list(in);
		char *q = quote_list(cmd);
		json_object_set_new(ch, in->kind == CF_CMD ? "Cmd" : "Entrypoint", cmd);
		r = q ? asprintf(created_by, NOP " %s %s", in->kind == CF_CMD ? "CMD" : "ENTRYPOINT", q) : -1;
		free(q);
		break;
	}
	case CF_HEALTHCHECK: {
		const struct cf_health *h = &in->health;
		json_t *hc = json_object(), *test;
		char *q;
		if (h->none) {
			test = json_pack("[s]", "NONE");
		} else if (in->json) {
			test = json_pack("[s]", "CMD");
			for (size_t i = 0; i < in->nargs; i++)
				json_array_append_new(test, json_string(in->args[i]));
		} else {
			test = json_pack("[s, s]", "CMD-SHELL", in->args[0]);
		}
		json_object_set_new(hc, "Test", test);
		if (h->interval)
			json_object_set_new(hc, "Interval", json_integer(h->interval));
		if (h->timeout)
			json_object_set_new(hc, "Timeout", json_integer(h->timeout));
		if (h->start_period)
			json_object_set_new(hc, "StartPeriod", json_integer(h->start_period));
		if (h->retries)
			json_object_set_new(hc, "Retries", json_integer(h->retries));
		q = json_dumps(hc, JSON_COMPACT | JSON_SORT_KEYS);
		json_object_set_new(ch, "Healthcheck", hc);
		r = q ? asprintf(created_by, NOP " HEALTHCHECK %s", q) : -1;
		free(q);
		break;
	}
	case CF_ARG: {
		r = asprintf(&t, NOP " ARG");
		for (size_t i = 0; r >= 0 && i < in->nargs; i++) {
			char *n;
			r = asprintf(&n, "%s %s", t, in->args[i]);
			free(t);
			t = r < 0 ? NULL : n;
		}
		*created_by = t;
		break;
	}
	default:
		r = berr_msg(b->e, EINVAL, "not a metadata instruction");
		return step_err(b, r);
	}
	free(word);
	if (r < 0)
		return berr_set(b->e, ENOMEM, "build");
	return 0;
}

void apply_meta(struct builder *b, json_t *ch)
{
	json_t *c = cfg_config(b), *v;
	const char *k;
	size_t i;

	switch (b->in->kind) {
	case CF_ENV: {
		json_t *env = json_object_get(c, "Env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(c, "Env", env);
		}
		json_array_foreach(json_object_get(ch, "pairs"), i, v)
		    env_set(env, json_string_value(json_array_get(v, 0)),
			    json_string_value(json_array_get(v, 1)));
		break;
	}
	case CF_LABEL: {
		json_t *labels = json_object_get(c, "Labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(c, "Labels", labels);
		}
		json_array_foreach(json_object_get(ch, "pairs"), i, v)
		    json_object_set(labels, json_string_value(json_array_get(v, 0)),
				    json_array_get(v, 1));
		break;
	}
	case CF_VOLUME:
	case CF_EXPOSE: {
		const char *field = b->in->kind == CF_VOLUME ? "Volumes" : "ExposedPorts";
		json_t *set = json_object_get(c, field);
		if (!json_is_object(set)) {
			set = json_object();
			json_object_set_new(c, field, set);
		}
		json_array_foreach(json_object_get(ch, "keys"), i, v)
		    json_object_set_new(set, json_string_value(v), json_object());
		break;
	}
	case CF_ARG:
		break;
	default:
		json_object_foreach(ch, k, v)
		{
			if (strcmp(k, "author") == 0)
				json_object_set(b->st.cfg, k, v);
			else
				json_object_set(c, k, v);
		}
		if (b->in->kind == CF_ENTRYPOINT && !b->cmd_set)
			json_object_set_new(c, "Cmd", json_null());
		break;
	}
}
