/* sandbox_exec.c - the container command's environment and its lookup
 * in the container's $PATH, in the sandbox child after the pivot. */
#include "sandbox_exec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ENV_MAX 1024

static bool env_has(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; *env; env++) {
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return true;
	}
	return false;
}

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; *env; env++) {
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	}
	return NULL;
}

/* The spec's env plus PATH and HOME defaults, as Docker adds them. */
char **sb_build_env(const struct sb_spec *spec, const struct pw_ids *ids, struct berr *e)
{
	static char *env[ENV_MAX + 3];
	static char home[300];
	int n = 0;

	for (; spec->env && spec->env[n]; n++) {
		if (n >= ENV_MAX) {
			berr_msg(e, E2BIG, "more than %d environment variables", ENV_MAX);
			return NULL;
		}
		env[n] = spec->env[n];
	}
	env[n] = NULL;
	if (!env_has(env, "PATH"))
		env[n++] = "PATH=" DEFAULT_PATH;
	env[n] = NULL;
	if (!env_has(env, "HOME")) {
		snprintf(home, sizeof(home), "HOME=%s", ids->home[0] ? ids->home : "/");
		env[n++] = home;
	}
	env[n] = NULL;
	return env;
}

static bool is_executable(const char *path, int *err)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		*err = errno;
		return false;
	}
	if (S_ISDIR(sb.st_mode) || access(path, X_OK) < 0) {
		*err = EACCES;
		return false;
	}
	return true;
}

/* argv[0] in the container's $PATH; Docker's messages and exit codes
 * (127 not found, 126 not executable) are the caller's to map. */
int sb_find_exec(const char *cmd, char **env, char *out, size_t size, struct berr *e)
{
	const char *path = env_get(env, "PATH");
	int err = ENOENT;

	if (!cmd || !*cmd)
		return berr_msg(e, ENOENT, "exec: no command");
	if (strchr(cmd, '/')) {
		snprintf(out, size, "%s", cmd);
		if (is_executable(out, &err))
			return 0;
		return berr_msg(e, err, "exec: \"%s\": %s", cmd,
				err == EACCES ? "permission denied" : "no such file or directory");
	}
	for (const char *p = path ? path : ""; p;) {
		const char *colon = strchr(p, ':');
		int len = colon ? (int)(colon - p) : (int)strlen(p);
		int this_err;

		snprintf(out, size, "%.*s/%s", len ? len : 1, len ? p : ".", cmd);
		if (is_executable(out, &this_err))
			return 0;
		if (this_err == EACCES)
			err = EACCES;
		p = colon ? colon + 1 : NULL;
	}
	if (err == EACCES)
		return berr_msg(e, EACCES, "exec: \"%s\": permission denied", cmd);
	return berr_msg(e, ENOENT, "exec: \"%s\": executable file not found in $PATH", cmd);
}
