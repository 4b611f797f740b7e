/* compose_interp.c - Compose's variable interpolation ($VAR, ${VAR},
 * ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
 * ${VAR:+other}, ${VAR+other}, $$) and the .env / env_file format.
 *
 * Pure: the variables come in as "KEY=VALUE" lists; the first list that
 * holds a key wins (the caller passes its environment before the .env
 * file, which is Compose's precedence). As Compose's template code, a $
 * that is followed by neither $, a name nor { stays as it is, and the
 * word after :- ? + is interpolated in turn. */
#include "compose_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	char *p;
	size_t n, cap;
	bool nomem;
};

static void sb_add(struct sbuf *b, const char *s, size_t len)
{
	if (b->nomem)
		return;
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *g;

		while (cap < b->n + len + 1)
			cap *= 2;
		g = realloc(b->p, cap);
		if (!g) {
			b->nomem = true;
			return;
		}
		b->p = g;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

/* The value of name (len bytes) in the lists, or NULL when it is unset. */
static const char *lookup(char *const *const *envs, const char *name, size_t len)
{
	for (; envs && *envs; envs++) {
		for (char *const *e = *envs; *e; e++) {
			if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
				return *e + len + 1;
		}
	}
	return NULL;
}

static size_t name_len(const char *s, size_t max)
{
	size_t n = 0;

	if (!max || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	while (n < max && (isalnum((unsigned char)s[n]) || s[n] == '_'))
		n++;
	return n;
}

/* The } closing the ${ whose body starts at s, counting nested ${...}. */
static const char *closing_brace(const char *s, const char *end)
{
	int depth = 1;

	for (; s < end; s++) {
		if (s[0] == '$' && s + 1 < end && s[1] == '{') {
			depth++;
			s++;
		} else if (*s == '}' && --depth == 0) {
			return s;
		}
	}
	return NULL;
}

struct interp {
	char *const *const *envs;
	char *err;
	size_t errsize;
};

static int fail(struct interp *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct interp *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->err, in->errsize, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int expand(struct interp *in, const char *s, const char *end, struct sbuf *b);

/* ${NAME}, ${NAME:-word} ...: body is what lies between the braces. */
static int braced(struct interp *in, const char *body, const char *end, struct sbuf *b)
{
	size_t n = name_len(body, end - body);
	const char *op = body + n, *val;
	bool colon, set, empty;
	struct sbuf word = { 0 };
	int r;

	if (!n)
		return fail(in, "invalid interpolation format: '${%.*s}' (a literal $ is written $$)",
			    (int)(end - body), body);
	val = lookup(in->envs, body, n);
	if (op == end) {
		sb_add(b, val ? val : "", val ? strlen(val) : 0);
		return 0;
	}
	colon = *op == ':';
	op += colon;
	if (op == end || !*op || !strchr("-?+", *op))
		return fail(in, "invalid interpolation format: '${%.*s}' (a literal $ is written $$)",
			    (int)(end - body), body);
	set = val != NULL;
	empty = !val || !*val;
	r = expand(in, op + 1, end, &word);
	if (r < 0 || word.nomem) {
		free(word.p);
		return r < 0 ? r : -ENOMEM;
	}
	if (*op == '-') {
		bool use = colon ? empty : !set;
		sb_add(b, use ? (word.p ? word.p : "") : val, use ? word.n : strlen(val));
	} else if (*op == '+') {
		bool use = colon ? !empty : set;
		sb_add(b, use ? (word.p ? word.p : "") : "", use ? word.n : 0);
	} else if (colon ? empty : !set) {
		r = fail(in, "required variable %.*s is missing a value%s%s", (int)n, body,
			 word.n ? ": " : "", word.n ? word.p : "");
	} else {
		sb_add(b, val, strlen(val));
	}
	free(word.p);
	return r;
}

static int expand(struct interp *in, const char *s, const char *end, struct sbuf *b)
{
	while (s < end) {
		const char *dollar = memchr(s, '$', end - s), *close;
		size_t n;

		if (!dollar) {
			sb_add(b, s, end - s);
			break;
		}
		sb_add(b, s, dollar - s);
		s = dollar + 1;
		if (s < end && *s == '$') {
			sb_add(b, "$", 1);
			s++;
		} else if (s < end && *s == '{') {
			close = closing_brace(s + 1, end);
			if (!close)
				return fail(in,
					    "invalid interpolation format: '%.*s' (a literal $ is "
					    "written $$)",
					    (int)(end - dollar), dollar);
			if (braced(in, s + 1, close, b) < 0)
				return -EINVAL;
			s = close + 1;
		} else if ((n = name_len(s, end - s))) {
			const char *val = lookup(in->envs, s, n);
			sb_add(b, val ? val : "", val ? strlen(val) : 0);
			s += n;
		} else {
			sb_add(b, "$", 1);
		}
	}
	return b->nomem ? -ENOMEM : 0;
}

int compose_interpolate(const char *s, char *const *const *envs, char **out, char *err,
			size_t errsize)
{
	struct interp in = { .envs = envs, .err = err, .errsize = errsize };
	struct sbuf b = { 0 };
	int r = expand(&in, s, s + strlen(s), &b);

	if (r == 0 && !b.p)
		sb_add(&b, "", 0);
	if (r == 0 && b.nomem)
		r = -ENOMEM;
	if (r < 0) {
		free(b.p);
		return r;
	}
	*out = b.p;
	return 0;
}

/* ---- .env and env_file ---- */

/* A double-quoted value's escapes, as Compose's dotenv reads them. */
static char unescape(char c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	default:
		return c;
	}
}

/* The value starting at *pp (after '='), up to the end of its line (or of
 * its quotes, which may span lines); *pp moves past it. */
static int dotenv_value(const char **pp, const char *end, int *line, struct sbuf *v,
			char *err, size_t errsize)
{
	const char *p = *pp;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && (*p == '\'' || *p == '"')) {
		char q = *p++;
		int start = *line;

		for (; p < end && *p != q; p++) {
			char c = *p;
			if (c == '\n')
				(*line)++;
			if (q == '"' && c == '\\' && p + 1 < end)
				c = unescape(*++p);
			sb_add(v, &c, 1);
		}
		if (p >= end) {
			snprintf(err, errsize, "line %d: unterminated quoted value", start);
			return -EINVAL;
		}
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '\n' && *p != '#') {
			snprintf(err, errsize, "line %d: unexpected text after the quoted value",
				 *line);
			return -EINVAL;
		}
	} else {
		const char *s = p, *e;

		while (p < end && *p != '\n' && !(*p == '#' && p > s && isspace((unsigned char)p[-1])))
			p++;
		e = p;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		sb_add(v, s, e - s);
	}
	while (p < end && *p != '\n')
		p++;
	*pp = p;
	return v->nomem ? -ENOMEM : 0;
}

int compose_dotenv_parse(const char *text, size_t len, struct strv *out, char *err,
			 size_t errsize)
{
	const char *p = text, *end = text + len;
	int line = 1;

	while (p < end) {
		const char *k;
		size_t kn;
		struct sbuf kv = { 0 };
		int r;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < end && (*p == '\n' || *p == '#')) {
			while (p < end && *p != '\n')
				p++;
			p++, line++;
			continue;
		}
		if (p >= end)
			break;
		if ((size_t)(end - p) > 7 && strncmp(p, "export ", 7) == 0)
			p += 7;
		k = p;
		while (p < end && (isalnum((unsigned char)*p) || (*p && strchr("_.-", *p))))
			p++;
		kn = p - k;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (!kn || isdigit((unsigned char)*k) || p >= end || *p != '=') {
			const char *nl = memchr(k, '\n', end - k);
			snprintf(err, errsize, "line %d: '%.*s' is not KEY=VALUE", line,
				 (int)((nl ? nl : end) - k > 60 ? 60 : (nl ? nl : end) - k), k);
			return -EINVAL;
		}
		p++;
		sb_add(&kv, k, kn);
		sb_add(&kv, "=", 1);
		r = dotenv_value(&p, end, &line, &kv, err, errsize);
		if (r == 0)
			r = env_set(out, kv.p);
		free(kv.p);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the document ---- */

/* Every scalar that is not a mapping key, interpolated in place (keys are
 * not, as in Compose). Each problem is reported with its line and makes
 * the file fatal: Compose starts nothing when a variable is missing. */
void cw_interpolate(struct cw_walk *w, char *const *const *envs)
{
	yaml_node_t *start = w->doc->nodes.start, *top = w->doc->nodes.top;
	size_t n = top - start;
	bool *is_key = calloc(n + 1, sizeof(bool));

	if (!is_key) {
		w->nomem = true;
		return;
	}
	for (yaml_node_t *m = start; m < top; m++) {
		if (m->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
		     p++) {
			if (p->key >= 1 && (size_t)p->key <= n)
				is_key[p->key - 1] = true;
		}
	}
	for (yaml_node_t *s = start; s < top; s++) {
		char err[512], *v;
		int r;

		if (s->type != YAML_SCALAR_NODE || is_key[s - start] ||
		    !memchr(s->data.scalar.value, '$', s->data.scalar.length))
			continue;
		r = compose_interpolate((const char *)s->data.scalar.value, envs, &v, err,
					sizeof(err));
		if (r == -ENOMEM)
			w->nomem = true;
		if (r == -EINVAL) {
			cw_report(w, cw_line_of(s), "%s", err);
			w->f->fatal = true; /* as Compose: nothing starts */
		}
		if (r < 0)
			continue;
		free(s->data.scalar.value);
		s->data.scalar.value = (yaml_char_t *)v;
		s->data.scalar.length = strlen(v);
	}
	free(is_key);
}
