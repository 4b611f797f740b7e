/* duration.c - Go's duration syntax, parsed and printed; see duration.h.
 * The parser follows time.ParseDuration step by step (integers, not
 * floating point, so "1.5h" and "0.1s" come out exact). */
#include "duration.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DUR_LIMIT (1ull << 63) /* one past INT64_MAX: the most a negative one holds */

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 MICRO SIGN */
	{ "\xce\xbcs", 1000 }, /* U+03BC GREEK SMALL LETTER MU */
	{ "ms", 1000000 },
	{ "s", 1000000000ull },
	{ "m", 60000000000ull },
	{ "h", 3600000000000ull },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [0-9]* at *s as an integer; false past DUR_LIMIT. */
static bool leading_int(const char **s, uint64_t *v)
{
	uint64_t x = 0;

	for (; is_digit(**s); (*s)++) {
		if (x > DUR_LIMIT / 10)
			return false;
		x = x * 10 + (uint64_t)(**s - '0');
		if (x > DUR_LIMIT)
			return false;
	}
	*v = x;
	return true;
}

/* [0-9]* after a '.': the digits that fit as x, their count as scale
 * (a power of ten); the rest are consumed and dropped, as Go does. */
static void leading_fraction(const char **s, uint64_t *x, double *scale)
{
	bool overflow = false;

	*x = 0;
	*scale = 1;
	for (; is_digit(**s); (*s)++) {
		uint64_t y;

		if (overflow)
			continue;
		if (*x > (DUR_LIMIT - 1) / 10) {
			overflow = true;
			continue;
		}
		y = *x * 10 + (uint64_t)(**s - '0');
		if (y > DUR_LIMIT) {
			overflow = true;
			continue;
		}
		*x = y;
		*scale *= 10;
	}
}

/* The unit at *s: everything up to the next digit or '.'. 0 if unknown. */
static uint64_t take_unit(const char **s)
{
	size_t len = 0;

	while ((*s)[len] && !is_digit((*s)[len]) && (*s)[len] != '.')
		len++;
	for (size_t i = 0; len && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == len && strncmp(*s, units[i].name, len) == 0) {
			*s += len;
			return units[i].ns;
		}
	}
	return 0;
}

/* One "12.5ms" at *s, added to *d; false on bad syntax or overflow. */
static bool take_term(const char **s, uint64_t *d)
{
	const char *start = *s;
	uint64_t v, f = 0, unit;
	double scale = 1;
	bool pre, post = false;

	if (!is_digit(**s) && **s != '.')
		return false;
	if (!leading_int(s, &v))
		return false;
	pre = *s != start;
	if (**s == '.') {
		const char *frac = ++*s;

		leading_fraction(s, &f, &scale);
		post = *s != frac;
	}
	if (!pre && !post) /* no digits: ".s" */
		return false;
	unit = take_unit(s);
	if (!unit || v > DUR_LIMIT / unit)
		return false;
	v *= unit;
	if (f > 0) {
		v += (uint64_t)((double)f * ((double)unit / scale));
		if (v > DUR_LIMIT)
			return false;
	}
	if (v > DUR_LIMIT - *d)
		return false;
	*d += v;
	return true;
}

int duration_parse(const char *s, int64_t *ns, struct berr *e)
{
	const char *p = s;
	uint64_t d = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		goto bad;
	while (*p) {
		if (!take_term(&p, &d))
			goto bad;
	}
	if (!neg && d > DUR_LIMIT - 1)
		goto bad;
	*ns = neg ? (int64_t)(0 - d) : (int64_t)d;
	return 0;
bad:
	return berr_msg(e, EINVAL, "time: invalid duration \"%s\"", s);
}

void duration_format(int64_t ns, char *buf, size_t size)
{
	int64_t h, m;
	double sec;
	size_t n = 0;

	if (ns == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	if (ns < 1000000000ll && ns > -1000000000ll) {
		if (ns % 1000000 == 0)
			snprintf(buf, size, "%lldms", (long long)(ns / 1000000));
		else if (ns % 1000 == 0)
			snprintf(buf, size, "%g\xc2\xb5s", ns / 1e3);
		else
			snprintf(buf, size, "%lldns", (long long)ns);
		return;
	}
	h = ns / 3600000000000ll;
	m = ns / 60000000000ll % 60;
	sec = (double)(ns % 60000000000ll) / 1e9;
	buf[0] = '\0';
	if (h)
		n += snprintf(buf + n, size - n, "%lldh", (long long)h);
	if (h || m)
		n += snprintf(buf + n, size > n ? size - n : 0, "%lldm", (long long)m);
	snprintf(buf + n, size > n ? size - n : 0, "%.9gs", sec);
}
