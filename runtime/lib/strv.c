/* strv.c - string vectors (struct strv and NULL-terminated char **); see
 * strv.h. */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strv_push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

char **strv_dup(char *const *v)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out && i < n; i++) {
		if (!(out[i] = strdup(v[i]))) {
			strv_freev(out);
			return NULL;
		}
	}
	return out;
}

void strv_freev(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static int cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_strings);
}

int strv_add(struct strv *s, const char *x)
{
	size_t n = s->n;
	int r = strv_push(&s->v, &n, strdup(x));

	s->n = (int)n;
	return r;
}

void strv_free(struct strv *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int env_set(struct strv *s, const char *kv)
{
	size_t k = strcspn(kv, "=");

	for (int i = 0; i < s->n; i++) {
		if (strncmp(s->v[i], kv, k) == 0 && s->v[i][k] == '=') {
			char *d = strdup(kv);
			if (!d)
				return -ENOMEM;
			free(s->v[i]);
			s->v[i] = d;
			return 0;
		}
	}
	return strv_add(s, kv);
}

bool env_has(const struct strv *s, const char *key)
{
	size_t k = strlen(key);

	for (int i = 0; i < s->n; i++) {
		if (strncmp(s->v[i], key, k) == 0 && s->v[i][k] == '=')
			return true;
	}
	return false;
}
