"""Resource settings Docker users expect, against `berth daemon --root
DIR`: daemon.json's "default-ulimits" (Docker's format) for containers
without their own --ulimit of that name, a bad entry refused by name;
--oom-kill-disable discarded with dockerd's cgroup v2 warning; Compose's
oom_score_adj and oom_kill_disable keys as run's flags; `exec` refusing
--oom-score-adj as Docker's does, its process getting the container's
score as runc gives it. And the start path's requests (create, wait and
start sent together): an attached run leaves no reply FIFO behind, a
refused create no directory and no log."""
import json
import os
import resource
import subprocess

from hostenv import busybox_daemon

OOM_WARNING = "WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded.\n"


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def daemon_json(d, doc):
    path = os.path.join(d.root, "etc/berth/daemon.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if doc is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))


def limits():
    """Values the daemon may give (its own hard limits bound them: root
    without CAP_SYS_RESOURCE cannot raise one)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = min(hard, 4096)
    return nofile // 2, nofile


def ids(d):
    return d.ok("ps", "-aq", "--no-trunc").split()


def test_default_ulimits(d):
    soft, hard = limits()
    daemon_json(d, {"default-ulimits": {
        "nofile": {"Name": "nofile", "Hard": hard, "Soft": soft},
        "nproc": {"Name": "nproc", "Hard": 300, "Soft": 200}}})
    try:
        show = "ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu"
        out = d.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", show)
        assert out.split() == [str(soft), str(hard), "200", "300"], out
        # a container's own --ulimit wins for its name; the others still apply
        out = d.ok("run", "--rm", "--network", "none", "--ulimit", "nofile=50:60", "busybox",
                   "sh", "-c", show)
        assert out.split() == ["50", "60", "200", "300"], out
        cid = d.ok("create", "--network", "none", "--ulimit", "core=0", "busybox", "true").strip()
        got = json.loads(d.ok("inspect", "-f", "{{json .HostConfig.Ulimits}}", cid))
        d.ok("rm", cid)
        assert got == [{"Name": "core", "Soft": 0, "Hard": 0},
                       {"Name": "nofile", "Soft": soft, "Hard": hard},
                       {"Name": "nproc", "Soft": 200, "Hard": 300}], got
    finally:
        daemon_json(d, None)
    out = d.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ulimit -n")
    assert out.strip() == "1024", out  # Docker's own default again


def test_default_ulimits_bad_entry_refused(d):
    path = os.path.join(d.root, "etc/berth/daemon.json")
    before = ids(d)
    for doc, reason in (
            ({"default-ulimits": {"nofile": {"Name": "nofile", "Soft": 64, "Hard": 32}}},
             '"default-ulimits": ulimit soft limit must be less than or equal to hard limit: '
             '64 > 32'),
            ({"default-ulimits": {"files": {"Name": "files", "Soft": 1, "Hard": 1}}},
             '"default-ulimits": invalid ulimit type: files'),
            ({"default-ulimits": {"nofile": "1024:2048"}},
             '"default-ulimits": nofile: not {"Name": ..., "Soft": N, "Hard": N}'),
            ('{"default-ulimits": {', None)):
        daemon_json(d, doc)
        try:
            rc, out, err = d.cli("run", "--rm", "--network", "none", "busybox", "true")
        finally:
            daemon_json(d, None)
        assert rc == 125 and out == "", (rc, out, err)
        assert err.startswith("berth: %s: " % path), err
        if reason:
            assert err == "berth: %s: %s\n" % (path, reason), err
        assert ids(d) == before  # nothing created


def test_oom_kill_disable_discarded_with_dockers_warning(d):
    rc, out, err = d.cli("run", "--rm", "--network", "none", "--oom-kill-disable", "busybox",
                         "echo", "ran")
    assert (rc, out, err) == (0, "ran\n", OOM_WARNING), (rc, out, err)
    rc, out, err = d.cli("create", "--network", "none", "--oom-kill-disable", "busybox", "true")
    assert rc == 0 and err == OOM_WARNING, (rc, err)
    d.ok("rm", out.strip())


def test_exec_takes_the_containers_oom_score_adj(d):
    d.ok("run", "-d", "--name", "oomx", "--network", "none", "--oom-score-adj", "300", "busybox",
         "sleep", "100000")
    try:
        assert d.ok("exec", "oomx", "cat", "/proc/self/oom_score_adj").strip() == "300"
        rc, out, err = d.cli("exec", "--oom-score-adj", "5", "oomx", "true")
        assert rc == 125 and err.startswith("berth: unknown flag: --oom-score-adj\n"), (rc, err)
    finally:
        d.ok("rm", "-f", "oomx")


def compose(d, top, *args):
    e = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    p = subprocess.run([d.berth, "--root", d.root, "compose"] + list(args), cwd=top, env=e,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def project(d, name, text):
    top = os.path.join(d.root, "proj-" + name)
    os.makedirs(top, exist_ok=True)
    with open(os.path.join(top, "compose.yaml"), "w") as f:
        f.write(text)
    return top


def test_compose_oom_keys(d):
    top = project(d, "oom", """\
services:
  app:
    image: busybox
    network_mode: none
    command: sleep 100000
    oom_score_adj: 400
    oom_kill_disable: true
""")
    rc, out, err = compose(d, top, "up", "-d")
    try:
        assert rc == 0, err
        assert OOM_WARNING in err, err
        name = "proj-oom-app-1"
        hc = json.loads(d.ok("inspect", name))[0]["HostConfig"]
        assert hc["OomScoreAdj"] == 400, hc
        assert d.ok("exec", name, "sh", "-c", "cat /proc/1/oom_score_adj").strip() == "400"
    finally:
        compose(d, top, "down", "-t", "1")
    top = project(d, "oombad", """\
services:
  app:
    image: busybox
    network_mode: none
    oom_score_adj: 1001
""")
    rc, out, err = compose(d, top, "up", "-d")
    assert rc == 1, (rc, err)
    assert err == "berth: compose.yaml:5: services.app: oom_score_adj: '1001' is not a number " \
                  "from -1000 to 1000\n", err


def test_run_requests_leave_nothing_behind(d):
    reply = os.path.join(d.root, "run/berth/reply")
    logs = os.path.join(d.root, "run/berth/logs")
    before = set(os.listdir(logs))
    for _ in range(3):
        assert d.ok("run", "--rm", "--network", "none", "busybox", "echo", "hi") == "hi\n"
    d.ok("run", "-d", "--name", "taken", "--network", "none", "busybox", "sleep", "100000")
    try:
        rc, out, err = d.cli("run", "--name", "taken", "--network", "none", "busybox", "true")
        assert rc == 125 and "is already in use" in err and "No such container" not in err, err
        assert os.listdir(reply) == []  # main left the wait's FIFO of each attached run
        taken = d.ok("inspect", "-f", "{{.Id}}", "taken").strip()
        assert set(os.listdir(logs)) - before == {taken + ".log"}
        assert set(os.listdir(os.path.join(d.root, "run/berth/containers"))) == {taken}
    finally:
        d.ok("rm", "-f", "taken")
