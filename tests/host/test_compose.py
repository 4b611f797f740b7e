"""`berth compose` against `berth daemon --root DIR` on the build host:
up in depends_on order, idempotent up, recreate on change, ps, restart,
down, a broken service next to good ones, cycles, bad files. Network mode
none keeps it to the compose logic (bridges are tested in the appliance)."""
import json
import os
import time

from hostenv import Daemon, require_overlay

GOOD = """\
name: Shop
services:
  web:
    image: busybox
    command: sh -c 'echo web says $$GREETING; exec sleep 100000'
    network_mode: none
    environment:
      GREETING: hello
    depends_on: [db]
    pids_limit: 50
  db:
    image: busybox
    entrypoint: ["sh", "-c"]
    command: ["echo db up; exec sleep 100000"]
    network_mode: none
    working_dir: /tmp
    user: "65534"
    container_name: shop-database
"""


def write(d, name, text):
    path = os.path.join(d.root, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def names(d):
    return sorted(d.ok("ps", "-a", "--format", "{{.Names}}").split())


def setup_module(build):
    require_overlay()
    d = Daemon(build)
    d.import_busybox()
    d.good = write(d, "compose.yaml", GOOD)
    return d


def teardown_module(d):
    d.stop()


def compose(d, *args, path=None):
    return d.cli("compose", "-f", path or d.good, *args, timeout=60)


def test_compose_up_in_order_with_labels(d):
    rc, out, err = compose(d, "up", "-d")
    assert rc == 0, (out, err)
    # db first: web depends on it
    assert out.splitlines() == [" Container shop-database  Started",
                                " Container shop-web-1  Started"], out
    assert names(d) == ["shop-database", "shop-web-1"]
    info = json.loads(d.ok("inspect", "shop-web-1"))[0]
    labels = info["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == "shop"
    assert labels["com.docker.compose.service"] == "web"
    assert len(labels["com.docker.compose.config-hash"]) == 64
    assert "GREETING=hello" in info["Config"]["Env"]
    assert info["HostConfig"]["NetworkMode"] == "none"
    assert info["HostConfig"]["PidsLimit"] == 50
    db = json.loads(d.ok("inspect", "shop-database"))[0]
    assert db["Config"]["Cmd"] == ["sh", "-c", "echo db up; exec sleep 100000"]
    assert db["Config"]["WorkingDir"] == "/tmp"
    assert db["Config"]["User"] == "65534"
    assert db["State"]["StartedAt"] < info["State"]["StartedAt"]
    # ($$ is a literal $ in Compose: the shell inside expands $GREETING)
    for _ in range(50):
        logs = d.ok("logs", "shop-web-1")
        if logs:
            break
        time.sleep(0.1)
    assert logs == "web says hello\n", logs


def test_compose_ps(d):
    rc, out, err = compose(d, "ps")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS",
                                "PORTS"], out
    assert [l.split()[0] for l in lines[1:]] == ["shop-database", "shop-web-1"], out
    assert all(" Up " in l for l in lines[1:]), out
    rc, out, err = compose(d, "ps", "-q")
    assert sorted(out.split()) == sorted(d.ok("ps", "-q", "--no-trunc").split()), out


def test_compose_up_again_changes_nothing(d):
    ids = d.ok("ps", "-q", "--no-trunc")
    rc, out, err = compose(d, "up", "-d")
    assert rc == 0, err
    assert out.splitlines() == [" Container shop-database  Running",
                                " Container shop-web-1  Running"], out
    assert d.ok("ps", "-q", "--no-trunc") == ids


def test_compose_changed_service_recreated_alone(d):
    db_id = d.ok("inspect", "-f", "{{.Id}}", "shop-database")
    web_id = d.ok("inspect", "-f", "{{.Id}}", "shop-web-1")
    path = write(d, "changed.yaml", GOOD.replace("GREETING: hello", "GREETING: bye"))
    rc, out, err = compose(d, "up", "-d", path=path)
    assert rc == 0, err
    assert out.splitlines() == [" Container shop-database  Running",
                                " Container shop-web-1  Recreated",
                                " Container shop-web-1  Started"], out
    assert d.ok("inspect", "-f", "{{.Id}}", "shop-database") == db_id
    assert d.ok("inspect", "-f", "{{.Id}}", "shop-web-1") != web_id
    env = json.loads(d.ok("inspect", "shop-web-1"))[0]["Config"]["Env"]
    assert "GREETING=bye" in env, env


def test_compose_stopped_service_started_again(d):
    d.ok("stop", "-t", "1", "shop-database")
    for _ in range(100):
        if d.ok("inspect", "-f", "{{.State.Status}}", "shop-database").strip() == "exited":
            break
        time.sleep(0.05)
    rc, out, err = compose(d, "up", "-d")
    assert " Container shop-database  Started" in out.splitlines(), (out, err)
    assert d.ok("inspect", "-f", "{{.State.Status}}", "shop-database").strip() == "running"


def test_compose_restart_one_service(d):
    web_pid = d.ok("inspect", "-f", "{{.State.Pid}}", "shop-web-1")
    db_pid = d.ok("inspect", "-f", "{{.State.Pid}}", "shop-database")
    rc, out, err = compose(d, "restart", "-t", "1", "db")
    assert rc == 0, err
    assert out.splitlines() == [" Container shop-database  Started"], out
    assert d.ok("inspect", "-f", "{{.State.Pid}}", "shop-database") != db_pid
    assert d.ok("inspect", "-f", "{{.State.Pid}}", "shop-web-1") == web_pid


def test_compose_unknown_service_named(d):
    rc, out, err = compose(d, "restart", "nosuch")
    assert rc == 1 and "no such service: nosuch" in err, err


def test_compose_config_normalized(d):
    rc, out, err = compose(d, "config")
    assert rc == 0, err
    assert out.startswith('name: "shop"\nservices:\n  db:\n'), out
    assert '      - "echo db up; exec sleep 100000"' in out, out
    assert '      - "GREETING=hello"' in out, out
    rc, out, err = compose(d, "config", "-q")
    assert (rc, out, err) == (0, "", "")


def test_compose_down_removes_in_reverse_order(d):
    rc, out, err = compose(d, "down", "-t", "1")
    assert rc == 0, err
    assert out.splitlines() == [" Container shop-web-1  Stopped", " Container shop-web-1  Removed",
                                " Container shop-database  Stopped",
                                " Container shop-database  Removed"], out
    assert names(d) == []


def test_compose_broken_service_others_start(d):
    path = write(d, "broken.yaml", """\
services:
  ok:
    image: busybox
    command: sleep 100000
    network_mode: none
  bad:
    image: busybox
    prots: ["80:80"]
  needs_bad:
    image: busybox
    network_mode: none
    depends_on: [bad]
  noimage:
    image: nosuchimage
    pull_policy: never
    network_mode: none
""")
    rc, out, err = compose(d, "-p", "br", "up", "-d", path=path)
    assert rc == 1, (out, err)
    assert "%s:8: services.bad: unknown key 'prots'" % path in err, err
    assert "%s:12: services.needs_bad: not started: it depends on 'bad', which cannot start" \
        % path in err, err
    assert "Unable to find image 'nosuchimage'" in err, err
    assert "service noimage: container br-noimage-1 did not start" in err, err
    assert " Container br-ok-1  Started" in out, out
    assert names(d) == ["br-ok-1"]
    rc, out, err = compose(d, "-p", "br", "down", "-t", "1", path=path)
    assert rc == 0 and names(d) == [], err


def test_compose_cycle_not_started(d):
    path = write(d, "cycle.yaml", """\
services:
  a:
    image: busybox
    network_mode: none
    command: sleep 100000
    depends_on: [b]
  b:
    image: busybox
    network_mode: none
    command: sleep 100000
    depends_on:
      a:
        condition: service_started
  c:
    image: busybox
    network_mode: none
    command: sleep 100000
""")
    rc, out, err = compose(d, "-p", "cy", "up", "-d", path=path)
    assert rc == 1, (out, err)
    assert "%s:6: depends_on cycle: a -> b -> a" % path in err, err
    assert names(d) == ["cy-c-1"], names(d)
    compose(d, "-p", "cy", "down", "-t", "1", path=path)
    assert names(d) == []


def test_compose_bad_files(d):
    cases = {
        "syntax.yaml": ("services:\n  web:\n    image: b\n   x: [\n", ":4: invalid YAML: "),
        "list.yaml": ("- a\n", ":1: the file must be a mapping"),
        "empty.yaml": ("", ": empty file: no services"),
    }
    for name, (text, msg) in cases.items():
        path = write(d, name, text)
        for cmd in (["up", "-d"], ["config", "-q"]):
            rc, out, err = compose(d, *cmd, path=path)
            assert rc == 1, (name, cmd, out, err)
            assert "berth: " + path + msg in err, (name, err)
    rc, out, err = compose(d, "up", "-d", path=os.path.join(d.root, "missing.yaml"))
    assert rc == 1 and "missing.yaml: No such file or directory" in err, err
    assert names(d) == []


def test_compose_name_taken_by_another_container(d):
    d.ok("run", "-d", "--network", "none", "--name", "solo-web-1", "busybox", "sleep", "100000")
    path = write(d, "solo.yaml", "services:\n  web:\n    image: busybox\n"
                                 "    network_mode: none\n    command: sleep 100000\n")
    rc, out, err = compose(d, "-p", "solo", "up", "-d", path=path)
    assert rc == 1, (out, err)
    assert 'the container name "solo-web-1" is already in use' in err, err
    # the other container is untouched
    assert d.ok("inspect", "-f", "{{.State.Status}}", "solo-web-1").strip() == "running"
    d.ok("rm", "-f", "solo-web-1")


def test_compose_orphan_reported(d):
    path = write(d, "orphan.yaml", GOOD)
    rc, out, err = compose(d, "-p", "orph", "up", "-d", path=path)
    assert rc == 0, err
    # db left the file (and web's dependency on it)
    path = write(d, "orphan.yaml", GOOD.split("  db:\n")[0].replace("    depends_on: [db]\n", ""))
    rc, out, err = compose(d, "-p", "orph", "up", "-d", path=path)
    assert rc == 0, err
    assert 'found orphan container shop-database of service "db"' in err, err
    assert out.splitlines() == [" Container orph-web-1  Running"], out
    rc, out, err = compose(d, "-p", "orph", "down", "-t", "1", path=path)
    assert rc == 0, err
    assert names(d) == []


def test_compose_relative_bind_and_named_volume_args(d):
    site = os.path.join(d.root, "proj", "site")
    os.makedirs(site)
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("from the project dir\n")
    path = os.path.join(d.root, "proj", "compose.yaml")
    with open(path, "w") as f:
        f.write("services:\n  web:\n    image: busybox\n    network_mode: none\n"
                "    command: sleep 100000\n    volumes:\n      - ./site:/www:ro\n")
    rc, out, err = compose(d, "up", "-d", path=path)
    assert rc == 0, (out, err)
    # the project is the directory's name; ./site is under the file's directory
    assert d.ok("exec", "proj-web-1", "cat", "/www/index.html") == "from the project dir\n"
    mounts = json.loads(d.ok("inspect", "proj-web-1"))[0]["Mounts"]
    assert [(m["Source"], m["Destination"], m["RW"]) for m in mounts] == \
        [(site, "/www", False)], mounts
    rc, out, err = compose(d, "down", "-t", "1", path=path)
    assert rc == 0 and names(d) == [], err
    # an undeclared named volume is refused with its line
    with open(path, "a") as f:
        f.write("      - cache:/cache\n")
    rc, out, err = compose(d, "config", "-q", path=path)
    assert rc == 1 and "%s:8: services.web: volumes: 'cache:/cache' refers to undefined " \
        "volume 'cache'" % path in err, err


def test_compose_up_attached_shows_output_until_the_end(d):
    path = write(d, "attached.yaml", """\
services:
  first:
    image: busybox
    network_mode: none
    command: sh -c 'echo one; echo two >&2'
  second:
    image: busybox
    network_mode: none
    command: sh -c 'echo three; exit 3'
    depends_on: [first]
""")
    rc, out, err = compose(d, "-p", "att", "up", path=path)
    assert rc == 0, (out, err)
    lines = out.splitlines()
    assert lines[:2] == [" Container att-first-1  Started", " Container att-second-1  Started"], out
    assert lines[2] == "Attaching to att-first-1, att-second-1", out
    assert "att-first-1  | one" in lines and "att-first-1  | two" in lines, out
    assert "att-second-1 | three" in lines, out
    assert "att-first-1 exited with code 0" in lines, out
    assert "att-second-1 exited with code 3" in lines, out
    compose(d, "-p", "att", "down", path=path)
    assert names(d) == []


def test_compose_up_attached_interrupt_stops_services(d):
    import signal
    import subprocess
    path = write(d, "longrun.yaml", "services:\n  svc:\n    image: busybox\n"
                                    "    network_mode: none\n"
                                    "    command: sh -c 'echo ready; exec sleep 100000'\n")
    p = subprocess.Popen([d.berth, "--root", d.root, "compose", "-p", "lr", "-f", path, "up"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import threading
    guard = threading.Timer(60, p.kill)  # readline below must not hang the suite
    guard.start()
    try:
        seen = ""
        while "lr-svc-1 | ready" not in seen and p.poll() is None:
            seen += p.stdout.readline()
        assert "lr-svc-1 | ready" in seen, seen
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        guard.cancel()
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, (p.returncode, out, err)
    assert "Gracefully stopping..." in out and " Container lr-svc-1  Stopped" in out, out
    for _ in range(100):
        if d.ok("inspect", "-f", "{{.State.Status}}", "lr-svc-1").strip() == "exited":
            break
        time.sleep(0.1)
    assert d.ok("inspect", "-f", "{{.State.Status}}", "lr-svc-1").strip() == "exited"
    compose(d, "-p", "lr", "down", path=path)
    assert names(d) == []


def test_compose_healthcheck_reaches_the_container(d):
    path = write(d, "health.yaml", """\
services:
  checked:
    image: busybox
    network_mode: none
    command: sleep 100000
    healthcheck:
      test: ["CMD", "test", "-d", "/tmp"]
      interval: 200ms
      timeout: 5s
      retries: 2
      start_period: 100ms
  unchecked:
    image: busybox
    network_mode: none
    command: sleep 100000
    healthcheck:
      test: ["NONE"]
""")
    rc, out, err = compose(d, "-p", "hc", "up", "-d", path=path)
    assert rc == 0, (out, err)
    info = json.loads(d.ok("inspect", "hc-checked-1"))[0]
    hc = info["Config"]["Healthcheck"]
    assert hc["Test"] == ["CMD-SHELL", "'test' '-d' '/tmp'"], hc
    assert hc["Retries"] == 2, hc
    status = None
    for _ in range(100):
        status = d.ok("inspect", "-f", "{{.State.Health.Status}}", "hc-checked-1").strip()
        if status == "healthy":
            break
        time.sleep(0.1)
    assert status == "healthy", status
    other = json.loads(d.ok("inspect", "hc-unchecked-1"))[0]
    assert other["Config"].get("Healthcheck", {}).get("Test", ["NONE"]) == ["NONE"], other["Config"]
    compose(d, "-p", "hc", "down", "-t", "1", path=path)
    assert names(d) == []


def test_compose_stop_returns_once_services_are_down(d):
    # sh as the container's init ignores SIGTERM: it goes down at the
    # SIGKILL after -t 1; compose stop answers only then, as Docker's
    path = write(d, "slow.yaml", "services:\n  slow:\n    image: busybox\n"
                                 "    network_mode: none\n"
                                 "    command: sh -c 'while :; do sleep 0.1; done'\n")
    rc, out, err = compose(d, "-p", "slow", "up", "-d", path=path)
    assert rc == 0, err
    t0 = time.monotonic()
    rc, out, err = compose(d, "-p", "slow", "stop", "-t", "1", path=path)
    assert rc == 0 and " Container slow-slow-1  Stopped" in out.splitlines(), (out, err)
    assert time.monotonic() - t0 >= 0.9
    assert d.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                "slow-slow-1").strip() == "exited 137"
    rc, out, err = compose(d, "-p", "slow", "down", path=path)
    assert rc == 0, err
