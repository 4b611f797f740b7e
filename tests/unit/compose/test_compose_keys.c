/* Compose files as people write them: interpolation (Compose's rules),
 * the .env / env_file format, and the service keys beyond the core, each
 * as the `berth run` arguments it becomes or the error that names it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_expect.h"

static char *const shell[] = { "HOST=shell", "EMPTY=", "TAG=1.2", NULL };
static char *const dotenv[] = { "HOST=dotenv", "ONLY_DOTENV=yes", NULL };
static char *const *const envs[] = { shell, dotenv, NULL };

static void expect_interp(const char *in, const char *want)
{
	char err[256] = "", *out = NULL;

	if (compose_interpolate(in, envs, &out, err, sizeof(err)) != 0)
		fail_msg("%s: %s", in, err);
	if (strcmp(out, want) != 0)
		fail_msg("%s: got '%s', want '%s'", in, out, want);
	free(out);
}

static void expect_interp_error(const char *in, const char *want)
{
	char err[256] = "", *out = NULL;

	assert_int_equal(compose_interpolate(in, envs, &out, err, sizeof(err)), -EINVAL);
	assert_null(out);
	assert_string_equal(err, want);
}

static void test_interpolation(void **state)
{
	(void)state;
	expect_interp("plain", "plain");
	expect_interp("$HOST", "shell");		/* the environment before .env */
	expect_interp("${ONLY_DOTENV}", "yes");
	expect_interp("busybox:${TAG}", "busybox:1.2");
	expect_interp("a${NOPE}b$NOPE.c", "ab.c");	/* unset: empty */
	expect_interp("${NOPE:-def}", "def");
	expect_interp("${EMPTY:-def}", "def");		/* :- also when empty */
	expect_interp("${EMPTY-def}", "");		/* - only when unset */
	expect_interp("${NOPE-def}", "def");
	expect_interp("${HOST:-def}", "shell");
	expect_interp("${HOST:+alt}", "alt");
	expect_interp("${EMPTY:+alt}", "");
	expect_interp("${EMPTY+alt}", "alt");
	expect_interp("${NOPE:-${TAG}-x}", "1.2-x");	/* the default is interpolated */
	expect_interp("${NOPE:-a:b}", "a:b");
	expect_interp("$$HOST and $${TAG}", "$HOST and ${TAG}");
	expect_interp("cost $5 or $ or $-", "cost $5 or $ or $-"); /* not a name: as is */
	expect_interp("$", "$");
	expect_interp("${HOST:?must}", "shell");
	expect_interp("${EMPTY?set}", "");
	expect_interp_error("${NOPE:?please set NOPE}",
			    "required variable NOPE is missing a value: please set NOPE");
	expect_interp_error("${EMPTY:?}", "required variable EMPTY is missing a value");
	expect_interp_error("${NOPE?x}", "required variable NOPE is missing a value: x");
	expect_interp_error("${NOPE:?${TAG} needed}",
			    "required variable NOPE is missing a value: 1.2 needed");
	expect_interp_error("x${HOST", "invalid interpolation format: '${HOST' (a literal $ is "
				       "written $$)");
	expect_interp_error("${}", "invalid interpolation format: '${}' (a literal $ is written $$)");
	expect_interp_error("${1A}", "invalid interpolation format: '${1A}' (a literal $ is "
				     "written $$)");
	expect_interp_error("${HOST=x}", "invalid interpolation format: '${HOST=x}' (a literal $ "
					 "is written $$)");
}

static void expect_dotenv(const char *text, int n, ...)
{
	struct strv out = { 0 };
	char err[256] = "";
	va_list ap;

	if (compose_dotenv_parse(text, strlen(text), &out, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(out.n, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(out.v[i], va_arg(ap, const char *));
	va_end(ap);
	strv_free(&out);
}

static void test_dotenv(void **state)
{
	struct strv out = { 0 };
	char err[256];

	(void)state;
	expect_dotenv("", 0);
	expect_dotenv("# comment\n\nA=1\n  B = two words  \nexport C=3\n", 3, "A=1",
		      "B=two words", "C=3");
	expect_dotenv("A=x # comment\nB=x#not\nC=\n", 3, "A=x", "B=x#not", "C=");
	expect_dotenv("A='lit $X \\n'\nB=\"tab\\there\\n\"\n", 2, "A=lit $X \\n", "B=tab\there\n");
	expect_dotenv("A=\"two\nlines\"\nB=after\n", 2, "A=two\nlines", "B=after");
	expect_dotenv("A=1\nA=2\r\n", 1, "A=2"); /* later lines win; CRLF */
	expect_dotenv("DOT.ted-name=1", 1, "DOT.ted-name=1");
	assert_int_equal(compose_dotenv_parse("A=1\nnot a pair\n", 17, &out, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "line 2: 'not a pair' is not KEY=VALUE");
	strv_free(&out);
	assert_int_equal(compose_dotenv_parse("A=1\nB=\"open\n", 12, &out, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "line 2: unterminated quoted value");
	strv_free(&out);
	assert_int_equal(compose_dotenv_parse("A='x' y\n", 8, &out, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: unexpected text after the quoted value");
	strv_free(&out);
	assert_int_equal(compose_dotenv_parse("9A=1\n", 5, &out, err, sizeof(err)), -EINVAL);
	strv_free(&out);
}

/* A whole file interpolated: values are, keys are not; a required
 * variable missing fails the file, naming the line. */
static void test_file_interpolation(void **state)
{
	static const char text[] = "services:\n"
				   "  web:\n"
				   "    image: busybox:${TAG}\n"
				   "    environment:\n"
				   "      $HOST: ${HOST}\n"
				   "    command: echo $$HOME ${NOPE:-none}\n";
	struct compose_file f;

	(void)state;
	assert_int_equal(compose_parse_env(text, strlen(text), "c.yaml", envs, &f), 0);
	assert_string_equal(f.svc[0].image, "busybox:1.2");
	assert_string_equal(f.svc[0].environment.v[0], "$HOST=shell");
	assert_int_equal(f.svc[0].command.n, 3);
	assert_string_equal(f.svc[0].command.v[1], "$HOME");
	assert_string_equal(f.svc[0].command.v[2], "none");
	compose_free(&f);

	static const char missing[] = "services:\n  web:\n    image: ${IMG:?set IMG}\n";

	assert_int_equal(compose_parse_env(missing, strlen(missing), "c.yaml", envs, &f), -EINVAL);
	assert_true(f.fatal);
	assert_int_equal(f.errors.n, 1);
	assert_string_equal(f.errors.v[0],
			    "c.yaml:3: required variable IMG is missing a value: set IMG");
	assert_int_equal(f.norder, 0);
	compose_free(&f);
}

/* The arguments between "run" and "--" joined by spaces. */
static void expect_args(const char *text, const char *want)
{
	struct compose_file f;
	struct strv a = { 0 };
	char got[4096] = "";

	if (parse(text, &f) != 0)
		fail_msg("%s", f.errors.n ? f.errors.v[0] : "?");
	assert_int_equal(compose_run_args(&f, "p", 0, NULL, &a), 0);
	for (int i = 0; i < a.n && strcmp(a.v[i], "--") != 0; i++) {
		if (strncmp(a.v[i], "com.docker.compose.", 19) == 0 || strcmp(a.v[i], "run") == 0 ||
		    strcmp(a.v[i], "-d") == 0 || strcmp(a.v[i], "--name") == 0 ||
		    strcmp(a.v[i], "p-s-1") == 0)
			continue;
		if (strcmp(a.v[i], "--label") == 0 && strncmp(a.v[i + 1], "com.docker.", 11) == 0)
			continue;
		if (strcmp(a.v[i], "--network") == 0 && strcmp(a.v[i + 1], "p_default") == 0) {
			i += 3; /* the default network and the alias: not the keys' */
			continue;
		}
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", *got ? " " : "",
			 a.v[i]);
	}
	assert_string_equal(got, want);
	strv_free(&a);
	compose_free(&f);
}

/* The error names the key, and the service is left out. */
static void expect_key_error(const char *text, const char *msg)
{
	expect_error_in(text, msg, true);
}

#define S "services:\n  s:\n    image: b\n"

static void test_keys_as_run_args(void **state)
{
	(void)state;
	expect_args(S "    labels:\n      a.b: one\n      empty:\n", "--label a.b=one --label empty=");
	expect_args(S "    labels: [\"x=1\", y=2]\n", "--label x=1 --label y=2");
	expect_args(S "    expose: [80, \"8000-8001/udp\"]\n", "--expose 80 --expose 8000-8001/udp");
	expect_args(S "    privileged: true\n", "--privileged");
	expect_args(S "    privileged: false\n    init: false\n", "");
	expect_args(S "    stop_grace_period: 1m30s\n", "--stop-timeout 90");
	expect_args(S "    stop_grace_period: 1500ms\n", "--stop-timeout 2");
	expect_args(S "    stop_signal: SIGTERM\n", "--stop-signal SIGTERM");
	expect_args(S "    logging:\n      driver: json-file\n", "");
	expect_args(S "    logging: {driver: none}\n", "--log-driver none");
	expect_args(S "    logging: {driver: local, options: {max-file: \"2\"}}\n",
		    "--log-opt max-file=2 --log-driver local");
	expect_args(S "    init: true\n    stop_signal: USR1\n", "--init --stop-signal USR1");
	expect_args(S "    extra_hosts: [\"db:10.0.0.5\"]\n    dns: 10.0.0.53\n"
		      "    dns_search: [example.org]\n    dns_opt: [\"ndots:2\"]\n",
		    "--add-host db:10.0.0.5 --dns 10.0.0.53 --dns-search example.org "
		    "--dns-option ndots:2");
	expect_args(S "    extra_hosts: {gw: host-gateway}\n", "--add-host gw=host-gateway");
	expect_args(S "    tmpfs: [/run, \"/cache:size=1m\"]\n    sysctls: {net.core.somaxconn: 1024}\n",
		    "--tmpfs /run --tmpfs /cache:size=1m --sysctl net.core.somaxconn=1024");
	expect_args(S "    ulimits:\n      nproc: 65535\n      nofile: {soft: 100, hard: 200}\n",
		    "--ulimit nproc=65535 --ulimit nofile=100:200");
	expect_args(S "    devices: [\"/dev/null:/dev/mynull:rw\"]\n",
		    "--device /dev/null:/dev/mynull:rw");
	expect_args(S "    logging:\n      driver: json-file\n      options: {max-size: 1k, max-file: \"2\"}\n",
		    "--log-opt max-size=1k --log-opt max-file=2");
	expect_args(S "    deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}\n",
		    "--restart on-failure:3");
	expect_args(S "    deploy: {restart_policy: {condition: any}}\n", "--restart always");
	expect_args(S "    deploy:\n      resources:\n        limits:\n          memory: 64m\n"
		      "          cpus: '0.5'\n          pids: 50\n",
		    "--memory 64m --cpus 0.5 --pids-limit 50");
	expect_args(S "    mem_limit: 64m\n    deploy: {resources: {limits: {memory: 64m}}}\n",
		    "--memory 64m");
	expect_args(S "    profiles: [debug]\n", "");
	expect_args(S "    oom_score_adj: -500\n    oom_kill_disable: true\n",
		    "--oom-kill-disable --oom-score-adj -500");
	expect_args(S "    oom_kill_disable: false\n", "");
}

static void test_key_errors(void **state)
{
	(void)state;
	expect_key_error(S "    dns: eight\n",
		     "compose.yaml:4: services.s: dns: IP address is not correctly formatted: eight");
	expect_key_error(S "    extra_hosts: [\"nocolon\"]\n",
		     "compose.yaml:4: services.s: extra_hosts: bad format for add-host: \"nocolon\"");
	expect_key_error(S "    tmpfs: run\n", "compose.yaml:4: services.s: tmpfs: invalid mount "
					     "path: 'run' mount path must be absolute");
	expect_key_error(S "    ulimits: {nofile: {soft: 20, hard: 10}}\n",
		     "compose.yaml:4: services.s: ulimits: ulimit soft limit must be less than or "
		     "equal to hard limit: 20 > 10");
	expect_key_error(S "    ulimits: {nofiles: 10}\n",
		     "compose.yaml:4: services.s: ulimits: invalid ulimit type: nofiles");
	expect_key_error(S "    sysctls: {kernel.hostname: x}\n",
		     "compose.yaml:4: services.s: sysctls: sysctl 'kernel.hostname=x' is not "
		     "whitelisted");
	expect_key_error(S "    devices: [\"/dev/fuse:rwx\"]\n",
		     "compose.yaml:4: services.s: devices: invalid device mode: rwx");
	expect_key_error(S "    init: maybe\n", "compose.yaml:4: services.s: 'init' must be true or false");
	expect_key_error(S "    stop_signal: SIGNOPE\n",
		     "compose.yaml:4: services.s: stop_signal: 'SIGNOPE' is not a signal");
	expect_key_error(S "    deploy: {restart_policy: {condition: on-failure, delay: 5s}}\n",
		     "compose.yaml:4: services.s.deploy.restart_policy: 'delay' is not supported "
		     "(condition and max_attempts are)");
	expect_key_error(S "    restart: always\n    deploy: {restart_policy: {condition: none}}\n",
		     "compose.yaml:5: services.s: deploy.restart_policy 'no' and restart 'always' "
		     "differ");
	expect_key_error(S "    stop_grace_period: soon\n",
		     "compose.yaml:4: services.s: stop_grace_period: 'soon' is not a duration "
		     "(like 10s, 1m30s)");
	expect_key_error(S "    logging: {driver: syslog}\n",
		     "compose.yaml:4: services.s: logging.driver: 'syslog' is not supported (json-file, "
		     "local or none)");
	expect_key_error(S "    logging: {driver: none, options: {max-size: 1m}}\n",
		     "compose.yaml:4: services.s: logging.options: unknown log opt 'max-size=1m' for "
		     "none log driver");
	expect_key_error(S "    logging:\n      options: {max-size: 1m, compress: \"true\"}\n",
		     "compose.yaml:5: services.s: logging.options: unknown log opt 'compress' for "
		     "json-file log driver");
	expect_key_error(S "    expose: [\"80/sctp\"]\n",
		     "compose.yaml:4: services.s: expose: '80/sctp' is not PORT[-PORT][/PROTO]");
	expect_key_error(S "    labels: 3\n",
		     "compose.yaml:4: services.s: 'labels' must be a mapping or a list, not a scalar");
	expect_key_error(S "    deploy: {replicas: 2}\n",
		     "compose.yaml:4: services.s.deploy: unknown key 'replicas'");
	expect_key_error(S "    deploy: {resources: {reservations: {memory: 1m}}}\n",
		     "compose.yaml:4: services.s.deploy.resources: unknown key 'reservations' "
		     "(berth has limits, not reservations)");
	expect_key_error(S "    deploy: {resources: {limits: {memory: lots}}}\n",
		     "compose.yaml:4: services.s: mem_limit: 'lots' is not a size (like 64m)");
	expect_key_error(S "    mem_limit: 32m\n    deploy: {resources: {limits: {memory: 64m}}}\n",
		     "compose.yaml:5: services.s: deploy.resources.limits.memory '64m' and "
		     "mem_limit '32m' differ");
	expect_key_error(S "    profiles: [\"bad name\"]\n",
		     "compose.yaml:4: services.s: profiles: 'bad name' is not a valid profile name");
	expect_key_error(S "    env_file: [{required: false}]\n",
		     "compose.yaml:4: services.s: env_file: no path");
	expect_key_error(S "    env_file: {path: a}\n",
		     "compose.yaml:4: services.s: 'env_file' must be a string or a list, not a "
		     "mapping");
	expect_key_error(S "    oom_score_adj: 1001\n", "compose.yaml:4: services.s: oom_score_adj: "
						      "'1001' is not a number from -1000 to 1000");
	expect_key_error(S "    oom_score_adj: low\n", "compose.yaml:4: services.s: oom_score_adj: "
						     "'low' is not a number from -1000 to 1000");
	expect_key_error(S "    volumes_from: [x]\n", "compose.yaml:4: services.s: unknown key "
						  "'volumes_from'");
}

static void test_env_file_and_profiles(void **state)
{
	struct compose_file f;
	char *const none[] = { NULL }, *const debug[] = { "debug", NULL },
		    *const all[] = { "*", NULL };

	(void)state;
	assert_int_equal(parse(S "    env_file: [a.env, {path: b.env, required: false}]\n"
				 "  t:\n    image: b\n    env_file: c.env\n"
				 "    profiles: [debug, test]\n",
			       &f),
			 0);
	assert_int_equal(f.svc[0].env_file.n, 2);
	assert_string_equal(f.svc[0].env_file.v[0], "a.env");
	assert_string_equal(f.svc[0].env_file.v[1], "?b.env");
	assert_string_equal(f.svc[1].env_file.v[0], "c.env");
	assert_true(compose_service_enabled(&f.svc[0], none));
	assert_true(compose_service_enabled(&f.svc[0], NULL));
	assert_false(compose_service_enabled(&f.svc[1], none));
	assert_true(compose_service_enabled(&f.svc[1], debug));
	assert_true(compose_service_enabled(&f.svc[1], all));
	compose_free(&f);
}

static void test_depends_conditions(void **state)
{
	struct compose_file f;

	(void)state;
	assert_int_equal(parse("services:\n"
			       "  db: {image: b}\n"
			       "  init: {image: b}\n"
			       "  web:\n    image: b\n    depends_on:\n"
			       "      db: {condition: service_healthy}\n"
			       "      init: {condition: service_completed_successfully, required: true}\n"
			       "  side:\n    image: b\n    depends_on: [db]\n"
			       "    network_mode: service:web\n",
			       &f),
			 0);
	assert_int_equal(f.svc[2].depends_cond.n, 2);
	assert_string_equal(f.svc[2].depends_cond.v[0], "service_healthy");
	assert_string_equal(f.svc[2].depends_cond.v[1], "service_completed_successfully");
	/* the list form, and network_mode's implied dependency: service_started */
	assert_int_equal(f.svc[3].depends_on.n, 2);
	assert_int_equal(f.svc[3].depends_cond.n, 2);
	assert_string_equal(f.svc[3].depends_cond.v[0], "service_started");
	assert_string_equal(f.svc[3].depends_cond.v[1], "service_started");
	assert_int_equal(f.norder, 4);
	compose_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interpolation),
		cmocka_unit_test(test_dotenv),
		cmocka_unit_test(test_file_interpolation),
		cmocka_unit_test(test_keys_as_run_args),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_env_file_and_profiles),
		cmocka_unit_test(test_depends_conditions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
