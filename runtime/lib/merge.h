/* merge.h - how a container's command and environment come from the
 * image's config and the run flags, as Docker does it. Pure libc. */
#ifndef BERTH_MERGE_H
#define BERTH_MERGE_H

#include <stdbool.h>

/* A growing NULL-terminated string vector. */
struct strv {
	char **v;
	int n;
};

int strv_add(struct strv *s, const char *x);
void strv_free(struct strv *s);

/* Set KEY=VAL, replacing an existing KEY (later settings win). */
int env_set(struct strv *s, const char *kv);
bool env_has(const struct strv *s, const char *key);

/* The command: --entrypoint (entrypoint != NULL; "" clears it) replaces
 * the image's ENTRYPOINT and drops its CMD; arguments after the image
 * replace CMD. 0, or -EINVAL when the result is empty ("No command
 * specified"), or -ENOMEM. */
int merge_argv(const char *entrypoint, char *const *img_entrypoint, char *const *img_cmd,
	       int argc, char *const *argv, struct strv *out);

#endif
