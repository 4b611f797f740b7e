/* flags.c - the CLI verbs' flag parser and their --help (flags.h): one
 * table per verb, Docker's syntax and error texts. */
#include "flags.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/duration.h"
#include "runtime/lib/strv.h"

struct parse {
	const struct flg_cmd *c;
	void *opts;
	struct flg_out *out;
	struct berr *e;
};

static int find_long(const struct flg *f, const char *name, size_t len)
{
	for (int i = 0; f && f[i].name; i++) {
		if (strlen(f[i].name) == len && strncmp(f[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

static int find_short(const struct flg *f, char s)
{
	for (int i = 0; f && f[i].name; i++) {
		if (s && f[i].shorthand == s)
			return i;
	}
	return -1;
}

/* "-c, --cpu-shares" or "--name", as Docker names a flag in its errors. */
static void flag_title(const struct flg *f, char *buf, size_t size)
{
	if (f->shorthand)
		snprintf(buf, size, "-%c, --%s", f->shorthand, f->name);
	else
		snprintf(buf, size, "--%s", f->name);
}

static int bad_value(struct parse *p, const struct flg *f, const char *val, const char *why)
{
	char title[96];

	flag_title(f, title, sizeof(title));
	return berr_msg(p->e, EINVAL, "invalid argument \"%s\" for \"%s\" flag: %s", val, title,
			why);
}

/* strconv.ParseBool's words. */
static int parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*b = strcmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *s, int *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || n < INT_MIN || n > INT_MAX)
		return -ERANGE;
	*v = (int)n;
	return 0;
}

/* Store val (NULL for a boolean given without one) into the flag's field. */
static int store(struct parse *p, int i, const char *val)
{
	const struct flg *f = &p->c->flags[i];
	void *dst = f->off == FLG_NO_DST ? NULL : (char *)p->opts + f->off;
	struct berr de;
	int64_t ns;
	bool b = true;
	int n, r;

	if (i < FLG_MAX)
		p->out->seen |= 1ull << i;
	switch (f->kind) {
	case FLG_T_BOOL:
		if (val && parse_bool(val, &b) < 0)
			return bad_value(p, f, val, "invalid syntax");
		if (dst)
			*(bool *)dst = b;
		return 0;
	case FLG_T_STRING:
		if (dst)
			*(const char **)dst = val;
		return 0;
	case FLG_T_INT:
		r = parse_int(val, &n);
		if (r < 0)
			return bad_value(p, f, val,
					 r == -ERANGE ? "value out of range" : "invalid syntax");
		if (dst)
			*(int *)dst = n;
		return 0;
	case FLG_T_STRINGS:
		if (dst && strv_add(dst, val) < 0)
			return berr_msg(p->e, ENOMEM, "out of memory");
		return 0;
	case FLG_T_DURATION:
		if (duration_parse(val, &ns, &de) < 0)
			return bad_value(p, f, val, de.msg);
		if (dst)
			*(int64_t *)dst = ns;
		return 0;
	}
	return berr_msg(p->e, EINVAL, "flag --%s: unknown kind", f->name);
}

/* "--name", "--name=value" or "--name value" (which takes argv[*i + 1]). */
static int long_flag(struct parse *p, int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int k = find_long(p->c->flags, name, len);

	if (len == 0 || name[0] == '-' || name[0] == '=')
		return berr_msg(p->e, EINVAL, "bad flag syntax: %s", argv[*i]);
	if (k < 0 && !eq && strcmp(name, "help") == 0)
		return FLG_HELP;
	if (k < 0)
		return berr_msg(p->e, EINVAL, "unknown flag: --%.*s", (int)len, name);
	if (eq || p->c->flags[k].kind == FLG_T_BOOL)
		return store(p, k, eq ? eq + 1 : NULL);
	if (*i + 1 >= argc)
		return berr_msg(p->e, EINVAL, "flag needs an argument: --%s", name);
	return store(p, k, argv[++*i]);
}

/* "-dit", "-p80:80", "-p=80:80", "-p 80:80": booleans until a letter that
 * takes a value, which is the rest of the word or the next word. */
static int short_flags(struct parse *p, int argc, char **argv, int *i)
{
	const char *word = argv[*i] + 1;

	for (const char *s = word; *s; s++) {
		int k = find_short(p->c->flags, *s);

		if (k < 0 && *s == 'h')
			return FLG_HELP;
		if (k < 0)
			return berr_msg(p->e, EINVAL, "unknown shorthand flag: '%c' in -%s", *s,
					word);
		if (s[1] == '=')
			return store(p, k, s + 2);
		if (p->c->flags[k].kind == FLG_T_BOOL) {
			int r = store(p, k, NULL);
			if (r < 0)
				return r;
			continue;
		}
		if (s[1])
			return store(p, k, s + 1);
		if (*i + 1 >= argc)
			return berr_msg(p->e, EINVAL, "flag needs an argument: '%c' in -%s", *s,
					word);
		return store(p, k, argv[++*i]);
	}
	return 0;
}

/* The space before a path or a usage, none before an empty one ("" is
 * berth itself, or a verb without operands). */
static const char *sep(const char *path)
{
	return *path ? " " : "";
}

static const char *plural(int n)
{
	return n == 1 ? "argument" : "arguments";
}

/* Docker's texts for a wrong number of operands. */
static int check_operands(const struct flg_cmd *c, int n, struct berr *e)
{
	const char *v = c->path;
	int min = c->min_args, max = c->max_args;

	if (n >= min && (max < 0 || n <= max))
		return 0;
	if (max == 0)
		return berr_msg(e, E2BIG, "\"%s\" accepts no arguments.", v);
	if (min == max)
		return berr_msg(e, E2BIG, "\"%s\" requires exactly %d %s.", v, min, plural(min));
	if (max < 0)
		return berr_msg(e, E2BIG, "\"%s\" requires at least %d %s.", v, min, plural(min));
	if (min == 0)
		return berr_msg(e, E2BIG, "\"%s\" requires at most %d %s.", v, max, plural(max));
	return berr_msg(e, E2BIG, "\"%s\" requires at least %d and at most %d %s.", v, min, max,
			plural(max));
}

/* Move the operand argv[i] down to argv[w], after the operands before it:
 * the flag words in between move up by one. A permutation (a strv still
 * frees what it holds), stable for both groups. */
static void take_operand(char **argv, int w, int i)
{
	char *op = argv[i];

	memmove(argv + w + 1, argv + w, (size_t)(i - w) * sizeof(*argv));
	argv[w] = op;
}

int flg_parse(const struct flg_cmd *c, void *opts, int argc, char **argv, struct flg_out *out,
	      struct berr *e)
{
	struct parse p = { c, opts, out, e };
	bool flags_done = false;
	int n = 0, r;

	*out = (struct flg_out){ .argv = c->stop_at_operand ? argv + argc : argv + 1 };
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!flags_done && strcmp(a, "--") == 0) {
			flags_done = true;
			if (c->stop_at_operand) {
				out->argv = argv + i + 1;
				n = argc - i - 1;
				break;
			}
			continue;
		}
		if (!flags_done && c->stop_at_operand && (a[0] != '-' || a[1] == '\0')) {
			/* the command's words: the tail of argv, as it is */
			out->argv = argv + i;
			n = argc - i;
			break;
		}
		if (flags_done || a[0] != '-' || a[1] == '\0') {
			take_operand(argv, 1 + n++, i);
			continue;
		}
		r = a[1] == '-' ? long_flag(&p, argc, argv, &i) : short_flags(&p, argc, argv, &i);
		if (r != 0)
			return r;
	}
	out->argc = n;
	return check_operands(c, n, e);
}

int flg_verb(const struct flg_cmd *c, void *opts, int argc, char **argv, struct flg_out *out)
{
	struct berr e;
	int r = flg_parse(c, opts, argc, argv, out, &e);

	if (r == 0)
		return 0;
	if (r == FLG_HELP) {
		flg_help(c, stdout);
		out->status = 0;
		return -1;
	}
	fprintf(stderr, "berth: %s\nSee 'berth%s%s --help'.\n", e.msg, sep(c->path), c->path);
	out->status = 125;
	if (r == -E2BIG) {
		fprintf(stderr, "\nUsage:  berth%s%s%s%s\n\n%s\n", sep(c->path), c->path,
			sep(c->usage), c->usage, c->desc);
		out->status = c->args_status ? c->args_status : 1;
	}
	return -1;
}

bool flg_given(const struct flg_cmd *c, const struct flg_out *out, const char *name)
{
	int k = find_long(c->flags, name, strlen(name));

	return k >= 0 && k < FLG_MAX && (out->seen >> k & 1);
}

bool flg_is_help(const struct flg_cmd *c, const char *word)
{
	return strcmp(word, "--help") == 0 ||
	       (strcmp(word, "-h") == 0 && find_short(c->flags, 'h') < 0);
}

static const char *last_word(const char *path)
{
	const char *sp = strrchr(path, ' ');

	return sp ? sp + 1 : path;
}

/* word is one of the space-separated names in list. */
static bool in_list(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *s = list; s && *s;) {
		size_t n = strcspn(s, " ");

		if (n == len && strncmp(s, word, len) == 0)
			return true;
		s += n + (s[n] == ' ');
	}
	return false;
}

const struct flg_cmd *flg_find_cmd(const struct flg_cmd *c, const char *word)
{
	for (const struct flg_cmd *const *s = c->cmds; s && *s; s++) {
		if (strcmp(last_word((*s)->path), word) == 0 || in_list((*s)->aliases, word))
			return *s;
	}
	return NULL;
}

int flg_fail(const struct flg_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'berth%s%s --help'.\n", sep(c->path), c->path);
	return 125;
}

/* The value's name in the Options list: the `word` in the help, else
 * the kind's name as Docker shows it. */
static void value_name(const struct flg *f, char *buf, size_t size)
{
	static const char *const kinds[] = {
		[FLG_T_BOOL] = "",	 [FLG_T_STRING] = "string",	[FLG_T_INT] = "int",
		[FLG_T_STRINGS] = "list", [FLG_T_DURATION] = "duration",
	};
	const char *q = strchr(f->help, '`'), *q2 = q ? strchr(q + 1, '`') : NULL;

	if (q2)
		snprintf(buf, size, "%.*s", (int)(q2 - q - 1), q + 1);
	else
		snprintf(buf, size, "%s", kinds[f->kind]);
}

/* "  -a, --all", "      --format string": pflag's columns. */
static void print_options(const struct flg_cmd *c, FILE *to)
{
	char left[FLG_MAX][96], value[64];
	int width = 0, n = 0;

	for (int i = 0; c->flags && c->flags[i].name && i < FLG_MAX; i++) {
		const struct flg *f = &c->flags[i];
		int len;

		left[i][0] = '\0';
		if (!f->help)
			continue;
		value_name(f, value, sizeof(value));
		if (f->shorthand)
			len = snprintf(left[i], sizeof(left[i]), "  -%c, --%s%s%s", f->shorthand,
				       f->name, *value ? " " : "", value);
		else
			len = snprintf(left[i], sizeof(left[i]), "      --%s%s%s", f->name,
				       *value ? " " : "", value);
		if (len > width)
			width = len;
		n++;
	}
	if (!n)
		return;
	fprintf(to, "\nOptions:\n");
	for (int i = 0; c->flags[i].name && i < FLG_MAX; i++) {
		if (!c->flags[i].help)
			continue;
		fprintf(to, "%-*s   ", width, left[i]);
		for (const char *h = c->flags[i].help; *h; h++) {
			if (*h != '`')
				fputc(*h, to);
		}
		fputc('\n', to);
	}
}

static void print_commands(const struct flg_cmd *c, FILE *to)
{
	if (!c->cmds)
		return;
	fprintf(to, "\nCommands:\n");
	for (const struct flg_cmd *const *s = c->cmds; *s; s++) {
		if (!(*s)->hidden)
			fprintf(to, "  %-11s %s\n", last_word((*s)->path), (*s)->desc);
	}
	fprintf(to, "\nRun 'berth%s%s COMMAND --help' for more information on a command.\n",
		sep(c->path), c->path);
}

void flg_help(const struct flg_cmd *c, FILE *to)
{
	const char *name = last_word(c->path);

	fprintf(to, "\nUsage:  berth%s%s%s%s\n\n%s\n", sep(c->path), c->path, sep(c->usage),
		c->usage, c->desc);
	if (c->aliases) {
		int prefix = (int)(name - c->path);

		fprintf(to, "\nAliases:\n  berth %s", c->path);
		for (const char *s = c->aliases; *s;) {
			size_t n = strcspn(s, " ");

			fprintf(to, ", berth %.*s%.*s", prefix, c->path, (int)n, s);
			s += n + (s[n] == ' ');
		}
		fputc('\n', to);
	}
	print_options(c, to);
	print_commands(c, to);
}
