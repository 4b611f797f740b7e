"""`berth oci` (the OCI runtime, runc's command line) driven directly
against a busybox bundle on the build host, as root. The test process is
a child subreaper, as containerd's shim and conmon are: create's runtime
process exits and the container's init becomes our child, waiting on
exec.fifo until start. What needs cgroup v2 (pause, resume, update,
cgroupsPath) is checked in the appliance (tests/appliance/test_oci.py);
here, on a v1 host, the test checks that those verbs say why they cannot
work. Every container lives in its own namespaces; nothing touches the
host's network."""
import ctypes
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import harness
from hostenv import exec_dir

PR_SET_CHILD_SUBREAPER = 36


class Bundle:
    def __init__(self, build):
        self.berth = os.path.join(build, "berth")
        # the rootfs is bind-mounted as it is: not under a noexec TMPDIR
        self.dir = tempfile.mkdtemp(prefix="oci-", dir=exec_dir(build))
        self.root = os.path.join(self.dir, "state")
        rootfs = os.path.join(self.dir, "rootfs")
        for d in ("bin", "etc", "tmp", "proc", "sys", "dev"):
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy("/bin/busybox", os.path.join(rootfs, "bin"))
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True,
                                 check=True).stdout.split()
        for a in applets:
            if a != "busybox":
                os.symlink("busybox", os.path.join(rootfs, "bin", a))
        with open(os.path.join(rootfs, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/tmp:/bin/sh\n")
        p = self.oci("spec", "--bundle", self.dir)
        assert p.returncode == 0, show(p)
        with open(os.path.join(self.dir, "config.json")) as f:
            self.spec = json.load(f)
        self.spec["process"]["terminal"] = False
        self.spec["root"]["readonly"] = False
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0

    def oci(self, *args, log=None, inp=None, timeout=30):
        """Output to files, not pipes: a created container's init keeps
        the runtime's stdio (as with runc), so a pipe would not end."""
        glob = ["--root", self.root]
        if log:
            glob += ["--log", log, "--log-format", "json"]
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run([self.berth, "oci"] + glob + list(args), stdout=out, stderr=err,
                               text=True, timeout=timeout, input=inp)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        return p

    def config(self, args, **changes):
        """Write config.json: the default spec with this command and the
        given top-level/process/linux changes (keys "process.x", "linux.x")."""
        c = json.loads(json.dumps(self.spec))
        c["process"]["args"] = list(args)
        for k, v in changes.items():
            where, _, key = k.rpartition("__")
            (c[where] if where else c)[key] = v
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(c, f)

    def create(self, cid, args, pid_file=None, **changes):
        self.config(args, **changes)
        extra = ["--pid-file", pid_file] if pid_file else []
        return self.oci("create", "--bundle", self.dir, *extra, cid)

    def status(self, cid):
        p = self.oci("state", cid)
        assert p.returncode == 0, show(p)
        return json.loads(p.stdout)

    def cleanup(self, cid):
        self.oci("delete", "--force", cid)
        reap()

    def stop(self):
        for cid in os.listdir(self.root) if os.path.isdir(self.root) else []:
            self.cleanup(cid)
        shutil.rmtree(self.dir, ignore_errors=True)


def reap():
    """Collect our exited adopted children (we are their subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_status(b, cid, want, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap()
        st = b.status(cid)
        if st["status"] == want:
            return st
        time.sleep(0.05)
    raise AssertionError("%s: status %s, want %s" % (cid, st["status"], want))


def show(p):
    return "rc=%d\nstdout: %s\nstderr: %s" % (p.returncode, p.stdout, p.stderr)


def setup_module(build):
    return Bundle(build)


def teardown_module(b):
    b.stop()


def test_spec_refuses_to_overwrite(b):
    p = b.oci("spec", "--bundle", b.dir)
    assert p.returncode == 1 and "exists" in p.stderr, show(p)
    assert b.spec["ociVersion"].startswith("1.") and b.spec["process"]["args"] == ["sh"]


def test_run_output_and_exit_code(b):
    b.config(["sh", "-c", "echo out; echo err >&2; hostname; echo $$; exit 7"])
    p = b.oci("run", "--bundle", b.dir, "r1")
    assert p.returncode == 7, show(p)
    assert p.stdout.split() == ["out", "berth", "1"], show(p)
    assert "err" in p.stderr, show(p)
    assert not os.path.exists(os.path.join(b.root, "r1")), "run left its state"


def test_create_waits_until_start(b):
    pid_file = os.path.join(b.dir, "c1.pid")
    marker = os.path.join(b.dir, "rootfs/tmp/started")
    p = b.create("c1", ["sh", "-c", "touch /tmp/started; exec sleep 60"], pid_file=pid_file)
    try:
        assert p.returncode == 0, show(p)
        st = b.status("c1")
        with open(pid_file) as f:
            pid = int(f.read())
        assert st["status"] == "created" and st["pid"] == pid, st
        assert st["bundle"] == b.dir and st["id"] == "c1", st
        # the init exists (our child now) but has not run the command
        assert os.path.exists("/proc/%d" % pid)
        time.sleep(0.2)
        assert not os.path.exists(marker), "the command ran before start"
        p = b.oci("start", "c1")
        assert p.returncode == 0, show(p)
        assert b.status("c1")["status"] == "running"
        for _ in range(100):
            if os.path.exists(marker):
                break
            time.sleep(0.02)
        assert os.path.exists(marker), "the command did not run after start"
        p = b.oci("start", "c1")
        assert p.returncode == 1 and "running" in p.stderr, show(p)
        p = b.oci("ps", "--format", "json", "c1")
        assert p.returncode == 0 and json.loads(p.stdout) == [pid], show(p)
        p = b.oci("list", "--format", "json")
        assert [s["id"] for s in json.loads(p.stdout)] == ["c1"], show(p)
    finally:
        b.cleanup("c1")


def test_exec_argv_process_json_and_detach(b):
    p = b.create("e1", ["sleep", "60"], process__env=["PATH=/bin", "FROM=config"])
    try:
        assert p.returncode == 0 and b.oci("start", "e1").returncode == 0, show(p)
        p = b.oci("exec", "e1", "sh", "-c", "echo $FROM; tr '\\0' ' ' < /proc/1/cmdline")
        assert p.returncode == 0 and p.stdout.split() == ["config", "sleep", "60"], show(p)
        p = b.oci("exec", "e1", "sh", "-c", "exit 3")
        assert p.returncode == 3, show(p)
        proc = os.path.join(b.dir, "proc.json")
        with open(proc, "w") as f:
            json.dump({"args": ["sh", "-c", "id -u; echo $X"], "cwd": "/tmp",
                       "env": ["PATH=/bin", "X=from-process"],
                       "user": {"uid": 1000, "gid": 1000}}, f)
        p = b.oci("exec", "--process", proc, "e1")
        assert p.returncode == 0 and p.stdout.split() == ["1000", "from-process"], show(p)
        pid_file = os.path.join(b.dir, "exec.pid")
        p = b.oci("exec", "--detach", "--pid-file", pid_file, "e1", "sleep", "30")
        assert p.returncode == 0, show(p)
        with open(pid_file) as f:
            epid = int(f.read())
        p = b.oci("ps", "--format", "json", "e1")
        assert p.returncode == 0, show(p)
        with open("/proc/%d/status" % epid) as f:
            nspid = [l for l in f if l.startswith("NSpid:")][0].split()
        assert len(nspid) == 3, nspid  # host pid, then its pid inside the container
    finally:
        b.cleanup("e1")


def test_kill_names_numbers_and_stopped(b):
    p = b.create("k1", ["sleep", "60"])
    try:
        assert p.returncode == 0 and b.oci("start", "k1").returncode == 0, show(p)
        p = b.oci("kill", "k1", "SIGFOO")
        assert p.returncode == 1 and "unknown signal" in p.stderr, show(p)
        # sleep as pid 1 ignores TERM (no handler in a pid namespace's init)
        p = b.oci("kill", "k1", "TERM")
        assert p.returncode == 0, show(p)
        time.sleep(0.2)
        assert b.status("k1")["status"] == "running"
        p = b.oci("kill", "--all", "k1", "9")
        assert p.returncode == 0, show(p)
        assert wait_status(b, "k1", "stopped")["pid"] == 0
        p = b.oci("kill", "k1", "KILL")
        assert p.returncode == 1 and "container not running" in p.stderr, show(p)
        assert b.oci("delete", "k1").returncode == 0
        p = b.oci("state", "k1")
        assert p.returncode == 1 and "container does not exist" in p.stderr, show(p)
        assert b.oci("delete", "--force", "k1").returncode == 0
    finally:
        b.cleanup("k1")


def test_delete_running_needs_force(b):
    p = b.create("d1", ["sleep", "60"])
    try:
        assert p.returncode == 0 and b.oci("start", "d1").returncode == 0, show(p)
        pid = b.status("d1")["pid"]
        p = b.oci("delete", "d1")
        assert p.returncode == 1 and "not stopped: running" in p.stderr, show(p)
        p = b.oci("delete", "--force", "d1")
        assert p.returncode == 0, show(p)
        reap()
        assert not os.path.exists("/proc/%d" % pid)
        assert not os.path.exists(os.path.join(b.root, "d1"))
    finally:
        b.cleanup("d1")


def test_errors_as_json_log_lines(b):
    log = os.path.join(b.dir, "log.json")
    b.config(["true"], process__cwd="relative")
    p = b.oci("create", "--bundle", b.dir, "bad1", log=log)
    assert p.returncode == 1, show(p)
    assert "process.cwd: must be an absolute path" in p.stderr, show(p)
    with open(log) as f:
        line = json.loads(f.read().splitlines()[-1])
    assert line["level"] == "error" and "process.cwd" in line["msg"] and line["time"], line
    assert not os.path.exists(os.path.join(b.root, "bad1")), "a failed create left state"
    b.config(["/no/such/program"])
    p = b.oci("create", "--bundle", b.dir, "bad2", log=log)
    assert p.returncode == 1 and "/no/such/program" in p.stderr, show(p)
    assert not os.path.exists(os.path.join(b.root, "bad2"))
    p = b.oci("--systemd-cgroup", "list")
    assert p.returncode == 1 and "--systemd-cgroup is not supported" in p.stderr, show(p)
    p = b.oci("create", "--bundle", b.dir, "../x")
    assert p.returncode == 1 and "invalid container id" in p.stderr, show(p)


def test_console_socket_gets_the_pty(b):
    path = os.path.join(b.dir, "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    try:
        p = b.create("t1", ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo tty-yes; stty size"],
                     process__terminal=True, process__consoleSize={"height": 33, "width": 101})
        assert p.returncode == 1 and "console-socket" in p.stderr, show(p)
        b.config(["sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo tty-yes; stty size"],
                 process__terminal=True, process__consoleSize={"height": 33, "width": 101})
        p = subprocess.Popen([b.berth, "oci", "--root", b.root, "create", "--bundle", b.dir,
                              "--console-socket", path, "t1"], stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        _, fds, _, _ = socket.recv_fds(conn, 64, 1)
        conn.close()
        assert p.wait(30) == 0, p.stderr.read()
        assert len(fds) == 1
        assert b.oci("start", "t1").returncode == 0
        out = b""
        deadline = time.monotonic() + 10
        while b"101" not in out and time.monotonic() < deadline:
            try:
                out += os.read(fds[0], 1024)
            except OSError:
                break
        os.close(fds[0])
        assert b"tty-yes" in out and b"33 101" in out, out
    finally:
        srv.close()
        b.cleanup("t1")


def test_hooks_get_the_state(b):
    out = os.path.join(b.dir, "hooks")
    os.makedirs(out)
    hook = lambda name: {"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s" % (out, name)]}
    b.config(["sleep", "60"])
    with open(os.path.join(b.dir, "config.json")) as f:
        c = json.load(f)
    c["hooks"] = {k: [hook(k)] for k in ("prestart", "createRuntime", "poststart", "poststop")}
    with open(os.path.join(b.dir, "config.json"), "w") as f:
        json.dump(c, f)
    try:
        p = b.oci("create", "--bundle", b.dir, "h1")
        assert p.returncode == 0, show(p)
        pid = b.status("h1")["pid"]
        assert sorted(os.listdir(out)) == ["createRuntime", "prestart"]
        with open(os.path.join(out, "prestart")) as f:
            st = json.load(f)
        assert st["id"] == "h1" and st["pid"] == pid and st["bundle"] == b.dir, st
        assert b.oci("start", "h1").returncode == 0
        with open(os.path.join(out, "poststart")) as f:
            assert json.load(f)["status"] == "running"
        assert b.oci("delete", "--force", "h1").returncode == 0
        with open(os.path.join(out, "poststop")) as f:
            assert json.load(f)["status"] == "stopped"
    finally:
        b.cleanup("h1")


def test_config_applied_inside(b):
    """user, groups, rlimits, capabilities, a read-only bind, a tmpfs,
    masked paths, sysctl, a joined network namespace."""
    shared = os.path.join(b.dir, "shared")
    os.makedirs(shared)
    with open(os.path.join(shared, "f"), "w") as f:
        f.write("from-host\n")
    p = b.create("n1", ["sleep", "60"])
    assert p.returncode == 0 and b.oci("start", "n1").returncode == 0, show(p)
    try:
        npid = b.status("n1")["pid"]
        mounts = b.spec["mounts"] + [
            {"destination": "/shared", "type": "bind", "source": shared,
             "options": ["rbind", "ro"]},
            {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
             "options": ["size=1m", "nosuid"]}]
        ns = [n for n in b.spec["linux"]["namespaces"] if n["type"] != "network"]
        ns.append({"type": "network", "path": "/proc/%d/ns/net" % npid})
        script = ("id; ulimit -n; grep CapBnd /proc/self/status; cat /shared/f; "
                  "touch /shared/x 2>/dev/null || echo ro; grep /scratch /proc/mounts; "
                  "cat /proc/interrupts 2>&1 | wc -c; cat /proc/sys/net/ipv4/ip_unprivileged_port_start;"
                  " readlink /proc/self/ns/net")
        b.config(["sh", "-c", script], mounts=mounts,
                 process__user={"uid": 1000, "gid": 1000, "additionalGids": [5]},
                 process__rlimits=[{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}],
                 process__capabilities={k: ["CAP_KILL"] for k in ("bounding", "effective",
                                                                 "permitted")},
                 linux__namespaces=ns, linux__maskedPaths=["/proc/interrupts"], linux__sysctl={"net.ipv4.ip_unprivileged_port_start": "99"})
        # the sysctl is the joined netns's: set it there, read it back
        p = b.oci("run", "--bundle", b.dir, "n2")
        assert p.returncode == 0, show(p)
        lines = p.stdout.splitlines()
        assert lines[0].startswith("uid=1000(user) gid=1000 groups=5"), lines
        assert lines[1] == "123", lines
        assert lines[2].split() == ["CapBnd:", "0000000000000020"], lines
        assert lines[3:5] == ["from-host", "ro"], lines
        assert "/scratch tmpfs" in lines[5] and "nosuid" in lines[5], lines
        assert lines[6] == "0", lines  # masked by /dev/null
        assert lines[7] == "99", lines
        assert lines[8] == os.readlink("/proc/%d/ns/net" % npid), lines
    finally:
        b.cleanup("n1")


def test_no_cgroup2_here_says_why(b):
    """On a host without a usable cgroup2 (v1 hybrid) the container runs
    without a cgroup, create warns, and pause/update say why; where
    cgroup2 is usable the appliance test covers those verbs."""
    with open("/proc/self/mountinfo") as f:
        v2 = any(l.split(" - ")[1].startswith("cgroup2 ") and l.split()[4] == "/sys/fs/cgroup"
                 for l in f)
    if v2:
        harness.skip("this host has cgroup2 at /sys/fs/cgroup: pause/update are tested in "
                     "the appliance")
    p = b.create("v1", ["sleep", "60"])
    try:
        assert p.returncode == 0 and "cgroup v2 is not usable" in p.stderr, show(p)
        assert b.oci("start", "v1").returncode == 0
        for verb in (["pause"], ["update", "--resources", "-"], ["events", "--stats"]):
            p = b.oci(*verb, "v1", inp="{}")
            assert p.returncode == 1 and "no cgroup" in p.stderr, show(p)
    finally:
        b.cleanup("v1")


def test_preserve_fds(b):
    """--preserve-fds N: the caller's fds 3..3+N-1 reach the process (as
    for socket activation); the ones above are closed."""
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    os.write(w1, b"through-fd-3\n")
    os.close(w1)
    try:
        b.config(["sh", "-c", "cat <&3; [ -e /proc/$$/fd/4 ] && echo open4 || echo closed4"])
        with tempfile.TemporaryFile("w+") as out:
            # a shell puts the pipes on 3 and 4 of the runtime, not of this process
            p = subprocess.run(["sh", "-c", 'exec 3<&%d 4<&%d "$@"' % (r1, r2), "sh", b.berth,
                                "oci", "--root", b.root, "run", "--bundle", b.dir,
                                "--preserve-fds", "1", "p1"], stdout=out,
                               stderr=subprocess.DEVNULL, pass_fds=(r1, r2), timeout=30)
            out.seek(0)
            lines = out.read().split()
        assert p.returncode == 0, lines
        assert lines == ["through-fd-3", "closed4"], lines
    finally:
        for fd in (r1, r2, w2):
            os.close(fd)
        b.cleanup("p1")
