"""A full disk under `berth daemon --root DIR`: a container whose /etc
files (hostname, hosts, resolv.conf) cannot be written does not start,
and the error names the file, "No space left on device" and the full
disk, instead of a container running without /etc/hosts.

The containers' directories (ROOT/run/berth/containers) are a small tmpfs
the module mounts in its own temporary root, so nothing else (the
daemon's log, the image store) takes the room the tests measure. Filling
it to exactly the room a `create` takes lets `run` write config.json and
state.json and fail at the first /etc file."""
import errno
import os
import subprocess
import time

from hostenv import Daemon, require_overlay

FULL_HINT = "(the disk holding the root directory is full)"


class Ctx:
    def __init__(self, d, mnt):
        self.d = d
        self.mnt = mnt
        self.fill = os.path.join(mnt, "fill")


def setup_module(build):
    d = Daemon(build)
    mnt = os.path.join(d.root, "run/berth/containers")
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "berth-full", mnt],
                       check=True, capture_output=True, text=True)
        require_overlay(mnt)  # the container that starts once there is room
        d.import_busybox()
    except BaseException:
        teardown_module(Ctx(d, mnt))
        raise
    return Ctx(d, mnt)


def teardown_module(ctx):
    ctx.d.stop(remove=False)
    subprocess.run(["umount", "-l", ctx.mnt], capture_output=True)
    ctx.d.stop()


def free_bytes(ctx):
    st = os.statvfs(ctx.mnt)
    return st.f_bavail * st.f_frsize


def settle(ctx):
    """Wait until no removed container's tree (ID.removing-*) is still being
    deleted in the background: it would give room back after fill_up."""
    for _ in range(200):
        if not any(".removing-" in n for n in os.listdir(ctx.mnt)):
            return
        time.sleep(0.05)
    raise AssertionError("removed trees still there: %s" % os.listdir(ctx.mnt))


def fill_up(ctx, leave=0):
    """Take every free page of the tmpfs, then give back `leave` bytes."""
    settle(ctx)
    fd = os.open(ctx.fill, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)
    size = os.path.getsize(ctx.fill)
    assert size >= leave, (size, leave)
    os.truncate(ctx.fill, size - leave)
    assert free_bytes(ctx) == leave, (free_bytes(ctx), leave)


def room_of_a_create(ctx):
    """What `create` of a container takes there: its config.json and
    state.json."""
    before = free_bytes(ctx)
    ctx.d.ok("create", "--network", "none", "--name", "probe", "busybox", "true")
    used = before - free_bytes(ctx)
    ctx.d.ok("rm", "probe")
    for _ in range(100):  # the supervisor removes the tree in the background
        if free_bytes(ctx) == before:
            break
        time.sleep(0.05)
    assert free_bytes(ctx) == before, (free_bytes(ctx), before)
    assert used > 0
    return used


def state_of(d, name):
    return d.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).strip()


def test_run_without_room_for_the_etc_files_fails(ctx):
    d = ctx.d
    fill_up(ctx, leave=room_of_a_create(ctx))
    try:
        rc, out, err = d.cli("run", "-d", "--network", "none", "--name", "full", "busybox",
                             "cat", "/etc/hosts")
    finally:
        os.unlink(ctx.fill)
    assert rc == 125, (rc, out, err)
    assert "failed to start container" in err, err
    assert "/hostname: No space left on device " + FULL_HINT in err, err
    assert ctx.mnt in err, err
    st = state_of(d, "full")
    assert st.startswith("created "), st
    # With room again the same container starts, with its /etc files.
    assert d.ok("start", "full").strip() == "full"
    for _ in range(100):
        if state_of(d, "full").startswith("exited"):
            break
        time.sleep(0.1)
    assert state_of(d, "full") == "exited 0", state_of(d, "full")
    logs = d.ok("logs", "full")
    assert "127.0.0.1\tlocalhost" in logs, logs
    d.ok("rm", "full")


def test_create_on_a_full_disk_fails(ctx):
    d = ctx.d
    fill_up(ctx)
    try:
        rc, out, err = d.cli("run", "-d", "--network", "none", "--name", "nothing", "busybox",
                             "true")
    finally:
        os.unlink(ctx.fill)
    assert rc == 125, (rc, out, err)
    assert "config.json: No space left on device" in err, err
    assert d.cli("inspect", "nothing")[0] != 0
