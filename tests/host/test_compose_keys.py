"""Compose files as people write them, against `berth daemon --root DIR`:
${VAR} interpolation from the environment and .env (Compose's
precedence), env_file, labels/expose/privileged/stop_grace_period/
deploy.resources.limits, a bad value refused with its key and line,
profiles, and depends_on conditions (service_healthy,
service_completed_successfully) holding a service back until they are
met. Network mode none keeps it to the compose logic."""
import json
import os
import subprocess
import time

from hostenv import busybox_daemon


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def project_dir(d, name, files):
    """A directory holding compose.yaml and any other files given."""
    top = os.path.join(d.root, "proj-" + name)
    os.makedirs(top, exist_ok=True)
    for fname, text in files.items():
        with open(os.path.join(top, fname), "w") as f:
            f.write(text)
    return top


def compose(d, top, *args, env=None, timeout=60):
    """berth compose in top (so compose.yaml and .env are found there)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    e.update(env or {})
    p = subprocess.run([d.berth, "--root", d.root, "compose"] + list(args), cwd=top, env=e,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def inspect(d, name):
    return json.loads(d.ok("inspect", name))[0]


def names(d):
    return sorted(d.ok("ps", "-a", "--format", "{{.Names}}").split())


def down(d, top, *args):
    rc, out, err = compose(d, top, *args, "down", "-t", "1")
    assert rc == 0, err
    assert names(d) == [], names(d)


def test_interpolation_from_environment_and_dotenv(d):
    top = project_dir(d, "interp", {
        "compose.yaml": """\
services:
  app:
    image: ${IMAGE:-busybox}
    network_mode: none
    command: sh -c 'echo $$HOME; exec sleep 100000'
    environment:
      FROM_SHELL: ${WHO}
      FROM_DOTENV: ${ONLY_IN_DOTENV}
      DEFAULTED: ${UNSET_VAR:-fallback}
      NESTED: "${UNSET_VAR:-${WHO}-x}"
      LITERAL: $$NOT_A_VAR
""",
        ".env": "# the project's defaults\nCOMPOSE_PROJECT_NAME=fromdotenv\n"
                "WHO=dotenv\nONLY_IN_DOTENV='quoted value'\n",
    })
    rc, out, err = compose(d, top, "up", "-d", env={"WHO": "shell"})
    assert rc == 0, (out, err)
    assert out.splitlines() == [" Container fromdotenv-app-1  Started"], out
    env = inspect(d, "fromdotenv-app-1")["Config"]["Env"]
    for want in ("FROM_SHELL=shell", "FROM_DOTENV=quoted value", "DEFAULTED=fallback",
                 "NESTED=shell-x", "LITERAL=$NOT_A_VAR"):
        assert want in env, env
    rc, out, err = compose(d, top, "config", env={"WHO": "shell"})
    assert '      - "FROM_SHELL=shell"' in out, out
    down(d, top)


def test_required_variable_missing_starts_nothing(d):
    top = project_dir(d, "required", {"compose.yaml": """\
services:
  ok:
    image: busybox
    network_mode: none
    command: sleep 100000
  needs:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "${TOKEN:?set TOKEN first}"]
"""})
    rc, out, err = compose(d, top, "up", "-d")
    assert rc == 1
    assert err == "berth: compose.yaml:9: required variable TOKEN is missing a value: " \
                  "set TOKEN first\n", err
    assert names(d) == []
    rc, out, err = compose(d, top, "config", "-q", env={"TOKEN": "x"})
    assert (rc, err) == (0, ""), err


def test_env_file_then_environment(d):
    top = project_dir(d, "envfile", {
        "compose.yaml": """\
services:
  app:
    image: busybox
    network_mode: none
    command: sleep 100000
    env_file: [common.env, {path: missing.env, required: false}]
    environment:
      OVERRIDDEN: by-environment
  broken:
    image: busybox
    network_mode: none
    command: sleep 100000
    env_file: ./nowhere.env
""",
        "common.env": "A=1\nOVERRIDDEN=by-file\nMULTI=\"x\\ny\"\n",
    })
    rc, out, err = compose(d, top, "up", "-d")
    assert rc == 1, (out, err)
    assert "services.broken: env_file " in err and "nowhere.env: No such file or directory" \
        in err, err
    assert names(d) == ["proj-envfile-app-1"]
    env = inspect(d, "proj-envfile-app-1")["Config"]["Env"]
    assert "A=1" in env and "OVERRIDDEN=by-environment" in env and "MULTI=x\ny" in env, env
    down(d, top)


def test_keys_become_run_options(d):
    top = project_dir(d, "keys", {"compose.yaml": """\
services:
  app:
    image: busybox
    network_mode: none
    command: sh -c 'trap "" TERM; while :; do sleep 0.1; done'
    labels:
      com.example.tier: back
      com.example.empty:
    expose: ["8080", "9000-9001/udp"]
    privileged: true
    init: false
    stop_signal: SIGTERM
    stop_grace_period: 1s
    logging: {driver: json-file}
    deploy:
      resources:
        limits: {memory: 48m, cpus: "0.25", pids: 40}
"""})
    rc, out, err = compose(d, top, "up", "-d")
    assert rc == 0, (out, err)
    info = inspect(d, "proj-keys-app-1")
    labels = info["Config"]["Labels"]
    assert labels["com.example.tier"] == "back" and labels["com.example.empty"] == "", labels
    host = info["HostConfig"]
    assert host["Privileged"] is True
    assert (host["Memory"], host["NanoCpus"], host["PidsLimit"]) == (48 << 20, 250000000, 40)
    rc, out, err = compose(d, top, "config")
    assert '    expose:\n      - "8080"\n      - "9000-9001/udp"\n' in out, out
    # stop_grace_period: the TERM-ignoring loop is killed after 1 s, not 10
    t0 = time.monotonic()
    rc, out, err = compose(d, top, "stop")
    took = time.monotonic() - t0
    assert rc == 0 and 0.9 <= took < 6, (took, err)
    assert inspect(d, "proj-keys-app-1")["State"]["ExitCode"] == 137
    down(d, top)


def test_bad_value_named_others_start(d):
    top = project_dir(d, "unsup", {"compose.yaml": """\
services:
  good:
    image: busybox
    network_mode: none
    command: sleep 100000
  resolver:
    image: busybox
    network_mode: none
    dns: one.one
"""})
    rc, out, err = compose(d, top, "up", "-d")
    assert rc == 1
    assert err == "berth: compose.yaml:9: services.resolver: dns: IP address is not " \
                  "correctly formatted: one.one\n", err
    assert names(d) == ["proj-unsup-good-1"]
    down(d, top)


def test_profiles(d):
    top = project_dir(d, "profiles", {"compose.yaml": """\
services:
  app:
    image: busybox
    network_mode: none
    command: sleep 100000
  debug:
    image: busybox
    network_mode: none
    command: sleep 100000
    profiles: [debug]
"""})
    rc, out, err = compose(d, top, "-p", "pr", "up", "-d")
    assert rc == 0, err
    assert names(d) == ["pr-app-1"]
    rc, out, err = compose(d, top, "-p", "pr", "--profile", "debug", "up", "-d")
    assert rc == 0, err
    assert names(d) == ["pr-app-1", "pr-debug-1"]
    down(d, top, "-p", "pr")
    rc, out, err = compose(d, top, "-p", "pr", "up", "-d", env={"COMPOSE_PROFILES": "other,debug"})
    assert rc == 0, err
    assert names(d) == ["pr-app-1", "pr-debug-1"]
    down(d, top, "-p", "pr")


def started(d, name):
    return inspect(d, name)["State"]["StartedAt"]


def test_depends_on_conditions_wait(d):
    top = project_dir(d, "conds", {"compose.yaml": """\
services:
  db:
    image: busybox
    network_mode: none
    command: sh -c 'sleep 1; touch /tmp/ready; exec sleep 100000'
    healthcheck:
      test: test -f /tmp/ready
      interval: 200ms
      retries: 50
  migrate:
    image: busybox
    network_mode: none
    command: sh -c 'sleep 0.5; exit 0'
  web:
    image: busybox
    network_mode: none
    command: sleep 100000
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
"""})
    rc, out, err = compose(d, top, "-p", "cond", "up", "-d")
    assert rc == 0, (out, err)
    lines = out.splitlines()
    assert " Container cond-db-1  Healthy" in lines and " Container cond-migrate-1  Exited" \
        in lines, out
    assert lines[-1] == " Container cond-web-1  Started", out
    db = inspect(d, "cond-db-1")
    assert db["State"]["Health"]["Status"] == "healthy"
    migrate = inspect(d, "cond-migrate-1")["State"]
    assert (migrate["Status"], migrate["ExitCode"]) == ("exited", 0)
    web = started(d, "cond-web-1")
    # RFC 3339 times of one clock and format compare as strings
    assert web > migrate["FinishedAt"] and web > db["State"]["Health"]["Log"][-1]["End"], \
        (web, migrate, db["State"]["Health"])
    down(d, top, "-p", "cond")


def test_depends_on_condition_failing(d):
    top = project_dir(d, "condfail", {"compose.yaml": """\
services:
  migrate:
    image: busybox
    network_mode: none
    command: sh -c 'exit 3'
  plain:
    image: busybox
    network_mode: none
    command: sleep 100000
  web:
    image: busybox
    network_mode: none
    command: sleep 100000
    depends_on:
      migrate: {condition: service_completed_successfully}
  api:
    image: busybox
    network_mode: none
    command: sleep 100000
    depends_on:
      plain: {condition: service_healthy}
"""})
    rc, out, err = compose(d, top, "-p", "cf", "up", "-d")
    assert rc == 1, (out, err)
    assert "berth: service web: service migrate didn't complete successfully: exit 3\n" in err, err
    assert "berth: service api: dependency plain has no healthcheck configured " \
           "(condition service_healthy)\n" in err, err
    assert names(d) == ["cf-migrate-1", "cf-plain-1"]
    down(d, top, "-p", "cf")
