/* containerfile.c - Containerfile parsing: directives, comments,
 * continuation lines, the instruction keywords; see containerfile.h. Each
 * instruction's arguments are parsed in containerfile_args.c, variables
 * expanded in containerfile_expand.c (containerfile_priv.h). */
#include "containerfile_priv.h"

#include <ctype.h>
#include <errno.h>
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
	{"STOPSIGNAL", CF_STOPSIGNAL},
};

/* Docker instructions Berth does not build. */
static const char *const unsupported[] = {"ONBUILD", "SHELL"};

/* ---------------------------------------------------------------- buffers */

int buf_add(struct buf *b, const char *s, size_t n)
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

int buf_ch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* Give the (possibly empty) string away. */
char *buf_take(struct buf *b)
{
	char *s = b->s;

	if (!s)
		s = strdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

/* ---------------------------------------------------------------- parsing */

int perr(struct parser *p, const char *fmt, const char *arg)
{
	char msg[BERR_MSG_MAX - 64];

	snprintf(msg, sizeof(msg), fmt, arg);
	return berr_msg(p->e, EINVAL, "%s:%d: %s", p->name, p->line, msg);
}

bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

const char *skip_space(const char *s)
{
	while (*s && is_space(*s))
		s++;
	return s;
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
		strv_freev(in->args);
	}
	free(f->inst);
	memset(f, 0, sizeof(*f));
}
