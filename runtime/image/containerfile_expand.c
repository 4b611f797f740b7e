/* containerfile_expand.c - Docker's word expansion (quotes, escapes,
 * $VAR and ${VAR...}) and the ARG/ENV scope it reads; see
 * containerfile.h. */
#include "containerfile_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- expansion */

struct lexer {
	const char *s;
	char escape;
	const struct cf_scope *scope;
	struct berr *e;
	int depth;
};

static int lex(struct lexer *l, char stop, struct buf *out);

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* After a '$'. */
static int lex_dollar(struct lexer *l, struct buf *out)
{
	char name[256];
	size_t n = 0;
	const char *val;

	if (*l->s != '{') {
		if (!name_char(*l->s))
			return buf_ch(out, '$');
		if (isdigit((unsigned char)*l->s)) {
			name[n++] = *l->s++;
		} else {
			while (name_char(*l->s) && n < sizeof(name) - 1)
				name[n++] = *l->s++;
		}
		name[n] = '\0';
		val = cf_scope_get(l->scope, name);
		return val ? buf_add(out, val, strlen(val)) : 0;
	}
	l->s++;
	while (name_char(*l->s) && n < sizeof(name) - 1)
		name[n++] = *l->s++;
	name[n] = '\0';
	if (n == 0)
		return berr_msg(l->e, EINVAL, "bad substitution: missing variable name after ${");
	val = cf_scope_get(l->scope, name);
	if (*l->s == '}') {
		l->s++;
		return val ? buf_add(out, val, strlen(val)) : 0;
	}
	{
		bool colon = false;
		char op;
		struct buf word = {0};
		int r;

		if (!*l->s || (*l->s == ':' && !l->s[1]))
			return berr_msg(l->e, EINVAL, "missing '}' in substitution of %s", name);
		if (*l->s == ':') {
			colon = true;
			l->s++;
		}
		op = *l->s;
		if (op != '-' && op != '+' && op != '?')
			return berr_msg(l->e, EINVAL, "unsupported modifier (%c) in substitution of %s",
					op ? op : '}', name);
		l->s++;
		if (++l->depth > 32)
			return berr_msg(l->e, EINVAL, "substitution nested too deep");
		r = lex(l, '}', &word);
		l->depth--;
		if (r < 0) {
			free(word.s);
			return r;
		}
		if (*l->s != '}') {
			free(word.s);
			return berr_msg(l->e, EINVAL, "missing '}' in substitution of %s", name);
		}
		l->s++;
		bool set = val && (!colon || *val);
		switch (op) {
		case '-':
			if (set)
				r = buf_add(out, val, strlen(val));
			else if (word.s)
				r = buf_add(out, word.s, word.len);
			break;
		case '+':
			if (set && word.s)
				r = buf_add(out, word.s, word.len);
			break;
		case '?':
			if (!set)
				r = berr_msg(l->e, EINVAL, "%s: %s", name,
					     word.s && *word.s ? word.s : "is not allowed to be unset");
			else
				r = buf_add(out, val, strlen(val));
			break;
		}
		free(word.s);
		return r;
	}
}

static int lex(struct lexer *l, char stop, struct buf *out)
{
	int r = 0;

	while (*l->s && r == 0) {
		char c = *l->s;

		if (stop && c == stop)
			return 0;
		l->s++;
		if (c == l->escape) {
			if (!*l->s)
				return buf_ch(out, c);
			r = buf_ch(out, *l->s++);
		} else if (c == '\'') {
			const char *end = strchr(l->s, '\'');
			if (!end)
				return berr_msg(l->e, EINVAL,
						"unexpected end of statement while looking for matching single-quote");
			r = buf_add(out, l->s, end - l->s);
			l->s = end + 1;
		} else if (c == '"') {
			for (;;) {
				c = *l->s;
				if (!c)
					return berr_msg(l->e, EINVAL,
							"unexpected end of statement while looking for matching double-quote");
				l->s++;
				if (c == '"')
					break;
				if (c == l->escape && (*l->s == '"' || *l->s == '$' || *l->s == l->escape)) {
					r = buf_ch(out, *l->s++);
				} else if (c == '$') {
					r = lex_dollar(l, out);
				} else {
					r = buf_ch(out, c);
				}
				if (r < 0)
					return r;
			}
		} else if (c == '$') {
			r = lex_dollar(l, out);
		} else {
			r = buf_ch(out, c);
		}
	}
	return r;
}

int cf_expand(const char *word, char escape, const struct cf_scope *s, char **out, struct berr *e)
{
	struct lexer l = {.s = word, .escape = escape, .scope = s, .e = e};
	struct buf b = {0};
	int r;

	r = lex(&l, 0, &b);
	if (r < 0) {
		free(b.s);
		if (r == -ENOMEM)
			return berr_set(e, ENOMEM, "expand");
		return r;
	}
	*out = buf_take(&b);
	return *out ? 0 : berr_set(e, ENOMEM, "expand");
}

int cf_split_kv(const char *word, char **name, char **value)
{
	const char *eq = strchr(word, '=');

	*name = eq ? strndup(word, eq - word) : strdup(word);
	*value = strdup(eq ? eq + 1 : "");
	if (!*name || !*value) {
		free(*name);
		free(*value);
		return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- scope */

static const char *env_get(char *const *env, size_t n, const char *name)
{
	size_t k = strlen(name);

	for (size_t i = n; i-- > 0;)
		if (strncmp(env[i], name, k) == 0 && env[i][k] == '=')
			return env[i] + k + 1;
	return NULL;
}

int cf_scope_init(struct cf_scope *s, char *const *build_args, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->build_arg_used = calloc(n + 1, sizeof(bool));
	if (!s->build_arg_used)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strv_push(&s->build_args, &s->nbuild_args, strdup(build_args[i])) < 0)
			return -ENOMEM;
	return 0;
}

static void vars_free(struct cf_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

void cf_scope_free(struct cf_scope *s)
{
	vars_free(s->meta, s->nmeta);
	vars_free(s->args, s->nargs);
	strv_freev(s->env);
	strv_freev(s->build_args);
	free(s->build_arg_used);
	memset(s, 0, sizeof(*s));
}

static const struct cf_var *var_find(const struct cf_var *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

const char *cf_scope_get(const struct cf_scope *s, const char *name)
{
	const char *v = env_get(s->env, s->nenv, name);
	const struct cf_var *a;

	if (v)
		return v;
	a = s->after_from ? var_find(s->args, s->nargs, name) : var_find(s->meta, s->nmeta, name);
	return a ? a->value : NULL;
}

int cf_scope_set_env(struct cf_scope *s, char *const *env, size_t n)
{
	strv_freev(s->env);
	s->env = NULL;
	s->nenv = 0;
	for (size_t i = 0; i < n; i++)
		if (strv_push(&s->env, &s->nenv, strdup(env[i])) < 0)
			return -ENOMEM;
	return 0;
}

int cf_scope_setenv(struct cf_scope *s, const char *name, const char *value)
{
	size_t k = strlen(name);
	char *kv;

	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < s->nenv; i++) {
		if (strncmp(s->env[i], name, k) == 0 && s->env[i][k] == '=') {
			free(s->env[i]);
			s->env[i] = kv;
			return 0;
		}
	}
	return strv_push(&s->env, &s->nenv, kv);
}

static int var_set(struct cf_var **v, size_t *n, const char *name, const char *value)
{
	char *val = value ? strdup(value) : NULL;
	struct cf_var *nv;

	if (value && !val)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*v)[i].name, name) == 0) {
			free((*v)[i].value);
			(*v)[i].value = val;
			return 0;
		}
	}
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv || !(nv[*n].name = strdup(name))) {
		if (nv)
			*v = nv;
		free(val);
		return -ENOMEM;
	}
	nv[*n].value = val;
	*v = nv;
	(*n)++;
	return 0;
}

int cf_scope_arg(struct cf_scope *s, const char *word, char escape, struct berr *e)
{
	char *name = NULL, *def = NULL;
	const char *eq = strchr(word, '='), *val = NULL;
	const struct cf_var *meta;
	int r;

	name = eq ? strndup(word, eq - word) : strdup(word);
	if (!name)
		return berr_set(e, ENOMEM, "ARG");
	if (eq) {
		r = cf_expand(eq + 1, escape, s, &def, e);
		if (r < 0) {
			free(name);
			return r;
		}
	}
	for (size_t i = 0; i < s->nbuild_args; i++) {
		const char *b = s->build_args[i];
		size_t k = strlen(name);
		if (strncmp(b, name, k) == 0 && b[k] == '=') {
			val = b + k + 1;
			s->build_arg_used[i] = true;
		}
	}
	if (!val)
		val = def;
	if (!val && s->after_from && (meta = var_find(s->meta, s->nmeta, name)))
		val = meta->value;
	r = s->after_from ? var_set(&s->args, &s->nargs, name, val)
			  : var_set(&s->meta, &s->nmeta, name, val);
	free(name);
	free(def);
	return r < 0 ? berr_set(e, -r, "ARG") : 0;
}

void cf_scope_enter_stage(struct cf_scope *s)
{
	vars_free(s->args, s->nargs);
	s->args = NULL;
	s->nargs = 0;
	s->after_from = true;
}

char **cf_scope_run_args(const struct cf_scope *s, size_t *n)
{
	char **v = calloc(1, sizeof(char *));

	*n = 0;
	for (size_t i = 0; v && i < s->nargs; i++) {
		char *kv;
		if (!s->args[i].value || env_get(s->env, s->nenv, s->args[i].name))
			continue;
		if (asprintf(&kv, "%s=%s", s->args[i].name, s->args[i].value) < 0 ||
		    strv_push(&v, n, kv) < 0) {
			strv_freev(v);
			return NULL;
		}
	}
	return v;
}

char **cf_scope_unused(const struct cf_scope *s, size_t *n)
{
	char **v = calloc(1, sizeof(char *));

	*n = 0;
	for (size_t i = 0; v && i < s->nbuild_args; i++) {
		if (s->build_arg_used[i])
			continue;
		if (strv_push(&v, n, strndup(s->build_args[i], strcspn(s->build_args[i], "="))) <
		    0) {
			strv_freev(v);
			return NULL;
		}
	}
	return v;
}
