/* cli_registry.c - `berth pull|push|login|logout|search`; see cli_registry.h. */
#include "cli_registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/registry/client.h"
#include "runtime/registry/alltags.h"
#include "runtime/registry/pull.h"
#include "runtime/registry/push.h"
#include "runtime/registry/reference.h"
#include "runtime/registry/regconf.h"
#include "runtime/registry/search.h"
#include "runtime/lib/template.h"

static int fail(const struct berr *e)
{
	fprintf(stderr, "Error response from daemon: %s\n", e->msg);
	return 1;
}

/* ---------------------------------------------------------------- pull */

struct pull_opts {
	const char *platform;
	bool quiet, all_tags, dct;
};

/* Docker's content trust (Notary) is off by default, and berth has none:
 * the flag is taken, as scripts pass it, and changes nothing. */
#define P(f) struct pull_opts, f
static const struct flg pull_flags[] = {
	FLG_BOOL('a', "all-tags", P(all_tags), "Download all tagged images in the repository"),
	FLG_BOOL(0, "disable-content-trust", P(dct), "Skip image verification (default true)"),
	FLG_STRING(0, "platform", P(platform), "Set `platform` if server is multi-platform capable"),
	FLG_BOOL('q', "quiet", P(quiet), "Suppress verbose output"),
	FLG_END,
};

const struct flg_cmd reg_pull_cmd = {
	.path = "pull",
	.usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
	.desc = "Download an image from a registry",
	.flags = pull_flags,
	.min_args = 1,
	.max_args = 1,
};

int reg_cmd_pull(const char *root, int argc, char **argv)
{
	struct pull_opts o = { 0 };
	struct reg_pull_opts po;
	char id[DG_STR_LEN];
	struct flg_out a;
	struct berr e;

	if (flg_verb(&reg_pull_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	po = (struct reg_pull_opts){ .platform = o.platform, .quiet = o.quiet, .out = stdout };
	if ((o.all_tags ? reg_pull_all(root, a.argv[0], &po, &e)
			: reg_pull(root, a.argv[0], &po, id, &e)) < 0)
		return fail(&e);
	return 0;
}

/* ---------------------------------------------------------------- push */

static const struct flg push_flags[] = {
	FLG_BOOL('a', "all-tags", P(all_tags), "Push all tags of an image to the repository"),
	FLG_BOOL(0, "disable-content-trust", P(dct), "Skip image signing (default true)"),
	FLG_BOOL('q', "quiet", P(quiet), "Suppress verbose output"),
	FLG_END,
};

const struct flg_cmd reg_push_cmd = {
	.path = "push",
	.usage = "[OPTIONS] NAME[:TAG]",
	.desc = "Upload an image to a registry",
	.flags = push_flags,
	.min_args = 1,
	.max_args = 1,
};

/* -q: only the name pushed, once it is (as Docker's). */
int reg_cmd_push(const char *root, int argc, char **argv)
{
	struct pull_opts o = { 0 };
	struct reg_ref ref;
	char full[700];
	struct flg_out a;
	struct berr e;
	FILE *out;
	int r;

	if (flg_verb(&reg_push_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	out = o.quiet ? fopen("/dev/null", "we") : stdout;
	r = !out	   ? berr_set(&e, errno, "/dev/null")
	    : o.all_tags ? reg_push_all(root, a.argv[0], out, &e)
			 : reg_push(root, a.argv[0], out, &e);
	if (o.quiet && out)
		fclose(out);
	if (r < 0)
		return fail(&e);
	if (o.quiet && reg_ref_parse(a.argv[0], &ref, &e) == 0) {
		if (o.all_tags)
			reg_ref_repo(&ref, full, sizeof(full));
		else
			reg_ref_full(&ref, full, sizeof(full));
		printf("%s\n", full);
	}
	return 0;
}

/* ---------------------------------------------------------------- login */

struct login_opts {
	const char *username, *password;
	bool password_stdin;
};

#define L(f) struct login_opts, f
static const struct flg login_flags[] = {
	FLG_STRING('u', "username", L(username), "Username"),
	FLG_STRING('p', "password", L(password), "Password"),
	FLG_BOOL(0, "password-stdin", L(password_stdin), "Take the password from stdin"),
	FLG_END,
};

const struct flg_cmd reg_login_cmd = {
	.path = "login",
	.usage = "[OPTIONS] [SERVER]",
	.desc = "Log in to a registry (Docker Hub when no SERVER is given)",
	.flags = login_flags,
	.max_args = 1,
};

/* A line from stdin (no newline); echo off on a terminal. */
static int read_line(const char *prompt, bool secret, char *out, size_t size)
{
	struct termios t, quiet;
	bool tty = isatty(0);
	size_t n;

	if (prompt && tty) {
		fputs(prompt, stderr);
		fflush(stderr);
	}
	if (secret && tty && tcgetattr(0, &t) == 0) {
		quiet = t;
		quiet.c_lflag &= ~ECHO;
		tcsetattr(0, TCSANOW, &quiet);
	}
	if (!fgets(out, size, stdin))
		out[0] = '\0';
	if (secret && tty) {
		tcsetattr(0, TCSANOW, &t);
		fputc('\n', stderr);
	}
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n ? 0 : -EINVAL;
}

/* Check user/pass against the registry: a token without scope (Bearer)
 * or /v2/ with the credentials (Basic). */
static int verify_login(const char *root, const char *host, const char *user, const char *pass,
			struct berr *e)
{
	struct reg_conf conf;
	struct reg_client c;
	struct reg_resp r = { 0 };
	int rc;

	rc = reg_conf_load(root, &conf, e);
	if (rc < 0)
		return rc;
	rc = reg_client_open(&c, &conf, host, user, pass, e);
	if (rc == 0 && c.chal.scheme == REG_AUTH_BEARER)
		rc = reg_client_scope(&c, "", e);
	else if (rc == 0 && c.chal.scheme == REG_AUTH_BASIC) {
		rc = reg_request(&c, NULL, "/v2/", NULL, NULL, 0, &r, e);
		if (rc == 0 && r.status != 200)
			rc = berr_msg(e, EACCES, "registry %s: %s", host,
				      r.status == 401 ? "unauthorized: incorrect username or password"
						      : "login refused");
		reg_resp_free(&r);
	}
	reg_client_close(&c);
	reg_conf_free(&conf);
	return rc;
}

int reg_cmd_login(const char *root, int argc, char **argv)
{
	struct login_opts o = { 0 };
	char key[300], user[256], pass[512];
	const char *host;
	struct flg_out a;
	struct berr e;
	int rc;

	if (flg_verb(&reg_login_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	reg_auth_key(a.argc ? a.argv[0] : "", key, sizeof(key));
	host = strncmp(key, "https://", 8) ? key : REG_HUB_ENDPOINT;
	if (o.password && o.password_stdin)
		return flg_fail(&reg_login_cmd, "--password and --password-stdin are mutually "
						"exclusive");
	if (o.password_stdin && !o.username)
		return flg_fail(&reg_login_cmd, "Must provide --username with --password-stdin");
	snprintf(user, sizeof(user), "%s", o.username ? o.username : "");
	if (!*user && read_line("Username: ", false, user, sizeof(user)) < 0) {
		fprintf(stderr, "Error: Cannot perform an interactive login from a non TTY device\n");
		return 1;
	}
	if (o.password)
		snprintf(pass, sizeof(pass), "%s", o.password);
	else if (read_line(o.password_stdin ? NULL : "Password: ", !o.password_stdin, pass,
			   sizeof(pass)) < 0) {
		fprintf(stderr, "Error: password required\n");
		return 1;
	}
	rc = verify_login(root, host, user, pass, &e);
	if (rc == 0)
		rc = reg_auth_put(root, key, user, pass, &e);
	explicit_bzero(pass, sizeof(pass));
	if (rc < 0)
		return fail(&e);
	fprintf(stderr, "WARNING! Your password will be stored unencrypted in %s/etc/berth/auth.json.\n",
		root);
	printf("Login Succeeded\n");
	return 0;
}

/* ---------------------------------------------------------------- logout */

const struct flg_cmd reg_logout_cmd = {
	.path = "logout",
	.usage = "[SERVER]",
	.desc = "Log out from a registry (Docker Hub when no SERVER is given)",
	.max_args = 1,
};

int reg_cmd_logout(const char *root, int argc, char **argv)
{
	char key[300];
	struct flg_out a;
	struct berr e;
	int rc;

	if (flg_verb(&reg_logout_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	reg_auth_key(a.argc ? a.argv[0] : "", key, sizeof(key));
	rc = reg_auth_put(root, key, NULL, NULL, &e);
	if (rc == -ENOENT) {
		printf("Not logged in to %s\n", key);
		return 0;
	}
	if (rc < 0)
		return fail(&e);
	printf("Removing login credentials for %s\n", key);
	return 0;
}

/* ---------------------------------------------------------------- search */

struct search_opts {
	struct strv filter;
	const char *format;
	int limit;
	bool no_trunc;
};

#define S(f) struct search_opts, f
static const struct flg search_flags[] = {
	FLG_STRINGS('f', "filter", S(filter), "Filter output based on conditions provided"),
	FLG_STRING(0, "format", S(format), "Pretty-print search using a Go `template`"),
	FLG_INT(0, "limit", S(limit), "Max number of search results"),
	FLG_BOOL(0, "no-trunc", S(no_trunc), "Don't truncate output"),
	FLG_END,
};

const struct flg_cmd reg_search_cmd = {
	.path = "search",
	.usage = "[OPTIONS] TERM",
	.desc = "Search Docker Hub (or the registry TERM names) for images",
	.flags = search_flags,
	.min_args = 1,
	.max_args = 1,
};

int reg_cmd_search(const char *root, int argc, char **argv)
{
	static const struct tmpl_header headers[] = {
		{ "Name", "NAME" },	      { "Description", "DESCRIPTION" },
		{ "StarCount", "STARS" }, { "IsOfficial", "OFFICIAL" },
		{ "IsAutomated", "AUTOMATED" }, { NULL, NULL },
	};
	struct search_opts o = { .limit = 25 };
	struct reg_search_filter f;
	struct flg_out a;
	struct berr e;
	json_t *rows;
	int rc;

	if (flg_verb(&reg_search_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	rc = reg_search_filter_parse(&o.filter, &f, &e);
	strv_free(&o.filter);
	if (rc < 0 || reg_search(root, a.argv[0], o.limit, o.no_trunc, &f, &rows, &e) < 0)
		return fail(&e);
	rc = tmpl_print(o.format ? o.format
				 : "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t"
				   "{{.IsOfficial}}\t{{.IsAutomated}}",
			rows, headers);
	json_decref(rows);
	return rc;
}
