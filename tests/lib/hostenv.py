"""Host-test helpers: a `berth daemon --root DIR` of our own and a busybox
image made from Debian's busybox-static, imported into its store."""
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import time


def busybox_tar(path):
    """A minimal rootfs: busybox, its applets as symlinks, passwd/group."""
    applets = subprocess.run(["/bin/busybox", "--list-full"], capture_output=True,
                             text=True, check=True).stdout.split()
    with tarfile.open(path, "w") as t:
        def add_dir(name, mode=0o755):
            ti = tarfile.TarInfo(name)
            ti.type = tarfile.DIRTYPE
            ti.mode = mode
            t.addfile(ti)

        def add_file(name, data, mode=0o644):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = mode
            t.addfile(ti, io.BytesIO(data))

        for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "dev", "proc",
                  "sys"):
            add_dir(d)
        add_dir("tmp", 0o1777)
        with open("/bin/busybox", "rb") as f:
            add_file("bin/busybox", f.read(), 0o755)
        for a in applets:
            if a == "bin/busybox":
                continue
            ti = tarfile.TarInfo(a)
            ti.type = tarfile.SYMTYPE
            ti.linkname = "/bin/busybox"
            t.addfile(ti)
        add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                               b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        add_file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")


class Daemon:
    def __init__(self, build, parent=None, netns=True, root=None, args=()):
        """The daemon runs in a network namespace of its own (`unshare -n`;
        netns=True, the default, as containers go on a bridge by default),
        so its bridge, veths and rules never touch the machine's;
        netexec() runs commands there."""
        self.berth = os.path.join(build, "berth")
        # root: a daemon again over an earlier one's root (after stop(remove=False))
        self.root = root or tempfile.mkdtemp(prefix="berth-host-", dir=parent)
        self.log = open(os.path.join(self.root, "daemon.log"), "a+")
        prefix = ["unshare", "-n", "--"] if netns else []
        self.proc = subprocess.Popen(prefix + [self.berth, "daemon", "--root", self.root] +
                                     list(args),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.control = os.path.join(self.root, "run/berth/control")
        for _ in range(200):
            if os.path.exists(self.control):
                break
            time.sleep(0.01)
        assert os.path.exists(self.control), self.logtext()

    def cli(self, *args, timeout=30, input=None):
        p = subprocess.run([self.berth, "--root", self.root] + list(args), input=input,
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, timeout=30):
        rc, out, err = self.cli(*args, timeout=timeout)
        assert rc == 0, "berth %s exited %d:\n%s%s" % (" ".join(args), rc, out, err)
        return out

    def import_busybox(self, name="busybox"):
        tar = os.path.join(self.root, "busybox.tar")
        busybox_tar(tar)
        self.ok("import", tar, name)

    def netexec(self, *cmd, check=True):
        """Run cmd in the daemon's network namespace (unshare execs the
        daemon, so its pid is ours); returns stdout."""
        p = subprocess.run(["nsenter", "-t", str(self.proc.pid), "-n", "--"] + list(cmd),
                           capture_output=True, text=True, timeout=30)
        assert not check or p.returncode == 0, (cmd, p.returncode, p.stdout, p.stderr)
        return p.stdout

    def write_raw(self, data):
        fd = os.open(self.control, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, remove=True):
        if self.alive():
            subprocess.run([self.berth, "--root", self.root, "poweroff"],
                           capture_output=True, timeout=30)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)
