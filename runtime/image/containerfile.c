/* containerfile.c - Containerfile parsing and variable expansion; see
 * containerfile.h. */
#include "containerfile.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CF_MAX_LINE (1u << 20)

static const struct {
	const char *name;
	enum cf_kind kind;
} keywords[] = {
	{"FROM", CF_FROM},	   {"MAINTAINER", CF_MAINTAINER}, {"LABEL", CF_LABEL},
	{"RUN", CF_RUN},	   {"USER", CF_USER},		  {"ADD", CF_ADD},
	{"COPY", CF_COPY},	   {"WORKDIR", CF_WORKDIR},	  {"VOLUME", CF_VOLUME},
	{"EXPOSE", CF_EXPOSE},	   {"ENV", CF_ENV},		  {"ARG", CF_ARG},
	{"CMD", CF_CMD},	   {"ENTRYPOINT", CF_ENTRYPOINT}, {"HEALTHCHECK", CF_HEALTHCHECK},
};

/* Docker instructions Berth does not build. */
static const char *const unsupported[] = {"ONBUILD", "STOPSIGNAL", "SHELL"};

/* ---------------------------------------------------------------- buffers */

struct buf {
	char *s;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p)
			return -ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int buf_ch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* Give the (possibly empty) string away. */
static char *buf_take(struct buf *b)
{
	char *s = b->s;

	if (!s)
		s = strdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void cf_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static int strv_push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

/* ---------------------------------------------------------------- durations */

int cf_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {{"ns", 1},	   {"us", 1e3},	 {"\xc2\xb5s", 1e3}, {"ms", 1e6},
		     {"s", 1e9},   {"m", 60e9},	 {"h", 3600e9}};
	double total = 0;

	if (!s || !*s)
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v;
		size_t best = 0, k;
		int which = -1;

		if (!isdigit((unsigned char)*s) && *s != '.')
			return -EINVAL;
		v = strtod(s, &end);
		if (end == s)
			return -EINVAL;
		s = end;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			k = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, k) == 0 && k > best) {
				best = k;
				which = (int)i;
			}
		}
		if (which < 0)
			return -EINVAL;
		total += v * units[which].mult;
		s += best;
		if (total > 9.2e18)
			return -ERANGE;
	}
	*ns = (int64_t)total;
	return 0;
}

/* ---------------------------------------------------------------- parsing */

struct parser {
	const char *name;
	char escape;
	struct berr *e;
	int line;
};

static int perr(struct parser *p, const char *fmt, const char *arg)
{
	char msg[BERR_MSG_MAX - 64];

	snprintf(msg, sizeof(msg), fmt, arg);
	return berr_msg(p->e, EINVAL, "%s:%d: %s", p->name, p->line, msg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static const char *skip_space(const char *s)
{
	while (*s && is_space(*s))
		s++;
	return s;
}

/* Split on unquoted whitespace; quotes and escapes stay in the words
 * (cf_expand removes them later). */
static int split_words(struct parser *p, const char *s, char ***out, size_t *n)
{
	struct buf b = {0};
	char quote = 0;
	bool in_word = false;
	int r = 0;

	*out = NULL;
	*n = 0;
	for (; *s && r == 0; s++) {
		char c = *s;

		if (!quote && is_space(c)) {
			if (in_word)
				r = strv_push(out, n, buf_take(&b));
			in_word = false;
			continue;
		}
		in_word = true;
		if (c == p->escape && quote != '\'' && s[1]) {
			r = buf_ch(&b, c);
			if (r == 0)
				r = buf_ch(&b, *++s);
			continue;
		}
		if (quote && c == quote)
			quote = 0;
		else if (!quote && (c == '\'' || c == '"'))
			quote = c;
		r = buf_ch(&b, c);
	}
	if (r == 0 && in_word)
		r = strv_push(out, n, buf_take(&b));
	free(b.s);
	if (r < 0) {
		cf_strv_free(*out);
		*out = NULL;
		return berr_set(p->e, -r, "parse");
	}
	return 0;
}

/* A JSON array of strings, or false (not an error: the shell form). */
static bool parse_json_array(const char *s, char ***out, size_t *n)
{
	json_t *a = json_loads(s, 0, NULL);
	json_t *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_is_array(a)) {
		json_decref(a);
		return false;
	}
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			goto bad;
	}
	json_array_foreach(a, i, v)
	{
		if (strv_push(out, n, strdup(json_string_value(v))) < 0)
			goto bad;
	}
	if (!*out)
		*out = calloc(1, sizeof(char *));
	json_decref(a);
	return *out != NULL;
bad:
	cf_strv_free(*out);
	*out = NULL;
	*n = 0;
	json_decref(a);
	return false;
}

static int take_flags(struct parser *p, struct cf_inst *in, const char **rest)
{
	const char *s = *rest;

	while (s[0] == '-' && s[1] == '-') {
		const char *end = s;
		const char *eq;
		struct cf_flag *nf;
		char word[1024];
		size_t len;

		while (*end && !is_space(*end))
			end++;
		len = end - s;
		if (len >= sizeof(word))
			return perr(p, "flag too long: %.40s", s);
		memcpy(word, s, len);
		word[len] = '\0';
		if (len == 2)
			break; /* "--" ends the flags */
		nf = realloc(in->flags, (in->nflags + 1) * sizeof(*nf));
		if (!nf)
			return berr_set(p->e, ENOMEM, "parse");
		in->flags = nf;
		eq = strchr(word, '=');
		nf[in->nflags].name = strndup(word + 2, eq ? (size_t)(eq - word - 2) : len - 2);
		nf[in->nflags].value = strdup(eq ? eq + 1 : "");
		in->nflags++;
		if (!nf[in->nflags - 1].name || !nf[in->nflags - 1].value)
			return berr_set(p->e, ENOMEM, "parse");
		s = skip_space(end);
	}
	*rest = s;
	return 0;
}

static int check_flags(struct parser *p, struct cf_inst *in, const char *const *allowed)
{
	for (size_t i = 0; i < in->nflags; i++) {
		bool ok = false;

		for (const char *const *a = allowed; a && *a && !ok; a++)
			ok = strcmp(*a, in->flags[i].name) == 0;
		if (!ok)
			return perr(p, "unknown flag: --%s", in->flags[i].name);
	}
	return 0;
}

static const char *flag_value(const struct cf_inst *in, const char *name)
{
	for (size_t i = 0; i < in->nflags; i++)
		if (strcmp(in->flags[i].name, name) == 0)
			return in->flags[i].value;
	return NULL;
}

static int one_arg(struct parser *p, struct cf_inst *in, const char *rest, const char *kw)
{
	size_t len = strlen(rest);

	while (len && is_space(rest[len - 1]))
		len--;
	if (!len)
		return perr(p, "%s requires exactly one argument", kw);
	if (strv_push(&in->args, &in->nargs, strndup(rest, len)) < 0)
		return berr_set(p->e, ENOMEM, "parse");
	return 0;
}

/* RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD: the exec form (a JSON array)
 * or the shell form (the rest of the line, as one string). */
static int cmd_form(struct parser *p, struct cf_inst *in, const char *rest, const char *kw)
{
	size_t len = strlen(rest);

	while (len && is_space(rest[len - 1]))
		len--;
	if (rest[0] == '[' && parse_json_array(rest, &in->args, &in->nargs)) {
		in->json = true;
		if (in->kind == CF_RUN && in->nargs == 0)
			return perr(p, "%s requires at least one argument", kw);
		return 0;
	}
	if (!len)
		return perr(p, "%s requires at least one argument", kw);
	if (strv_push(&in->args, &in->nargs, strndup(rest, len)) < 0)
		return berr_set(p->e, ENOMEM, "parse");
	return 0;
}

static int list_form(struct parser *p, struct cf_inst *in, const char *rest, const char *kw,
		     size_t min)
{
	int r;

	if (rest[0] == '[' && parse_json_array(rest, &in->args, &in->nargs)) {
		in->json = true;
	} else {
		r = split_words(p, rest, &in->args, &in->nargs);
		if (r < 0)
			return r;
	}
	if (in->nargs < min)
		return perr(p, min > 1 ? "%s requires at least two arguments"
				       : "%s requires at least one argument",
			    kw);
	return 0;
}

/* ENV and LABEL: "KEY=VALUE ..." or the legacy "KEY VALUE WITH SPACES". */
static int name_values(struct parser *p, struct cf_inst *in, const char *rest, const char *kw)
{
	char **words;
	size_t n;
	int r;

	r = split_words(p, rest, &words, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		free(words);
		return perr(p, "%s requires at least one argument", kw);
	}
	if (!strchr(words[0], '=')) {
		const char *val = skip_space(rest + strlen(words[0]));
		size_t len = strlen(val);
		char *kv;

		while (len && is_space(val[len - 1]))
			len--;
		if (n < 2) {
			cf_strv_free(words);
			return perr(p, "%s must have two arguments", kw);
		}
		if (asprintf(&kv, "%s=%.*s", words[0], (int)len, val) < 0)
			kv = NULL;
		cf_strv_free(words);
		if (strv_push(&in->args, &in->nargs, kv) < 0)
			return berr_set(p->e, ENOMEM, "parse");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(words[i], '=');

		if (!eq || eq == words[i]) {
			r = perr(p, eq ? "%s names can not be blank" : "syntax error - can't find = in "
								       "\"%s\". Must be of the form: name=value",
				 eq ? kw : words[i]);
			cf_strv_free(words);
			return r;
		}
	}
	in->args = words;
	in->nargs = n;
	return 0;
}

static bool valid_arg_name(const char *w)
{
	size_t n = strcspn(w, "=");

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '_')
			return false;
	return true;
}

static int healthcheck(struct parser *p, struct cf_inst *in, const char *rest)
{
	static const char *const allowed[] = {"interval", "timeout", "start-period", "retries",
					      NULL};
	struct cf_health *h = &in->health;
	const char *v;
	size_t k;
	int r;

	r = check_flags(p, in, allowed);
	if (r < 0)
		return r;
	k = 0;
	while (rest[k] && !is_space(rest[k]))
		k++;
	if (k == 4 && strncasecmp(rest, "NONE", 4) == 0) {
		if (*skip_space(rest + 4) || in->nflags)
			return perr(p, "%s", "HEALTHCHECK NONE takes no arguments");
		h->none = true;
		return 0;
	}
	if (k != 3 || strncasecmp(rest, "CMD", 3) != 0) {
		char type[64];
		snprintf(type, sizeof(type), "%.*s", (int)(k < 60 ? k : 60), rest);
		return perr(p, "unknown type \"%s\" in HEALTHCHECK (try CMD)", type);
	}
	r = cmd_form(p, in, skip_space(rest + 3), "HEALTHCHECK CMD");
	if (r < 0)
		return r;
	if (in->json && in->nargs == 0)
		return perr(p, "%s", "HEALTHCHECK CMD requires at least one argument");
	struct {
		const char *name;
		int64_t *dst;
	} durs[] = {{"interval", &h->interval},
		    {"timeout", &h->timeout},
		    {"start-period", &h->start_period}};
	for (size_t i = 0; i < 3; i++) {
		v = flag_value(in, durs[i].name);
		if (!v)
			continue;
		if (cf_parse_duration(v, durs[i].dst) < 0)
			return perr(p, "HEALTHCHECK: invalid duration \"%s\"", v);
		if (*durs[i].dst != 0 && *durs[i].dst < 1000000)
			return perr(p, "HEALTHCHECK: duration \"%s\" cannot be less than 1ms", v);
	}
	v = flag_value(in, "retries");
	if (v) {
		char *end;
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < 0 || n > 1000000)
			return perr(p, "HEALTHCHECK: invalid --retries \"%s\"", v);
		h->retries = (int)n;
	}
	return 0;
}

static int parse_args(struct parser *p, struct cf_inst *in, const char *kw, const char *rest)
{
	static const char *const copy_flags[] = {"chown", "chmod", NULL};
	static const char *const from_flags[] = {"platform", NULL};
	int r;

	r = take_flags(p, in, &rest);
	if (r < 0)
		return r;
	switch (in->kind) {
	case CF_FROM:
		if ((r = check_flags(p, in, from_flags)) < 0 ||
		    (r = split_words(p, rest, &in->args, &in->nargs)) < 0)
			return r;
		if (in->nargs == 1 ||
		    (in->nargs == 3 && strcasecmp(in->args[1], "AS") == 0 && *in->args[2]))
			return 0;
		return perr(p, "%s", "FROM requires either one or three arguments (IMAGE [AS NAME])");
	case CF_ADD:
	case CF_COPY:
		if ((r = check_flags(p, in, copy_flags)) < 0)
			return r;
		return list_form(p, in, rest, kw, 2);
	case CF_HEALTHCHECK:
		return healthcheck(p, in, rest);
	default:
		break;
	}
	if (in->nflags)
		return perr(p, "unknown flag: --%s", in->flags[0].name);
	switch (in->kind) {
	case CF_RUN:
	case CF_CMD:
	case CF_ENTRYPOINT:
		return cmd_form(p, in, rest, kw);
	case CF_MAINTAINER:
	case CF_USER:
	case CF_WORKDIR:
		return one_arg(p, in, rest, kw);
	case CF_VOLUME:
	case CF_EXPOSE:
		return list_form(p, in, rest, kw, 1);
	case CF_ENV:
	case CF_LABEL:
		return name_values(p, in, rest, kw);
	case CF_ARG:
		if ((r = split_words(p, rest, &in->args, &in->nargs)) < 0)
			return r;
		if (in->nargs == 0)
			return perr(p, "%s", "ARG requires at least one argument");
		for (size_t i = 0; i < in->nargs; i++)
			if (!valid_arg_name(in->args[i]))
				return perr(p, "ARG: invalid name in \"%s\"", in->args[i]);
		return 0;
	default:
		return 0;
	}
}

static int instruction(struct parser *p, struct cf_file *f, const char *line, int lineno)
{
	char kw[32];
	const char *rest;
	struct cf_inst *in, *nv;
	size_t k = 0;
	int r;

	line = skip_space(line);
	while (line[k] && !is_space(line[k]) && k < sizeof(kw) - 1) {
		kw[k] = (char)toupper((unsigned char)line[k]);
		k++;
	}
	kw[k] = '\0';
	rest = skip_space(line + k);
	p->line = lineno;
	nv = realloc(f->inst, (f->n + 1) * sizeof(*nv));
	if (!nv)
		return berr_set(p->e, ENOMEM, "parse");
	f->inst = nv;
	in = &f->inst[f->n];
	memset(in, 0, sizeof(*in));
	in->line = lineno;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strcmp(kw, keywords[i].name) == 0) {
			in->kind = keywords[i].kind;
			f->n++;
			if (asprintf(&in->text, "%s %s", kw, rest) < 0) {
				in->text = NULL;
				return berr_set(p->e, ENOMEM, "parse");
			}
			{ /* no trailing whitespace in the text either */
				size_t len = strlen(in->text);
				while (len && is_space(in->text[len - 1]))
					in->text[--len] = '\0';
			}
			r = parse_args(p, in, kw, rest);
			return r;
		}
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strcmp(kw, unsupported[i]) == 0)
			return perr(p, "%s is not supported", kw);
	return perr(p, "unknown instruction: %s", kw);
}

/* "# name = value" at the top of the file. */
static bool directive(const char *line, char *name, size_t nsize, char *value, size_t vsize)
{
	const char *s = skip_space(line), *eq, *end;
	size_t n = 0;

	if (*s != '#')
		return false;
	s = skip_space(s + 1);
	while (isalpha((unsigned char)s[n]) || (n && isdigit((unsigned char)s[n])))
		n++;
	if (n == 0 || n >= nsize)
		return false;
	eq = skip_space(s + n);
	if (*eq != '=')
		return false;
	snprintf(name, nsize, "%.*s", (int)n, s);
	for (size_t i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	eq = skip_space(eq + 1);
	end = eq + strlen(eq);
	while (end > eq && is_space(end[-1]))
		end--;
	snprintf(value, vsize, "%.*s", (int)(end - eq), eq);
	return true;
}

/* Does the line end (ignoring trailing whitespace) with the escape
 * character? Then cut it and say so. */
static bool continues(char *line, char escape)
{
	size_t len = strlen(line);

	while (len && is_space(line[len - 1]))
		len--;
	if (len && line[len - 1] == escape) {
		line[len - 1] = '\0';
		return true;
	}
	return false;
}

static bool blank_or_comment(const char *line)
{
	const char *s = skip_space(line);
	return !*s || *s == '#';
}

int cf_parse(const char *name, const char *text, size_t len, struct cf_file *out, struct berr *e)
{
	struct parser p = {.name = name, .escape = '\\', .e = e};
	struct buf cur = {0};
	bool in_directives = true, seen_escape = false, cont = false;
	int lineno = 0, start = 0, r = 0;
	size_t pos = 0;
	char *line = NULL;

	memset(out, 0, sizeof(*out));
	while (pos < len && r == 0) {
		size_t end = pos;
		char dname[32], dval[64];

		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		free(line);
		line = NULL;
		if (end - pos > CF_MAX_LINE) {
			p.line = lineno;
			r = perr(&p, "%s", "line too long");
			break;
		}
		line = strndup(text + pos, end - pos);
		pos = end + 1;
		if (!line) {
			r = berr_set(e, ENOMEM, "parse");
			break;
		}
		if (in_directives) {
			if (directive(line, dname, sizeof(dname), dval, sizeof(dval))) {
				if (strcmp(dname, "escape") == 0) {
					p.line = lineno;
					if (seen_escape) {
						r = perr(&p, "%s", "only one escape parser directive can be used");
						break;
					}
					if (strcmp(dval, "\\") && strcmp(dval, "`")) {
						r = perr(&p, "invalid escape token '%s' does not match ` or \\", dval);
						break;
					}
					p.escape = dval[0];
					seen_escape = true;
					continue;
				}
				if (strcmp(dname, "syntax") == 0 || strcmp(dname, "check") == 0)
					continue;
			}
			in_directives = false;
		}
		if (!cont) {
			if (blank_or_comment(line))
				continue;
			start = lineno;
		} else if (blank_or_comment(line)) {
			continue; /* comments and blank lines inside a continuation */
		}
		cont = continues(line, p.escape);
		if ((r = buf_add(&cur, line, strlen(line))) < 0) {
			r = berr_set(e, -r, "parse");
			break;
		}
		if (cont)
			continue;
		r = instruction(&p, out, cur.s, start);
		free(cur.s);
		cur = (struct buf){0};
	}
	if (r == 0 && cont && cur.s) {
		if (blank_or_comment(cur.s)) {
			p.line = start;
			r = perr(&p, "%s", "line continuation at the end of the file");
		} else {
			r = instruction(&p, out, cur.s, start);
		}
	}
	free(cur.s);
	free(line);
	if (r == 0) {
		for (size_t i = 0; i < out->n; i++) {
			if (out->inst[i].kind == CF_FROM) {
				/* only ARG may come before the first FROM */
				break;
			}
			if (out->inst[i].kind != CF_ARG) {
				p.line = out->inst[i].line;
				r = perr(&p, "%s", "no build stage in current context: the first instruction must be FROM (or ARG)");
				break;
			}
		}
	}
	if (r == 0) {
		size_t froms = 0;
		for (size_t i = 0; i < out->n && r == 0; i++) {
			if (out->inst[i].kind == CF_FROM && ++froms > 1) {
				p.line = out->inst[i].line;
				r = perr(&p, "%s", "multi-stage builds are not supported (a second FROM)");
			}
		}
		if (r == 0 && froms == 0) {
			p.line = lineno ? lineno : 1;
			r = perr(&p, "%s", "file with no instructions (a FROM is needed)");
		}
	}
	out->escape = p.escape;
	if (r < 0)
		cf_free(out);
	return r;
}

void cf_free(struct cf_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct cf_inst *in = &f->inst[i];

		free(in->text);
		for (size_t j = 0; j < in->nflags; j++) {
			free(in->flags[j].name);
			free(in->flags[j].value);
		}
		free(in->flags);
		cf_strv_free(in->args);
	}
	free(f->inst);
	memset(f, 0, sizeof(*f));
}

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
	cf_strv_free(s->env);
	cf_strv_free(s->build_args);
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
	cf_strv_free(s->env);
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
			cf_strv_free(v);
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
			cf_strv_free(v);
			return NULL;
		}
	}
	return v;
}
