"""Containers end to end under `berth daemon --root DIR` on the build host:
run, ps, logs, wait, stop, kill, rm, inspect against a busybox image, and
the errors Docker users expect. (Limits are tested in the appliance: a
build host may have cgroup v1 "hybrid", where the daemon runs containers
without them; nothing here depends on which the host has.)"""
import json
import os
import re
import time

from hostenv import Daemon, require_bridge_network, require_overlay


def setup_module(build):
    require_overlay()
    require_bridge_network()  # containers go on the default bridge
    d = Daemon(build)
    d.import_busybox()
    return d


def teardown_module(d):
    d.stop()


def test_run_attached_prints_output_and_exit_code(d):
    rc, out, err = d.cli("run", "--rm", "busybox", "sh", "-c", "echo hello; echo oops >&2; exit 3")
    assert rc == 3, (rc, out, err)
    assert out == "hello\n", out
    assert "oops" in err, err
    # --rm removed it
    assert d.ok("ps", "-aq") == ""


def test_container_is_isolated(d):
    out = d.ok("run", "--rm", "--hostname", "box1", "busybox", "sh", "-c",
               "echo pid=$$; hostname; echo $(ls /sys/class/net); id -u")
    assert "pid=1\n" in out, out          # its own pid namespace
    assert "box1\n" in out, out           # its own uts namespace
    assert re.search(r"^eth0 lo$", out, re.M), out  # its own netns: bridge by default
    assert out.strip().endswith("0"), out


def test_detached_ps_logs_stop_rm(d):
    cid = d.ok("run", "-d", "--name", "sleeper", "busybox", "sh", "-c",
               "echo started; trap 'echo bye; exit 0' TERM; while :; do sleep 0.1; done").strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid), cid
    ps = d.ok("ps")
    assert "CONTAINER ID" in ps and "sleeper" in ps and cid[:12] in ps, ps
    assert re.search(r"Up (Less than a second|\d+ seconds?)", ps), ps
    assert d.ok("ps", "-q").strip() == cid[:12]
    assert d.ok("ps", "--format", "{{.Names}} {{.Image}}").strip() == "sleeper busybox"
    for _ in range(50):
        if "started" in d.ok("logs", "sleeper"):
            break
        time.sleep(0.1)
    assert d.ok("logs", "sleeper") == "started\n"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started", d.ok("logs", "-t", "sleeper"))
    rc, out, err = d.cli("rm", "sleeper")
    assert rc != 0 and "cannot remove a running container" in err, (rc, err)
    pid = int(d.ok("inspect", "-f", "{{.State.Pid}}", "sleeper"))
    assert pid > 1 and os.path.exists("/proc/%d" % pid)
    assert d.ok("stop", "sleeper").strip() == "sleeper"
    assert d.ok("wait", "sleeper").strip() == "0"
    assert "bye" in d.ok("logs", "sleeper")
    assert "Exited (0)" in d.ok("ps", "-a")
    assert d.ok("ps", "-q") == ""
    assert d.ok("rm", "sleeper").strip() == "sleeper"
    rc, out, err = d.cli("inspect", "sleeper")
    assert rc != 0 and "No such container: sleeper" in err


def test_stop_escalates_to_sigkill(d):
    # sh as PID 1 of its namespace ignores SIGTERM without a trap
    d.ok("run", "-d", "--name", "stubborn", "busybox", "sleep", "1000")
    start = time.monotonic()
    d.ok("stop", "-t", "1", "stubborn")
    assert d.ok("wait", "stubborn").strip() == "137"
    assert time.monotonic() - start < 8
    d.ok("rm", "stubborn")


def test_stop_returns_once_the_container_is_down(d):
    # Docker's stop answers after the exit: the trap takes ~0.5 s, and
    # right after stop the container is exited and removable without -f.
    d.ok("run", "-d", "--name", "slowstop", "busybox", "sh", "-c",
         "trap 'sleep 0.5; exit 3' TERM; while :; do sleep 0.1; done")
    time.sleep(0.3)  # the shell has set its trap
    start = time.monotonic()
    assert d.ok("stop", "slowstop").strip() == "slowstop"
    assert time.monotonic() - start >= 0.4
    assert d.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                "slowstop").strip() == "exited 3"
    assert d.ok("rm", "slowstop").strip() == "slowstop"
    # an unknown name among known ones: its error, the others still stopped
    d.ok("run", "-d", "--name", "slowstop2", "busybox", "sleep", "1000")
    rc, out, err = d.cli("stop", "-t", "1", "ghost", "slowstop2")
    assert rc != 0 and "No such container: ghost" in err, (rc, err)
    assert out.strip() == "slowstop2", out
    assert d.ok("inspect", "-f", "{{.State.Status}}", "slowstop2").strip() == "exited"
    d.ok("rm", "slowstop2")


def test_kill_and_signal_exit_code(d):
    d.ok("run", "-d", "--name", "victim", "busybox", "sh", "-c",
         "trap 'exit 42' USR1; while :; do sleep 0.1; done")
    time.sleep(0.5)
    d.ok("kill", "-s", "USR1", "victim")
    assert d.ok("wait", "victim").strip() == "42"
    d.ok("rm", "victim")
    # a signal ends the container: 128 + signal, as Docker reports it
    d.ok("run", "-d", "--name", "victim2", "busybox", "sleep", "1000")
    d.ok("kill", "victim2")
    assert d.ok("wait", "victim2").strip() == "137"
    assert re.search(r"Exited \(137\).*victim2", d.ok("ps", "-a")), d.ok("ps", "-a")
    d.ok("rm", "victim2")


def test_inspect_is_docker_shaped(d):
    cid = d.ok("create", "--name", "shape", "-e", "FOO=bar", "-w", "/tmp", "busybox",
               "echo", "hi").strip()
    info = json.loads(d.ok("inspect", "shape"))
    assert isinstance(info, list) and len(info) == 1
    i = info[0]
    assert i["Id"] == cid and i["Name"] == "/shape"
    assert i["State"]["Status"] == "created" and i["State"]["Running"] is False
    assert i["Config"]["Cmd"] == ["echo", "hi"] and "FOO=bar" in i["Config"]["Env"]
    assert i["Config"]["WorkingDir"] == "/tmp"
    assert i["Path"] == "echo" and i["Args"] == ["hi"]
    d.ok("start", "shape")
    assert d.ok("wait", "shape").strip() == "0"
    i = json.loads(d.ok("inspect", "shape"))[0]
    assert i["State"]["Status"] == "exited" and i["State"]["ExitCode"] == 0
    assert i["State"]["FinishedAt"] > i["State"]["StartedAt"]
    assert d.ok("logs", "shape") == "hi\n"
    d.ok("rm", "shape")


def test_env_workdir_user_entrypoint(d):
    out = d.ok("run", "--rm", "-e", "A=1", "-w", "/tmp/newdir", "-u", "nobody", "busybox",
               "sh", "-c", "echo $A; pwd; id -u")
    assert out.split() == ["1", "/tmp/newdir", "65534"], out
    out = d.ok("run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint")
    assert out == "via entrypoint\n", out


def test_overlay_keeps_image_untouched(d):
    d.ok("run", "--name", "writer", "busybox", "sh", "-c", "echo x > /etc/newfile; rm /bin/ls")
    out = d.ok("run", "--rm", "busybox", "sh", "-c", "ls /etc/newfile 2>&1; ls -d /bin/ls")
    assert "/bin/ls" in out and "No such file" in out, out
    d.ok("rm", "writer")


def test_bind_volume_read_only(d):
    src = os.path.join(d.root, "vol")
    os.makedirs(src)
    with open(os.path.join(src, "f"), "w") as f:
        f.write("from host\n")
    out = d.ok("run", "--rm", "-v", "%s:/data:ro" % src, "busybox", "sh", "-c",
               "cat /data/f; touch /data/g 2>&1 || echo refused")
    assert "from host" in out and "refused" in out, out
    assert not os.path.exists(os.path.join(src, "g"))


def test_errors_like_docker(d):
    rc, out, err = d.cli("run", "--bogus", "busybox", "true")
    assert rc == 125 and "unknown flag: --bogus" in err, (rc, err)
    rc, out, err = d.cli("run", "nosuchimage", "true")
    assert rc == 125 and "Unable to find image 'nosuchimage" in err, (rc, err)
    d.ok("create", "--name", "dup", "busybox", "true")
    rc, out, err = d.cli("create", "--name", "dup", "busybox", "true")
    assert rc == 125 and 'The container name "/dup" is already in use' in err, (rc, err)
    d.ok("rm", "dup")
    rc, out, err = d.cli("run", "--rm", "busybox", "nosuchcmd")
    assert rc == 127 and "nosuchcmd" in err, (rc, err)
    rc, out, err = d.cli("stop", "ghost")
    assert rc == 1 and "No such container: ghost" in err, (rc, err)
    assert d.alive()


def test_exec_and_top(d):
    d.ok("run", "-d", "--name", "busy", "-e", "WHO=ctr", "busybox", "sleep", "1000")
    out = d.ok("exec", "busy", "sh", "-c", "echo $WHO; cat /proc/1/cmdline | tr '\\0' ' '")
    assert out.startswith("ctr\nsleep 1000"), out
    rc, out, err = d.cli("exec", "-e", "X=2", "-u", "nobody", "-w", "/tmp", "busy", "sh", "-c",
                         "echo $X $(id -u) $(pwd); exit 5")
    assert rc == 5 and out.split() == ["2", "65534", "/tmp"], (rc, out, err)
    top = d.ok("top", "busy")
    assert "PID" in top and "sleep 1000" in top, top
    rc, out, err = d.cli("exec", "busy", "nosuchcmd")
    assert rc == 127, (rc, out, err)
    d.ok("rm", "-f", "busy")
    rc, out, err = d.cli("exec", "busy", "true")
    assert rc != 0 and "No such container" in err


def test_supervisor_runs_from_sealed_copy(d):
    # CVE-2019-5736: what containers could reach is a sealed memfd copy
    exe = os.readlink("/proc/%d/exe" % d.proc.pid)
    assert exe.startswith("/memfd:berth"), exe
    with open("/proc/%d/exe" % d.proc.pid, "rb") as a, open(d.berth, "rb") as b:
        assert a.read() == b.read()


def test_rmi_refused_while_a_container_uses_the_image(d):
    import io
    import tarfile
    tar = os.path.join(d.root, "solo.tar")
    with tarfile.open(tar, "w") as t:
        data = b"solo\n"
        ti = tarfile.TarInfo("hello")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    d.ok("import", tar, "solo")
    d.ok("create", "--name", "user", "solo", "/hello")
    rc, out, err = d.cli("rmi", "solo")
    assert rc != 0 and "is being used by a container" in err, (rc, err)
    assert "solo" in d.ok("images")
    d.ok("rm", "user")
    d.ok("rmi", "solo")
    assert "solo" not in d.ok("images")


def test_logs_rotate_at_10_mib_keeping_3_files(d):
    cid = d.ok("run", "-d", "--name", "chatty", "busybox", "sh", "-c",
               "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 27000000; echo; echo LAST-LINE")
    assert d.ok("wait", "chatty", timeout=120).strip() == "0"
    logs = os.path.join(d.root, "run/berth/logs")
    files = sorted(f for f in os.listdir(logs) if f.startswith(cid.strip()))
    assert files == [cid.strip() + ".log", cid.strip() + ".log.1", cid.strip() + ".log.2"], files
    for f in files:
        assert os.path.getsize(os.path.join(logs, f)) <= 10 * 1024 * 1024 + 8192
    assert d.ok("logs", "--tail", "1", "chatty") == "LAST-LINE\n"
    d.ok("rm", "chatty")
    assert not [f for f in os.listdir(logs) if f.startswith(cid.strip())]


def test_rm_removes_the_tree_in_the_background(d):
    # the container's tree goes aside at once and /bin/rm (not PID 1's
    # loop) removes it; the supervisor answers meanwhile
    cid = d.ok("run", "-d", "--name", "manyfiles", "busybox", "sh", "-c",
               "mkdir /many && cd /many && for i in $(seq 3000); do : > f$i; done; "
               "touch /done; sleep 1000").strip()
    for _ in range(200):
        rc, _, _ = d.cli("exec", "manyfiles", "test", "-e", "/done")
        if rc == 0:
            break
        time.sleep(0.1)
    assert rc == 0
    ctrs = os.path.join(d.root, "run/berth/containers")
    assert d.ok("rm", "-f", "manyfiles").strip() == "manyfiles"
    assert not os.path.exists(os.path.join(ctrs, cid))
    assert d.ok("ping")
    for _ in range(100):
        if not [n for n in os.listdir(ctrs) if n.startswith(cid)]:
            break
        time.sleep(0.05)
    assert not [n for n in os.listdir(ctrs) if n.startswith(cid)], os.listdir(ctrs)


def test_tree_left_aside_by_a_crash_is_removed_at_start(d):
    d2_root = d.root + "-aside"
    ctrs = os.path.join(d2_root, "run/berth/containers")
    left = os.path.join(ctrs, "a" * 64 + ".removing-123-0")
    os.makedirs(os.path.join(left, "upper/deep"))
    open(os.path.join(left, "upper/deep/file"), "w").close()
    d2 = Daemon(os.path.dirname(d.berth), root=d2_root)
    try:
        for _ in range(100):
            if not os.path.exists(left):
                break
            time.sleep(0.05)
        assert not os.path.exists(left)
        assert d2.ok("ps", "-a", "-q") == ""
    finally:
        d2.stop()


def test_start_attached_prints_this_runs_output_and_exit_code(d):
    d.ok("create", "--name", "again", "busybox", "sh", "-c", "echo run; exit 3")
    # created: attached before its start, as docker start -a
    rc, out, err = d.cli("start", "-a", "again")
    assert (rc, out) == (3, "run\n"), (rc, out, err)
    # exited: started again, only this run's output (the log has both)
    rc, out, err = d.cli("start", "-a", "again")
    assert (rc, out) == (3, "run\n"), (rc, out, err)
    assert d.ok("logs", "again") == "run\nrun\n"
    # -i: our stdin is the container's
    d.ok("create", "-i", "--name", "cat1", "busybox", "sh", "-c", "cat; exit 5")
    rc, out, err = d.cli("start", "-ai", "cat1", input="typed\n")
    assert (rc, out) == (5, "typed\n"), (rc, out, err)
    rc, out, err = d.cli("start", "-ai", "cat1", input="second\n")  # exited: attached once up
    assert (rc, out) == (5, "second\n"), (rc, out, err)
    rc, out, err = d.cli("start", "-a", "again", "cat1")
    assert rc == 1 and "cannot start and attach multiple containers" in err, (rc, err)
    rc, out, err = d.cli("start", "-a", "ghost")
    assert rc == 1 and "No such container: ghost" in err, (rc, err)
    # without -a: the names, as before; a start that fails is exit 1, as
    # docker start (run's 127 for a missing command is run's alone)
    assert d.ok("start", "again", "cat1").split() == ["again", "cat1"]
    d.ok("create", "--name", "nocmd", "busybox", "/no/such/cmd")
    rc, out, err = d.cli("start", "nocmd")
    assert rc == 1 and "/no/such/cmd" in err, (rc, err)
    d.ok("rm", "nocmd")
    # a start -ai that is refused ends its session: the next one gets the
    # same error, not "already attached"
    d.ok("create", "-i", "--name", "nocmdi", "busybox", "/no/such/cmd")
    for _ in range(2):
        rc, out, err = d.cli("start", "-ai", "nocmdi", input="x\n")
        assert rc == 1 and "/no/such/cmd" in err and "attached" not in err, (rc, err)
    d.ok("rm", "nocmdi")
    d.ok("wait", "again")
    d.ok("rm", "-f", "again", "cat1")


ADJ = ("brave calm eager fervent gentle happy jolly keen lucid merry nifty quirky serene "
       "sharp tender upbeat vivid wizardly zealous bold").split()
WHO = ("hopper lovelace turing ritchie thompson torvalds kernighan hamilton liskov knuth "
       "dijkstra noether curie goodall shannon babbage").split()


def test_generated_names_retry_and_600_containers_found(module_daemon):
    """Every "adjective_name" berth generates is taken (and 600 containers
    in all, more than the CLI's lookup used to read): an unnamed create
    gets a name with a digit after it, as Docker's retry gives, instead of
    a name conflict; and a container read last is found by its name."""
    import shutil
    build = os.path.dirname(module_daemon.berth)
    d = Daemon(build)
    try:
        d.import_busybox()
        proto = d.ok("create", "--network", "none", "--name", "proto", "busybox", "true").strip()
        d.stop(remove=False)
        ctrs = os.path.join(d.root, "run/berth/containers")
        names = ["%s_%s" % (a, w) for a in ADJ for w in WHO]
        names += ["x%03d" % i for i in range(599 - len(names))]
        for i, name in enumerate(names):
            cid = "%064x" % (i + 1)
            shutil.copytree(os.path.join(ctrs, proto), os.path.join(ctrs, cid))
            path = os.path.join(ctrs, cid, "config.json")
            with open(path) as f:
                cfg = json.load(f)
            cfg["Id"], cfg["Name"] = cid, name
            with open(path, "w") as f:
                json.dump(cfg, f)
        d = Daemon(build, root=d.root)
        cid = d.ok("create", "--network", "none", "busybox", "true").strip()
        name = d.ok("inspect", "-f", "{{.Name}}", cid).strip()
        assert re.fullmatch(r"/[a-z]+_[a-z]+\d", name), name
        for last in os.listdir(ctrs)[-3:]:  # readdir's order: the ones read last
            with open(os.path.join(ctrs, last, "config.json")) as f:
                want = json.load(f)["Name"]
            assert d.ok("inspect", "-f", "{{.Id}}", want).strip() == last
    finally:
        d.stop()
