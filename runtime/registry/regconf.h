/* regconf.h - the client's configuration, as Docker's, under ROOT ("" in
 * the appliance, the --root DIR in host mode):
 *
 *   ROOT/etc/berth/daemon.json          "registry-mirrors": ["https://m:5000"],
 *                                       "insecure-registries": ["host:5000"]
 *   ROOT/etc/berth/certs.d/HOST[:PORT]/ ca.crt, client.cert, client.key
 *   ROOT/etc/berth/auth.json            {"auths": {"HOST": {"auth": base64(user:pass)}}},
 *                                       mode 0600, written atomically
 *
 * Insecure registries (listed, or localhost/127.0.0.0/8 as Docker's
 * default) are tried with TLS without verification, then plain http.
 */
#ifndef BERTH_REG_REGCONF_H
#define BERTH_REG_REGCONF_H

#include <limits.h>
#include <stdbool.h>

#include "runtime/lib/err.h"

#define REG_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct reg_conf {
	char root[PATH_MAX];
	char **mirrors;	 /* NULL-terminated URLs, may be NULL */
	char **insecure; /* NULL-terminated host[:port], may be NULL */
};

/* Read daemon.json (missing: defaults). Bad JSON or wrong types: -EINVAL
 * naming the file. */
BERR_MUST int reg_conf_load(const char *root, struct reg_conf *c, struct berr *e);
void reg_conf_free(struct reg_conf *c);

bool reg_conf_insecure(const struct reg_conf *c, const char *host);

/* ROOT/etc/berth/certs.d/HOST/NAME when it exists (into out); false if not. */
bool reg_conf_cert(const struct reg_conf *c, const char *host, const char *name, char *out,
		   size_t size);

/* Credentials for key (reg_auth_key's form) from auth.json; -ENOENT when
 * none. user/pass are NUL-terminated. */
BERR_MUST int reg_auth_get(const char *root, const char *key, char *user, size_t usize, char *pass,
			   size_t psize, struct berr *e);
/* Store (pass != NULL) or remove (pass == NULL; -ENOENT if absent) the
 * entry for key; auth.json is rewritten atomically with mode 0600. */
BERR_MUST int reg_auth_put(const char *root, const char *key, const char *user, const char *pass,
			   struct berr *e);

#endif
