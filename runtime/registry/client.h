/* client.h - talking to one registry over libcurl: the /v2/ ping, the
 * scheme (https, or http for an insecure registry), credentials from
 * auth.json, Basic and Bearer auth (a token per scope, cached), GETs of
 * small documents, and curl handles set up alike for blob transfers.
 *
 * Runs in the CLI process (never in PID 1: docs/architecture.md, "Rules
 * for PID 1"). Errors name the registry: "registry host:5000: ...".
 */
#ifndef BERTH_REG_CLIENT_H
#define BERTH_REG_CLIENT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "challenge.h"
#include "regconf.h"
#include "runtime/lib/err.h"

#define REG_TOKENS_MAX 8

struct reg_token {
	char scope[512];
	char *value; /* malloc'd */
};

struct reg_client {
	const struct reg_conf *conf;
	char host[256];	  /* host[:port] as addressed */
	char base[300];	  /* "https://host:port" */
	bool verify;	  /* TLS peer verification */
	char user[256], pass[512];
	bool have_creds;
	struct reg_challenge chal; /* from the ping; scheme NONE: anonymous */
	struct reg_token tokens[REG_TOKENS_MAX];
	char scope[512];   /* the scope requests are made for ("": none) */
	long connect_timeout; /* seconds, TCP and TLS handshake; 0: 20 */
	CURL *easy;
};

/* A response body kept in memory (at most max bytes). */
struct reg_resp {
	long status;
	char *body;
	size_t len, max;
	char ctype[128];
	char digest[80];    /* Docker-Content-Digest */
	char location[1024];
	char www_auth[2048];
	char range[64];	    /* an upload's "0-N" */
	char link[1024];    /* a paged list's `<URL>; rel="next"` */
	bool too_big;
};

/* Ping host ("host:port"; docker.io's endpoint for Hub): pick the scheme,
 * learn the auth challenge. user/pass override auth.json when given (login).
 * 0, or -errno with "registry HOST: REASON". */
BERR_MUST int reg_client_open(struct reg_client *c, const struct reg_conf *conf, const char *host,
			      const char *user, const char *pass, struct berr *e);
void reg_client_close(struct reg_client *c);

/* Make requests for scope ("repository:NAME:pull"): fetches and caches a
 * Bearer token when the registry asks for one. */
BERR_MUST int reg_client_scope(struct reg_client *c, const char *scope, struct berr *e);

/* Drop the current scope's token (a 401: it expired) and fetch a new one. */
BERR_MUST int reg_client_reauth(struct reg_client *c, struct berr *e);

/* Set the options every request shares on h (TLS, timeouts, redirects)
 * and the Authorization header for the current scope, plus extra headers;
 * *hdrs gets the list to free after the transfer. */
BERR_MUST int reg_client_prepare(struct reg_client *c, CURL *h, const char *url,
				 const char *const *extra, struct curl_slist **hdrs);

/* A request of method (NULL: GET) for path ("/v2/..."), body to memory.
 * A 401 is answered once by fetching a token again. Transport failures
 * and 5xx are retried with backoff. Any status comes back in r->status;
 * only a transport failure is an error. */
BERR_MUST int reg_request(struct reg_client *c, const char *method, const char *path,
			  const char *const *extra, const void *upload, size_t uplen,
			  struct reg_resp *r, struct berr *e);
void reg_resp_free(struct reg_resp *r);

/* Sleep ms milliseconds (a retry's backoff). */
void reg_sleep_ms(long ms);

/* The registry's error text from an error response ({"errors":[{"code",
 * "message"}]}), or "HTTP N". */
void reg_resp_reason(const struct reg_resp *r, char *out, size_t size);

/* Header and body callbacks filling a struct reg_resp, for handles set up
 * outside reg_request. */
size_t reg_resp_header_cb(char *b, size_t size, size_t n, void *resp);

#endif
