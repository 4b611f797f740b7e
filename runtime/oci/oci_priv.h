/* oci_priv.h - helpers shared by the config parser's files (internal). */
#ifndef BERTH_OCI_PRIV_H
#define BERTH_OCI_PRIV_H

#include "oci_config.h"

/* calloc(n, size) owned by c (freed by oci_config_free); NULL = ENOMEM. */
void *oci_alloc(struct oci_config *c, size_t n, size_t size);
void oci_warn(struct oci_config *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Type-checked reads of an optional member: absent (or JSON null) leaves
 * *out alone and returns 0; a wrong type is -EINVAL naming where.key. */
BERR_MUST int oci_get_str(json_t *o, const char *where, const char *key, const char **out,
			  struct berr *e);
BERR_MUST int oci_get_bool(json_t *o, const char *where, const char *key, bool *out,
			   struct berr *e);
BERR_MUST int oci_get_int(json_t *o, const char *where, const char *key, int64_t *out,
			  struct berr *e);
/* An object or array member: NULL when absent; -EINVAL for another type. */
BERR_MUST int oci_get_obj(json_t *o, const char *where, const char *key, json_t **out,
			  struct berr *e);
BERR_MUST int oci_get_arr(json_t *o, const char *where, const char *key, json_t **out,
			  struct berr *e);
/* An array of strings into a NULL-terminated vector owned by c (NULL when
 * absent); count in *n if n. */
BERR_MUST int oci_get_strv(struct oci_config *c, json_t *o, const char *where, const char *key,
			   char ***out, int *n, struct berr *e);

BERR_MUST int oci_parse_linux(struct oci_config *c, json_t *lx, struct berr *e);
/* o.key (where o is at) as id maps: NULL and 0 when absent. */
BERR_MUST int oci_parse_map(struct oci_config *c, json_t *o, const char *at, const char *key,
			    struct sb_idmap **out, int *n, struct berr *e);
/* After the namespaces: the user namespace's maps (oci_userns.c). */
BERR_MUST int oci_parse_userns(struct oci_config *c, json_t *lx, struct berr *e);

#endif
