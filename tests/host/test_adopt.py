"""`berth daemon` killed with SIGKILL and started again adopts the
containers that still run (issue 14): same pid, still running in ps, its
log goes on with the lines written while no daemon ran, its address and
published port stay, a request written to the control FIFO meanwhile is
answered, and stop/rm work on the adopted container."""
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from hostenv import busybox_tar, keeper_pid

CTX = {}


def setup_module(build):
    holder = subprocess.Popen(["unshare", "-n", "--", "sleep", "1000"])
    ctx = {"berth": os.path.join(build, "berth"), "holder": holder,
           "root": tempfile.mkdtemp(prefix="berth-adopt-"), "procs": []}
    time.sleep(0.1)
    return ctx


def teardown_module(ctx):
    for p in ctx["procs"]:
        if p.poll() is None:
            subprocess.run([ctx["berth"], "--root", ctx["root"], "poweroff"],
                           capture_output=True, timeout=30)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    ctx["holder"].kill()
    ctx["holder"].wait()
    shutil.rmtree(ctx["root"], ignore_errors=True)


def daemon(ctx):
    log = open(os.path.join(ctx["root"], "log"), "a")
    p = subprocess.Popen(["nsenter", "-t", str(ctx["holder"].pid), "-n", "--", ctx["berth"],
                          "daemon", "--root", ctx["root"]], stdout=log, stderr=subprocess.STDOUT)
    ctx["procs"].append(p)
    for _ in range(300):
        if cli(ctx, "ping", check=False)[0] == 0:
            return p
        time.sleep(0.02)
    raise AssertionError(open(os.path.join(ctx["root"], "log")).read())


def cli(ctx, *args, check=True, timeout=30):
    p = subprocess.run([ctx["berth"], "--root", ctx["root"]] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    assert not check or p.returncode == 0, (args, p.stdout, p.stderr)
    return p.returncode, p.stdout, p.stderr


def out(ctx, *args):
    return cli(ctx, *args)[1]


def log_numbers(ctx, name):
    return [int(l.split("line")[-1]) for l in out(ctx, "logs", name).splitlines()
            if "line" in l]


def test_killed_daemon_adopts_running_containers(ctx):
    first = daemon(ctx)
    tar = os.path.join(ctx["root"], "bb.tar")
    busybox_tar(tar)
    cli(ctx, "import", tar, "busybox")
    cli(ctx, "run", "-d", "--name", "talker", "-p", "8094:80", "busybox", "sh", "-c",
        "i=0; while :; do echo line$i; i=$((i+1)); sleep 0.1; done")
    pid = int(out(ctx, "inspect", "-f", "{{.State.Pid}}", "talker"))
    ip = out(ctx, "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "talker").strip()
    time.sleep(0.5)
    before = log_numbers(ctx, "talker")
    assert before, out(ctx, "logs", "talker")
    ctx["keeper"] = keeper_pid(first.pid)
    assert ctx["keeper"], "no berth-keeper child of the daemon"
    first.send_signal(signal.SIGKILL)
    first.wait()
    # No daemon now: the container writes on (the keeper holds its pipe),
    # and a CLI's request waits in the control FIFO.
    answered = []
    t = threading.Thread(target=lambda: answered.append(cli(ctx, "ps", check=False)))
    t.start()
    time.sleep(1.5)
    assert os.path.exists("/proc/%d" % pid)
    daemon(ctx)
    t.join(30)
    assert answered and answered[0][0] == 0 and "talker" in answered[0][1], answered
    ps = out(ctx, "ps")
    assert "talker" in ps and "Up " in ps, ps
    assert int(out(ctx, "inspect", "-f", "{{.State.Pid}}", "talker")) == pid
    assert out(ctx, "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "talker").strip() == ip
    assert out(ctx, "port", "talker").strip() == "80/tcp -> 0.0.0.0:8094"
    # the log goes on, nothing lost while no daemon ran (the pipe kept it)
    time.sleep(0.5)
    after = log_numbers(ctx, "talker")
    assert after[-1] > before[-1] + 15, (before[-1], after[-1])
    assert after == list(range(after[0], after[-1] + 1)), "a gap in the log"
    assert "adopted, pid %d" % pid in open(os.path.join(ctx["root"], "log")).read()


def test_debug_fault_is_refused(ctx):
    # the test-only fault exists for PID 1 booted with berth.debug only
    rc, _, err = cli(ctx, "debug-fault", "SEGV", check=False)
    assert rc == 1 and "debug-fault is refused" in err, (rc, err)
    assert cli(ctx, "ping")[1] == "pong\n"


def test_adopted_container_stops_and_is_removed(ctx):
    pid = int(out(ctx, "inspect", "-f", "{{.State.Pid}}", "talker"))
    t0 = time.monotonic()
    cli(ctx, "stop", "-t", "1", "talker")
    assert time.monotonic() - t0 < 10
    state = out(ctx, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "talker").split()
    # sh as a pid namespace's init ignores SIGTERM: SIGKILL after 1 s. Not
    # our child any more, its status is read while it is a zombie; if its
    # new parent reaped it first, it is unknown (255).
    assert state[0] == "exited" and state[1] in ("137", "255"), state
    assert not os.path.exists("/proc/%d" % pid) or \
        open("/proc/%d/stat" % pid).read().split(")")[1].split()[0] == "Z"
    cli(ctx, "rm", "talker")
    assert "talker" not in out(ctx, "ps", "-a")


def test_clean_exit_ends_the_keeper(ctx):
    d = ctx["procs"][-1]
    keeper = ctx["keeper"]
    cli(ctx, "poweroff")
    d.wait(20)
    for _ in range(100):
        if not os.path.exists("/proc/%d" % keeper) or \
                open("/proc/%d/stat" % keeper).read().split(")")[1].split()[0] == "Z":
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the keeper outlived a clean exit")
    assert not os.path.exists(os.path.join(ctx["root"], "run/berth/keeper.sock"))
