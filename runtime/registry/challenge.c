/* challenge.c - WWW-Authenticate parsing; see challenge.h. */
#include "challenge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_token_char(char c)
{
	return c > ' ' && c < 127 && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token or quoted string at *p into out (truncated to size); advances
 * *p. false on a syntax error. */
static bool read_value(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			if (n + 1 < size)
				out[n++] = *s;
		}
		if (*s != '"')
			return false;
		s++;
	} else {
		while (is_token_char(*s) || *s == '/' || *s == ':' || *s == '=') {
			if (n + 1 < size)
				out[n++] = *s;
			s++;
		}
		if (n == 0)
			return false;
	}
	out[n] = '\0';
	*p = s;
	return true;
}

static void keep(struct reg_challenge *c, const char *name, size_t nlen, const char *val)
{
	if (nlen == 5 && !strncasecmp(name, "realm", 5))
		snprintf(c->realm, sizeof(c->realm), "%s", val);
	else if (nlen == 7 && !strncasecmp(name, "service", 7))
		snprintf(c->service, sizeof(c->service), "%s", val);
	else if (nlen == 5 && !strncasecmp(name, "scope", 5))
		snprintf(c->scope, sizeof(c->scope), "%s", val);
}

static int parse_params(const char *p, struct reg_challenge *c, struct berr *e)
{
	char val[1024];

	for (;;) {
		const char *name;
		size_t nlen;

		p = skip_ws(p);
		while (*p == ',')
			p = skip_ws(p + 1);
		if (!*p)
			return 0;
		name = p;
		while (is_token_char(*p))
			p++;
		nlen = p - name;
		p = skip_ws(p);
		if (nlen == 0 || *p != '=')
			return berr_msg(e, EINVAL, "malformed WWW-Authenticate header");
		p = skip_ws(p + 1);
		if (!read_value(&p, val, sizeof(val)))
			return berr_msg(e, EINVAL, "malformed WWW-Authenticate header");
		keep(c, name, nlen, val);
		p = skip_ws(p);
		if (*p && *p != ',')
			return berr_msg(e, EINVAL, "malformed WWW-Authenticate header");
	}
}

int reg_challenge_parse(const char *value, struct reg_challenge *c, struct berr *e)
{
	const char *p = skip_ws(value ? value : ""), *s = p;
	size_t n;

	memset(c, 0, sizeof(*c));
	while (is_token_char(*p))
		p++;
	n = p - s;
	if (n == 6 && !strncasecmp(s, "bearer", 6))
		c->scheme = REG_AUTH_BEARER;
	else if (n == 5 && !strncasecmp(s, "basic", 5))
		c->scheme = REG_AUTH_BASIC;
	else
		return berr_msg(e, ENOTSUP, "unsupported authentication scheme \"%.*s\"",
				(int)(n > 32 ? 32 : n), s);
	if (*p && *p != ' ' && *p != '\t')
		return berr_msg(e, EINVAL, "malformed WWW-Authenticate header");
	if (parse_params(p, c, e) < 0)
		return -EINVAL;
	if (c->scheme == REG_AUTH_BEARER && !*c->realm)
		return berr_msg(e, EINVAL, "WWW-Authenticate: Bearer challenge without a realm");
	return 0;
}
