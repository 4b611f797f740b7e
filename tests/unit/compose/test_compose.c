#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compose_expect.h"

static const struct compose_service *svc(const struct compose_file *f, const char *name)
{
	int i = compose_find(f, name);

	if (i < 0)
		fail_msg("no service %s", name);
	return &f->svc[i];
}

static void assert_strv(const struct strv *v, int n, ...)
{
	va_list ap;

	assert_int_equal(v->n, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(v->v[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(v->v ? v->v[n] : NULL);
}

static const char full[] = "version: '3.8'\n"
			   "name: Shop\n"
			   "services:\n"
			   "  web:\n"
			   "    image: busybox:latest\n"
			   "    container_name: front\n"
			   "    entrypoint: [\"/bin/sh\", \"-c\"]\n"
			   "    command: \"httpd -f -p 80\"\n"
			   "    environment:\n"
			   "      MODE: prod\n"
			   "      PORT: 80\n"
			   "      FROM_HOST:\n"
			   "    ports: [\"80:80\", \"127.0.0.1:8443:443/tcp\", 53:53/udp]\n"
			   "    volumes:\n"
			   "      - /srv/www:/www:ro\n"
			   "    restart: always\n"
			   "    mem_limit: 64m\n"
			   "    cpus: 0.5\n"
			   "    pids_limit: 100\n"
			   "    network_mode: bridge\n"
			   "    depends_on:\n"
			   "      db:\n"
			   "        condition: service_started\n"
			   "    working_dir: /www\n"
			   "    user: \"1000:1000\"\n"
			   "    hostname: web1\n"
			   "    read_only: true\n"
			   "    cap_add: [NET_ADMIN]\n"
			   "    cap_drop:\n"
			   "      - MKNOD\n"
			   "    healthcheck:\n"
			   "      test: [\"CMD\", \"wget\", \"-q\", \"-O-\", \"http://localhost/it's\"]\n"
			   "      interval: 30s\n"
			   "      timeout: 1m30s\n"
			   "      retries: 3\n"
			   "      start_period: 500ms\n"
			   "  db:\n"
			   "    image: busybox\n"
			   "    command: [sleep, \"1000\"]\n"
			   "    environment:\n"
			   "      - A=1\n"
			   "      - B\n"
			   "    restart: \"on-failure:3\"\n"
			   "    network_mode: none\n"
			   "    healthcheck:\n"
			   "      test: [\"NONE\"]\n";

static void test_every_key(void **state)
{
	struct compose_file f;
	const struct compose_service *w, *d;

	(void)state;
	assert_int_equal(parse(full, &f), 0);
	assert_int_equal(f.errors.n, 0);
	assert_string_equal(f.name, "Shop");
	assert_int_equal(f.nsvc, 2);
	w = svc(&f, "web");
	assert_int_equal(w->line, 4);
	assert_int_equal(w->status, COMPOSE_OK);
	assert_string_equal(w->image, "busybox:latest");
	assert_string_equal(w->container_name, "front");
	assert_true(w->entrypoint_set);
	assert_strv(&w->entrypoint, 2, "/bin/sh", "-c");
	assert_true(w->command_set);
	assert_strv(&w->command, 4, "httpd", "-f", "-p", "80");
	assert_strv(&w->environment, 3, "MODE=prod", "PORT=80", "FROM_HOST");
	assert_strv(&w->ports, 3, "80:80", "127.0.0.1:8443:443/tcp", "53:53/udp");
	assert_strv(&w->volumes, 1, "/srv/www:/www:ro");
	assert_string_equal(w->restart, "always");
	assert_string_equal(w->mem_limit, "64m");
	assert_string_equal(w->cpus, "0.5");
	assert_string_equal(w->pids_limit, "100");
	assert_string_equal(w->network_mode, "bridge");
	assert_strv(&w->depends_on, 1, "db");
	assert_int_equal(w->depends_line, 21);
	assert_string_equal(w->working_dir, "/www");
	assert_string_equal(w->user, "1000:1000");
	assert_string_equal(w->hostname, "web1");
	assert_true(w->read_only);
	assert_strv(&w->cap_add, 1, "NET_ADMIN");
	assert_strv(&w->cap_drop, 1, "MKNOD");
	assert_true(w->health.present);
	assert_false(w->health.disable);
	assert_null(w->health.shell);
	assert_strv(&w->health.exec, 4, "wget", "-q", "-O-", "http://localhost/it's");
	assert_string_equal(w->health.interval, "30s");
	assert_string_equal(w->health.timeout, "1m30s");
	assert_string_equal(w->health.start_period, "500ms");
	assert_int_equal(w->health.retries, 3);
	d = svc(&f, "db");
	assert_false(d->entrypoint_set);
	assert_strv(&d->command, 2, "sleep", "1000");
	assert_strv(&d->environment, 2, "A=1", "B");
	assert_string_equal(d->restart, "on-failure:3");
	assert_true(d->health.disable);
	assert_int_equal(d->health.retries, -1);
	/* db first: web depends on it */
	assert_int_equal(f.norder, 2);
	assert_string_equal(f.svc[f.order[0]].name, "db");
	assert_string_equal(f.svc[f.order[1]].name, "web");
	compose_free(&f);
}

static void test_run_args(void **state)
{
	struct compose_file f;
	struct strv a = { 0 };
	char *extra[] = { "com.docker.compose.config-hash=abc", NULL };
	const char *want[] = {
		"run", "-d", "--name", "front",
		"--label", "com.docker.compose.project=shop",
		"--label", "com.docker.compose.service=web",
		"--label", "com.docker.compose.container-number=1",
		"--label", "com.docker.compose.config-hash=abc",
		"--hostname", "web1", "--workdir", "/www", "--user", "1000:1000", "--read-only",
		"--restart", "always", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "100",
		"--network", "bridge",
		"--publish", "80:80", "--publish", "127.0.0.1:8443:443/tcp", "--publish", "53:53/udp",
		"--volume", "/srv/www:/www:ro", "--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD",
		"--env", "MODE=prod", "--env", "PORT=80", "--env", "FROM_HOST",
		"--health-cmd", "'wget' '-q' '-O-' 'http://localhost/it'\\''s'",
		"--health-interval", "30s", "--health-timeout", "1m30s",
		"--health-start-period", "500ms", "--health-retries", "3",
		"--entrypoint", "/bin/sh", "--", "busybox:latest", "-c", "httpd", "-f", "-p", "80",
	};
	char project[64];

	(void)state;
	assert_int_equal(parse(full, &f), 0);
	compose_project_name(&f, "ignored", project, sizeof(project));
	assert_string_equal(project, "shop");
	assert_int_equal(compose_run_args(&f, project, compose_find(&f, "web"), extra, &a), 0);
	for (int i = 0; i < a.n && i < (int)(sizeof(want) / sizeof(want[0])); i++)
		assert_string_equal(a.v[i], want[i]);
	assert_int_equal(a.n, sizeof(want) / sizeof(want[0]));
	strv_free(&a);
	/* db: the default name, --no-healthcheck, no entrypoint flag */
	assert_int_equal(compose_run_args(&f, project, compose_find(&f, "db"), NULL, &a), 0);
	assert_string_equal(a.v[3], "shop-db-1");
	{
		bool nohc = false, ep = false;
		for (int i = 0; i < a.n; i++) {
			nohc |= strcmp(a.v[i], "--no-healthcheck") == 0;
			ep |= strcmp(a.v[i], "--entrypoint") == 0;
		}
		assert_true(nohc);
		assert_false(ep);
	}
	assert_string_equal(a.v[a.n - 3], "busybox");
	assert_string_equal(a.v[a.n - 1], "1000");
	strv_free(&a);
	compose_free(&f);
}

static void test_health_forms(void **state)
{
	struct compose_file f;
	struct strv a = { 0 };
	const char *text = "services:\n"
			   "  s1: {image: b, healthcheck: {test: \"wget -q localhost || exit 1\"}}\n"
			   "  s2: {image: b, healthcheck: {test: [\"CMD-SHELL\", \"true\"], disable: false}}\n"
			   "  s3: {image: b, healthcheck: {disable: true}}\n"
			   "  s4: {image: b, entrypoint: [], command: [a]}\n";

	(void)state;
	assert_int_equal(parse(text, &f), 0);
	assert_string_equal(svc(&f, "s1")->health.shell, "wget -q localhost || exit 1");
	assert_string_equal(svc(&f, "s2")->health.shell, "true");
	assert_false(svc(&f, "s2")->health.disable);
	assert_true(svc(&f, "s3")->health.disable);
	assert_int_equal(compose_run_args(&f, "p", compose_find(&f, "s1"), NULL, &a), 0);
	for (int i = 0; i < a.n; i++) {
		if (strcmp(a.v[i], "--health-cmd") == 0)
			assert_string_equal(a.v[i + 1], "wget -q localhost || exit 1");
	}
	strv_free(&a);
	/* entrypoint: [] clears the image's entrypoint */
	assert_int_equal(compose_run_args(&f, "p", compose_find(&f, "s4"), NULL, &a), 0);
	assert_string_equal(a.v[a.n - 5], "--entrypoint");
	assert_string_equal(a.v[a.n - 4], "");
	assert_string_equal(a.v[a.n - 1], "a");
	strv_free(&a);
	compose_free(&f);
}

static void test_errors_name_file_line_and_key(void **state)
{
	(void)state;
	expect_error("services:\n  web:\n    image: busybox\n    prots: [\"80:80\"]\n",
		     "compose.yaml:4: services.web: unknown key 'prots'");
	expect_error("version: '3'\nservice:\n  web: {image: b}\nservices: {}\n",
		     "compose.yaml:2: unknown top-level key 'service'");
	expect_error("services:\n  web:\n    command: x\n", "compose.yaml:2: services.web: no image");
	expect_error("services:\n  web:\n    image: [a, b]\n",
		     "compose.yaml:3: services.web: 'image' must be a string, not a list");
	expect_error("services:\n  web:\n    image: b\n    ports: 80:80\n",
		     "compose.yaml:4: services.web: 'ports' must be a list, not a scalar");
	expect_error("services:\n  web:\n    image: b\n    environment: x\n",
		     "compose.yaml:4: services.web: 'environment' must be a mapping or a list, not a scalar");
	expect_error("services:\n  web:\n    image: b\n    environment:\n      A: [1]\n",
		     "compose.yaml:5: services.web: environment: 'A' must be a string, not a list");
	expect_error("services:\n  web:\n    image: b\n    restart: sometimes\n",
		     "compose.yaml:4: services.web: restart: 'sometimes' is not one of no, always, "
		     "on-failure[:N], unless-stopped");
	expect_error("services:\n  web:\n    image: b\n    mem_limit: lots\n",
		     "compose.yaml:4: services.web: mem_limit: 'lots' is not a size (like 64m)");
	expect_error("services:\n  web:\n    image: b\n    cpus: -1\n",
		     "compose.yaml:4: services.web: cpus: '-1' is not a number of CPUs");
	expect_error("services:\n  web:\n    image: b\n    pids_limit: many\n",
		     "compose.yaml:4: services.web: pids_limit: 'many' is not a number");
	expect_error("services:\n  web:\n    image: b\n    network_mode: wifi\n",
		     "compose.yaml:4: services.web: network_mode: 'wifi' is not bridge, host, none, "
		     "container:NAME or service:NAME");
	expect_error("services:\n  web:\n    image: b\n    read_only: maybe\n",
		     "compose.yaml:4: services.web: 'read_only' must be true or false");
	expect_error("services:\n  web:\n    image: b\n    container_name: 'a b'\n",
		     "compose.yaml:4: services.web: container_name: 'a b' is not a valid name");
	expect_error("services:\n  web:\n    image: b\n    command: \"echo 'x\"\n",
		     "compose.yaml:4: services.web: 'command': unterminated quote");
	expect_error("services:\n  web:\n    image: b\n    image: c\n",
		     "compose.yaml:4: services.web: duplicate key 'image'");
	expect_error("services:\n  web:\n    image: b\n    ports: [\"80:80\"]\n    network_mode: none\n",
		     "compose.yaml:2: services.web: ports need network_mode bridge");
	expect_error("services:\n  web: busybox\n",
		     "compose.yaml:2: services.web: must be a mapping, not a scalar");
	expect_error("services:\n  web: {image: b}\n  web: {image: c}\n",
		     "compose.yaml:3: services: service 'web' is defined twice");
	expect_error("services:\n  'we b': {image: b}\n",
		     "compose.yaml:2: services: 'we b' is not a valid service name");
}

static void test_port_and_depends_errors(void **state)
{
	struct compose_file f;

	(void)state;
	assert_int_equal(parse("services:\n  web:\n    image: b\n    ports: [\"99999:80\"]\n", &f),
			 -EINVAL);
	assert_int_equal(f.errors.n, 1);
	assert_non_null(strstr(f.errors.v[0], "compose.yaml:4: services.web: ports: "));
	compose_free(&f);
	expect_error("services:\n  web:\n    image: b\n    depends_on: [db]\n",
		     "compose.yaml:4: services.web: depends on undefined service 'db'");
	expect_error("services:\n  db: {image: b}\n  web:\n    image: b\n    depends_on:\n"
		     "      db:\n        condition: service_ready\n",
		     "compose.yaml:7: services.web.depends_on.db: condition 'service_ready' is "
		     "not service_started, service_healthy or service_completed_successfully");
	expect_error("services:\n  db: {image: b}\n  web:\n    image: b\n    depends_on:\n"
		     "      db:\n        when: now\n",
		     "compose.yaml:7: services.web.depends_on.db: unknown key 'when'");
	expect_error("services:\n  web:\n    image: b\n    depends_on: db\n",
		     "compose.yaml:4: services.web: 'depends_on' must be a list or a mapping, not a scalar");
	expect_error("services:\n  web:\n    image: b\n    network_mode: 'service:db'\n",
		     "compose.yaml:2: services.web: network_mode: undefined service 'db'");
}

static void test_health_errors(void **state)
{
	(void)state;
	expect_error("services:\n  web:\n    image: b\n    healthcheck:\n      tset: x\n",
		     "compose.yaml:5: services.web.healthcheck: unknown key 'tset'");
	expect_error("services:\n  web:\n    image: b\n    healthcheck:\n      interval: 10\n",
		     "compose.yaml:5: services.web.healthcheck: interval: '10' is not a duration "
		     "(like 30s, 1m30s)");
	expect_error("services:\n  web:\n    image: b\n    healthcheck:\n      retries: x\n",
		     "compose.yaml:5: services.web.healthcheck: retries must be a number");
	expect_error("services:\n  web:\n    image: b\n    healthcheck:\n      test: [\"RUN\", \"x\"]\n",
		     "compose.yaml:5: services.web.healthcheck: test must be a string, "
		     "[\"CMD\", ARG...], [\"CMD-SHELL\", COMMAND] or [\"NONE\"]");
	expect_error("services:\n  web:\n    image: b\n    healthcheck: yes\n",
		     "compose.yaml:4: services.web.healthcheck: must be a mapping, not a scalar");
}

static void test_fatal_files(void **state)
{
	struct compose_file f;

	(void)state;
	assert_int_equal(parse("services:\n  web:\n    image: b\n   bad: [\n", &f), -EINVAL);
	assert_true(f.fatal);
	assert_int_equal(f.errors.n, 1);
	assert_non_null(strstr(f.errors.v[0], "compose.yaml:4: invalid YAML: "));
	assert_int_equal(f.norder, 0);
	compose_free(&f);
	assert_int_equal(parse("- a\n- b\n", &f), -EINVAL);
	assert_true(f.fatal);
	assert_string_equal(f.errors.v[0],
			    "compose.yaml:1: the file must be a mapping (services: ...), not a list");
	compose_free(&f);
	assert_int_equal(parse("", &f), -EINVAL);
	assert_true(f.fatal);
	assert_string_equal(f.errors.v[0], "compose.yaml: empty file: no services");
	compose_free(&f);
	assert_int_equal(parse("version: '3'\n", &f), -EINVAL);
	assert_string_equal(f.errors.v[0], "compose.yaml: no 'services' key");
	compose_free(&f);
}

static void test_bad_service_leaves_others(void **state)
{
	struct compose_file f;

	(void)state;
	assert_int_equal(parse("services:\n"
			       "  bad:\n    image: b\n    prots: [1]\n"
			       "  good:\n    image: b\n"
			       "  needs_bad:\n    image: b\n    depends_on: [bad]\n",
			       &f),
			 -EINVAL);
	assert_int_equal(svc(&f, "bad")->status, COMPOSE_INVALID);
	assert_int_equal(svc(&f, "good")->status, COMPOSE_OK);
	assert_int_equal(svc(&f, "needs_bad")->status, COMPOSE_DEP_FAILED);
	assert_int_equal(f.norder, 1);
	assert_string_equal(f.svc[f.order[0]].name, "good");
	assert_int_equal(f.errors.n, 2);
	assert_string_equal(f.errors.v[0], "compose.yaml:4: services.bad: unknown key 'prots'");
	assert_string_equal(f.errors.v[1], "compose.yaml:9: services.needs_bad: not started: it "
					   "depends on 'bad', which cannot start");
	compose_free(&f);
}

static void order_is(const char *text, const char *want)
{
	struct compose_file f;
	char got[256] = "";

	assert_int_equal(parse(text, &f), 0);
	for (int i = 0; i < f.norder; i++) {
		strcat(got, i ? " " : "");
		strcat(got, f.svc[f.order[i]].name);
	}
	assert_string_equal(got, want);
	compose_free(&f);
}

static void test_order(void **state)
{
	(void)state;
	/* file order when nothing depends */
	order_is("services:\n  c: {image: b}\n  a: {image: b}\n  b: {image: b}\n", "c a b");
	/* a chain, written backwards */
	order_is("services:\n  a: {image: b, depends_on: [b]}\n  b: {image: b, depends_on: [c]}\n"
		 "  c: {image: b}\n",
		 "c b a");
	/* a diamond: d once, before both */
	order_is("services:\n  top: {image: b, depends_on: [l, r]}\n  l: {image: b, depends_on: [d]}\n"
		 "  r: {image: b, depends_on: [d]}\n  d: {image: b}\n",
		 "d l r top");
	/* network_mode service:X is a dependency too */
	order_is("services:\n  side: {image: b, network_mode: 'service:main'}\n  main: {image: b}\n",
		 "main side");
}

static void test_cycles(void **state)
{
	struct compose_file f;

	(void)state;
	assert_int_equal(parse("services:\n"
			       "  a:\n    image: b\n    depends_on: [b]\n"
			       "  b:\n    image: b\n    depends_on: [a]\n"
			       "  c:\n    image: b\n    depends_on: [a]\n"
			       "  d:\n    image: b\n",
			       &f),
			 -EINVAL);
	assert_int_equal(f.errors.n, 2);
	assert_string_equal(f.errors.v[0], "compose.yaml:4: depends_on cycle: a -> b -> a");
	assert_string_equal(f.errors.v[1], "compose.yaml:10: services.c: not started: it depends "
					   "on 'a', which cannot start");
	assert_int_equal(svc(&f, "a")->status, COMPOSE_CYCLE);
	assert_int_equal(svc(&f, "b")->status, COMPOSE_CYCLE);
	assert_int_equal(svc(&f, "c")->status, COMPOSE_DEP_FAILED);
	assert_int_equal(f.norder, 1);
	assert_string_equal(f.svc[f.order[0]].name, "d");
	compose_free(&f);

	expect_error("services:\n  x:\n    image: b\n    depends_on: [x]\n",
		     "compose.yaml:4: depends_on cycle: x -> x");
	assert_int_equal(parse("services:\n"
			       "  p: {image: b, depends_on: [q]}\n"
			       "  q: {image: b, depends_on: [r]}\n"
			       "  r: {image: b, depends_on: [p]}\n",
			       &f),
			 -EINVAL);
	assert_int_equal(f.errors.n, 1);
	assert_string_equal(f.errors.v[0], "compose.yaml:2: depends_on cycle: p -> q -> r -> p");
	assert_int_equal(f.norder, 0);
	compose_free(&f);
}

static void test_volumes(void **state)
{
	struct compose_file f;
	struct strv a = { 0 };
	const char *text = "services:\n"
			   "  web:\n"
			   "    image: b\n"
			   "    volumes:\n"
			   "      - data:/var/lib/data\n"
			   "      - shared:/shared:ro\n"
			   "      - outside:/o\n"
			   "      - ./site:/www:ro\n"
			   "      - .:/cfg\n"
			   "      - ../up:/up\n"
			   "      - /srv:/srv\n"
			   "      - /anonymous\n"
			   "volumes:\n"
			   "  data:\n"
			   "  shared:\n"
			   "    name: team-shared\n"
			   "  outside:\n"
			   "    external: true\n";
	const char *want[] = { "shop_data:/var/lib/data", "team-shared:/shared:ro", "outside:/o",
			       "/etc/app/site:/www:ro", "/etc/app:/cfg", "/etc/app/../up:/up", "/srv:/srv", "/anonymous" };
	int k = 0;

	(void)state;
	assert_int_equal(parse(text, &f), 0);
	assert_int_equal(f.nvol, 3);
	f.dir = strdup("/etc/app");
	assert_int_equal(compose_run_args(&f, "shop", 0, NULL, &a), 0);
	for (int i = 0; i < a.n; i++) {
		if (strcmp(a.v[i], "--volume") == 0)
			assert_string_equal(a.v[i + 1], want[k++]);
	}
	assert_int_equal(k, 8);
	strv_free(&a);
	compose_free(&f);

	expect_error("services:\n  web:\n    image: b\n    volumes:\n      - /a:/a\n      - data:/d\n",
		     "compose.yaml:6: services.web: volumes: 'data:/d' refers to undefined volume 'data'");
	expect_error("services:\n  web:\n    image: b\n    volumes: [\"/a:rel\"]\n",
		     "compose.yaml:4: services.web: volumes: '/a:rel': the container path must be absolute");
	expect_error("services:\n  web:\n    image: b\n    volumes: [\"/a:/b:rx\"]\n",
		     "compose.yaml:4: services.web: volumes: '/a:/b:rx': mode must be ro or rw");
	expect_error("services:\n  web:\n    image: b\n    volumes: [\"~x:/b\"]\n",
		     "compose.yaml:4: services.web: volumes: '~x:/b': '~x' is neither a path nor a "
		     "volume name");
	expect_error("services:\n  web: {image: b}\nvolumes:\n  data:\n    driver: local\n",
		     "compose.yaml:5: volumes.data: unknown key 'driver'");
}

static void test_names(void **state)
{
	struct compose_file f;
	char buf[64];

	(void)state;
	compose_project_name(NULL, "My App!", buf, sizeof(buf));
	assert_string_equal(buf, "myapp");
	assert_int_equal(parse("services:\n  web: {image: b}\n  db: {image: b, container_name: the-db}\n",
			       &f),
			 0);
	compose_container_name(&f, "berth", compose_find(&f, "web"), buf, sizeof(buf));
	assert_string_equal(buf, "berth-web-1");
	compose_container_name(&f, "berth", compose_find(&f, "db"), buf, sizeof(buf));
	assert_string_equal(buf, "the-db");
	compose_free(&f);
}

static void test_split_words(void **state)
{
	struct strv v = { 0 };

	(void)state;
	assert_int_equal(compose_split_words("  sh -c 'echo \"a b\"; exit 1'  x\\ y \"q\\\"t\"", &v),
			 0);
	assert_strv(&v, 5, "sh", "-c", "echo \"a b\"; exit 1", "x y", "q\"t");
	strv_free(&v);
	assert_int_equal(compose_split_words("''", &v), 0);
	assert_strv(&v, 1, "");
	strv_free(&v);
	assert_int_equal(compose_split_words("a \"b", &v), -EINVAL);
	strv_free(&v);
}

static void test_durations(void **state)
{
	(void)state;
	assert_true(compose_duration_valid("30s"));
	assert_true(compose_duration_valid("1m30s"));
	assert_true(compose_duration_valid("500ms"));
	assert_true(compose_duration_valid("1.5h"));
	assert_true(compose_duration_valid("10us"));
	assert_false(compose_duration_valid("10"));
	assert_false(compose_duration_valid("s"));
	assert_false(compose_duration_valid("5 s"));
	assert_false(compose_duration_valid("3d"));
	assert_false(compose_duration_valid(""));
}

/* Compose's refresh pull policies and their periods, in seconds. */
static void test_pull_refresh(void **state)
{
	static const struct {
		const char *p;
		int64_t secs; /* 0: not a refresh policy */
	} cases[] = {
		{ "daily", 86400 },	   { "weekly", 604800 },    { "every_12h", 43200 },
		{ "every_1h30m", 5400 },   { "every_2d", 172800 },  { "every_1w1d", 691200 },
		{ "every_1d12h", 129600 }, { "every_500ms", 1 },    { "every_", 0 },
		{ "every_3", 0 },	   { "every_-1h", 0 },	    { "every_0s", 0 },
		{ "every_2x", 0 },	   { "hourly", 0 },	    { "always", 0 },
	};
	int64_t secs;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool is = compose_pull_refresh(cases[i].p, &secs);
		if (is != (cases[i].secs > 0) || (is && secs != cases[i].secs))
			fail_msg("%s: %d %lld", cases[i].p, is, (long long)secs);
	}
	assert_true(compose_pull_policy_ok("every_5m"));
	assert_true(compose_pull_policy_ok("missing"));
	assert_false(compose_pull_policy_ok("every_5"));
	assert_false(compose_pull_policy_ok("build"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_run_args),
		cmocka_unit_test(test_health_forms),
		cmocka_unit_test(test_errors_name_file_line_and_key),
		cmocka_unit_test(test_port_and_depends_errors),
		cmocka_unit_test(test_health_errors),
		cmocka_unit_test(test_fatal_files),
		cmocka_unit_test(test_bad_service_leaves_others),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_volumes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_pull_refresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
