"""Real clients drive berth as their OCI runtime on the build host:
containerd (Debian's package, its runc shim, `ctr run --runc-binary
build/berth`) and podman (conmon, `--runtime build/berth`). Each client
runs in a private mount and network namespace with a tmpfs on /run and
its root, state, sockets and storage in a temporary directory, so the
host's /run, images and network are untouched. The image is a two-layer
OCI archive made here from busybox.

This host's cgroups are v1 hybrid: berth runs containers without a
cgroup there (and says so), so --memory is checked as "runs and warns"
here and as a limit where cgroup2 is usable; the cgroup v2 paths are
tested in the appliance (tests/appliance/test_oci.py)."""
import gzip
import hashlib
import io
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time

import harness
from hostenv import exec_dir


def rootfs_tar_layers(rootfs_dir):
    """Two gzip layers: busybox's tree, then one file (etc/layer2)."""
    layers = []
    for fill in ("tree", "file"):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            if fill == "tree":
                t.add(rootfs_dir, arcname=".")
            else:
                data = b"second layer\n"
                ti = tarfile.TarInfo("etc/layer2")
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        layers.append(raw.getvalue())
    return layers


def oci_archive(rootfs_dir, path, name):
    """An OCI image layout tarball `ctr image import` takes."""
    def blob(t, data):
        d = hashlib.sha256(data).hexdigest()
        add(t, "blobs/sha256/" + d, data)
        return {"digest": "sha256:" + d, "size": len(data)}

    def add(t, name, data):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))

    with tarfile.open(path, "w") as t:
        raws = rootfs_tar_layers(rootfs_dir)
        layers = [dict(blob(t, gzip.compress(r, mtime=0)),
                       mediaType="application/vnd.oci.image.layer.v1.tar+gzip") for r in raws]
        cfg = {"architecture": "amd64", "os": "linux",
               "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
               "rootfs": {"type": "layers",
                          "diff_ids": ["sha256:" + hashlib.sha256(r).hexdigest() for r in raws]}}
        config = dict(blob(t, json.dumps(cfg).encode()),
                      mediaType="application/vnd.oci.image.config.v1+json")
        man = dict(blob(t, json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config, "layers": layers}).encode()),
            mediaType="application/vnd.oci.image.manifest.v1+json",
            annotations={"io.containerd.image.name": name,
                         "org.opencontainers.image.ref.name": "latest"})
        add(t, "index.json", json.dumps({"schemaVersion": 2, "manifests": [man]}).encode())
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')


def make_rootfs(path):
    for d in ("bin", "etc", "tmp", "proc", "sys", "dev"):
        os.makedirs(os.path.join(path, d))
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    shutil.copy("/bin/busybox", os.path.join(path, "bin"))
    for a in subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True,
                            check=True).stdout.split():
        if a != "busybox":
            os.symlink("busybox", os.path.join(path, "bin", a))
    with open(os.path.join(path, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")


class Ns:
    """A private mount+net namespace with a tmpfs on /run and on
    /var/lib/cni, held by a sleeping process; commands run in it with
    nsenter."""

    def __init__(self):
        self.holder = subprocess.Popen(
            ["unshare", "-m", "-n", "--propagation", "private", "sh", "-c",
             # CNI's leases and cache (podman's network) stay in here too
             "mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /var/lib/cni && "
             "mount -t tmpfs -o mode=755 tmpfs /var/lib/cni && echo ready && exec sleep 100000"],
            stdout=subprocess.PIPE, text=True)
        assert self.holder.stdout.readline().strip() == "ready"

    def argv(self, args):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n"] + list(args)

    def run(self, *args, env=None, timeout=60):
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run(self.argv(args), stdout=out, stderr=err, text=True,
                               timeout=timeout, env=env, stdin=subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        return p

    def pty_run(self, *args, env=None, timeout=30):
        """args on a new pty; what it printed and its exit status."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe("nsenter", self.argv(args), env or os.environ)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 1)
            if not r:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        return out.decode(errors="replace"), os.waitstatus_to_exitcode(status)

    def stop(self):
        self.holder.kill()
        self.holder.wait()


def show(p):
    return "rc=%d\nstdout: %s\nstderr: %s" % (p.returncode, p.stdout, p.stderr)


def cgroup2_usable():
    with open("/proc/self/mountinfo") as f:
        return any(" - cgroup2 " in l and l.split()[4] == "/sys/fs/cgroup" for l in f)


class Clients:
    def __init__(self, build):
        for tool in ("containerd", "ctr", "podman", "conmon", "unshare", "nsenter"):
            if not shutil.which(tool):
                harness.skip("%s is not installed (Debian's containerd/podman packages)" % tool)
        self.berth = os.path.abspath(os.path.join(build, "berth"))
        self.tmp = tempfile.mkdtemp(prefix="oci-clients-", dir=exec_dir(build))
        rootfs = os.path.join(self.tmp, "rootfs")
        make_rootfs(rootfs)
        self.image = os.path.join(self.tmp, "bb.tar")
        oci_archive(rootfs, self.image, "docker.io/library/bb:latest")
        self.ns = Ns()
        self.containerd = None
        self.podman_env = None

    # ------------------------------------------------------ containerd
    def start_containerd(self):
        d = os.path.join(self.tmp, "containerd")
        os.makedirs(d)
        self.sock = os.path.join(d, "containerd.sock")
        with open(os.path.join(d, "config.toml"), "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n'
                    '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/opt"\n'
                    % (d, d, self.sock, self.sock, d))
        self.containerd = subprocess.Popen(
            self.ns.argv(["containerd", "--config", os.path.join(d, "config.toml")]),
            stdout=open(os.path.join(d, "log"), "w"), stderr=subprocess.STDOUT)
        self.runc_root = os.path.join(d, "runc")
        for _ in range(100):
            if self.ctr("version").returncode == 0:
                break
            time.sleep(0.1)
        p = self.ctr("image", "import", self.image)
        assert p.returncode == 0, show(p)

    def ctr(self, *args, timeout=60):
        return self.ns.run("ctr", "--address", self.sock, *args, timeout=timeout)

    def ctr_run(self, *args):
        return ["ctr", "--address", self.sock, "run", "--runc-binary", self.berth,
                "--runc-root", self.runc_root] + list(args)

    # ---------------------------------------------------------- podman
    def start_podman(self):
        d = os.path.join(self.tmp, "podman")
        os.makedirs(d)
        with open(os.path.join(d, "containers.conf"), "w") as f:
            # no CAP_SYS_RESOURCE games: no default ulimits
            f.write('[containers]\ndefault_ulimits = []\nlog_driver = "k8s-file"\n'
                    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                    'events_logfile_path = "%s/events.log"\ntmp_dir = "%s/tmp"\n'
                    'static_dir = "%s/static"\n'
                    '[network]\nnetwork_config_dir = "%s/net"\n' % ((d,) * 4))
        # storage as flags, not a storage.conf: conmon's exit command (podman
        # container cleanup) gets the flags, not the environment, and would
        # otherwise look for the default store (20 s of timeout per run)
        self.runroot = tempfile.mkdtemp(prefix="oci-pr-")  # podman wants < 50 characters
        self.storage = ["--root", d + "/graph", "--runroot", self.runroot, "--storage-driver",
                        "vfs"]
        self.podman_env = dict(os.environ, CONTAINERS_CONF=os.path.join(d, "containers.conf"))
        rootfs_tar = os.path.join(self.tmp, "rootfs.tar")
        with tarfile.open(rootfs_tar, "w") as t:
            t.add(os.path.join(self.tmp, "rootfs"), arcname=".")
        p = self.podman("import", rootfs_tar, "localhost/bb")
        assert p.returncode == 0, show(p)

    def podman_argv(self, *args):
        # --log-format makes plain build/berth the OCI runtime (oci.h)
        return ["podman"] + self.storage + ["--runtime", self.berth, "--runtime-flag",
                                            "log-format=json"] + list(args)

    def podman(self, *args, timeout=60):
        return self.ns.run(*self.podman_argv(*args), env=self.podman_env, timeout=timeout)

    def stop(self):
        if self.podman_env:
            self.podman("rm", "-f", "-a", "-t", "0")
            shutil.rmtree(self.runroot, ignore_errors=True)
        if self.containerd:
            # a failed test's tasks: their shims would outlive containerd
            for task in self.ctr("task", "ls", "-q").stdout.split():
                self.ctr("task", "delete", "-f", task)
            for ctr in self.ctr("container", "ls", "-q").stdout.split():
                self.ctr("container", "rm", ctr)
            self.containerd.terminate()
            try:
                self.containerd.wait(10)
            except subprocess.TimeoutExpired:
                self.containerd.kill()
        self.ns.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def setup_module(build):
    c = Clients(build)
    try:
        c.start_containerd()
        c.start_podman()
    except BaseException:
        c.stop()
        raise
    return c


def teardown_module(c):
    c.stop()


def test_containerd_runs_a_multilayer_image(c):
    p = c.ns.run(*c.ctr_run("--rm", "docker.io/library/bb:latest", "r1", "sh", "-c",
                            "cat /etc/layer2; echo $$; exit 3"))
    assert p.returncode == 3, show(p)
    assert p.stdout.split() == ["second", "layer", "1"], show(p)


def test_containerd_detached_exec_kill_delete(c):
    p = c.ns.run(*c.ctr_run("-d", "docker.io/library/bb:latest", "d1", "sleep", "1000"))
    assert p.returncode == 0, show(p)
    p = c.ctr("task", "ls")
    assert "d1" in p.stdout and "RUNNING" in p.stdout, show(p)
    p = c.ctr("task", "exec", "--exec-id", "e1", "d1", "sh", "-c", "echo in-exec; exit 4")
    assert p.returncode == 4 and p.stdout.strip() == "in-exec", show(p)
    p = c.ctr("task", "kill", "-s", "SIGKILL", "d1")
    assert p.returncode == 0, show(p)
    for _ in range(100):
        p = c.ctr("task", "ls")
        if "STOPPED" in p.stdout:
            break
        time.sleep(0.1)
    assert "STOPPED" in p.stdout, show(p)
    # the shim passes --root RUNC_ROOT/NAMESPACE
    state = os.path.join(c.runc_root, "default", "d1")
    assert os.path.exists(os.path.join(state, "state.json")), os.listdir(c.runc_root)
    assert c.ctr("task", "delete", "d1").returncode == 0
    assert not os.path.exists(state), "delete left berth's state"
    assert c.ctr("container", "rm", "d1").returncode == 0


def test_containerd_tty(c):
    out, code = c.ns.pty_run(*c.ctr_run("--rm", "-t", "docker.io/library/bb:latest", "t1",
                                        "sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo yes-tty"))
    assert code == 0 and "yes-tty" in out, (code, out)


def test_podman_run_rm(c):
    p = c.podman("run", "--rm", "--network", "none", "localhost/bb", "sh", "-c",
                 "echo hi; exit 5")
    assert p.returncode == 5 and p.stdout.strip() == "hi", show(p)
    p = c.podman("ps", "-a", "-q")
    assert p.stdout.strip() == "", show(p)


def test_podman_detached_exec_stop_rm(c):
    p = c.podman("run", "-d", "--name", "d2", "--network", "none", "localhost/bb", "sh", "-c",
                 "trap 'exit 0' TERM; while :; do sleep 0.1; done")
    assert p.returncode == 0, show(p)
    p = c.podman("exec", "d2", "sh", "-c", "echo in-exec; cat /proc/1/cmdline | tr '\\0' ' '")
    assert p.returncode == 0 and p.stdout.split()[:2] == ["in-exec", "sh"], show(p)
    t0 = time.monotonic()
    p = c.podman("stop", "-t", "10", "d2")
    assert p.returncode == 0 and time.monotonic() - t0 < 8, show(p)  # TERM, not the KILL
    p = c.podman("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "d2")
    assert p.stdout.split() == ["exited", "0"], show(p)
    assert c.podman("rm", "d2").returncode == 0


def test_podman_it_through_a_pty(c):
    out, code = c.ns.pty_run(*c.podman_argv("run", "--rm", "-it", "--network", "none",
                                            "localhost/bb", "sh", "-c",
                                            "[ -t 0 ] && [ -t 1 ] && echo yes-tty; exit 2"),
                             env=c.podman_env)
    assert code == 2 and "yes-tty" in out, (code, out)


def test_podman_memory(c):
    """Where cgroup2 is usable the limit is in the container's cgroup; on
    a v1 host berth runs it without one (its warning goes to conmon,
    which shows a runtime's stderr only on failure)."""
    p = c.podman("run", "--rm", "--memory", "64m", "--network", "none", "localhost/bb", "sh",
                 "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null || echo none")
    assert p.returncode == 0, show(p)
    if cgroup2_usable():
        assert p.stdout.strip() == "67108864", show(p)
    else:
        assert p.stdout.strip() == "none", show(p)


def test_podman_published_port(c):
    """-p 127.0.0.1:PORT:80 with podman's own network (CNI's bridge and
    portmap, in this test's network namespace): busybox httpd in the
    container answers on the published port."""
    if not os.path.exists("/usr/lib/cni/portmap"):
        harness.skip("no CNI plugins (containernetworking-plugins) for podman's network")
    assert c.ns.run("ip", "link", "set", "lo", "up").returncode == 0
    p = c.podman("run", "-d", "--name", "web", "-p", "127.0.0.1:18080:80", "localhost/bb",
                 "httpd", "-f", "-p", "80", "-h", "/etc")
    try:
        assert p.returncode == 0, show(p)
        for _ in range(50):
            q = c.ns.run("busybox", "wget", "-qO-", "http://127.0.0.1:18080/passwd")
            if q.returncode == 0:
                break
            time.sleep(0.1)
        assert q.returncode == 0 and "root:x:0:0" in q.stdout, show(q)
    finally:
        c.podman("rm", "-f", "-t", "0", "web")
