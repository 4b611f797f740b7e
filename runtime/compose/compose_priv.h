/* compose_priv.h - what the pieces of the compose parser share: the walk
 * over libyaml's document (compose_yaml.c), one service's keys
 * (compose_service.c), the top of the file (compose.c), the checks across
 * services and the start order (compose_order.c). The public contract is
 * compose.h; nothing outside runtime/compose/ includes this file.
 *
 * Every problem goes through cw_report into f->errors; a getter that
 * returns false has reported already. Running out of memory sets
 * w->nomem and the walk goes on; compose_parse turns it into -ENOMEM.
 */
#ifndef BERTH_COMPOSE_PRIV_H
#define BERTH_COMPOSE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "compose.h"

/* One walk over one parsed document into f. */
struct cw_walk {
	yaml_document_t *doc;
	struct compose_file *f;
	bool nomem;
};

/* compose_yaml.c: nodes, and values of the expected shape or a message. */
void cw_report(struct cw_walk *w, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cw_line_of(yaml_node_t *n);
yaml_node_t *cw_node(struct cw_walk *w, int id);
const char *cw_scalar(yaml_node_t *n);
bool cw_is_null(yaml_node_t *n);
const char *cw_type_name(yaml_node_t *n);
bool cw_get_string(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		   char **out);
bool cw_get_bool(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v, bool *out);
bool cw_get_list(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		 struct strv *out);
bool cw_get_kv(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
	       const char *null_value, struct strv *out);

/* compose_interp.c: every value scalar of the document interpolated. */
void cw_interpolate(struct cw_walk *w, char *const *const *envs);

/* compose_service.c: service s, named already, from its key node k and
 * value v; a service with a problem is marked COMPOSE_INVALID. */
void cw_parse_service(struct cw_walk *w, yaml_node_t *k, yaml_node_t *v, struct compose_service *s);
/* The checks on key's value that need more than its YAML type. */
bool cw_check_value(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		    struct compose_service *s);
/* compose_keys.c: the keys beyond the core; false when key is not one. */
bool cw_service_key(struct cw_walk *w, const char *where, const char *key, yaml_node_t *kn,
		    yaml_node_t *v, struct compose_service *s, bool *ok);
/* compose_hostkeys.c: the keys behind berth run's HostConfig flags;
 * false when key is not one. */
bool cw_host_key(struct cw_walk *w, const char *where, const char *key, yaml_node_t *v,
		 struct compose_service *s, bool *ok);
/* deploy.restart_policy into s->restart. */
bool cw_restart_policy(struct cw_walk *w, const char *where, yaml_node_t *v,
		       struct compose_service *s);
/* Their run flags into out (0 or -ENOMEM), and their memory freed. */
BERR_MUST int cw_hostx_args(const struct compose_hostx *x, struct strv *out);
void cw_hostx_free(struct compose_hostx *x);
/* A volume name as Docker takes it: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
bool cw_volume_name_valid(const char *s);

/* compose.c: the top-level volume whose key is the len bytes at key, or NULL. */
const struct compose_volume *compose_find_volume(const struct compose_file *f, const char *key,
						 size_t len);

/* compose_networks.c: the top-level networks:, a service's networks:
 * (false when it had a problem), the check of the services' references
 * once the file is read; their memory freed. */
void cw_parse_networks(struct cw_walk *w, yaml_node_t *v);
bool cw_service_networks(struct cw_walk *w, const char *where, yaml_node_t *v,
			 struct compose_service *s);
void cw_check_network_refs(struct cw_walk *w);
void cw_networks_free(struct compose_file *f);

/* compose_order.c: once the whole file is read (not after a fatal error). */
void cw_check_volume_refs(struct cw_walk *w);
void compose_order(struct cw_walk *w);

#endif
