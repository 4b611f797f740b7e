/* cli_filter.c - --filter KEY=VALUE, Docker's semantics (cli_filter.h). */
#include "cli_filter.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool key_is(const char *word, const char *key)
{
	size_t n = strlen(key);

	return strncmp(word, key, n) == 0 && word[n] == '=';
}

int flt_check(const struct strv *f, const char *const *keys, struct berr *e)
{
	for (int i = 0; i < f->n; i++) {
		const char *w = f->v[i], *eq = strchr(w, '=');
		bool known = false;

		if (!eq)
			return berr_msg(e, EINVAL, "bad format of filter (expected name=value)");
		for (const char *const *k = keys; *k && !known; k++)
			known = key_is(w, *k);
		if (!known)
			return berr_msg(e, EINVAL, "invalid filter '%.*s'", (int)(eq - w), w);
	}
	return 0;
}

bool flt_has(const struct strv *f, const char *key)
{
	for (int i = 0; i < f->n; i++) {
		if (key_is(f->v[i], key))
			return true;
	}
	return false;
}

bool flt_pass(const struct strv *f, const char *key, bool (*match)(const char *value, void *ctx),
	      void *ctx)
{
	bool any = false;

	for (int i = 0; i < f->n; i++) {
		if (!key_is(f->v[i], key))
			continue;
		if (match(f->v[i] + strlen(key) + 1, ctx))
			return true;
		any = true;
	}
	return !any;
}

bool flt_label_match(const char *value, char *const *labels)
{
	const char *eq = strchr(value, '=');
	size_t klen = eq ? (size_t)(eq - value) : strlen(value);

	for (char *const *l = labels; l && *l; l++) {
		const char *leq = strchr(*l, '=');
		size_t lk = leq ? (size_t)(leq - *l) : strlen(*l);

		if (lk != klen || strncmp(*l, value, klen) != 0)
			continue;
		if (!eq || strcmp(leq ? leq + 1 : "", eq + 1) == 0)
			return true;
	}
	return false;
}

bool flt_regex_match(const char *value, const char *name)
{
	char slashed[512];
	regex_t re;
	bool m;

	if (regcomp(&re, value, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	snprintf(slashed, sizeof(slashed), "/%s", name[0] == '/' ? name + 1 : name);
	m = regexec(&re, slashed, 0, NULL, 0) == 0 || regexec(&re, slashed + 1, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

void flt_lines(char *text, char **vec, int max)
{
	int n = 0;

	for (char *l = text, *nl; *l && n < max - 1 && (nl = strchr(l, '\n')); l = nl + 1) {
		*nl = '\0';
		vec[n++] = l;
	}
	vec[n] = NULL;
}

int flt_bool(const char *value)
{
	if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
		return 1;
	if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
		return 0;
	return -1;
}

bool flt_port_match(const char *value, unsigned port, bool udp)
{
	const char *slash = strchr(value, '/');
	char *end;
	unsigned long lo, hi;

	if (slash && strcmp(slash + 1, udp ? "udp" : "tcp") != 0)
		return false;
	lo = strtoul(value, &end, 10);
	hi = lo;
	if (*end == '-')
		hi = strtoul(end + 1, &end, 10);
	if (end == value || (*end && *end != '/'))
		return false;
	return port >= lo && port <= hi;
}
