/* template_parse.c - Go's text/template syntax into a node tree
 * (template_priv.h): a recursive-descent parser straight over the text,
 * with Go's error messages ("template: :LINE: ..."). */
#include "template_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TP_MAXVARS 64
#define TP_MAXDEPTH 100

struct tchunk {
	struct tchunk *next;
	size_t used, size;
	max_align_t data[];
};

enum tp_stop { TP_EOF, TP_END, TP_ELSE, TP_ELSE_IF, TP_ELSE_WITH };

struct tp {
	struct tmpl *t;
	const char *s;
	const char *c; /* where the parser is */
	bool trim_next; /* the last action ended with " -}}" */
	bool failed;
	int depth, in_range;
	const char *vars[TP_MAXVARS];
	int nvars;
	struct berr *e;
};

static void *tp_alloc(struct tp *p, size_t n)
{
	struct tchunk *c = p->t->arena;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!c || c->size - c->used < n) {
		size_t size = n > 4096 ? n : 4096;

		c = calloc(1, sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->next = p->t->arena;
		p->t->arena = c;
	}
	c->used += n;
	return (char *)c->data + c->used - n;
}

static void *tp_fail(struct tp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void *tp_fail(struct tp *p, const char *fmt, ...)
{
	char msg[BERR_MSG_MAX / 2];
	int line = 1;
	va_list ap;

	if (p->failed)
		return NULL;
	p->failed = true;
	for (const char *k = p->s; k < p->c; k++)
		line += *k == '\n';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berr_msg(p->e, EINVAL, "template: :%d: %s", line, msg);
	return NULL;
}

/* What Go says of a character no operand starts with. */
static void *tp_unexpected(struct tp *p)
{
	if (*p->c == ')')
		return tp_fail(p, "unexpected right paren");
	if (!*p->c)
		return tp_fail(p, "unclosed action");
	return tp_fail(p, "unexpected \"%c\" in operand", *p->c);
}

static struct tnode *tp_node(struct tp *p, enum tn_kind kind)
{
	struct tnode *n = tp_alloc(p, sizeof(*n));

	if (!n)
		return tp_fail(p, "out of memory");
	n->kind = kind;
	n->pos = n->end = (int)(p->c - p->s);
	return n;
}

static char *tp_strndup(struct tp *p, const char *s, size_t n)
{
	char *d = tp_alloc(p, n + 1);

	if (!d)
		return tp_fail(p, "out of memory");
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (unsigned char)c >= 0x80;
}

static void skip_space(struct tp *p)
{
	while (is_space(*p->c))
		p->c++;
}

/* At "}}", or at "-}}" after a space (the trim marker): its length. */
static int at_close(const struct tp *p)
{
	const char *c = p->c;

	if (c[0] == '}' && c[1] == '}')
		return 2;
	if (c[0] == '-' && c[1] == '}' && c[2] == '}' && c > p->s && is_space(c[-1]))
		return 3;
	return 0;
}

/* Past the end of the action, noting a trim marker. */
static int expect_close(struct tp *p, const char *context)
{
	int n;

	skip_space(p);
	n = at_close(p);
	if (!n) {
		tp_fail(p, *p->c ? "unexpected \"%.1s\" in %s" : "unclosed action%.0s%.0s",
			p->c, context);
		return -1;
	}
	p->trim_next = n == 3;
	p->c += n;
	return 0;
}

static size_t word_len(const char *s)
{
	size_t n = 0;

	while (is_alnum(s[n]))
		n++;
	return n;
}

static bool is_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return strncmp(s, w, n) == 0 && !is_alnum(s[n]);
}

static struct tnode *parse_pipe(struct tp *p, const char *context, bool paren);

static const char *tp_var_name(struct tp *p)
{
	size_t n = 1 + word_len(p->c + 1);
	const char *name = tp_strndup(p, p->c, n);

	p->c += n;
	return name;
}

static bool tp_var_known(const struct tp *p, const char *name)
{
	for (int k = p->nvars - 1; k >= 0; k--) {
		if (strcmp(p->vars[k], name) == 0)
			return true;
	}
	return strcmp(name, "$") == 0;
}

/* Go's escapes in a double-quoted string; the value's length, or -1. */
static long unquote(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t k = 0; k < n; k++) {
		const char *esc = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''", *m;
		char hex[9] = "";
		size_t hn;
		unsigned long cp;

		if (s[k] != '\\') {
			out[o++] = s[k];
			continue;
		}
		if (++k >= n)
			return -1;
		for (m = esc; *m && *m != s[k]; m += 2)
			;
		if (*m) {
			out[o++] = m[1];
			continue;
		}
		hn = s[k] == 'x' ? 2 : s[k] == 'u' ? 4 : s[k] == 'U' ? 8 : 0;
		if (!hn || k + hn >= n)
			return -1;
		memcpy(hex, s + k + 1, hn);
		if (strspn(hex, "0123456789abcdefABCDEF") != hn)
			return -1;
		cp = strtoul(hex, NULL, 16);
		k += hn;
		if (hn == 2)
			out[o++] = (char)cp;
		else if (cp < 0x110000)
			o += tx_utf8(cp, out + o);
		else
			return -1;
	}
	return (long)o;
}

/* A constant operand: its value, kept by the template. */
static struct tnode *tp_const(struct tp *p, json_t *v)
{
	struct tnode *n = tp_node(p, TN_CONST);

	if (!v || !n || json_array_append_new(p->t->consts, v) < 0)
		return tp_fail(p, "out of memory");
	n->val = v;
	return n;
}

/* "...", `...` or 'c'. */
static struct tnode *parse_quoted(struct tp *p)
{
	char q = *p->c;
	const char *start = p->c + 1, *c = start;
	char *buf;
	long n;

	while (*c && *c != q && !(q != '`' && *c == '\n'))
		c += q != '`' && *c == '\\' && c[1] ? 2 : 1;
	if (*c != q)
		return tp_fail(p, q == '`' ? "unterminated raw quoted string"
				   : q == '"' ? "unterminated quoted string"
					      : "unterminated character constant");
	buf = tp_alloc(p, c - start + 1);
	if (!buf)
		return tp_fail(p, "out of memory");
	if (q == '`') {
		n = 0;
		for (const char *k = start; k < c; k++) {
			if (*k != '\r')
				buf[n++] = *k;
		}
	} else {
		n = unquote(start, c - start, buf);
	}
	p->c = c + 1;
	if (n < 0 || (q == '\'' && n != 1))
		return tp_fail(p, q == '\'' ? "malformed character constant: %.*s"
					    : "invalid syntax: %.*s",
			       (int)(c + 1 - start + 1), start - 1);
	if (q == '\'')
		return tp_const(p, json_integer((unsigned char)buf[0]));
	return tp_const(p, json_stringn(buf, n));
}

static struct tnode *parse_number(struct tp *p)
{
	const char *s = p->c, *c = s + 1, *d = s + (s[0] == '-' || s[0] == '+');
	bool hex = d[0] == '0' && (d[1] | 32) == 'x';
	char text[64], *end;
	json_t *v;

	while (is_alnum(*c) || *c == '.' ||
	       ((*c == '+' || *c == '-') && !hex && (c[-1] | 32) == 'e'))
		c++;
	p->c = c;
	if ((size_t)(c - s) >= sizeof(text))
		return tp_fail(p, "bad number syntax: %.20s", s);
	memcpy(text, s, c - s);
	text[c - s] = '\0';
	errno = 0;
	if (!hex && strpbrk(text, ".eE")) {
		v = json_real(strtod(text, &end));
	} else {
		v = json_integer(strtoll(text, &end, 0));
	}
	if (*end || errno) {
		json_decref(v);
		return tp_fail(p, "bad number syntax: \"%s\"", text);
	}
	return tp_const(p, v);
}

/* A word: a keyword constant or a function. */
static struct tnode *parse_word(struct tp *p)
{
	size_t n = word_len(p->c);
	char name[32];
	struct tnode *f;

	snprintf(name, sizeof(name), "%.*s", (int)n, p->c);
	p->c += n;
	if (strcmp(name, "true") == 0 || strcmp(name, "false") == 0)
		return tp_const(p, json_boolean(name[0] == 't'));
	if (strcmp(name, "nil") == 0)
		return tp_const(p, json_null());
	f = tp_node(p, TN_FUNC);
	if (!f)
		return NULL;
	f->pos = (int)(p->c - n - p->s);
	f->fn = tfn_find(name);
	if (!f->fn)
		return tp_fail(p, "function \"%.*s\" not defined", (int)n, p->s + f->pos);
	f->s = f->fn->name;
	return f;
}

/* A term: a literal, a word, ".", .Field, $var or a parenthesized
 * pipeline. */
static struct tnode *parse_term(struct tp *p)
{
	const char *c = p->c;
	struct tnode *n;

	if (c[0] == '.' && !(c[1] >= '0' && c[1] <= '9')) {
		n = tp_node(p, is_alnum(c[1]) ? TN_FIELD : TN_DOT);
		p->c += n && n->kind == TN_DOT;
		return n;
	}
	if (c[0] == '$') {
		const char *name = tp_var_name(p);

		if (name && !tp_var_known(p, name))
			return tp_fail(p, "undefined variable \"%s\"", name);
		n = tp_node(p, TN_VAR);
		if (n)
			n->s = name;
		return n;
	}
	if (c[0] == '"' || c[0] == '`' || c[0] == '\'')
		return parse_quoted(p);
	if ((c[0] >= '0' && c[0] <= '9') || c[0] == '.' ||
	    ((c[0] == '-' || c[0] == '+') && ((c[1] >= '0' && c[1] <= '9') || c[1] == '.')))
		return parse_number(p);
	if (c[0] == '(') {
		if (++p->depth > TP_MAXDEPTH)
			return tp_fail(p, "max depth exceeded");
		p->c++;
		n = parse_pipe(p, "parenthesized pipeline", true);
		p->depth--;
		if (n && *p->c != ')')
			return tp_fail(p, "unclosed left paren");
		p->c += n != NULL;
		return n;
	}
	if (is_alnum(c[0]) && !(c[0] >= '0' && c[0] <= '9'))
		return parse_word(p);
	return tp_unexpected(p);
}

/* A term and the fields after it: .A.B, $x.A.B, (...).A.B */
static struct tnode *parse_operand(struct tp *p)
{
	const char *start = p->c, *f;
	struct tnode *n = parse_term(p);

	if (!n)
		return NULL;
	n->pos = (int)(start - p->s);
	f = p->c;
	while (*p->c == '.' && is_alnum(p->c[1]))
		p->c += 1 + word_len(p->c + 1);
	if (p->c > f) {
		if (n->kind == TN_CONST || n->kind == TN_DOT)
			return tp_fail(p, "unexpected . after term \"%.*s\"", (int)(f - start),
				       start);
		if (n->kind == TN_PIPE) {
			struct tnode *chain = tp_node(p, TN_CHAIN);

			if (!chain)
				return NULL;
			chain->kid = n;
			chain->pos = n->pos;
			n = chain;
		}
		n->fields = tp_strndup(p, f, p->c - f);
	}
	n->end = (int)(p->c - p->s);
	return n->fields || p->c == f ? n : NULL;
}

/* Operands up to '|', the end of the action or (in parentheses) ')'. */
static struct tnode *parse_cmd(struct tp *p, bool paren)
{
	struct tnode *cmd = tp_node(p, TN_CMD), **tail;

	if (!cmd)
		return NULL;
	tail = &cmd->kid;
	for (;;) {
		skip_space(p);
		if (at_close(p) || *p->c == '|' || (paren && *p->c == ')'))
			break;
		*tail = parse_operand(p);
		if (!*tail)
			return NULL;
		tail = &(*tail)->next;
		if (!is_space(*p->c) && !at_close(p) && *p->c != '|' &&
		    !(paren && *p->c == ')'))
			return tp_unexpected(p);
	}
	if (!cmd->kid)
		return tp_fail(p, *p->c == '|' ? "missing value for command" : "empty command");
	cmd->end = (int)(p->c - p->s);
	return cmd;
}

/* $x := or $x = (and for range, $i, $e :=) before a pipeline. */
static int parse_decls(struct tp *p, struct tnode *pipe, const char *context)
{
	const char *save = p->c;
	bool done = false;

	while (*p->c == '$' && !done) {
		const char *name = tp_var_name(p);

		skip_space(p);
		if (!name)
			return -1;
		if (*p->c == ',' && strcmp(context, "range") == 0 && pipe->ndecl == 0) {
			pipe->decl[pipe->ndecl++] = name;
			p->c++;
			skip_space(p);
			continue;
		}
		if (*p->c == ',') {
			tp_fail(p, "too many declarations in %s", context);
			return -1;
		}
		if (*p->c == '=' || (*p->c == ':' && p->c[1] == '=')) {
			pipe->assign = *p->c == '=';
			p->c += pipe->assign ? 1 : 2;
			pipe->decl[pipe->ndecl++] = name;
			done = true;
		} else if (pipe->ndecl) {
			break;
		} else {
			p->c = save; /* $x is an operand */
			return 0;
		}
	}
	if (pipe->ndecl && !done) {
		tp_fail(p, "range can only initialize variables");
		return -1;
	}
	for (int k = 0; k < pipe->ndecl; k++) {
		if (pipe->assign && !tp_var_known(p, pipe->decl[k])) {
			tp_fail(p, "undefined variable \"%s\"", pipe->decl[k]);
			return -1;
		}
		if (!pipe->assign && p->nvars == TP_MAXVARS) {
			tp_fail(p, "too many variables");
			return -1;
		}
		if (!pipe->assign)
			p->vars[p->nvars++] = pipe->decl[k];
	}
	return 0;
}

static struct tnode *parse_pipe(struct tp *p, const char *context, bool paren)
{
	struct tnode *pipe, **tail;
	int stage = 1;

	skip_space(p);
	pipe = tp_node(p, TN_PIPE);
	if (!pipe || parse_decls(p, pipe, context) < 0)
		return NULL;
	for (tail = &pipe->kid;; stage++) {
		skip_space(p);
		if (at_close(p) || (paren && *p->c == ')'))
			break;
		*tail = parse_cmd(p, paren);
		if (!*tail)
			return NULL;
		if (stage > 1 && ((*tail)->kid->kind == TN_CONST || (*tail)->kid->kind == TN_DOT))
			return tp_fail(p, "non executable command in pipeline stage %d", stage);
		tail = &(*tail)->next;
		if (*p->c != '|')
			break;
		p->c++;
	}
	if (!pipe->kid)
		return tp_fail(p, "missing value for %s", context);
	pipe->end = (int)(p->c - p->s);
	return pipe;
}

static struct tnode *parse_list(struct tp *p, enum tp_stop *stop);

/* if, range or with: the pipeline, the body, the else part, {{end}}. */
static struct tnode *parse_control(struct tp *p, enum tn_kind kind, const char *context)
{
	struct tnode *n = tp_node(p, kind);
	int saved = p->nvars;
	enum tp_stop stop;

	if (!n || ++p->depth > TP_MAXDEPTH)
		return n ? tp_fail(p, "max depth exceeded") : NULL;
	n->kid = parse_pipe(p, context, false);
	if (!n->kid || expect_close(p, context) < 0)
		return NULL;
	p->in_range += kind == TN_RANGE;
	n->body = parse_list(p, &stop);
	p->in_range -= kind == TN_RANGE;
	if (p->failed)
		return NULL;
	if ((stop == TP_ELSE_IF && kind == TN_IF) || (stop == TP_ELSE_WITH && kind == TN_WITH)) {
		n->alt = parse_control(p, kind, context); /* its {{end}} is ours */
	} else if (stop == TP_ELSE) {
		n->alt = parse_list(p, &stop);
		if (!p->failed && stop != TP_END)
			tp_fail(p, stop == TP_EOF ? "unexpected EOF" : "expected end; found {{else}}");
	} else if (stop != TP_END) {
		tp_fail(p, stop == TP_EOF ? "unexpected EOF" : "expected end; found {{else}}");
	}
	p->nvars = saved;
	p->depth--;
	return p->failed ? NULL : n;
}

/* A comment ("{{/" "* ... *" "/}}"): past it. */
static int parse_comment(struct tp *p)
{
	const char *end = strstr(p->c + 2, "*/");

	if (!end) {
		tp_fail(p, "unclosed comment");
		return -1;
	}
	p->c = end + 2;
	if (at_close(p) != 2 && !(is_space(*p->c) && (p->c++, at_close(p) == 3))) {
		tp_fail(p, "comment ends before closing delimiter");
		return -1;
	}
	return expect_close(p, "comment");
}

/* The action after "{{": a node, or NULL with *stop set for end and
 * else (or nothing for a comment). */
static struct tnode *parse_action(struct tp *p, enum tp_stop *stop)
{
	static const char *const keywords[] = { "end", "else", "if", "range", "with", "break",
						"continue", "define", "template", "block" };
	const char *w = p->c;
	size_t k = 0;

	*stop = TP_EOF;
	if (w[0] == '/' && w[1] == '*')
		return parse_comment(p) < 0 ? NULL : tp_node(p, TN_TEXT);
	skip_space(p);
	w = p->c;
	while (k < sizeof(keywords) / sizeof(keywords[0]) && !is_word(w, keywords[k]))
		k++;
	if (k < sizeof(keywords) / sizeof(keywords[0]))
		p->c += strlen(keywords[k]);
	switch (k) {
	case 0:
		*stop = TP_END;
		return expect_close(p, "end") < 0 ? NULL : tp_node(p, TN_TEXT);
	case 1:
		skip_space(p);
		*stop = TP_ELSE;
		if (is_word(p->c, "if") || is_word(p->c, "with")) {
			*stop = *p->c == 'i' ? TP_ELSE_IF : TP_ELSE_WITH;
			p->c += *stop == TP_ELSE_IF ? 2 : 4;
			return tp_node(p, TN_TEXT);
		}
		return expect_close(p, "else") < 0 ? NULL : tp_node(p, TN_TEXT);
	case 2:
	case 3:
	case 4:
		return parse_control(p, (enum tn_kind)(TN_IF + (k - 2)), keywords[k]);
	case 5:
	case 6:
		if (!p->in_range)
			return tp_fail(p, "{{%s}} outside {{range}}", keywords[k]);
		return expect_close(p, keywords[k]) < 0 ? NULL
							: tp_node(p, k == 5 ? TN_BREAK : TN_CONTINUE);
	case 7:
	case 8:
	case 9:
		return tp_fail(p, "{{%s}} is not supported", keywords[k]);
	}
	struct tnode *a = tp_node(p, TN_ACTION);

	if (!a || !(a->kid = parse_pipe(p, "command", false)) || expect_close(p, "command") < 0)
		return NULL;
	return a;
}

/* Text and actions up to {{end}}, {{else}} or the end of the text. */
static struct tnode *parse_list(struct tp *p, enum tp_stop *stop)
{
	struct tnode *head = NULL, **tail = &head;

	for (;;) {
		const char *open = strstr(p->c, "{{");
		const char *a = p->c, *b = open ? open : p->c + strlen(p->c);
		bool ltrim = open && open[2] == '-' && is_space(open[3]);
		struct tnode *n;

		while (p->trim_next && a < b && is_space(*a))
			a++;
		while (ltrim && b > a && is_space(b[-1]))
			b--;
		p->trim_next = false;
		if (b > a) {
			if (!(n = tp_node(p, TN_TEXT)))
				return NULL;
			n->s = a;
			n->n = b - a;
			*tail = n;
			tail = &n->next;
		}
		*stop = TP_EOF;
		if (!open)
			return head;
		p->c = open + (ltrim ? 4 : 2);
		n = parse_action(p, stop);
		if (p->failed)
			return NULL;
		if (*stop != TP_EOF)
			return head;
		if (n->kind != TN_TEXT) {
			*tail = n;
			tail = &n->next;
		}
	}
}

int tmpl_parse(const char *text, struct tmpl **out, struct berr *e)
{
	struct tp *p = calloc(1, sizeof(*p));
	struct tmpl *t = calloc(1, sizeof(*t));
	enum tp_stop stop;

	*out = NULL;
	if (!p || !t || !(t->src = strdup(text)) || !(t->consts = json_array())) {
		free(p);
		tmpl_free(t);
		return berr_set(e, ENOMEM, "template");
	}
	p->t = t;
	p->s = p->c = t->src;
	p->e = e;
	t->root = parse_list(p, &stop);
	if (!p->failed && stop != TP_EOF)
		tp_fail(p, "unexpected {{%s}}", stop == TP_END ? "end" : "else");
	if (p->failed) {
		free(p);
		tmpl_free(t);
		return -EINVAL;
	}
	free(p);
	*out = t;
	return 0;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	while (t->arena) {
		struct tchunk *c = t->arena;

		t->arena = c->next;
		free(c);
	}
	json_decref(t->consts);
	free(t->src);
	free(t);
}
