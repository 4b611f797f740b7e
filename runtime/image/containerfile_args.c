/* containerfile_args.c - the arguments of each instruction: words, JSON
 * (exec) form, --flags, KEY=VALUE pairs and HEALTHCHECK options (Go
 * durations: runtime/lib/duration.h); see containerfile.h and
 * containerfile_priv.h. */
#include "containerfile_priv.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/duration.h"

/* ---------------------------------------------------------------- arguments */

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
		strv_freev(*out);
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
	strv_freev(*out);
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
			strv_freev(words);
			return perr(p, "%s must have two arguments", kw);
		}
		if (asprintf(&kv, "%s=%.*s", words[0], (int)len, val) < 0)
			kv = NULL;
		strv_freev(words);
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
			strv_freev(words);
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
	struct berr bad; /* the message perr gives, with the line, is ours */
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
		if (duration_parse(v, durs[i].dst, &bad) < 0)
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

int parse_args(struct parser *p, struct cf_inst *in, const char *kw, const char *rest)
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
	case CF_STOPSIGNAL:
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
