/* client.c - one registry over libcurl; see client.h. */
#include "client.h"

#include <errno.h>
#include <jansson.h>
#include <nettle/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "reference.h"

#define RETRIES 4

static void json_put(json_t **j)
{
	if (*j)
		json_decref(*j);
}

void reg_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

size_t reg_resp_header_cb(char *b, size_t size, size_t n, void *resp)
{
	struct reg_resp *r = resp;
	size_t len = size * n, vlen;
	char *v;

	if (len > 5 && !strncmp(b, "HTTP/", 5)) { /* a new response (after a redirect) */
		r->ctype[0] = r->digest[0] = r->location[0] = r->www_auth[0] = r->range[0] = '\0';
		r->link[0] = '\0';
		return len;
	}
	v = memchr(b, ':', len);
	if (!v)
		return len;
	vlen = len - (v + 1 - b);
	for (v++; vlen && (*v == ' ' || *v == '\t'); v++)
		vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
#define KEEP(name, field)                                                                          \
	if ((size_t)(v - b) > strlen(name) && !strncasecmp(b, name ":", strlen(name) + 1))         \
		snprintf(r->field, sizeof(r->field), "%.*s", (int)vlen, v);
	KEEP("Content-Type", ctype)
	KEEP("Docker-Content-Digest", digest)
	KEEP("Location", location)
	KEEP("WWW-Authenticate", www_auth)
	KEEP("Range", range)
	KEEP("Link", link)
#undef KEEP
	return len;
}

static size_t body_cb(char *b, size_t size, size_t n, void *resp)
{
	struct reg_resp *r = resp;
	size_t len = size * n;
	char *nb;

	if (r->len + len > r->max) {
		r->too_big = true;
		return 0;
	}
	nb = realloc(r->body, r->len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, b, len);
	r->body = nb;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

void reg_resp_free(struct reg_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

void reg_resp_reason(const struct reg_resp *r, char *out, size_t size)
{
	json_t *doc __attribute__((cleanup(json_put))) = NULL;
	json_t *err0;
	const char *code, *msg;

	if (r->body)
		doc = json_loadb(r->body, r->len, 0, NULL);
	err0 = json_array_get(json_object_get(doc, "errors"), 0);
	code = json_string_value(json_object_get(err0, "code"));
	msg = json_string_value(json_object_get(err0, "message"));
	if (msg && code) {
		char lc[64];
		size_t i;
		for (i = 0; code[i] && i < sizeof(lc) - 1; i++)
			lc[i] = code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i];
		lc[i] = '\0';
		for (char *p = lc; *p; p++)
			if (*p == '_')
				*p = ' ';
		snprintf(out, size, "%s: %s", lc, msg);
	} else if (r->status == 401) {
		snprintf(out, size, "unauthorized: authentication required");
	} else {
		snprintf(out, size, "HTTP %ld", r->status);
	}
}

static const char *token_for(struct reg_client *c, const char *scope)
{
	for (int i = 0; i < REG_TOKENS_MAX; i++)
		if (c->tokens[i].value && !strcmp(c->tokens[i].scope, scope))
			return c->tokens[i].value;
	return NULL;
}

static void basic_header(const struct reg_client *c, char *out, size_t size)
{
	char plain[800], b64[BASE64_ENCODE_RAW_LENGTH(800) + 1];
	int n = snprintf(plain, sizeof(plain), "%s:%s", c->user, c->pass);

	if (n < 0 || (size_t)n >= sizeof(plain))
		n = 0;
	base64_encode_raw(b64, n, (const uint8_t *)plain);
	b64[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	snprintf(out, size, "Authorization: Basic %s", b64);
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(b64, sizeof(b64));
}

/* The host[:port] of an http(s) URL. */
static void url_host(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	snprintf(out, size, "%.*s", (int)strcspn(p, "/?#"), p);
}

int reg_client_prepare(struct reg_client *c, CURL *h, const char *url, const char *const *extra,
		       struct curl_slist **hdrs)
{
	char hdr[8192], path[4096], host[256];
	const char *tok;
	bool verify;
	struct curl_slist *l = NULL, *n;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout ? c->connect_timeout : 20L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	url_host(url, host, sizeof(host));
	verify = !reg_conf_insecure(c->conf, host);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	if (reg_conf_cert(c->conf, host, "ca.crt", path, sizeof(path)))
		curl_easy_setopt(h, CURLOPT_CAINFO, path);
	else
		curl_easy_setopt(h, CURLOPT_CAINFO, REG_CA_BUNDLE);
	if (reg_conf_cert(c->conf, host, "client.cert", path, sizeof(path))) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, path);
		if (reg_conf_cert(c->conf, host, "client.key", path, sizeof(path)))
			curl_easy_setopt(h, CURLOPT_SSLKEY, path);
	}
	hdr[0] = '\0';
	if (c->chal.scheme == REG_AUTH_BEARER && *c->scope && (tok = token_for(c, c->scope)))
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", tok);
	else if (c->chal.scheme == REG_AUTH_BASIC && c->have_creds)
		basic_header(c, hdr, sizeof(hdr));
	if (*hdr && !(l = curl_slist_append(l, hdr)))
		return -ENOMEM;
	explicit_bzero(hdr, sizeof(hdr));
	for (size_t i = 0; extra && extra[i]; i++) {
		n = curl_slist_append(l, extra[i]);
		if (!n) {
			curl_slist_free_all(l);
			return -ENOMEM;
		}
		l = n;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	*hdrs = l;
	return 0;
}

static bool retryable(CURLcode cc, long status)
{
	if (cc == CURLE_OK)
		return status >= 500 || status == 429;
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
	       cc == CURLE_PARTIAL_FILE || cc == CURLE_OPERATION_TIMEDOUT ||
	       cc == CURLE_GOT_NOTHING || cc == CURLE_HTTP2 || cc == CURLE_SSL_CONNECT_ERROR;
}

/* One try of a request against url, body to r. */
static CURLcode request_once(struct reg_client *c, const char *method, const char *url,
			     const char *const *extra, const void *upload, size_t uplen,
			     struct reg_resp *r, char *errbuf)
{
	struct curl_slist *hdrs = NULL;
	CURLcode cc;

	reg_resp_free(r);
	r->too_big = false;
	r->status = 0;
	if (reg_client_prepare(c, c->easy, url, extra, &hdrs) < 0)
		return CURLE_OUT_OF_MEMORY;
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, reg_resp_header_cb);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, r);
	if (method && !strcmp(method, "HEAD"))
		curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
	else if (method)
		curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
	if (upload) {
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, upload);
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)uplen);
	}
	errbuf[0] = '\0';
	cc = curl_easy_perform(c->easy);
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	return cc;
}

static int transport_error(struct reg_client *c, CURLcode cc, const char *errbuf,
			   const struct reg_resp *r, struct berr *e)
{
	if (r->too_big)
		return berr_msg(e, EFBIG, "registry %s: response larger than %zu bytes", c->host,
				r->max);
	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
		return berr_msg(e, EPERM, "registry %s: TLS certificate verification failed (%s)",
				c->host, *errbuf ? errbuf : curl_easy_strerror(cc));
	return berr_msg(e, cc == CURLE_COULDNT_RESOLVE_HOST ? ENOENT : EIO, "registry %s: %s",
			c->host, *errbuf ? errbuf : curl_easy_strerror(cc));
}

static int url_of(struct reg_client *c, const char *path, char *out, size_t size)
{
	int n = !strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)
		    ? snprintf(out, size, "%s", path)
		    : snprintf(out, size, "%s%s", c->base, path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int reg_request(struct reg_client *c, const char *method, const char *path,
		const char *const *extra, const void *upload, size_t uplen, struct reg_resp *r,
		struct berr *e)
{
	char url[4096], errbuf[CURL_ERROR_SIZE];
	bool reauth = false;
	CURLcode cc;

	if (url_of(c, path, url, sizeof(url)) < 0)
		return berr_msg(e, ENAMETOOLONG, "registry %s: URL too long", c->host);
	if (!r->max)
		r->max = 1 << 20;
	for (int attempt = 0;; attempt++) {
		cc = request_once(c, method, url, extra, upload, uplen, r, errbuf);
		if (cc == CURLE_OK && r->status == 401 && !reauth && *c->scope &&
		    c->chal.scheme == REG_AUTH_BEARER) {
			reauth = true; /* the token may have expired: once more with a new one */
			if (reg_client_reauth(c, e) < 0)
				return -e->code;
			continue;
		}
		if (!retryable(cc, r->status) || attempt >= RETRIES || upload)
			break;
		reg_sleep_ms(250L << attempt);
	}
	if (cc != CURLE_OK)
		return transport_error(c, cc, errbuf, r, e);
	return 0;
}

/* GET a token for scope from the Bearer realm (with the credentials, if
 * any, as Basic auth) and cache it. */
static int fetch_token(struct reg_client *c, const char *scope, struct berr *e)
{
	json_t *doc __attribute__((cleanup(json_put))) = NULL;
	struct reg_resp r = { .max = 1 << 20 };
	char url[4096], basic[1200], errbuf[CURL_ERROR_SIZE], why[512];
	const char *extra[2] = { NULL, NULL }, *tok;
	char saved[sizeof(c->scope)];
	char *svc = curl_easy_escape(c->easy, c->chal.service, 0);
	enum reg_scheme scheme = c->chal.scheme;
	CURLcode cc;
	int slot = 0, n;

	n = snprintf(url, sizeof(url), "%s%cservice=%s", c->chal.realm,
		     strchr(c->chal.realm, '?') ? '&' : '?', svc ? svc : "");
	curl_free(svc);
	/* one scope= per space-separated scope, as the token protocol has it */
	for (const char *s = scope; n > 0 && (size_t)n < sizeof(url) && *s;) {
		size_t len = strcspn(s, " ");
		char *sc = curl_easy_escape(c->easy, s, len);
		if (len)
			n += snprintf(url + n, sizeof(url) - n, "&scope=%s", sc ? sc : "");
		curl_free(sc);
		s += len + (s[len] == ' ');
	}
	if (n < 0 || (size_t)n >= sizeof(url))
		return berr_msg(e, ENAMETOOLONG, "registry %s: token URL too long", c->host);
	if (c->have_creds) {
		basic_header(c, basic, sizeof(basic));
		extra[0] = basic;
	}
	snprintf(saved, sizeof(saved), "%s", c->scope);
	c->scope[0] = '\0'; /* no Authorization header of our own */
	c->chal.scheme = REG_AUTH_NONE;
	cc = request_once(c, NULL, url, extra, NULL, 0, &r, errbuf);
	snprintf(c->scope, sizeof(c->scope), "%s", saved);
	c->chal.scheme = scheme;
	explicit_bzero(basic, sizeof(basic));
	if (cc != CURLE_OK) {
		transport_error(c, cc, errbuf, &r, e);
		reg_resp_free(&r);
		return berr_wrap(e, "token");
	}
	if (r.status != 200) {
		reg_resp_reason(&r, why, sizeof(why));
		reg_resp_free(&r);
		if (!strncmp(why, "HTTP ", 5) && (r.status == 401 || r.status == 403))
			snprintf(why, sizeof(why), "unauthorized: incorrect username or password");
		return berr_msg(e, EACCES, "registry %s: %s", c->host, why);
	}
	doc = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
	reg_resp_free(&r);
	tok = json_string_value(json_object_get(doc, "token"));
	if (!tok)
		tok = json_string_value(json_object_get(doc, "access_token"));
	if (!tok || !*tok || strlen(tok) > 7000 || strpbrk(tok, "\r\n"))
		return berr_msg(e, EPROTO, "registry %s: the token server's answer holds no token",
				c->host);
	for (int i = 0; i < REG_TOKENS_MAX; i++)
		if (!c->tokens[i].value) {
			slot = i;
			break;
		}
	free(c->tokens[slot].value);
	c->tokens[slot].value = strdup(tok);
	snprintf(c->tokens[slot].scope, sizeof(c->tokens[slot].scope), "%s", scope);
	return c->tokens[slot].value ? 0 : berr_set(e, ENOMEM, "token");
}

int reg_client_reauth(struct reg_client *c, struct berr *e)
{
	for (int i = 0; i < REG_TOKENS_MAX; i++)
		if (c->tokens[i].value && !strcmp(c->tokens[i].scope, c->scope)) {
			free(c->tokens[i].value);
			c->tokens[i].value = NULL;
		}
	return reg_client_scope(c, c->scope, e);
}

int reg_client_scope(struct reg_client *c, const char *scope, struct berr *e)
{
	if (c->scope != scope)
		snprintf(c->scope, sizeof(c->scope), "%s", scope);
	if (c->chal.scheme != REG_AUTH_BEARER || token_for(c, scope))
		return 0;
	return fetch_token(c, scope, e);
}

/* GET /v2/ over https (then http for an insecure registry): learn the
 * scheme and the challenge. */
static int ping(struct reg_client *c, struct berr *e)
{
	static const char *const schemes[] = { "https", "http" };
	struct reg_resp r = { .max = 64 << 10 };
	char url[512], errbuf[CURL_ERROR_SIZE], why[512];
	CURLcode cc = CURLE_OK;
	bool insecure = reg_conf_insecure(c->conf, c->host);

	for (int i = 0; i < (insecure ? 2 : 1); i++) {
		snprintf(c->base, sizeof(c->base), "%s://%s", schemes[i], c->host);
		snprintf(url, sizeof(url), "%s/v2/", c->base);
		/* a plain-http server may never answer a TLS hello: try briefly */
		c->connect_timeout = insecure && i == 0 ? 3 : 0;
		cc = request_once(c, NULL, url, NULL, NULL, 0, &r, errbuf);
		c->connect_timeout = 0;
		if (cc == CURLE_OK)
			break;
	}
	if (cc != CURLE_OK) {
		transport_error(c, cc, errbuf, &r, e);
		reg_resp_free(&r);
		return -e->code;
	}
	if (r.status == 401) {
		int rc = reg_challenge_parse(r.www_auth, &c->chal, e);
		reg_resp_free(&r);
		return rc < 0 ? berr_wrap(e, "registry %s", c->host) : 0;
	}
	reg_resp_reason(&r, why, sizeof(why));
	reg_resp_free(&r);
	if (r.status != 200)
		return berr_msg(e, EPROTO, "registry %s: /v2/ answered %s: not a registry?",
				c->host, why);
	return 0;
}

int reg_client_open(struct reg_client *c, const struct reg_conf *conf, const char *host,
		    const char *user, const char *pass, struct berr *e)
{
	char key[300];
	int r;

	memset(c, 0, sizeof(*c));
	c->conf = conf;
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->verify = !reg_conf_insecure(conf, host);
	if (user && pass) {
		snprintf(c->user, sizeof(c->user), "%s", user);
		snprintf(c->pass, sizeof(c->pass), "%s", pass);
		c->have_creds = true;
	} else {
		reg_auth_key(host, key, sizeof(key));
		r = reg_auth_get(conf->root, key, c->user, sizeof(c->user), c->pass,
				 sizeof(c->pass), e);
		if (r < 0 && r != -ENOENT)
			return r;
		c->have_creds = r == 0;
	}
	c->easy = curl_easy_init();
	if (!c->easy)
		return berr_set(e, ENOMEM, "registry %s", host);
	return ping(c, e);
}

void reg_client_close(struct reg_client *c)
{
	for (int i = 0; i < REG_TOKENS_MAX; i++)
		free(c->tokens[i].value);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	explicit_bzero(c->pass, sizeof(c->pass));
	memset(c->tokens, 0, sizeof(c->tokens));
	c->easy = NULL;
}
