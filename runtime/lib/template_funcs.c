/* template_funcs.c - the functions a template calls: Go's (printf,
 * print, println, len, index, eq ne lt le gt ge, and or not) and
 * Docker's (json, join, split, lower, upper, title, truncate, pad), and
 * values printed as Go's fmt prints them. */
#include "template_priv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A width or precision past this is an error, not a huge allocation. */
#define TF_MAXPAD (tmpl_limits.pad)

static size_t out_cap(size_t n)
{
	size_t c = 64;

	while (c < n)
		c *= 2;
	return c;
}

int tx_append(char **out, size_t *len, const char *s, size_t n)
{
	char *g = *out;

	if (!g || *len + n + 1 > out_cap(*len + 1))
		g = realloc(*out, out_cap(*len + n + 1));
	if (!g)
		return -ENOMEM;
	memcpy(g + *len, s, n);
	*len += n;
	g[*len] = '\0';
	*out = g;
	return 0;
}

static int append_str(char **out, size_t *len, const char *s)
{
	return tx_append(out, len, s, strlen(s));
}

/* %v of a float64: the shortest digits that read back, exponent form
 * below 1e-4 and from 1e6 (strconv's 'g' with precision -1). */
static void go_float(double d, char *buf, size_t size)
{
	int prec = 1, exp;

	if (isnan(d) || isinf(d)) {
		snprintf(buf, size, isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (; prec < 17; prec++) {
		snprintf(buf, size, "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, size, "%.*e", prec - 1, d);
	exp = atoi(strchr(buf, 'e') + 1);
	if (exp >= -4 && exp < 6)
		snprintf(buf, size, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

int tx_print(char **out, size_t *len, json_t *v, bool top)
{
	char num[64];
	const char **keys;
	size_t n;
	int r = 0;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return tx_append(out, len, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		go_float(json_real_value(v), num, sizeof(num));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(num, sizeof(num), "%s", json_is_true(v) ? "true" : "false");
		break;
	case JSON_ARRAY:
		r = append_str(out, len, "[");
		for (size_t i = 0; r == 0 && i < json_array_size(v); i++) {
			if (i)
				r = append_str(out, len, " ");
			r = r ?: tx_print(out, len, json_array_get(v, i), false);
		}
		return r ?: append_str(out, len, "]");
	case JSON_OBJECT:
		keys = tx_keys(v, &n);
		r = keys ? append_str(out, len, "map[") : -ENOMEM;
		for (size_t i = 0; r == 0 && i < n; i++) {
			r = append_str(out, len, i ? " " : "") ?: append_str(out, len, keys[i]);
			r = r ?: append_str(out, len, ":");
			r = r ?: tx_print(out, len, json_object_get(v, keys[i]), false);
		}
		free(keys);
		return r ?: append_str(out, len, "]");
	default:
		snprintf(num, sizeof(num), "%s", top ? "<no value>" : "<nil>");
	}
	return append_str(out, len, num);
}

/* A function's string result, or NULL after an error. */
static json_t *tf_result(struct tx *x, const struct tnode *at, int r, char *s, size_t n)
{
	json_t *v = r == 0 ? json_stringn(s ? s : "", n) : NULL;

	free(s);
	return v ? v : tx_fail(x, at, "out of memory");
}

static json_t *wrong_type(struct tx *x, const struct tnode *at, const char *want, json_t *got)
{
	if (json_is_null(got))
		return tx_fail(x, at, "invalid value; expected %s", want);
	return tx_fail(x, at, "wrong type for value; expected %s; got %s", want, tx_type(got));
}

/* Check argv against a signature: 's' string, 'i' int, 'l' []string,
 * '.' anything. */
static bool args_ok(struct tx *x, const struct tnode *at, json_t **argv, const char *sig)
{
	for (int k = 0; sig[k]; k++) {
		json_t *a = argv[k];
		bool ok = sig[k] == '.' || (sig[k] == 's' && json_is_string(a)) ||
			  (sig[k] == 'i' && json_is_integer(a)) || (sig[k] == 'l' && json_is_array(a));

		for (size_t i = 0; ok && sig[k] == 'l' && i < json_array_size(a); i++)
			ok = json_is_string(json_array_get(a, i));
		if (!ok) {
			wrong_type(x, at, sig[k] == 's' ? "string" : sig[k] == 'i' ? "int" : "[]string",
				   a);
			return false;
		}
	}
	return true;
}

/* ---- printf ---- */

static int appendf(char **out, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int appendf(char **out, size_t *len, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	r = tx_append(out, len, s, n);
	free(s);
	return r;
}

/* "string=hi" (or "<nil>"): a value in fmt's complaints. */
static int type_value(char **out, size_t *len, json_t *v)
{
	if (json_is_null(v))
		return append_str(out, len, "<nil>");
	return appendf(out, len, "%s=", tx_type(v)) ?: tx_print(out, len, v, false);
}

/* What %g (of a float, without precision), %t, %c, %q, %x (of a
 * string), %s and %v print for v, appended to *text; 1 when the verb does
 * not fit v. */
static int verb_text(char verb, json_t *v, char **text, size_t *tl)
{
	char buf[64], *q;
	int r = 0;

	if ((verb | 32) == 'g' && json_is_real(v)) {
		go_float(json_real_value(v), buf, sizeof(buf));
		return append_str(text, tl, buf);
	}
	if (verb == 't' && json_is_boolean(v))
		return append_str(text, tl, json_is_true(v) ? "true" : "false");
	if (verb == 'c' && json_is_integer(v))
		return tx_append(text, tl, buf, tx_utf8((unsigned long)json_integer_value(v), buf));
	if (verb == 'q' && json_is_string(v)) {
		q = json_dumps(v, JSON_ENCODE_ANY);
		r = q ? append_str(text, tl, q) : -ENOMEM;
		free(q);
		return r;
	}
	if ((verb | 32) == 'x' && json_is_string(v)) {
		for (size_t k = 0; r == 0 && k < json_string_length(v); k++)
			r = appendf(text, tl, verb == 'x' ? "%02x" : "%02X",
				    (unsigned char)json_string_value(v)[k]);
		return r;
	}
	if (verb == 'v' ||
	    (verb == 's' && (json_is_string(v) || json_is_array(v) || json_is_object(v))))
		return tx_print(text, tl, v, false);
	return 1;
}

/* One verb with its flags, width and precision (-1: none), as Go's fmt
 * prints it: numbers through C's printf, text padded as %s, and a verb
 * that does not fit its argument as "%!d(string=hi)". */
static int put_verb(char **out, size_t *len, char verb, const char *flags, int width, int prec,
		    json_t *v)
{
	char cf[32], *text = NULL;
	size_t tl = 0;
	int r;

	if (strchr("dxXo", verb) && json_is_integer(v)) {
		snprintf(cf, sizeof(cf), "%%%s*.*ll%c", flags, verb);
		return appendf(out, len, cf, width, prec, (long long)json_integer_value(v));
	}
	if (strchr("eEfFgG", verb) && json_is_real(v) && (prec >= 0 || (verb | 32) != 'g')) {
		snprintf(cf, sizeof(cf), "%%%s*.*%c", flags, verb);
		return appendf(out, len, cf, width, prec < 0 ? 6 : prec, json_real_value(v));
	}
	r = tx_append(&text, &tl, "", 0) ?: verb_text(verb, v, &text, &tl);
	if (r == 1)
		r = appendf(out, len, "%%!%c(", verb) ?: type_value(out, len, v) ?:
								append_str(out, len, ")");
	else if (r == 0)
		r = appendf(out, len, strchr(flags, '-') ? "%-*.*s" : "%*.*s", width,
			    verb == 'q' ? -1 : prec, text);
	free(text);
	return r;
}

/* Go's fmt.Sprintf over template values. */
static int go_sprintf(char **out, size_t *len, const char *f, json_t **argv, int argc)
{
	int used = 0, r = 0;

	while (*f && r == 0) {
		char flags[8] = "", verb;
		int width = -1, prec = -1, nf = 0;
		size_t lit = strcspn(f, "%");

		r = tx_append(out, len, f, lit);
		if (!f[lit] || r)
			break;
		for (f += lit + 1; *f && strchr("-+# 0", *f); f++)
			flags[nf < 6 ? nf++ : nf] = *f;
		if (*f >= '0' && *f <= '9')
			width = (int)strtol(f, (char **)&f, 10);
		if (*f == '.')
			prec = (int)strtol(f + 1, (char **)&f, 10);
		if (width > TF_MAXPAD || prec > TF_MAXPAD)
			return -ERANGE;
		verb = *f ? *f++ : '\0';
		if (verb == '%')
			r = append_str(out, len, "%");
		else if (!verb)
			r = append_str(out, len, "%!(NOVERB)");
		else if (used >= argc)
			r = appendf(out, len, "%%!%c(MISSING)", verb);
		else
			r = put_verb(out, len, verb, flags, width, prec, argv[used++]);
	}
	for (int k = used; r == 0 && k < argc; k++) {
		r = append_str(out, len, k == used ? "%!(EXTRA " : ", ");
		r = r ?: type_value(out, len, argv[k]);
		r = r ?: append_str(out, len, k == argc - 1 ? ")" : "");
	}
	return r;
}

static json_t *fn_printf(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	char *out = NULL;
	size_t len = 0;
	int r;

	if (!args_ok(x, at, argv, "s"))
		return NULL;
	r = go_sprintf(&out, &len, json_string_value(argv[0]), argv + 1, argc - 1);
	if (r == -ERANGE) {
		free(out);
		return tx_fail(x, at, "error calling printf: width or precision too large");
	}
	return tf_result(x, at, r, out, len);
}

/* print: a space between operands when neither is a string; println:
 * always, and a newline. */
static json_t *fn_print(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	bool ln = strcmp(name, "println") == 0;
	char *out = NULL;
	size_t len = 0;
	int r = 0;

	for (int k = 0; k < argc && r == 0; k++) {
		if (k && (ln || (!json_is_string(argv[k]) && !json_is_string(argv[k - 1]))))
			r = append_str(&out, &len, " ");
		r = r ?: tx_print(&out, &len, argv[k], false);
	}
	if (ln && r == 0)
		r = append_str(&out, &len, "\n");
	return tf_result(x, at, r, out, len);
}

/* ---- Docker's functions ---- */

static json_t *fn_json(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	char *s = json_dumps(argv[0], JSON_ENCODE_ANY | JSON_COMPACT);

	return tf_result(x, at, s ? 0 : -ENOMEM, s, s ? strlen(s) : 0);
}

static json_t *fn_case(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	char *s;
	size_t n;
	bool start = true;

	if (!args_ok(x, at, argv, "s"))
		return NULL;
	n = json_string_length(argv[0]);
	s = malloc(n + 1);
	if (!s)
		return tx_fail(x, at, "out of memory");
	memcpy(s, json_string_value(argv[0]), n);
	for (size_t k = 0; k < n; k++) {
		unsigned char c = s[k];
		bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
		bool word = lower || upper || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;

		if (name[0] == 'l' && upper)
			s[k] = c | 32;
		else if ((name[0] == 'u' || (name[0] == 't' && start)) && lower)
			s[k] = c & ~32;
		start = !word;
	}
	return tf_result(x, at, 0, s, n);
}

/* Go's strings.Split: an empty separator splits into characters. */
static json_t *fn_split(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	const char *s, *sep, *hit;
	json_t *list;
	size_t sl;

	if (!args_ok(x, at, argv, "ss") || !(list = json_array()))
		return NULL;
	s = json_string_value(argv[0]);
	sep = json_string_value(argv[1]);
	sl = strlen(sep);
	for (; *s || (sl && !json_array_size(list)); s = hit + sl) {
		for (hit = sl ? strstr(s, sep) : s + 1; !sl && (*hit & 0xc0) == 0x80;)
			hit++;
		json_array_append_new(list, json_stringn(s, hit ? (size_t)(hit - s) : strlen(s)));
		if (!hit || (sl && !hit[sl] && json_array_append_new(list, json_string("")) == 0))
			break;
	}
	return list;
}

static json_t *fn_join(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	char *out = NULL;
	size_t len = 0;
	int r = 0;

	if (!args_ok(x, at, argv, "ls"))
		return NULL;
	for (size_t i = 0; r == 0 && i < json_array_size(argv[0]); i++) {
		json_t *s = json_array_get(argv[0], i);

		if (i)
			r = tx_append(&out, &len, json_string_value(argv[1]), json_string_length(argv[1]));
		r = r ?: tx_append(&out, &len, json_string_value(s), json_string_length(s));
	}
	return tf_result(x, at, r, out, len);
}

/* truncate TEXT N (bytes, as Docker's) and pad TEXT BEFORE AFTER (an
 * empty text stays empty). */
static json_t *fn_cut(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	bool pad = argc == 3;
	size_t n = json_string_length(argv[0]);
	json_int_t a, b = 0;
	char *out = NULL;
	size_t len = 0;
	int r;

	if (!args_ok(x, at, argv, pad ? "sii" : "si"))
		return NULL;
	a = json_integer_value(argv[1]);
	if (pad)
		b = json_integer_value(argv[2]);
	if (a < 0 || b < 0 || a > TF_MAXPAD || b > TF_MAXPAD)
		return tx_fail(x, at, "error calling %s: %lld out of range",
			       pad ? "pad" : "truncate", (long long)(a < 0 || a > TF_MAXPAD ? a : b));
	if (!pad)
		return json_stringn(json_string_value(argv[0]), n < (size_t)a ? n : (size_t)a);
	r = n ? appendf(&out, &len, "%*s%.*s%*s", (int)a, "", (int)n, json_string_value(argv[0]),
			(int)b, "")
	      : tx_append(&out, &len, "", 0);
	return tf_result(x, at, r, out, len);
}

/* ---- Go's builtins ---- */

static json_t *fn_len(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	json_t *v = argv[0];

	if (json_is_string(v))
		return json_integer(json_string_length(v));
	if (json_is_array(v) || json_is_object(v))
		return json_integer(json_is_array(v) ? json_array_size(v) : json_object_size(v));
	return tx_fail(x, at, "error calling len: len of type %s", tx_type(v));
}

/* The value a map gives for a missing key: its values' zero ("" for a map
 * of strings, as Labels), or no value. */
static json_t *zero_of(json_t *map)
{
	const char *k;
	json_t *v;

	json_object_foreach(map, k, v) {
		switch (json_typeof(v)) {
		case JSON_STRING:
			return json_string("");
		case JSON_ARRAY:
			return json_array();
		case JSON_INTEGER:
			return json_integer(0);
		default:
			return json_null();
		}
	}
	return json_string("");
}

static json_t *fn_index(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	json_t *item = json_incref(argv[0]);

	for (int k = 1; k < argc; k++) {
		json_t *key = argv[k], *next = NULL;

		if (json_is_array(item) && json_is_integer(key)) {
			json_int_t i = json_integer_value(key);

			if (i < 0 || (size_t)i >= json_array_size(item)) {
				json_decref(item);
				return tx_fail(x, at, "error calling index: index out of range: %lld",
					       (long long)i);
			}
			next = json_incref(json_array_get(item, i));
		} else if (json_is_object(item) && json_is_string(key)) {
			next = json_incref(json_object_get(item, json_string_value(key)));
			next = next ? next : zero_of(item);
		}
		if (!next) {
			tx_fail(x, at, json_is_null(item) ? "error calling index: index of untyped nil"
				       : json_is_array(item) || json_is_object(item)
				       ? "error calling index: cannot index %s with %s"
				       : "error calling index: can't index item of type %s",
				tx_type(item), tx_type(key));
			json_decref(item);
			return NULL;
		}
		json_decref(item);
		item = next;
	}
	return item;
}

/* -1, 0, 1; or 2 with *err set when a and b do not compare. */
static int compare(json_t *a, json_t *b, bool order, const char **err)
{
	int ka = json_typeof(a), kb = json_typeof(b);

	ka = ka == JSON_FALSE ? JSON_TRUE : ka;
	kb = kb == JSON_FALSE ? JSON_TRUE : kb;
	if (ka != kb) {
		*err = json_is_null(a) || json_is_null(b) ? NULL : "incompatible types for comparison";
		if (!*err && !order)
			return 1;
		*err = *err ? *err : "invalid type for comparison";
		return 2;
	}
	switch (ka) {
	case JSON_STRING:
		return strcmp(json_string_value(a), json_string_value(b));
	case JSON_INTEGER:
		return (json_integer_value(a) > json_integer_value(b)) -
		       (json_integer_value(a) < json_integer_value(b));
	case JSON_REAL:
		return (json_real_value(a) > json_real_value(b)) -
		       (json_real_value(a) < json_real_value(b));
	case JSON_TRUE:
	case JSON_NULL:
		if (!order)
			return json_typeof(a) != json_typeof(b);
		*err = "invalid type for comparison";
		return 2;
	default:
		*err = order ? "invalid type for comparison" : "non-comparable types";
		return 2;
	}
}

/* eq A B C...: A equals any of the others; ne, lt, le, gt, ge: two. */
static json_t *fn_cmp(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	const char *err = NULL;
	bool order = name[0] != 'e' && name[0] != 'n', hit = false;

	if (argc < 2)
		return tx_fail(x, at, "error calling %s: missing argument for comparison", name);
	for (int k = 1; k < argc && !hit; k++) {
		int c = compare(argv[0], argv[k], order, &err);

		if (c == 2 && err)
			return tx_fail(x, at, "error calling %s: %s", name, err);
		hit = name[0] == 'e' ? c == 0 : name[0] == 'n' ? c != 0 : name[0] == 'l' ?
			 (name[1] == 't' ? c < 0 : c <= 0) : (name[1] == 't' ? c > 0 : c >= 0);
	}
	return json_boolean(hit);
}

static json_t *fn_not(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			 int argc)
{
	return json_boolean(!tx_truth(argv[0]));
}

static const struct tfunc funcs[] = {
	{ "and", 1, -1, false, NULL },	     { "or", 1, -1, false, NULL },
	{ "not", 1, 1, false, fn_not },	     { "len", 1, 1, false, fn_len },
	{ "index", 1, -1, false, fn_index }, { "printf", 1, -1, false, fn_printf },
	{ "print", 0, -1, false, fn_print }, { "println", 0, -1, false, fn_print },
	{ "eq", 1, -1, false, fn_cmp },	     { "ne", 2, 2, false, fn_cmp },
	{ "lt", 2, 2, false, fn_cmp },	     { "le", 2, 2, false, fn_cmp },
	{ "gt", 2, 2, false, fn_cmp },	     { "ge", 2, 2, false, fn_cmp },
	{ "json", 1, 1, true, fn_json },     { "split", 2, 2, true, fn_split },
	{ "join", 2, 2, true, fn_join },     { "title", 1, 1, true, fn_case },
	{ "lower", 1, 1, true, fn_case },    { "upper", 1, 1, true, fn_case },
	{ "truncate", 2, 2, true, fn_cut },  { "pad", 3, 3, false, fn_cut },
};

const struct tfunc *tfn_find(const char *name)
{
	for (size_t k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++) {
		if (strcmp(funcs[k].name, name) == 0)
			return &funcs[k];
	}
	return NULL;
}

size_t tx_utf8(unsigned long cp, char *out)
{
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	if (n == 1) {
		out[0] = (char)cp;
		return 1;
	}
	for (size_t k = n - 1; k > 0; k--, cp >>= 6)
		out[k] = (char)(0x80 | (cp & 0x3f));
	out[0] = (char)((0xf00 >> n) | cp);
	return n;
}
