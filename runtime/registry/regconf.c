/* regconf.c - daemon.json, certs.d and auth.json; see regconf.h. */
#include "regconf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nettle/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

static void json_put(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_jsonp_ __attribute__((cleanup(json_put)))

static void strv_free_(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int load_json(const char *path, json_t **out, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	json_error_t je;
	size_t len;
	int r;

	*out = NULL;
	r = read_file_all(path, 1 << 20, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return berr_set(e, -r, "%s", path);
	*out = json_loadb(text, len, 0, &je);
	if (!json_is_object(*out)) {
		if (*out)
			json_decref(*out);
		*out = NULL;
		return berr_msg(e, EINVAL, "%s: line %d: %s", path, je.line,
				je.text[0] ? je.text : "not a JSON object");
	}
	return 0;
}

static int strings_of(json_t *doc, const char *key, const char *path, char ***out, struct berr *e)
{
	json_t *a = json_object_get(doc, key), *v;
	size_t i;

	*out = NULL;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return berr_msg(e, EINVAL, "%s: \"%s\" must be a list of strings", path, key);
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return berr_set(e, ENOMEM, "%s", path);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return berr_msg(e, EINVAL, "%s: \"%s\" must be a list of strings", path,
					key);
		(*out)[i] = strdup(json_string_value(v));
		if (!(*out)[i])
			return berr_set(e, ENOMEM, "%s", path);
	}
	return 0;
}

int reg_conf_load(const char *root, struct reg_conf *c, struct berr *e)
{
	_cleanup_jsonp_ json_t *doc = NULL;
	char path[PATH_MAX];
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->root, sizeof(c->root), "%s", root);
	snprintf(path, sizeof(path), "%s/etc/berth/daemon.json", root);
	r = load_json(path, &doc, e);
	if (r == 0)
		r = strings_of(doc, "registry-mirrors", path, &c->mirrors, e);
	if (r == 0)
		r = strings_of(doc, "insecure-registries", path, &c->insecure, e);
	if (r < 0)
		reg_conf_free(c);
	return r;
}

void reg_conf_free(struct reg_conf *c)
{
	strv_free_(c->mirrors);
	strv_free_(c->insecure);
	c->mirrors = c->insecure = NULL;
}

bool reg_conf_insecure(const struct reg_conf *c, const char *host)
{
	size_t hn = strcspn(host, ":");

	if ((hn == 9 && !strncmp(host, "localhost", 9)) || !strncmp(host, "127.", 4))
		return true;
	for (size_t i = 0; c->insecure && c->insecure[i]; i++) {
		const char *s = c->insecure[i];
		if (!strncmp(s, "http://", 7))
			s += 7;
		else if (!strncmp(s, "https://", 8))
			s += 8;
		if (!strcmp(s, host) || (strlen(s) == hn && !strncmp(s, host, hn)))
			return true;
	}
	return false;
}

bool reg_conf_cert(const struct reg_conf *c, const char *host, const char *name, char *out,
		   size_t size)
{
	snprintf(out, size, "%s/etc/berth/certs.d/%s/%s", c->root, host, name);
	return access(out, R_OK) == 0;
}

static void auth_path(const char *root, char *out, size_t size)
{
	snprintf(out, size, "%s/etc/berth/auth.json", root);
}

int reg_auth_get(const char *root, const char *key, char *user, size_t usize, char *pass,
		 size_t psize, struct berr *e)
{
	_cleanup_jsonp_ json_t *doc = NULL;
	struct base64_decode_ctx ctx;
	char path[PATH_MAX], plain[1024], *colon;
	const char *b64;
	size_t n = sizeof(plain) - 1;
	int r;

	auth_path(root, path, sizeof(path));
	r = load_json(path, &doc, e);
	if (r < 0)
		return r;
	b64 = json_string_value(
	    json_object_get(json_object_get(json_object_get(doc, "auths"), key), "auth"));
	if (!b64)
		return -ENOENT;
	base64_decode_init(&ctx);
	if (BASE64_DECODE_LENGTH(strlen(b64)) > n ||
	    !base64_decode_update(&ctx, &n, (uint8_t *)plain, strlen(b64), b64) ||
	    !base64_decode_final(&ctx))
		return berr_msg(e, EINVAL, "%s: the credentials for %s are not valid base64", path,
				key);
	plain[n] = '\0';
	colon = strchr(plain, ':');
	if (!colon)
		return berr_msg(e, EINVAL, "%s: the credentials for %s lack a ':'", path, key);
	*colon = '\0';
	snprintf(user, usize, "%s", plain);
	snprintf(pass, psize, "%s", colon + 1);
	explicit_bzero(plain, sizeof(plain));
	return 0;
}

static int auth_entry(const char *user, const char *pass, json_t **out)
{
	char plain[1024], b64[BASE64_ENCODE_RAW_LENGTH(1024) + 1];
	int n = snprintf(plain, sizeof(plain), "%s:%s", user, pass);

	if (n < 0 || (size_t)n >= sizeof(plain))
		return -ENAMETOOLONG;
	base64_encode_raw(b64, n, (const uint8_t *)plain);
	b64[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	explicit_bzero(plain, sizeof(plain));
	*out = json_pack("{s:s}", "auth", b64);
	explicit_bzero(b64, sizeof(b64));
	return *out ? 0 : -ENOMEM;
}

int reg_auth_put(const char *root, const char *key, const char *user, const char *pass,
		 struct berr *e)
{
	_cleanup_jsonp_ json_t *doc = NULL;
	_cleanup_free_ char *text = NULL;
	json_t *auths, *entry;
	char path[PATH_MAX];
	int r;

	auth_path(root, path, sizeof(path));
	r = load_json(path, &doc, e);
	if (r < 0)
		return r;
	if (!doc && !(doc = json_object()))
		return berr_set(e, ENOMEM, "%s", path);
	auths = json_object_get(doc, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		if (!auths || json_object_set_new(doc, "auths", auths) < 0)
			return berr_set(e, ENOMEM, "%s", path);
	}
	if (!pass) {
		if (json_object_del(auths, key) < 0)
			return -ENOENT;
	} else {
		r = auth_entry(user, pass, &entry);
		if (r < 0 || json_object_set_new(auths, key, entry) < 0)
			return berr_set(e, r < 0 ? -r : ENOMEM, "%s", path);
	}
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return berr_set(e, ENOMEM, "%s", path);
	snprintf(path, sizeof(path), "%s/etc/berth", root);
	r = mkdir_p(path, 0755);
	auth_path(root, path, sizeof(path));
	if (r == 0)
		r = write_file_atomic(path, text, strlen(text), 0600);
	if (r == 0 && chmod(path, 0600) < 0)
		r = -errno;
	explicit_bzero(text, strlen(text));
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}
