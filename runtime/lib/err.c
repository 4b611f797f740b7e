#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int berr_vformat(struct berr *e, int code, int with_errno, const char *fmt, va_list ap)
{
	int n;

	if (code <= 0)
		code = EINVAL;
	e->code = code;
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (with_errno && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(code));
	return -code;
}

int berr_set(struct berr *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = berr_vformat(e, code, 1, fmt, ap);
	va_end(ap);
	return r;
}

int berr_msg(struct berr *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = berr_vformat(e, code, 0, fmt, ap);
	va_end(ap);
	return r;
}

int berr_wrap(struct berr *e, const char *fmt, ...)
{
	char prefix[BERR_MSG_MAX];
	char old[BERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	if (e->code <= 0)
		e->code = EINVAL;
	return -e->code;
}

void berr_clear(struct berr *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}
