/* oci_json.c - type-checked reads of config.json members, and the
 * config's allocations and warnings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "oci_priv.h"

void *oci_alloc(struct oci_config *c, size_t n, size_t size)
{
	void **grown;
	void *p;

	grown = realloc(c->allocs, (c->nallocs + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	c->allocs = grown;
	p = calloc(n ? n : 1, size);
	if (p)
		c->allocs[c->nallocs++] = p;
	return p;
}

void oci_warn(struct oci_config *c, const char *fmt, ...)
{
	va_list ap;

	if (c->nwarnings >= OCI_WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(c->warnings[c->nwarnings++], sizeof(c->warnings[0]), fmt, ap);
	va_end(ap);
}

static json_t *member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

static int wrong(const char *where, const char *key, const char *what, struct berr *e)
{
	return berr_msg(e, EINVAL, "%s%s%s: not %s", where, *where ? "." : "", key, what);
}

int oci_get_str(json_t *o, const char *where, const char *key, const char **out, struct berr *e)
{
	json_t *v = member(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return wrong(where, key, "a string", e);
	*out = json_string_value(v);
	return 0;
}

int oci_get_bool(json_t *o, const char *where, const char *key, bool *out, struct berr *e)
{
	json_t *v = member(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return wrong(where, key, "true or false", e);
	*out = json_is_true(v);
	return 0;
}

int oci_get_int(json_t *o, const char *where, const char *key, int64_t *out, struct berr *e)
{
	json_t *v = member(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return wrong(where, key, "an integer", e);
	*out = json_integer_value(v);
	return 0;
}

int oci_get_obj(json_t *o, const char *where, const char *key, json_t **out, struct berr *e)
{
	json_t *v = member(o, key);

	*out = NULL;
	if (v && !json_is_object(v))
		return wrong(where, key, "an object", e);
	*out = v;
	return 0;
}

int oci_get_arr(json_t *o, const char *where, const char *key, json_t **out, struct berr *e)
{
	json_t *v = member(o, key);

	*out = NULL;
	if (v && !json_is_array(v))
		return wrong(where, key, "an array", e);
	*out = v;
	return 0;
}

int oci_get_strv(struct oci_config *c, json_t *o, const char *where, const char *key,
		 char ***out, int *n, struct berr *e)
{
	json_t *a, *v;
	size_t i;
	char **vec;
	int r = oci_get_arr(o, where, key, &a, e);

	*out = NULL;
	if (n)
		*n = 0;
	if (r < 0 || !a)
		return r;
	vec = oci_alloc(c, json_array_size(a) + 1, sizeof(*vec));
	if (!vec)
		return berr_msg(e, ENOMEM, "%s.%s: out of memory", where, key);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return wrong(where, key, "an array of strings", e);
		vec[i] = (char *)json_string_value(v);
	}
	*out = vec;
	if (n)
		*n = (int)json_array_size(a);
	return 0;
}
