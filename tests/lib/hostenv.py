"""Host-test helpers: a `berth daemon --root DIR` of our own, a busybox
image made from Debian's busybox-static, imported into its store, and what
the host must have for containers, checked by a module's setup_module
(skipped with the reason otherwise): require_overlay() for any container,
require_bridge_network() for containers on the default bridge network."""
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import time

import harness

PROXY_VARS = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")


def no_proxy_env():
    """This environment less a host's proxy settings (http_proxy & co.),
    which would send wget's requests to a published port the proxy's way."""
    return {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARS}


# What `berth daemon` runs for a bridge (runtime/iptables.c; the host's,
# unless BERTH_IPTABLES_RESTORE names another).
IPTABLES_RESTORE = "/sbin/iptables-restore"

# The kinds of rule berth writes: the bridge's (ipt_bridge_rules) and a
# published port's (ports.c), for a bridge of the probe's own.
_PROBE_RULES = """*nat
:BERTH - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH
-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH
-A POSTROUTING -s 172.31.254.0/24 ! -o bprobe0 -j MASQUERADE
-A BERTH -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.31.254.2:80
-A BERTH -d 172.31.254.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.31.254.2:53
COMMIT
*filter
:BERTH-FORWARD - [0:0]
-A FORWARD -j BERTH-FORWARD
-A BERTH-FORWARD -o bprobe0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A BERTH-FORWARD -i bprobe0 ! -o bprobe0 -j ACCEPT
COMMIT
"""

# Each step prints what it needs before it runs; the last line printed
# names what failed.
_PROBE_SCRIPT = """
set -e
echo "a bridge (ip link add type bridge: CONFIG_BRIDGE)"
ip link add bprobe0 type bridge
echo "a veth pair (ip link add type veth: CONFIG_VETH)"
ip link add vprobe0 type veth peer name vprobe1
echo "a veth on the bridge"
ip link set vprobe0 master bprobe0
ip addr add 172.31.254.1/24 dev bprobe0
ip link set bprobe0 up
echo "route_localnet and ip_forward on (/proc/sys/net/ipv4)"
echo 1 > /proc/sys/net/ipv4/conf/bprobe0/route_localnet
echo 1 > /proc/sys/net/ipv4/ip_forward
echo "berth's iptables rules (nat: addrtype, MASQUERADE, DNAT; filter: conntrack)"
"$0" --noflush --wait
echo ok
"""

_bridge_lack = []


def bridge_network_lack():
    """None if this host can give containers berth's default bridge
    network, else what it lacks. The daemon needs a bridge, veth pairs,
    two IPv4 sysctls and iptables-restore taking its rules (NAT with
    addrtype and MASQUERADE, DNAT, conntrack): host kernel features and
    modules, and the iptables package. Tried once, in a network namespace
    of its own (gone when the probe ends: nothing touches the machine's
    network)."""
    if _bridge_lack:
        return _bridge_lack[0]
    lack = None
    if not os.access(IPTABLES_RESTORE, os.X_OK):
        lack = "no %s (Debian package iptables), which berth daemon runs" % IPTABLES_RESTORE
    else:
        # ip and unshare are build.sh's (iproute2, util-linux): missing, fail
        for tool in ("ip", "unshare"):
            assert shutil.which(tool), "%s is missing: build.sh installs it" % tool
        p = subprocess.run(["unshare", "-n", "--", "/bin/sh", "-c", _PROBE_SCRIPT,
                            IPTABLES_RESTORE], input=_PROBE_RULES, capture_output=True,
                           text=True, timeout=60)
        steps = [x for x in p.stdout.split("\n") if x]
        if p.returncode != 0 or steps[-1:] != ["ok"]:
            err = " ".join(p.stderr.split())[-300:] or "exit status %d" % p.returncode
            if not steps:
                lack = "no network namespace (unshare -n; CONFIG_NET_NS): %s" % err
            else:
                lack = "%s failed on this host: %s" % (steps[-1], err)
    _bridge_lack.append(lack)
    return lack


def require_bridge_network():
    """For a module's setup_module, before anything else: skip its tests
    (harness.Skip) with the reason when this host cannot run berth's default
    bridge network (bridge_network_lack)."""
    lack = bridge_network_lack()
    if lack:
        harness.skip("bridge network: " + lack)


_OVERLAY_SCRIPT = """
set -e
cd "$1"
mkdir l1 l2 u w m l1/d
echo lower > l1/f
echo lower > l1/d/f
echo "an overlay mount (overlayfs: CONFIG_OVERLAY_FS; upperdir on $2)"
mount -t overlay overlay -o lowerdir=l2:l1,upperdir=u,workdir=w m
echo "a write, a whiteout and an opaque directory in the overlay (upperdir on $2)"
echo new > m/g
rm m/f
rm -r m/d
mkdir m/d
echo ok
"""

_overlay_lack = {}


def overlay_lack(parent):
    """None if overlayfs works as berth mounts it (two lower layers, an
    upper and a work directory) with its directories under parent, where a
    test keeps them (TMPDIR): a host kernel feature, and a property of
    parent's filesystem (not overlayfs itself, e.g. inside a container;
    whiteouts, trusted.* xattrs). Else what failed. Tried once per filesystem, in a
    mount namespace of its own."""
    dev = os.stat(parent).st_dev
    if dev in _overlay_lack:
        return _overlay_lack[dev]
    fs = subprocess.run(["stat", "-f", "-c", "%T", parent], capture_output=True,
                        text=True).stdout.strip() or "?"
    tmp = tempfile.mkdtemp(prefix="berth-ovl-probe-", dir=parent)
    try:
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c",
                            _OVERLAY_SCRIPT, "sh", tmp, "%s, %s" % (fs, parent)],
                           capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    steps = [x for x in p.stdout.split("\n") if x]
    lack = None
    if p.returncode != 0 or steps[-1:] != ["ok"]:
        err = " ".join(p.stderr.split())[-300:] or "exit status %d" % p.returncode
        lack = "%s failed on this host: %s%s" % (
            steps[-1] if steps else "a mount namespace (unshare -m)", err,
            "; TMPDIR may name a directory elsewhere" if steps else "")
    _overlay_lack[dev] = lack
    return lack


def require_overlay(parent=None):
    """Skip (harness.Skip) with the reason when containers cannot have
    their overlay root here (overlay_lack on parent, default TMPDIR)."""
    lack = overlay_lack(parent or tempfile.gettempdir())
    if lack:
        harness.skip("overlay: " + lack)


def exec_dir(build):
    """A directory for programs the host runs directly, not in a
    container: build/test-bin, not TMPDIR, which may be mounted noexec (a
    common hardening of /tmp; a container's overlay runs programs from
    there all the same)."""
    path = os.path.join(build, "test-bin")
    os.makedirs(path, exist_ok=True)
    return path


def daemon_with_restore(build, name, script):
    """A Daemon whose iptables-restore is the stand-in shell script given
    (written to exec_dir(build) as name: the daemon runs it), and the
    script's path, for the caller to remove."""
    fake = os.path.join(exec_dir(build), name)
    with open(fake, "w") as f:
        f.write(script)
    os.chmod(fake, 0o755)
    os.environ["BERTH_IPTABLES_RESTORE"] = fake
    try:
        return Daemon(build), fake
    finally:
        del os.environ["BERTH_IPTABLES_RESTORE"]


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


def keeper_pid(daemon_pid):
    """The descriptor keeper a `berth daemon` started (its child, named
    berth-keeper), or None."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if comm == "berth-keeper" and ppid == daemon_pid:
            return int(pid)
    return None


def stop_daemons(berth, root, procs, holder):
    """The end of a test that ran daemons procs over root in the network
    namespace of holder (a `sleep` under `unshare -n`): each still running
    powered off (killed after 20 s), holder killed, root removed."""
    for p in procs:
        if p.poll() is None:
            subprocess.run([berth, "--root", root, "poweroff"], capture_output=True,
                           timeout=30)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    holder.kill()
    holder.wait()
    shutil.rmtree(root, ignore_errors=True)


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
                           capture_output=True, text=True, timeout=30, env=no_proxy_env())
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


def fetch(d, url, ctr=None):
    """GET url from the daemon's namespace (or from inside container ctr),
    retried while the server starts."""
    body = ""
    for _ in range(30):
        if ctr:
            rc, body, _ = d.cli("exec", ctr, "wget", "-qO-", url)
        else:
            body = d.netexec("/bin/busybox", "wget", "-qO-", url, check=False)
        if body:
            break
        time.sleep(0.1)
    return body


def build_context(d, containerfile):
    """A build context under the daemon's root holding just containerfile."""
    path = tempfile.mkdtemp(prefix="ctx-", dir=d.root)
    with open(os.path.join(path, "Containerfile"), "w") as f:
        f.write(containerfile)
    return path


def busybox_daemon(build):
    """A daemon for a suite that needs overlayfs, with busybox imported."""
    require_overlay()
    d = Daemon(build)
    d.import_busybox()
    return d
