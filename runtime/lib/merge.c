#include "merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strv_add(struct strv *s, const char *x)
{
	char **g = realloc(s->v, (s->n + 2) * sizeof(char *));

	if (!g)
		return -ENOMEM;
	s->v = g;
	s->v[s->n] = strdup(x);
	if (!s->v[s->n])
		return -ENOMEM;
	s->v[++s->n] = NULL;
	return 0;
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

static int add_all(struct strv *out, char *const *v)
{
	for (; v && *v; v++) {
		if (strv_add(out, *v) < 0)
			return -ENOMEM;
	}
	return 0;
}

int merge_argv(const char *entrypoint, char *const *img_entrypoint, char *const *img_cmd,
	       int argc, char *const *argv, struct strv *out)
{
	int r = 0;

	if (entrypoint) {
		if (*entrypoint)
			r = strv_add(out, entrypoint);
	} else {
		r = add_all(out, img_entrypoint);
	}
	if (r == 0 && argc > 0) {
		for (int i = 0; r == 0 && i < argc; i++)
			r = strv_add(out, argv[i]);
	} else if (r == 0 && !entrypoint) {
		r = add_all(out, img_cmd);
	}
	if (r < 0)
		return r;
	return out->n > 0 ? 0 : -EINVAL;
}
