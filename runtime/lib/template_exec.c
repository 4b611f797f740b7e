/* template_exec.c - running a parsed template (template_priv.h) over a
 * jansson value with Go's semantics: fields, variables, pipelines, if,
 * with, range, break and continue. */
#include "template_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A runaway template (ranges nested deep over lists, functions making
 * big values over and over) or output stops with an error rather than
 * taking the machine's memory and time: steps, output and the bytes of
 * the values functions return (all of them, freed or not) are counted. */
struct tmpl_limits tmpl_limits = { .steps = 20000000L, .out = 64u << 20, .made = 256u << 20,
				   .pad = 1 << 20 };

void tmpl_set_limits(long steps, size_t out, size_t made, long pad)
{
	tmpl_limits = (struct tmpl_limits){ steps, out, made, pad };
}

enum { TX_OK, TX_BREAK, TX_CONTINUE, TX_ERR = -1 };

json_t *tx_fail(struct tx *x, const struct tnode *n, const char *fmt, ...)
{
	const char *src = x->t->src;
	char msg[BERR_MSG_MAX / 2];
	int line = 1, col = n->pos;
	va_list ap;

	if (x->failed)
		return NULL;
	x->failed = true;
	for (int k = 0; k < n->pos; k++) {
		if (src[k] == '\n') {
			line++;
			col = n->pos - k - 1;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berr_msg(x->e, EINVAL, "template: :%d:%d: executing \"\" at <%.*s>: %s", line, col,
		 n->end - n->pos > 80 ? 80 : n->end - n->pos, src + n->pos, msg);
	return NULL;
}

bool tx_truth(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return true;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

const char *tx_type(json_t *v)
{
	static const char *const names[] = { "map[string]interface {}", "[]interface {}", "string",
					     "int", "float64", "bool", "bool", "<nil>" };

	return v ? names[json_typeof(v)] : "<nil>";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **tx_keys(json_t *obj, size_t *n)
{
	const char **keys = malloc((json_object_size(obj) + 1) * sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	if (!keys)
		return NULL;
	json_object_foreach(obj, k, v)
		keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), by_name);
	return keys;
}

/* ---- variables ---- */

static int tx_push(struct tx *x, const char *name, json_t *v)
{
	if (x->nvars == x->cap) {
		struct tvar *g = realloc(x->vars, (x->cap * 2 + 8) * sizeof(*g));

		if (!g)
			return -ENOMEM;
		x->vars = g;
		x->cap = x->cap * 2 + 8;
	}
	x->vars[x->nvars].name = name;
	x->vars[x->nvars++].v = json_incref(v);
	return 0;
}

static void tx_pop(struct tx *x, int mark)
{
	while (x->nvars > mark)
		json_decref(x->vars[--x->nvars].v);
}

static struct tvar *tx_var(struct tx *x, const char *name)
{
	for (int k = x->nvars - 1; k >= 0; k--) {
		if (strcmp(x->vars[k].name, name) == 0)
			return &x->vars[k];
	}
	return NULL;
}

static void tx_set(struct tx *x, const char *name, json_t *v)
{
	struct tvar *var = tx_var(x, name);

	if (var) {
		json_decref(var->v);
		var->v = json_incref(v);
	}
}

/* ---- fields ---- */

/* Objects that are maps in Docker's Go types (a missing key is "<no
 * value>"), not structs (a missing field is an error), by the field
 * that holds them (k, kn bytes) and the one before (p, pn). */
static bool is_map(const char *k, int kn, const char *p, int pn)
{
	static const char maps[] = "Labels\0Networks\0Ports\0Tmpfs\0Sysctls\0ExposedPorts\0"
				   "Volumes\0Options\0DriverOpts\0Attributes\0Containers\0";

	for (const char *m = maps; *m; m += strlen(m) + 1) {
		if ((int)strlen(m) == kn && memcmp(m, k, kn) == 0)
			return true;
	}
	return kn == 6 && memcmp(k, "Config", 6) == 0 && pn == 9 && memcmp(p, "LogConfig", 9) == 0;
}

/* Docker's .Label "key" on rows whose Labels are "k=v,k2=v2" (or a map). */
static json_t *label_of(struct tx *x, const struct tnode *n, json_t *labels, json_t **argv,
			int argc)
{
	const char *s = json_string_value(labels), *key = json_string_value(argv ? argv[0] : NULL);
	size_t kl = key ? strlen(key) : 0;

	if (argc != 1 || !key)
		return tx_fail(x, n, argc != 1 ? "wrong number of args for Label: want 1 got %d"
					       : "wrong type for value; expected string%.0d", argc);
	if (json_is_object(labels)) {
		s = json_string_value(json_object_get(labels, key));
		return json_string(s ? s : "");
	}
	while (s && *s) {
		const char *end = s + strcspn(s, ",");

		if ((size_t)(end - s) > kl && strncmp(s, key, kl) == 0 && s[kl] == '=')
			return json_stringn(s + kl + 1, end - s - kl - 1);
		s = *end ? end + 1 : end;
	}
	return json_string("");
}

/* A table's header for a field the verb has no title for: its name in
 * upper case. */
static json_t *upper_name(const char *name, int n)
{
	json_t *v = json_stringn(name, n);
	char *s = v ? (char *)json_string_value(v) : NULL;

	for (; s && *s; s++)
		*s = *s >= 'a' && *s <= 'z' ? *s - 32 : *s;
	return v;
}

/* recv (a reference this takes) followed along n's fields; the last one
 * gets the arguments (only Docker's .Label method takes any). */
static json_t *ex_fields(struct tx *x, const struct tnode *n, json_t *recv, json_t **argv,
			 int argc)
{
	const char *f = n->fields, *name = "", *parent = "";
	int nl = 0, pl = 0;

	while (recv && f && *f == '.') {
		bool map = is_map(name, nl, parent, pl), last;
		json_t *v;

		parent = name;
		pl = nl;
		name = f + 1;
		nl = (int)strcspn(name, ".");
		f = name + nl;
		last = !*f;
		v = json_object_getn(recv, name, nl);
		if (!v && json_is_object(recv) && nl == 5 && memcmp(name, "Label", 5) == 0 &&
		    json_object_get(recv, "Labels"))
			v = label_of(x, n, json_object_get(recv, "Labels"), argv, last ? argc : 0);
		else if (last && argc)
			v = tx_fail(x, n, "%.*s has arguments but cannot be invoked as function", nl,
				    name);
		else if (v)
			json_incref(v);
		else if (json_is_object(recv) && x->header && !*parent)
			v = upper_name(name, nl);
		else if (json_is_object(recv) && map)
			v = json_null();
		else
			v = tx_fail(x, n, json_is_null(recv) ? "nil pointer evaluating interface {}.%.*s"
							   : "can't evaluate field %.*s in type %s",
				    nl, name, json_is_object(recv) ? "struct" : tx_type(recv));
		json_decref(recv);
		recv = v;
	}
	return recv;
}

/* ---- pipelines ---- */

static json_t *ex_pipe(struct tx *x, json_t *dot, const struct tnode *pipe);
static json_t *ex_call(struct tx *x, json_t *dot, const struct tnode *at, const struct tnode *fn,
		       const struct tnode *ops, json_t *final);

/* An operand's value (a new reference), or NULL after an error. */
static json_t *ex_arg(struct tx *x, json_t *dot, const struct tnode *n)
{
	struct tvar *var;
	json_t *v;

	switch (n->kind) {
	case TN_DOT:
		return json_incref(dot);
	case TN_CONST:
		return json_incref(n->val);
	case TN_FIELD:
		return ex_fields(x, n, json_incref(dot), NULL, 0);
	case TN_VAR:
		var = tx_var(x, n->s);
		return var ? ex_fields(x, n, json_incref(var->v), NULL, 0)
			   : tx_fail(x, n, "undefined variable: %s", n->s);
	case TN_CHAIN:
		v = ex_pipe(x, dot, n->kid);
		return v ? ex_fields(x, n, v, NULL, 0) : NULL;
	case TN_PIPE:
		return ex_pipe(x, dot, n);
	case TN_FUNC:
		return ex_call(x, dot, n, n, NULL, NULL);
	default:
		return tx_fail(x, n, "can't evaluate");
	}
}

static void args_free(json_t **argv, int argc)
{
	for (int k = 0; k < argc; k++)
		json_decref(argv[k]);
	free(argv);
}

/* The operands' values and then final's: *argc of them. */
static json_t **ex_args(struct tx *x, json_t *dot, const struct tnode *ops, json_t *final,
			int *argc)
{
	json_t **argv;
	int n = final != NULL;

	*argc = 0;
	for (const struct tnode *o = ops; o; o = o->next)
		n++;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv) {
		tx_fail(x, ops ? ops : x->t->root, "out of memory");
		return NULL;
	}
	for (; ops; ops = ops->next) {
		argv[*argc] = ex_arg(x, dot, ops);
		if (!argv[*argc]) {
			args_free(argv, *argc);
			return NULL;
		}
		(*argc)++;
	}
	if (final)
		argv[(*argc)++] = json_incref(final);
	return argv;
}

/* and, or: their arguments are evaluated only as far as needed. */
static json_t *ex_andor(struct tx *x, json_t *dot, const struct tnode *fn,
			const struct tnode *ops, json_t *final)
{
	bool is_and = fn->fn->name[0] == 'a';
	json_t *v = NULL;

	for (; ops; ops = ops->next) {
		json_decref(v);
		if (!(v = ex_arg(x, dot, ops)) || tx_truth(v) != is_and)
			return v;
	}
	if (final) {
		json_decref(v);
		v = json_incref(final);
	}
	return v ? v : tx_fail(x, fn, "wrong number of args for %s: want at least 1 got 0", fn->s);
}

/* What a function's value cost to make: its text, or its list's
 * elements (split's) and their text. */
static size_t made_size(json_t *v)
{
	size_t n = 16;

	if (json_is_string(v))
		return n + json_string_length(v);
	for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++) {
		json_t *el = json_array_get(v, i);
		n += 64 + (json_is_string(el) ? json_string_length(el) : 0);
	}
	return n;
}

static json_t *ex_call(struct tx *x, json_t *dot, const struct tnode *at, const struct tnode *fn,
		       const struct tnode *ops, json_t *final)
{
	const struct tfunc *f = fn->fn;
	json_t **argv, *v;
	int argc;

	if (!f->call)
		return ex_andor(x, dot, fn, ops, final);
	if (!(argv = ex_args(x, dot, ops, final, &argc)))
		return NULL;
	if (argc < f->min || (f->max >= 0 && argc > f->max))
		v = tx_fail(x, at, f->max < 0 ? "wrong number of args for %s: want at least %d got %d"
					      : "wrong number of args for %s: want %d got %d",
			    f->name, f->min, argc);
	else if (x->header && f->pass)
		v = json_is_string(argv[0]) ? json_incref(argv[0])
					    : tx_fail(x, at, "wrong type for value; expected string");
	else
		v = f->call(x, at, f->name, argv, argc);
	args_free(argv, argc);
	x->made += made_size(v);
	if (v && x->made > tmpl_limits.made) {
		json_decref(v);
		v = tx_fail(x, at, "the template does too much work");
	}
	return v;
}

/* One command of a pipeline; final is the value of the one before. */
static json_t *ex_cmd(struct tx *x, json_t *dot, const struct tnode *cmd, json_t *final)
{
	const struct tnode *first = cmd->kid;
	json_t **argv, *recv;
	int argc;

	if (first->kind == TN_FUNC)
		return ex_call(x, dot, cmd, first, first->next, final);
	if (!first->fields || first->kind == TN_PIPE) {
		if (first->next || final)
			return tx_fail(x, first, "can't give argument to non-function %.*s",
				       first->end - first->pos, x->t->src + first->pos);
		if (json_is_null(first->val))
			return tx_fail(x, first, "nil is not a command");
		return ex_arg(x, dot, first);
	}
	/* a field, perhaps a method with arguments: .Label "key" */
	if (first->kind == TN_FIELD)
		recv = json_incref(dot);
	else if (first->kind == TN_VAR)
		recv = json_incref(tx_var(x, first->s) ? tx_var(x, first->s)->v : NULL);
	else
		recv = ex_pipe(x, dot, first->kid);
	if (!recv && first->kind == TN_CHAIN)
		return NULL;
	if (!(argv = ex_args(x, dot, first->next, final, &argc))) {
		json_decref(recv);
		return NULL;
	}
	recv = ex_fields(x, first, recv ? recv : json_null(), argv, argc);
	args_free(argv, argc);
	return recv;
}

static json_t *ex_pipe(struct tx *x, json_t *dot, const struct tnode *pipe)
{
	json_t *v = NULL;

	for (const struct tnode *cmd = pipe->kid; cmd; cmd = cmd->next) {
		json_t *next = ex_cmd(x, dot, cmd, v);

		json_decref(v);
		if (!(v = next))
			return NULL;
	}
	for (int k = 0; k < pipe->ndecl; k++) {
		if (pipe->assign)
			tx_set(x, pipe->decl[k], v);
		else if (tx_push(x, pipe->decl[k], v) < 0)
			return json_decref(v), tx_fail(x, pipe, "out of memory");
	}
	return v;
}

/* ---- control ---- */

static int ex_list(struct tx *x, json_t *dot, const struct tnode *n);

static int ex_if(struct tx *x, json_t *dot, const struct tnode *n)
{
	int mark = x->nvars, r = TX_OK;
	json_t *v = ex_pipe(x, dot, n->kid);

	if (!v)
		return TX_ERR;
	if (tx_truth(v))
		r = ex_list(x, n->kind == TN_WITH ? v : dot, n->body);
	else
		r = ex_list(x, dot, n->alt);
	tx_pop(x, mark);
	json_decref(v);
	return r;
}

/* One turn of a range: the variables set, the body run. */
static int ex_turn(struct tx *x, const struct tnode *n, json_t *key, json_t *elem, int mark)
{
	const struct tnode *pipe = n->kid;
	int r;

	if (!key)
		return tx_fail(x, n, "out of memory"), TX_ERR;
	if (pipe->ndecl)
		tx_set(x, pipe->decl[pipe->ndecl - 1], elem);
	if (pipe->ndecl > 1)
		tx_set(x, pipe->decl[0], key);
	json_decref(key);
	r = ex_list(x, elem, n->body);
	tx_pop(x, mark);
	return r;
}

static int ex_range(struct tx *x, json_t *dot, const struct tnode *n)
{
	int mark0 = x->nvars, mark, r = TX_OK;
	json_t *v = ex_pipe(x, dot, n->kid);
	const char **keys = NULL;
	size_t count = 0;

	if (!v)
		return TX_ERR;
	mark = x->nvars;
	if (json_is_array(v)) {
		count = json_array_size(v);
		for (size_t i = 0; i < count && r >= 0 && r != TX_BREAK; i++)
			r = ex_turn(x, n, json_integer(i), json_array_get(v, i), mark);
	} else if (json_is_object(v)) {
		keys = tx_keys(v, &count);
		for (size_t i = 0; keys && i < count && r != TX_BREAK && r >= 0; i++)
			r = ex_turn(x, n, json_string(keys[i]), json_object_get(v, keys[i]), mark);
	} else if (!json_is_null(v)) {
		char text[64] = "";
		char *out = NULL;
		size_t len = 0;

		if (tx_print(&out, &len, v, true) == 0)
			snprintf(text, sizeof(text), "%s", out);
		free(out);
		tx_fail(x, n->kid, "range can't iterate over %s", text);
		r = TX_ERR;
	}
	if (r >= 0 && count == 0 && n->alt)
		r = ex_list(x, dot, n->alt);
	free(keys);
	tx_pop(x, mark0);
	json_decref(v);
	return r < 0 ? TX_ERR : TX_OK;
}

static int ex_list(struct tx *x, json_t *dot, const struct tnode *n)
{
	for (int r = TX_OK; n; n = n->next) {
		json_t *v;

		if (++x->steps > tmpl_limits.steps || *x->len > tmpl_limits.out)
			return tx_fail(x, n, "the template does too much work"), TX_ERR;
		switch (n->kind) {
		case TN_TEXT:
			if (tx_append(x->out, x->len, n->s, n->n) < 0)
				return tx_fail(x, n, "out of memory"), TX_ERR;
			break;
		case TN_ACTION:
			if (!(v = ex_pipe(x, dot, n->kid)))
				return TX_ERR;
			r = n->kid->ndecl ? 0 : tx_print(x->out, x->len, v, true);
			json_decref(v);
			if (r < 0)
				return tx_fail(x, n, "out of memory"), TX_ERR;
			break;
		case TN_IF:
		case TN_WITH:
		case TN_RANGE:
			r = n->kind == TN_RANGE ? ex_range(x, dot, n) : ex_if(x, dot, n);
			if (r != TX_OK)
				return r;
			break;
		case TN_BREAK:
			return TX_BREAK;
		case TN_CONTINUE:
			return TX_CONTINUE;
		default:
			break;
		}
	}
	return TX_OK;
}

int tmpl_exec(const struct tmpl *t, json_t *dot, bool header, char **out, size_t *len,
	      struct berr *e)
{
	struct tx x = { .t = t, .out = out, .len = len, .header = header, .e = e };
	int r = tx_push(&x, "$", dot) < 0 ? TX_ERR : ex_list(&x, dot, t->root);

	if (r == TX_ERR && !x.failed)
		berr_set(e, ENOMEM, "template");
	tx_pop(&x, 0);
	free(x.vars);
	if (r == TX_ERR)
		return -EINVAL;
	return tx_append(out, len, "", 0) < 0 ? berr_set(e, ENOMEM, "template") : 0;
}
