"""How long the CLI waits for the supervisor (issue 14): as long as the
supervisor holds the request and lives (its keep-alive bytes), not a fixed
15 s; a wedged supervisor (SIGSTOP) and a dead one (SIGKILL) are still
detected. And a start under way when the daemon is killed is ended by the
next daemon, not left behind. BERTH_CLIENT_TIMEOUT=3 shortens the CLI's
silence limit from 15 s so the tests stay short."""
import os
import select
import signal
import subprocess
import time

from hostenv import Daemon, busybox_daemon

ENV = dict(os.environ, BERTH_CLIENT_TIMEOUT="3")


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def cli_bg(d, *args):
    return subprocess.Popen([d.berth, "--root", d.root] + list(args), env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def hung_run(d, name):
    """`run -d` of a container whose start blocks until its /etc/passwd (a
    FIFO) is written; returns (the CLI, the FIFO)."""
    fifo = os.path.join(d.root, name + ".pw")
    os.mkfifo(fifo)
    p = cli_bg(d, "run", "-d", "--name", name, "-v", fifo + ":/etc/passwd:ro", "busybox",
               "sleep", "1000")
    for _ in range(100):
        if name in d.ok("ps", "-a", "--format", "{{.Names}}").split():
            break
        time.sleep(0.05)
    return p, fifo


def release(fifo):
    with open(fifo, "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")


def restart_daemon(d):
    d2 = Daemon(os.path.dirname(d.berth), root=d.root)
    d.proc, d.log = d2.proc, d2.log
    assert d.ok("ping") == "pong\n"  # it has loaded the containers


def test_a_start_longer_than_the_limit_is_waited_for(d):
    # the start takes 5 s, the CLI's silence limit is 3 s: before the
    # keep-alives it gave up ("no reply from the supervisor within 3 s")
    p, fifo = hung_run(d, "slow")
    time.sleep(5)
    assert p.poll() is None, p.communicate()
    release(fifo)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and len(out.strip()) == 64, (p.returncode, out, err)
    assert d.ok("inspect", "-f", "{{.State.Status}}", "slow").strip() == "running"


def test_a_held_request_gets_keepalive_bytes(d):
    # the protocol: a deferred request's FIFO gets a NUL at once and every
    # second; the answer (here, the exit code) comes after them
    d.ok("run", "-d", "--name", "ka", "busybox", "sleep", "1000")
    reply = os.path.join(d.root, "run/berth/reply/raw-wait")
    os.mkfifo(reply, 0o600)
    rfd = os.open(reply, os.O_RDONLY | os.O_NONBLOCK)
    try:
        d.write_raw(("@%s wait ka\n" % reply).encode())
        got, t0 = b"", time.monotonic()
        while got.count(b"\0") < 3 and time.monotonic() - t0 < 10:
            select.select([rfd], [], [], 1)
            got += os.read(rfd, 100)
        assert got == b"\0\0\0", got
        assert 0.5 < time.monotonic() - t0 < 5  # (the first two may come together)
        d.ok("kill", "ka")
        while b"@status" not in got and time.monotonic() - t0 < 20:
            select.select([rfd], [], [], 1)
            got += os.read(rfd, 100)
        assert got.lstrip(b"\0") == b"137\n@status 0\n", got
    finally:
        os.close(rfd)
        os.unlink(reply)
    d.ok("rm", "ka")


def test_a_wedged_supervisor_is_detected(d):
    w = cli_bg(d, "wait", "slow")  # held by the supervisor: keep-alives
    time.sleep(1)
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        r = subprocess.run([d.berth, "--root", d.root, "ps"], env=ENV, capture_output=True,
                           text=True, timeout=30)
        took = time.monotonic() - t0
        _, werr = w.communicate(timeout=30)
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    # not read at all: 3 s, and 3 more as the queue did not move
    assert r.returncode == 1 and "no reply from the supervisor within 3 s" in r.stderr, r
    assert took < 12, took
    assert w.returncode == 1, werr
    assert "the supervisor stopped answering (nothing for 3 s" in werr, werr
    assert d.ok("ping") == "pong\n"


def test_a_dead_supervisor_is_detected_at_once(d):
    w = cli_bg(d, "wait", "slow")
    time.sleep(1)
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    t0 = time.monotonic()
    _, err = w.communicate(timeout=30)
    assert w.returncode == 1 and "the supervisor went away before answering" in err, err
    assert time.monotonic() - t0 < 1.5
    restart_daemon(d)
    # the container outlived it and was adopted
    assert d.ok("inspect", "-f", "{{.State.Status}}", "slow").strip() == "running"


def start_child(d):
    """The daemon's child that is not its keeper: the start's."""
    with open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)) as f:
        kids = [int(k) for k in f.read().split()]
    return [k for k in kids if open("/proc/%d/comm" % k).read().strip() != "berth-keeper"]


def test_a_start_under_way_is_ended_by_the_next_daemon(d):
    p, fifo = hung_run(d, "mid")
    for _ in range(100):  # the CLI's start follows its create
        kids = start_child(d)
        if kids:
            break
        time.sleep(0.05)
    assert len(kids) == 1, kids
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    _, err = p.communicate(timeout=30)
    assert p.returncode != 0 and "went away before answering" in err, err
    restart_daemon(d)
    st = d.ok("inspect", "-f", "{{.State.Status}}|{{.State.ExitCode}}|{{.State.Error}}", "mid")
    assert st.strip() == "created|125|the start was interrupted: the supervisor was killed", st
    # the child is gone (a zombie at most, until its new parent reaps it)
    state = ""
    if os.path.exists("/proc/%d/stat" % kids[0]):
        state = open("/proc/%d/stat" % kids[0]).read().rsplit(")", 1)[1].split()[0]
    assert state in ("", "Z"), state
    assert "(mid): its start was under way when the supervisor was killed; ended" in d.logtext()
    # and it starts cleanly again
    w = cli_bg(d, "start", "mid")
    time.sleep(0.5)
    release(fifo)
    out, err = w.communicate(timeout=30)
    assert w.returncode == 0, err
    assert d.ok("inspect", "-f", "{{.State.Status}}", "mid").strip() == "running"
    d.ok("rm", "-f", "mid", "slow")
