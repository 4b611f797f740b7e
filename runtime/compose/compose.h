/* compose.h - the Compose file subset (docs/compose.md): parse a compose.yaml
 * with libyaml, order its services by depends_on, and say what each
 * service means as `berth run` arguments.
 *
 * Pure: it reads only the text it is given. Every problem becomes one
 * message "FILE:LINE: services.web: unknown key 'prots'" in f->errors; a
 * service with a problem is marked and left out, the others stay usable.
 * Only a file that is not YAML at all (or not a mapping) is fatal.
 */
#ifndef BERTH_COMPOSE_H
#define BERTH_COMPOSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "runtime/lib/strv.h"
#include "runtime/lib/err.h"

#define COMPOSE_MAX_SERVICES 256
#define COMPOSE_MAX_BYTES (1 << 20)

enum compose_status {
	COMPOSE_OK,		/* can be started */
	COMPOSE_INVALID,	/* its definition has errors */
	COMPOSE_CYCLE,		/* part of a depends_on cycle */
	COMPOSE_DEP_FAILED,	/* depends on a service that cannot start */
};

struct compose_health {
	bool present;		/* a healthcheck: key was there */
	bool disable;		/* disable: true or test: ["NONE"] */
	char *shell;		/* the test as one shell command (CMD-SHELL form) */
	struct strv exec;	/* the test's exec form (CMD form), without "CMD" */
	char *interval, *timeout, *start_period; /* Docker durations: "30s", "1m30s" */
	int retries;		/* -1: not given */
};

/* The keys behind berth run's HostConfig flags (compose_hostkeys.c),
 * each entry as its flag takes it: extra_hosts (--add-host), dns,
 * dns_search, dns_opt (--dns-option), tmpfs, ulimits ("nofile=1:2"),
 * sysctls ("k=v"), devices, logging.options (--log-opt "max-size=1m"),
 * stop_signal, init. */
struct compose_hostx {
	struct strv extra_hosts, dns, dns_search, dns_opt, tmpfs, ulimits, sysctls, devices,
		log_opts;
	char *stop_signal;
	char *log_driver; /* logging.driver, NULL: json-file */
	char *oom_score_adj; /* -1000..1000 as given, NULL: none */
	bool init, oom_kill_disable;
};

/* One network of a service: a key of the top-level networks (or
 * "default"), with its aliases and ipv4_address. */
struct compose_svcnet {
	char *key;
	char *ipv4_address;	/* NULL: any */
	struct strv aliases;
	int line;
};

struct compose_service {
	char *name;
	int line;
	enum compose_status status;
	char *image, *container_name, *hostname, *working_dir, *user, *restart, *network_mode;
	char *mem_limit, *cpus, *pids_limit;
	char *pull_policy;	/* always, missing, never (if_not_present: missing); NULL: missing */
	bool read_only;
	bool entrypoint_set, command_set;
	struct strv entrypoint, command;
	struct strv environment; /* "KEY=VAL", or "KEY" (from the caller's environment) */
	struct strv ports, volumes, cap_add, cap_drop;
	int *volume_lines;	/* the line of each volumes entry */
	struct strv depends_on;	/* service names */
	struct strv depends_cond; /* each one's condition: service_started, service_healthy
				   * or service_completed_successfully */
	int depends_line;	/* where depends_on is, for messages */
	struct compose_health health;
	bool privileged;
	int stop_timeout;	/* stop_grace_period in whole seconds, 0: not given */
	struct strv labels;	/* "KEY=VALUE" */
	struct strv expose;	/* as --expose takes them */
	struct strv env_file;	/* paths as written; "?PATH" when required: false. The
				 * caller reads them (compose_dotenv_parse) into
				 * environment, before its own entries */
	struct strv profiles;	/* none: always enabled */
	struct compose_hostx hostx;
	struct compose_svcnet *nets; /* networks:, in the file's order (none: the default) */
	int nnets, nets_line;
};

/* A top-level networks: entry (driver bridge). A service names it by key;
 * berth's network is PROJECT_KEY, its name:, or KEY if external. */
struct compose_network {
	char *key, *name;
	bool external, internal;
	char *subnet, *gateway;	/* ipam.config[0], NULL: picked */
	struct strv labels;	/* "K=V" */
};

/* A top-level volumes: entry. Services name it as SOURCE in
 * "SOURCE:/path"; berth gets PROJECT_KEY, its name:, or KEY if external. */
struct compose_volume {
	char *key, *name;
	bool external;
};

struct compose_file {
	char *path;		/* as given, for messages */
	char *dir;		/* absolute directory of the file, for ./relative binds (the
				 * caller sets it; NULL = relative binds stay relative) */
	struct compose_volume *vol;
	int nvol;
	struct compose_network *net;
	int nnet;
	char *name;		/* top-level name:, or NULL */
	bool fatal;		/* the file as a whole could not be read */
	struct compose_service *svc;
	int nsvc;
	struct strv errors;	/* every message, in the order found */
	int order[COMPOSE_MAX_SERVICES]; /* startable services, dependencies first */
	int norder;
};

/* Parse text (len bytes; need not be NUL-terminated) read from path, then
 * order the services (compose_order). 0, or -EINVAL when anything was
 * wrong (see f->errors; f->fatal when nothing can be used), -ENOMEM. f
 * must be freed with compose_free either way. */
BERR_MUST int compose_parse(const char *text, size_t len, const char *path, struct compose_file *f);
/* The same, with every value interpolated from envs (compose_interpolate);
 * compose_parse interpolates from no variables at all. A variable error
 * ("required variable X is missing a value") makes the file fatal, as in
 * Compose. */
BERR_MUST int compose_parse_env(const char *text, size_t len, const char *path,
				char *const *const *envs, struct compose_file *f);

/* Compose's interpolation of s: $VAR, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+other},
 * ${VAR+other}, $$ for a literal $; a $ before anything else stays. envs
 * is a NULL-terminated array of NULL-terminated "KEY=VALUE" lists, the
 * first that holds a key wins (NULL: none). *out is malloc'd. 0, -EINVAL
 * with the message in err, or -ENOMEM. */
BERR_MUST int compose_interpolate(const char *s, char *const *const *envs, char **out, char *err,
				  size_t errsize);
/* A .env or env_file text (Compose's dotenv: KEY=VALUE lines, # comments,
 * `export `, '...' literal, "..." with \n escapes, possibly over several
 * lines) into out as KEY=VALUE (later lines win). 0, -EINVAL with
 * "line N: ..." in err, or -ENOMEM. */
BERR_MUST int compose_dotenv_parse(const char *text, size_t len, struct strv *out, char *err,
				   size_t errsize);
void compose_free(struct compose_file *f);

/* Whether a service is enabled by the active profiles (NULL-terminated;
 * "*" enables all): one without profiles always is. */
bool compose_service_enabled(const struct compose_service *s, char *const *profiles);

/* Index of the service called name, or -1. */
BERR_MUST int compose_find(const struct compose_file *f, const char *name);

/* Whether p is a pull_policy value berth compose honours. */
bool compose_pull_policy_ok(const char *p);
/* Whether p is one of Compose's refresh policies, pull when the last pull
 * is older than *secs: daily (1 day), weekly (7), every_<duration> (Go's
 * units plus w and d, as compose-go's str2duration: every_12h, every_2d). */
bool compose_pull_refresh(const char *p, int64_t *secs);

/* The project name: the top-level name: when given, else fallback;
 * lowercased, and characters other than [a-z0-9_-] dropped, as Compose. */
void compose_project_name(const struct compose_file *f, const char *fallback, char *buf,
			  size_t size);

/* PROJECT-SERVICE-1, or the service's container_name. */
void compose_container_name(const struct compose_file *f, const char *project, int svc,
			    char *buf, size_t size);

/* The top-level network key, or NULL; the name berth knows the network
 * key by (PROJECT_KEY, its name: or, external, KEY). */
const struct compose_network *compose_find_network(const struct compose_file *f, const char *key);
void compose_network_name(const struct compose_file *f, const char *project, const char *key,
			  char *buf, size_t size);

/* The `berth run` arguments that create service svc detached, labelled
 * com.docker.compose.project/service/container-number (and each of
 * extra_labels, "K=V"), starting with "run" and ending with the image and
 * command. 0 or -ENOMEM. */
BERR_MUST int compose_run_args(const struct compose_file *f, const char *project, int svc,
			       char *const *extra_labels, struct strv *out);

/* Split a command line into words as a POSIX shell would (quotes and
 * backslashes; no expansion), as Compose does for string commands.
 * 0, or -EINVAL for an unterminated quote, -ENOMEM. */
BERR_MUST int compose_split_words(const char *s, struct strv *out);

/* Docker's (Go's) duration syntax, as --health-interval takes it: 30s, 1m30s. */
bool compose_duration_valid(const char *s);

#endif
