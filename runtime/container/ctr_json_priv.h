/* ctr_json_priv.h - container.c's JSON helpers, shared with hostcfg.c;
 * nothing outside runtime/container/ includes this file. */
#ifndef BERTH_CTR_JSON_PRIV_H
#define BERTH_CTR_JSON_PRIV_H

#include <jansson.h>

/* A NULL-terminated vector as a JSON array of strings, and back (a
 * non-array is an empty vector; NULL only on ENOMEM). */
json_t *strv_to_json(char *const *v);
char **json_to_strv(json_t *a);
/* "KEY=VALUE" strings as a JSON object {"KEY": "VALUE"}, and back (NULL
 * when empty). */
json_t *labels_to_json(char **v);
char **labels_from_json(json_t *o);

#endif
